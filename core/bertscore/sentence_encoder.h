// The tokenizer side of bert_score for a model folder: sent_encode() ids with special tokens.
// Torch-free (tb_bertscore_text).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb::bertscore {

class SentenceEncoder {
  public:
    // vocab.json + merges.txt -> byte-level BPE (RoBERTa: <s>, </s>, <pad>); otherwise
    // vocab.txt -> WordPiece (BERT: [CLS], [SEP], [PAD]; do_lower_case from
    // tokenizer_config.json, default true). The maximum length is tokenizer_config.json's
    // model_max_length, else max_position_embeddings (minus padding_idx + 1 for RoBERTa).
    static Result<std::shared_ptr<SentenceEncoder>> load(const std::string& model_dir);
    virtual ~SentenceEncoder() = default;

    // bert_score.utils.sent_encode: Python strip(); "" -> [CLS, SEP]; else
    // [CLS] + ids[:max_length-2] + [SEP].
    std::vector<int64_t> sent_encode(const std::string& sentence) const;
    // Ids of already stripped text, no special tokens, no truncation.
    virtual std::vector<int64_t> encode_plain(const std::string& text) const = 0;

    int64_t cls_id() const { return cls_; }
    int64_t sep_id() const { return sep_; }
    int64_t pad_id() const { return pad_; }
    int64_t max_length() const { return max_len_; }

  protected:
    int64_t cls_ = 0, sep_ = 0, pad_ = 0, max_len_ = 512;
};

}  // namespace tb::bertscore
