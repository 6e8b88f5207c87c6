#include "widgets/workspace_panel.h"

#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QVBoxLayout>

#include "widgets/language.h"
#include "widgets/store_safe_file_dialog.h"
#include "widgets/worker.h"

namespace tbui {

RecentWorkspacesModel::RecentWorkspacesModel(QObject* parent) : QAbstractListModel(parent) {}

int RecentWorkspacesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : items_.size();
}

QVariant RecentWorkspacesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= items_.size()) return {};
    const Workspace& w = items_[index.row()];
    if (role == Qt::DisplayRole) {
        return w.demo ? tr("%1 (demo)").arg(QDir::toNativeSeparators(w.dir))
                      : QDir::toNativeSeparators(w.dir);
    }
    if (role == Qt::ToolTipRole) {
        return tr("Model: %1\nDataset: %2").arg(w.modelDir, w.dataPath);
    }
    return {};
}

void RecentWorkspacesModel::add(const Workspace& ws) {
    beginResetModel();
    items_.removeIf([&](const Workspace& w) { return w == ws; });
    items_.prepend(ws);
    while (items_.size() > kMax) items_.removeLast();
    endResetModel();
    save();
}

void RecentWorkspacesModel::load() {
    QSettings s;
    beginResetModel();
    items_.clear();
    const int n = s.beginReadArray("workspace/recent");
    for (int i = 0; i < n && items_.size() < kMax; ++i) {
        s.setArrayIndex(i);
        Workspace w;
        w.dir = s.value("dir").toString();
        w.modelDir = s.value("model").toString();
        w.dataPath = s.value("data").toString();
        w.demo = s.value("demo").toBool();
        if (!w.dir.isEmpty() || !w.modelDir.isEmpty()) items_.append(w);
    }
    s.endArray();
    endResetModel();
}

void RecentWorkspacesModel::save() const {
    QSettings s;
    s.beginWriteArray("workspace/recent", items_.size());
    for (int i = 0; i < items_.size(); ++i) {
        s.setArrayIndex(i);
        s.setValue("dir", items_[i].dir);
        s.setValue("model", items_[i].modelDir);
        s.setValue("data", items_[i].dataPath);
        s.setValue("demo", items_[i].demo);
    }
    s.endArray();
}

// ---------------------------------------------------------------------------------------------

namespace {
QHBoxLayout* pathRow(QLineEdit* edit, QPushButton* browse) {
    auto* row = new QHBoxLayout;
    row->addWidget(edit, 1);
    row->addWidget(browse);
    return row;
}
}  // namespace

WorkspacePanel::WorkspacePanel(JobQueue* jobs, QWidget* parent) : QWidget(parent), jobs_(jobs) {
    auto* layout = new QVBoxLayout(this);

    auto* pathsBox = new QGroupBox(tr("Workspace"), this);
    auto* form = new QFormLayout(pathsBox);
    modelEdit_ = new QLineEdit(pathsBox);
    modelEdit_->setPlaceholderText(tr("Hugging Face model folder (config.json, safetensors)"));
    dataEdit_ = new QLineEdit(pathsBox);
    dataEdit_->setPlaceholderText(tr("Dolly/Alpaca/chat JSONL or CSV file"));
    dirEdit_ = new QLineEdit(pathsBox);
    dirEdit_->setPlaceholderText(tr("Folder for runs and results"));
    auto* modelBrowse = new QPushButton(tr("Browse…"), pathsBox);
    auto* dataBrowse = new QPushButton(tr("Browse…"), pathsBox);
    auto* dirBrowse = new QPushButton(tr("Browse…"), pathsBox);
    // Labels with a buddy so that the &-mnemonic works (and is not shown literally).
    auto addPathRow = [&](const QString& text, QLineEdit* edit, QPushButton* browse) {
        auto* label = new QLabel(text, pathsBox);
        label->setBuddy(edit);
        form->addRow(label, pathRow(edit, browse));
    };
    addPathRow(tr("&Model folder:"), modelEdit_, modelBrowse);
    addPathRow(tr("&Dataset file:"), dataEdit_, dataBrowse);
    addPathRow(tr("&Workspace folder:"), dirEdit_, dirBrowse);
    auto* applyButton = new QPushButton(tr("&Use this workspace"), pathsBox);
    form->addRow(QString(), applyButton);
    statusLabel_ = new QLabel(pathsBox);
    statusLabel_->setWordWrap(true);
    form->addRow(statusLabel_);
    layout->addWidget(pathsBox);

    auto* demoBox = new QGroupBox(tr("Demo"), this);
    auto* demoLayout = new QVBoxLayout(demoBox);
    auto* demoText = new QLabel(
        tr("The demo workspace holds a tiny Llama model and a Dolly-format dataset written by "
           "tunebench itself; training it takes minutes on a laptop CPU."),
        demoBox);
    demoText->setWordWrap(true);  // one line of it was 1,135 px in Spanish
    demoLayout->addWidget(demoText);
    demoLabel_ = new QLabel(demoBox);
    demoLabel_->setWordWrap(true);
    demoButton_ = new QPushButton(tr("Open &demo workspace"), demoBox);
    demoProgress_ = new QProgressBar(demoBox);
    demoProgress_->setVisible(false);
    demoLayout->addWidget(demoButton_);
    demoLayout->addWidget(demoProgress_);
    demoLayout->addWidget(demoLabel_);
    layout->addWidget(demoBox);

    auto* recentBox = new QGroupBox(tr("Recent workspaces"), this);
    auto* recentLayout = new QVBoxLayout(recentBox);
    recent_ = new RecentWorkspacesModel(this);
    recent_->load();
    recentView_ = new QListView(recentBox);
    recentView_->setModel(recent_);
    recentView_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    recentLayout->addWidget(recentView_);
    layout->addWidget(recentBox, 1);

    connect(modelBrowse, &QPushButton::clicked, this, [this] {
        const QString d = tbui::getExistingDirectory(this, tr("Model folder"), modelEdit_->text());
        if (!d.isEmpty()) modelEdit_->setText(d);
    });
    connect(dataBrowse, &QPushButton::clicked, this, [this] {
        const QString f =
            tbui::getOpenFileName(this, tr("Dataset file"), dataEdit_->text(),
                                  tr("Datasets (*.jsonl *.json *.csv);;All files (*)"));
        if (!f.isEmpty()) dataEdit_->setText(f);
    });
    connect(dirBrowse, &QPushButton::clicked, this, [this] {
        const QString d =
            tbui::getExistingDirectory(this, tr("Workspace folder"), dirEdit_->text());
        if (!d.isEmpty()) dirEdit_->setText(d);
    });
    connect(applyButton, &QPushButton::clicked, this, &WorkspacePanel::apply);
    connect(demoButton_, &QPushButton::clicked, this, &WorkspacePanel::openDemo);
    connect(recentView_, &QListView::activated, this,
            [this](const QModelIndex& idx) { setWorkspace(recent_->at(idx.row())); });
    connect(jobs_->worker(), &Worker::demoProgress, this, &WorkspacePanel::onDemoProgress);
    connect(jobs_->worker(), &Worker::demoFinished, this, &WorkspacePanel::onDemoFinished);
    connect(jobs_->worker(), &Worker::failed, this, [this](const QString& msg) {
        if (!waitingForDemo_ || jobs_->currentKind() != JobKind::Demo) return;
        waitingForDemo_ = false;
        demoButton_->setEnabled(true);
        demoProgress_->setVisible(false);
        demoLabel_->setText(tr("Demo workspace failed: %1").arg(msg));
    });
}

QString WorkspacePanel::demoDir() {
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/demo-workspace";
}

Workspace WorkspacePanel::current() const {
    // Absolute paths: the run config resolves relative paths against its own folder, not the
    // working directory the window was started from.
    auto absolute = [](const QString& p) {
        const QString t = p.trimmed();
        return t.isEmpty() ? t : QFileInfo(t).absoluteFilePath();
    };
    Workspace w;
    w.dir = absolute(dirEdit_->text());
    w.modelDir = absolute(modelEdit_->text());
    w.dataPath = absolute(dataEdit_->text());
    w.demo = !w.dir.isEmpty() && QDir(w.dir) == QDir(demoDir());
    return w;
}

void WorkspacePanel::apply() {
    const Workspace w = current();
    QStringList problems;
    if (!QFileInfo(w.modelDir + "/config.json").isFile())
        problems << tr("no config.json in the model folder");
    if (!QFileInfo(w.dataPath).isFile()) problems << tr("the dataset file does not exist");
    if (w.dir.isEmpty()) problems << tr("no workspace folder");
    if (!problems.isEmpty()) {
        statusLabel_->setText(tr("Not usable: %1").arg(problems.join(tr("; "))));
        return;
    }
    QDir().mkpath(w.dir);
    statusLabel_->setText(
        QFileInfo::exists(w.configPath())
            ? tr("Workspace in use. Configuration: %1")
                  .arg(QDir::toNativeSeparators(w.configPath()))
            : tr("Workspace in use. No %1 yet: the Hyperparameters tab starts from the defaults "
                 "and Save writes it.")
                  .arg(QDir::toNativeSeparators(w.configPath())));
    recent_->add(w);
    Q_EMIT workspaceChanged(w);
}

void WorkspacePanel::setWorkspace(const Workspace& ws) {
    modelEdit_->setText(ws.modelDir);
    dataEdit_->setText(ws.dataPath);
    dirEdit_->setText(ws.dir);
    apply();
}

void WorkspacePanel::openDemo() {
    const QString dir = demoDir();
    Workspace w{dir, dir + "/model", dir + "/data/dolly-demo.jsonl", true};
    if (QFileInfo(w.modelDir + "/config.json").isFile() && QFileInfo(w.dataPath).isFile()) {
        demoLabel_->setText(tr("Demo workspace: %1").arg(QDir::toNativeSeparators(dir)));
        setWorkspace(w);
        return;
    }
    QDir().mkpath(QFileInfo(dir).absolutePath());
    DemoJob job;
    job.params.dir = dir.toStdString();
    demoCancel_ = job.cancel;
    waitingForDemo_ = true;
    demoButton_->setEnabled(false);
    demoProgress_->setVisible(true);
    demoProgress_->setRange(0, 0);
    demoLabel_->setText(tr("Creating the demo workspace (about two minutes)…"));
    jobs_->submitDemo(job);
}

void WorkspacePanel::cancelDemo() {
    if (demoCancel_) demoCancel_->cancel();
}

void WorkspacePanel::onDemoProgress(const tb::demo::DemoProgress& p) {
    if (p.total > 0) {
        demoProgress_->setRange(0, static_cast<int>(p.total));
        demoProgress_->setValue(static_cast<int>(p.step));
    }
    if (p.stage == "pretrain") {
        demoLabel_->setText(tr("Pretraining the tiny model: step %1/%2, loss %3")
                                .arg(p.step)
                                .arg(p.total)
                                .arg(localNumber(p.loss, 'f', 3)));
    } else {
        demoLabel_->setText(tr("Demo stage: %1").arg(QString::fromStdString(p.stage)));
    }
}

void WorkspacePanel::onDemoFinished(const tb::demo::DemoResult& r) {
    waitingForDemo_ = false;
    demoButton_->setEnabled(true);
    demoProgress_->setVisible(false);
    demoLabel_->setText(tr("Demo workspace created in %1 s: %2 records, loss %3 → %4")
                            .arg(localNumber(r.seconds, 'f', 0))
                            .arg(r.records)
                            .arg(localNumber(r.initial_loss, 'f', 3))
                            .arg(localNumber(r.final_loss, 'f', 3)));
    setWorkspace(Workspace{QString::fromStdString(r.dir), QString::fromStdString(r.model_dir),
                           QString::fromStdString(r.data_path), true});
}

}  // namespace tbui
