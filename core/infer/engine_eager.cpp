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
// When the batch and model allow it (CUDA build, at most decode_gemv_max_batch() rows, no LoRA
// branch attached, head_dim 8..128, no biases; dense weights or the quant engine's NF4), the
// recorded step is made of the decode kernels of decode_kernels.h instead of torch ops: five
// kernels per layer (RMSNorm inside the GEMVs, RoPE and the cache write inside attention,
// residual adds and SwiGLU in the GEMV epilogues), chained with programmatic dependent launch.
// Larger batches keep the torch ops (cuBLAS). TB_DECODE_KERNELS=0 keeps the torch ops always
// (for comparison); =1 makes the kernels required (tests).
// An unpadded batch's prefill is recorded too (prefill_graph()), for the time to first token.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "core/common/torch_compat.h"
#include "core/infer/cuda_graph_step.h"
#include "core/infer/inference_engine.h"
#include "core/infer/kv_cache.h"

#if defined(TUNEBENCH_WITH_CUDA)
#include <c10/cuda/CUDAStream.h>

#include <cstdlib>

#include "core/infer/decode_kernels.h"
#include "core/quant/codebook.h"
#include "core/quant/qlora.h"
#endif

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
// Recorded prefill lengths kept per (bucket, capacity); lengths beyond run eagerly.
constexpr size_t kMaxPrefillGraphs = 32;
// Default of EagerBackend::decode_gemv_max_batch().
// Measured on the H200 (TinyLlama shape, bf16): the GEMVs beat cuBLAS up to 4 rows (batch 4:
// 1,696 vs 1,249 tok/s), cuBLAS wins at 8 (2,457 vs 2,199).
constexpr int64_t kDefaultGemvMaxBatch = 4;

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
#if defined(TUNEBENCH_WITH_CUDA)
        if (graph_ && m_.device.is_cuda()) prepare_nf4();
#endif
        for (const auto& L : m_.layers)
            for (const LoraLinear* p : {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj,
                                        &L.up_proj, &L.down_proj})
                if (p->is_packed() && !p->weight.defined()) packed_ = true;
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
            if (st->lora != lora_signature()) {  // adapter changed: recordings are stale
                st->step.reset();
                st->prefill.clear();
            }
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
        at::Tensor last;  // [B, V]
        if (state_ && !padded_ && !packed_) {
            last = prefill_graph(*state_, x, p);
        } else {
            at::Tensor h = run(cache, x, p, prefill_mask);
            last = logits(h.select(1, P - 1));
        }
        if (state_) {
            // The recorded step's inputs for this batch, refilled in place.
            state_->pos.copy_(pos_);
            state_->slot.fill_(P);
            if (key_bias_.defined())
                state_->bias.copy_(key_bias_);
            else
                state_->bias.zero_();
        }
        return last;
    }

    at::Tensor decode(const at::Tensor& tokens) override {
        if (state_) return decode_graph(tokens);
        at::Tensor h = run(*cache_, tokens.view({-1, 1}), pos_.view({-1, 1}), at::Tensor());
        pos_.add_(1);
        return logits(h.select(1, 0));
    }

    bool decode_kernels_cover(int64_t batch, int64_t capacity) const override {
#if defined(TUNEBENCH_WITH_CUDA)
        if (!graph_ || !m_.device.is_cuda()) return false;
        const char* env = std::getenv("TB_DECODE_KERNELS");
        if (env && std::string(env) == "0") return false;
        return kernels_possible(batch_bucket(batch),
                                (capacity + kCapacityStep - 1) / kCapacityStep * kCapacityStep);
#else
        (void)batch;
        (void)capacity;
        return false;
#endif
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

    // A recorded prefill: static inputs [B, P], its output [B, V] (prefill_graph()).
    struct PrefillGraph {
        int seen = 0;
        at::Tensor ids, pos, out;
        std::unique_ptr<CudaGraphStep> step;
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
        std::vector<const void*> lora;  // the LoRA branches the recordings used
        // Recorded prefills of unpadded batches, by prompt length (prefill_graph()).
        std::map<int64_t, PrefillGraph> prefill;
    };

    // Prefill of an unpadded batch in the graph engine: eager the first time a prompt length
    // is seen; from the second time on recorded (once) as a CUDA graph per length and replayed,
    // which removes the ~25 launches per layer that bound a short prompt's time to first token.
    // Recording on the second sighting keeps one-off lengths from paying for a capture.
    at::Tensor prefill_graph(GraphState& st, const at::Tensor& ids, const at::Tensor& pos) {
        const int64_t P = ids.size(1);
        KvCache& cache = *st.cache;
        PrefillGraph& pg = st.prefill[P];
        if (!pg.step && ++pg.seen >= 2 && st.prefill.size() <= kMaxPrefillGraphs) {
            pg.ids = ids.clone();
            pg.pos = pos.clone();
            auto step = std::make_unique<CudaGraphStep>();
            Status ok = step->capture(
                [&] { pg.out = logits(run(cache, pg.ids, pg.pos, at::Tensor()).select(1, P - 1)); },
                [&] { cache.clear(); }, /*warmup=*/1);
            cache.clear();
            if (!ok.ok()) throw std::runtime_error("graph engine prefill: " + ok.error().message);
            pg.step = std::move(step);
            st.lora = lora_signature();
        }
        if (!pg.step) {
            at::Tensor h = run(cache, ids, pos, at::Tensor());
            return logits(h.select(1, P - 1));
        }
        pg.ids.copy_(ids);
        pg.pos.copy_(pos);
        pg.step->replay();
        cache.advance(P);  // the replay wrote the cache; its host-side length follows
        return pg.out;
    }

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
            Status ok = step->capture(
                [&] {
#if defined(TUNEBENCH_WITH_CUDA)
                    if (kernels_usable(st)) {
                        graph_step_kernels(st);
                        return;
                    }
#endif
                    graph_step(st);
                },
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

#if defined(TUNEBENCH_WITH_CUDA)
    // Whether the decode kernels can compute this state's step (see the file comment).
    // TB_DECODE_KERNELS=0: never; =1: required (an unusable model is an error; tests use it
    // to know which path they measured).
    bool kernels_usable(const GraphState& st) const {
        const char* env = std::getenv("TB_DECODE_KERNELS");
        const std::string mode = env ? env : "";
        if (mode == "0") return false;
        const bool ok = kernels_possible(st.batch, st.capacity);
        if (!ok && mode == "1")
            throw std::runtime_error(
                "graph engine: TB_DECODE_KERNELS=1 but this model cannot use the decode kernels");
        return ok;
    }

    bool kernels_possible(int64_t batch, int64_t capacity) const {
        const at::ScalarType t = m_.dtype;
        if (t != at::kFloat && t != at::kBFloat16 && t != at::kHalf) return false;
        const auto& c = m_.config;
        const int64_t hd = c.head_dim;
        if (hd != 8 && hd != 16 && hd != 32 && hd != 64 && hd != 128) return false;
        if (hd * m_.embed_tokens.element_size() % 16 != 0) return false;
        if (c.hidden_size % 8 != 0 || c.intermediate_size % 8 != 0 ||
            (c.num_attention_heads * hd) % 8 != 0)
            return false;
        if (capacity > 32768 || head_) return false;
        // Dense weights: the GEMVs up to the measured crossover with cuBLAS. NF4: up to the
        // kernels' limit (the alternative decodes every weight per call, far slower).
        if (batch > (nf4_.empty() ? decode_gemv_max_batch() : decodecuda::kMaxGemvBatch))
            return false;
        if (!m_.lm_head.is_contiguous() || !m_.final_norm.is_contiguous()) return false;
        for (size_t i = 0; i < m_.layers.size(); ++i) {
            const LlamaLayer& L = m_.layers[i];
            const Fused& f = fused_[i];
            for (const LoraLinear* p : {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj,
                                        &L.up_proj, &L.down_proj})
                if (p->lora.defined()) return false;
            if (!L.input_norm.is_contiguous() || !L.post_norm.is_contiguous()) return false;
            if (!nf4_.empty()) {
                if (!nf4_[i].ready) return false;
                continue;
            }
            if (!still_fused(f.qkv, {&L.q_proj, &L.k_proj, &L.v_proj}) ||
                !still_fused(f.gate_up, {&L.gate_proj, &L.up_proj}))
                return false;
            if (f.qkv.bias.defined() || f.gate_up.bias.defined()) return false;
            if (!f.qkv.weight.is_contiguous() || !f.gate_up.weight.is_contiguous()) return false;
            for (const LoraLinear* p : {&L.o_proj, &L.down_proj})
                if (p->is_packed() || !p->weight.defined() || p->bias.defined() ||
                    !p->weight.is_contiguous())
                    return false;
        }
        return true;
    }

    // The NF4 form of every layer's projections for gemv_nf4 (quant engine "nf4" on CUDA):
    // the packed codes as they are, the block scales decoded once to fp32. Left empty unless
    // every projection of every layer is an unbiased NF4 weight with 64-weight blocks.
    void prepare_nf4() {
        std::vector<Nf4Layer> layers;
        for (auto& L : m_.layers) {
            Nf4Layer n;
            auto seg = [&](const LoraLinear& p, decodecuda::Nf4Matrix& m) {
                auto* w = dynamic_cast<const Nf4BaseWeight*>(p.packed.get());
                if (!w || p.weight.defined() || p.bias.defined()) return false;
                const QuantizedWeight& q = w->quantized();
                if (!q.device().is_cuda() || q.blocksize != 64 || q.shape.size() != 2 ||
                    q.shape[1] % 64 != 0 || !q.packed.is_contiguous())
                    return false;
                at::Tensor scales = q.absmax_values().to(at::kFloat).contiguous();  // [nblocks]
                n.keep.push_back(scales);
                m.codes[m.n] = q.packed.data_ptr<uint8_t>();
                m.scales[m.n] = scales.data_ptr<float>();
                m.rows[m.n] = static_cast<int>(q.shape[0]);
                ++m.n;
                return true;
            };
            n.ready = seg(L.q_proj, n.qkv) && seg(L.k_proj, n.qkv) && seg(L.v_proj, n.qkv) &&
                      seg(L.o_proj, n.o) && seg(L.gate_proj, n.gate_up) &&
                      seg(L.up_proj, n.gate_up) && seg(L.down_proj, n.down);
            if (!n.ready) return;
            layers.push_back(std::move(n));
        }
        for (size_t i = 0; i < 16; ++i) nf4_table_.v[i] = nf4_values()[i];
        nf4_ = std::move(layers);
    }

    static decodecuda::DType kernel_dtype(at::ScalarType t) {
        switch (t) {
            case at::kBFloat16:
                return decodecuda::DType::BF16;
            case at::kHalf:
                return decodecuda::DType::F16;
            default:
                return decodecuda::DType::F32;
        }
    }

    static void check(const std::string& err, const char* what) {
        if (!err.empty())
            throw std::runtime_error(std::string("graph engine: ") + what + ": " + err);
    }

    // The recorded body with the decode kernels (decode_kernels.h): every projection one GEMV
    // that reads its weights once for the whole batch (at most decode_gemv_max_batch() rows).
    void graph_step_kernels(GraphState& st) {
        namespace dk = decodecuda;
        const auto& c = m_.config;
        const int64_t B = st.batch, H = c.hidden_size, I = c.intermediate_size;
        const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim;
        const int64_t nqkv = (nh + 2 * nkv) * hd;
        const float eps = static_cast<float>(c.rms_norm_eps);
        const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
        const dk::DType dt = kernel_dtype(m_.dtype);
        void* stream = c10::cuda::getCurrentCUDAStream(m_.device.index()).stream();

        // One GEMV over a dense weight or a layer's NF4 matrices.
        auto gemv = [&](const at::Tensor& x, const at::Tensor* norm, const at::Tensor& dense,
                        const dk::Nf4Matrix* nf4, int64_t N, int64_t K, const at::Tensor* res,
                        const at::Tensor& y, dk::Epilogue ep, const char* what) {
            const void* nw = norm ? norm->data_ptr() : nullptr;
            const void* rp = res ? res->data_ptr() : nullptr;
            check(nf4 ? dk::gemv_nf4(x.data_ptr(), nw, eps, *nf4, K, rp, y.data_ptr(), B, ep,
                                     nf4_table_, dt, stream)
                      : dk::gemv(x.data_ptr(), nw, eps, dense.data_ptr(), N, K, rp, y.data_ptr(), B,
                                 ep, dt, stream),
                  what);
        };

        at::Tensor h = m_.embed(st.tokens.view({B, 1})).view({B, H}).contiguous();  // [B, H]
        const auto opts = h.options();
        for (size_t i = 0; i < m_.layers.size(); ++i) {
            const LlamaLayer& L = m_.layers[i];
            const Fused& f = fused_[i];
            const Nf4Layer* q4 = nf4_.empty() ? nullptr : &nf4_[i];
            at::Tensor qkv = at::empty({B, nqkv}, opts);  // [B, (nh + 2 nkv) hd]
            gemv(h, &L.input_norm, f.qkv.weight, q4 ? &q4->qkv : nullptr, nqkv, H, nullptr, qkv,
                 dk::Epilogue::Plain, "qkv");
            at::Tensor attn = at::empty({B, nh * hd}, opts);  // [B, nh hd]
            auto kv = st.cache->buffers(static_cast<int64_t>(i));
            check(dk::rope_attention_decode(qkv.data_ptr(), cos_.data_ptr(), sin_.data_ptr(),
                                            st.pos.data_ptr<int64_t>(), st.slot.data_ptr<int64_t>(),
                                            kv.first.data_ptr(), kv.second.data_ptr(),
                                            st.bias.data_ptr(), attn.data_ptr(), B, nh, nkv, hd,
                                            st.capacity, scale, dt, stream),
                  "attention");
            at::Tensor h1 = at::empty({B, H}, opts);  // h + o_proj(attn)
            gemv(attn, nullptr, L.o_proj.weight, q4 ? &q4->o : nullptr, H, nh * hd, &h, h1,
                 dk::Epilogue::Residual, "o_proj");
            at::Tensor act = at::empty({B, I}, opts);  // silu(gate) * up
            gemv(h1, &L.post_norm, f.gate_up.weight, q4 ? &q4->gate_up : nullptr, 2 * I, H, nullptr,
                 act, dk::Epilogue::SwiGLU, "gate_up");
            at::Tensor h2 = at::empty({B, H}, opts);  // h1 + down_proj(act)
            gemv(act, nullptr, L.down_proj.weight, q4 ? &q4->down : nullptr, H, I, &h1, h2,
                 dk::Epilogue::Residual, "down_proj");
            h = h2;
        }
        const int64_t V = m_.lm_head.size(0);
        st.logits = at::empty({B, V}, opts);
        gemv(h, &m_.final_norm, m_.lm_head, nullptr, V, H, nullptr, st.logits, dk::Epilogue::Plain,
             "lm_head");
        st.pos.add_(1);
        st.slot.add_(1);
    }

    // Batches up to this many rows decode on the GEMV kernels; larger ones keep cuBLAS (whose
    // tensor-core GEMMs win once the weights are reused across enough rows).
    // TB_DECODE_GEMV_MAX_BATCH overrides it (1..8), for measuring the crossover.
    static int64_t decode_gemv_max_batch() {
        static const int64_t n = [] {
            const char* e = std::getenv("TB_DECODE_GEMV_MAX_BATCH");
            const int64_t v = e ? std::atoll(e) : kDefaultGemvMaxBatch;
            return std::min<int64_t>(std::max<int64_t>(v, 1), decodecuda::kMaxGemvBatch);
        }();
        return n;
    }
#endif

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

#if defined(TUNEBENCH_WITH_CUDA)
    struct Nf4Layer {
        bool ready = false;
        decodecuda::Nf4Matrix qkv, o, gate_up, down;
        std::vector<at::Tensor> keep;  // the decoded scales the matrices point into
    };
    std::vector<Nf4Layer> nf4_;  // per layer, or empty (dense weights)
    decodecuda::Nf4Table nf4_table_{};
#endif
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
    bool packed_ = false;  // some projection is packed (quant): prefill is not recorded
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
