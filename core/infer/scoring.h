// Teacher-forced scoring of a token sequence: per-position top-k logits, log-sum-exp and the
// log-probability of the next token. Used by `tunebench-cli score`, parity tests against HF
// and perplexity.
#pragma once

#include <cstdint>
#include <vector>

#include "core/common/error.h"
#include "core/infer/llama_model.h"

namespace tb {

struct PositionScore {
    std::vector<int64_t> top_ids;    // k most likely next tokens, best first
    std::vector<double> top_logits;  // their logits (fp32 upcast of the model output)
    double logsumexp = 0;            // log of the softmax normaliser at this position
    double next_logprob = 0;         // log p(ids[t+1] | ids[..t]); 0 at the last position
};

Result<std::vector<PositionScore>> score_sequence(const LlamaModel& model,
                                                  const std::vector<int64_t>& ids, int64_t top_k);

}  // namespace tb
