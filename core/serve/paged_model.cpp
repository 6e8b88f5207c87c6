#include "core/serve/paged_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/common/torch_compat.h"

namespace tb::serve {
namespace {

at::Tensor rotate_half(const at::Tensor& x) {
    const int64_t half = x.size(-1) / 2;
    return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

double lowest(at::ScalarType t) {
    switch (t) {
        case at::kBFloat16:
            return -3.3895313892515355e38;  // bf16's lowest finite
        case at::kHalf:
            return -65504.0;
        default:
            return static_cast<double>(std::numeric_limits<float>::lowest());
    }
}

// Concatenates the dense weights of `parts` and makes each part's weight a view into the
// result (no extra memory); undefined when a part is packed (QLoRA) or has a bias.
at::Tensor fuse(std::vector<LoraLinear*> parts) {
    for (LoraLinear* p : parts)
        if (p->is_packed() || !p->weight.defined() || p->bias.defined()) return at::Tensor();
    std::vector<at::Tensor> ws;
    for (LoraLinear* p : parts) ws.push_back(p->weight);
    at::Tensor w = at::cat(ws, 0);
    int64_t off = 0;
    for (LoraLinear* p : parts) {
        const int64_t n = p->weight.size(0);
        p->weight = w.narrow(0, off, n);
        off += n;
    }
    return w;
}

// The step's index lists, uploaded together: one host buffer (pinned on CUDA) and one copy
// instead of one blocking copy per list.
class Upload {
  public:
    // Appends `v`; returns its handle (offset, size).
    std::pair<int64_t, int64_t> add(const std::vector<int64_t>& v) {
        const int64_t off = static_cast<int64_t>(all_.size());
        all_.insert(all_.end(), v.begin(), v.end());
        return {off, static_cast<int64_t>(v.size())};
    }
    void send(const at::Device& dev) {
        at::Tensor host = at::tensor(all_, at::kLong);
        if (dev.is_cuda()) host = host.pin_memory();
        dev_ = dev.is_cuda() ? host.to(dev, /*non_blocking=*/true) : host;
    }
    at::Tensor get(std::pair<int64_t, int64_t> h) const {
        return dev_.narrow(0, h.first, h.second);
    }

  private:
    std::vector<int64_t> all_;
    at::Tensor dev_;
};

}  // namespace

DecodeGather make_decode_gather(const at::Tensor& block_tables, const at::Tensor& context_lens,
                                int64_t max_context, int64_t block_size, at::ScalarType dtype) {
    const int64_t D = block_tables.size(0), L = max_context, bs = block_size;
    const auto lo = at::TensorOptions().dtype(at::kLong).device(block_tables.device());
    at::Tensor pos = at::arange(L, lo);  // [L]
    DecodeGather g;
    g.slots = (block_tables.index_select(1, at::floor_divide(pos, bs)) * bs +
               at::remainder(pos, bs).view({1, L}))
                  .reshape({-1});  // [D L]
    // Keys past a sequence's length are padding: masked (their gathered values are finite:
    // the pool starts zeroed and only ever holds K/V).
    at::Tensor valid = pos.view({1, L}) < context_lens.view({D, 1});  // [D, L]
    const auto o = at::TensorOptions().dtype(dtype).device(block_tables.device());
    g.bias = at::where(valid, at::zeros({}, o), at::full({}, lowest(dtype), o)).view({D, 1, 1, L});
    return g;
}

at::Tensor paged_decode_attention(const at::Tensor& q, const at::Tensor& k_pool,
                                  const at::Tensor& v_pool, const at::Tensor& block_tables,
                                  const at::Tensor& context_lens, int64_t max_context, double scale,
                                  bool use_fused, const DecodeGather* gather) {
    const int64_t D = q.size(0), nh = q.size(1), hd = q.size(2);
    const int64_t bs = k_pool.size(1), nkv = k_pool.size(2);
    const int64_t L = max_context;
    DecodeGather own;
    if (!gather) {
        own = make_decode_gather(block_tables, context_lens, max_context, bs, q.scalar_type());
        gather = &own;
    }
    const int64_t rows = k_pool.size(0) * bs;
    // [D, L, nkv, hd] -> [D, nkv, L, hd]
    at::Tensor k =
        k_pool.view({rows, nkv, hd}).index_select(0, gather->slots).view({D, L, nkv, hd});
    at::Tensor v =
        v_pool.view({rows, nkv, hd}).index_select(0, gather->slots).view({D, L, nkv, hd});
    k = k.permute({0, 2, 1, 3});
    v = v.permute({0, 2, 1, 3});
    // Query heads grouped per KV head (GQA without copying K/V), as the eager decode step.
    at::Tensor qg = q.reshape({D, nkv, nh / nkv, hd});
    at::Tensor a =
        compat::attention(qg, k, v, gather->bias, scale, use_fused);  // [D, nkv, rep, hd]
    return a.reshape({D, nh, hd});
}

int64_t PagedModel::block_bytes(const LlamaConfig& c, int64_t block_size, at::ScalarType dtype) {
    return 2 * c.num_hidden_layers * block_size * c.num_key_value_heads * c.head_dim *
           static_cast<int64_t>(c10::elementSize(dtype));
}

PagedModel::PagedModel(LlamaModel& model, int64_t num_blocks, int64_t block_size)
    : m_(model), num_blocks_(num_blocks), block_size_(block_size) {
    torch::NoGradGuard no_grad;
    const auto& c = m_.config;
    const auto opts = at::TensorOptions().dtype(m_.dtype).device(m_.device);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        // Zeroed: padded keys of a decode batch read whatever a slot holds, and must read
        // finite numbers (0 * NaN would poison the masked sum).
        k_pool_.push_back(
            at::zeros({num_blocks, block_size, c.num_key_value_heads, c.head_dim}, opts));
        v_pool_.push_back(
            at::zeros({num_blocks, block_size, c.num_key_value_heads, c.head_dim}, opts));
    }
    for (auto& L : m_.layers) {
        Fused f;
        f.qkv = fuse({&L.q_proj, &L.k_proj, &L.v_proj});
        f.gate_up = fuse({&L.gate_proj, &L.up_proj});
        fused_.push_back(std::move(f));
    }
    ensure_rope(std::max<int64_t>(c.max_position_embeddings, 1));
}

void PagedModel::ensure_rope(int64_t n) {
    if (cos_.defined() && cos_.size(0) >= n) return;
    at::Tensor p = at::arange(n, at::TensorOptions().dtype(at::kLong).device(m_.device));
    RopeTables t = m_.rope(p.view({1, n}));  // [1, 1, n, hd]
    cos_ = t.cos.view({n, -1}).contiguous();
    sin_ = t.sin.view({n, -1}).contiguous();
}

at::Tensor PagedModel::step(const std::vector<StepChunk>& chunks) {
    const at::Device dev = m_.device;
    const int64_t bs = block_size_;
    // Host side: the flattened tokens, their positions and slots, the LoRA groups, the decode
    // rows' tables and the longer chunks' key slots.
    std::vector<int64_t> ids, pos, slots, want;
    std::map<const AdapterWeights*, std::vector<int64_t>> groups;
    std::vector<int64_t> d_rows, d_lens, d_tables;
    int64_t d_width = 1, d_max = 0;
    Upload up;
    std::vector<std::pair<int64_t, int64_t>> pre_keys;
    for (const StepChunk& ch : chunks)
        if (ch.tokens.size() == 1)
            d_width =
                std::max<int64_t>(d_width, static_cast<int64_t>((ch.start + 1 + bs - 1) / bs));
    st_ = StepState();
    for (const StepChunk& ch : chunks) {
        const int64_t row0 = static_cast<int64_t>(ids.size());
        const int64_t n = static_cast<int64_t>(ch.tokens.size());
        const auto& table = *ch.blocks;
        for (int64_t j = 0; j < n; ++j) {
            const int64_t p = ch.start + j;
            ids.push_back(ch.tokens[static_cast<size_t>(j)]);
            pos.push_back(p);
            slots.push_back(table[static_cast<size_t>(p / bs)] * bs + p % bs);
            if (ch.adapter) groups[ch.adapter].push_back(row0 + j);
        }
        if (ch.want_logits) want.push_back(row0 + n - 1);
        if (n == 1) {
            d_rows.push_back(row0);
            d_lens.push_back(ch.start + 1);
            d_max = std::max(d_max, ch.start + 1);
            for (int64_t b = 0; b < d_width; ++b)
                d_tables.push_back(b < static_cast<int64_t>(table.size())
                                       ? table[static_cast<size_t>(b)]
                                       : table[0]);
        } else {
            std::vector<int64_t> ks;
            for (int64_t p = 0; p < ch.start + n; ++p)
                ks.push_back(table[static_cast<size_t>(p / bs)] * bs + p % bs);
            st_.pre.push_back({row0, n, ch.start, at::Tensor()});
            pre_keys.push_back(up.add(ks));
        }
    }
    const int64_t T = static_cast<int64_t>(ids.size());
    ensure_rope(*std::max_element(pos.begin(), pos.end()) + 1);
    const auto h_slots = up.add(slots), h_pos = up.add(pos), h_ids = up.add(ids),
               h_want = up.add(want), h_drows = up.add(d_rows), h_dlens = up.add(d_lens),
               h_dtables = up.add(d_tables);
    std::vector<std::pair<int64_t, int64_t>> h_groups;
    for (auto& [a, rows] : groups) h_groups.push_back(up.add(rows));
    up.send(dev);
    st_.slots = up.get(h_slots);
    {
        size_t k = 0;
        for (auto& [a, rows] : groups) st_.groups.emplace_back(a, up.get(h_groups[k++]));
    }
    for (size_t k = 0; k < st_.pre.size(); ++k) st_.pre[k].key_slots = up.get(pre_keys[k]);
    if (!d_rows.empty()) {
        const int64_t D = static_cast<int64_t>(d_rows.size());
        st_.d_rows = up.get(h_drows);
        st_.d_lens = up.get(h_dlens);
        st_.d_tables = up.get(h_dtables).view({D, d_width});
        st_.d_max = d_max;
        // Slots and key mask of the decode rows: the same for every layer of the step.
        st_.d_gather = make_decode_gather(st_.d_tables, st_.d_lens, d_max, bs, m_.dtype);
    }
    at::Tensor pos_d = up.get(h_pos);
    const int64_t hd = m_.config.head_dim;
    at::Tensor cos = cos_.index_select(0, pos_d).view({T, 1, hd});
    at::Tensor sin = sin_.index_select(0, pos_d).view({T, 1, hd});
    at::Tensor h = m_.embed(up.get(h_ids));  // [T, H]
    for (int64_t i = 0; i < static_cast<int64_t>(m_.layers.size()); ++i) h = layer(i, h, cos, sin);
    if (want.empty()) return at::Tensor();
    at::Tensor last = h.index_select(0, up.get(h_want));  // [n, H]
    return at::linear(m_.rms_norm(last, m_.final_norm), m_.lm_head);
}

at::Tensor PagedModel::layer(int64_t i, const at::Tensor& h, const at::Tensor& cos,
                             const at::Tensor& sin) {
    // No cuDNN attention: it plans per key length (torch_compat.h).
    const compat::NoCudnnSdpaGuard no_cudnn_sdpa;
    const LlamaLayer& L = m_.layers[static_cast<size_t>(i)];
    const Fused& f = fused_[static_cast<size_t>(i)];
    const auto& c = m_.config;
    const int64_t T = h.size(0);
    const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim;
    const int64_t rep = nh / nkv, I = c.intermediate_size;
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    const bool fused_attn = m_.use_fused_attention;
    const size_t li = static_cast<size_t>(i);

    // y[:, off:off+n] += LoRA term of projection `proj` for every adapter group's rows.
    auto add_lora = [&](at::Tensor y, int proj, const at::Tensor& x) {
        for (const auto& [a, rows] : st_.groups) {
            const LoraBranch& l = a->layers[li][static_cast<size_t>(proj)];
            if (!l.defined()) continue;
            at::Tensor xg = x.index_select(0, rows);
            at::Tensor t = at::linear(at::linear(xg.to(l.A.scalar_type()), l.A), l.B);
            y.index_add_(0, rows, (t * l.scale).to(y.scalar_type()));
        }
    };
    // Base GEMM of a group of projections (fused when possible) plus their LoRA terms.
    auto group = [&](const at::Tensor& w, std::vector<const LoraLinear*> parts, int first,
                     const at::Tensor& x) {
        at::Tensor y;
        if (w.defined()) {
            y = at::linear(x, w);
        } else {
            std::vector<at::Tensor> ys;
            for (const LoraLinear* p : parts) ys.push_back(p->forward(x, false));
            y = at::cat(ys, -1);
        }
        int64_t off = 0;
        for (size_t k = 0; k < parts.size(); ++k) {
            const int64_t n = parts[k]->out_features();
            add_lora(y.narrow(-1, off, n), first + static_cast<int>(k), x);
            off += n;
        }
        return y;
    };

    at::Tensor x = m_.rms_norm(h, L.input_norm);
    at::Tensor qkv =
        group(f.qkv, {&L.q_proj, &L.k_proj, &L.v_proj}, 0, x).view({T, nh + 2 * nkv, hd});
    at::Tensor qk = qkv.narrow(1, 0, nh + nkv);
    at::Tensor v = qkv.narrow(1, nh + nkv, nkv);
    qk = qk * cos + rotate_half(qk) * sin;  // q and k roped together
    at::Tensor q = qk.narrow(1, 0, nh);     // [T, nh, hd]
    at::Tensor k = qk.narrow(1, nh, nkv);   // [T, nkv, hd]
    const int64_t rows = num_blocks_ * block_size_;
    at::Tensor kflat = k_pool_[li].view({rows, nkv, hd});
    at::Tensor vflat = v_pool_[li].view({rows, nkv, hd});
    kflat.index_copy_(0, st_.slots, k.contiguous());
    vflat.index_copy_(0, st_.slots, v.contiguous());

    at::Tensor a = at::empty({T, nh * hd}, h.options());
    if (st_.d_rows.defined()) {
        at::Tensor qd = q.index_select(0, st_.d_rows);  // [D, nh, hd]
        at::Tensor ad =
            paged_decode_attention(qd, k_pool_[li], v_pool_[li], st_.d_tables, st_.d_lens,
                                   st_.d_max, scale, fused_attn, &st_.d_gather);
        a.index_copy_(0, st_.d_rows, ad.reshape({ad.size(0), nh * hd}));
    }
    for (const auto& p : st_.pre) {
        const int64_t n = p.n, Lk = p.start + n;
        at::Tensor qt = q.narrow(0, p.row, n).unsqueeze(0).transpose(1, 2);  // [1, nh, n, hd]
        at::Tensor kt = kflat.index_select(0, p.key_slots).unsqueeze(0).transpose(1, 2);
        at::Tensor vt = vflat.index_select(0, p.key_slots).unsqueeze(0).transpose(1, 2);
        at::Tensor ap;
        if (p.start == 0 && compat::causal_attention_gqa_supported(qt, fused_attn)) {
            ap = compat::causal_attention_gqa(qt, kt, vt, scale);
        } else {
            if (rep > 1) {
                // HF's repeat_kv.
                kt = kt.unsqueeze(2).expand({1, nkv, rep, Lk, hd}).reshape({1, nh, Lk, hd});
                vt = vt.unsqueeze(2).expand({1, nkv, rep, Lk, hd}).reshape({1, nh, Lk, hd});
            }
            if (p.start == 0) {
                ap = compat::causal_attention(qt, kt, vt, scale, fused_attn);
            } else {
                // Queries continue after `start` cached keys: causal aligned to the end (SDPA's
                // is_causal aligns to the start, so the mask is explicit).
                const auto lo = at::TensorOptions().dtype(at::kLong).device(q.device());
                at::Tensor allowed = at::arange(0, Lk, lo).view({1, Lk}) <=
                                     at::arange(p.start, Lk, lo).view({n, 1});  // [n, Lk]
                at::Tensor mask = at::where(allowed, at::zeros({}, q.options()),
                                            at::full({}, lowest(q.scalar_type()), q.options()));
                ap = compat::attention(qt, kt, vt, mask.view({1, 1, n, Lk}), scale, fused_attn);
            }
        }
        a.narrow(0, p.row, n).copy_(ap.transpose(1, 2).reshape({n, nh * hd}));
    }
    at::Tensor o = L.o_proj.forward(a, false);
    add_lora(o, 3, a);
    at::Tensor h1 = h + o;

    at::Tensor y = m_.rms_norm(h1, L.post_norm);
    at::Tensor gu = group(f.gate_up, {&L.gate_proj, &L.up_proj}, 4, y);
    at::Tensor g = at::silu(gu.narrow(-1, 0, I)) * gu.narrow(-1, I, I);
    at::Tensor d = L.down_proj.forward(g, false);
    add_lora(d, 6, g);
    return h1 + d;
}

}  // namespace tb::serve
