// Next-token selection with HF's logits-processor semantics, applied in HF's order:
// repetition penalty -> min-new-tokens EOS suppression -> temperature -> top-k -> top-p,
// then argmax (greedy) or a multinomial draw from a seeded generator.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "core/common/error.h"

namespace tb {

struct SamplingParams {
    bool greedy = true;               // argmax after the penalty processors
    double temperature = 1.0;         // > 0; ignored when greedy
    int64_t top_k = 50;               // 0 disables; ignored when greedy
    double top_p = 1.0;               // (0, 1]; 1 disables; ignored when greedy
    double repetition_penalty = 1.0;  // 1 disables (HF: divide positive, multiply negative)
    uint64_t seed = 0;                // multinomial generator seed
};

// The one check of sampling settings that every front-end (CLI, GUI, evaluation) goes through
// before work starts (generate() calls it too). NaN and infinities are refused for every
// field, used or not: a NaN compares false with every bound and would otherwise pass silently
// or surface as an internal trace deep inside the sampler. Fields are named as in HF's
// generation_config.json.
Status validate_sampling_params(const SamplingParams& p);

class Sampler {
  public:
    explicit Sampler(const SamplingParams& params);

    // logits: [B, V] (any float dtype/device). seen: [B, S] int64 token ids that count for the
    // repetition penalty (prompt + generated, HF includes the prompt). suppress: ids whose
    // logits are set to -inf (EOS before min_new_tokens). Returns [B] int64 on CPU.
    at::Tensor next(const at::Tensor& logits, const at::Tensor& seen,
                    const std::vector<int64_t>& suppress);

    // The processed scores before selection (exposed for tests): [B, V] fp32.
    at::Tensor process(const at::Tensor& logits, const at::Tensor& seen,
                       const std::vector<int64_t>& suppress) const;

  private:
    SamplingParams p_;
    at::Generator gen_;
};

}  // namespace tb
