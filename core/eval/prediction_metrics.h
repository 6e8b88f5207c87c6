// Scoring given predictions against references with any of the text metrics (BLEU, ROUGE, chrF,
// chrF++, TER: core/metrics) and BERTScore (core/bertscore, when this tree builds it): the one
// core entry point of `tunebench-cli metrics` and of evaluate's scoring step, so both apply the
// same metric names, options and result layout.
#pragma once

#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/metrics/text_metrics.h"

namespace tb::eval {

// bert_score 0.3.x's score() arguments that tunebench exposes (see core/bertscore/bertscore.h).
struct BertScoreSettings {
    std::string model_dir;   // HF encoder folder (config.json, model.safetensors, vocabulary)
    std::string model_name;  // name for bert_score's default-layer table; empty: folder name
    int num_layers = -1;     // hidden state to use; -1: bert_score's model2layers default
    bool idf = false;
    bool rescale_with_baseline = false;
    std::string baseline_path;  // bert_score baseline file (CSV "LAYER,P,R,F"), for rescaling
    int batch_size = 64;        // bert_score's default; it changes padding, hence the scores
    std::string device = "cpu";
};

struct PredictionMetricsOptions {
    metrics::TextMetricsOptions text{false, false, false, false, false, false};
    bool bertscore = false;
    BertScoreSettings bertscore_settings;
};

// The metric names of `tunebench-cli metrics --metrics` and evaluate: bleu, rouge (rouge1/2/L/
// Lsum), chrf, chrfpp, ter, bertscore (precision, recall and F1). "rouge_l" is accepted for
// rouge (the config's name). Error naming the unknown name and listing the known ones.
Status select_prediction_metric(const std::string& name, PredictionMetricsOptions* options);
extern const char* const kPredictionMetricNames;  // "bleu, rouge, chrf, chrfpp, ter, bertscore"

// Whether this build can compute BERTScore (core/bertscore built with libtorch).
bool bertscore_available();

// Scores predictions[i] against references[i] (one or more references each). Results come in
// the order bleu, rouge1, rouge2, rougeL, rougeLsum, chrf, chrfpp, ter, bertscore_precision,
// bertscore_recall, bertscore_f1 (selected ones only). The BERTScore results hold the package's
// per-item P/R/F; their value is the mean, their additive form mean_metric. Errors: size
// mismatch, an item without reference, a BERTScore failure (unreadable folder, layer, baseline)
// or BERTScore selected in a build without it.
Result<std::vector<metrics::MetricResult>> score_predictions(
    const std::vector<std::string>& predictions,
    const std::vector<std::vector<std::string>>& references,
    const PredictionMetricsOptions& options);

}  // namespace tb::eval
