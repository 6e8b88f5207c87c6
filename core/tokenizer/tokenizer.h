// Llama-family tokenizer: SentencePiece model + HF tokenizer_config.json, producing exactly
// the ids and text HF transformers 5 produces (LlamaTokenizer, tokenizers backend).
//
// What "exactly" means, and how (HF v5 LlamaTokenizer pipeline):
//   1. Added/special tokens (<s>, </s>, <unk>, every entry of added_tokens_decoder,
//      additional_special_tokens) that appear literally in the text are split out first
//      (leftmost-longest match, honouring lstrip/rstrip) and become their ids.
//   2. No normalizer. Each remaining text segment has ' ' replaced by '▁' (Metaspace) and
//      gets a '▁' prefix unless it already starts with one, according to the prepend scheme:
//        legacy=false (default, TinyLlama): "first" - only the segment at offset 0 of the text;
//        legacy=true: "always" - every segment; add_prefix_space=false: "never".
//      A leading space therefore never doubles: " Hello" encodes like "Hello".
//   3. The segment is BPE-encoded with byte fallback the way HF's converted model does it
//      (bpe.h: merges ranked by merged-piece id, which differs from SentencePiece's own
//      score-ranked encoder on runs of spaces). Only the vocabulary comes from tokenizer.model.
//   4. bos prepended if add_bos_token, eos appended if add_eos_token (add_special_tokens).
// Decoding follows HF's decoder chain: '▁'->' ', byte-fallback runs <0xNN> fused to UTF-8
// (a run that is not valid UTF-8 becomes one U+FFFD per byte), concatenation, then one
// leading space stripped (when add_prefix_space).
//
// Chat templates are rendered with the Jinja interpreter in jinja_template.h with HF's
// variables: messages, add_generation_prompt, bos_token, eos_token, unk_token, pad_token,
// tools=None, documents=None.
//
// Torch-free. Thread-safety: all const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb {

class BpeModel;

struct ChatMessage {
    std::string role;     // "system", "user", "assistant"
    std::string content;  // UTF-8
};

// A token matched literally in text before SentencePiece runs (HF AddedToken).
struct AddedToken {
    int64_t id = -1;
    std::string content;
    bool special = true;       // skipped by decode(skip_special_tokens=true)
    bool lstrip = false;       // absorbs whitespace on its left
    bool rstrip = false;       // absorbs whitespace on its right
    bool single_word = false;  // matches only between word boundaries
};

class Tokenizer {
  public:
    ~Tokenizer();
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

    // Loads <model_dir>/tokenizer.model and <model_dir>/tokenizer_config.json (required), plus
    // special_tokens_map.json and chat_template.jinja when present (they override the
    // corresponding tokenizer_config.json fields, as in HF). Errors name the file and field.
    static Result<std::shared_ptr<Tokenizer>> load(const std::string& model_dir);

    // Loads a SentencePiece model with an optional tokenizer_config.json (empty path: HF
    // LlamaTokenizer defaults: <s>/</s>/<unk>, add_bos_token, legacy=false, no chat template).
    static Result<std::shared_ptr<Tokenizer>> load_files(const std::string& sp_model_path,
                                                         const std::string& tokenizer_config_path);

    // HF `tokenizer(text, add_special_tokens=...)["input_ids"]`.
    std::vector<int64_t> encode(const std::string& text, bool add_special_tokens = true) const;

    // HF `tokenizer.decode(ids, skip_special_tokens=...)`. Ids outside the vocabulary are
    // skipped (as HF does).
    std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;

    // Building blocks of decode() for incremental decoding (stream_decoder.h):
    // decode_fragment = decode without the final leading-space strip; a run of byte tokens is
    // fused only within `ids`.
    std::string decode_fragment(const std::vector<int64_t>& ids, bool skip_special_tokens) const;
    bool strips_leading_space() const { return add_prefix_space_; }
    bool is_byte_token(int64_t id) const;  // piece of the form <0xNN>
    bool is_special(int64_t id) const;     // special added token (bos/eos/unk/pad/...)

    // Piece text for an id ("▁Hello", "<0x0A>", "</s>"); "" when out of range.
    std::string id_to_piece(int64_t id) const;
    // Id of an exact piece or added-token content; unk_id() when unknown.
    int64_t piece_to_id(const std::string& piece) const;

    int64_t bos_id() const { return bos_id_; }
    int64_t eos_id() const { return eos_id_; }
    int64_t pad_id() const { return pad_id_; }  // -1 when the tokenizer has no pad token
    int64_t unk_id() const { return unk_id_; }
    const std::string& bos_token() const { return bos_token_; }
    const std::string& eos_token() const { return eos_token_; }
    const std::string& pad_token() const { return pad_token_; }
    const std::string& unk_token() const { return unk_token_; }
    bool add_bos_token() const { return add_bos_; }
    bool add_eos_token() const { return add_eos_; }
    bool legacy() const { return legacy_; }
    // len(tokenizer): SentencePiece pieces plus added tokens with ids beyond them.
    int64_t vocab_size() const { return vocab_size_; }
    const std::vector<AddedToken>& added_tokens() const { return added_; }

    // Jinja source of the chat template ("" when the model has none).
    const std::string& chat_template() const { return chat_template_; }

    // HF apply_chat_template(messages, tokenize=False, add_generation_prompt=...).
    // Errors: no template, template syntax errors and raise_exception() (line/column).
    Result<std::string> apply_chat_template(const std::vector<ChatMessage>& messages,
                                            bool add_generation_prompt) const;

    // The same with another template source (HF's chat_template= argument).
    Result<std::string> render_chat_template(const std::string& template_source,
                                             const std::vector<ChatMessage>& messages,
                                             bool add_generation_prompt) const;

    // HF apply_chat_template(messages, tokenize=True, add_generation_prompt=...): the rendered
    // text encoded with add_special_tokens=False, because the template itself carries the
    // special tokens the model expects (transformers' documented contract; for TinyLlama's
    // template this means no bos).
    Result<std::vector<int64_t>> encode_chat(const std::vector<ChatMessage>& messages,
                                             bool add_generation_prompt) const;

    struct Config;  // parsed tokenizer_config.json / special_tokens_map.json (tokenizer.cpp)

  private:
    Tokenizer();

    static Result<std::shared_ptr<Tokenizer>> build(const std::string& sp_model_path,
                                                    const Config& config);

    // One text segment (no added tokens inside) -> ids; `at_text_start`: the segment begins
    // at offset 0 of the encoded text.
    Result<std::string> render_with(const std::string& source, const std::string& origin,
                                    const std::vector<ChatMessage>& messages,
                                    bool add_generation_prompt) const;

    void encode_segment(const std::string& segment, bool at_text_start,
                        std::vector<int64_t>* out) const;

    std::vector<std::string> pieces_;  // SentencePiece vocabulary by id
    std::unique_ptr<BpeModel> bpe_;
    int64_t sp_size_ = 0;
    std::vector<AddedToken> added_;           // sorted by content length, longest first
    std::vector<bool> special_;               // by id, size vocab_size_
    std::vector<std::string> added_content_;  // by id, "" when the id is not an added token
    std::string bos_token_, eos_token_, unk_token_, pad_token_;
    int64_t bos_id_ = -1, eos_id_ = -1, unk_id_ = -1, pad_id_ = -1;
    int64_t vocab_size_ = 0;
    bool add_bos_ = true, add_eos_ = false, legacy_ = false, add_prefix_space_ = true;
    std::string chat_template_;
    std::string chat_template_origin_;  // file name used in template error messages
};

}  // namespace tb
