// Training panel: start/pause/resume/cancel a tb::run_training job on the worker; progress bar
// and ETA; live charts (loss raw + smoothed + eval, lr, grad norm, tokens/s, memory) redrawn by
// a 40 ms timer only when new points arrived, so 100k-point runs stay smooth; log view;
// overlay of an earlier run's training_log.jsonl.
#pragma once

#include <QVector>
#include <QWidget>
#include <functional>
#include <memory>

#include "core/config/app_config.h"
#include "core/train/trainer.h"
#include "widgets/worker_types.h"

class QCustomPlot;
class QCheckBox;
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
    QVector<double> evalStep, evalLoss;
    int64_t totalSteps = 0;
    double etaS = 0;
    // Adds a record; returns true when it carried a new optimizer step or eval value.
    bool add(const tb::TrainProgress& p);
    void clear();
};

class TrainingPanel : public QWidget {
    Q_OBJECT
  public:
    using ConfigSource = std::function<tb::AppConfig()>;
    TrainingPanel(JobQueue* jobs, ConfigSource config, QWidget* parent = nullptr);

    const TrainingCurves& curves() const { return curves_; }
    bool running() const { return running_; }
    QCustomPlot* lossChart() const { return plots_[0]; }
    QVector<QCustomPlot*> charts() const { return plots_; }
    // Loads step/loss/eval_loss from a run's training_log.jsonl as a grey overlay.
    QString loadOverlay(const QString& logPath);

  public Q_SLOTS:
    void start();
    void togglePause();
    void cancel();
    // Called when the window closes: cancels (the trainer checkpoints) and returns true if a
    // job was running.
    bool cancelForShutdown();
    void onProgress(const tb::TrainProgress& p);
    void onFinished(const tb::TrainResult& r);
    void onFailed(const QString& message);

  Q_SIGNALS:
    void runFinished(const QString& adapterDir);

  private:
    void redraw();
    void setRunning(bool running);
    void log(const QString& line);

    JobQueue* jobs_;
    ConfigSource configSource_;
    TrainingCurves curves_;
    std::shared_ptr<tb::CancelToken> cancel_;
    std::shared_ptr<tb::PauseToken> pause_;
    bool running_ = false;
    bool dirty_ = false;
    QVector<QCustomPlot*> plots_;
    QPushButton* startButton_;
    QPushButton* pauseButton_;
    QPushButton* cancelButton_;
    QCheckBox* logScale_;
    QProgressBar* progress_;
    QLabel* eta_;
    QLabel* phase_;
    QPlainTextEdit* log_;
    QTimer* redrawTimer_;
};

}  // namespace tbui
