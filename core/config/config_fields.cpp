#include "core/config/config_fields.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "core/config/yaml_values.h"

namespace tb::config_detail {

namespace {

// Number as people write it in messages ("0.05", "1", "2e-04").
std::string pretty(double v) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, ec == std::errc() ? ptr : buf);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
    return out;
}

// Builder for table entries: field(...).min(1).desc(...) reads like the schema it defines.
struct Def {
    FieldDef f;
    Def(const char* key, ConfigFieldType type) {
        f.info.key = key;
        std::string k = key;
        f.info.section = k.substr(0, k.find('.'));
        f.info.name = k.substr(k.find('.') + 1);
        f.info.type = type;
    }
    Def& min(double v, bool exclusive = false) {
        f.info.min = v;
        f.info.min_exclusive = exclusive;
        return *this;
    }
    Def& max(double v, bool exclusive = false) {
        f.info.max = v;
        f.info.max_exclusive = exclusive;
        return *this;
    }
    Def& choices(std::vector<std::string> c) {
        f.info.choices = std::move(c);
        return *this;
    }
    Def& sentinel(int64_t v, const char* meaning) {
        f.info.sentinel = v;
        f.info.sentinel_meaning = meaning;
        return *this;
    }
    Def& extra(ExtraCheck c, const char* range_text) {
        f.extra = c;
        f.info.range = range_text;
        return *this;
    }
    Def& alias(const char* from, const char* to) {
        f.aliases.emplace_back(from, to);
        return *this;
    }
    Def& nonempty() {
        f.list_nonempty = true;
        return *this;
    }
    Def& desc(const char* d) {
        f.info.description = d;
        return *this;
    }
};

Def int_field(const char* key, IntRef r) {
    Def d(key, ConfigFieldType::Integer);
    d.f.ref = r;
    return d;
}
Def num_field(const char* key, NumRef r) {
    Def d(key, ConfigFieldType::Number);
    d.f.ref = r;
    return d;
}
Def bool_field(const char* key, BoolRef r) {
    Def d(key, ConfigFieldType::Boolean);
    d.f.ref = r;
    return d;
}
Def str_field(const char* key, StrRef r) {
    Def d(key, ConfigFieldType::String);
    d.f.ref = r;
    return d;
}
Def choice_field(const char* key, StrRef r, std::vector<std::string> c) {
    Def d(key, ConfigFieldType::Choice);
    d.f.ref = r;
    d.choices(std::move(c));
    return d;
}
Def list_field(const char* key, ListRef r) {
    Def d(key, ConfigFieldType::StringList);
    d.f.ref = r;
    return d;
}

#define TB_REF(member) \
    [](AppConfig & c) -> auto& { return c.member; }

std::string check_power_of_two(const AppConfig& c) {
    int64_t v = c.quant.blocksize;
    return (v > 0 && (v & (v - 1)) == 0) ? "" : "must be a power of two";
}

std::string check_device(const AppConfig& c) {
    const std::string& d = c.model.device;
    if (d == "auto" || d == "cpu" || d == "cuda") return "";
    if (d.rfind("cuda:", 0) == 0 && d.size() > 5 &&
        std::all_of(d.begin() + 5, d.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        return "";
    return "expected auto, cpu, cuda or cuda:N";
}

const std::vector<std::string> kDtypes = {"auto", "float32", "bfloat16", "float16"};

std::vector<FieldDef> build_table() {
    std::vector<Def> d;
    // --- model
    d.push_back(str_field("model.name", TB_REF(model.name))
                    .desc("Hugging Face model id or local model folder (relative to the config)"));
    d.push_back(int_field("model.max_length", TB_REF(model.max_length))
                    .min(16)
                    .max(1048576)
                    .desc("Maximum tokens per training sequence; longer rows are truncated"));
    d.push_back(
        choice_field("model.dtype", TB_REF(model.dtype), kDtypes)
            .alias("fp32", "float32")
            .alias("bf16", "bfloat16")
            .alias("fp16", "float16")
            .desc("Weight dtype of the base model (auto: bfloat16 on CUDA, float32 on CPU)"));
    d.push_back(str_field("model.device", TB_REF(model.device))
                    .extra(check_device, "auto, cpu, cuda or cuda:N")
                    .desc("Device to train and evaluate on"));
    // --- lora
    d.push_back(int_field("lora.r", TB_REF(lora.r)).min(1).max(4096).desc("LoRA rank"));
    d.push_back(num_field("lora.alpha", TB_REF(lora.alpha))
                    .min(0, true)
                    .desc("LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with "
                          "rsLoRA)"));
    d.push_back(num_field("lora.dropout", TB_REF(lora.dropout))
                    .min(0)
                    .max(1, true)
                    .desc("Dropout probability on the LoRA branch input"));
    d.push_back(
        list_field("lora.target_modules", TB_REF(lora.target_modules))
            .choices({"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"})
            .nonempty()
            .desc("Projections that get LoRA adapters"));
    d.push_back(bool_field("lora.use_rslora", TB_REF(lora.use_rslora))
                    .desc("Rank-stabilised LoRA: scale by alpha / sqrt(r)"));
    d.push_back(bool_field("lora.use_dora", TB_REF(lora.use_dora))
                    .desc("DoRA: learn a magnitude vector per output besides the LoRA direction"));
    d.push_back(choice_field("lora.init", TB_REF(lora.init), {"default", "gaussian"})
                    .desc("LoRA init as in PEFT: default = Kaiming-uniform A, zero B; gaussian = "
                          "normal A (std 1/r), zero B"));
    // --- quant
    d.push_back(bool_field("quant.load_in_4bit", TB_REF(quant.load_in_4bit))
                    .desc("QLoRA: store the frozen base linears as 4-bit NF4"));
    d.push_back(choice_field("quant.quant_type", TB_REF(quant.quant_type), {"nf4"})
                    .desc("4-bit data type (NF4, the QLoRA paper's NormalFloat)"));
    d.push_back(bool_field("quant.double_quant", TB_REF(quant.double_quant))
                    .desc("Quantise the per-block absmax values again (8-bit, blocks of 256)"));
    d.push_back(int_field("quant.blocksize", TB_REF(quant.blocksize))
                    .min(16)
                    .max(4096)
                    .extra(check_power_of_two, "power of two in [16, 4096]")
                    .desc("Weights per quantisation block"));
    d.push_back(choice_field("quant.compute_dtype", TB_REF(quant.compute_dtype), kDtypes)
                    .alias("fp32", "float32")
                    .alias("bf16", "bfloat16")
                    .alias("fp16", "float16")
                    .desc("Dtype the 4-bit weights are dequantised to for matmuls (auto: "
                          "bfloat16 on CUDA, float32 on CPU)"));
    // --- training
    d.push_back(int_field("training.epochs", TB_REF(training.epochs))
                    .min(1)
                    .desc("Passes over the train split"));
    d.push_back(int_field("training.batch_size", TB_REF(training.batch_size))
                    .min(1)
                    .desc("Sequences per micro-batch"));
    d.push_back(num_field("training.learning_rate", TB_REF(training.learning_rate))
                    .min(0, true)
                    .max(1)
                    .desc("Peak learning rate (after warmup)"));
    d.push_back(
        int_field("training.gradient_accumulation_steps",
                  TB_REF(training.gradient_accumulation_steps))
            .min(1)
            .desc("Micro-batches per optimizer step (effective batch = batch_size x this)"));
    d.push_back(choice_field("training.optimizer", TB_REF(training.optimizer),
                             {"adamw", "adamw_8bit", "paged_adamw_8bit"})
                    .desc("AdamW, 8-bit AdamW (blockwise-quantised states) or 8-bit AdamW with "
                          "states paged to host memory (CUDA)"));
    d.push_back(num_field("training.weight_decay", TB_REF(training.weight_decay))
                    .min(0)
                    .desc("Decoupled weight decay of AdamW"));
    d.push_back(num_field("training.max_grad_norm", TB_REF(training.max_grad_norm))
                    .min(0)
                    .desc("Clip the total gradient norm to this value (0: no clipping)"));
    d.push_back(choice_field("training.lr_scheduler", TB_REF(training.lr_scheduler),
                             {"constant", "linear", "cosine"})
                    .desc("Learning-rate schedule after warmup"));
    d.push_back(int_field("training.warmup_steps", TB_REF(training.warmup_steps))
                    .min(0)
                    .desc("Linear warmup steps (takes precedence over warmup_ratio when > 0)"));
    d.push_back(num_field("training.warmup_ratio", TB_REF(training.warmup_ratio))
                    .min(0)
                    .max(1, true)
                    .desc("Warmup as a fraction of the total optimizer steps"));
    d.push_back(int_field("training.seed", TB_REF(training.seed))
                    .min(0)
                    .desc("Seed for LoRA init, dropout and data order"));
    d.push_back(choice_field("training.backend", TB_REF(training.backend), {"reference", "fused"})
                    .desc("reference: plain libtorch autograd; fused: hand-written LoRA/RMSNorm/"
                          "RoPE/SwiGLU kernels and chunked cross-entropy"));
    d.push_back(
        bool_field("training.gradient_checkpointing", TB_REF(training.gradient_checkpointing))
            .desc("Recompute decoder layers during backward to save memory"));
    d.push_back(bool_field("training.cuda_graphs", TB_REF(training.cuda_graphs))
                    .desc("fused backend on CUDA: record forward + backward once as a CUDA graph "
                          "and replay it (micro-batches padded to batch_size x max_length)"));
    d.push_back(bool_field("training.bf16", TB_REF(training.bf16))
                    .desc("bf16 autocast on CUDA (ignored on CPU)"));
    d.push_back(int_field("training.nproc_per_node", TB_REF(training.nproc_per_node))
                    .min(1)
                    .max(1024)
                    .desc("GPUs (data-parallel ranks) on this machine: one process per GPU over "
                          "NCCL on CUDA, Gloo processes on CPU; the global batch is this x "
                          "batch_size"));
    d.push_back(int_field("training.eval_steps", TB_REF(training.eval_steps))
                    .min(0)
                    .desc("Validation loss every N optimizer steps (0: at the end of each epoch)"));
    d.push_back(int_field("training.save_steps", TB_REF(training.save_steps))
                    .min(0)
                    .desc("Checkpoint every N optimizer steps (0: at the end of each epoch)"));
    d.push_back(int_field("training.logging_steps", TB_REF(training.logging_steps))
                    .min(1)
                    .desc("Write a log record every N optimizer steps"));
    d.push_back(int_field("training.max_steps", TB_REF(training.max_steps))
                    .min(1)
                    .sentinel(-1, "derived from epochs")
                    .desc("Stop after this many optimizer steps"));
    d.push_back(str_field("training.output_dir", TB_REF(training.output_dir))
                    .desc("Runs are written to <output_dir>/<backend>/<YYYYMMDD_HHMMSS>/"));
    // --- data
    d.push_back(str_field("data.path", TB_REF(data.path))
                    .desc("Dataset file (relative paths resolve against the config's folder)"));
    d.push_back(choice_field("data.format", TB_REF(data.format),
                             {"dolly", "alpaca", "chat", "sharegpt", "csv"})
                    .desc("Dataset format: Dolly JSONL, Alpaca JSON/JSONL, chat messages JSONL, "
                          "ShareGPT conversations, CSV"));
    d.push_back(str_field("data.instruction_column", TB_REF(data.instruction_column))
                    .desc("CSV: column with the instruction"));
    d.push_back(str_field("data.context_column", TB_REF(data.context_column))
                    .desc("CSV: column with the context (optional; absent column = no context)"));
    d.push_back(str_field("data.response_column", TB_REF(data.response_column))
                    .desc("CSV: column with the response"));
    d.push_back(str_field("data.category_column", TB_REF(data.category_column))
                    .desc("CSV: column with the category (optional)"));
    d.push_back(num_field("data.train_ratio", TB_REF(data.train_ratio))
                    .min(0, true)
                    .max(1)
                    .desc("Fraction of rows in the train split"));
    d.push_back(num_field("data.val_ratio", TB_REF(data.val_ratio))
                    .min(0)
                    .max(1)
                    .desc("Fraction of rows in the validation split"));
    d.push_back(num_field("data.test_ratio", TB_REF(data.test_ratio))
                    .min(0)
                    .max(1)
                    .desc("Fraction of rows in the test split"));
    d.push_back(int_field("data.split_seed", TB_REF(data.split_seed))
                    .min(0)
                    .desc("Seed of the train/val/test split (same seed, same split everywhere)"));
    d.push_back(bool_field("data.stratify", TB_REF(data.stratify))
                    .desc("Keep each category's share the same in every split"));
    d.push_back(
        choice_field("data.prompt_template", TB_REF(data.prompt_template), {"chat", "instruction"})
            .desc("chat: the model's chat template; instruction: Alpaca-style "
                  "### Instruction / ### Response text (base models)"));
    d.push_back(choice_field("data.loss_on", TB_REF(data.loss_on), {"response", "all"})
                    .desc("Tokens that contribute to the loss: the response only, or all"));
    d.push_back(bool_field("data.packing", TB_REF(data.packing))
                    .desc("Pack several short rows into one max_length sequence (each attends only "
                          "to itself; positions restart per row)"));
    d.push_back(bool_field("data.skip_bad_rows", TB_REF(data.skip_bad_rows))
                    .desc("Skip malformed rows and report them instead of stopping"));
    // --- eval
    d.push_back(list_field("eval.metrics", TB_REF(eval.metrics))
                    .choices({"bleu", "rouge_l", "chrf", "chrfpp", "ter", "bertscore"})
                    .desc("Generation metrics computed on the test split"));
    d.push_back(int_field("eval.max_new_tokens", TB_REF(eval.max_new_tokens))
                    .min(1)
                    .desc("Tokens generated per test prompt"));
    d.push_back(int_field("eval.limit", TB_REF(eval.limit))
                    .min(1)
                    .sentinel(-1, "the whole test split")
                    .desc("Number of test rows to evaluate"));
    d.push_back(int_field("eval.batch_size", TB_REF(eval.batch_size))
                    .min(1)
                    .desc("Prompts generated together"));
    d.push_back(str_field("eval.bertscore_model", TB_REF(eval.bertscore_model))
                    .desc("Model folder or Hugging Face id used by BERTScore"));
    // --- inference
    // The names of core/infer/engine_choice.h's engine_names() (a test keeps them equal);
    // availability on this machine is the front ends' check, not the config's.
    d.push_back(
        choice_field("inference.engine", TB_REF(inference.engine),
                     {"eager", "graph", "quant", "paged"})
            .desc("Inference engine of evaluate and the compare panel: eager (forward per "
                  "token over a KV cache), graph (CUDA graphs, CUDA only), quant "
                  "(weight-only quantized), paged (paged KV cache, continuous batching)"));
    d.push_back(choice_field("inference.quant", TB_REF(inference.quant), {"q8_0", "nf4"})
                    .desc("Weight format of the quant engine: q8_0 (8.5 bits per weight, "
                          "llama.cpp's Q8_0) or nf4 (4.13 bits, QLoRA's NF4)"));

    std::vector<FieldDef> out;
    const AppConfig defaults;
    for (Def& def : d) {
        FieldDef& f = def.f;
        ConfigFieldInfo& i = f.info;
        i.default_value = field_to_yaml(f, defaults);
        if (i.range.empty()) {
            std::string r;
            if (i.type == ConfigFieldType::Choice) {
                r = "one of " + join(i.choices, ", ");
            } else if (i.type == ConfigFieldType::StringList) {
                r = i.choices.empty() ? "list of strings" : "list of " + join(i.choices, ", ");
            } else if (i.min && i.max) {
                r = std::string(i.min_exclusive ? "(" : "[") + pretty(*i.min) + ", " +
                    pretty(*i.max) + (i.max_exclusive ? ")" : "]");
            } else if (i.min) {
                r = std::string(i.min_exclusive ? "> " : ">= ") + pretty(*i.min);
            } else if (i.max) {
                r = std::string(i.max_exclusive ? "< " : "<= ") + pretty(*i.max);
            }
            if (i.sentinel)
                r = std::to_string(*i.sentinel) + " (" + i.sentinel_meaning + ") or " + r;
            if (i.type == ConfigFieldType::Boolean) r = "true or false";
            if (i.type == ConfigFieldType::String) r = "any string";
            i.range = r;
        }
        out.push_back(std::move(f));
    }
    return out;
}

#undef TB_REF

std::string type_expectation(ConfigFieldType t) {
    switch (t) {
        case ConfigFieldType::Integer:
            return "an integer";
        case ConfigFieldType::Number:
            return "a number";
        case ConfigFieldType::Boolean:
            return "true or false";
        case ConfigFieldType::String:
            return "a string";
        case ConfigFieldType::Choice:
            return "a string";
        case ConfigFieldType::StringList:
            return "a list of strings";
    }
    return "a value";
}

// "'abc'", "a list", "a mapping", "nothing" for messages about what was found.
std::string describe_node(const YAML::Node& n) {
    if (n.IsNull()) return "nothing (null)";
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    return "'" + n.Scalar() + "'";
}

std::string closest(const std::string& s, const std::vector<std::string>& options) {
    std::string best;
    size_t best_d = std::max<size_t>(2, s.size() / 3) + 1;
    for (const auto& o : options) {
        size_t dd = edit_distance(s, o);
        if (dd < best_d) best_d = dd, best = o;
    }
    return best;
}

}  // namespace

const std::vector<FieldDef>& field_table() {
    static const std::vector<FieldDef> table = build_table();
    return table;
}

const std::vector<std::string>& section_names() {
    static const std::vector<std::string> names = {"model", "lora", "quant",    "training",
                                                   "data",  "eval", "inference"};
    return names;
}

const FieldDef* find_field(const std::string& key) {
    for (const auto& f : field_table())
        if (f.info.key == key) return &f;
    return nullptr;
}

std::string field_to_yaml(const FieldDef& f, const AppConfig& cfg_const) {
    // Accessors take a mutable config (one accessor per field serves reads and writes); they
    // only return a reference, so reading through them does not modify the config.
    AppConfig& cfg = const_cast<AppConfig&>(cfg_const);
    switch (f.ref.index()) {
        case 0:
            return std::to_string(std::get<IntRef>(f.ref)(cfg));
        case 1:
            return format_number(std::get<NumRef>(f.ref)(cfg));
        case 2:
            return std::get<BoolRef>(f.ref)(cfg) ? "true" : "false";
        case 3:
            return quote_string(std::get<StrRef>(f.ref)(cfg));
        default: {
            std::string out = "[";
            const auto& items = std::get<ListRef>(f.ref)(cfg);
            for (size_t i = 0; i < items.size(); ++i)
                out += (i ? ", " : "") + quote_string(items[i]);
            return out + "]";
        }
    }
}

std::string field_from_yaml(const FieldDef& f, const YAML::Node& node, AppConfig& cfg,
                            YAML::Mark* bad_mark) {
    *bad_mark = node.Mark();
    const ConfigFieldType type = f.info.type;
    auto got = [&](const YAML::Node& n) {
        return "expected " + type_expectation(type) + ", got " + describe_node(n);
    };
    if (type == ConfigFieldType::StringList) {
        if (!node.IsSequence()) return got(node);
        std::vector<std::string> items;
        for (const auto& item : node) {
            if (!item.IsScalar()) {
                *bad_mark = item.Mark();
                return "expected a list of strings, got " + describe_node(item) + " as an item";
            }
            items.push_back(item.Scalar());
        }
        std::get<ListRef>(f.ref)(cfg) = std::move(items);
        return "";
    }
    if (!node.IsScalar()) return got(node);
    const std::string& text = node.Scalar();
    switch (type) {
        case ConfigFieldType::Integer: {
            auto v = parse_int(text);
            if (!v) {
                if (parse_number(text)) return "expected an integer, got '" + text + "'";
                return got(node);
            }
            std::get<IntRef>(f.ref)(cfg) = *v;
            return "";
        }
        case ConfigFieldType::Number: {
            auto v = parse_number(text);
            if (!v) return got(node);
            std::get<NumRef>(f.ref)(cfg) = *v;
            return "";
        }
        case ConfigFieldType::Boolean: {
            auto v = parse_bool(text);
            if (!v) return got(node);
            std::get<BoolRef>(f.ref)(cfg) = *v;
            return "";
        }
        default: {
            std::string value = text;
            for (const auto& [from, to] : f.aliases)
                if (value == from) value = to;
            std::get<StrRef>(f.ref)(cfg) = value;
            return "";
        }
    }
}

std::string check_field(const FieldDef& f, const AppConfig& cfg_const) {
    AppConfig& cfg = const_cast<AppConfig&>(cfg_const);  // read-only use, see field_to_yaml
    const ConfigFieldInfo& i = f.info;
    auto out_of_range = [&](const std::string& v) {
        return v + " is out of range (allowed: " + i.range + ")";
    };
    auto in_bounds = [&](double v) {
        if (i.min && (i.min_exclusive ? !(v > *i.min) : !(v >= *i.min))) return false;
        if (i.max && (i.max_exclusive ? !(v < *i.max) : !(v <= *i.max))) return false;
        return true;
    };
    switch (i.type) {
        case ConfigFieldType::Integer: {
            int64_t v = std::get<IntRef>(f.ref)(cfg);
            if (i.sentinel && v == *i.sentinel) break;
            if (!in_bounds(static_cast<double>(v))) return out_of_range(std::to_string(v));
            break;
        }
        case ConfigFieldType::Number: {
            double v = std::get<NumRef>(f.ref)(cfg);
            if (!in_bounds(v)) return out_of_range(pretty(v));
            break;
        }
        case ConfigFieldType::Choice: {
            const std::string& v = std::get<StrRef>(f.ref)(cfg);
            if (std::find(i.choices.begin(), i.choices.end(), v) == i.choices.end()) {
                std::string msg = "'" + v + "' is not one of " + join(i.choices, ", ");
                std::string near = closest(v, i.choices);
                if (!near.empty()) msg += " (did you mean " + near + "?)";
                return msg;
            }
            break;
        }
        case ConfigFieldType::StringList: {
            const auto& items = std::get<ListRef>(f.ref)(cfg);
            if (f.list_nonempty && items.empty()) return "must list at least one item";
            std::set<std::string> seen;
            for (const auto& item : items) {
                if (!i.choices.empty() &&
                    std::find(i.choices.begin(), i.choices.end(), item) == i.choices.end()) {
                    std::string msg =
                        "unknown item '" + item + "' (allowed: " + join(i.choices, ", ") + ")";
                    std::string near = closest(item, i.choices);
                    if (!near.empty()) msg += " (did you mean " + near + "?)";
                    return msg;
                }
                if (!seen.insert(item).second) return "item '" + item + "' listed twice";
            }
            break;
        }
        default:
            break;
    }
    if (f.extra) {
        std::string why = f.extra(cfg);
        if (!why.empty()) return "'" + field_to_yaml(f, cfg) + "' is invalid: " + why;
    }
    return "";
}

}  // namespace tb::config_detail
