#include "widgets/adapter_menu.h"

#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QMenu>
#include <QRegularExpression>
#include <algorithm>

#include "core/store/store.h"
#include "widgets/store_safe_file_dialog.h"

namespace tbui {

namespace {

bool holdsAdapter(const QString& dir) {
    return QFileInfo::exists(QDir(dir).filePath("adapter_config.json"));
}

}  // namespace

QList<TrainedAdapter> trainedAdapters(const QString& workspaceDir) {
    QList<TrainedAdapter> out;
    if (workspaceDir.isEmpty()) return out;
    const QString db = QDir(workspaceDir).filePath("tunebench.sqlite");
    if (!QFileInfo::exists(db)) return out;  // Store::open would create it
    auto store = tb::store::Store::open(db.toStdString());
    if (!store.ok()) return out;
    auto runs = store.value()->list_runs("train");
    if (!runs.ok()) return out;
    for (const auto& r : runs.value()) {
        if (r.output_dir.empty()) continue;
        const QString runDir = QDir::cleanPath(QString::fromStdString(r.output_dir));
        QString dir;
        if (holdsAdapter(runDir + "/adapter"))
            dir = runDir + "/adapter";
        else if (holdsAdapter(runDir))
            dir = runDir;
        else
            continue;
        TrainedAdapter a;
        a.runId = r.id;
        a.name = r.name.empty() ? QCoreApplication::translate("tbui::RunNames", "run #%1").arg(r.id)
                                : QString::fromStdString(r.name);
        a.dir = dir;
        // Stored as ISO 8601 UTC ("2026-12-03T18:49:29Z" or with a space): minutes are enough.
        a.started = QString::fromStdString(r.started_at).left(16).replace('T', ' ');
        a.status = QString::fromStdString(r.status);
        out << a;
    }
    std::stable_sort(out.begin(), out.end(), [](const TrainedAdapter& x, const TrainedAdapter& y) {
        return x.runId > y.runId;
    });
    return out;
}

QString adapterFolderName(const QString& dir) {
    return QDir(dir).dirName() == QLatin1String("adapter") ? QFileInfo(dir).dir().dirName()
                                                           : QDir(dir).dirName();
}

QString adapterFolderLabel(const QString& dir) {
    return QDir(dir).dirName() == QLatin1String("adapter") ? adapterFolderName(dir) + "/adapter"
                                                           : QDir(dir).dirName();
}

QString servedModelName(const QString& runName) {
    static const QRegularExpression other(QStringLiteral("[^a-z0-9._-]+"));
    QString s = runName.toLower().replace(other, QStringLiteral("-"));
    while (s.startsWith('-')) s.remove(0, 1);
    while (s.endsWith('-')) s.chop(1);
    return s.isEmpty() ? QStringLiteral("adapter") : s;
}

AdapterMenuButton::AdapterMenuButton(QWidget* parent) : QToolButton(parent) {
    setObjectName("addAdapterButton");
    setPopupMode(QToolButton::InstantPopup);
    setToolButtonStyle(Qt::ToolButtonTextOnly);
    // Shares a row with push buttons (Remove): grow with them rather than keep the tool
    // button's fixed width.
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    menu_ = new QMenu(this);
    setMenu(menu_);
    connect(menu_, &QMenu::aboutToShow, this, [this] { refreshedMenu(); });
    retranslate();
}

QMenu* AdapterMenuButton::refreshedMenu() {
    menu_->clear();
    const QList<TrainedAdapter> runs = trainedAdapters(workspaceDir_);
    if (runs.isEmpty()) {
        QAction* none = menu_->addAction(tr("No trained adapter in this workspace yet"));
        none->setEnabled(false);
    }
    for (const TrainedAdapter& a : runs) {
        QString text = a.started.isEmpty() ? a.name : tr("%1  (%2)").arg(a.name, a.started);
        if (a.status == QLatin1String("running")) text += tr(" — running");
        QAction* act = menu_->addAction(text);
        act->setToolTip(a.dir);
        act->setStatusTip(a.dir);
        act->setData(a.dir);
        connect(act, &QAction::triggered, this,
                [this, dir = a.dir, name = a.name] { Q_EMIT adapterChosen(dir, name); });
    }
    menu_->setToolTipsVisible(true);
    menu_->addSeparator();
    QAction* other = menu_->addAction(tr("Other folder…"));
    other->setObjectName("otherAdapterFolder");
    connect(other, &QAction::triggered, this, [this] {
        const QString d = getExistingDirectory(
            this, tr("Adapter folder"),
            workspaceDir_.isEmpty() ? QString() : QDir(workspaceDir_).filePath("outputs"));
        if (!d.isEmpty()) Q_EMIT adapterChosen(d, adapterFolderName(d));
    });
    return menu_;
}

void AdapterMenuButton::changeEvent(QEvent* e) {
    if (e->type() == QEvent::LanguageChange) retranslate();
    QToolButton::changeEvent(e);
}

void AdapterMenuButton::retranslate() {
    setText(tr("Add adapter"));
    setToolTip(tr("A LoRA adapter trained in this workspace (by run name), or another folder"));
}

}  // namespace tbui
