// A Hugging Face model folder: config.json, generation_config.json and safetensors weights
// (model.safetensors, or shards listed in model.safetensors.index.json). Torch-free.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/model/model_config.h"
#include "core/model/safetensors.h"

namespace tb {

struct ModelFolder {
    std::string dir;
    LlamaConfig config;
    GenerationDefaults generation;
    std::vector<std::shared_ptr<SafetensorsFile>> files;  // keep mappings alive
    std::map<std::string, const StTensorView*> tensors;   // tensor name -> view in `files`
};

// Opens the folder and validates: config parses; every shard named by the index exists and
// holds exactly the tensors the index says; every Llama tensor the config implies is present
// with the right shape and a float dtype (F32/F16/BF16); unexpected tensors are an error
// except rotary inv_freq buffers. Errors name the file and the tensor.
Result<ModelFolder> open_model_folder(const std::string& dir);

// The tensor names and shapes a Llama model with `cfg` must have (HF naming:
// model.embed_tokens.weight, model.layers.{i}.self_attn.q_proj.weight, ..., lm_head.weight
// unless tied). Exposed for the writer (merge/demo) and for tests.
std::map<std::string, std::vector<int64_t>> expected_llama_tensors(const LlamaConfig& cfg);

}  // namespace tb
