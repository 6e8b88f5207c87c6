#include "core/infer/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>
#include <sstream>

namespace tb {

namespace {
std::string show(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}
}  // namespace

Status validate_sampling_params(const SamplingParams& p) {
    if (!std::isfinite(p.temperature) || (!p.greedy && !(p.temperature > 0)))
        return make_error("temperature",
                          "must be a finite number > 0 (got " + show(p.temperature) + ")");
    if (!std::isfinite(p.top_p) || (!p.greedy && !(p.top_p > 0 && p.top_p <= 1)))
        return make_error("top_p", "must be in (0, 1] (got " + show(p.top_p) + ")");
    if (p.top_k < 0)
        return make_error("top_k",
                          "must be >= 0, 0 disables it (got " + std::to_string(p.top_k) + ")");
    if (!std::isfinite(p.repetition_penalty) || !(p.repetition_penalty > 0))
        return make_error("repetition_penalty", "must be a finite number > 0, 1 disables it (got " +
                                                    show(p.repetition_penalty) + ")");
    return Status::Ok();
}

Sampler::Sampler(const SamplingParams& params)
    : p_(params), gen_(at::make_generator<at::CPUGeneratorImpl>(params.seed)) {}

at::Tensor Sampler::process(const at::Tensor& logits, const at::Tensor& seen,
                            const std::vector<int64_t>& suppress) const {
    at::Tensor scores = logits.to(at::kFloat);
    if (p_.repetition_penalty != 1.0 && seen.defined() && seen.numel() > 0) {
        at::Tensor idx = seen.to(scores.device());
        at::Tensor s = scores.gather(1, idx);
        s = at::where(s < 0, s * p_.repetition_penalty, s / p_.repetition_penalty);
        scores = scores.scatter(1, idx, s);
    }
    const float neg_inf = -std::numeric_limits<float>::infinity();
    if (!suppress.empty()) {
        scores = scores.clone();
        for (int64_t id : suppress)
            if (id >= 0 && id < scores.size(1)) scores.select(1, id).fill_(neg_inf);
    }
    if (p_.greedy) return scores;
    if (p_.temperature != 1.0) scores = scores / p_.temperature;
    if (p_.top_k > 0) {
        const int64_t k = std::min<int64_t>(p_.top_k, scores.size(-1));
        // HF TopKLogitsWarper: remove everything below the k-th largest (ties survive).
        at::Tensor kth = std::get<0>(at::topk(scores, k, -1)).narrow(-1, k - 1, 1);
        scores = scores.masked_fill(scores < kth, neg_inf);
    }
    if (p_.top_p < 1.0) {
        // HF TopPLogitsWarper: sort ascending, drop the head whose cumulative probability is
        // <= 1 - top_p, always keep the most likely token.
        auto sorted = at::sort(scores, -1, false);
        at::Tensor sorted_logits = std::get<0>(sorted), sorted_idx = std::get<1>(sorted);
        at::Tensor cum = sorted_logits.softmax(-1).cumsum(-1);
        at::Tensor remove_sorted = cum <= (1 - p_.top_p);
        remove_sorted.narrow(-1, remove_sorted.size(-1) - 1, 1).fill_(false);
        at::Tensor remove = remove_sorted.scatter(1, sorted_idx, remove_sorted);
        scores = scores.masked_fill(remove, neg_inf);
    }
    return scores;
}

at::Tensor Sampler::next(const at::Tensor& logits, const at::Tensor& seen,
                         const std::vector<int64_t>& suppress) {
    at::Tensor scores = process(logits, seen, suppress);
    if (p_.greedy) return scores.argmax(-1).to(at::kCPU);
    // Draw on the CPU with our own generator: reproducible for a seed on any device.
    at::Tensor probs = scores.softmax(-1).to(at::kCPU);
    return at::multinomial(probs, 1, false, gen_).squeeze(1);
}

}  // namespace tb
