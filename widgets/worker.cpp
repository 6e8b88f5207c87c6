#include "widgets/worker.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QMetaObject>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/data/stats.h"
#include "core/infer/inference.h"
#include "core/infer/model_export.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/rank_launcher.h"
#include "widgets/qstring_of.h"

namespace tbui {

namespace {
// Streaming text is coalesced to this interval on the worker side so that the GUI event queue
// carries ~25 events per second, not one per token.
constexpr qint64 kChunkIntervalMs = 30;

}  // namespace

void registerWorkerMetaTypes() {
    qRegisterMetaType<tbui::DemoJob>();
    qRegisterMetaType<tbui::DatasetJob>();
    qRegisterMetaType<tbui::TrainJob>();
    qRegisterMetaType<tbui::CompareJob>();
    qRegisterMetaType<tbui::GenChunk>();
    qRegisterMetaType<tbui::GenColumnDone>();
    qRegisterMetaType<tbui::ChatJob>();
    qRegisterMetaType<tbui::ChatChunk>();
    qRegisterMetaType<tbui::ChatColumnDone>();
    qRegisterMetaType<std::shared_ptr<tbui::DatasetBundle>>();
    qRegisterMetaType<tb::demo::DemoProgress>();
    qRegisterMetaType<tb::demo::DemoResult>();
    qRegisterMetaType<tb::TrainProgress>();
    qRegisterMetaType<tb::TrainResult>();
    qRegisterMetaType<tbui::ExportJob>();
    qRegisterMetaType<tbui::EvalJob>();
    qRegisterMetaType<tbui::ExportResult>();
    qRegisterMetaType<tb::eval::EvalProgress>();
    qRegisterMetaType<tb::eval::EvaluationResult>();
}

// Every slot body runs inside this guard: a bug in core must reach the user as a message, not
// take the process down with an exception escaping the event loop. jobDone is always emitted.
void Worker::guarded(const std::function<void()>& body) {
    try {
        body();
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Internal error: %1").arg(QString::fromUtf8(e.what())));
    } catch (...) {
        Q_EMIT failed(tr("Internal error (unknown exception)"));
    }
    Q_EMIT jobDone();
}

void Worker::runDemo(tbui::DemoJob job) {
    guarded([&] {
        tb::demo::DemoParams p = job.params;
        p.cancel = job.cancel.get();
        p.on_progress = [this](const tb::demo::DemoProgress& pr) { Q_EMIT demoProgress(pr); };
        auto r = tb::demo::create_demo_workspace(p);
        if (!r.ok()) {
            Q_EMIT failed(q(r.error().message));
        } else {
            Q_EMIT demoFinished(r.value());
        }
    });
}

void Worker::runDataset(tbui::DatasetJob job) {
    guarded([&] {
        job.read.skip_bad_rows = true;
        auto ds = tb::load_dataset(job.path, job.read);
        if (!ds.ok()) {
            Q_EMIT failed(q(ds.error().message));
        } else {
            auto bundle = std::make_shared<DatasetBundle>();
            bundle->dataset = std::move(ds.value());
            auto split = tb::split_dataset(bundle->dataset.examples, job.split);
            if (!split.ok()) {
                Q_EMIT failed(q(split.error().message));
            } else {
                bundle->split = std::move(split.value());
                bundle->split_of_row.assign(bundle->dataset.examples.size(), 0);
                for (size_t i : bundle->split.val) bundle->split_of_row[i] = 1;
                for (size_t i : bundle->split.test) bundle->split_of_row[i] = 2;
                bundle->stats = tb::compute_stats(bundle->dataset.examples, bundle->split);
                Q_EMIT datasetLoaded(bundle);
            }
        }
    });
}

namespace {
// tunebench-cli, which runs the ranks of a multi-rank training (TUNEBENCH_CLI, else beside
// this program: installed bin/, or the build tree's app/cli).
std::string cliPath() {
    const QString env = qEnvironmentVariable("TUNEBENCH_CLI");
    if (!env.isEmpty()) return env.toStdString();
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString& c : {dir + "/tunebench-cli", dir + "/../cli/tunebench-cli",
                             dir + "/../../app/cli/tunebench-cli"})
        if (QFileInfo(c).isExecutable()) return QFileInfo(c).canonicalFilePath().toStdString();
    return "tunebench-cli";
}
}  // namespace

void Worker::runTraining(tbui::TrainJob job) {
    guarded([&] {
        auto report = [this](const tb::TrainProgress& p) { Q_EMIT trainProgress(p); };
        // training.nproc_per_node > 1: N rank processes, their progress merged (no pause).
        auto r = job.params.nproc_per_node > 1
                     ? tb::run_training_ranks(job.params, cliPath(), report, *job.cancel)
                     : tb::run_training(job.params, report, *job.cancel, job.pause.get());
        if (!r.ok()) {
            Q_EMIT failed(q(r.error().message));
        } else {
            Q_EMIT trainFinished(r.value());
        }
    });
}

void Worker::runCompare(tbui::CompareJob job) {
    guarded([&] {
        // Generation is the inference core's (core/infer/inference.h): it loads the base
        // weights once, applies each adapter to its own requests without merging, encodes the
        // prompt (the chat template when the model has one) and owns the EOS/stop/pad rule. The
        // worker fills its parameters and coalesces the token stream into chunks for the GUI.
        tb::infer::EngineParams ep;
        ep.engine = job.engine;
        ep.quant = job.quant;
        ep.model_dir = job.model_dir;
        ep.tokenizer = job.model_dir;
        ep.device = job.device;
        ep.dtype = job.dtype;
        ep.max_batch = 1;
        ep.cancel = job.cancel.get();
        // Stopped before or while loading: no column ran, nothing failed.
        auto engine = tb::infer::InferenceEngine::load(ep);
        if (!engine.ok()) {
            if (!job.cancel->cancelled()) Q_EMIT failed(q(engine.error().message));
            Q_EMIT compareFinished();
            return;
        }
        tb::infer::Request req;
        if (!(*engine)->tokenizer()->chat_template().empty()) {
            req.messages = {{"user", job.prompt}};
        } else {
            req.prompt_text = job.prompt;
        }
        req.max_new_tokens = job.max_new_tokens;
        req.sampling.greedy = job.sampling.greedy;
        req.sampling.temperature = job.sampling.temperature;
        req.sampling.top_k = job.sampling.top_k;
        req.sampling.top_p = job.sampling.top_p;
        req.sampling.repetition_penalty = job.sampling.repetition_penalty;
        req.sampling.seed = job.sampling.seed;
        const int columns = 1 + static_cast<int>(job.adapter_dirs.size());
        for (int col = 0; col < columns && !job.cancel->cancelled(); ++col) {
            req.adapter.clear();
            if (col > 0) {
                req.adapter = "column " + std::to_string(col);
                tb::Status st = (*engine)->load_adapter(req.adapter, job.adapter_dirs[col - 1]);
                if (!st.ok()) {
                    Q_EMIT failed(q(st.error().message));
                    continue;
                }
            }
            std::string buffered;
            QElapsedTimer since_emit;
            since_emit.start();
            tb::infer::GenerateOptions go;
            go.cancel = job.cancel.get();
            go.on_token = [&](const tb::infer::TokenEvent& ev) {
                buffered += ev.text;
                if (!buffered.empty() && since_emit.elapsed() >= kChunkIntervalMs) {
                    Q_EMIT genChunk(GenChunk{col, QString::fromStdString(buffered)});
                    buffered.clear();
                    since_emit.restart();
                }
            };
            auto gen = (*engine)->generate({req}, go);
            if (!buffered.empty()) Q_EMIT genChunk(GenChunk{col, QString::fromStdString(buffered)});
            if (!gen.ok()) {
                Q_EMIT failed(q(gen.error().message));
                break;
            }
            const tb::infer::Completion& c = gen.value().front();
            GenColumnDone done;
            done.column = col;
            done.tokens = static_cast<int64_t>(c.ids.size());
            done.seconds = c.end_seconds;
            done.finish_reason = q(c.finish_reason);
            Q_EMIT genColumnDone(done);
        }
        Q_EMIT compareFinished();
    });
}

void Worker::runExport(tbui::ExportJob job) {
    guarded([&] {
        namespace fs = std::filesystem;
        const fs::path run(job.run_dir);
        ExportResult result;
        result.dest = q(job.dest_dir);
        result.merged = job.merged;
        tb::Status st;
        std::error_code ec;
        if (!job.merged) {
            Q_EMIT exportProgress(tr("copying the adapter"));
            st = tb::copy_model_folder((run / "adapter").string(), job.dest_dir);
        } else if (fs::exists(run / "merged_model" / "config.json", ec)) {
            Q_EMIT exportProgress(tr("copying the merged model"));
            st = tb::copy_model_folder((run / "merged_model").string(), job.dest_dir);
        } else {
            // The base model the run was trained on, as training_stats.json records it.
            std::string base = job.base_model_dir;
            auto stats = tb::read_file((run / "training_stats.json").string());
            if (stats.ok()) {
                auto j = nlohmann::json::parse(stats.value(), nullptr, false);
                if (j.is_object() && j.value("model", std::string()) != "" &&
                    fs::is_directory(j.value("model", std::string()), ec))
                    base = j.value("model", std::string());
            }
            if (base.empty()) {
                Q_EMIT failed(tr("%1: no base model to merge the adapter into").arg(q(run)));
                return;
            }
            result.computed = true;
            st = tb::merge_adapter_into_folder(
                base, (run / "adapter").string(), job.dest_dir, [this](const std::string& s) {
                    if (s == "loading") Q_EMIT exportProgress(tr("loading the base model"));
                    if (s == "merging") Q_EMIT exportProgress(tr("merging the adapter"));
                    if (s == "saving") Q_EMIT exportProgress(tr("saving the merged model"));
                });
        }
        if (!st.ok()) {
            Q_EMIT failed(q(st.error().message));
        } else {
            Q_EMIT exportFinished(result);
        }
    });
}

void Worker::runEvaluation(tbui::EvalJob job) {
    guarded([&] {
        tb::eval::EvaluationParams p = job.params;
        p.cancel = job.cancel.get();
        p.on_progress = [this](const tb::eval::EvalProgress& e) { Q_EMIT evalProgress(e); };
        auto r = tb::eval::run_evaluation(p);
        if (!r.ok()) {
            Q_EMIT failed(q(r.error().message));
        } else {
            Q_EMIT evalFinished(r.value());
        }
    });
}

// ---------------------------------------------------------------------------------------------

JobQueue::JobQueue(QObject* parent) : QObject(parent) {
    registerWorkerMetaTypes();
    worker_ = new Worker;
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(worker_, &Worker::jobDone, this, [this] {
        current_.clear();
        currentKind_ = JobKind::None;
        startNext();
    });
    thread_.setObjectName("tunebench-worker");
    thread_.start();
}

JobQueue::~JobQueue() { shutdown(); }

void JobQueue::shutdown() {
    pending_.clear();
    if (thread_.isRunning()) {
        thread_.quit();
        thread_.wait();
    }
}

QStringList JobQueue::pending() const {
    QStringList names;
    for (const auto& p : pending_) names << p.name;
    return names;
}

void JobQueue::clearPending() {
    pending_.clear();
    Q_EMIT queueChanged();
}

void JobQueue::enqueue(const QString& name, JobKind kind, std::function<void()> start) {
    pending_.push_back(Pending{name, kind, std::move(start)});
    if (current_.isEmpty()) {
        startNext();
    } else {
        Q_EMIT queueChanged();
    }
}

void JobQueue::startNext() {
    if (pending_.empty()) {
        Q_EMIT queueChanged();
        return;
    }
    auto next = std::move(pending_.front());
    pending_.pop_front();
    current_ = next.name;
    currentKind_ = next.kind;
    // The engine a chat keeps between turns holds the model's memory: free it (queued, so
    // before the job) when anything else runs.
    if (next.kind != JobKind::Chat)
        QMetaObject::invokeMethod(worker_, "releaseChatEngine", Qt::QueuedConnection);
    next.start();
    Q_EMIT queueChanged();
}

void JobQueue::submitDemo(const DemoJob& job) {
    enqueue(tr("Create demo workspace"), JobKind::Demo, [this, job] {
        QMetaObject::invokeMethod(worker_, "runDemo", Qt::QueuedConnection,
                                  Q_ARG(tbui::DemoJob, job));
    });
}

void JobQueue::submitDataset(const DatasetJob& job) {
    enqueue(tr("Load dataset"), JobKind::Dataset, [this, job] {
        QMetaObject::invokeMethod(worker_, "runDataset", Qt::QueuedConnection,
                                  Q_ARG(tbui::DatasetJob, job));
    });
}

void JobQueue::submitTraining(const TrainJob& job) {
    enqueue(tr("Training"), JobKind::Training, [this, job] {
        QMetaObject::invokeMethod(worker_, "runTraining", Qt::QueuedConnection,
                                  Q_ARG(tbui::TrainJob, job));
    });
}

void JobQueue::submitCompare(const CompareJob& job) {
    enqueue(tr("Compare generations"), JobKind::Compare, [this, job] {
        QMetaObject::invokeMethod(worker_, "runCompare", Qt::QueuedConnection,
                                  Q_ARG(tbui::CompareJob, job));
    });
}

void JobQueue::submitExport(const ExportJob& job) {
    enqueue(job.merged ? tr("Export merged model") : tr("Export adapter"), JobKind::Export,
            [this, job] {
                QMetaObject::invokeMethod(worker_, "runExport", Qt::QueuedConnection,
                                          Q_ARG(tbui::ExportJob, job));
            });
}

void JobQueue::submitEvaluation(const EvalJob& job) {
    enqueue(tr("Evaluation"), JobKind::Evaluation, [this, job] {
        QMetaObject::invokeMethod(worker_, "runEvaluation", Qt::QueuedConnection,
                                  Q_ARG(tbui::EvalJob, job));
    });
}

}  // namespace tbui
