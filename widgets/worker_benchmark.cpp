// The benchmark panel's worker job: a thin adapter over core/infer's `bench infer`
// (run_infer_bench) and where its result is kept (infer_bench_record.h: the JSON file and the
// store rows the CLI writes too). Kept apart from worker.cpp so that the jobs of different
// panels live in different files.
#include <QMetaObject>

#include "core/infer/infer_bench_record.h"
#include "core/store/store.h"
#include "widgets/qstring_of.h"
#include "widgets/worker.h"

namespace tbui {

void Worker::runInferBench(tbui::InferBenchJob job) {
    guarded([&] {
        tb::infer::InferBenchParams p = job.params;
        p.cancel = job.cancel.get();
        InferBenchProgress progress;
        progress.batchesTotal = static_cast<int>(p.engines.size() * p.batch_sizes.size());
        p.on_progress = [this, &progress](const std::string& line) {
            // The core says "batch <b>: ..." once per engine and batch size, after its timed
            // runs: the count drives the progress bar; the line itself is the status text.
            if (line.rfind("batch ", 0) == 0) ++progress.batchesDone;
            progress.line = q(line);
            Q_EMIT inferBenchProgress(progress);
        };
        auto r = tb::infer::run_infer_bench(p);
        InferBenchOutcome out;
        if (!r.ok()) {
            if (job.cancel->cancelled()) {
                out.cancelled = true;
                Q_EMIT inferBenchFinished(out);
            } else {
                Q_EMIT failed(q(r.error().message));
            }
            return;
        }
        out.result = std::move(r.value());
        QStringList errors;
        if (!job.json_path.empty()) {
            tb::Status st = tb::infer::write_infer_bench_json(out.result, job.json_path);
            if (st.ok())
                out.jsonPath = q(job.json_path);
            else
                errors << q(st.error().message);
        }
        if (!job.store_path.empty()) {
            // The worker's own connection (WAL: the panel's reader is not blocked).
            auto store = tb::store::Store::open(job.store_path);
            if (!store.ok()) {
                errors << q(store.error().message);
            } else {
                auto rec = tb::infer::record_infer_bench(
                    *store.value(), out.result, job.model_label, out.jsonPath.toStdString());
                if (rec.ok()) {
                    out.runId = rec.value().run_id;
                    out.storeRows = static_cast<int>(rec.value().row_ids.size());
                } else {
                    errors << q(rec.error().message);
                }
            }
        }
        out.saveErrors = errors.join("; ");
        Q_EMIT inferBenchFinished(out);
    });
}

void JobQueue::submitInferBench(const InferBenchJob& job) {
    // Registered here rather than in registerWorkerMetaTypes (worker.cpp): queued signals and
    // invokeMethod need the types before the first job; registering again is a no-op.
    qRegisterMetaType<tbui::InferBenchJob>();
    qRegisterMetaType<tbui::InferBenchProgress>();
    qRegisterMetaType<tbui::InferBenchOutcome>();
    enqueue(tr("Inference benchmark"), JobKind::InferBench, [this, job] {
        QMetaObject::invokeMethod(worker_, "runInferBench", Qt::QueuedConnection,
                                  Q_ARG(tbui::InferBenchJob, job));
    });
}

}  // namespace tbui
