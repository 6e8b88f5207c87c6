#include "core/infer/scoring.h"

namespace tb {

Result<std::vector<PositionScore>> score_sequence(const LlamaModel& model,
                                                  const std::vector<int64_t>& ids, int64_t top_k) {
    if (ids.empty()) return make_error("--ids", "empty sequence");
    const int64_t V = model.config.vocab_size;
    for (int64_t id : ids)
        if (id < 0 || id >= V)
            return make_error("--ids", "token id " + std::to_string(id) +
                                           " outside vocabulary [0, " + std::to_string(V) + ")");
    if (top_k < 1 || top_k > V) return make_error("--top-k", "must be in [1, vocab_size]");
    torch::NoGradGuard no_grad;
    const int64_t T = static_cast<int64_t>(ids.size());
    at::Tensor input = at::tensor(ids, at::kLong).view({1, T}).to(model.device);
    at::Tensor pos = at::arange(T, at::kLong).view({1, T}).to(model.device);
    at::Tensor logits = model.forward(input, pos, at::Tensor(), nullptr)[0].to(at::kFloat).cpu();
    at::Tensor lse = logits.logsumexp(-1);               // [T]
    auto top = at::topk(logits, top_k, -1, true, true);  // sorted, best first
    at::Tensor tv = std::get<0>(top).to(at::kDouble), ti = std::get<1>(top);
    std::vector<PositionScore> out(static_cast<size_t>(T));
    auto tva = tv.accessor<double, 2>();
    auto tia = ti.accessor<int64_t, 2>();
    auto lsea = lse.accessor<float, 1>();
    auto la = logits.accessor<float, 2>();
    for (int64_t t = 0; t < T; ++t) {
        auto& ps = out[static_cast<size_t>(t)];
        for (int64_t j = 0; j < top_k; ++j) {
            ps.top_ids.push_back(tia[t][j]);
            ps.top_logits.push_back(tva[t][j]);
        }
        ps.logsumexp = lsea[t];
        if (t + 1 < T) ps.next_logprob = la[t][ids[static_cast<size_t>(t + 1)]] - lsea[t];
    }
    return out;
}

}  // namespace tb
