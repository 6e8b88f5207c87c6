// A frozen linear layer with an optional LoRA branch. Shared by inference (adapters loaded
// from PEFT folders) and training (core/train), so both compute exactly the same function.
//
//   y = x W^T (+ b) + scale * (dropout(x) A^T) B^T
//
// PEFT's LoraLayer computes the LoRA term on the *dropout-ed* input and adds it to the base
// output; we keep that order so that fp32 numbers match PEFT to rounding.
#pragma once

#include <torch/torch.h>

#include <string>

namespace tb {

struct LoraBranch {
    at::Tensor A;           // [r, in]   lora_A.weight (PEFT name)
    at::Tensor B;           // [out, r]  lora_B.weight
    at::Tensor magnitude;   // [out]     DoRA magnitude vector (undefined unless DoRA)
    double scale = 1.0;     // alpha / r, or alpha / sqrt(r) with rsLoRA
    double dropout = 0.0;   // applied to the LoRA input only, during training
    bool defined() const { return A.defined(); }
};

struct LoraLinear {
    at::Tensor weight;  // [out, in] frozen base weight (may be empty when `quantized` is used)
    at::Tensor bias;    // [out] or undefined
    LoraBranch lora;

    int64_t out_features() const { return weight.size(0); }
    int64_t in_features() const { return weight.size(1); }

    // x: [..., in] -> [..., out]. `training` enables LoRA dropout.
    at::Tensor forward(const at::Tensor& x, bool training = false) const;

    // Returns W + scale * B A (the merged weight), in W's dtype; DoRA folds the magnitude in.
    at::Tensor merged_weight() const;
};

}  // namespace tb
