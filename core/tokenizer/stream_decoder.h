// Incremental detokenization for streaming generation.
//
// Feed ids one at a time; every returned chunk is valid UTF-8 and the concatenation of all
// chunks (including flush()) equals Tokenizer::decode(all ids, skip_special_tokens) exactly.
//
// How: HF's decoder fuses each maximal run of byte-fallback tokens (<0xE2><0x82><0xAC> -> "€")
// and replaces a run that is not valid UTF-8 with one U+FFFD per byte. A run's result is only
// known when the run ends, so byte tokens are held until the next non-byte token (or
// flush()); everything else is emitted immediately. Skipped special tokens do not end a run
// (HF drops them before the decoder). The one leading space that decode() strips is stripped
// from the first non-empty text, so chunk boundaries never change the result.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace tb {

class StreamDecoder {
  public:
    explicit StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer,
                           bool skip_special_tokens = true);

    // Adds one id; returns the text it completes ("" while a byte run is pending, for
    // skipped special tokens and for ids outside the vocabulary).
    std::string push(int64_t id);

    // Emits whatever is held (an unfinished byte run decodes as decode() would at the end).
    std::string flush();

    // Forget everything (start a new sequence).
    void reset();

    // Everything emitted so far.
    const std::string& text() const { return text_; }
    // True while byte tokens are held back.
    bool pending() const { return !pending_.empty(); }

  private:
    std::string emit(std::string fragment);

    std::shared_ptr<const Tokenizer> tok_;
    bool skip_special_;
    std::vector<int64_t> pending_;  // trailing run of byte-fallback ids
    bool started_ = false;          // some non-empty text has been fused already
    std::string text_;
};

}  // namespace tb
