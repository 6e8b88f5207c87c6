// PEFT LoRA adapters: adapter_config.json + adapter_model.safetensors, in PEFT's own format
// so that adapters move between tunebench, PEFT, vLLM and llama.cpp's converters unchanged.
//
// Tensor names (adapter name "default" stripped, as PEFT saves them):
//   base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight   [r, in]
//   base_model.model.model.layers.{i}.self_attn.q_proj.lora_B.weight   [out, r]
//   base_model.model.model.layers.{i}.self_attn.q_proj.lora_magnitude_vector  [out] (DoRA)
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/infer/llama_model.h"
#include "core/infer/lora_settings.h"  // LoraSettings, lora_scale, load_adapter_config

namespace tb {

// Loads an adapter folder onto `model` (which must be loaded already): attaches LoraBranch
// to every targeted projection, converting to the model's dtype/device. Validates that the
// adapter's tensor set matches its config and the model's shapes; errors name the tensor.
Status apply_peft_adapter(LlamaModel& model, const std::string& adapter_dir);

// Writes adapter_config.json (PEFT's keys) and adapter_model.safetensors (fp32 or the branch
// dtype) for every projection of `model` that carries a LoRA branch. Atomic per file.
Status save_peft_adapter(const LlamaModel& model, const LoraSettings& settings,
                         const std::string& adapter_dir);

// Replaces every LoRA-carrying projection's weight with its merged weight and drops the branch.
void merge_lora_into_base(LlamaModel& model);

}  // namespace tb
