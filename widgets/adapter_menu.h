// "Add adapter" of the compare, chat and serve panels: a button whose menu lists the
// workspace's trained adapters by run name -- every training run in the store whose adapter
// folder holds an adapter, those trained with tunebench-cli as well as this window's, newest
// first, the folder in the tooltip -- then "Other folder…" for an adapter from anywhere. The
// store is read each time the menu opens, so a run that finished meanwhile is listed.
#pragma once

#include <QList>
#include <QString>
#include <QToolButton>

class QMenu;

namespace tbui {

struct TrainedAdapter {
    qint64 runId = 0;
    QString name;     // the run's name ("run #N" when unnamed)
    QString dir;      // the adapter folder (holds adapter_config.json)
    QString started;  // the run's start, "YYYY-MM-DD HH:MM"
    QString status;   // runs.status: completed, running, failed, cancelled...
};

// The training runs of `workspaceDir`'s store (tunebench.sqlite) with an adapter on disk,
// newest first: <output_dir>/adapter, or <output_dir> itself when it holds the adapter. Empty
// when the store does not exist (it is not created) or cannot be read.
QList<TrainedAdapter> trainedAdapters(const QString& workspaceDir);

// An adapter folder named when no run names it: "run_3" for .../run_3/adapter (the run
// folder, as `tunebench-cli train` lays it out), else the folder's own name.
QString adapterFolderName(const QString& dir);
// The same as a list label: "run_3/adapter" for .../run_3/adapter, else the folder's name.
QString adapterFolderLabel(const QString& dir);

// A serve model name from a run name: lower case, runs of characters other than letters,
// digits, '.', '_' and '-' become one '-' ("LR 1e-4 / r16" -> "lr-1e-4-r16").
QString servedModelName(const QString& runName);

class AdapterMenuButton : public QToolButton {
    Q_OBJECT
  public:
    explicit AdapterMenuButton(QWidget* parent = nullptr);
    // "Other folder…" opens in its outputs/.
    void setWorkspaceDir(const QString& dir) { workspaceDir_ = dir; }
    // The menu as it would open now (tests and the panels use it).
    QMenu* refreshedMenu();

  Q_SIGNALS:
    // `label`: the run's name for a trained adapter, the folder's name for another folder.
    void adapterChosen(const QString& dir, const QString& label);

  protected:
    void changeEvent(QEvent* e) override;

  private:
    void retranslate();
    QString workspaceDir_;
    QMenu* menu_ = nullptr;
};

}  // namespace tbui
