// Byte-fallback BPE over a SentencePiece vocabulary, as HF's tokenizers backend runs it.
//
// Why not SentencePiece's own encoder: transformers converts a SentencePiece BPE model into a
// `tokenizers` BPE whose merge priority is the *id* of the merged piece (generate_merges
// without scores: rank by (id(l+r), len(l), len(r))), while SentencePiece ranks by piece
// score. They disagree where the scores are not monotonic in the id - Llama's whitespace
// pieces "▁▁", "▁▁▁▁", ... carry score -1e9 but low ids, so HF merges runs of spaces first
// ("▁▁Hello" -> "▁▁" + "Hello"; SentencePiece gives "▁" + "▁Hello"). To produce HF's ids we
// run HF's algorithm (tokenizers/src/models/bpe/word.rs): characters -> vocabulary ids (byte
// pieces <0xNN> for characters not in the vocabulary, consecutive unknowns fused into one
// unk), then repeatedly apply the lowest-ranked merge, leftmost first.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace tb {

class BpeModel {
  public:
    // `pieces[i]` is the piece of id i (the SentencePiece vocabulary, in id order).
    BpeModel(const std::vector<std::string>& pieces, int64_t unk_id);

    // Appends the ids of one pre-tokenized word (the whole Metaspace-prefixed segment).
    void encode(const std::string& word, std::vector<int64_t>* out) const;

    // Id of a piece, -1 when it is not in the vocabulary.
    int32_t find(const std::string& piece) const {
        auto it = vocab_.find(piece);
        return it == vocab_.end() ? -1 : it->second;
    }
    size_t merge_count() const { return merges_.size(); }

  private:
    struct Merge {
        uint64_t rank;
        int32_t new_id;
    };
    static uint64_t pair_key(int32_t l, int32_t r) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
    }

    std::unordered_map<std::string, int32_t> vocab_;
    std::unordered_map<uint64_t, Merge> merges_;
    int32_t byte_ids_[256];  // id of "<0xNN>", -1 when absent
    int32_t unk_id_;
};

}  // namespace tb
