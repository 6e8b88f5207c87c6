// What an evaluation measured on, recorded with the evaluation run, and the one rule that
// decides whether two evaluations may share a table or chart. Torch-free: the results panel
// and the CLI use it without libtorch.
//
// Why: two evaluations of the same models on different test items (another split seed, ratio,
// stratification or data file, another item limit) or with other generation settings (length
// cap, decoding, dtype) give numbers that look alike but measure different things: the issue
// had a GUI BLEU of 8.48 on 5 categories beside a CLI BLEU of 3.70 on 8, in the same store.
//
// Where it is stored: the evaluation run's config_yaml holds two YAML documents, the run's
// AppConfig first (parse_app_config reads only the first document, so the column still parses
// as the run's config) and then
//   evaluation:
//     version: 1
//     split: {seed, train_ratio, val_ratio, test_ratio, stratify, data_path, data_hash,
//             data_bytes, rows, format, test_items}
//     generation: {max_new_tokens, greedy, temperature, top_k, top_p, repetition_penalty,
//                  batch_size, limit, dtype, device, max_length, prompt_template, engine}
// No schema change: older evaluations (one document only) are read back as "not recorded"
// with what their config says, and never count as comparable, since their data file and item
// limit cannot be checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/config/app_config.h"
#include "core/store/store.h"

namespace tb::eval {

struct SplitFingerprint {
    int64_t seed = 0;
    double train_ratio = 0, val_ratio = 0, test_ratio = 0;
    bool stratify = false;
    std::string format;     // data.format (decides how rows are read)
    std::string data_path;  // resolved path, shown only (a moved file with the same bytes is fine)
    std::string data_hash;  // "fnv1a64:<16 hex digits>" over the file's bytes; "" = not recorded
    int64_t data_bytes = -1;  // file size; -1 = not recorded
    int64_t rows = -1;        // examples read from the file; -1 = not recorded
    int64_t test_items = -1;  // test items evaluated (after the limit); -1 = not recorded
};

struct GenerationFingerprint {
    int64_t max_new_tokens = 0;
    bool greedy = true;
    double temperature = 1.0;  // sampling parameters; compared only when greedy is false
    int64_t top_k = 0;
    double top_p = 1.0;
    double repetition_penalty = 1.0;
    int64_t batch_size = 0;  // prompts per generate call (noted, not deciding: see below)
    int64_t limit = -1;      // requested limit (-1: all); test_items is what it gave
    std::string dtype;       // resolved: float32 | bfloat16 | float16; "" = not recorded
    std::string device;      // resolved device type: cpu | cuda (noted, not deciding)
    int64_t max_length = 0;  // model.max_length: truncation of the perplexity rows
    std::string prompt_template;
    // Inference engine (eager | graph | quant). Evaluations recorded before engines existed
    // generated the eager way and read back as "eager". quant's weights differ from the
    // others' and decide; eager and graph run the same weights and math (rounding only, like
    // the device) and are noted.
    std::string engine = "eager";
    // The quant engine's weight format (q8_0 | nf4; "" for the other engines): other weights,
    // so it decides.
    std::string quant;
};

struct EvalFingerprint {
    int version = 1;
    // false: read back from an evaluation recorded before fingerprints (its AppConfig only);
    // the fields it could not know are left "not recorded".
    bool recorded = true;
    SplitFingerprint split;
    GenerationFingerprint generation;
};

// FNV-1a (64-bit) of the file's bytes as "fnv1a64:<hex>", and its size. Identity of the data,
// not security: a changed row changes the hash; nobody forges dataset files against us.
struct FileFingerprint {
    std::string hash;
    int64_t bytes = 0;
};
Result<FileFingerprint> fingerprint_file(const std::string& path);

// The split part from the config (seed, ratios, stratify, format, resolved data path); the
// caller fills data_hash, data_bytes, rows and test_items.
SplitFingerprint split_fingerprint_from_config(const AppConfig& cfg);

// The second YAML document (starting with "---") appended to the run's AppConfig YAML.
std::string eval_fingerprint_yaml(const EvalFingerprint& fp);
// `app_config_yaml` followed by the fingerprint document.
std::string eval_run_config_yaml(const std::string& app_config_yaml, const EvalFingerprint& fp);

// Reads a stored evaluation run's config_yaml back. With a fingerprint document: that
// document. Without (older runs): recorded = false, split seed/ratios/stratify/format and
// max_new_tokens/batch_size/max_length/prompt_template from the AppConfig, the rest not
// recorded. Error when the text is not YAML or its first document is not a run config.
Result<EvalFingerprint> eval_fingerprint_from_run_yaml(const std::string& config_yaml);

// Whether two evaluations measured the same thing.
//   differences: what makes them incomparable, one entry per field, e.g.
//                "split stratify: false vs true", "data file: not recorded for the first".
//                Deciding fields: split seed, ratios, stratify, data format, data hash, rows,
//                test items, max_new_tokens, decoding (greedy; sampling parameters when
//                sampling), dtype, max_length, prompt template.
//   notes:       differences that change numbers only by rounding (generation batch size,
//                device): reported, not blocking.
struct Comparability {
    bool comparable = true;
    std::vector<std::string> differences;
    std::vector<std::string> notes;
};
Comparability compare_evaluations(const EvalFingerprint& a, const EvalFingerprint& b);

// "split stratify: false vs true; max_new_tokens: 64 vs 256" (differences joined by "; ").
std::string describe_differences(const Comparability& c);

// The fingerprint of a stored evaluation run (eval_fingerprint_from_run_yaml of its
// config_yaml); an evaluation without readable settings gets an empty, unrecorded one, which
// compares as incomparable with everything.
EvalFingerprint stored_fingerprint(const store::RunRecord& run);

// Every other evaluation of the store that has results, compared with evaluation
// `reference_id` (which must exist). The results panel and the CLI both list these.
struct StoredComparison {
    int64_t eval_id = 0;
    std::string name;
    Comparability comparability;  // of this evaluation against the reference
};
Result<std::vector<StoredComparison>> compare_with_stored(const store::Store& db,
                                                          int64_t reference_id);

}  // namespace tb::eval
