// Creating and saving Llama models: random initialisation (demo pretraining, benchmarks with
// TinyLlama-shaped random weights) and writing an HF folder (demo model, merged models).
#pragma once

#include <string>

#include "core/common/error.h"
#include "core/infer/llama_model.h"

namespace tb {

// Random weights like HF's _init_weights: normal(0, std) for linears and embeddings, ones for
// norms. Deterministic for a seed (CPU generator; moved to `opts.device` afterwards).
LlamaModel init_llama(const LlamaConfig& cfg, uint64_t seed, double std, const LoadOptions& opts);

// Writes config.json, generation_config.json and model.safetensors (`save_dtype`: F32/BF16/F16)
// into `dir` (created). LoRA branches are NOT saved (merge first). Files written atomically.
Status save_llama_model(const LlamaModel& model, const std::string& dir, at::ScalarType save_dtype);

}  // namespace tb
