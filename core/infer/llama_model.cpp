#include "core/infer/llama_model.h"

#include <cmath>
#include <limits>

#include "core/common/torch_compat.h"
#include "core/model/model_folder.h"

namespace tb {

LoraLinear* LlamaLayer::projection(const std::string& name) {
    if (name == "q_proj") return &q_proj;
    if (name == "k_proj") return &k_proj;
    if (name == "v_proj") return &v_proj;
    if (name == "o_proj") return &o_proj;
    if (name == "gate_proj") return &gate_proj;
    if (name == "up_proj") return &up_proj;
    if (name == "down_proj") return &down_proj;
    return nullptr;
}

at::Tensor rope_inv_freq(const LlamaConfig& cfg) {
    const int64_t dim = cfg.head_dim;
    // HF: 1 / base ** (arange(0, dim, 2, int64).float() / dim), all in fp32.
    at::Tensor exponent =
        at::arange(0, dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(dim);
    at::Tensor inv_freq = 1.0 / at::pow(at::Scalar(cfg.rope_theta), exponent);
    if (cfg.rope_scaling.type == "llama3") {
        const auto& s = cfg.rope_scaling;
        const double old_ctx = static_cast<double>(s.original_max_position_embeddings);
        const double low_freq_wavelen = old_ctx / s.low_freq_factor;
        const double high_freq_wavelen = old_ctx / s.high_freq_factor;
        at::Tensor wavelen = 2 * M_PI / inv_freq;
        at::Tensor llama = at::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
        at::Tensor smooth =
            (old_ctx / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        at::Tensor smoothed = (1 - smooth) * llama / s.factor + smooth * llama;
        at::Tensor is_medium =
            (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
        inv_freq = at::where(is_medium, smoothed, llama);
    }
    return inv_freq;
}

at::Tensor LlamaModel::embed(const at::Tensor& input_ids) const {
    return at::embedding(embed_tokens, input_ids);
}

RopeTables LlamaModel::rope(const at::Tensor& position_ids) const {
    // freqs[b, t, j] = pos[b, t] * inv_freq[j] in fp32 (HF does this under autocast-off).
    at::Tensor freqs = position_ids.to(at::kFloat).unsqueeze(-1) * inv_freq.view({1, 1, -1});
    at::Tensor emb = at::cat({freqs, freqs}, -1);  // [B, T, hd]
    at::Tensor cos = emb.cos(), sin = emb.sin();
    if (attention_scaling != 1.0) {
        cos = cos * attention_scaling;
        sin = sin * attention_scaling;
    }
    return {cos.to(dtype).unsqueeze(1), sin.to(dtype).unsqueeze(1)};
}

at::Tensor LlamaModel::attention_mask(const at::Tensor& key_mask, int64_t past, int64_t t) const {
    const bool has_padding = key_mask.defined() && !key_mask.all().item<bool>();
    if (t == 1 && !has_padding) return at::Tensor();
    const int64_t tk = past + t;
    auto bool_opts = at::TensorOptions().dtype(at::kBool).device(device);
    // allowed[i, j] = j <= past + i
    at::Tensor q_pos =
        at::arange(past, past + t, at::TensorOptions().dtype(at::kLong).device(device));
    at::Tensor k_pos = at::arange(0, tk, at::TensorOptions().dtype(at::kLong).device(device));
    at::Tensor allowed = k_pos.view({1, tk}) <= q_pos.view({t, 1});  // [T, Tk]
    allowed = allowed.view({1, 1, t, tk});
    if (key_mask.defined()) {
        at::Tensor km = key_mask.to(device).to(at::kBool).view({key_mask.size(0), 1, 1, tk});
        allowed = allowed.logical_and(km);
    } else {
        allowed = allowed.to(bool_opts);
    }
    // Like HF's eager path: the lowest finite value instead of -inf, so a fully masked row
    // (a left-padding query) softmaxes to uniform instead of NaN.
    const double lowest = dtype == at::kFloat    ? std::numeric_limits<float>::lowest()
                          : dtype == at::kDouble ? std::numeric_limits<double>::lowest()
                          : dtype == at::kHalf   ? -65504.0
                                                 : -3.3895313892515355e38;  // bf16 lowest
    at::Tensor zeros = at::zeros({}, at::TensorOptions().dtype(dtype).device(device));
    at::Tensor neg = at::full({}, lowest, at::TensorOptions().dtype(dtype).device(device));
    return at::where(allowed, zeros, neg);
}

at::Tensor LlamaModel::rms_norm(const at::Tensor& x, const at::Tensor& weight) const {
    // HF LlamaRMSNorm: fp32 variance, multiply, cast back, then scale by the weight.
    at::Tensor xf = x.to(at::kFloat);
    at::Tensor var = xf.pow(2).mean(-1, true);
    xf = xf * at::rsqrt(var + config.rms_norm_eps);
    return weight * xf.to(x.scalar_type());
}

static at::Tensor rotate_half(const at::Tensor& x) {
    const int64_t half = x.size(-1) / 2;
    at::Tensor x1 = x.narrow(-1, 0, half);
    at::Tensor x2 = x.narrow(-1, half, half);
    return at::cat({-x2, x1}, -1);
}

at::Tensor LlamaModel::layer_forward(int64_t i, const at::Tensor& h, const RopeTables& rope,
                                     const at::Tensor& mask, KvCache* cache, bool training) const {
    const LlamaLayer& L = layers[static_cast<size_t>(i)];
    const int64_t B = h.size(0), T = h.size(1);
    const int64_t nh = config.num_attention_heads, nkv = config.num_key_value_heads;
    const int64_t hd = config.head_dim;

    // --- attention block
    at::Tensor x = rms_norm(h, L.input_norm);
    at::Tensor q = L.q_proj.forward(x, training).view({B, T, nh, hd}).transpose(1, 2);
    at::Tensor k = L.k_proj.forward(x, training).view({B, T, nkv, hd}).transpose(1, 2);
    at::Tensor v = L.v_proj.forward(x, training).view({B, T, nkv, hd}).transpose(1, 2);
    q = q * rope.cos + rotate_half(q) * rope.sin;        // [B, nh, T, hd]
    k = k * rope.cos + rotate_half(k) * rope.sin;        // [B, nkv, T, hd]
    if (cache) std::tie(k, v) = cache->append(i, k, v);  // [B, nkv, past+T, hd]
    if (nkv != nh) {
        // repeat_kv: each KV head serves nh/nkv query heads (HF's expand + reshape).
        const int64_t rep = nh / nkv, tk = k.size(2);
        k = k.unsqueeze(2).expand({B, nkv, rep, tk, hd}).reshape({B, nh, tk, hd});
        v = v.unsqueeze(2).expand({B, nkv, rep, tk, hd}).reshape({B, nh, tk, hd});
    }
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    at::Tensor a = compat::attention(q, k, v, mask, scale, use_fused_attention);  // [B, nh, T, hd]
    a = a.transpose(1, 2).reshape({B, T, nh * hd});
    at::Tensor h1 = h + L.o_proj.forward(a, training);

    // --- MLP block (SwiGLU)
    at::Tensor y = rms_norm(h1, L.post_norm);
    // gate before up, as PEFT's Python evaluates them: the LoRA dropout masks are drawn in
    // this order (operands of one C++ expression have no defined order).
    at::Tensor gate = L.gate_proj.forward(y, training);
    at::Tensor up = L.up_proj.forward(y, training);
    at::Tensor g = at::silu(gate) * up;
    return h1 + L.down_proj.forward(g, training);
}

at::Tensor LlamaModel::hidden_states(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                     const at::Tensor& key_mask, KvCache* cache,
                                     bool training) const {
    const int64_t past = cache ? cache->length() : 0;
    const int64_t T = input_ids.size(1);
    at::Tensor h = embed(input_ids);
    RopeTables tables = rope(position_ids);
    at::Tensor mask = attention_mask(key_mask, past, T);
    for (int64_t i = 0; i < static_cast<int64_t>(layers.size()); ++i)
        h = layer_forward(i, h, tables, mask, cache, training);
    if (cache) cache->advance(T);
    return rms_norm(h, final_norm);
}

at::Tensor LlamaModel::forward(const at::Tensor& input_ids, const at::Tensor& position_ids,
                               const at::Tensor& key_mask, KvCache* cache, bool training) const {
    return at::linear(hidden_states(input_ids, position_ids, key_mask, cache, training), lm_head);
}

int64_t LlamaModel::parameter_bytes() const {
    auto bytes = [](const at::Tensor& t) { return t.defined() ? t.numel() * t.element_size() : 0; };
    int64_t total = bytes(embed_tokens) + bytes(final_norm);
    if (!config.tie_word_embeddings) total += bytes(lm_head);
    for (const auto& L : layers) {
        total += bytes(L.input_norm) + bytes(L.post_norm);
        for (const LoraLinear* p :
             {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
            total += bytes(p->weight) + bytes(p->bias);
    }
    return total;
}

// ---------------------------------------------------------------------------------------
// Loading

static at::ScalarType to_torch_dtype(StDType t) {
    switch (t) {
        case StDType::F32:
            return at::kFloat;
        case StDType::F16:
            return at::kHalf;
        case StDType::BF16:
            return at::kBFloat16;
        case StDType::F64:
            return at::kDouble;
        case StDType::I64:
            return at::kLong;
        case StDType::I32:
            return at::kInt;
        case StDType::I16:
            return at::kShort;
        case StDType::I8:
            return at::kChar;
        case StDType::U8:
            return at::kByte;
        case StDType::BOOL:
            return at::kBool;
    }
    return at::kFloat;
}

Result<LlamaModel> load_llama_model(const std::string& dir, const LoadOptions& opts) {
    TB_ASSIGN_OR_RETURN(ModelFolder folder, open_model_folder(dir));
    LlamaModel m;
    m.config = folder.config;
    m.dtype = opts.dtype;
    m.device = opts.device;

    // Views into the read-only mapping; `.to(..., copy=true)` makes an owned tensor in the
    // target dtype/device without ever writing to the mapping.
    auto take = [&](const std::string& name) -> at::Tensor {
        auto it = folder.tensors.find(name);
        if (it == folder.tensors.end()) return at::Tensor();
        const StTensorView* v = it->second;
        at::Tensor view = at::from_blob(const_cast<uint8_t*>(v->data), v->shape,
                                        at::TensorOptions().dtype(to_torch_dtype(v->dtype)));
        return view.to(at::TensorOptions().dtype(opts.dtype).device(opts.device), false, true);
    };
    auto linear = [&](const std::string& prefix, bool with_bias) {
        LoraLinear l;
        l.weight = take(prefix + ".weight");
        if (with_bias) l.bias = take(prefix + ".bias");
        return l;
    };

    const auto& cfg = m.config;
    m.embed_tokens = take("model.embed_tokens.weight");
    m.final_norm = take("model.norm.weight");
    m.layers.resize(static_cast<size_t>(cfg.num_hidden_layers));
    for (int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
        if (opts.cancel && opts.cancel->cancelled()) return make_error(dir, "cancelled");
        const std::string p = "model.layers." + std::to_string(i);
        LlamaLayer& L = m.layers[static_cast<size_t>(i)];
        L.input_norm = take(p + ".input_layernorm.weight");
        L.post_norm = take(p + ".post_attention_layernorm.weight");
        L.q_proj = linear(p + ".self_attn.q_proj", cfg.attention_bias);
        L.k_proj = linear(p + ".self_attn.k_proj", cfg.attention_bias);
        L.v_proj = linear(p + ".self_attn.v_proj", cfg.attention_bias);
        L.o_proj = linear(p + ".self_attn.o_proj", cfg.attention_bias);
        L.gate_proj = linear(p + ".mlp.gate_proj", cfg.mlp_bias);
        L.up_proj = linear(p + ".mlp.up_proj", cfg.mlp_bias);
        L.down_proj = linear(p + ".mlp.down_proj", cfg.mlp_bias);
    }
    at::Tensor head = cfg.tie_word_embeddings ? at::Tensor() : take("lm_head.weight");
    m.lm_head = head.defined() ? head : m.embed_tokens;
    m.inv_freq = rope_inv_freq(cfg).to(opts.device);
    return m;
}

Result<at::ScalarType> parse_dtype(const std::string& name) {
    if (name == "fp32" || name == "float32") return at::kFloat;
    if (name == "bf16" || name == "bfloat16") return at::kBFloat16;
    if (name == "fp16" || name == "float16") return at::kHalf;
    return make_error("--dtype", "unknown dtype '" + name + "' (expected fp32, bf16 or fp16)");
}

const char* dtype_name(at::ScalarType t) {
    return t == at::kBFloat16 ? "bfloat16" : t == at::kHalf ? "float16" : "float32";
}

Result<at::Device> parse_device(const std::string& name) {
    if (name == "cpu") return at::Device(at::kCPU);
    if (name.rfind("cuda", 0) == 0) {
        if (!compat::cuda_available())
            return make_error(
                "--device", "'" + name + "' requested but no CUDA device is available" +
#ifdef TUNEBENCH_WITH_CUDA
                                std::string()
#else
                                std::string(" (this build is CPU-only)")
#endif
            );
        try {
            return at::Device(name);
        } catch (const std::exception&) {
            return make_error("--device", "malformed device '" + name + "'");
        }
    }
    return make_error("--device", "unknown device '" + name + "' (expected cpu or cuda[:N])");
}

}  // namespace tb
