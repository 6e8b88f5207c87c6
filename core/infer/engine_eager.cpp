// The `eager` engine: one forward per token over a preallocated KV cache, written so that a
// decode step does no host work beyond launching its kernels:
// - q/k/v and gate/up are one GEMM each (fused weights; the LlamaLayer projections become
//   views into them, so memory does not grow);
// - RoPE cos/sin come from a table built once (LlamaModel::rope on positions 0..n, so the
//   numbers are HF's) and are gathered by a device position tensor that is bumped in place;
// - no mask is built per step: a batch without padding decodes with none, a left-padded one
//   with one additive key bias [B, 1, 1, capacity] made at prefill and narrowed per step;
// - prefill without padding is causal attention (SDPA is_causal from libtorch 2.1: the flash
//   kernel), GQA without expanding K/V where SDPA supports it (2.5+, CUDA, bf16/fp16);
// - a decode step attends with the query heads grouped per KV head ([B, n_kv, rep, hd]
//   against the cache's [B, n_kv, T, hd]): GQA without copying K/V, and with a single query
//   position per row no causal mask is needed.
// The math is LlamaModel's (RMSNorm, RoPE, softmax in fp32 on the eager path), so fp32 greedy
// tokens equal the reference generate path and HF.
#include <algorithm>
#include <cmath>

#include "core/common/torch_compat.h"
#include "core/infer/inference_engine.h"
#include "core/infer/kv_cache.h"

namespace tb::infer {
namespace {

at::Tensor rotate_half(const at::Tensor& x) {
    const int64_t half = x.size(-1) / 2;
    return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// Adds a LoRA branch's term to `y` (a slice of a fused projection output) in place, exactly as
// LoraLinear::forward adds it (inference: no dropout).
void add_lora(at::Tensor y, const LoraLinear& lin, const at::Tensor& x) {
    const LoraBranch& l = lin.lora;
    at::Tensor t = at::linear(at::linear(x.to(l.A.scalar_type()), l.A), l.B);
    y.add_((t * l.scale).to(y.scalar_type()));
}

struct FusedGroup {
    at::Tensor weight;  // [sum(out), in]
    at::Tensor bias;    // [sum(out)] or undefined
    bool ok = false;
};

// Concatenates the weights (and biases) of `parts` and makes each part's weight a view into
// the result. Left unfused when any part is packed (QLoRA) or the biases are mixed.
FusedGroup fuse(std::vector<LoraLinear*> parts) {
    FusedGroup g;
    bool all_bias = true, no_bias = true;
    for (LoraLinear* p : parts) {
        if (p->is_packed() || !p->weight.defined()) return g;
        all_bias = all_bias && p->bias.defined();
        no_bias = no_bias && !p->bias.defined();
    }
    if (!all_bias && !no_bias) return g;
    std::vector<at::Tensor> ws, bs;
    for (LoraLinear* p : parts) {
        ws.push_back(p->weight);
        if (all_bias) bs.push_back(p->bias);
    }
    g.weight = at::cat(ws, 0);
    if (all_bias) g.bias = at::cat(bs, 0);
    int64_t off = 0;
    for (LoraLinear* p : parts) {
        const int64_t n = p->weight.size(0);
        p->weight = g.weight.narrow(0, off, n);
        if (all_bias) p->bias = g.bias.narrow(0, off, n);
        off += n;
    }
    g.ok = true;
    return g;
}

// The fused group is still what the projections use (a merge elsewhere would have replaced a
// projection's weight with a tensor of its own).
bool still_fused(const FusedGroup& g, const std::vector<const LoraLinear*>& parts) {
    if (!g.ok) return false;
    int64_t off = 0;
    for (const LoraLinear* p : parts) {
        if (!p->weight.defined() || p->lora.magnitude.defined()) return false;
        const char* expect = static_cast<const char*>(g.weight.data_ptr()) +
                             off * g.weight.stride(0) * g.weight.element_size();
        if (p->weight.data_ptr() != expect) return false;
        off += p->weight.size(0);
    }
    return true;
}

// y = x W^T (+ b) for the projections of a fused group, plus their LoRA terms, as one output
// [.., sum(out)]; falls back to the projections one by one.
at::Tensor group_linear(const FusedGroup& g, const std::vector<const LoraLinear*>& parts,
                        const at::Tensor& x) {
    if (!still_fused(g, parts)) {
        std::vector<at::Tensor> ys;
        for (const LoraLinear* p : parts) ys.push_back(p->forward(x, false));
        return at::cat(ys, -1);
    }
    at::Tensor y = g.bias.defined() ? at::linear(x, g.weight, g.bias) : at::linear(x, g.weight);
    int64_t off = 0;
    for (const LoraLinear* p : parts) {
        const int64_t n = p->weight.size(0);
        if (p->lora.defined()) add_lora(y.narrow(-1, off, n), *p, x);
        off += n;
    }
    return y;
}

class EagerBackend final : public DecodeBackend {
  public:
    explicit EagerBackend(LlamaModel& m) : m_(m) {
        torch::NoGradGuard no_grad;
        for (auto& L : m_.layers) {
            Fused f;
            f.qkv = fuse({&L.q_proj, &L.k_proj, &L.v_proj});
            f.gate_up = fuse({&L.gate_proj, &L.up_proj});
            fused_.push_back(std::move(f));
        }
    }

    at::Tensor prefill(const std::vector<std::vector<int64_t>>& prompts, int64_t pad_id,
                       int64_t max_new_tokens) override {
        const auto& c = m_.config;
        const int64_t B = static_cast<int64_t>(prompts.size());
        int64_t P = 0;
        for (const auto& p : prompts) P = std::max<int64_t>(P, static_cast<int64_t>(p.size()));
        const int64_t cap = P + max_new_tokens;
        ensure_rope(cap);

        // Host-side batch: ids, HF positions for left padding (cumsum(mask) - 1, padding at
        // 1), the 0/1 key mask; one copy each to the device.
        at::Tensor ids = at::full({B, P}, pad_id, at::kLong);
        at::Tensor pos = at::ones({B, P}, at::kLong);
        at::Tensor next_pos = at::empty({B}, at::kLong);
        padded_ = false;
        {
            auto ia = ids.accessor<int64_t, 2>();
            auto pa = pos.accessor<int64_t, 2>();
            for (int64_t b = 0; b < B; ++b) {
                const auto& p = prompts[static_cast<size_t>(b)];
                const int64_t n = static_cast<int64_t>(p.size()), off = P - n;
                if (off > 0) padded_ = true;
                for (int64_t j = 0; j < n; ++j) {
                    ia[b][off + j] = p[static_cast<size_t>(j)];
                    pa[b][off + j] = j;
                }
                next_pos[b] = n;
            }
        }
        const at::Device dev = m_.device;
        cache_ = std::make_unique<KvCache>(c.num_hidden_layers, B, c.num_key_value_heads, cap,
                                           c.head_dim, m_.dtype, dev);
        pos_ = next_pos.to(dev);
        at::Tensor prefill_mask;
        key_bias_ = at::Tensor();
        if (padded_) {
            at::Tensor km = at::zeros({B, cap}, at::kLong);
            for (int64_t b = 0; b < B; ++b) {
                const int64_t off =
                    P - static_cast<int64_t>(prompts[static_cast<size_t>(b)].size());
                km.narrow(0, b, 1).narrow(1, off, cap - off).fill_(1);
            }
            km = km.to(dev);
            // LlamaModel's mask builder: causal + padding for the prompt, and for decoding the
            // row of the last position over the whole capacity, which is then only padding.
            prefill_mask = m_.attention_mask(km.narrow(1, 0, P), 0, P);
            key_bias_ = m_.attention_mask(km, cap - 1, 1);  // [B, 1, 1, cap]
        }
        at::Tensor x = ids.to(dev);
        at::Tensor p = pos.to(dev);
        at::Tensor h = run(x, p, prefill_mask);
        return at::linear(h.select(1, P - 1), m_.lm_head);
    }

    at::Tensor decode(const at::Tensor& tokens) override {
        at::Tensor h = run(tokens.view({-1, 1}), pos_.view({-1, 1}), at::Tensor());
        pos_.add_(1);
        return at::linear(h.select(1, 0), m_.lm_head);
    }

    void release() override {
        cache_.reset();
        key_bias_ = at::Tensor();
        pos_ = at::Tensor();
    }

  private:
    struct Fused {
        FusedGroup qkv, gate_up;
    };

    // cos/sin [n, hd] for positions 0..n-1, grown (doubling) on demand.
    void ensure_rope(int64_t n) {
        if (cos_.defined() && cos_.size(0) >= n) return;
        int64_t rows = cos_.defined() ? cos_.size(0) : 256;
        while (rows < n) rows *= 2;
        at::Tensor p = at::arange(rows, at::TensorOptions().dtype(at::kLong).device(m_.device));
        RopeTables t = m_.rope(p.view({1, rows}));  // [1, 1, rows, hd]
        cos_ = t.cos.view({rows, -1}).contiguous();
        sin_ = t.sin.view({rows, -1}).contiguous();
    }

    // ids [B, T], positions [B, T] on the device; prefill (cache empty) or one decode step.
    at::Tensor run(const at::Tensor& ids, const at::Tensor& positions,
                   const at::Tensor& prefill_mask) {
        // No cuDNN attention: it plans per key length, i.e. once per decoded token in a
        // fresh process (torch_compat.h).
        const compat::NoCudnnSdpaGuard no_cudnn_sdpa;
        const int64_t B = ids.size(0), T = ids.size(1);
        const int64_t hd = m_.config.head_dim;
        at::Tensor flat = positions.reshape({-1});
        at::Tensor cos = cos_.index_select(0, flat).view({B, T, 1, hd});
        at::Tensor sin = sin_.index_select(0, flat).view({B, T, 1, hd});
        at::Tensor h = m_.embed(ids);
        for (int64_t i = 0; i < static_cast<int64_t>(m_.layers.size()); ++i)
            h = layer(i, h, cos, sin, prefill_mask);
        cache_->advance(T);
        return m_.rms_norm(h, m_.final_norm);
    }

    at::Tensor layer(int64_t i, const at::Tensor& h, const at::Tensor& cos, const at::Tensor& sin,
                     const at::Tensor& prefill_mask) {
        const LlamaLayer& L = m_.layers[static_cast<size_t>(i)];
        const Fused& f = fused_[static_cast<size_t>(i)];
        const auto& c = m_.config;
        const int64_t B = h.size(0), T = h.size(1);
        const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim;
        const int64_t rep = nh / nkv;
        const int64_t past = cache_->length();
        const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
        const bool fused_attn = m_.use_fused_attention;

        at::Tensor x = m_.rms_norm(h, L.input_norm);
        at::Tensor qkv = group_linear(f.qkv, {&L.q_proj, &L.k_proj, &L.v_proj}, x)
                             .view({B, T, nh + 2 * nkv, hd});
        at::Tensor qk = qkv.narrow(2, 0, nh + nkv);
        at::Tensor v = qkv.narrow(2, nh + nkv, nkv);
        qk = qk * cos + rotate_half(qk) * sin;  // q and k roped together
        at::Tensor q = qk.narrow(2, 0, nh);
        at::Tensor k = qk.narrow(2, nh, nkv);
        auto kv = cache_->append(i, k.transpose(1, 2), v.transpose(1, 2));  // [B, nkv, past+T, hd]

        at::Tensor a;
        if (T == 1) {
            // Decode: query heads grouped per KV head; every stored key is visible (padding
            // keys are masked by the bias).
            at::Tensor qg = q.reshape({B, nkv, rep, hd});
            at::Tensor bias = key_bias_.defined() ? key_bias_.narrow(3, 0, past + 1) : at::Tensor();
            a = compat::attention(qg, kv.first, kv.second, bias, scale, fused_attn);
            a = a.reshape({B, 1, nh * hd});
        } else {
            at::Tensor qt = q.transpose(1, 2), kt = k.transpose(1, 2), vt = v.transpose(1, 2);
            if (!prefill_mask.defined() && compat::causal_attention_gqa_supported(qt, fused_attn)) {
                a = compat::causal_attention_gqa(qt, kt, vt, scale);
            } else {
                if (rep > 1) {
                    // HF's repeat_kv.
                    kt = kt.unsqueeze(2).expand({B, nkv, rep, T, hd}).reshape({B, nh, T, hd});
                    vt = vt.unsqueeze(2).expand({B, nkv, rep, T, hd}).reshape({B, nh, T, hd});
                }
                a = prefill_mask.defined()
                        ? compat::attention(qt, kt, vt, prefill_mask, scale, fused_attn)
                        : compat::causal_attention(qt, kt, vt, scale, fused_attn);
            }
            a = a.transpose(1, 2).reshape({B, T, nh * hd});
        }
        at::Tensor h1 = h + L.o_proj.forward(a, false);

        at::Tensor y = m_.rms_norm(h1, L.post_norm);
        const int64_t I = c.intermediate_size;
        at::Tensor gu = group_linear(f.gate_up, {&L.gate_proj, &L.up_proj}, y);
        at::Tensor g = at::silu(gu.narrow(-1, 0, I)) * gu.narrow(-1, I, I);
        return h1 + L.down_proj.forward(g, false);
    }

    LlamaModel& m_;
    std::vector<Fused> fused_;
    at::Tensor cos_, sin_;  // [rows, hd] model dtype
    std::unique_ptr<KvCache> cache_;
    at::Tensor pos_;       // [B] int64: position of each row's next token
    at::Tensor key_bias_;  // [B, 1, 1, capacity] additive padding bias, or undefined
    bool padded_ = false;
};

}  // namespace

std::unique_ptr<DecodeBackend> make_eager_backend(LlamaModel& model) {
    return std::make_unique<EagerBackend>(model);
}

}  // namespace tb::infer
