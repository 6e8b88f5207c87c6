// Batched autoregressive generation over a KV cache. Prompts of different lengths are left
// padded (as HF does for decoder-only models) so every row decodes at the same step.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/infer/llama_model.h"
#include "core/infer/sampler.h"

namespace tb {

struct GenerateParams {
    int64_t max_new_tokens = 128;           // hard cap on new tokens per sequence
    int64_t min_new_tokens = 0;             // HF meaning: EOS cannot be chosen before this many
    SamplingParams sampling;                // greedy by default
    std::vector<int64_t> eos_token_ids;     // any of these ends a sequence (it is kept in ids)
    int64_t pad_token_id = 0;               // fills left padding and finished rows
    std::vector<std::string> stop_strings;  // end a sequence when its decoded text contains one
    // Decoder for stop strings (required when stop_strings is non-empty).
    std::function<std::string(const std::vector<int64_t>&)> decode;
    // Called after every step for each still-running row with the new token.
    std::function<void(int64_t row, int64_t token)> on_token;
    const CancelToken* cancel = nullptr;  // checked between tokens
};

struct GenerateResult {
    std::vector<std::vector<int64_t>> new_ids;  // per prompt, generated ids (EOS included)
    std::vector<std::string> finish_reason;     // "eos" | "length" | "stop" | "cancelled"
    double prefill_seconds = 0;                 // time to first token
    double total_seconds = 0;
    int64_t generated_tokens = 0;  // sum over rows
};

// The longest generation accepted: the model's context (max_position_embeddings). Buffers
// grow with the tokens actually generated, so a large bound costs nothing up front, but a
// bound beyond the context is a typo (1000000000) or an overflow (2^63-1), never a request.
int64_t max_new_tokens_limit(const LlamaConfig& model);

// Every check of GenerateParams that does not need the prompts: max_new_tokens in
// [0, max_new_tokens_limit], min_new_tokens in [0, max_new_tokens], the sampling settings
// (validate_sampling_params), a decoder when stop strings are set. Front-ends call it before
// loading weights (the config alone is enough); generate() calls it again.
Status validate_generate_params(const GenerateParams& params, const LlamaConfig& model);

// Errors: invalid params (above), bad prompts, and logits that are not finite (NaN or Inf
// weights, or an fp16 overflow): the step and prompt are named rather than decoding garbage
// as token 0 forever.
Result<GenerateResult> generate(const LlamaModel& model,
                                const std::vector<std::vector<int64_t>>& prompts,
                                const GenerateParams& params);

}  // namespace tb
