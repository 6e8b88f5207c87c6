// C++ port of the hypothesis recipes of tests/fixtures/gen/gen_metrics_fixtures.py (format 2).
//
// Why recipes: the metric fixtures are computed on the CC BY-SA Dolly sample, which must not be
// copied into the project. The fixtures name each reference by its line in
// ../shared/data/dolly-sample.jsonl and each hypothesis by a list of simple, exactly portable
// transformations; this header rebuilds the texts byte for byte. Every op mirrors apply_recipe()
// in the generator (str.split(" ") semantics, ASCII-only case changes, code-point edits).
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace tbtest {

// Dolly responses and categories, indexed by non-empty line (the generator's indexing).
struct DollySample {
    std::vector<std::string> responses, categories;
};

// Throws std::runtime_error naming the file if it is missing or malformed (a test-setup bug).
inline DollySample load_dolly_sample(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open Dolly sample " + path);
    DollySample d;
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.find_first_not_of(" \t\r\n") == std::string::npos) continue;
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.contains("response") || !j.contains("category"))
            throw std::runtime_error(path + ":" + std::to_string(lineno) + ": bad record");
        d.responses.push_back(j["response"].get<std::string>());
        d.categories.push_back(j["category"].get<std::string>());
    }
    return d;
}

namespace recipe_detail {

// Python's str.split(" "): every single space separates, so "" -> {""} and "a  b" -> {a,"",b}.
inline std::vector<std::string> split_space(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        const size_t p = s.find(' ', start);
        if (p == std::string::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, p - start));
        start = p + 1;
    }
}

inline std::string join(const std::vector<std::string>& w, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < w.size(); ++i) out += (i ? sep : "") + w[i];
    return out;
}

inline std::vector<uint32_t> decode(const std::string& s) {
    std::vector<uint32_t> cps;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        cps.push_back(cp);
        i += n;
    }
    return cps;
}

inline std::string encode(const std::vector<uint32_t>& cps) {
    std::string out;
    for (uint32_t cp : cps) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    return out;
}

inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
inline std::string ascii_upper(std::string s) {
    for (char& c : s)
        if (is_lower(c)) c = static_cast<char>(c - 32);
    return s;
}
inline std::string ascii_lower(std::string s) {
    for (char& c : s)
        if (is_upper(c)) c = static_cast<char>(c + 32);
    return s;
}
// Bytes of multi-byte UTF-8 characters are not ASCII letters, so they reset `prev` exactly as
// the generator's per-character loop does for a non-ASCII character.
inline std::string ascii_title(std::string s) {
    bool prev = false;
    for (char& c : s) {
        if (is_upper(c) || is_lower(c)) {
            c = prev ? ascii_lower(std::string(1, c))[0] : ascii_upper(std::string(1, c))[0];
            prev = true;
        } else {
            prev = false;
        }
    }
    return s;
}

// Python str.replace(from, to) for non-empty `from`.
inline std::string replace_all(const std::string& s, const std::string& from,
                               const std::string& to) {
    std::string out;
    size_t pos = 0;
    for (;;) {
        const size_t p = s.find(from, pos);
        if (p == std::string::npos) break;
        out += s.substr(pos, p - pos) + to;
        pos = p + from.size();
    }
    return out + s.substr(pos);
}

}  // namespace recipe_detail

// Rebuilds one text from {"line": i, "ops": [...]}. Throws std::runtime_error on an unknown op
// or an out-of-range index (a fixture/port mismatch, reported by the calling test).
inline std::string apply_recipe(const nlohmann::json& recipe,
                                const std::vector<std::string>& lines) {
    using namespace recipe_detail;
    std::string s = lines.at(recipe.at("line").get<size_t>());
    for (const nlohmann::json& op : recipe.at("ops")) {
        const std::string name = op.at("op").get<std::string>();
        if (name == "words_delete") {
            const auto idx = op.at("idx").get<std::set<size_t>>();
            const auto w = split_space(s);
            std::vector<std::string> kept;
            for (size_t k = 0; k < w.size(); ++k)
                if (!idx.count(k)) kept.push_back(w[k]);
            s = join(kept, " ");
        } else if (name == "words_swap") {
            auto w = split_space(s);
            for (const auto& j : op.at("at"))
                std::swap(w.at(j.get<size_t>()), w.at(j.get<size_t>() + 1));
            s = join(w, " ");
        } else if (name == "words_case") {
            auto w = split_space(s);
            const std::string modes = op.at("modes").get<std::string>();
            if (modes.size() != w.size()) throw std::runtime_error("words_case: mode count");
            for (size_t k = 0; k < w.size(); ++k) {
                if (modes[k] == 'U')
                    w[k] = ascii_upper(w[k]);
                else if (modes[k] == 'L')
                    w[k] = ascii_lower(w[k]);
                else if (modes[k] == 'T')
                    w[k] = ascii_title(w[k]);
                else if (modes[k] != 'K')
                    throw std::runtime_error("words_case: bad mode");
            }
            s = join(w, " ");
        } else if (name == "words_set_cp") {
            auto w = split_space(s);
            for (const auto& it : op.at("items")) {
                std::string& word = w.at(it.at(0).get<size_t>());
                auto cps = decode(word);
                cps.at(it.at(1).get<size_t>()) = it.at(2).get<uint32_t>();
                word = encode(cps);
            }
            s = join(w, " ");
        } else if (name == "lower") {
            s = ascii_lower(s);
        } else if (name == "remove_codepoints") {
            const auto drop = op.at("cp").get<std::set<uint32_t>>();
            std::vector<uint32_t> kept;
            for (uint32_t cp : decode(s))
                if (!drop.count(cp)) kept.push_back(cp);
            s = encode(kept);
        } else if (name == "words_insert" || name == "words_insert_from") {
            auto w = split_space(s);
            for (const auto& it : op.at("items")) {
                const size_t pos = it.at(0).get<size_t>();
                if (pos > w.size()) throw std::runtime_error(name + ": position out of range");
                const std::string word =
                    name == "words_insert"
                        ? it.at(1).get<std::string>()
                        : split_space(lines.at(it.at(1).get<size_t>())).at(it.at(2).get<size_t>());
                w.insert(w.begin() + static_cast<std::ptrdiff_t>(pos), word);
            }
            s = join(w, " ");
        } else if (name == "replace") {
            s = replace_all(s, op.at("from").get<std::string>(), op.at("to").get<std::string>());
        } else if (name == "words_join") {
            s = join(split_space(s), op.at("sep").get<std::string>());
        } else if (name == "words_keep_first" || name == "words_repeat_first") {
            auto w = split_space(s);
            w.resize(std::min(w.size(), op.at("n").get<size_t>()));
            const int times = name == "words_keep_first" ? 1 : op.at("times").get<int>();
            std::vector<std::string> out;
            for (int t = 0; t < times; ++t) out.insert(out.end(), w.begin(), w.end());
            s = join(out, " ");
        } else if (name == "prepend") {
            s = op.at("text").get<std::string>() + s;
        } else if (name == "append") {
            s += op.at("text").get<std::string>();
        } else if (name == "set") {
            s = op.at("text").get<std::string>();
        } else {
            throw std::runtime_error("unknown recipe op '" + name + "'");
        }
    }
    return s;
}

// FNV-1a 64 of the bytes as 16 lowercase hex digits (the generator's fnv1a64()).
inline std::string fnv1a64_hex(const std::string& s) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
    static const char* kHex = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, h >>= 4) out[i] = kHex[h & 0xF];
    return out;
}

}  // namespace tbtest
