// The export dialog's worker job (Worker::runModelExport, widgets/worker_model_export.cpp): the
// core's export params (core/gguf/export.h: merged HF folder, GGUF, GGUF LoRA adapter) and
// what comes back. Plain data with metatype declarations, as widgets/worker_types.h.
#pragma once

#include <QMetaType>
#include <QString>
#include <memory>

#include "core/common/cancel_token.h"
#include "core/gguf/export.h"

namespace tbui {

struct ModelExportJob {
    qint64 id = 0;  // echoed in the signals: the dialog that queued it knows its own
    // cancel and on_progress are filled in by the worker (from `cancel` below).
    tb::gguf::ExportParams params;
    std::shared_ptr<tb::CancelToken> cancel = std::make_shared<tb::CancelToken>();
};

// run_export's latest progress (the worker sends at most one per ~30 ms, and every stage
// change).
struct ModelExportProgress {
    qint64 id = 0;
    tb::gguf::ExportProgress progress;
};

struct ModelExportOutcome {
    qint64 id = 0;
    bool cancelled = false;
    QString error;                  // the core's message ("" on success or cancel)
    tb::gguf::ExportResult result;  // files written, `ollama create` line, notes
};

}  // namespace tbui

Q_DECLARE_METATYPE(tbui::ModelExportJob)
Q_DECLARE_METATYPE(tbui::ModelExportProgress)
Q_DECLARE_METATYPE(tbui::ModelExportOutcome)
