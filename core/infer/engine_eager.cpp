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
//
// The `graph` engine is this backend with graph_ set. Prefill stays eager (its length varies);
// a decode step is made replayable as a CUDA graph by fixing every shape and address:
// - the batch is padded to a bucket and the cache capacity rounded up to kCapacityStep, and
//   the cache of a (bucket, capacity) is kept between batches (KvCache::clear), so the
//   recorded step writes into the same buffers every time;
// - the step's inputs live in tensors of the state (tokens, positions, the cache slot) that
//   are refilled in place; the slot is a device tensor, so K/V are written with index_copy_
//   at it and attention runs over the whole capacity with the keys after the slot masked (a
//   [B, 1, 1, cap] bias: padding as in eager, plus "not yet written"), instead of over a
//   growing narrow() of the cache;
// - the RoPE table is built for the longest context up front and never reallocated while a
//   graph refers to it; a change of the attached LoRA branches (another adapter) drops the
//   recorded graph of that shape.
// Attending over the whole capacity costs a little more per step than eager's exact length;
// the replay saves launching ~500 kernels per token, which is what bounds batch-1 decode.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "core/common/torch_compat.h"
#include "core/infer/cuda_graph_step.h"
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

// Cache capacities of the graph engine are multiples of this (fewer recorded graphs).
constexpr int64_t kCapacityStep = 256;

int64_t batch_bucket(int64_t b) {
    if (b > 64) return (b + 63) / 64 * 64;
    int64_t k = 1;
    while (k < b) k *= 2;
    return k;
}

class EagerBackend final : public DecodeBackend {
  public:
    EagerBackend(LlamaModel& m, bool graph, std::shared_ptr<const PackedBaseWeight> head = nullptr)
        : m_(m), graph_(graph), head_(std::move(head)) {
        torch::NoGradGuard no_grad;
        for (auto& L : m_.layers) {
            Fused f;
            f.qkv = fuse({&L.q_proj, &L.k_proj, &L.v_proj});
            f.gate_up = fuse({&L.gate_proj, &L.up_proj});
            fused_.push_back(std::move(f));
        }
        if (graph_) ensure_rope(std::max<int64_t>(m_.config.max_position_embeddings, 1));
    }

    at::Tensor prefill(const std::vector<std::vector<int64_t>>& rows, int64_t pad_id,
                       int64_t max_new_tokens) override {
        if (!graph_) return prefill_eager(rows, pad_id, max_new_tokens, 0);
        // Pad the batch to its bucket with one-token dummy prompts (their rows are computed
        // and never returned).
        const int64_t B = static_cast<int64_t>(rows.size());
        std::vector<std::vector<int64_t>> prompts = rows;
        prompts.resize(static_cast<size_t>(batch_bucket(B)), std::vector<int64_t>{pad_id});
        int64_t P = 0;
        for (const auto& p : prompts) P = std::max<int64_t>(P, static_cast<int64_t>(p.size()));
        const int64_t cap =
            (P + max_new_tokens + kCapacityStep - 1) / kCapacityStep * kCapacityStep;
        return prefill_eager(prompts, pad_id, max_new_tokens, cap).narrow(0, 0, B);
    }

    // capacity > 0: the graph engine's (its state's cache is reused, see the file comment).
    at::Tensor prefill_eager(const std::vector<std::vector<int64_t>>& prompts, int64_t pad_id,
                             int64_t max_new_tokens, int64_t capacity) {
        const auto& c = m_.config;
        const int64_t B = static_cast<int64_t>(prompts.size());
        int64_t P = 0;
        for (const auto& p : prompts) P = std::max<int64_t>(P, static_cast<int64_t>(p.size()));
        const int64_t cap = capacity > 0 ? capacity : P + max_new_tokens;
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
        state_ = nullptr;
        if (capacity > 0) {
            std::unique_ptr<GraphState>& st = graphs_[{B, cap}];
            if (!st) {
                st = std::make_unique<GraphState>();
                st->batch = B;
                st->capacity = cap;
                st->cache = std::make_unique<KvCache>(c.num_hidden_layers, B, c.num_key_value_heads,
                                                      cap, c.head_dim, m_.dtype, dev);
                const auto lo = at::TensorOptions().dtype(at::kLong).device(dev);
                st->tokens = at::zeros({B}, lo);
                st->pos = at::zeros({B}, lo);
                st->slot = at::zeros({1}, lo);
                st->keys = at::arange(cap, lo);
                st->bias =
                    at::zeros({B, 1, 1, cap}, at::TensorOptions().dtype(m_.dtype).device(dev));
            }
            if (st->step && st->lora != lora_signature()) st->step.reset();  // adapter changed
            st->cache->clear();
            state_ = st.get();
        } else {
            cache_ = std::make_unique<KvCache>(c.num_hidden_layers, B, c.num_key_value_heads, cap,
                                               c.head_dim, m_.dtype, dev);
        }
        KvCache& cache = state_ ? *state_->cache : *cache_;
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
        at::Tensor h = run(cache, x, p, prefill_mask);
        if (state_) {
            // The recorded step's inputs for this batch, refilled in place.
            state_->pos.copy_(pos_);
            state_->slot.fill_(P);
            if (key_bias_.defined())
                state_->bias.copy_(key_bias_);
            else
                state_->bias.zero_();
        }
        return logits(h.select(1, P - 1));
    }

    at::Tensor decode(const at::Tensor& tokens) override {
        if (state_) return decode_graph(tokens);
        at::Tensor h = run(*cache_, tokens.view({-1, 1}), pos_.view({-1, 1}), at::Tensor());
        pos_.add_(1);
        return logits(h.select(1, 0));
    }

    void release() override {
        state_ = nullptr;  // the graph engine keeps its states' caches for the next batch
        cache_.reset();
        key_bias_ = at::Tensor();
        pos_ = at::Tensor();
    }

  private:
    struct Fused {
        FusedGroup qkv, gate_up;
    };

    // What one recorded decode step reads and writes (graph engine); see the file comment.
    struct GraphState {
        int64_t batch = 0, capacity = 0;
        std::unique_ptr<KvCache> cache;
        at::Tensor tokens;  // [B] int64: the step's input tokens
        at::Tensor pos;     // [B] int64: RoPE position of each row's next token
        at::Tensor slot;    // [1] int64: cache index the step writes (the same for every row)
        at::Tensor bias;    // [B, 1, 1, cap] additive padding bias (0 / lowest), model dtype
        at::Tensor keys;    // [cap] int64: 0..cap-1
        at::Tensor logits;  // [B, V]: the recorded step's output
        std::unique_ptr<CudaGraphStep> step;
        std::vector<const void*> lora;  // the LoRA branches the recording used
    };

    std::vector<const void*> lora_signature() const {
        std::vector<const void*> sig;
        for (const auto& L : m_.layers)
            for (const LoraLinear* p : {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj,
                                        &L.up_proj, &L.down_proj})
                sig.push_back(p->lora.defined() ? p->lora.A.data_ptr() : nullptr);
        return sig;
    }

    // cos/sin [n, hd] for positions 0..n-1, grown (doubling) on demand.
    void ensure_rope(int64_t n) {
        if (cos_.defined() && cos_.size(0) >= n) return;
        graphs_.clear();  // recorded steps read the old table
        int64_t rows = cos_.defined() ? cos_.size(0) : 256;
        while (rows < n) rows *= 2;
        at::Tensor p = at::arange(rows, at::TensorOptions().dtype(at::kLong).device(m_.device));
        RopeTables t = m_.rope(p.view({1, rows}));  // [1, 1, rows, hd]
        cos_ = t.cos.view({rows, -1}).contiguous();
        sin_ = t.sin.view({rows, -1}).contiguous();
    }

    // ids [B, T], positions [B, T] on the device; prefill (cache empty) or one decode step.
    at::Tensor run(KvCache& cache, const at::Tensor& ids, const at::Tensor& positions,
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
            h = layer(cache, i, h, cos, sin, prefill_mask);
        cache.advance(T);
        return m_.rms_norm(h, m_.final_norm);
    }

    at::Tensor layer(KvCache& cache, int64_t i, const at::Tensor& h, const at::Tensor& cos,
                     const at::Tensor& sin, const at::Tensor& prefill_mask) {
        const LlamaLayer& L = m_.layers[static_cast<size_t>(i)];
        const Fused& f = fused_[static_cast<size_t>(i)];
        const auto& c = m_.config;
        const int64_t B = h.size(0), T = h.size(1);
        const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim;
        const int64_t rep = nh / nkv;
        const int64_t past = cache.length();
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
        auto kv = cache.append(i, k.transpose(1, 2), v.transpose(1, 2));  // [B, nkv, past+T, hd]

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

    // One decode step of the graph engine: recorded at the first step of a (bucket, capacity)
    // and replayed from then on.
    at::Tensor decode_graph(const at::Tensor& tokens) {
        GraphState& st = *state_;
        const int64_t B = tokens.size(0);
        st.tokens.narrow(0, 0, B).copy_(tokens);
        if (!st.step) {
            auto step = std::make_unique<CudaGraphStep>();
            // The eager warm-up run writes this step's K/V (the values the replay writes
            // again) and advances pos/slot; `between` steps them back.
            Status ok = step->capture([&] { graph_step(st); },
                                      [&] {
                                          st.pos.sub_(1);
                                          st.slot.sub_(1);
                                      },
                                      /*warmup=*/1);
            if (!ok.ok()) throw std::runtime_error("graph engine: " + ok.error().message);
            st.step = std::move(step);
            st.lora = lora_signature();
        }
        st.step->replay();
        return st.logits.narrow(0, 0, B);
    }

    // The recorded body: fixed shapes, inputs read from the state, no host synchronisation.
    void graph_step(GraphState& st) {
        const compat::NoCudnnSdpaGuard no_cudnn_sdpa;
        const int64_t B = st.batch, hd = m_.config.head_dim;
        at::Tensor cos = cos_.index_select(0, st.pos).view({B, 1, 1, hd});
        at::Tensor sin = sin_.index_select(0, st.pos).view({B, 1, 1, hd});
        // Keys after the slot are not written yet: masked like padding.
        at::Tensor bias =
            at::where(st.keys.gt(st.slot).view({1, 1, 1, -1}),
                      at::full({}, lowest(st.bias.scalar_type()), st.bias.options()), st.bias);
        at::Tensor h = m_.embed(st.tokens.view({B, 1}));
        for (int64_t i = 0; i < static_cast<int64_t>(m_.layers.size()); ++i)
            h = graph_layer(st, i, h, cos, sin, bias);
        st.logits = at::linear(m_.rms_norm(h, m_.final_norm).select(1, 0), m_.lm_head);
        st.pos.add_(1);
        st.slot.add_(1);
    }

    static double lowest(at::ScalarType t) {
        switch (t) {
            case at::kBFloat16:
                return -3.3895313892515355e38;  // bf16's lowest finite
            case at::kHalf:
                return -65504.0;
            default:
                return static_cast<double>(std::numeric_limits<float>::lowest());
        }
    }

    // LlamaLayer's math for one token per row; K/V written at the slot, attention over the
    // whole capacity under `bias` ([B, 1, 1, cap]).
    at::Tensor graph_layer(GraphState& st, int64_t i, const at::Tensor& h, const at::Tensor& cos,
                           const at::Tensor& sin, const at::Tensor& bias) {
        const LlamaLayer& L = m_.layers[static_cast<size_t>(i)];
        const Fused& f = fused_[static_cast<size_t>(i)];
        const auto& c = m_.config;
        const int64_t B = h.size(0);
        const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim;
        const double scale = 1.0 / std::sqrt(static_cast<double>(hd));

        at::Tensor x = m_.rms_norm(h, L.input_norm);
        at::Tensor qkv = group_linear(f.qkv, {&L.q_proj, &L.k_proj, &L.v_proj}, x)
                             .view({B, 1, nh + 2 * nkv, hd});
        at::Tensor qk = qkv.narrow(2, 0, nh + nkv);
        at::Tensor v = qkv.narrow(2, nh + nkv, nkv);
        qk = qk * cos + rotate_half(qk) * sin;
        at::Tensor q = qk.narrow(2, 0, nh);
        at::Tensor k = qk.narrow(2, nh, nkv);
        auto kv = st.cache->buffers(i);                       // [B, nkv, cap, hd] each
        kv.first.index_copy_(2, st.slot, k.transpose(1, 2));  // [B, nkv, 1, hd] at the slot
        kv.second.index_copy_(2, st.slot, v.transpose(1, 2));
        at::Tensor qg = q.reshape({B, nkv, nh / nkv, hd});
        at::Tensor a =
            compat::attention(qg, kv.first, kv.second, bias, scale, m_.use_fused_attention)
                .reshape({B, 1, nh * hd});
        at::Tensor h1 = h + L.o_proj.forward(a, false);
        at::Tensor y = m_.rms_norm(h1, L.post_norm);
        const int64_t I = c.intermediate_size;
        at::Tensor gu = group_linear(f.gate_up, {&L.gate_proj, &L.up_proj}, y);
        at::Tensor g = at::silu(gu.narrow(-1, 0, I)) * gu.narrow(-1, I, I);
        return h1 + L.down_proj.forward(g, false);
    }

    // [B, H] final hidden states -> [B, V] logits: through the packed head when one was given
    // (the quant engine's Q8_0 lm_head), else model.lm_head.
    at::Tensor logits(const at::Tensor& h) const {
        return head_ ? head_->linear(h, at::Tensor()) : at::linear(h, m_.lm_head);
    }

    LlamaModel& m_;
    const bool graph_;
    std::shared_ptr<const PackedBaseWeight> head_;  // packed lm_head, or null (see logits())
    std::map<std::pair<int64_t, int64_t>, std::unique_ptr<GraphState>> graphs_;  // (B, cap)
    GraphState* state_ = nullptr;  // the current batch's (graph engine)
    std::vector<Fused> fused_;
    at::Tensor cos_, sin_;  // [rows, hd] model dtype
    std::unique_ptr<KvCache> cache_;
    at::Tensor pos_;       // [B] int64: position of each row's next token
    at::Tensor key_bias_;  // [B, 1, 1, capacity] additive padding bias, or undefined
    bool padded_ = false;
};

}  // namespace

std::unique_ptr<DecodeBackend> make_eager_backend(LlamaModel& model,
                                                  std::shared_ptr<const PackedBaseWeight> head) {
    return std::make_unique<EagerBackend>(model, /*graph=*/false, std::move(head));
}

std::unique_ptr<DecodeBackend> make_graph_backend(LlamaModel& model) {
    return std::make_unique<EagerBackend>(model, /*graph=*/true);
}

}  // namespace tb::infer
