// Running an evaluation: generate test-split responses for each model (the base model and/or
// LoRA adapters), record them in the experiment store batch by batch, then score them (BLEU,
// ROUGE, perplexity; BERTScore when the build has it) with bootstrap confidence intervals,
// paired significance tests against the base model and a per-category breakdown.
//
// Resumability: every finished batch of generations is committed to the store in one
// transaction before the next batch starts. Running again with the same eval id generates only
// the items missing for each model, so a crash (or Ctrl-C) loses at most the batch in flight.
// Greedy decoding makes the resumed outputs the same as an uninterrupted run's, and since the
// pending items are batched in the same order and batch size, the batches are too.
//
// Generation goes through the inference core (core/infer/inference.h): one engine holds the
// base weights for the whole evaluation and each adapter is applied to its own requests
// without merging; the core's EOS/pad rule ends every answer. Perplexity is scoring, not
// generation: it runs after the engine is released, on the model loaded the training way.
//
// Prompts are rendered exactly as for training (core/train/batching.h): the chat template of
// the conversation without its final answer with add_generation_prompt=true (or the Alpaca
// instruction prompt), bos added when the tokenizer adds one. Outputs are decoded with
// skip_special_tokens=true and stripped of surrounding whitespace (as the study's script did
// with .strip()) before scoring.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/config/app_config.h"
#include "core/metrics/resampling.h"
#include "core/store/store.h"

namespace tb::eval {

struct EvalProgress {
    std::string stage;  // "generate", "perplexity", "score"
    std::string model;  // model label
    int64_t done = 0;   // items (or rows) finished in this stage for this model
    int64_t total = 0;
};

struct EvaluationParams {
    AppConfig config;  // model folder, data + split, eval.max_new_tokens / batch_size / limit
    // "base" (the config's model as is) or an adapter folder; the label stored for each model
    // is the string given here. At most one "base"; p-values are computed against it.
    std::vector<std::string> models = {"base"};
    // Any of "bleu", "rouge", "chrf", "chrfpp", "ter", "ppl", "bertscore" ("rouge_l" is accepted
    // for "rouge"; bertscore stores precision, recall and F1). Empty: config.eval.metrics.
    std::vector<std::string> metrics;
    std::string bertscore_model;  // empty: config.eval.bertscore_model
    int bertscore_layers = -1;  // hidden layer for BERTScore; -1: bert_score's table by model name
    int64_t limit = -2;         // test items; -1 all; -2: config.eval.limit
    std::string device;         // empty: config.model.device ("auto": CUDA when available)
    std::string dtype;          // empty: config.model.dtype
    // Inference engine generating the answers (core/infer/engine_choice.h): eager, graph or
    // quant; empty: config.inference.engine. Checked against this build before any work.
    std::string engine;
    // The quant engine's weight format (q8_0 | nf4); empty: config.inference.quant.
    std::string quant;
    std::string store_path;                 // SQLite experiment store (created when absent)
    int64_t resume_eval_id = 0;             // > 0: continue this evaluation run
    metrics::BootstrapOptions bootstrap;    // CI and paired test resamples / seed
    std::string paired_test = "bootstrap";  // "bootstrap" | "permutation"
    const CancelToken* cancel = nullptr;
    std::function<void(const EvalProgress&)> on_progress;
};

struct EvaluationResult {
    int64_t eval_id = 0;
    std::vector<std::string> models;
    std::vector<std::string> metrics;  // stored metric names, in table order
    size_t items = 0;                  // test items evaluated per model
    int64_t generated_now = 0;         // generations produced by this call (not resumed ones)
    // Overall rows (category == nullopt) first, model by model, then the per-category rows.
    std::vector<store::MetricAggregateRow> aggregates;
    bool cancelled = false;  // stopped early; finished batches are in the store, no scores
};

Result<EvaluationResult> run_evaluation(const EvaluationParams& params);

// The first `n` prompts of the config's test split (the split training made), as ids the way
// evaluate feeds them to the model: training's rendering through the model folder's tokenizer.
// For `bench infer --config`, so that a benchmark measures the prompts a user evaluates.
// Errors name the file, line or key (no model folder, unreadable data, empty test split).
Result<std::vector<std::vector<int64_t>>> test_split_prompt_ids(const AppConfig& cfg, int64_t n);

}  // namespace tb::eval
