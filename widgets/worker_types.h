// Plain structs the worker's queued slots and signals carry (see worker.h), with their
// metatype declarations. Kept apart from worker.h so that every panel header naming one of
// these types in a slot sees Q_DECLARE_METATYPE before moc's code instantiates it.
#pragma once

#include <QMetaType>
#include <QString>
#include <memory>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/data/dataset_reader.h"
#include "core/data/split.h"
#include "core/data/stats.h"
#include "core/demo/demo_workspace.h"
#include "core/eval/evaluation.h"
#include "core/infer/sampling_params.h"
#include "core/train/trainer.h"

namespace tbui {

// ---- job parameter structs (plain data; tokens are shared with the caller) ----

struct DemoJob {
    tb::demo::DemoParams params;  // on_progress/cancel are filled in by the worker
    std::shared_ptr<tb::CancelToken> cancel = std::make_shared<tb::CancelToken>();
};

struct DatasetJob {
    std::string path;
    tb::ReadOptions read;  // skip_bad_rows is forced on: the browser lists bad rows
    tb::SplitOptions split;
};

// Everything the dataset browser shows, computed off the GUI thread.
struct DatasetBundle {
    tb::Dataset dataset;
    tb::DatasetSplit split;
    std::vector<int> split_of_row;  // 0 train, 1 val, 2 test, per example
    tb::DatasetStats stats;
};

struct TrainJob {
    tb::TrainParams params;
    std::shared_ptr<tb::CancelToken> cancel = std::make_shared<tb::CancelToken>();
    std::shared_ptr<tb::PauseToken> pause = std::make_shared<tb::PauseToken>();
};

// One prompt sent to the base model and to every adapter, one after the other, with the same
// sampling settings and seed (each column restarts the sampler from `sampling.seed`), through
// one inference engine: the base weights load once, each adapter applies to its own column.
struct CompareJob {
    std::string model_dir;
    std::vector<std::string> adapter_dirs;  // column 0 is the base model, then these
    std::string prompt;                     // user message (chat template applied if any)
    int64_t max_new_tokens = 128;
    tb::SamplingParams sampling;
    // Inference engine (core/infer/engine_choice.h) and where it runs; the worker only fills
    // the core's parameters. graph needs CUDA: the panel asks for "auto" there.
    std::string engine = "eager";
    std::string quant = "q8_0";  // the quant engine's weight format (inference.quant)
    std::string device = "cpu";
    std::string dtype = "fp32";
    std::shared_ptr<tb::CancelToken> cancel = std::make_shared<tb::CancelToken>();
};

// One user turn of a chat playground conversation (widgets/chat_panel.h), answered by the
// base model (column 0) and every adapter through core/infer/chat.h. The worker keeps the
// loaded engine (and its adapters) between turns while model, engine, device and dtype stay
// the same; any other job releases it first.
struct ChatJob {
    std::string model_dir;
    std::vector<std::string> adapter_dirs;  // column k > 0 is adapter_dirs[k - 1]
    int64_t turn = 0;                       // echoed in the signals
    std::string system_prompt;
    std::vector<std::string> user_turns;            // the last one is answered
    std::vector<std::vector<std::string>> replies;  // [column][turn < last]
    int64_t max_new_tokens = 256;
    tb::SamplingParams sampling;
    std::string engine = "eager";
    std::string quant = "q8_0";  // the quant engine's weight format (inference.quant)
    std::string device = "cpu";
    std::string dtype = "fp32";
    std::shared_ptr<tb::CancelToken> cancel = std::make_shared<tb::CancelToken>();
};

// Exports a finished training run into an empty (or new) folder: the PEFT adapter folder, or
// the merged model, copied from the run's merged_model/ when there is one, else computed from
// the base model (training_stats.json's "model", else `base_model_dir`) and the adapter.
struct ExportJob {
    std::string run_dir;
    std::string dest_dir;
    bool merged = false;
    std::string base_model_dir;
};

// An evaluation run (core/eval): on_progress and cancel are filled in by the worker.
struct EvalJob {
    tb::eval::EvaluationParams params;
    std::shared_ptr<tb::CancelToken> cancel = std::make_shared<tb::CancelToken>();
};

// ---- progress / result structs carried by queued signals ----

struct ExportResult {
    QString dest;
    bool merged = false;
    bool computed = false;  // the merge was computed (the run had no merged_model/)
};

struct GenChunk {
    int column = 0;
    QString text;  // new text since the previous chunk of this column
};

struct GenColumnDone {
    int column = 0;
    int64_t tokens = 0;
    double seconds = 0.0;  // decode time including prefill
    QString finish_reason;
};

struct ChatChunk {
    int64_t turn = 0;
    int column = 0;
    QString text;  // new text since the previous chunk of this column
};

struct ChatColumnDone {
    int64_t turn = 0;
    int column = 0;
    QString text;  // the whole reply as the core decoded it
    int64_t tokens = 0;
    double seconds = 0.0;
    QString finish_reason;
    int64_t dropped_turns = 0;  // oldest turns left out to fit the context
};

void registerWorkerMetaTypes();

}  // namespace tbui

Q_DECLARE_METATYPE(tbui::DemoJob)
Q_DECLARE_METATYPE(tbui::DatasetJob)
Q_DECLARE_METATYPE(tbui::TrainJob)
Q_DECLARE_METATYPE(tbui::CompareJob)
Q_DECLARE_METATYPE(tbui::ExportJob)
Q_DECLARE_METATYPE(tbui::EvalJob)
Q_DECLARE_METATYPE(tbui::ExportResult)
Q_DECLARE_METATYPE(tb::eval::EvalProgress)
Q_DECLARE_METATYPE(tb::eval::EvaluationResult)
Q_DECLARE_METATYPE(tbui::GenChunk)
Q_DECLARE_METATYPE(tbui::GenColumnDone)
Q_DECLARE_METATYPE(tbui::ChatJob)
Q_DECLARE_METATYPE(tbui::ChatChunk)
Q_DECLARE_METATYPE(tbui::ChatColumnDone)
Q_DECLARE_METATYPE(std::shared_ptr<tbui::DatasetBundle>)
Q_DECLARE_METATYPE(tb::demo::DemoProgress)
Q_DECLARE_METATYPE(tb::demo::DemoResult)
Q_DECLARE_METATYPE(tb::TrainProgress)
Q_DECLARE_METATYPE(tb::TrainResult)
