// The store in the GUI (issue 10).
//  - Cause: Qt's own file dialog sniffs the files it lists (QMimeDatabase opens and closes
//    them), and a close() of any descriptor drops every POSIX lock SQLite holds on that file
//    for this process. Shown here with a plain QFileDialog over a workspace whose store is
//    open; the GUI's dialogs (widgets/store_safe_file_dialog.h) list the same folder, type
//    column filled, and SQLite keeps its locks.
//  - A damaged store: one message naming the file and the newest good backup; "Restore newest
//    backup" closes the panels' stores, restores, keeps the damaged file, reopens them.
#include <sys/stat.h>
#include <unistd.h>

#include <QAbstractButton>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QFileSystemModel>
#include <QMessageBox>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <fstream>
#include <functional>

#include "core/store/store.h"
#include "core/store/store_backup.h"
#include "widgets/store_recovery.h"
#include "widgets/store_safe_file_dialog.h"

using tb::store::Store;

namespace {

// POSIX locks this process holds on `path` (lines of /proc/locks).
int locksHeld(const QString& path) {
    struct stat sb {};
    if (::stat(path.toLocal8Bit().constData(), &sb) != 0) return -1;
    const QString inode = QStringLiteral(":%1 ").arg(static_cast<qulonglong>(sb.st_ino));
    const QString pid = QStringLiteral(" %1 ").arg(::getpid());
    QFile f(QStringLiteral("/proc/locks"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    int n = 0;
    for (const QByteArray& line : f.readAll().split('\n')) {
        const QString l = QString::fromLatin1(line);
        if (l.contains(inode) && l.contains(pid)) ++n;
    }
    return n;
}

// A store with one rating, open, WAL and -shm in use (SQLite holds its locks).
std::unique_ptr<Store> openStoreWithLocks(const QString& dir) {
    auto st = Store::open((dir + "/tunebench.sqlite").toStdString());
    if (!st.ok()) return nullptr;
    tb::store::RatingRow r;
    r.rater = "ann";
    r.item_id = "i1";
    r.model = "base";
    r.relevance = r.coherence = r.fluency = r.completeness = 4;
    if (!st.value()->upsert_rating(r).ok()) return nullptr;
    return std::move(st.value());
}

// Watches for the modal file dialog; once its folder listing has typed `probe` (the gatherer
// has looked at that file) and 300 ms more have passed for the other files, runs `inspect`
// and closes the dialog (after 10 s without a listing it just closes it).
class ListingProbe {
  public:
    ListingProbe(QString probe, std::function<void()> inspect)
        : probe_(std::move(probe)), inspect_(std::move(inspect)) {
        clock_.start();
        QObject::connect(&timer_, &QTimer::timeout, [this] { tick(); });
        timer_.start(50);
    }
    bool listed() const { return listed_; }

  private:
    void tick() {
        auto* dlg = qobject_cast<QFileDialog*>(QApplication::activeModalWidget());
        if (!dlg) return;
        auto* model = dlg->findChild<QFileSystemModel*>();
        const QModelIndex idx = model ? model->index(probe_) : QModelIndex();
        if (!listed_ && idx.isValid() && !model->type(idx).isEmpty()) {
            listed_ = true;
            listed_at_ = clock_.elapsed();
        }
        if ((listed_ && clock_.elapsed() - listed_at_ > 300) || clock_.elapsed() > 10000) {
            timer_.stop();
            if (listed_) inspect_();
            dlg->reject();
        }
    }
    QString probe_;
    std::function<void()> inspect_;
    QTimer timer_;
    QElapsedTimer clock_;
    bool listed_ = false;
    qint64 listed_at_ = 0;
};

class TestStoreRecovery : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void qtFileDialogDropsSqliteLocksOursDoesNot() {
        QTemporaryDir tmp;
        const QString dir = tmp.path();
        auto store = openStoreWithLocks(dir);
        QVERIFY(store);
        const QString shm = dir + "/tunebench.sqlite-shm";
        QVERIFY2(locksHeld(shm) > 0, "SQLite holds a lock on -shm while the store is open");

        // The GUI's dialog: the folder is listed (the -wal's type is filled in) and the
        // locks stay.
        int during = -1;
        {
            ListingProbe probe(dir + "/tunebench.sqlite-wal", [&] { during = locksHeld(shm); });
            tbui::getOpenFileName(nullptr, QStringLiteral("x"), dir);
            QVERIFY(probe.listed());
        }
        QVERIFY2(during > 0, "tbui::getOpenFileName released SQLite's locks");
        QVERIFY(locksHeld(shm) > 0);

        // Control: Qt's own widget dialog with its default icon provider drops them.
        int plain = -1;
        {
            ListingProbe probe(dir + "/tunebench.sqlite-wal", [&] { plain = locksHeld(shm); });
            QFileDialog::getOpenFileName(nullptr, QStringLiteral("x"), dir, QString(), nullptr,
                                         QFileDialog::DontUseNativeDialog);
            QVERIFY(probe.listed());
        }
        QCOMPARE(plain, 0);
    }

    void damagedStoreOffersOneClickRestore() {
        QTemporaryDir tmp;
        const QString dir = tmp.path();
        const QString db = dir + "/tunebench.sqlite";
        {
            auto store = openStoreWithLocks(dir);
            QVERIFY(store);
            auto b = tb::store::backup_store(store->handle(), db.toStdString(), "manual");
            QVERIFY2(b.ok(), b.ok() ? "" : b.error().message.c_str());
        }
        {  // page 1 overwritten, as in the issue
            std::fstream f(db.toStdString(), std::ios::in | std::ios::out | std::ios::binary);
            const std::string junk(100, '\x0a');
            f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
        QVERIFY(tbui::StoreRecovery::isDamageMessage(
            QString::fromStdString(Store::open(db.toStdString()).error().message)));

        QString text, informative;
        QTimer::singleShot(0, [&] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box) return;
            text = box->text();
            informative = box->informativeText();
            for (QAbstractButton* b : box->buttons())
                if (b->text() == tbui::StoreRecovery::restoreButtonText()) b->click();
        });
        QStringList calls;
        const auto outcome = tbui::StoreRecovery::checkAndOffer(
            nullptr, dir, [&](const QString& d) { calls << d; }, /*busy=*/false);
        QCOMPARE(outcome, tbui::StoreRecovery::Outcome::Restored);
        QVERIFY2(text.contains(db) && text.contains("damaged"), qPrintable(text));
        QVERIFY2(informative.contains(dir + "/backups/tunebench-"), qPrintable(informative));
        QCOMPARE(calls, QStringList({QString(), dir}));  // closed, then reopened
        auto st = Store::open(db.toStdString());
        QVERIFY2(st.ok(), st.ok() ? "" : st.error().message.c_str());
        QCOMPARE(st.value()->list_ratings().value().size(), size_t(1));
        QCOMPARE(QDir(dir).entryList({"tunebench.sqlite.damaged-*"}).size(), 1);

        // Healthy now: nothing shown.
        QCOMPARE(tbui::StoreRecovery::checkAndOffer(
                     nullptr, dir, [](const QString&) {}, false),
                 tbui::StoreRecovery::Outcome::Healthy);
    }

    void damagedStoreWithoutBackupSaysSo() {
        QTemporaryDir tmp;
        const QString dir = tmp.path();
        std::ofstream(QString(dir + "/tunebench.sqlite").toStdString()) << std::string(4096, 'x');
        QString informative;
        int buttons = 0;
        QTimer::singleShot(0, [&] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box) return;
            informative = box->informativeText();
            buttons = static_cast<int>(box->buttons().size());
            box->accept();
        });
        QStringList calls;
        QCOMPARE(tbui::StoreRecovery::checkAndOffer(
                     nullptr, dir, [&](const QString& d) { calls << d; }, false),
                 tbui::StoreRecovery::Outcome::Kept);
        QVERIFY2(informative.contains("no good backup"), qPrintable(informative));
        QCOMPARE(buttons, 1);
        QVERIFY(calls.isEmpty());
    }
};

}  // namespace

QTEST_MAIN(TestStoreRecovery)
#include "test_gui_store_recovery.moc"
