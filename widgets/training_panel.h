// Training panel: start/pause/resume/cancel a tb::run_training job on the worker; progress bar
// and ETA; live charts (loss raw + smoothed + eval, lr, grad norm, tokens/s, memory) redrawn by
// a 40 ms timer only when new points arrived, so 100k-point runs stay smooth; log view.
// Runs are recorded in the workspace's experiment store (<workspace>/tunebench.sqlite, written
// by the trainer); the earlier runs listed here come from that store: one is drawn as a grey
// overlay, and a finished one can be exported (PEFT adapter folder, or the merged model, merged
// on the worker when the run has no merged_model/).
#pragma once

#include <QVector>
#include <QWidget>
#include <functional>
#include <memory>
#include <optional>

#include "core/config/app_config.h"
#include "core/store/store.h"
#include "core/train/trainer.h"
#include "widgets/config_source.h"
#include "widgets/worker_types.h"

class QCustomPlot;
class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTimer;

namespace tbui {

class JobQueue;

// Series behind the charts; plain data so that tests can check it without widgets.
struct TrainingCurves {
    double smoothing = 0.9;  // EMA weight of the previous smoothed value (TensorBoard-style)
    QVector<double> step, loss, smoothed, lr, gradNorm, tokensPerS, memoryMiB;
    QVector<double> evalStep, evalLoss, evalPpl;  // evalPpl = exp(evalLoss), as the trainer's
    int64_t totalSteps = 0;
    double etaS = 0;
    // Adds a record; returns true when it carried a new optimizer step or eval value.
    bool add(const tb::TrainProgress& p);
    void clear();
};

class TrainingPanel : public QWidget {
    Q_OBJECT
  public:
    // The Hyperparameters tab's snapshot: training runs exactly that config and does not
    // start while it has problems.
    using ConfigSource = tbui::ConfigSource;
    TrainingPanel(JobQueue* jobs, ConfigSource config, QWidget* parent = nullptr);

    const TrainingCurves& curves() const { return curves_; }
    bool running() const { return running_; }
    // Why Start training is disabled ("" when the config can run).
    QString configProblem() const { return configProblem_; }
    bool startEnabled() const;
    QCustomPlot* lossChart() const { return plots_[0]; }
    QCustomPlot* memoryChart() const { return plots_[4]; }
    QVector<QCustomPlot*> charts() const { return plots_; }
    ~TrainingPanel() override;

    // New runs are recorded in <dir>/tunebench.sqlite; earlier runs are listed from it.
    void setWorkspaceDir(const QString& dir);
    QString storePath() const { return storePath_; }
    // Re-reads the train runs of the store into the earlier-run list. Returns an error or "".
    QString refreshRuns();
    QList<qint64> earlierRuns() const;
    // Draws the losses of store run `runId` as the grey overlay (0 clears it). Error or "".
    QString loadOverlay(qint64 runId);
    // Queues the export of finished run `runId` into `dest` (absent or empty folder): the
    // adapter, or the merged model. Returns an error message or "" (the job reports the rest).
    QString exportRun(qint64 runId, const QString& dest, bool merged);
    bool exporting() const { return exporting_; }
    // The run the export buttons act on (completed runs; independent of the overlay choice).
    QComboBox* exportRunCombo() const { return exportCombo_; }
    QComboBox* overlayRunCombo() const { return runCombo_; }
    // Resumes store run `runId` from `checkpoint` (a checkpoints/step-N folder or the run
    // folder) with the run's own stored config, on the worker, shown live here. Error or "".
    QString resumeRun(qint64 runId, const QString& checkpoint);
    bool paused() const;
    QString phaseText() const;
    QPlainTextEdit* logView() const { return log_; }
    QPushButton* cancelButton() const { return cancelButton_; }

  public Q_SLOTS:
    void start();
    // Re-reads the config source: enables Start training or shows what blocks it.
    void updateConfigState();
    void togglePause();
    void cancel();
    // The Cancel button: asks first, then cancel().
    void confirmCancel();
    // Called when the window closes: cancels (the trainer checkpoints) and returns true if a
    // job was running.
    bool cancelForShutdown();
    void onProgress(const tb::TrainProgress& p);
    void onFinished(const tb::TrainResult& r);
    void onFailed(const QString& message);
    // Asks for a destination and exports the selected earlier run's adapter (merged = false)
    // or merged model through the worker (the File menu and the tab's buttons).
    void exportInteractive(bool merged);

  Q_SIGNALS:
    void runFinished(const QString& adapterDir);
    void exportFinished(const QString& dest);
    void exportFailed(const QString& message);
    // A run was queued, finished, failed or was cancelled: the store's runs changed.
    void runsChanged();

  private:
    static QString phaseName(tb::TrainPhase phase);
    void redraw();
    void setRunning(bool running);
    void log(const QString& line);
    void submit(tb::TrainParams params, const QString& what);
    void updateMemoryLabels(const std::string& device);
    std::optional<tb::store::RunRecord> runRecord(qint64 runId, QString& error);

    JobQueue* jobs_;
    ConfigSource configSource_;
    TrainingCurves curves_;
    std::shared_ptr<tb::CancelToken> cancel_;
    std::shared_ptr<tb::PauseToken> pause_;
    bool running_ = false;
    bool exporting_ = false;
    QString configProblem_;
    QString storePath_;
    std::unique_ptr<tb::store::Store> store_;  // opened once the file exists
    bool dirty_ = false;
    QVector<QCustomPlot*> plots_;
    QPushButton* startButton_;
    QPushButton* pauseButton_;
    QPushButton* cancelButton_;
    QCheckBox* logScale_;
    QComboBox* runCombo_;
    QComboBox* exportCombo_;
    QPushButton* exportAdapterButton_;
    QPushButton* exportMergedButton_;
    QProgressBar* progress_;
    QLabel* eta_;
    QLabel* phase_;
    QLabel* configLabel_;
    QPlainTextEdit* log_;
    QTimer* redrawTimer_;
};

}  // namespace tbui
