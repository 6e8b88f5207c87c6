// Token-level perplexity of a model (with or without a LoRA adapter applied) on dataset rows,
// rendered and tokenized exactly as for training (core/train/batching.h: same prompt template,
// same bos/eos handling, same truncation, loss on response tokens unless data.loss_on is
// "all").
//
// Definition (HF causal-LM loss): logits at position t predict the label at t + 1; the loss is
// the mean negative log-likelihood over every label that is not -100. Perplexity over a split
// is exp(total NLL / total loss tokens), i.e. exp(HF loss) as if the whole split were one
// batch; it is NOT the mean of per-batch or per-row perplexities (those weight short rows more).
// Log-probabilities are computed from fp32 logits (HF upcasts logits before the loss).
//
// Independent of batch composition: every row is its own forward pass (no padding), its
// per-position NLLs are summed in fp64 left to right, and the split total is summed in fp64
// in item order. A row's perplexity is therefore the same bits whichever rows are scored with
// it and whatever batch_size is (the evaluation and a direct computation agree exactly, on
// any CPU). The price is no batching of the forward passes; perplexity is one forward per
// row (no generation), so this costs little next to the evaluation's generation.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/data/example.h"
#include "core/infer/llama_model.h"
#include "core/metrics/resampling.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/batching.h"

namespace tb::eval {

struct PerplexityOptions {
    TokenizeOptions tokenize;             // max_length, prompt template, loss on response only
    int64_t batch_size = 8;               // rows scored between cancel checks, >= 1
    const CancelToken* cancel = nullptr;  // checked every batch_size rows
    // Called after every batch_size rows with rows done and rows total.
    std::function<void(int64_t done, int64_t total)> on_progress;
};

struct PerplexityResult {
    double perplexity = 0;  // exp(nll_sum / loss_tokens)
    double mean_nll = 0;    // nll_sum / loss_tokens (= HF loss over the split)
    double nll_sum = 0;
    int64_t loss_tokens = 0;
    // Per requested row, in the order of `indices` (rows dropped for having no label token
    // after truncation have 0 tokens and NaN perplexity).
    std::vector<double> item_nll;
    std::vector<int64_t> item_tokens;
    size_t truncated = 0;
    size_t dropped = 0;
    bool cancelled = false;  // stopped early: the numbers cover the finished batches only
};

// Perplexity of `model` on examples[indices[i]]. Errors: tokenization (names the row), empty
// selection, no loss token at all.
Result<PerplexityResult> compute_perplexity(const LlamaModel& model, const Tokenizer& tok,
                                            const std::vector<Example>& examples,
                                            const std::vector<size_t>& indices,
                                            const PerplexityOptions& options);

// Perplexity as an additive metric for the resampling statistics: rows (nll, tokens),
// finalised as exp(sum nll / sum tokens), over the rows that kept a loss token (dropped rows
// are left out, so its items are those with item_tokens > 0, in order).
metrics::AdditiveMetric perplexity_metric(const PerplexityResult& r);

// The same rows finalised as the token-mean NLL (log perplexity). Paired tests between two
// models use this scale: "equal perplexity" is the same hypothesis, but the resampled
// statistic is not skewed by exp, which on the ppl scale loses nearly all power on small
// samples (a 1764 -> 9 drop over 17 items tested at p ~ 0.2).
metrics::AdditiveMetric log_perplexity_metric(metrics::AdditiveMetric ppl_metric);

}  // namespace tb::eval
