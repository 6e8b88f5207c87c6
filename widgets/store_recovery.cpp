#include "widgets/store_recovery.h"

#include <QCoreApplication>
#include <QDir>
#include <QMessageBox>
#include <QPushButton>

#include "core/store/store_backup.h"
#include "widgets/qstring_of.h"

namespace tbui {

namespace {

struct StoreRecoveryText {
    Q_DECLARE_TR_FUNCTIONS(tbui::StoreRecovery)
};

}  // namespace

QString StoreRecovery::restoreButtonText() {
    return StoreRecoveryText::tr("Restore newest backup");
}

bool StoreRecovery::isDamageMessage(const QString& message) {
    return tb::store::is_damage_error(tb::Error{message.toStdString()}) ||
           message.contains(QLatin1String("file is not a database")) ||
           message.contains(QLatin1String("database disk image is malformed"));
}

StoreRecovery::Outcome StoreRecovery::checkAndOffer(
    QWidget* parent, const QString& dir, const std::function<void(const QString&)>& setStoreDir,
    bool busy) {
    if (dir.isEmpty()) return Outcome::Healthy;
    const QString path = QDir(dir).filePath(QStringLiteral("tunebench.sqlite"));
    auto check = tb::store::check_store(path.toStdString());
    if (!check.ok() || !check->exists || check->ok) return Outcome::Healthy;

    const QString found = check->problems.empty() ? QString() : q(check->problems.front());
    QMessageBox box(parent);
    box.setIcon(QMessageBox::Critical);
    box.setWindowTitle(StoreRecoveryText::tr("Experiment store damaged"));
    box.setText(StoreRecoveryText::tr("The experiment store %1 is damaged: %2").arg(path, found));
    QPushButton* restore = nullptr;
    if (check->newest_good_backup) {
        const auto& b = *check->newest_good_backup;
        box.setInformativeText(
            StoreRecoveryText::tr(
                "Newest good backup: %1 (%2).\nRestoring puts it in place and keeps the damaged "
                "file beside it as tunebench.sqlite.damaged-<time>; nothing is deleted.")
                .arg(q(b.path), q(b.created_at)));
        restore = box.addButton(restoreButtonText(), QMessageBox::AcceptRole);
        box.addButton(StoreRecoveryText::tr("Keep as is"), QMessageBox::RejectRole);
        box.setDefaultButton(restore);
    } else {
        box.setInformativeText(StoreRecoveryText::tr("There is no good backup in %1.")
                                   .arg(q(tb::store::backup_dir(path.toStdString()))));
        box.addButton(QMessageBox::Ok);
    }
    box.exec();
    if (!restore || box.clickedButton() != restore) return Outcome::Kept;
    if (busy) {
        QMessageBox::warning(
            parent, box.windowTitle(),
            StoreRecoveryText::tr("A job is running and may be using the store: stop it, then "
                                  "choose the workspace again to restore."));
        return Outcome::Failed;
    }
    setStoreDir(QString());  // every panel lets go of the file
    auto r = tb::store::restore_store(path.toStdString(), check->newest_good_backup->path);
    setStoreDir(dir);
    if (!r.ok()) {
        QMessageBox::warning(
            parent, box.windowTitle(),
            StoreRecoveryText::tr("The backup was not restored: %1").arg(q(r.error().message)));
        return Outcome::Failed;
    }
    return Outcome::Restored;
}

}  // namespace tbui
