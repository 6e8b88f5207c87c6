// The fused backend's training forward: a Llama decoder stack built from fused_ops.h (hand-
// written backward for RMSNorm, RoPE, LoRA linears, the SwiGLU MLP and a chunked
// linear + cross-entropy), attention through SDPA with is_causal (flash kernel on CUDA).
//
// Same function as the reference backend (checkpointing.h) for the batches the trainer makes:
// rows are right-padded, so causal masking alone keeps every real query off the padding keys
// and the key-padding mask is not needed; batches that are not right-padded fall back to the
// explicit mask, and so do packed batches (segment_ids: block-diagonal mask, see
// training_attention_mask). Losses agree with the reference within the tolerance test_fused_backend
// measures (bit for bit on CPU fp32 with libtorch 1.13).
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "core/infer/llama_model.h"

namespace tb {

// One decoder layer: h [B, T, H] -> [B, T, H]. `rope` from fused::rope_tables; `mask` an
// additive [B, 1, T, T] mask or undefined for causal-only attention.
// `mb`: the micro-batch's shared LoRA casts and dropout seed (fused_ops.h), or null.
namespace fused {
struct LoraMicroBatch;
}
at::Tensor fused_layer_forward(const LlamaModel& model, int64_t i, const at::Tensor& h,
                               const RopeTables& rope, const at::Tensor& mask, bool training,
                               const fused::LoraMicroBatch* mb = nullptr);

// micro_batch_loss (checkpointing.h) for the fused backend: summed token cross-entropy of the
// batch divided by `loss_divisor`, with per-layer gradient checkpointing when `checkpointing`.
//
// `host_sync_free`: never wait for the device (what CUDA graph capture needs). The caller then
// vouches that the rows are right-padded (or unpadded) unless segment_ids are given, and the
// loss runs the lm_head over every row (linear_cross_entropy_sum's all_rows).
at::Tensor fused_micro_batch_loss(const LlamaModel& model, const at::Tensor& input_ids,
                                  const at::Tensor& position_ids, const at::Tensor& key_mask,
                                  const at::Tensor& labels, double loss_divisor, bool training,
                                  bool checkpointing, const at::Tensor& segment_ids = at::Tensor(),
                                  bool host_sync_free = false);

}  // namespace tb
