// Hugging Face model-folder metadata for the Llama family: config.json and
// generation_config.json. Torch-free so that it can be fuzzed/sanitized cheaply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb {

// rope_scaling / rope_parameters. Only "default" (none) and "llama3" are supported; other
// types are rejected with an error naming the field.
struct RopeScaling {
    std::string type = "default";                     // "default" or "llama3"
    double factor = 1.0;                              // llama3: context extension factor
    double low_freq_factor = 1.0;                     // llama3
    double high_freq_factor = 4.0;                    // llama3
    int64_t original_max_position_embeddings = 8192;  // llama3
};

struct LlamaConfig {
    int64_t vocab_size = 0;
    int64_t hidden_size = 0;
    int64_t intermediate_size = 0;
    int64_t num_hidden_layers = 0;
    int64_t num_attention_heads = 0;
    int64_t num_key_value_heads = 0;  // = num_attention_heads when absent (no GQA)
    int64_t head_dim = 0;             // = hidden_size / num_attention_heads when absent
    double rms_norm_eps = 1e-6;
    double rope_theta = 10000.0;  // from rope_theta or rope_parameters.rope_theta
    RopeScaling rope_scaling;
    int64_t max_position_embeddings = 2048;
    bool tie_word_embeddings = false;
    bool attention_bias = false;  // q/k/v/o biases (rare in Llama, supported)
    bool mlp_bias = false;
    std::string hidden_act = "silu";  // only silu is accepted
    std::optional<int64_t> bos_token_id;
    std::vector<int64_t> eos_token_ids;  // config's eos_token_id, int or list
    std::optional<int64_t> pad_token_id;
    std::string dtype = "float32";  // torch_dtype / dtype: "float32" | "float16" | "bfloat16"
    std::string model_type = "llama";
};

// generation_config.json (all optional; absent file -> defaults).
struct GenerationDefaults {
    std::optional<int64_t> bos_token_id;
    std::vector<int64_t> eos_token_ids;
    std::optional<int64_t> pad_token_id;
    std::optional<bool> do_sample;
    std::optional<double> temperature;
    std::optional<int64_t> top_k;
    std::optional<double> top_p;
    std::optional<double> repetition_penalty;
    std::optional<int64_t> max_new_tokens;
    std::optional<int64_t> max_length;
};

// Parses and validates config.json (positive sizes, heads divide, known rope type,
// llama/mistral-compatible model_type). Errors name "<path>: <key>: ...".
//
// Accepted spellings, resolved the way transformers 5 does (configuration_utils /
// modeling_rope_utils `convert_rope_params_to_dict` + `standardize_rope_params`):
// - RoPE dict: `rope_scaling` when it is a non-empty object, else `rope_parameters`; type from
//   its "rope_type", else "type", else "default"; theta from its "rope_theta", else the
//   top-level "rope_theta", else 1e4. llama3 needs factor, low_freq_factor, high_freq_factor
//   (high > low); original_max_position_embeddings defaults to max_position_embeddings.
//   Other types (linear, dynamic, yarn, longrope, ...), per-layer-type dicts and
//   partial_rotary_factor != 1 are rejected.
// - dtype: "dtype" (transformers >= 4.56/5) else "torch_dtype"; absent/null -> "float32".
// - Absent keys take LlamaConfig's defaults: bos_token_id 1, eos_token_id 2 (explicit null ->
//   none), rms_norm_eps 1e-6, max_position_embeddings 2048 (mistral: 131072), no biases.
//   vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads and
//   model_type are required. A negative pad_token_id (old Llama configs write -1) means none.
// - model_type "mistral" is accepted only without sliding-window attention (sliding_window
//   absent or null); its attention/MLP biases are forced off as in MistralForCausalLM.
// - head_dim (absent/null -> hidden_size / num_attention_heads, which must then divide) must
//   be even; num_key_value_heads must divide num_attention_heads.
Result<LlamaConfig> parse_llama_config(const std::string& json_text, const std::string& path);
Result<LlamaConfig> load_llama_config(const std::string& path);

// Parses generation_config.json text; unknown keys are ignored, known ones type-checked
// (top_p in [0,1], temperature >= 0, repetition_penalty > 0, top_k >= 0, lengths > 0).
Result<GenerationDefaults> parse_generation_defaults(const std::string& json_text,
                                                     const std::string& path);
// Missing file is not an error (returns defaults); malformed JSON is.
Result<GenerationDefaults> load_generation_defaults(const std::string& path);

// Writes config.json in the spelling current transformers reads (both rope_theta and
// torch_dtype kept for older readers): sorted keys, 2-space indent like save_pretrained,
// "rope_parameters" plus the legacy "rope_scaling" (null for default RoPE), "dtype" plus
// "torch_dtype". parse_llama_config(llama_config_to_json(c)) == c for any valid c.
std::string llama_config_to_json(const LlamaConfig& cfg);

// generation_config.json with only the fields that are set.
std::string generation_defaults_to_json(const GenerationDefaults& gen);

}  // namespace tb
