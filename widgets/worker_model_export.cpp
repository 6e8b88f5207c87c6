// The export dialog's worker job: a thin adapter over core/gguf's run_export (the entry point
// behind `tunebench-cli export`). Progress is coalesced here so that a model with thousands of
// tensors sends the GUI a few dozen events per second, not one per tensor.
#include <QElapsedTimer>
#include <QMetaObject>

#include "widgets/worker.h"

namespace tbui {

namespace {
constexpr qint64 kProgressIntervalMs = 30;
}  // namespace

void Worker::runModelExport(tbui::ModelExportJob job) {
    guarded([&] {
        ModelExportOutcome out;
        out.id = job.id;
        // Cancelled while it waited in the queue: nothing to undo.
        if (job.cancel->cancelled()) {
            out.cancelled = true;
            Q_EMIT modelExportFinished(out);
            return;
        }
        tb::gguf::ExportParams p = job.params;
        p.cancel = job.cancel.get();
        QElapsedTimer sinceEmit;
        sinceEmit.start();
        std::string lastStage;
        p.on_progress = [&](const tb::gguf::ExportProgress& e) {
            // Every stage change and stage end goes out (the bar's steps), tensors in between
            // at most every kProgressIntervalMs.
            const bool edge = e.stage != lastStage || (e.total > 0 && e.done == e.total);
            if (!edge && sinceEmit.elapsed() < kProgressIntervalMs) return;
            lastStage = e.stage;
            sinceEmit.restart();
            Q_EMIT modelExportProgress(ModelExportProgress{job.id, e});
        };
        auto r = tb::gguf::run_export(p);
        if (!r.ok()) {
            // A step that failed because it was stopped is a cancel, not an error.
            out.cancelled = job.cancel->cancelled();
            if (!out.cancelled) out.error = QString::fromStdString(r.error().message);
        } else {
            out.cancelled = r.value().cancelled;
            out.result = std::move(r.value());
        }
        Q_EMIT modelExportFinished(out);
    });
}

void JobQueue::submitModelExport(const ModelExportJob& job) {
    // Registered here, as submitInferBench does: queued signals need the types before the
    // first job; registering again is a no-op.
    qRegisterMetaType<tbui::ModelExportJob>();
    qRegisterMetaType<tbui::ModelExportProgress>();
    qRegisterMetaType<tbui::ModelExportOutcome>();
    enqueue(tr("Export model"), JobKind::ModelExport, [this, job] {
        QMetaObject::invokeMethod(worker_, "runModelExport", Qt::QueuedConnection,
                                  Q_ARG(tbui::ModelExportJob, job));
    });
}

}  // namespace tbui
