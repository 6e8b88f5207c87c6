#include "core/model/model_config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"

namespace tb {

namespace {

using nlohmann::json;

// "string \"abc\"", "number 2.5", "array of 3 elements" for messages. Containers are never
// dumped: dump() recurses, and a hostile file can nest arrays a million levels deep.
std::string describe(const json& j) {
    if (j.is_array()) return "array of " + std::to_string(j.size()) + " elements";
    if (j.is_object()) return "object";
    std::string v = j.dump();
    if (v.size() > 40) v = v.substr(0, 37) + "...";
    return std::string(j.type_name()) + " " + v;
}

// Typed, validated access to one JSON object; every error reads "<path>: <prefix><key>: ...".
class Fields {
  public:
    Fields(const json& obj, std::string path, std::string prefix = "")
        : obj_(obj), path_(std::move(path)), prefix_(std::move(prefix)) {}

    Error err(const std::string& key, const std::string& problem) const {
        return make_error(path_, prefix_ + key + ": " + problem);
    }
    // nullptr when the key is absent or null (HF treats both as "use the default").
    const json* get(const std::string& key) const {
        auto it = obj_.find(key);
        if (it == obj_.end() || it->is_null()) return nullptr;
        return &*it;
    }
    bool has(const std::string& key) const { return obj_.contains(key); }
    bool is_explicit_null(const std::string& key) const {
        auto it = obj_.find(key);
        return it != obj_.end() && it->is_null();
    }

    // Integer field; floats such as 2.0 are rejected (transformers' strict configs do too).
    Status integer(const std::string& key, int64_t* out, bool required, int64_t min) const {
        const json* j = get(key);
        if (!j)
            return required
                       ? Status(err(key, is_explicit_null(key) ? "must not be null" : "missing"))
                       : Status::Ok();
        if (!j->is_number_integer()) return err(key, "expected an integer, got " + describe(*j));
        if (j->is_number_unsigned() &&
            j->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return err(key, "integer out of range");
        const int64_t v = j->get<int64_t>();
        if (v < min)
            return err(
                key, min == 1 ? "must be positive, got " + std::to_string(v)
                              : "must be >= " + std::to_string(min) + ", got " + std::to_string(v));
        *out = v;
        return Status::Ok();
    }
    Status number(const std::string& key, double* out, bool required) const {
        const json* j = get(key);
        if (!j)
            return required
                       ? Status(err(key, is_explicit_null(key) ? "must not be null" : "missing"))
                       : Status::Ok();
        if (!j->is_number()) return err(key, "expected a number, got " + describe(*j));
        const double v = j->get<double>();
        if (!std::isfinite(v)) return err(key, "must be finite");
        *out = v;
        return Status::Ok();
    }
    Status positive_number(const std::string& key, double* out, bool required) const {
        double v = *out;
        TB_TRY_STATUS(number(key, &v, required));
        if (get(key) && !(v > 0)) return err(key, "must be positive, got " + get(key)->dump());
        *out = v;
        return Status::Ok();
    }
    Status boolean(const std::string& key, bool* out) const {
        const json* j = get(key);
        if (!j) return Status::Ok();
        if (!j->is_boolean()) return err(key, "expected true or false, got " + describe(*j));
        *out = j->get<bool>();
        return Status::Ok();
    }
    Status string(const std::string& key, std::string* out, bool required) const {
        const json* j = get(key);
        if (!j)
            return required
                       ? Status(err(key, is_explicit_null(key) ? "must not be null" : "missing"))
                       : Status::Ok();
        if (!j->is_string()) return err(key, "expected a string, got " + describe(*j));
        *out = j->get<std::string>();
        return Status::Ok();
    }
    // Token id: absent -> keep *out (the default), null -> none, int >= 0 -> id.
    Status token_id(const std::string& key, std::optional<int64_t>* out) const {
        if (!has(key)) return Status::Ok();
        if (is_explicit_null(key)) {
            out->reset();
            return Status::Ok();
        }
        int64_t v = 0;
        TB_TRY_STATUS(integer(key, &v, true, 0));
        *out = v;
        return Status::Ok();
    }
    // pad_token_id: like token_id, but a negative id (old Llama configs write -1) means none.
    Status pad_id(const std::string& key, std::optional<int64_t>* out) const {
        const json* j = get(key);
        if (j && j->is_number_integer() && !j->is_number_unsigned() && j->get<int64_t>() < 0) {
            out->reset();
            return Status::Ok();
        }
        return token_id(key, out);
    }
    // eos_token_id: int or list of ints (>= 0); null -> empty; absent -> keep *out.
    Status token_ids(const std::string& key, std::vector<int64_t>* out) const {
        if (!has(key)) return Status::Ok();
        const json* j = get(key);
        if (!j) {
            out->clear();
            return Status::Ok();
        }
        std::vector<int64_t> ids;
        if (j->is_array()) {
            for (size_t i = 0; i < j->size(); ++i) {
                const json& e = (*j)[i];
                if (!e.is_number_integer() || (!e.is_number_unsigned() && e.get<int64_t>() < 0) ||
                    (e.is_number_unsigned() &&
                     e.get<uint64_t>() >
                         static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
                    return err(key, "element " + std::to_string(i) +
                                        ": expected a non-negative integer, got " + describe(e));
                ids.push_back(e.get<int64_t>());
            }
        } else if (j->is_number_integer()) {
            int64_t v = 0;
            TB_TRY_STATUS(integer(key, &v, true, 0));
            ids.push_back(v);
        } else {
            return err(key, "expected an integer or a list of integers, got " + describe(*j));
        }
        *out = std::move(ids);
        return Status::Ok();
    }

  private:
    const json& obj_;
    std::string path_;
    std::string prefix_;
};

Result<json> parse_object(const std::string& text, const std::string& path) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        return make_error(path, std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) return make_error(path, "expected a JSON object at the top level");
    return j;
}

// rope_scaling / rope_parameters -> cfg.rope_scaling and cfg.rope_theta.
Status parse_rope(const json& root, const Fields& top, const std::string& path, LlamaConfig* cfg) {
    // Top-level rope_theta is the fallback when the dict has none.
    TB_TRY_STATUS(top.positive_number("rope_theta", &cfg->rope_theta, false));

    double prf = 1.0;
    TB_TRY_STATUS(top.positive_number("partial_rotary_factor", &prf, false));
    if (prf != 1.0) return top.err("partial_rotary_factor", "only 1.0 is supported for Llama");

    // transformers 5: `rope_parameters = rope_scaling or rope_parameters`.
    std::string key;
    for (const char* k : {"rope_scaling", "rope_parameters"}) {
        auto it = root.find(k);
        if (it == root.end() || it->is_null()) continue;
        if (!it->is_object()) return top.err(k, "expected an object or null, got " + describe(*it));
        if (it->empty()) continue;
        key = k;
        break;
    }
    if (key.empty()) return Status::Ok();  // default RoPE
    const json& rope = root.at(key);
    Fields f(rope, path, key + ".");
    for (auto it = rope.begin(); it != rope.end(); ++it) {
        if (it.value().is_object())
            return f.err(it.key(), "per-layer-type RoPE parameters are not supported for Llama");
    }

    TB_TRY_STATUS(f.positive_number("rope_theta", &cfg->rope_theta, false));
    double dict_prf = 1.0;
    TB_TRY_STATUS(f.positive_number("partial_rotary_factor", &dict_prf, false));
    if (dict_prf != 1.0) return f.err("partial_rotary_factor", "only 1.0 is supported for Llama");

    std::string type = "default";
    const char* type_key = f.get("rope_type") ? "rope_type" : "type";
    TB_TRY_STATUS(f.string(type_key, &type, false));
    RopeScaling rs;
    if (type == "default") {
        cfg->rope_scaling = rs;
        return Status::Ok();
    }
    if (type != "llama3")
        return f.err(type_key, "unsupported RoPE type '" + type + "' (supported: default, llama3)");
    rs.type = "llama3";
    TB_TRY_STATUS(f.positive_number("factor", &rs.factor, true));
    TB_TRY_STATUS(f.positive_number("low_freq_factor", &rs.low_freq_factor, true));
    TB_TRY_STATUS(f.positive_number("high_freq_factor", &rs.high_freq_factor, true));
    if (!(rs.high_freq_factor > rs.low_freq_factor))
        return f.err("high_freq_factor", "must be greater than low_freq_factor");
    // transformers 5's standardize_rope_params fills it from max_position_embeddings.
    rs.original_max_position_embeddings = cfg->max_position_embeddings;
    TB_TRY_STATUS(f.integer("original_max_position_embeddings",
                            &rs.original_max_position_embeddings, false, 1));
    cfg->rope_scaling = rs;
    return Status::Ok();
}

}  // namespace

Result<LlamaConfig> parse_llama_config(const std::string& json_text, const std::string& path) {
    TB_ASSIGN_OR_RETURN(json root, parse_object(json_text, path));
    Fields f(root, path);
    LlamaConfig c;

    TB_TRY_STATUS(f.string("model_type", &c.model_type, true));
    const bool mistral = c.model_type == "mistral";
    if (c.model_type != "llama" && !mistral)
        return f.err("model_type",
                     "unsupported '" + c.model_type + "' (supported: llama, mistral)");
    if (mistral && f.get("sliding_window"))
        return f.err("sliding_window",
                     "sliding-window attention is not supported (must be null or absent)");

    TB_TRY_STATUS(f.integer("vocab_size", &c.vocab_size, true, 1));
    TB_TRY_STATUS(f.integer("hidden_size", &c.hidden_size, true, 1));
    TB_TRY_STATUS(f.integer("intermediate_size", &c.intermediate_size, true, 1));
    TB_TRY_STATUS(f.integer("num_hidden_layers", &c.num_hidden_layers, true, 1));
    TB_TRY_STATUS(f.integer("num_attention_heads", &c.num_attention_heads, true, 1));
    c.num_key_value_heads = c.num_attention_heads;
    TB_TRY_STATUS(f.integer("num_key_value_heads", &c.num_key_value_heads, false, 1));
    if (c.num_attention_heads % c.num_key_value_heads != 0)
        return f.err("num_key_value_heads", std::to_string(c.num_key_value_heads) +
                                                " does not divide num_attention_heads " +
                                                std::to_string(c.num_attention_heads));
    if (f.get("head_dim")) {
        TB_TRY_STATUS(f.integer("head_dim", &c.head_dim, true, 1));
    } else {
        if (c.hidden_size % c.num_attention_heads != 0)
            return f.err("num_attention_heads",
                         std::to_string(c.num_attention_heads) + " does not divide hidden_size " +
                             std::to_string(c.hidden_size) + " (and no head_dim is given)");
        c.head_dim = c.hidden_size / c.num_attention_heads;
    }
    if (c.head_dim % 2 != 0)
        return f.err("head_dim",
                     std::to_string(c.head_dim) + " must be even for rotary embeddings");

    TB_TRY_STATUS(f.positive_number("rms_norm_eps", &c.rms_norm_eps, false));
    if (mistral) c.max_position_embeddings = 4096 * 32;
    TB_TRY_STATUS(f.integer("max_position_embeddings", &c.max_position_embeddings, false, 1));
    TB_TRY_STATUS(f.boolean("tie_word_embeddings", &c.tie_word_embeddings));
    TB_TRY_STATUS(f.boolean("attention_bias", &c.attention_bias));
    TB_TRY_STATUS(f.boolean("mlp_bias", &c.mlp_bias));
    if (mistral) c.attention_bias = c.mlp_bias = false;  // MistralForCausalLM has no biases
    TB_TRY_STATUS(f.string("hidden_act", &c.hidden_act, false));
    if (c.hidden_act != "silu")
        return f.err("hidden_act", "unsupported '" + c.hidden_act + "' (only silu)");

    c.bos_token_id = 1;  // LlamaConfig / MistralConfig defaults
    c.eos_token_ids = {2};
    TB_TRY_STATUS(f.token_id("bos_token_id", &c.bos_token_id));
    TB_TRY_STATUS(f.token_ids("eos_token_id", &c.eos_token_ids));
    TB_TRY_STATUS(f.pad_id("pad_token_id", &c.pad_token_id));

    const char* dtype_key = f.get("dtype") ? "dtype" : "torch_dtype";
    TB_TRY_STATUS(f.string(dtype_key, &c.dtype, false));
    if (c.dtype != "float32" && c.dtype != "float16" && c.dtype != "bfloat16")
        return f.err(dtype_key,
                     "unsupported '" + c.dtype + "' (expected float32, float16 or bfloat16)");

    TB_TRY_STATUS(parse_rope(root, f, path, &c));
    return c;
}

Result<LlamaConfig> load_llama_config(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    return parse_llama_config(text, path);
}

Result<GenerationDefaults> parse_generation_defaults(const std::string& json_text,
                                                     const std::string& path) {
    TB_ASSIGN_OR_RETURN(json root, parse_object(json_text, path));
    Fields f(root, path);
    GenerationDefaults g;
    TB_TRY_STATUS(f.token_id("bos_token_id", &g.bos_token_id));
    TB_TRY_STATUS(f.token_ids("eos_token_id", &g.eos_token_ids));
    TB_TRY_STATUS(f.pad_id("pad_token_id", &g.pad_token_id));
    if (f.get("do_sample")) {
        bool b = false;
        TB_TRY_STATUS(f.boolean("do_sample", &b));
        g.do_sample = b;
    }
    if (f.get("temperature")) {
        double t = 0;
        TB_TRY_STATUS(f.number("temperature", &t, true));
        if (t < 0) return f.err("temperature", "must be >= 0, got " + f.get("temperature")->dump());
        g.temperature = t;
    }
    if (f.get("top_k")) {
        int64_t k = 0;
        TB_TRY_STATUS(f.integer("top_k", &k, true, 0));
        g.top_k = k;
    }
    if (f.get("top_p")) {
        double p = 0;
        TB_TRY_STATUS(f.number("top_p", &p, true));
        if (p < 0 || p > 1)
            return f.err("top_p", "must be in [0, 1], got " + f.get("top_p")->dump());
        g.top_p = p;
    }
    if (f.get("repetition_penalty")) {
        double r = 0;
        TB_TRY_STATUS(f.positive_number("repetition_penalty", &r, true));
        g.repetition_penalty = r;
    }
    if (f.get("max_new_tokens")) {
        int64_t n = 0;
        TB_TRY_STATUS(f.integer("max_new_tokens", &n, true, 1));
        g.max_new_tokens = n;
    }
    if (f.get("max_length")) {
        int64_t n = 0;
        TB_TRY_STATUS(f.integer("max_length", &n, true, 1));
        g.max_length = n;
    }
    return g;
}

Result<GenerationDefaults> load_generation_defaults(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return GenerationDefaults{};
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    return parse_generation_defaults(text, path);
}

namespace {
json token_ids_json(const std::vector<int64_t>& ids) {
    if (ids.empty()) return nullptr;
    if (ids.size() == 1) return ids[0];
    return ids;
}
json opt_json(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }
}  // namespace

std::string llama_config_to_json(const LlamaConfig& c) {
    const bool mistral = c.model_type == "mistral";
    json j;
    j["architectures"] = json::array({mistral ? "MistralForCausalLM" : "LlamaForCausalLM"});
    j["model_type"] = c.model_type;
    j["vocab_size"] = c.vocab_size;
    j["hidden_size"] = c.hidden_size;
    j["intermediate_size"] = c.intermediate_size;
    j["num_hidden_layers"] = c.num_hidden_layers;
    j["num_attention_heads"] = c.num_attention_heads;
    j["num_key_value_heads"] = c.num_key_value_heads;
    j["head_dim"] = c.head_dim;
    j["hidden_act"] = c.hidden_act;
    j["rms_norm_eps"] = c.rms_norm_eps;
    j["max_position_embeddings"] = c.max_position_embeddings;
    j["tie_word_embeddings"] = c.tie_word_embeddings;
    if (!mistral) {
        j["attention_bias"] = c.attention_bias;
        j["mlp_bias"] = c.mlp_bias;
        j["pretraining_tp"] = 1;
    } else {
        j["sliding_window"] = nullptr;
    }
    j["attention_dropout"] = 0.0;
    j["initializer_range"] = 0.02;
    j["use_cache"] = true;
    j["bos_token_id"] = opt_json(c.bos_token_id);
    j["eos_token_id"] = token_ids_json(c.eos_token_ids);
    j["pad_token_id"] = opt_json(c.pad_token_id);
    j["dtype"] = c.dtype;
    j["torch_dtype"] = c.dtype;

    json rope = {{"rope_theta", c.rope_theta}, {"rope_type", c.rope_scaling.type}};
    if (c.rope_scaling.type == "llama3") {
        rope["factor"] = c.rope_scaling.factor;
        rope["low_freq_factor"] = c.rope_scaling.low_freq_factor;
        rope["high_freq_factor"] = c.rope_scaling.high_freq_factor;
        rope["original_max_position_embeddings"] = c.rope_scaling.original_max_position_embeddings;
        j["rope_scaling"] = rope;  // transformers 4 reads this spelling
    } else {
        j["rope_scaling"] = nullptr;
    }
    j["rope_parameters"] = rope;
    j["rope_theta"] = c.rope_theta;
    return j.dump(2) + "\n";
}

std::string generation_defaults_to_json(const GenerationDefaults& g) {
    json j = json::object();
    if (g.bos_token_id) j["bos_token_id"] = *g.bos_token_id;
    if (!g.eos_token_ids.empty()) j["eos_token_id"] = token_ids_json(g.eos_token_ids);
    if (g.pad_token_id) j["pad_token_id"] = *g.pad_token_id;
    if (g.do_sample) j["do_sample"] = *g.do_sample;
    if (g.temperature) j["temperature"] = *g.temperature;
    if (g.top_k) j["top_k"] = *g.top_k;
    if (g.top_p) j["top_p"] = *g.top_p;
    if (g.repetition_penalty) j["repetition_penalty"] = *g.repetition_penalty;
    if (g.max_new_tokens) j["max_new_tokens"] = *g.max_new_tokens;
    if (g.max_length) j["max_length"] = *g.max_length;
    return j.dump(2) + "\n";
}

}  // namespace tb
