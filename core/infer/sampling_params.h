// The sampling settings of generation (SamplingParams) and their check, torch-free so that
// front-ends that only pass settings along (widgets/, worker_types.h) do not parse libtorch's
// headers; the sampler itself is sampler.h.
#pragma once

#include <cstdint>

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

}  // namespace tb
