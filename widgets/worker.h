// Background worker: a thin QObject adapter that runs core jobs on its own QThread.
//
// Why this shape: core functions are blocking, callback-driven and Qt-free. The worker turns
// their callbacks into queued signals carrying plain structs, so the GUI thread never blocks
// and never touches a tensor. Cancellation and pause go through tb::CancelToken /
// tb::PauseToken owned by the caller (shared_ptr in the job struct): a queued "cancel" slot
// would only run after the job it should stop. JobQueue (GUI thread) runs one job at a time
// and exposes the names of the pending ones for the status bar.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>
#include <deque>
#include <functional>

#include "widgets/benchmark_job.h"
#include "widgets/model_export_job.h"
#include "widgets/worker_types.h"

namespace tbui {

class Worker : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;

  public Q_SLOTS:
    void runDemo(tbui::DemoJob job);
    void runDataset(tbui::DatasetJob job);
    void runTraining(tbui::TrainJob job);
    void runCompare(tbui::CompareJob job);
    void runExport(tbui::ExportJob job);
    void runEvaluation(tbui::EvalJob job);
    void runInferBench(tbui::InferBenchJob job);  // widgets/worker_benchmark.cpp
    void runChat(tbui::ChatJob job);              // widgets/worker_chat.cpp
    // widgets/worker_model_export.cpp
    void runModelExport(tbui::ModelExportJob job);
    // Frees the engine kept between chat turns (JobQueue queues it before any other job).
    void releaseChatEngine();

  private:
    void guarded(const std::function<void()>& body);
    struct ChatEngine;  // worker_chat.cpp; shared_ptr: complete only there
    std::shared_ptr<ChatEngine> chatEngine_;

  Q_SIGNALS:
    void demoProgress(tb::demo::DemoProgress p);
    void demoFinished(tb::demo::DemoResult r);
    void datasetLoaded(std::shared_ptr<tbui::DatasetBundle> bundle);
    void trainProgress(tb::TrainProgress p);
    void trainFinished(tb::TrainResult r);
    void genChunk(tbui::GenChunk c);
    void genColumnDone(tbui::GenColumnDone d);
    void compareFinished();
    void exportProgress(QString stage);
    void exportFinished(tbui::ExportResult r);
    void evalProgress(tb::eval::EvalProgress p);
    void evalFinished(tb::eval::EvaluationResult r);
    void inferBenchProgress(tbui::InferBenchProgress p);
    void inferBenchFinished(tbui::InferBenchOutcome r);
    void chatChunk(tbui::ChatChunk c);
    void chatColumnDone(tbui::ChatColumnDone d);
    void chatFinished(qint64 turn);  // after every chat job, also when it failed
    void modelExportProgress(tbui::ModelExportProgress p);
    // After every model export job that ran (errors and cancels included; an exception in
    // core reaches `failed` instead).
    void modelExportFinished(tbui::ModelExportOutcome r);
    void failed(QString message);
    // Emitted after every job, success or not (JobQueue starts the next one).
    void jobDone();
};

// Export: a training run's adapter or merged folder; ModelExport: the export dialog's job.
enum class JobKind {
    None,
    Demo,
    Dataset,
    Training,
    Compare,
    Export,
    Evaluation,
    InferBench,
    Chat,
    ModelExport
};

// Owns the worker thread; GUI-thread side of the queue.
class JobQueue : public QObject {
    Q_OBJECT
  public:
    explicit JobQueue(QObject* parent = nullptr);
    ~JobQueue() override;

    Worker* worker() const { return worker_; }

    void submitDemo(const DemoJob& job);
    void submitDataset(const DatasetJob& job);
    void submitTraining(const TrainJob& job);
    void submitCompare(const CompareJob& job);
    void submitExport(const ExportJob& job);
    void submitEvaluation(const EvalJob& job);
    void submitInferBench(const InferBenchJob& job);  // widgets/worker_benchmark.cpp
    void submitChat(const ChatJob& job);              // widgets/worker_chat.cpp
    // widgets/worker_model_export.cpp
    void submitModelExport(const ModelExportJob& job);

    bool busy() const { return !current_.isEmpty(); }
    QString current() const { return current_; }
    JobKind currentKind() const { return currentKind_; }
    QStringList pending() const;
    // Drops jobs that have not started yet.
    void clearPending();
    // Blocks until the running job has returned (used only when the window closes, after the
    // caller cancelled it), then stops the thread.
    void shutdown();

  Q_SIGNALS:
    void queueChanged();  // current job or pending list changed

  private:
    struct Pending {
        QString name;
        JobKind kind;
        std::function<void()> start;
    };
    void enqueue(const QString& name, JobKind kind, std::function<void()> start);
    void startNext();

    QThread thread_;
    Worker* worker_ = nullptr;
    QString current_;
    JobKind currentKind_ = JobKind::None;
    std::deque<Pending> pending_;
};

}  // namespace tbui
