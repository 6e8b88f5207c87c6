// A frozen linear layer with an optional LoRA branch. Shared by inference (adapters loaded
// from PEFT folders) and training (core/train), so both compute exactly the same function.
//
//   y = x W^T (+ b) + scale * (dropout(x) A^T) B^T
//
// PEFT's LoraLayer computes the LoRA term on the *dropout-ed* input and adds it to the base
// output; we keep that order so that fp32 numbers match PEFT to rounding.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace tb {

// A frozen base weight kept in a compressed form (core/quant's NF4 for QLoRA) and decoded on
// the fly. Defined here as an interface so that core/infer does not depend on core/quant.
// Implementations never keep a dense copy between calls, and gradients flow to the input
// only: the packed weight is frozen by construction.
class PackedBaseWeight {
  public:
    virtual ~PackedBaseWeight() = default;
    virtual int64_t out_features() const = 0;
    virtual int64_t in_features() const = 0;
    // y = x W^T (+ bias) with W decoded for this call only; result in x's dtype.
    virtual at::Tensor linear(const at::Tensor& x, const at::Tensor& bias) const = 0;
    // The dense weight [out, in] in `dtype` on `device` (merging, DoRA norms, export).
    virtual at::Tensor dense(at::ScalarType dtype, at::Device device) const = 0;
    // dtype of the weight before it was packed (what merged/exported weights use).
    virtual at::ScalarType original_dtype() const = 0;
    virtual at::Device device() const = 0;
    // Bytes held by the packed representation (codes + scales).
    virtual int64_t bytes() const = 0;
};

struct LoraBranch {
    at::Tensor A;          // [r, in]   lora_A.weight (PEFT name)
    at::Tensor B;          // [out, r]  lora_B.weight
    at::Tensor magnitude;  // [out]     DoRA magnitude vector (undefined unless DoRA)
    double scale = 1.0;    // alpha / r, or alpha / sqrt(r) with rsLoRA
    double dropout = 0.0;  // applied to the LoRA input only, during training
    bool defined() const { return A.defined(); }
};

struct LoraLinear {
    at::Tensor weight;  // [out, in] frozen base weight (empty when `packed` holds it)
    at::Tensor bias;    // [out] or undefined
    LoraBranch lora;
    // QLoRA: the base weight in packed form (see core/quant/qlora.h). Used only while `weight`
    // is undefined, so a merge that writes a dense `weight` takes precedence over it.
    std::shared_ptr<const PackedBaseWeight> packed;

    bool is_packed() const { return !weight.defined() && packed != nullptr; }
    int64_t out_features() const { return is_packed() ? packed->out_features() : weight.size(0); }
    int64_t in_features() const { return is_packed() ? packed->in_features() : weight.size(1); }
    // The dense base weight in `dtype` (decoded when packed; `weight` itself otherwise, cast).
    at::Tensor base_weight(at::ScalarType dtype) const;
    // Bytes of the frozen base weight as stored (packed or dense) plus the bias.
    int64_t base_bytes() const;

    // x: [..., in] -> [..., out]. `training` enables LoRA dropout.
    at::Tensor forward(const at::Tensor& x, bool training = false) const;

    // Returns W + scale * B A (the merged weight), in W's dtype (the pre-quantisation dtype when
    // packed); DoRA folds the magnitude in.
    at::Tensor merged_weight() const;
};

}  // namespace tb
