// LoRA adapter settings as PEFT's adapter_config.json names them. Torch-free, so that run
// parameters (core/train/trainer.h) can carry them into front-ends without libtorch.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb {

struct LoraSettings {
    int64_t r = 16;         // rank
    double alpha = 32;      // lora_alpha
    double dropout = 0.05;  // lora_dropout (training only)
    std::vector<std::string> target_modules{"q_proj", "k_proj", "v_proj", "o_proj"};
    bool use_rslora = false;                      // scale = alpha / sqrt(r) instead of alpha / r
    bool use_dora = false;                        // weight-decomposed LoRA (magnitude vector)
    std::map<std::string, int64_t> rank_pattern;  // module-name suffix -> r
    std::map<std::string, double> alpha_pattern;  // module-name suffix -> alpha
    std::string base_model_name_or_path;
};

// PEFT's scaling for a module with rank r and alpha a.
double lora_scale(const LoraSettings& s, int64_t r, double alpha);

Result<LoraSettings> load_adapter_config(const std::string& path);

}  // namespace tb
