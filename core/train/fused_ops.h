// The fused backend's operators: Llama training building blocks with hand-written backward
// passes (torch::autograd::Function), the analogue of Unsloth's kernels.
//
// What they save for backward, and why it is less than autograd keeps for the same math:
//   rms_norm       x and the fp32 rstd per row (autograd: x, the fp32 upcast, the variance,
//                  the rsqrt and the normalised row)
//   rope           nothing but the shared cos/sin tables (autograd: rotate_half temporaries)
//   lora_linear    x, the dropout mask (CUDA: an 8-byte seed it is regenerated from; CPU: the
//                  noise tensor), and x_drop A^T [N, r]; the dropped-out input is recomputed
//   norm_qkv       input_norm + q/k/v projections as one op: the layer input and the fp32
//                  rstd per row; the normalised x [N, H] is recomputed in backward instead of
//                  being kept (autograd keeps it, plus one dropout mask per projection)
//   swiglu_mlp     the MLP input only when gate/up carry LoRA, and g, u; silu(g) * u is
//                  recomputed in backward and dg/du overwrite g/u (autograd: g, silu(g), u,
//                  the product, each [N, I])
//   linear_cross_entropy_sum  the gradient w.r.t. the final hidden states [N, H], computed
//                  chunk by chunk in forward; the [N, V] logits are never materialised, only
//                  one chunk of rows at a time (the lm_head is frozen, so nothing else is
//                  needed)
//
// Numerics: on CPU the forward ops are the reference backend's op sequence (fp32 losses equal
// bit for bit); the backward is the analytic gradient, equal to autograd's within fp32
// rounding. On CUDA the elementwise/row parts run as the kernels of fused_kernels.cu, the
// LoRA matmuls run in the activation dtype (bf16) instead of fp32, and dA/dB are accumulated in
// fp32 by the GEMM (compat::mm_as). On CUDA the dropout masks come from fusedcuda's seeded
// generator, not torch's native_dropout, so they differ from the reference backend's masks
// (same distribution); CPU keeps the reference's draws.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/infer/llama_model.h"
#include "core/infer/lora_linear.h"

namespace tb::fused {

// What the LoRA branches of one micro-batch share on CUDA, prepared once instead of per
// projection: every A and B cast to the activation dtype by one copy (views into one buffer)
// and one dropout seed, from which each branch draws its own mask through its salt (its
// position in the model). That is 2 casts and 1 random draw fewer per projection per
// micro-batch, which matters because the eager step is bound by host-side launches.
// Checkpointed layers do not use it: their recomputation in backward outlives this object, so
// they cast and draw per call (their masks then differ from the non-checkpointed run's).
struct LoraMicroBatch {
    struct Branch {
        at::Tensor A;      // [r, in] in the activation dtype (a view into one buffer)
        at::Tensor B;      // [out, r]
        int64_t salt = 0;  // mask salt for `seed`
    };
    std::unordered_map<const LoraBranch*, Branch> branches;  // CUDA branches only
    at::Tensor seed;  // [1] int64 on the device; undefined unless training with dropout
    const Branch* find(const LoraBranch& b) const;
};

// The LoraMicroBatch of `model`'s CUDA LoRA branches for activations of `dtype` (empty on CPU,
// where the ops keep the reference backend's per-call casts and dropout draws).
LoraMicroBatch prepare_lora_micro_batch(const LlamaModel& model, at::ScalarType dtype,
                                        bool training);

// Dropout of x (CUDA) under the mask that the device-resident int64 `seed` [1] determines:
// the same seed always gives the same mask (fusedcuda::seeded_dropout), so the LoRA branches
// keep 8 bytes per projection instead of a [tokens, in] mask. Kept values are scaled by
// 1/(1-p). Exposed for tests.
// `salt` selects one of the masks that share a seed.
at::Tensor seeded_dropout(const at::Tensor& x, const at::Tensor& seed, double p, int64_t salt = 0);

// Rotary tables in the layout the fused rope expects.
//   CPU:  cos/sin [B, T, 1, hd] in the activation dtype (the reference's tables, transposed to
//         the [B, T, heads, hd] projection layout)
//   CUDA: cos/sin [B*T, hd] fp32 (the kernel reads fp32 tables and rounds once)
RopeTables rope_tables(const LlamaModel& model, const at::Tensor& position_ids);

// HF LlamaRMSNorm over the last dim. x: [..., H]; w: [H] frozen.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w, double eps);

// Rotary embedding on x [B, T, heads, hd] (contiguous). Returns the same shape.
at::Tensor rope(const at::Tensor& x, const RopeTables& tables);

// y = x W^T (+b) + scale * dropout(x) A^T B^T for a projection with a LoRA branch (plain frozen
// linear when it has none). x: [..., in] -> [..., out]. Dense or packed (NF4) base weight.
// DoRA branches are not supported (the trainer refuses them for this backend).
// `mb`: the micro-batch's shared casts and seed (may be null; see LoraMicroBatch).
at::Tensor lora_linear(const at::Tensor& x, const LoraLinear& lin, bool training,
                       const LoraMicroBatch* mb = nullptr);

// rms_norm(h, norm_w) followed by the q, k and v projections (each as lora_linear), as one op
// that keeps only h and the fp32 rstd per row for backward. h: [..., H] -> {q, k, v}, each
// [..., out of its projection].
std::vector<at::Tensor> norm_qkv(const at::Tensor& h, const at::Tensor& norm_w, double eps,
                                 const LoraLinear& q, const LoraLinear& k, const LoraLinear& v,
                                 bool training, const LoraMicroBatch* mb = nullptr);

// down(silu(gate(y)) * up(y)) with each projection's LoRA branch. y: [..., H] -> [..., H].
at::Tensor swiglu_mlp(const at::Tensor& y, const LoraLinear& gate, const LoraLinear& up,
                      const LoraLinear& down, bool training, const LoraMicroBatch* mb = nullptr);

// Sum over rows with label != -100 of the cross-entropy of softmax(h W^T) (fp32), divided by
// `divisor`. h: [N, H]; lm_head: [V, H] frozen; labels: [N] int64 (already shifted).
// `chunk_rows` rows of logits exist at a time (0: ~64 MiB of fp32 logits per chunk). Without
// grad mode (evaluation) only the loss is computed.
//
// `all_rows`: every row goes through the lm_head, ignored ones (-100) contributing zero, instead
// of gathering the labelled rows first. That costs the lm_head on unlabelled rows but never
// synchronises with the host (no nonzero(), no label range check), as CUDA graph capture
// requires; labels must then be valid ids or -100.
at::Tensor linear_cross_entropy_sum(const at::Tensor& h, const at::Tensor& lm_head,
                                    const at::Tensor& labels, double divisor,
                                    int64_t chunk_rows = 0, bool all_rows = false);

}  // namespace tb::fused
