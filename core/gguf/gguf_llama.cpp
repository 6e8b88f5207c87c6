#include "core/gguf/gguf_llama.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/infer/lora_linear.h"
#include "core/quant/q8_0_cpu.h"
#include "core/tokenizer/sentencepiece_bridge.h"
#include "core/tokenizer/tokenizer.h"

namespace fs = std::filesystem;

namespace tb::gguf {

Result<FileType> parse_file_type(const std::string& name) {
    std::string s;
    for (char c : name) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "f32") return FileType::ALL_F32;
    if (s == "f16") return FileType::MOSTLY_F16;
    if (s == "bf16") return FileType::MOSTLY_BF16;
    if (s == "q8_0") return FileType::MOSTLY_Q8_0;
    if (s == "q4_k_m") return FileType::MOSTLY_Q4_K_M;
    return Error{"--quant: unknown type '" + name + "' (f32, f16, bf16, q8_0, q4_k_m)"};
}

const char* file_type_name(FileType t) {
    switch (t) {
        case FileType::ALL_F32:
            return "f32";
        case FileType::MOSTLY_F16:
            return "f16";
        case FileType::MOSTLY_BF16:
            return "bf16";
        case FileType::MOSTLY_Q8_0:
            return "q8_0";
        case FileType::MOSTLY_Q4_K_M:
            return "q4_k_m";
    }
    return "?";
}

bool use_more_bits(int64_t i_layer, int64_t n_layers) {
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 ||
           (i_layer - n_layers / 8) % 3 == 2;
}

TensorTypeRule::TensorTypeRule(FileType ft, int64_t n_layer, bool has_output)
    : ft_(ft), n_layer_(n_layer), has_output_(has_output) {}

namespace {
int64_t layer_of(const std::string& name) {
    // "blk.N.xxx"
    if (name.compare(0, 4, "blk.") != 0) return -1;
    return std::stoll(name.substr(4, name.find('.', 4) - 4));
}
bool contains(const std::string& s, const char* p) { return s.find(p) != std::string::npos; }
}  // namespace

GgmlType TensorTypeRule::choose(const std::string& name, int64_t ne0, int n_dims) {
    // convert_hf_to_gguf.py: 1-D tensors (norms, rope_freqs) stay F32 in every output type.
    if (n_dims < 2) return GgmlType::F32;
    switch (ft_) {
        case FileType::ALL_F32:
            return GgmlType::F32;
        case FileType::MOSTLY_F16:
            return GgmlType::F16;
        case FileType::MOSTLY_BF16:
            return GgmlType::BF16;
        case FileType::MOSTLY_Q8_0:
            return ne0 % kQK8_0 == 0 ? GgmlType::Q8_0 : GgmlType::F16;
        case FileType::MOSTLY_Q4_K_M:
            break;
    }
    // llama_tensor_get_type for LLAMA_FTYPE_MOSTLY_Q4_K_M, Llama (no experts, not 70B-typed).
    GgmlType t = GgmlType::Q4_K;
    if (name == "output.weight" || (!has_output_ && name == "token_embd.weight")) {
        t = GgmlType::Q6_K;
    } else if (contains(name, "attn_v.weight")) {
        if (use_more_bits(i_attention_wv_, n_layer_)) t = GgmlType::Q6_K;
        ++i_attention_wv_;
    } else if (contains(name, "ffn_down")) {
        if (use_more_bits(layer_of(name), n_layer_)) t = GgmlType::Q6_K;
    }
    // convert_incompatible_tensor: K quants need rows of 256.
    if (ne0 % kQK_K != 0) {
        t = t == GgmlType::Q4_K ? GgmlType::Q5_0 : GgmlType::Q8_0;
        if (ne0 % 32 != 0) t = GgmlType::F16;
    }
    return t;
}

at::Tensor permute_qk(const at::Tensor& w, int64_t n_head, int64_t n_head_kv) {
    // if n_head_kv is not None and n_head != n_head_kv: n_head = n_head_kv
    const int64_t h = n_head_kv > 0 && n_head != n_head_kv ? n_head_kv : n_head;
    const int64_t rows = w.size(0);
    return w.reshape({h, 2, rows / h / 2, w.size(1)})
        .transpose(1, 2)
        .reshape(w.sizes())
        .contiguous();
}

at::Tensor unpermute_qk(const at::Tensor& w, int64_t n_head, int64_t n_head_kv) {
    const int64_t h = n_head_kv > 0 && n_head != n_head_kv ? n_head_kv : n_head;
    const int64_t rows = w.size(0);
    return w.reshape({h, rows / h / 2, 2, w.size(1)})
        .transpose(1, 2)
        .reshape(w.sizes())
        .contiguous();
}

Result<std::vector<uint8_t>> encode_tensor(const at::Tensor& w_in, GgmlType t) {
    if (w_in.dim() < 1 || w_in.dim() > 2) return Error{"encode_tensor: 1-D or 2-D tensor expected"};
    const at::Tensor w = w_in.to(at::kCPU, at::kFloat).contiguous();
    const int64_t ne0 = w.size(w.dim() - 1);
    const int64_t rows = w.numel() / ne0;
    const int64_t rb = row_bytes(t, ne0);
    if (rb < 0) {
        return Error{std::string(type_name(t)) + ": row of " + std::to_string(ne0) +
                     " values is not a multiple of its block of " + std::to_string(block_size(t))};
    }
    std::vector<uint8_t> out(static_cast<size_t>(rb * rows));
    const float* x = w.data_ptr<float>();
    at::parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) {
        std::vector<int8_t> qs;
        std::vector<c10::Half> d;
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * ne0;
            uint8_t* o = out.data() + r * rb;
            if (t == GgmlType::Q8_0) {
                // core/quant's Q8_0 rule (quantize_row_q8_0_ref) in planes -> ggml blocks.
                qs.resize(static_cast<size_t>(ne0));
                d.resize(static_cast<size_t>(ne0 / kQK8_0));
                q8cpu::quantize_row(xr, ne0, qs.data(), d.data());
                for (int64_t b = 0; b < ne0 / kQK8_0; ++b) {
                    std::memcpy(o + b * 34, &d[static_cast<size_t>(b)], 2);
                    std::memcpy(o + b * 34 + 2, qs.data() + b * kQK8_0, kQK8_0);
                }
            } else {
                (void)quantize_row(t, xr, ne0, o);  // row length validated above
            }
        }
    });
    return out;
}

namespace {

std::vector<int64_t> ggml_ne(const at::Tensor& w) {
    if (w.dim() == 1) return {w.size(0)};
    return {w.size(1), w.size(0)};
}

// SentencePiece types as convert_hf_to_gguf.py maps them (user-defined pieces become NORMAL;
// added tokens of tokenizer_config.json then become CONTROL or USER_DEFINED).
constexpr int32_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6;

}  // namespace

Status add_tokenizer_metadata(Writer& w, const std::string& dir, int64_t vocab_size) {
    // A folder (tokenizer.model + tokenizer_config.json) or a bare SentencePiece model file.
    const bool bare = fs::is_regular_file(dir);
    const std::string sp = bare ? dir : (fs::path(dir) / "tokenizer.model").string();
    if (!fs::exists(sp)) return Error{sp + ": missing (GGUF needs the SentencePiece vocabulary)"};
    TB_ASSIGN_OR_RETURN(SpmVocab v, spm_load_vocab(sp));
    const std::string cfg = bare ? "" : (fs::path(dir) / "tokenizer_config.json").string();
    TB_ASSIGN_OR_RETURN(std::shared_ptr<Tokenizer> tok, !cfg.empty() && fs::exists(cfg)
                                                            ? Tokenizer::load(dir)
                                                            : Tokenizer::load_files(sp, ""));
    const int64_t n = std::max<int64_t>(vocab_size, 1);
    std::vector<std::string> tokens(static_cast<size_t>(n));
    std::vector<float> scores(static_cast<size_t>(n), -10000.0f);
    std::vector<int32_t> types(static_cast<size_t>(n), kUnused);
    for (int64_t i = 0; i < n; ++i)
        tokens[static_cast<size_t>(i)] = "[PAD" + std::to_string(i) + "]";
    for (size_t i = 0; i < v.pieces.size() && static_cast<int64_t>(i) < n; ++i) {
        tokens[i] = v.pieces[i];
        scores[i] = v.scores[i];
        const int st = v.types[i];
        types[i] = st == kUnknown   ? kUnknown
                   : st == kControl ? kControl
                   : st == kUnused  ? kUnused
                   : st == kByte    ? kByte
                                    : kNormal;
    }
    // Added tokens (tokenizer_config.json's added_tokens_decoder) beyond the SentencePiece
    // vocabulary: CONTROL when special, else USER_DEFINED with '▁' shown as ' '.
    for (const auto& a : tok->added_tokens()) {
        const int64_t id = tok->piece_to_id(a.content);
        if (id < 0 || id >= n || types[static_cast<size_t>(id)] != kUnused) continue;
        auto& t = tokens[static_cast<size_t>(id)];
        if (a.special) {
            types[static_cast<size_t>(id)] = kControl;
            t = a.content;
        } else {
            std::string s = a.content;
            for (size_t p; (p = s.find("\xe2\x96\x81")) != std::string::npos;) s.replace(p, 3, " ");
            types[static_cast<size_t>(id)] = kUserDefined;
            t = s;
        }
        scores[static_cast<size_t>(id)] = -1000.0f;
    }
    w.set("tokenizer.ggml.model", Value::str("llama"));
    w.set("tokenizer.ggml.tokens", Value::str_array(std::move(tokens)));
    w.set("tokenizer.ggml.scores", Value::f32_array(scores));
    w.set("tokenizer.ggml.token_type", Value::i32_array(types));
    if (tok->bos_id() >= 0)
        w.set("tokenizer.ggml.bos_token_id", Value::u32(static_cast<uint32_t>(tok->bos_id())));
    if (tok->eos_id() >= 0)
        w.set("tokenizer.ggml.eos_token_id", Value::u32(static_cast<uint32_t>(tok->eos_id())));
    if (tok->unk_id() >= 0)
        w.set("tokenizer.ggml.unknown_token_id", Value::u32(static_cast<uint32_t>(tok->unk_id())));
    if (tok->pad_id() >= 0)
        w.set("tokenizer.ggml.padding_token_id", Value::u32(static_cast<uint32_t>(tok->pad_id())));
    w.set("tokenizer.ggml.add_bos_token", Value::boolean(tok->add_bos_token()));
    w.set("tokenizer.ggml.add_eos_token", Value::boolean(tok->add_eos_token()));
    if (!tok->chat_template().empty())
        w.set("tokenizer.chat_template", Value::str(tok->chat_template()));
    return {};
}

namespace {

struct Entry {
    std::string name;
    at::Tensor w;  // float32 on the CPU, final layout
    GgmlType type;
};

Status write_entries(Writer& w, const std::string& path, std::vector<Entry>& entries,
                     const CancelToken* cancel,
                     const std::function<void(const WriteProgress&)>& cb) {
    for (const auto& e : entries) w.add_tensor(e.name, ggml_ne(e.w), e.type);
    TB_TRY_STATUS(w.begin(path));
    int64_t done = 0;
    for (auto& e : entries) {
        if (cancel && cancel->cancelled()) return Error{"cancelled"};
        if (cb) cb({e.name, done, static_cast<int64_t>(entries.size())});
        TB_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, encode_tensor(e.w, e.type));
        TB_TRY_STATUS(w.write_tensor(bytes.data(), bytes.size()));
        e.w = at::Tensor();  // release as we go
        ++done;
    }
    if (cb) cb({"", done, static_cast<int64_t>(entries.size())});
    return w.finish();
}

at::Tensor cpu_f32(const at::Tensor& t) { return t.detach().to(at::kCPU, at::kFloat).contiguous(); }

const char* const kProjNames[7][2] = {{"q_proj", "attn_q"},      {"k_proj", "attn_k"},
                                      {"v_proj", "attn_v"},      {"o_proj", "attn_output"},
                                      {"gate_proj", "ffn_gate"}, {"up_proj", "ffn_up"},
                                      {"down_proj", "ffn_down"}};

}  // namespace

Result<int64_t> write_llama_gguf(const LlamaModel& m, const std::string& path,
                                 const LlamaGgufOptions& opts) {
    const LlamaConfig& c = m.config;
    if (c.attention_bias || c.mlp_bias)
        return Error{"GGUF export: biased Llama projections are not supported"};
    for (const auto& l : m.layers) {
        for (const auto& pn : kProjNames) {
            const LoraLinear* p = const_cast<LlamaLayer&>(l).projection(pn[0]);
            if (p->lora.defined()) return Error{"GGUF export: merge the LoRA adapter first"};
            if (!p->weight.defined())
                return Error{"GGUF export: packed (quantised) base weights; load the model dense"};
        }
    }
    Writer w;
    const int64_t head_dim = c.head_dim > 0 ? c.head_dim : c.hidden_size / c.num_attention_heads;
    w.set("general.architecture", Value::str("llama"));
    w.set("general.type", Value::str("model"));
    w.set("general.name", Value::str(opts.name.empty() ? "model" : opts.name));
    w.set("llama.block_count", Value::u32(static_cast<uint32_t>(c.num_hidden_layers)));
    w.set("llama.context_length", Value::u32(static_cast<uint32_t>(c.max_position_embeddings)));
    w.set("llama.embedding_length", Value::u32(static_cast<uint32_t>(c.hidden_size)));
    w.set("llama.feed_forward_length", Value::u32(static_cast<uint32_t>(c.intermediate_size)));
    w.set("llama.attention.head_count", Value::u32(static_cast<uint32_t>(c.num_attention_heads)));
    w.set("llama.attention.head_count_kv",
          Value::u32(static_cast<uint32_t>(c.num_key_value_heads)));
    w.set("llama.rope.freq_base", Value::f32(static_cast<float>(c.rope_theta)));
    w.set("llama.attention.layer_norm_rms_epsilon", Value::f32(static_cast<float>(c.rms_norm_eps)));
    w.set("llama.attention.key_length", Value::u32(static_cast<uint32_t>(head_dim)));
    w.set("llama.attention.value_length", Value::u32(static_cast<uint32_t>(head_dim)));
    w.set("general.file_type", Value::u32(static_cast<uint32_t>(opts.file_type)));
    w.set("llama.vocab_size", Value::u32(static_cast<uint32_t>(c.vocab_size)));
    w.set("llama.rope.dimension_count", Value::u32(static_cast<uint32_t>(head_dim)));
    TB_TRY_STATUS(add_tokenizer_metadata(w, opts.tokenizer_dir, c.vocab_size));
    w.set("general.quantization_version", Value::u32(2));
    w.set("general.alignment", Value::u32(32));

    const bool tied = c.tie_word_embeddings || m.lm_head.is_same(m.embed_tokens);
    TensorTypeRule rule(opts.file_type, c.num_hidden_layers, !tied);
    std::vector<Entry> entries;
    auto add = [&](const std::string& name, at::Tensor t) {
        const GgmlType ty = rule.choose(name, t.size(t.dim() - 1), static_cast<int>(t.dim()));
        entries.push_back({name, std::move(t), ty});
    };
    add("token_embd.weight", cpu_f32(m.embed_tokens));
    if (c.rope_scaling.type == "llama3") {
        // convert_hf_to_gguf.py's rope_freqs: the factor dividing each default frequency.
        at::Tensor base =
            1.0 / at::pow(c.rope_theta, at::arange(0, head_dim, 2, at::kFloat) / head_dim);
        add("rope_freqs.weight", (base / cpu_f32(m.inv_freq)).contiguous());
    }
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        const LlamaLayer& l = m.layers[static_cast<size_t>(i)];
        const std::string b = "blk." + std::to_string(i) + ".";
        add(b + "attn_norm.weight", cpu_f32(l.input_norm));
        add(b + "attn_q.weight",
            permute_qk(cpu_f32(l.q_proj.weight), c.num_attention_heads, c.num_attention_heads));
        add(b + "attn_k.weight",
            permute_qk(cpu_f32(l.k_proj.weight), c.num_attention_heads, c.num_key_value_heads));
        add(b + "attn_v.weight", cpu_f32(l.v_proj.weight));
        add(b + "attn_output.weight", cpu_f32(l.o_proj.weight));
        add(b + "ffn_norm.weight", cpu_f32(l.post_norm));
        add(b + "ffn_gate.weight", cpu_f32(l.gate_proj.weight));
        add(b + "ffn_up.weight", cpu_f32(l.up_proj.weight));
        add(b + "ffn_down.weight", cpu_f32(l.down_proj.weight));
    }
    add("output_norm.weight", cpu_f32(m.final_norm));
    if (!tied) add("output.weight", cpu_f32(m.lm_head));
    TB_TRY_STATUS(write_entries(w, path, entries, opts.cancel, opts.on_progress));
    return static_cast<int64_t>(w.file_bytes());
}

Result<int64_t> write_lora_gguf(const LlamaModel& m, const LoraSettings& s, const std::string& path,
                                const std::string& name, const CancelToken* cancel) {
    const LlamaConfig& c = m.config;
    Writer w;
    w.set("general.architecture", Value::str("llama"));
    w.set("general.type", Value::str("adapter"));
    w.set("general.name", Value::str(name.empty() ? "adapter" : name));
    w.set("adapter.type", Value::str("lora"));
    w.set("adapter.lora.alpha", Value::f32(static_cast<float>(s.alpha)));
    w.set("general.file_type", Value::u32(static_cast<uint32_t>(FileType::ALL_F32)));
    w.set("general.quantization_version", Value::u32(2));
    w.set("general.alignment", Value::u32(32));
    std::vector<Entry> entries;
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        LlamaLayer& l = const_cast<LlamaLayer&>(m.layers[static_cast<size_t>(i)]);
        for (const auto& pn : kProjNames) {
            const LoraLinear* p = l.projection(pn[0]);
            if (!p->lora.defined()) continue;
            if (p->lora.magnitude.defined()) {
                return Error{
                    "GGUF adapter: DoRA (magnitude vector) has no llama.cpp equivalent; export the "
                    "merged model instead"};
            }
            at::Tensor A = cpu_f32(p->lora.A);  // [r, in]
            at::Tensor B = cpu_f32(p->lora.B);  // [out, r]
            const int64_t r = A.size(0);
            // llama.cpp scales by alpha / r (r = lora_a's ne[1]); fold the rest into B.
            const double llama_scale = s.alpha / static_cast<double>(r);
            if (std::fabs(p->lora.scale - llama_scale) > 1e-12 * std::fabs(llama_scale)) {
                B = B * static_cast<float>(p->lora.scale / llama_scale);
            }
            const std::string proj = pn[0];
            if (proj == "q_proj") B = permute_qk(B, c.num_attention_heads, c.num_attention_heads);
            if (proj == "k_proj") B = permute_qk(B, c.num_attention_heads, c.num_key_value_heads);
            const std::string base = "blk." + std::to_string(i) + "." + pn[1] + ".weight";
            entries.push_back({base + ".lora_a", A, GgmlType::F32});
            entries.push_back({base + ".lora_b", B.contiguous(), GgmlType::F32});
        }
    }
    if (entries.empty()) return Error{"GGUF adapter: the model carries no LoRA branches"};
    TB_TRY_STATUS(write_entries(w, path, entries, cancel, {}));
    return static_cast<int64_t>(w.file_bytes());
}

Result<LlamaModel> load_llama_gguf(const std::string& path, const LoadOptions& opts) {
    TB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, Reader::open(path));
    auto fail = [&](const Error& e) { return Error{path + ": " + e.message}; };
    auto arch = r->get_string("general.architecture");
    if (!arch.ok()) return fail(arch.error());
    if (arch.value() != "llama")
        return Error{path + ": general.architecture: '" + arch.value() + "', not llama"};
    auto u = [&](const std::string& k) -> Result<int64_t> {
        auto v = r->get_uint(k);
        if (!v.ok()) return fail(v.error());
        return static_cast<int64_t>(v.value());
    };
    LlamaConfig c;
    TB_ASSIGN_OR_RETURN(c.num_hidden_layers, u("llama.block_count"));
    TB_ASSIGN_OR_RETURN(c.hidden_size, u("llama.embedding_length"));
    TB_ASSIGN_OR_RETURN(c.intermediate_size, u("llama.feed_forward_length"));
    TB_ASSIGN_OR_RETURN(c.num_attention_heads, u("llama.attention.head_count"));
    TB_ASSIGN_OR_RETURN(c.num_key_value_heads, u("llama.attention.head_count_kv"));
    TB_ASSIGN_OR_RETURN(c.max_position_embeddings, u("llama.context_length"));
    TB_ASSIGN_OR_RETURN(c.head_dim, u("llama.rope.dimension_count"));
    auto eps = r->get_float("llama.attention.layer_norm_rms_epsilon");
    if (!eps.ok()) return fail(eps.error());
    c.rms_norm_eps = eps.value();
    auto theta = r->get_float("llama.rope.freq_base");
    c.rope_theta = theta.ok() ? theta.value() : 10000.0;
    if (r->tensor("rope_freqs.weight"))
        return Error{path + ": rope_freqs (llama3 RoPE scaling): not read back"};
    if (auto b = r->get_uint("tokenizer.ggml.bos_token_id"); b.ok())
        c.bos_token_id = static_cast<int64_t>(b.value());
    if (auto e = r->get_uint("tokenizer.ggml.eos_token_id"); e.ok())
        c.eos_token_ids = {static_cast<int64_t>(e.value())};
    if (c.num_attention_heads <= 0 || c.num_key_value_heads <= 0 || c.num_hidden_layers <= 0 ||
        c.hidden_size <= 0) {
        return Error{path + ": llama.* sizes must be positive"};
    }
    // A tensor as torch [ne1, ne0] (or [ne0]) float32, checked against the expected shape.
    auto get = [&](const std::string& name, std::vector<int64_t> shape) -> Result<at::Tensor> {
        const TensorInfo* t = r->tensor(name);
        if (!t) return Error{path + ": tensor '" + name + "' missing"};
        std::vector<int64_t> ne(shape.rbegin(), shape.rend());
        if (t->ne != ne) {
            std::string got;
            for (auto d : t->ne) got += (got.empty() ? "" : ", ") + std::to_string(d);
            return Error{path + ": tensor '" + name + "': ne [" + got +
                         "] does not match the metadata"};
        }
        TB_ASSIGN_OR_RETURN(std::vector<float> v, r->dequantize(name));
        return at::from_blob(v.data(), shape, at::kFloat).clone().to(opts.device, opts.dtype);
    };
    const TensorInfo* te = r->tensor("token_embd.weight");
    if (!te || te->ne.size() != 2)
        return Error{path + ": tensor 'token_embd.weight' missing or not 2-D"};
    c.vocab_size = te->ne[1];
    const int64_t H = c.hidden_size, I = c.intermediate_size, hd = c.head_dim;
    const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads;
    LlamaModel m;
    TB_ASSIGN_OR_RETURN(m.embed_tokens, get("token_embd.weight", {c.vocab_size, H}));
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        if (opts.cancel && opts.cancel->cancelled()) return Error{"cancelled"};
        const std::string b = "blk." + std::to_string(i) + ".";
        LlamaLayer l;
        TB_ASSIGN_OR_RETURN(l.input_norm, get(b + "attn_norm.weight", {H}));
        TB_ASSIGN_OR_RETURN(at::Tensor q, get(b + "attn_q.weight", {nh * hd, H}));
        TB_ASSIGN_OR_RETURN(at::Tensor k, get(b + "attn_k.weight", {nkv * hd, H}));
        l.q_proj.weight = unpermute_qk(q, nh, nh);
        l.k_proj.weight = unpermute_qk(k, nh, nkv);
        TB_ASSIGN_OR_RETURN(l.v_proj.weight, get(b + "attn_v.weight", {nkv * hd, H}));
        TB_ASSIGN_OR_RETURN(l.o_proj.weight, get(b + "attn_output.weight", {H, nh * hd}));
        TB_ASSIGN_OR_RETURN(l.post_norm, get(b + "ffn_norm.weight", {H}));
        TB_ASSIGN_OR_RETURN(l.gate_proj.weight, get(b + "ffn_gate.weight", {I, H}));
        TB_ASSIGN_OR_RETURN(l.up_proj.weight, get(b + "ffn_up.weight", {I, H}));
        TB_ASSIGN_OR_RETURN(l.down_proj.weight, get(b + "ffn_down.weight", {H, I}));
        m.layers.push_back(std::move(l));
    }
    TB_ASSIGN_OR_RETURN(m.final_norm, get("output_norm.weight", {H}));
    if (r->tensor("output.weight")) {
        TB_ASSIGN_OR_RETURN(m.lm_head, get("output.weight", {c.vocab_size, H}));
    } else {
        c.tie_word_embeddings = true;
        m.lm_head = m.embed_tokens;
    }
    m.config = c;
    m.dtype = opts.dtype;
    m.device = opts.device;
    m.inv_freq = rope_inv_freq(c).to(opts.device);
    return m;
}

}  // namespace tb::gguf
