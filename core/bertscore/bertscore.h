// BERTScore exactly as the bert_score package 0.3.x computes it (score() with all_layers=False),
// for BERT and RoBERTa encoders in Hugging Face folders.
//
// Steps (mirroring bert_score/score.py and utils.py):
//   * sent_encode: strip() the sentence (Python whitespace); "" -> [CLS, SEP]; otherwise
//     [CLS] + ids[:max_len-2] + [SEP] (RoBERTa/GPT-2 tokenization with add_prefix_space=True);
//   * reference groups are flattened (candidate repeated per reference); idf (if on) is
//     log((M+1)/(df+1)) over the M flattened references (unseen tokens: log(M+1)); without idf
//     every token weighs 1 except CLS/SEP (0);
//   * embeddings = hidden state `num_layers` (0 = embedding output), per unique sentence;
//   * greedy_cos_idf per batch of `batch_size` pairs: L2-normalised embeddings, similarity with
//     padding zeroed (so padded positions take part in the max with value 0, as in the package),
//     CLS/SEP stay match candidates but get weight 0; P/R = idf-weighted means of the row/column
//     maxima, F = 2PR/(P+R); encodings of length 2 (empty sentence) set P = R = 0; NaN F -> 0;
//   * per candidate, the element-wise max of (P, R, F) over its references;
//   * optional rescaling (x - b) / (1 - b) with row `num_layers` of a baseline CSV
//     ("LAYER,P,R,F" header, bert_score's rescale_baseline/*.tsv layout).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/bertscore/sentence_encoder.h"
#include "core/common/error.h"

namespace tb::bertscore {

struct BertScoreOptions {
    // HF folder: config.json, model.safetensors and either vocab.json + merges.txt (RoBERTa) or
    // vocab.txt (BERT); optional tokenizer_config.json (model_max_length, do_lower_case).
    std::string model_dir;
    // Name used to look up the default layer in bert_score's model2layers table (e.g.
    // "roberta-large" -> 17). Empty: the folder's base name.
    std::string model_name;
    // Hidden state to use (0 = embeddings). -1: model2layers default for model_name.
    int num_layers = -1;
    bool idf = false;
    bool rescale_with_baseline = false;
    std::string baseline_path;   // required when rescale_with_baseline
    int batch_size = 64;         // bert_score's default; affects padding, hence results
    std::string device = "cpu";  // torch device string, e.g. "cuda:0"
};

struct BertScoreResult {
    std::vector<double> precision, recall, f1;  // per candidate
    double precision_mean = 0, recall_mean = 0, f1_mean = 0;
    int num_layers = 0;  // the layer actually used
};

// bert_score's model2layers default for a model name, or -1 if the name is not in the table
// (only BERT/RoBERTa-family entries, the architectures this module loads).
int default_num_layers(const std::string& model_name);

// Scores `cands[i]` against `refs[i]` (one or more references each). Errors: size mismatch, an
// empty reference group, unreadable folder/baseline, layer out of range.
Result<BertScoreResult> bert_score(const std::vector<std::string>& cands,
                                   const std::vector<std::vector<std::string>>& refs,
                                   const BertScoreOptions& options);

}  // namespace tb::bertscore
