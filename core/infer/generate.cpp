#include "core/infer/generate.h"

#include <algorithm>
#include <chrono>

#include "core/common/torch_compat.h"

namespace tb {

int64_t max_new_tokens_limit(const LlamaConfig& model) {
    return std::max<int64_t>(1, model.max_position_embeddings);
}

Status validate_generate_params(const GenerateParams& params, const LlamaConfig& model) {
    const int64_t limit = max_new_tokens_limit(model);
    if (params.max_new_tokens < 0 || params.max_new_tokens > limit)
        return make_error("max_new_tokens",
                          "must be in [0, " + std::to_string(limit) +
                              "], the model's context (max_position_embeddings); got " +
                              std::to_string(params.max_new_tokens));
    if (params.min_new_tokens < 0 || params.min_new_tokens > params.max_new_tokens)
        return make_error("min_new_tokens", "must be in [0, max_new_tokens]; got " +
                                                std::to_string(params.min_new_tokens));
    TB_TRY_STATUS(validate_sampling_params(params.sampling));
    if (!params.stop_strings.empty() && !params.decode)
        return make_error("stop_strings", "a decoder is required to match stop strings");
    return Status::Ok();
}

Result<GenerateResult> generate(const LlamaModel& model,
                                const std::vector<std::vector<int64_t>>& prompts,
                                const GenerateParams& params) {
    if (prompts.empty()) return make_error("generate", "no prompts");
    TB_TRY_STATUS(validate_generate_params(params, model.config));
    const int64_t vocab = model.config.vocab_size;
    size_t max_len = 0;
    for (size_t i = 0; i < prompts.size(); ++i) {
        if (prompts[i].empty()) return make_error("prompt " + std::to_string(i), "is empty");
        for (int64_t id : prompts[i])
            if (id < 0 || id >= vocab)
                return make_error("prompt " + std::to_string(i), "token id " + std::to_string(id) +
                                                                     " outside vocabulary [0, " +
                                                                     std::to_string(vocab) + ")");
        max_len = std::max(max_len, prompts[i].size());
    }
    const int64_t B = static_cast<int64_t>(prompts.size());
    const int64_t P = static_cast<int64_t>(max_len);
    const int64_t total = P + params.max_new_tokens;

    torch::NoGradGuard no_grad;
    auto t0 = std::chrono::steady_clock::now();
    GenerateResult res;
    res.new_ids.assign(prompts.size(), {});
    res.finish_reason.assign(prompts.size(), "length");

    // Key mask and KV cache are sized for what has been generated, doubling as needed (capped
    // at `total`): a generous max_new_tokens allocates nothing up front.
    constexpr int64_t kInitialNewTokens = 256;
    int64_t capacity = std::min(total, P + kInitialNewTokens);

    // Left-padded prompt batch and its 0/1 key mask (one more column set per step).
    at::Tensor ids = at::full({B, P}, params.pad_token_id, at::kLong);
    at::Tensor mask = at::zeros({B, capacity}, at::kLong);
    for (int64_t b = 0; b < B; ++b) {
        const auto& p = prompts[static_cast<size_t>(b)];
        const int64_t off = P - static_cast<int64_t>(p.size());
        for (size_t j = 0; j < p.size(); ++j) ids[b][off + static_cast<int64_t>(j)] = p[j];
        mask.narrow(0, b, 1).narrow(1, off, static_cast<int64_t>(p.size())).fill_(1);
    }
    at::Tensor seen = ids.clone();  // for the repetition penalty (HF counts the prompt)
    mask = mask.to(model.device);

    KvCache cache(model.config.num_hidden_layers, B, model.config.num_key_value_heads, capacity,
                  model.config.head_dim, model.dtype, model.device);
    auto ensure_capacity = [&](int64_t len) {
        if (len <= capacity) return;
        const int64_t grown = std::min(total, std::max(len, 2 * capacity));
        mask = at::cat({mask, at::zeros({B, grown - capacity}, mask.options())}, 1);
        cache.reserve(grown);
        capacity = grown;
    };
    Sampler sampler(params.sampling);
    std::vector<bool> running(static_cast<size_t>(B), true);
    int64_t alive = B;

    // HF position ids for left padding: cumsum(mask) - 1, with padding positions set to 1.
    auto positions = [&](int64_t from, int64_t len) {
        at::Tensor m = mask.narrow(1, 0, from + len);
        at::Tensor pos = m.cumsum(1) - 1;
        pos = pos.masked_fill(m == 0, 1);
        return pos.narrow(1, from, len);
    };

    at::Tensor step_ids = ids.to(model.device);
    int64_t past = 0;
    for (int64_t step = 0; step < params.max_new_tokens && alive > 0; ++step) {
        if (params.cancel && params.cancel->cancelled()) {
            for (int64_t b = 0; b < B; ++b)
                if (running[static_cast<size_t>(b)])
                    res.finish_reason[static_cast<size_t>(b)] = "cancelled";
            break;
        }
        const int64_t t = step_ids.size(1);
        at::Tensor key_mask = mask.narrow(1, 0, past + t);
        at::Tensor h = model.hidden_states(step_ids, positions(past, t), key_mask, &cache);
        at::Tensor logits = at::linear(h.select(1, t - 1), model.lm_head);  // [B, V]
        past += t;
        // NaN/Inf logits would decode as token 0 (argmax) or fail inside multinomial.
        at::Tensor bad = at::isfinite(logits).logical_not().any(1).to(at::kCPU);
        auto bad_acc = bad.accessor<bool, 1>();
        for (int64_t b = 0; b < B; ++b)
            if (running[static_cast<size_t>(b)] && bad_acc[b])
                return make_error("generate", "new token " + std::to_string(step + 1) +
                                                  ", prompt " + std::to_string(b) +
                                                  ": the model's logits are not finite (NaN or "
                                                  "Inf): its weights or adapter are damaged, or "
                                                  "the dtype overflowed");
        std::vector<int64_t> suppress;
        if (step < params.min_new_tokens) suppress = params.eos_token_ids;
        at::Tensor next = sampler.next(logits, seen, suppress);  // [B] cpu
        if (step == 0) {
            compat::cuda_synchronize();
            res.prefill_seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        auto next_acc = next.accessor<int64_t, 1>();
        for (int64_t b = 0; b < B; ++b) {
            const size_t bi = static_cast<size_t>(b);
            if (!running[bi]) {
                next_acc[b] = params.pad_token_id;
                continue;
            }
            const int64_t tok = next_acc[b];
            res.new_ids[bi].push_back(tok);
            ++res.generated_tokens;
            if (params.on_token) params.on_token(b, tok);
            bool done = false;
            if (std::find(params.eos_token_ids.begin(), params.eos_token_ids.end(), tok) !=
                params.eos_token_ids.end()) {
                res.finish_reason[bi] = "eos";
                done = true;
            } else if (!params.stop_strings.empty()) {
                const std::string text = params.decode(res.new_ids[bi]);
                for (const auto& s : params.stop_strings)
                    if (!s.empty() && text.find(s) != std::string::npos) {
                        res.finish_reason[bi] = "stop";
                        done = true;
                        break;
                    }
            }
            if (done) {
                running[bi] = false;
                --alive;
            }
        }
        ensure_capacity(past + 1);
        mask.narrow(1, past, 1).fill_(1);
        seen = at::cat({seen, next.unsqueeze(1)}, 1);
        step_ids = next.unsqueeze(1).to(model.device);
    }
    compat::cuda_synchronize();
    res.total_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace tb
