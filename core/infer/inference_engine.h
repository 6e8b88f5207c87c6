// Inside the inference core (core/infer/inference.h): the part an engine supplies. The
// generation loop - prompt encoding, batching, sampling, the EOS/stop/pad rule, streaming,
// cancel, timing - is InferenceEngine's (inference_engine.cpp) and shared by every engine; an
// engine only computes a batch's forward steps over its own KV cache.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "core/infer/llama_model.h"

namespace tb::infer {

class DecodeBackend {
  public:
    virtual ~DecodeBackend() = default;

    // Starts a batch: `prompts` left padded with `pad_id` to the longest, a KV cache with room
    // for `max_new_tokens` more per row. Returns the logits of each row's last prompt position,
    // [B, V] in the model dtype on the model device.
    virtual at::Tensor prefill(const std::vector<std::vector<int64_t>>& prompts, int64_t pad_id,
                               int64_t max_new_tokens) = 0;

    // One token per row ([B] int64 on the model device) -> next logits [B, V].
    virtual at::Tensor decode(const at::Tensor& tokens) = 0;

    // Frees the batch's KV cache.
    virtual void release() = 0;

    // Whether a batch of `batch` rows with `capacity` cache tokens would decode on the decode
    // kernels (core/infer/decode_kernels.h) with the LoRA branches now attached (graph engine
    // on CUDA only).
    virtual bool decode_kernels_cover(int64_t batch, int64_t capacity) const {
        (void)batch;
        (void)capacity;
        return false;
    }
};

// The eager engine over `model` (which must outlive it). Fuses the q/k/v and gate/up weights
// of every layer in place (the projections become views into the fused tensors, no extra
// memory), so that a decode step runs two GEMMs where it ran five.
// `head`, when given, computes the logits in place of model.lm_head (the quant engine's
// packed Q8_0 head).
std::unique_ptr<DecodeBackend> make_eager_backend(
    LlamaModel& model, std::shared_ptr<const PackedBaseWeight> head = nullptr);

// The graph engine (CUDA only): the eager engine's prefill and layers, but each decode step is
// recorded once as a CUDA graph per (batch bucket, cache capacity) and replayed; see
// engine_eager.cpp for what makes the step replayable. Rows are padded up to the bucket
// (1, 2, 4, 8, 16, 32, 64, then multiples of 64) with one-token dummy prompts.
std::unique_ptr<DecodeBackend> make_graph_backend(LlamaModel& model);

}  // namespace tb::infer
