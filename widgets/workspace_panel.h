// Workspace panel: model folder, dataset file and workspace folder; recent workspaces
// (QSettings); one click opens the embedded demo workspace (created by the worker if missing).
#pragma once

#include <QAbstractListModel>
#include <QString>
#include <QVector>
#include <QWidget>
#include <memory>

#include "core/common/cancel_token.h"
#include "widgets/worker_types.h"

class QLineEdit;
class QListView;
class QProgressBar;
class QLabel;
class QPushButton;

namespace tbui {

class JobQueue;

struct Workspace {
    QString dir;       // workspace folder (outputs, and later the experiment store)
    QString modelDir;  // HF model folder
    QString dataPath;  // dataset file
    bool demo = false;
    // The workspace's run configuration: loaded by the Hyperparameters tab when the
    // workspace opens, the file its Save writes, the --config of the CLI on this workspace.
    QString configPath() const { return dir + "/config.yaml"; }
    bool operator==(const Workspace& o) const {
        return dir == o.dir && modelDir == o.modelDir && dataPath == o.dataPath;
    }
};

// Most-recently-used workspaces, newest first, at most kMax, persisted in QSettings.
class RecentWorkspacesModel : public QAbstractListModel {
    Q_OBJECT
  public:
    static constexpr int kMax = 8;
    explicit RecentWorkspacesModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

    void add(const Workspace& ws);  // moves an existing entry to the front
    const Workspace& at(int row) const { return items_[row]; }
    void load();  // from QSettings "workspace/recent"
    void save() const;

  private:
    QVector<Workspace> items_;
};

class WorkspacePanel : public QWidget {
    Q_OBJECT
  public:
    WorkspacePanel(JobQueue* jobs, QWidget* parent = nullptr);

    Workspace current() const;
    // Where "Open demo workspace" puts the demo (AppDataLocation/demo-workspace).
    static QString demoDir();
    RecentWorkspacesModel* recent() const { return recent_; }

  public Q_SLOTS:
    void openDemo();
    void apply();  // takes the three fields as the current workspace
    void setWorkspace(const tbui::Workspace& ws);
    void cancelDemo();

  Q_SIGNALS:
    void workspaceChanged(const tbui::Workspace& ws);

  private Q_SLOTS:
    void onDemoProgress(const tb::demo::DemoProgress& p);
    void onDemoFinished(const tb::demo::DemoResult& r);

  private:
    JobQueue* jobs_;
    QLineEdit* modelEdit_;
    QLineEdit* dataEdit_;
    QLineEdit* dirEdit_;
    QPushButton* demoButton_;
    QProgressBar* demoProgress_;
    QLabel* demoLabel_;
    QLabel* statusLabel_;
    RecentWorkspacesModel* recent_;
    QListView* recentView_;
    bool waitingForDemo_ = false;
    std::shared_ptr<tb::CancelToken> demoCancel_;
};

}  // namespace tbui
