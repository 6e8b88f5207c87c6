// The run configuration (configs/*.yaml): model, LoRA, quantisation, training, data,
// evaluation and inference settings, with validation that names file, line and key.
//
// Torch-free on purpose: the GUI form, the CLI and the data tools read it without libtorch.
// Choice-valued settings are kept as validated strings (not enums) so that the YAML text, the
// schema shown by the GUI and the struct all use the same spelling.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb {

struct ModelSection {
    // Hugging Face id or local model folder (relative paths resolve against the config's folder).
    std::string name = "TinyLlama/TinyLlama-1.1B-Chat-v1.0";
    int64_t max_length = 512;     // tokens per training sequence; longer rows are truncated
    std::string dtype = "auto";   // auto|float32|bfloat16|float16 (auto: bf16 on CUDA, fp32 CPU)
    std::string device = "auto";  // auto|cpu|cuda|cuda:N
};

struct LoraSection {
    int64_t r = 16;         // rank, >= 1
    double alpha = 32.0;    // scaling numerator: scale = alpha / r (alpha / sqrt(r) rsLoRA)
    double dropout = 0.05;  // dropout on the LoRA input, in [0, 1)
    std::vector<std::string> target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
    bool use_rslora = false;       // rank-stabilised scaling alpha / sqrt(r)
    bool use_dora = false;         // weight-decomposed LoRA (magnitude vector per output)
    std::string init = "default";  // default (PEFT: Kaiming-uniform A, zero B) | gaussian
};

struct QuantSection {
    bool load_in_4bit = false;       // QLoRA: frozen base linears stored as NF4
    std::string quant_type = "nf4";  // nf4 (the QLoRA paper's 4-bit NormalFloat)
    bool double_quant = true;        // quantise the absmax values again (8-bit, block 256)
    int64_t blocksize = 64;          // weights per absmax block, power of two
    std::string compute_dtype =
        "auto";  // auto|float32|bfloat16|float16 (auto: bf16 CUDA, fp32 CPU)
};

struct TrainingSection {
    int64_t epochs = 3;                       // passes over the train split, >= 1
    int64_t batch_size = 4;                   // sequences per micro-batch, >= 1
    double learning_rate = 2e-4;              // peak learning rate, in (0, 1]
    int64_t gradient_accumulation_steps = 4;  // micro-batches per optimizer step, >= 1
    std::string optimizer = "adamw";          // adamw|adamw_8bit|paged_adamw_8bit
    double weight_decay = 0.0;                // decoupled (AdamW) weight decay, >= 0
    double max_grad_norm = 1.0;               // clip total grad norm; 0 disables clipping
    std::string lr_scheduler = "linear";      // constant|linear|cosine (after warmup)
    int64_t warmup_steps = 0;                 // linear warmup steps; wins over warmup_ratio
    double warmup_ratio = 0.0;                // warmup as a fraction of total steps, in [0, 1)
    int64_t seed = 42;                        // LoRA init, dropout and data order, >= 0
    std::string backend = "reference";        // reference (plain autograd) | fused (hand-written)
    bool gradient_checkpointing = false;      // recompute decoder layers in backward
    bool cuda_graphs = false;            // fused on CUDA: each micro-batch padded to batch_size x
                                         // max_length and replayed as one recorded CUDA graph
    bool bf16 = false;                   // bf16 autocast (CUDA only; ignored on CPU)
    int64_t nproc_per_node = 1;          // data-parallel ranks on this machine (GPUs on CUDA,
                                         // Gloo processes on CPU); global batch = this x batch_size
    int64_t eval_steps = 200;            // validation loss every N steps; 0: end of epoch
    int64_t save_steps = 500;            // checkpoint every N steps; 0: end of epoch
    int64_t logging_steps = 10;          // log record every N steps, >= 1
    int64_t max_steps = -1;              // stop after N optimizer steps; -1: from epochs
    std::string output_dir = "outputs";  // runs go to <output_dir>/<backend>/<timestamp>/
};

struct DataSection {
    std::string path = "";         // dataset file (relative: against the config's folder)
    std::string format = "dolly";  // dolly|alpaca|chat|sharegpt|csv
    std::string instruction_column = "instruction";  // csv: column holding the instruction
    std::string context_column = "context";          // csv: optional column (absent: empty)
    std::string response_column = "response";        // csv: column holding the response
    std::string category_column = "category";        // csv: optional column (absent: empty)
    double train_ratio = 0.90;                       // split ratios, each in [0, 1], summing to 1
    double val_ratio = 0.05;                         // validation split (eval loss during training)
    double test_ratio = 0.05;                        // test split (generation metrics)
    int64_t split_seed = 42;                         // seed of the split's shuffle, >= 0
    bool stratify = false;                           // keep category proportions in every split
    std::string prompt_template = "chat";  // chat (model's chat template) | instruction (Alpaca)
    std::string loss_on = "response";      // response (prompt tokens masked) | all
    bool packing = false;                  // concatenate short rows up to max_length
    bool skip_bad_rows = false;            // skip and report bad rows instead of failing
};

struct EvalSection {
    std::vector<std::string> metrics = {"bleu", "rouge_l", "bertscore"};  // also chrf, chrfpp, ter
    int64_t max_new_tokens = 256;                   // generation length per test prompt, >= 1
    int64_t limit = -1;                             // test rows evaluated; -1: the whole test split
    int64_t batch_size = 8;                         // prompts generated together, >= 1
    std::string bertscore_model = "roberta-large";  // model folder / HF id for BERTScore
};

// Generation settings shared by evaluate, the GUI's compare panel and bench infer.
struct InferenceSection {
    // eager | graph | quant (core/infer/engine_choice.h). The spelling is checked here; whether
    // this build and machine can run it is checked by the front end before loading weights.
    std::string engine = "eager";
    // Weight format of the quant engine (core/infer/inference.h EngineParams::quant): q8_0 |
    // nf4. Read only when engine is quant.
    std::string quant = "q8_0";
};

struct AppConfig {
    ModelSection model;
    LoraSection lora;
    QuantSection quant;
    TrainingSection training;
    DataSection data;
    EvalSection eval;
    InferenceSection inference;
    // Folder of the file the config was loaded from ("" for text parsed without a path);
    // relative paths inside the config resolve against it. Not written by app_config_to_yaml.
    std::string base_dir;
};

// Reads and validates a YAML config. Missing keys keep their defaults. Errors are one line:
//   "<path>:<line>: <section>.<key>: <what>"  (unknown key with a suggestion, wrong type,
//   value out of range with the allowed range, YAML syntax errors with their line).
Result<AppConfig> load_app_config(const std::string& path);
// Same, from text; `path` is only used in messages and to set base_dir.
Result<AppConfig> parse_app_config(const std::string& yaml_text, const std::string& path);

// Range and cross-field checks (split ratios sum to 1, ...) for a config built or edited in
// code (e.g. by the GUI form). parse_app_config already runs them.
Status validate_app_config(const AppConfig& cfg);

// YAML text of every field (all sections, schema order). parse_app_config of the result gives
// back an equal config (base_dir aside).
std::string app_config_to_yaml(const AppConfig& cfg);

// `path` made absolute against `base_dir` unless it is empty or already absolute.
std::string resolve_path(const std::string& base_dir, const std::string& path);
// Same against the config's base_dir.
std::string resolve_path(const AppConfig& cfg, const std::string& path);
// model.name as a local folder when one exists there (relative to base_dir), else the name
// unchanged (a Hugging Face id).
std::string resolve_model_path(const AppConfig& cfg);

// ---------------------------------------------------------------------------------------------
// Schema: every field with type, default, range and description. The GUI hyperparameter form
// is generated from it; the loader, validator and writer use the same table.
// ---------------------------------------------------------------------------------------------
enum class ConfigFieldType { Integer, Number, Boolean, String, Choice, StringList };

// "integer", "number", "boolean", "string", "choice", "string_list".
const char* config_field_type_name(ConfigFieldType t);

struct ConfigFieldInfo {
    std::string key;      // "training.learning_rate"
    std::string section;  // "training"
    std::string name;     // "learning_rate"
    ConfigFieldType type = ConfigFieldType::String;
    std::string default_value;  // YAML text of the default: "0.0002", "true", "[q_proj, k_proj]"
    std::optional<double> min;  // Integer/Number bounds (absent: unbounded)
    bool min_exclusive = false;
    std::optional<double> max;
    bool max_exclusive = false;
    // A value allowed outside [min, max] with a special meaning (e.g. -1 = "no limit").
    std::optional<int64_t> sentinel;
    std::string sentinel_meaning;
    // Choice: the allowed values. StringList: the allowed items (empty = any string).
    std::vector<std::string> choices;
    std::string range;        // human-readable allowed values: ">= 1", "[0, 1)", "adamw, ..."
    std::string description;  // one line for tooltips and `--help`-style listings
};

std::vector<ConfigFieldInfo> config_schema();

// The field's current value as YAML text (same spelling as app_config_to_yaml).
Result<std::string> config_field_value(const AppConfig& cfg, const std::string& key);
// Parses `yaml_value` (e.g. "2e-4", "true", "[q_proj, v_proj]") with the same rules as the
// file loader and stores it. Cross-field rules are left to validate_app_config.
Status set_config_field(AppConfig& cfg, const std::string& key, const std::string& yaml_value);

}  // namespace tb
