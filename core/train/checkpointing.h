// Training forward pass (hidden states, logits, HF's causal-LM loss) with optional per-layer
// gradient checkpointing.
//
// Gradient checkpointing: each decoder layer runs inside a custom autograd Function whose
// forward computes the layer under no-grad and keeps only the layer input; backward recomputes
// the layer with grad enabled and differentiates it with respect to the input and the layer's
// LoRA tensors (which are passed to the Function as inputs, so the layer-0 Function is part of
// the graph even though the frozen embedding output does not require grad).
// LoRA dropout draws from the default generator; the forward records the CPU generator state
// (and the CUDA generator's when the model is on CUDA) and backward restores it around the
// recomputation, so the recomputed masks, activations and gradients are bit-identical to the
// ones without checkpointing. The generators are put back afterwards, so the random stream the
// next training step sees does not depend on whether checkpointing is on.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "core/infer/llama_model.h"

namespace tb {

// Snapshot of the default generators (CPU, and CUDA for `device` when it is a CUDA device).
struct RngSnapshot {
    at::Tensor cpu;   // uint8 state of at::detail::getDefaultCPUGenerator()
    at::Tensor cuda;  // uint8 state of the device's default CUDA generator, or undefined
};
RngSnapshot capture_rng(at::Device device);
void restore_rng(const RngSnapshot& snap, at::Device device);

// Decoder layer `i` with recomputation in backward (see above). Same result as
// model.layer_forward(i, h, rope, mask, nullptr, training), or with `fused` the fused backend's
// fused_layer_forward(model, i, h, rope, mask, training) (rope then holds fused tables).
at::Tensor checkpointed_layer(const LlamaModel& model, int64_t i, const at::Tensor& h,
                              const RopeTables& rope, const at::Tensor& mask, bool training,
                              bool fused = false);

// Additive attention mask [B, 1, T, T] for a training batch: causal and key padding
// (LlamaModel::attention_mask) and, when segment_ids [B, T] is defined (packed rows),
// block-diagonal: a query sees only keys of its own example.
at::Tensor training_attention_mask(const LlamaModel& model, const at::Tensor& key_mask,
                                   const at::Tensor& segment_ids, int64_t t);

// Final-normed hidden states [B, T, H] for training: no KV cache, LoRA dropout when
// `training`, each layer checkpointed when `checkpointing`; segment_ids as above.
at::Tensor training_hidden_states(const LlamaModel& model, const at::Tensor& input_ids,
                                  const at::Tensor& position_ids, const at::Tensor& key_mask,
                                  bool training, bool checkpointing,
                                  const at::Tensor& segment_ids = at::Tensor());

// HF's ForCausalLMLoss with reduction "sum": logits (any float dtype) are upcast to fp32,
// labels are padded with -100 on the right and shifted left by one, and the cross-entropy is
// summed over tokens whose label is not -100. Divide by the number of such tokens (over the
// whole accumulated batch) to get HF's mean.
at::Tensor causal_lm_loss_sum(const at::Tensor& logits, const at::Tensor& labels);

// Forward + loss of one micro-batch as the trainer computes it: summed token cross-entropy of
// the batch divided by `loss_divisor` (the loss tokens of the whole accumulated step; the
// batch's own count gives HF's per-batch mean). input_ids/position_ids/key_mask/labels: [B, T].
at::Tensor micro_batch_loss(const LlamaModel& model, const at::Tensor& input_ids,
                            const at::Tensor& position_ids, const at::Tensor& key_mask,
                            const at::Tensor& labels, double loss_divisor, bool training,
                            bool checkpointing, const at::Tensor& segment_ids = at::Tensor());

}  // namespace tb
