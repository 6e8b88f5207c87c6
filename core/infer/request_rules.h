// The per-request rules of the inference core (core/infer/inference.h), as functions, so that
// every generation loop applies the same ones: InferenceEngine's batches and the serving
// core's continuous batcher (core/serve/batcher.h). Nothing here runs the model.
//
// Torch-free header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/infer/inference.h"
#include "core/model/model_config.h"
#include "core/tokenizer/stream_decoder.h"
#include "core/tokenizer/tokenizer.h"

namespace tb::infer {

// The prompt encoder: exactly one of ids, chat messages (chat template with
// add_generation_prompt, no extra bos) or text (the tokenizer's special tokens).
Result<std::vector<int64_t>> encode_prompt(const Request& r, const Tokenizer* tok);

// Every check of one request (`ids` = encode_prompt's result), errors prefixed by `where`
// ("request 3"): non-empty prompt, ids inside the vocabulary, max_new_tokens in [1, the
// model's context], min_new_tokens in [0, max_new_tokens], the sampling settings, stop strings
// non-empty and with a tokenizer, a known adapter.
Status validate_request(const Request& r, const std::vector<int64_t>& ids,
                        const LlamaConfig& config, bool have_tokenizer, bool adapter_known,
                        const std::string& where);

// The EOS rule: generation_config.json's eos_token_id, else config.json's, else the
// tokenizer's eos.
std::vector<int64_t> resolve_eos_ids(const GenerationDefaults& gen, const LlamaConfig& config,
                                     const Tokenizer* tok);
// pad = the tokenizer's pad, else config.json's pad_token_id, else 0.
int64_t resolve_pad_id(const LlamaConfig& config, const Tokenizer* tok);

// One row's end rule and text stream: a row ends at the first EOS (kept), at a stop string in
// its decoded text (tokens kept, text not cut), or at max_new_tokens.
class RowEnd {
  public:
    RowEnd(const Request& r, std::shared_ptr<const Tokenizer> tok, const std::vector<int64_t>& eos);

    // Adds the row's next token. Returns the text it completes (with the held bytes flushed
    // when the row ends); sets *finish to "eos", "stop" or "length" when this token ends it.
    std::string push(int64_t token, std::string* finish);

    int64_t count() const { return count_; }

  private:
    std::vector<std::string> stop_;
    size_t longest_stop_ = 0;
    int64_t max_new_ = 0;
    const std::vector<int64_t>* eos_;
    std::unique_ptr<StreamDecoder> stream_;
    int64_t count_ = 0;
};

}  // namespace tb::infer
