// One call that scores predictions against references with the selected text metrics and hands
// back, per metric, the corpus value, the per-item values and the additive form used by the
// resampling statistics (bootstrap CI, paired tests, per-category breakdown). Shared by the
// `metrics` and `evaluate` commands.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/metrics/bleu.h"
#include "core/metrics/resampling.h"

namespace tb::metrics {

struct TextMetricsOptions {
    bool bleu = true;                // corpus BLEU + sentence BLEU per item (sacrebleu defaults)
    bool rouge = true;               // rouge1, rouge2, rougeL, rougeLsum F per item (rouge-score)
    bool rouge_use_stemmer = false;  // rouge-score use_stemmer (HF evaluate default: off)
    bool chrf = false;               // corpus chrF + sentence chrF per item (sacrebleu CHRF())
    bool chrfpp = false;             // chrF++ (sacrebleu CHRF(word_order=2))
    bool ter = false;  // corpus TER + sentence TER per item (sacrebleu TER(); lower is better)
};

struct MetricResult {
    // "bleu", "rouge1", "rouge2", "rougeL", "rougeLsum", "chrf", "chrfpp" or "ter"
    std::string name;
    // corpus BLEU / chrF / chrF++ / TER (0-100, from summed statistics as sacrebleu) or the mean
    // of the per-item ROUGE F (0-1)
    double value = 0.0;
    std::vector<double> per_item;           // sentence-level score (0-100) or ROUGE F per item
    AdditiveMetric additive;                // value == additive.value(); feed to resampling.h
    std::optional<BleuScore> bleu_details;  // counts, totals, bp, ... for "bleu"
};

// `references[i]` holds one or more references for item i (multi-reference: BLEU, chrF and TER
// use them as sacrebleu does, ROUGE takes the best reference per type as rouge-score's
// score_multi). Results come in the order bleu, rouge1, rouge2, rougeL, rougeLsum, chrf, chrfpp,
// ter (selected ones only).
// Error (naming the item) when sizes differ or an item has no reference.
Result<std::vector<MetricResult>> score_texts(
    const std::vector<std::string>& predictions,
    const std::vector<std::vector<std::string>>& references,
    const TextMetricsOptions& options = {});

}  // namespace tb::metrics
