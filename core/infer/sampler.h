// Next-token selection with HF's logits-processor semantics, applied in HF's order:
// repetition penalty -> min-new-tokens EOS suppression -> temperature -> top-k -> top-p,
// then argmax (greedy) or a multinomial draw from a seeded generator.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "core/common/error.h"
#include "core/infer/sampling_params.h"

namespace tb {

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
