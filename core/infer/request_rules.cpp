#include "core/infer/request_rules.h"

#include <algorithm>

#include "core/infer/generate.h"
#include "core/infer/sampler.h"

namespace tb::infer {

Result<std::vector<int64_t>> encode_prompt(const Request& r, const Tokenizer* tok) {
    const int forms =
        (r.prompt_ids.empty() ? 0 : 1) + (r.messages.empty() ? 0 : 1) + (r.prompt_text ? 1 : 0);
    if (forms != 1)
        return make_error("request", "give exactly one of prompt ids, chat messages or text");
    if (!r.prompt_ids.empty()) return r.prompt_ids;
    if (!tok) return make_error("request", "a text or chat prompt needs a tokenizer");
    if (!r.messages.empty()) return tok->encode_chat(r.messages, true);
    return tok->encode(*r.prompt_text, true);
}

Status validate_request(const Request& r, const std::vector<int64_t>& ids,
                        const LlamaConfig& config, bool have_tokenizer, bool adapter_known,
                        const std::string& where) {
    const int64_t vocab = config.vocab_size;
    if (ids.empty()) return make_error(where, "the prompt encodes to no tokens");
    for (int64_t id : ids)
        if (id < 0 || id >= vocab)
            return make_error(where, "token id " + std::to_string(id) +
                                         " outside the vocabulary [0, " + std::to_string(vocab) +
                                         ")");
    if (r.max_new_tokens < 1) return make_error(where, "max_new_tokens: must be >= 1");
    if (r.min_new_tokens < 0 || r.min_new_tokens > r.max_new_tokens)
        return make_error(where, "min_new_tokens: must be in [0, max_new_tokens]");
    // The bound every front end shares (issue 10): a max_new_tokens beyond the model's
    // context is a typo, and the KV cache is allocated for prompt + max_new_tokens.
    const int64_t limit = max_new_tokens_limit(config);
    if (r.max_new_tokens > limit)
        return make_error(where, "max_new_tokens: must be in [1, " + std::to_string(limit) +
                                     "], the model's context (max_position_embeddings)");
    // The sampling checks every front end shares (issue 10: NaN/inf refused).
    SamplingParams sp;
    sp.greedy = r.sampling.greedy;
    sp.temperature = r.sampling.temperature;
    sp.top_k = r.sampling.top_k;
    sp.top_p = r.sampling.top_p;
    sp.repetition_penalty = r.sampling.repetition_penalty;
    sp.seed = r.sampling.seed;
    if (Status st = validate_sampling_params(sp); !st.ok())
        return make_error(where, st.error().message);
    for (const auto& st : r.stop)
        if (st.empty()) return make_error(where, "stop strings must not be empty");
    if (!r.stop.empty() && !have_tokenizer)
        return make_error(where, "stop strings need a tokenizer to match text");
    if (!r.adapter.empty() && !adapter_known)
        return make_error(where, "unknown adapter '" + r.adapter + "'");
    return Status::Ok();
}

std::vector<int64_t> resolve_eos_ids(const GenerationDefaults& gen, const LlamaConfig& config,
                                     const Tokenizer* tok) {
    std::vector<int64_t> eos =
        !gen.eos_token_ids.empty() ? gen.eos_token_ids : config.eos_token_ids;
    if (eos.empty() && tok && tok->eos_id() >= 0) eos = {tok->eos_id()};
    return eos;
}

int64_t resolve_pad_id(const LlamaConfig& config, const Tokenizer* tok) {
    return tok && tok->pad_id() >= 0 ? tok->pad_id() : config.pad_token_id.value_or(0);
}

RowEnd::RowEnd(const Request& r, std::shared_ptr<const Tokenizer> tok,
               const std::vector<int64_t>& eos)
    : stop_(r.stop), max_new_(r.max_new_tokens), eos_(&eos) {
    if (tok) stream_ = std::make_unique<StreamDecoder>(std::move(tok), true);
    for (const auto& s : stop_) longest_stop_ = std::max(longest_stop_, s.size());
}

std::string RowEnd::push(int64_t token, std::string* finish) {
    ++count_;
    std::string text;
    size_t before = 0;
    if (stream_) {
        before = stream_->text().size();
        text = stream_->push(token);
    }
    bool done = false;
    if (std::find(eos_->begin(), eos_->end(), token) != eos_->end()) {
        *finish = "eos";
        done = true;
    } else if (!stop_.empty() && stream_) {
        // Only the new text and the stop length before it can hold a new match.
        const std::string& all = stream_->text();
        const size_t from = before >= longest_stop_ ? before - longest_stop_ + 1 : 0;
        for (const auto& s : stop_)
            if (all.find(s, from) != std::string::npos) {
                *finish = "stop";
                done = true;
                break;
            }
    }
    if (!done && count_ >= max_new_) {
        *finish = "length";
        done = true;
    }
    if (done && stream_) text += stream_->flush();
    return text;
}

}  // namespace tb::infer
