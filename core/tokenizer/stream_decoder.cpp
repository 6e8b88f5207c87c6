#include "core/tokenizer/stream_decoder.h"

#include <utility>

namespace tb {

StreamDecoder::StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special_tokens)
    : tok_(std::move(tokenizer)), skip_special_(skip_special_tokens) {}

std::string StreamDecoder::push(int64_t id) {
    if (id < 0 || id >= tok_->vocab_size()) return "";
    if (skip_special_ && tok_->is_special(id)) return "";
    if (tok_->is_byte_token(id)) {
        pending_.push_back(id);
        return "";
    }
    pending_.push_back(id);
    std::string fragment = tok_->decode_fragment(pending_, skip_special_);
    pending_.clear();
    return emit(std::move(fragment));
}

std::string StreamDecoder::flush() {
    if (pending_.empty()) return "";
    std::string fragment = tok_->decode_fragment(pending_, skip_special_);
    pending_.clear();
    return emit(std::move(fragment));
}

void StreamDecoder::reset() {
    pending_.clear();
    started_ = false;
    text_.clear();
}

std::string StreamDecoder::emit(std::string fragment) {
    if (fragment.empty()) return fragment;
    if (!started_) {
        // decode() strips one leading space of the whole fused text: it can only be here.
        started_ = true;
        if (tok_->strips_leading_space() && fragment[0] == ' ') fragment.erase(0, 1);
    }
    text_ += fragment;
    return fragment;
}

}  // namespace tb
