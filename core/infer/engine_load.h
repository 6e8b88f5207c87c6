// Loading what every engine serves: the device and dtype an EngineParams asks for, the model
// (an HF folder or a random shape), its generation defaults, the tokenizer and the EOS/pad rule
// (core/infer/request_rules.h). Shared by the inference core's engines
// (inference_engine.cpp) and the serving core's paged batcher (core/serve/batcher.cpp), so
// that a model loads the same way in `generate`, `bench infer` and `serve`.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "core/common/error.h"
#include "core/infer/inference.h"
#include "core/infer/llama_model.h"
#include "core/tokenizer/tokenizer.h"

namespace tb::infer {

// Where and in which dtype an engine runs: device "auto" is CUDA when available, else CPU;
// dtype "auto" is bf16 on CUDA and fp32 on CPU.
struct EngineTarget {
    at::Device device = at::kCPU;
    at::ScalarType dtype = at::kFloat;
};
Result<EngineTarget> resolve_engine_target(const EngineParams& p);

struct LoadedEngineModel {
    LlamaModel model;
    GenerationDefaults gen;          // the folder's generation_config.json; defaults if random
    std::shared_ptr<Tokenizer> tok;  // null without a tokenizer (requests must give ids)
    std::vector<int64_t> eos;        // resolve_eos_ids
    int64_t pad = 0;                 // resolve_pad_id
    // A GGUF file loaded for the quant engine (gguf_model_loader.h): projections already
    // packed as the file stores them, and its packed output.weight (null: dense or tied head).
    bool prepacked = false;
    std::shared_ptr<const PackedBaseWeight> head;
};

// Loads p.model_dir (or random weights of p.random_shape, normal(0, 0.02) for p.seed) onto
// `target`, with gradients off, polling p.cancel; the tokenizer is p.tokenizer (a folder or a
// .model file) or, when empty, the model folder's tokenizer.model if it has one.
// p.model_dir may name a GGUF file (is_gguf_file): config, weights, tokenizer and chat template
// then come from it (gguf_model_loader.h), packed as stored for the quant engine, dense for
// the others; p.tokenizer naming another file or folder still overrides its tokenizer.
Result<LoadedEngineModel> load_engine_model(const EngineParams& p, const EngineTarget& target);

}  // namespace tb::infer
