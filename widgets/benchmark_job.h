// The benchmark panel's worker job (Worker::runInferBench, widgets/worker_benchmark.cpp): the
// core's `bench infer` params (core/infer/infer_bench.h) plus where the result is kept, and
// what comes back. Plain data with metatype declarations, as widgets/worker_types.h.
#pragma once

#include <QMetaType>
#include <QString>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/common/cancel_token.h"
#include "core/infer/infer_bench.h"

namespace tbui {

struct InferBenchJob {
    // cancel and on_progress are filled in by the worker (from `cancel` below).
    tb::infer::InferBenchParams params;
    std::string model_label;  // the store rows' model: the folder, or the shape's name
    std::string json_path;    // results/benchmarks/<...>.json; "" writes none
    std::string store_path;   // the workspace's store; "" records nothing
    std::shared_ptr<tb::CancelToken> cancel = std::make_shared<tb::CancelToken>();
};

// One progress line of run_infer_bench (its on_progress), with the timed batches done so far
// out of engines x batch sizes (counted from the core's "batch ..." lines).
struct InferBenchProgress {
    QString line;
    int batchesDone = 0;
    int batchesTotal = 0;
};

struct InferBenchOutcome {
    bool cancelled = false;
    nlohmann::json result;  // run_infer_bench's (null when cancelled)
    QString jsonPath;       // written ("" when none or when writing failed)
    qint64 runId = 0;       // the store's bench run (0: not recorded)
    int storeRows = 0;
    QString saveErrors;  // why the file or the store rows were not written ("" when both were)
};

}  // namespace tbui

Q_DECLARE_METATYPE(tbui::InferBenchJob)
Q_DECLARE_METATYPE(tbui::InferBenchProgress)
Q_DECLARE_METATYPE(tbui::InferBenchOutcome)
