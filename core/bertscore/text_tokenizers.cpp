#include "core/bertscore/text_tokenizers.h"

#include <climits>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/bertscore/unicode_props.h"
#include "core/common/file_io.h"

namespace tb::bertscore {
namespace {

// The pattern's character kinds: \s, \p{L}, \p{N}, or anything else.
enum class Kind { kSpace, kLetter, kNumber, kOther };

Kind kind_of(char32_t cp) {
    if (is_white_space(cp)) return Kind::kSpace;
    if (is_letter(cp)) return Kind::kLetter;
    if (is_number(cp)) return Kind::kNumber;
    return Kind::kOther;
}

// Length of the contraction alternative ('s|'t|'re|'ve|'m|'ll|'d) at i, or 0.
size_t contraction_at(const std::u32string& s, size_t i) {
    if (s[i] != U'\'' || i + 1 >= s.size()) return 0;
    const char32_t a = s[i + 1];
    if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
    if (i + 2 < s.size()) {
        const char32_t b = s[i + 2];
        if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l'))
            return 3;
    }
    return 0;
}

}  // namespace

std::vector<std::string> gpt2_pretokenize(const std::string& text) {
    const std::u32string s = utf8_to_u32(text);
    std::vector<std::string> out;
    const size_t n = s.size();
    size_t i = 0;
    auto run_end = [&](size_t from, Kind k) {
        while (from < n && kind_of(s[from]) == k) ++from;
        return from;
    };
    while (i < n) {
        size_t end = 0;
        if (size_t c = contraction_at(s, i)) {
            end = i + c;
        } else {
            // " ?X+" for X in letters, numbers, other: an optional single ' ' then a run.
            const size_t body = (s[i] == U' ' && i + 1 < n) ? i + 1 : i;
            const Kind k = kind_of(s[body]);
            if (k != Kind::kSpace && (body == i || s[i] == U' ')) {
                end = run_end(body, k);
            } else {
                // \s+(?!\S) backs off one whitespace when the run is followed by non-space;
                // a single whitespace before non-space falls through to \s+.
                const size_t j = run_end(i, Kind::kSpace);
                end = (j == n || j - i == 1) ? j : j - 1;
            }
        }
        out.push_back(u32_to_utf8(s.substr(i, end - i)));
        i = end;
    }
    return out;
}

char32_t gpt2_byte_to_unicode(uint8_t b) {
    // Printable bytes map to themselves; the other 68 take 256, 257, ... in byte order.
    auto printable = [](int x) {
        return (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
    };
    if (printable(b)) return b;
    int n = 0;
    for (int x = 0; x < b; ++x)
        if (!printable(x)) ++n;
    return static_cast<char32_t>(256 + n);
}

std::string gpt2_byte_encode(const std::string& piece) {
    static const std::vector<char32_t> table = [] {
        std::vector<char32_t> t(256);
        for (int b = 0; b < 256; ++b) t[b] = gpt2_byte_to_unicode(static_cast<uint8_t>(b));
        return t;
    }();
    std::string out;
    for (unsigned char c : piece) append_utf8(table[c], &out);
    return out;
}

Result<ByteLevelBpe> ByteLevelBpe::load(const std::string& vocab_json,
                                        const std::string& merges_txt) {
    ByteLevelBpe t;
    TB_ASSIGN_OR_RETURN(std::string vtext, read_file(vocab_json));
    nlohmann::json v = nlohmann::json::parse(vtext, nullptr, false);
    if (v.is_discarded() || !v.is_object())
        return make_error(vocab_json, "not a JSON object of token -> id");
    for (auto it = v.begin(); it != v.end(); ++it) {
        if (!it.value().is_number_integer())
            return make_error(
                vocab_json, "token " + nlohmann::json(it.key()).dump() + ": id is not an integer");
        t.vocab_[it.key()] = it.value().get<int64_t>();
    }
    std::ifstream in(merges_txt);
    if (!in) return make_error(merges_txt, "cannot open");
    std::string line;
    int lineno = 0, rank = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (lineno == 1 && line.rfind("#version", 0) == 0) continue;
        if (line.empty()) continue;
        const size_t sp = line.find(' ');
        if (sp == std::string::npos || sp == 0 || sp + 1 >= line.size() ||
            line.find(' ', sp + 1) != std::string::npos)
            return make_error(merges_txt + ":" + std::to_string(lineno),
                              "expected two space-separated symbols");
        t.ranks_.emplace(std::make_pair(line.substr(0, sp), line.substr(sp + 1)), rank++);
    }
    auto unk = t.vocab_.find("<unk>");
    t.unk_id_ = unk == t.vocab_.end() ? -1 : unk->second;
    return t;
}

std::vector<std::string> ByteLevelBpe::bpe(const std::string& piece) const {
    // Symbols start as single (stand-in) characters; repeatedly merge the lowest-ranked
    // adjacent pair, all its occurrences left to right, as GPT2Tokenizer.bpe() does.
    std::vector<std::string> word;
    for (char32_t cp : utf8_to_u32(piece)) {
        std::string s;
        append_utf8(cp, &s);
        word.push_back(s);
    }
    while (word.size() > 1) {
        int best = INT_MAX;
        const std::pair<std::string, std::string>* best_pair = nullptr;
        for (size_t k = 0; k + 1 < word.size(); ++k) {
            auto it = ranks_.find({word[k], word[k + 1]});
            if (it != ranks_.end() && it->second < best) {
                best = it->second;
                best_pair = &it->first;
            }
        }
        if (!best_pair) break;
        const auto pair = *best_pair;
        std::vector<std::string> merged;
        for (size_t k = 0; k < word.size();) {
            if (k + 1 < word.size() && word[k] == pair.first && word[k + 1] == pair.second) {
                merged.push_back(pair.first + pair.second);
                k += 2;
            } else {
                merged.push_back(word[k]);
                ++k;
            }
        }
        word.swap(merged);
    }
    return word;
}

std::vector<int64_t> ByteLevelBpe::encode(const std::string& text, bool add_prefix_space) const {
    std::vector<int64_t> ids;
    for (const std::string& piece : gpt2_pretokenize(add_prefix_space ? " " + text : text)) {
        for (const std::string& tok : bpe(gpt2_byte_encode(piece))) {
            const int64_t id = token_id(tok);
            // The slow tokenizer maps unknown tokens to <unk> (never happens with a byte-level
            // vocabulary that holds all 256 stand-ins).
            ids.push_back(id >= 0 ? id : unk_id_);
        }
    }
    return ids;
}

int64_t ByteLevelBpe::token_id(const std::string& token) const {
    auto it = vocab_.find(token);
    return it == vocab_.end() ? -1 : it->second;
}

namespace {

bool is_cjk(char32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// BasicTokenizer._is_whitespace / _is_control / _is_punctuation.
bool bert_whitespace(char32_t cp) {
    return cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\r' || is_space_separator(cp);
}
bool bert_control(char32_t cp) {
    if (cp == U'\t' || cp == U'\n' || cp == U'\r') return false;
    return is_control_or_format(cp);
}
bool bert_punct(char32_t cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
        (cp >= 123 && cp <= 126))
        return true;
    return is_punct_category(cp);
}
// Python str.split() separators.
bool py_space(char32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::vector<std::u32string> py_split_u32(const std::u32string& s) {
    std::vector<std::u32string> out;
    std::u32string cur;
    for (char32_t c : s) {
        if (py_space(c)) {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

}  // namespace

std::vector<std::string> bert_basic_tokenize(const std::string& text, bool do_lower_case) {
    std::u32string cleaned;
    for (char32_t cp : utf8_to_u32(text)) {
        if (cp == 0 || cp == 0xFFFD || bert_control(cp)) continue;
        if (bert_whitespace(cp)) {
            cleaned.push_back(U' ');
        } else if (is_cjk(cp)) {
            cleaned += U' ';
            cleaned.push_back(cp);
            cleaned += U' ';
        } else {
            cleaned.push_back(cp);
        }
    }
    std::u32string joined;
    for (const std::u32string& token : py_split_u32(cleaned)) {
        std::u32string t = token;
        if (do_lower_case) {
            std::u32string lowered, stripped;
            for (char32_t c : t) append_lower(c, &lowered);
            std::u32string nfd;
            for (char32_t c : lowered) append_nfd(c, &nfd);
            for (char32_t c : nfd)
                if (!is_nonspacing_mark(c)) stripped.push_back(c);
            t = stripped;
        }
        // _run_split_on_punc: every punctuation character is a token of its own.
        for (char32_t c : t) {
            if (bert_punct(c)) {
                joined += U' ';
                joined.push_back(c);
                joined += U' ';
            } else {
                joined.push_back(c);
            }
        }
        joined += U' ';
    }
    std::vector<std::string> out;
    for (const std::u32string& w : py_split_u32(joined)) out.push_back(u32_to_utf8(w));
    return out;
}

Result<WordPiece> WordPiece::load(const std::string& vocab_txt, bool do_lower_case) {
    WordPiece t;
    t.lower_ = do_lower_case;
    std::ifstream in(vocab_txt);
    if (!in) return make_error(vocab_txt, "cannot open");
    std::string line;
    int64_t id = 0;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        // load_vocab() strips the trailing newline only; later duplicates overwrite.
        t.vocab_[line] = id++;
    }
    if (t.vocab_.empty()) return make_error(vocab_txt, "empty vocabulary");
    auto unk = t.vocab_.find("[UNK]");
    if (unk == t.vocab_.end()) return make_error(vocab_txt, "no [UNK] token");
    t.unk_id_ = unk->second;
    return t;
}

std::vector<std::string> WordPiece::wordpiece(const std::string& word) const {
    const std::u32string chars = utf8_to_u32(word);
    if (chars.size() > 100) return {"[UNK]"};
    std::vector<std::string> pieces;
    size_t start = 0;
    while (start < chars.size()) {
        size_t end = chars.size();
        std::string found;
        while (start < end) {
            std::string sub = u32_to_utf8(chars.substr(start, end - start));
            if (start > 0) sub = "##" + sub;
            if (vocab_.count(sub)) {
                found = sub;
                break;
            }
            --end;
        }
        if (found.empty()) return {"[UNK]"};
        pieces.push_back(found);
        start = end;
    }
    return pieces;
}

std::vector<int64_t> WordPiece::encode(const std::string& text) const {
    std::vector<int64_t> ids;
    for (const std::string& w : bert_basic_tokenize(text, lower_))
        for (const std::string& p : wordpiece(w)) {
            const int64_t id = token_id(p);
            ids.push_back(id >= 0 ? id : unk_id_);
        }
    return ids;
}

int64_t WordPiece::token_id(const std::string& token) const {
    auto it = vocab_.find(token);
    return it == vocab_.end() ? -1 : it->second;
}

}  // namespace tb::bertscore
