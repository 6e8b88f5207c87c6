#include "core/train/fused_forward.h"

#include <cmath>
#include <vector>

#include "core/common/torch_compat.h"
#include "core/train/checkpointing.h"
#include "core/train/fused_ops.h"

namespace tb {

namespace {

// True when every row's 0/1 key mask is ones then zeros (right padding or none).
bool right_padded(const at::Tensor& key_mask) {
    if (!key_mask.defined() || key_mask.size(1) < 2) return true;
    at::Tensor km = key_mask.to(at::kBool);
    // A padding key followed by a real key anywhere means left (or inner) padding.
    return !km.slice(1, 1).logical_and(km.slice(1, 0, -1).logical_not()).any().item<bool>();
}

}  // namespace

at::Tensor fused_layer_forward(const LlamaModel& model, int64_t i, const at::Tensor& h,
                               const RopeTables& rope, const at::Tensor& mask, bool training,
                               const fused::LoraMicroBatch* mb) {
    const LlamaLayer& L = model.layers[static_cast<size_t>(i)];
    const LlamaConfig& c = model.config;
    const int64_t B = h.size(0), T = h.size(1);
    const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim;

    // --- attention block
    std::vector<at::Tensor> qkv = fused::norm_qkv(h, L.input_norm, c.rms_norm_eps, L.q_proj,
                                                  L.k_proj, L.v_proj, training, mb);
    at::Tensor q = fused::rope(qkv[0].view({B, T, nh, hd}), rope).transpose(1, 2);   // [B,nh,T,hd]
    at::Tensor k = fused::rope(qkv[1].view({B, T, nkv, hd}), rope).transpose(1, 2);  // [B,nkv,..]
    at::Tensor v = qkv[2].view({B, T, nkv, hd}).transpose(1, 2);
    qkv.clear();
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    // Causal attention reads the nkv heads directly where SDPA can (compat::causal_attention_gqa:
    // no expanded K/V copies saved for backward); a masked batch expands them first.
    at::Tensor a;
    if (!mask.defined() && compat::causal_attention_gqa_supported(q, model.use_fused_attention)) {
        a = compat::causal_attention_gqa(q, k, v, scale);
    } else {
        if (nkv != nh) {
            const int64_t rep = nh / nkv;
            k = k.unsqueeze(2).expand({B, nkv, rep, T, hd}).reshape({B, nh, T, hd});
            v = v.unsqueeze(2).expand({B, nkv, rep, T, hd}).reshape({B, nh, T, hd});
        }
        a = mask.defined() ? compat::attention(q, k, v, mask, scale, model.use_fused_attention)
                           : compat::causal_attention(q, k, v, scale, model.use_fused_attention);
    }
    a = a.transpose(1, 2).reshape({B, T, nh * hd});
    at::Tensor h1 = h + fused::lora_linear(a, L.o_proj, training, mb);

    // --- MLP block
    at::Tensor y = fused::rms_norm(h1, L.post_norm, c.rms_norm_eps);
    return h1 + fused::swiglu_mlp(y, L.gate_proj, L.up_proj, L.down_proj, training, mb);
}

at::Tensor fused_micro_batch_loss(const LlamaModel& model, const at::Tensor& input_ids,
                                  const at::Tensor& position_ids, const at::Tensor& key_mask,
                                  const at::Tensor& labels, double loss_divisor, bool training,
                                  bool checkpointing, const at::Tensor& segment_ids,
                                  bool host_sync_free) {
    const int64_t T = input_ids.size(1);
    at::Tensor h = model.embed(input_ids);
    RopeTables tables = fused::rope_tables(model, position_ids);
    at::Tensor mask;
    if (segment_ids.defined() || (!host_sync_free && !right_padded(key_mask)))
        mask = training_attention_mask(model, key_mask, segment_ids, T);
    // Checkpointed layers cast and draw per call (see LoraMicroBatch).
    const fused::LoraMicroBatch mb =
        checkpointing ? fused::LoraMicroBatch{}
                      : fused::prepare_lora_micro_batch(model, h.scalar_type(), training);
    for (int64_t i = 0; i < static_cast<int64_t>(model.layers.size()); ++i)
        h = checkpointing ? checkpointed_layer(model, i, h, tables, mask, training, true)
                          : fused_layer_forward(model, i, h, tables, mask, training, &mb);
    h = fused::rms_norm(h, model.final_norm, model.config.rms_norm_eps);
    // HF's shift: the label of position t is the token at t + 1; the last position has none.
    at::Tensor shifted = at::constant_pad_nd(labels, {0, 1}, -100).slice(1, 1).contiguous();
    return fused::linear_cross_entropy_sum(h.reshape({-1, h.size(-1)}), model.lm_head,
                                           shifted.reshape({-1}), loss_divisor, 0, host_sync_free);
}

}  // namespace tb
