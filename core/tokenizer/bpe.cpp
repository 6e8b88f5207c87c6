#include "core/tokenizer/bpe.h"

#include <cstdio>
#include <queue>

namespace tb {

namespace {

// Byte length of the UTF-8 character starting at s[i] (1 for invalid bytes).
size_t char_len(const std::string& s, size_t i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    if (i + n > s.size()) return 1;
    for (size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
    return n;
}

}  // namespace

BpeModel::BpeModel(const std::vector<std::string>& pieces, int64_t unk_id)
    : unk_id_(static_cast<int32_t>(unk_id)) {
    vocab_.reserve(pieces.size() * 2);
    for (size_t i = 0; i < pieces.size(); ++i) vocab_.emplace(pieces[i], static_cast<int32_t>(i));
    for (int b = 0; b < 256; ++b) {
        char code[8];
        std::snprintf(code, sizeof code, "<0x%02X>", b);
        auto it = vocab_.find(code);
        byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
    }
    // Every split of every piece into two pieces of the vocabulary is a merge; its rank orders
    // by (id of the merged piece, length of the left part in characters), as transformers'
    // generate_merges(vocab, None) sorts them.
    for (size_t id = 0; id < pieces.size(); ++id) {
        const std::string& p = pieces[id];
        size_t left_chars = 0;
        for (size_t i = 0; i < p.size();) {
            i += char_len(p, i);
            ++left_chars;
            if (i >= p.size()) break;
            auto l = vocab_.find(p.substr(0, i));
            if (l == vocab_.end()) continue;
            auto r = vocab_.find(p.substr(i));
            if (r == vocab_.end()) continue;
            uint64_t rank = (static_cast<uint64_t>(id) << 20) | left_chars;
            merges_.emplace(pair_key(l->second, r->second), Merge{rank, static_cast<int32_t>(id)});
        }
    }
}

void BpeModel::encode(const std::string& word, std::vector<int64_t>* out) const {
    struct Symbol {
        int32_t id;
        int32_t prev, next;
        bool removed;
    };
    std::vector<Symbol> sym;
    sym.reserve(word.size());
    auto add = [&](int32_t id) {
        int32_t n = static_cast<int32_t>(sym.size());
        if (n > 0) sym.back().next = n;
        sym.push_back({id, n - 1, -1, false});
    };
    bool pending_unk = false;  // consecutive unknown characters fuse into one unk (fuse_unk)
    for (size_t i = 0; i < word.size();) {
        size_t n = char_len(word, i);
        auto it = vocab_.find(word.substr(i, n));
        if (it != vocab_.end()) {
            if (pending_unk) add(unk_id_);
            pending_unk = false;
            add(it->second);
        } else {
            bool all_bytes = true;
            for (size_t k = 0; k < n; ++k)
                if (byte_ids_[static_cast<unsigned char>(word[i + k])] < 0) all_bytes = false;
            if (all_bytes) {
                // As in tokenizers: byte pieces are added without flushing a pending unk.
                for (size_t k = 0; k < n; ++k)
                    add(byte_ids_[static_cast<unsigned char>(word[i + k])]);
            } else if (unk_id_ >= 0) {
                pending_unk = true;
            }
        }
        i += n;
    }
    if (pending_unk) add(unk_id_);

    struct Candidate {
        uint64_t rank;
        int32_t pos;
        int32_t new_id;
        bool operator<(const Candidate& o) const {  // priority_queue pops the largest
            if (rank != o.rank) return rank > o.rank;
            return pos > o.pos;
        }
    };
    std::priority_queue<Candidate> queue;
    auto push_pair = [&](int32_t pos) {
        if (pos < 0 || sym[pos].next < 0) return;
        auto m = merges_.find(pair_key(sym[pos].id, sym[sym[pos].next].id));
        if (m != merges_.end()) queue.push({m->second.rank, pos, m->second.new_id});
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(sym.size()); ++i) push_pair(i);
    while (!queue.empty()) {
        Candidate top = queue.top();
        queue.pop();
        Symbol& cur = sym[top.pos];
        if (cur.removed || cur.next < 0) continue;
        Symbol& right = sym[cur.next];
        auto m = merges_.find(pair_key(cur.id, right.id));
        if (m == merges_.end() || m->second.new_id != top.new_id) continue;  // stale entry
        cur.id = top.new_id;
        right.removed = true;
        cur.next = right.next;
        if (cur.next >= 0) sym[cur.next].prev = top.pos;
        push_pair(cur.prev);
        push_pair(top.pos);
    }
    for (const auto& s : sym)
        if (!s.removed) out->push_back(s.id);
}

}  // namespace tb
