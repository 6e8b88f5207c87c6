// The workbench window: one tab per panel, a status bar showing the worker's current job and
// its queue, QSettings-backed window state and language choice.
#pragma once

#include <QMainWindow>

class QLabel;
class QTabWidget;

namespace tbui {

class JobQueue;
class WorkspacePanel;
class DatasetPanel;
class HyperparamPanel;
class TrainingPanel;
class RunsPanel;
class ComparePanel;
class ChatPanel;
class RatingPanel;
class ResultsPanel;
class BenchmarkPanel;
class ServePanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    explicit MainWindow(QWidget* parent = nullptr);

    WorkspacePanel* workspacePanel() const { return workspace_; }
    QTabWidget* tabs() const { return tabs_; }
    // The size the window opens at: 1280x820, bounded by the screen's available area less a
    // title bar, never below `minimum` (what the panels need).
    static QSize initialSize(const QSize& available, const QSize& minimum);

  protected:
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;

  private:
    void buildMenus();
    void updateStatus();

    JobQueue* jobs_;
    QTabWidget* tabs_;
    WorkspacePanel* workspace_;
    DatasetPanel* dataset_;
    HyperparamPanel* hyper_;
    TrainingPanel* training_;
    RunsPanel* runs_;
    ComparePanel* compare_;
    ChatPanel* chat_;
    RatingPanel* rating_;
    ResultsPanel* results_;
    BenchmarkPanel* benchmark_;
    ServePanel* serve_;
    QLabel* jobLabel_;
    QString workspaceDir_;
    bool closing_ = false;
};

}  // namespace tbui
