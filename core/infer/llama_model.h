// Llama-family decoder in libtorch, written to compute exactly what HF transformers'
// LlamaForCausalLM computes (same op order where rounding matters): RMSNorm in fp32, RoPE in
// the rotate-half convention with cos/sin built in fp32, grouped-query attention with
// softmax in fp32, SwiGLU MLP, tied or untied head. Runs on CPU or CUDA in fp32/bf16/fp16.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/infer/kv_cache.h"
#include "core/infer/lora_linear.h"
#include "core/model/model_config.h"

namespace tb {

struct LlamaLayer {
    at::Tensor input_norm;  // [H]
    LoraLinear q_proj;      // [nh*hd, H]
    LoraLinear k_proj;      // [nkv*hd, H]
    LoraLinear v_proj;      // [nkv*hd, H]
    LoraLinear o_proj;      // [H, nh*hd]
    at::Tensor post_norm;   // [H]
    LoraLinear gate_proj;   // [I, H]
    LoraLinear up_proj;     // [I, H]
    LoraLinear down_proj;   // [H, I]

    // Looks up a projection by its HF short name ("q_proj", ..., "down_proj"); nullptr if unknown.
    LoraLinear* projection(const std::string& name);
};

// The seven projections of a layer by their HF short names, in HF's module order.
inline constexpr const char* kLayerProjections[] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                                    "gate_proj", "up_proj", "down_proj"};

struct LoadOptions {
    at::ScalarType dtype = at::kFloat;  // compute/storage dtype of the weights
    at::Device device = at::kCPU;
    // Polled between layers: a big model takes minutes to convert and copy, and a user's
    // cancel must not wait for it. A cancelled load returns an error ("cancelled").
    const CancelToken* cancel = nullptr;
};

// Rotary tables for a batch of positions, computed once per forward and shared by layers.
struct RopeTables {
    at::Tensor cos;  // [B, 1, T, hd] in activation dtype
    at::Tensor sin;  // [B, 1, T, hd]
};

class LlamaModel {
  public:
    LlamaConfig config;
    at::Tensor embed_tokens;  // [V, H]
    std::vector<LlamaLayer> layers;
    at::Tensor final_norm;           // [H]
    at::Tensor lm_head;              // [V, H]; same tensor as embed_tokens when tied
    at::Tensor inv_freq;             // [hd/2] fp32 on device (llama3 scaling already applied)
    double attention_scaling = 1.0;  // rope attention factor (1 for default and llama3)
    at::ScalarType dtype = at::kFloat;
    at::Device device = at::kCPU;
    bool use_fused_attention = true;  // SDPA where libtorch has it; eager otherwise

    // Embedding lookup: ids [B, T] int64 -> [B, T, H].
    at::Tensor embed(const at::Tensor& input_ids) const;

    RopeTables rope(const at::Tensor& position_ids) const;

    // Additive attention mask [B, 1, T, past+T] from a 0/1 key mask [B, past+T] (undefined =
    // all keys real). Returns an undefined tensor when no masking is needed (T == 1 and no
    // padding), letting attention skip the add.
    at::Tensor attention_mask(const at::Tensor& key_mask, int64_t past, int64_t t) const;

    // One decoder layer: h [B, T, H] -> [B, T, H]. `cache` may be null (training / scoring).
    at::Tensor layer_forward(int64_t i, const at::Tensor& h, const RopeTables& rope,
                             const at::Tensor& mask, KvCache* cache, bool training) const;

    // Full stack without the head: [B, T] ids -> final-normed hidden states [B, T, H].
    // position_ids [B, T]; key_mask [B, past+T] 0/1 or undefined; cache may be null.
    at::Tensor hidden_states(const at::Tensor& input_ids, const at::Tensor& position_ids,
                             const at::Tensor& key_mask, KvCache* cache,
                             bool training = false) const;

    // Logits [B, T, V] in the model dtype.
    at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& position_ids,
                       const at::Tensor& key_mask, KvCache* cache, bool training = false) const;

    at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight) const;

    int64_t parameter_bytes() const;
};

// Loads config.json + safetensors from an HF folder, validating everything (see
// core/model/model_folder.h), into `opts.dtype` on `opts.device`.
Result<LlamaModel> load_llama_model(const std::string& dir, const LoadOptions& opts = {});

// Builds the inverse frequencies exactly as HF's rope init functions ("default", "llama3").
at::Tensor rope_inv_freq(const LlamaConfig& cfg);

// Parses "fp32"/"float32", "bf16"/"bfloat16", "fp16"/"float16".
Result<at::ScalarType> parse_dtype(const std::string& name);
// The long name of a compute dtype: "float32", "bfloat16", "float16" (config.json's spelling).
const char* dtype_name(at::ScalarType t);
// Parses "cpu", "cuda", "cuda:N"; errors when CUDA is asked for but unavailable.
Result<at::Device> parse_device(const std::string& name);

}  // namespace tb
