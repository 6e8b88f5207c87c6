// Attaching trainable LoRA branches to a loaded LlamaModel, initialised the way PEFT does.
//
// PEFT (peft/tuners/lora/layer.py, reset_lora_parameters with init_lora_weights=True):
//   lora_A.weight [r, in]: nn.init.kaiming_uniform_(a=sqrt(5)), i.e. nn.Linear's default init.
//     kaiming_uniform_ with a = sqrt(5), mode fan_in, leaky_relu gain: gain = sqrt(2 / (1 + a^2))
//     = sqrt(1/3), std = gain / sqrt(fan_in), bound = sqrt(3) * std = 1 / sqrt(in).
//     So A ~ U(-1/sqrt(in), 1/sqrt(in)).
//   lora_B.weight [out, r]: zeros (the adapter starts as the identity change).
//   init_lora_weights="gaussian": A ~ N(0, 1/r), B zeros.
//   DoRA: lora_magnitude_vector = row-wise 2-norm of (W + scale * B A) = ||W||_row at init.
// The scale is alpha/r, or alpha/sqrt(r) with rsLoRA (lora_scale() in peft_adapter.h).
//
// Base weights stay frozen (requires_grad false). LoRA tensors are fp32 leaves with
// requires_grad true whatever the model dtype: the optimizer updates fp32 master weights and
// LoraLinear::forward casts the LoRA input/output to and from the activation dtype.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/infer/llama_model.h"
#include "core/infer/peft_adapter.h"
#include "core/train/train_options.h"  // LoraInit

namespace tb {

// One trainable tensor with PEFT's saved name, e.g.
// "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight".
struct NamedParameter {
    std::string name;
    at::Tensor tensor;
};

// Attaches a fresh LoRA branch to every projection named by settings.target_modules (with
// rank_pattern / alpha_pattern applied), initialised as above from a CPU generator seeded with
// `seed` (layers in order, q,k,v,o,gate,up,down within a layer), then moved to the model's
// device. Works on dense and on packed (QLoRA) base weights. Errors: an unknown target module
// name, r < 1, a projection that already carries a LoRA branch.
Status inject_lora(LlamaModel& model, const LoraSettings& settings, uint64_t seed,
                   LoraInit init = LoraInit::Kaiming);

// Makes the LoRA branches already on the model (e.g. loaded with apply_peft_adapter from a
// checkpoint) trainable fp32 leaves on the model's device, and freezes every base tensor.
void make_lora_trainable(LlamaModel& model);

// Sets requires_grad false on every base tensor (embeddings, norms, linear weights, head).
void freeze_base(LlamaModel& model);

// The trainable LoRA tensors in a fixed order (layer, projection, A, B, magnitude) with PEFT's
// saved names. The tensors share storage with the model.
std::vector<NamedParameter> lora_parameters(LlamaModel& model);

// Number of elements in lora_parameters() and in the frozen base.
int64_t count_lora_parameters(const LlamaModel& model);
int64_t count_base_parameters(const LlamaModel& model);

// The PEFT module path of a projection: "model.layers.3.self_attn.q_proj".
std::string projection_module_path(int64_t layer, const std::string& proj);

// The seven projection short names in PEFT order.
const std::vector<std::string>& projection_names();

}  // namespace tb
