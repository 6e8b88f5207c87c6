// The two tokenizer families BERTScore needs, reproducing the Hugging Face *slow* tokenizers
// that bert_score 0.3.x loads by default (use_fast_tokenizer=False):
//   * GPT-2 byte-level BPE (RoBERTa/GPT-2: vocab.json + merges.txt);
//   * BERT WordPiece (vocab.txt) behind BERT's BasicTokenizer.
// Torch-free. Limits (documented, not needed by bert_score inputs in practice): special-token
// strings inside the text (e.g. "<s>", "[CLS]") are tokenized as plain text, whereas the HF
// tokenizers would map them to their special ids; BasicTokenizer's NFC step and the final-sigma
// lower-casing rule are not applied; Unicode classes come from unicode_tables.inc.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/common/error.h"

namespace tb::bertscore {

// The GPT-2 pre-tokenization pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// applied left to right with the regex engine's semantics (first matching alternative wins,
// greedy runs, the lookahead backs off one whitespace). Returns the matched UTF-8 pieces.
std::vector<std::string> gpt2_pretokenize(const std::string& text);

// GPT-2's bytes_to_unicode(): the printable code point standing for each byte.
char32_t gpt2_byte_to_unicode(uint8_t b);
// A UTF-8 piece with every byte replaced by its stand-in (what BPE operates on), as UTF-8.
std::string gpt2_byte_encode(const std::string& piece);

class ByteLevelBpe {
  public:
    // vocab.json (token -> id) and merges.txt (optional "#version" first line, then "a b" per
    // line, rank = line order). Errors name the file and line.
    static Result<ByteLevelBpe> load(const std::string& vocab_json, const std::string& merges_txt);

    // Ids of the text without special tokens; `add_prefix_space` prepends " " as the slow
    // GPT2Tokenizer does (bert_score passes add_prefix_space=True).
    std::vector<int64_t> encode(const std::string& text, bool add_prefix_space) const;
    // BPE tokens (byte-encoded strings) of one pre-token piece.
    std::vector<std::string> bpe(const std::string& byte_encoded_piece) const;

    // Id of a token string, or -1.
    int64_t token_id(const std::string& token) const;
    size_t vocab_size() const { return vocab_.size(); }

  private:
    std::unordered_map<std::string, int64_t> vocab_;
    std::map<std::pair<std::string, std::string>, int> ranks_;
    int64_t unk_id_ = -1;
};

// BERT BasicTokenizer (clean text, CJK spacing, whitespace split, optional lower-casing with
// accent stripping, punctuation split).
std::vector<std::string> bert_basic_tokenize(const std::string& text, bool do_lower_case);

class WordPiece {
  public:
    // vocab.txt: one token per line, id = line number.
    static Result<WordPiece> load(const std::string& vocab_txt, bool do_lower_case);

    // Ids without special tokens: basic tokenization then greedy longest-match-first with "##"
    // continuation pieces; a word that cannot be covered (or longer than 100 code points)
    // becomes [UNK].
    std::vector<int64_t> encode(const std::string& text) const;
    std::vector<std::string> wordpiece(const std::string& word) const;

    int64_t token_id(const std::string& token) const;
    size_t vocab_size() const { return vocab_.size(); }

  private:
    std::unordered_map<std::string, int64_t> vocab_;
    bool lower_ = true;
    int64_t unk_id_ = -1;
};

}  // namespace tb::bertscore
