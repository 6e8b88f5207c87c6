#include "core/metrics/rouge.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "core/metrics/porter_stemmer.h"
#include "core/metrics/py_text.h"

namespace tb::metrics {

const char* rouge_type_name(RougeType t) {
    switch (t) {
        case RougeType::kRouge1:
            return "rouge1";
        case RougeType::kRouge2:
            return "rouge2";
        case RougeType::kRougeL:
            return "rougeL";
        case RougeType::kRougeLsum:
            return "rougeLsum";
    }
    return "?";
}

const RougeScore& RougeScores::get(RougeType t) const {
    switch (t) {
        case RougeType::kRouge1:
            return rouge1;
        case RougeType::kRouge2:
            return rouge2;
        case RougeType::kRougeL:
            return rougeL;
        case RougeType::kRougeLsum:
            return rougeLsum;
    }
    return rouge1;
}

RougeScore& RougeScores::get(RougeType t) {
    return const_cast<RougeScore&>(static_cast<const RougeScores&>(*this).get(t));
}

namespace {

// scoring.fmeasure
double fmeasure(double precision, double recall) {
    if (precision + recall > 0) return 2 * precision * recall / (precision + recall);
    return 0.0;
}

RougeScore make_score(double precision, double recall) {
    return RougeScore{precision, recall, fmeasure(precision, recall)};
}

// Token strings -> dense ids, so that the LCS tables compare integers.
class Interner {
  public:
    std::vector<int> ids(const std::vector<std::string>& tokens) {
        std::vector<int> out;
        out.reserve(tokens.size());
        for (const auto& t : tokens) {
            auto [it, inserted] = map_.emplace(t, static_cast<int>(map_.size()));
            out.push_back(it->second);
        }
        return out;
    }
    size_t size() const { return map_.size(); }

  private:
    std::unordered_map<std::string, int> map_;
};

// _lcs_table(ref, can): (rows+1) x (cols+1), row-major.
std::vector<int> lcs_table(const std::vector<int>& ref, const std::vector<int>& can) {
    const size_t cols = can.size() + 1;
    std::vector<int> t((ref.size() + 1) * cols, 0);
    for (size_t i = 1; i <= ref.size(); ++i) {
        for (size_t j = 1; j <= can.size(); ++j) {
            if (ref[i - 1] == can[j - 1])
                t[i * cols + j] = t[(i - 1) * cols + (j - 1)] + 1;
            else
                t[i * cols + j] = std::max(t[(i - 1) * cols + j], t[i * cols + (j - 1)]);
        }
    }
    return t;
}

// LCS length only (two rows).
int lcs_length(const std::vector<int>& ref, const std::vector<int>& can) {
    std::vector<int> prev(can.size() + 1, 0), cur(can.size() + 1, 0);
    for (size_t i = 1; i <= ref.size(); ++i) {
        for (size_t j = 1; j <= can.size(); ++j)
            cur[j] = ref[i - 1] == can[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
        std::swap(prev, cur);
    }
    return prev[can.size()];
}

// lcs_ind = _backtrack_norec(_lcs_table(ref, can), ref, can): indices into ref. The tie-break
// (move left only when strictly better) decides which LCS is found, so it is kept verbatim.
std::vector<size_t> lcs_indices(const std::vector<int>& ref, const std::vector<int>& can) {
    const std::vector<int> t = lcs_table(ref, can);
    const size_t cols = can.size() + 1;
    size_t i = ref.size();
    size_t j = can.size();
    std::vector<size_t> out;
    while (i > 0 && j > 0) {
        if (ref[i - 1] == can[j - 1]) {
            out.push_back(i - 1);
            --i;
            --j;
        } else if (t[i * cols + (j - 1)] > t[(i - 1) * cols + j]) {
            --j;
        } else {
            --i;
        }
    }
    std::reverse(out.begin(), out.end());
    return out;
}

// Appends the ASCII bytes that Python's str.lower() produces for `cp` if they are [a-z0-9],
// or returns false for a separator. U+0130 lowers to "i\u0307": the 'i' is kept and the combining
// dot, being outside [a-z0-9], separates.
bool lower_alnum(char32_t cp, std::string* token, bool* then_separator) {
    *then_separator = false;
    if (cp >= 'A' && cp <= 'Z') {
        token->push_back(static_cast<char>(cp - 'A' + 'a'));
        return true;
    }
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
        token->push_back(static_cast<char>(cp));
        return true;
    }
    if (cp == 0x212A) {  // KELVIN SIGN
        token->push_back('k');
        return true;
    }
    if (cp == 0x0130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE
        token->push_back('i');
        *then_separator = true;
        return true;
    }
    return false;
}

}  // namespace

std::vector<std::string> rouge_tokenize(std::string_view text, bool use_stemmer) {
    std::vector<std::string> tokens;
    std::string cur;
    auto flush = [&] {
        if (cur.empty()) return;
        if (use_stemmer && cur.size() > 3)
            tokens.push_back(porter_stem(cur));
        else
            tokens.push_back(cur);
        cur.clear();
    };
    size_t i = 0;
    while (i < text.size()) {
        size_t len = 1;
        const char32_t cp = utf8_decode(text, i, &len);
        i += len;
        bool then_sep = false;
        if (lower_alnum(cp, &cur, &then_sep)) {
            if (then_sep) flush();
        } else {
            flush();
        }
    }
    flush();
    // rouge-score finally keeps tokens matching ^[a-z0-9]+$; stems of [a-z0-9]+ words are
    // again [a-z0-9]+ and non-empty except in theory, so filter like the package does.
    tokens.erase(std::remove_if(tokens.begin(), tokens.end(),
                                [](const std::string& t) {
                                    if (t.empty()) return true;
                                    for (char c : t)
                                        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                                            return true;
                                    return false;
                                }),
                 tokens.end());
    return tokens;
}

RougeScore rouge_n(const std::vector<std::string>& target,
                   const std::vector<std::string>& prediction, int n) {
    Interner in;
    const std::vector<int> t = in.ids(target);
    const std::vector<int> p = in.ids(prediction);
    auto ngrams = [n](const std::vector<int>& toks) {
        std::map<std::vector<int>, int64_t> m;
        if (n <= 0 || toks.size() < static_cast<size_t>(n)) return m;
        for (size_t i = 0; i + n <= toks.size(); ++i)
            ++m[std::vector<int>(toks.begin() + i, toks.begin() + i + n)];
        return m;
    };
    const auto tn = ngrams(t);
    const auto pn = ngrams(p);
    int64_t inter = 0, tcount = 0, pcount = 0;
    for (const auto& [g, c] : tn) {
        tcount += c;
        auto it = pn.find(g);
        if (it != pn.end()) inter += std::min(c, it->second);
    }
    for (const auto& [g, c] : pn) pcount += c;
    const double precision =
        static_cast<double>(inter) / static_cast<double>(std::max<int64_t>(pcount, 1));
    const double recall =
        static_cast<double>(inter) / static_cast<double>(std::max<int64_t>(tcount, 1));
    return make_score(precision, recall);
}

RougeScore rouge_l(const std::vector<std::string>& target,
                   const std::vector<std::string>& prediction) {
    if (target.empty() || prediction.empty()) return RougeScore{};
    Interner in;
    const int lcs = lcs_length(in.ids(target), in.ids(prediction));
    const double precision = static_cast<double>(lcs) / static_cast<double>(prediction.size());
    const double recall = static_cast<double>(lcs) / static_cast<double>(target.size());
    return make_score(precision, recall);
}

RougeScore rouge_lsum(const std::vector<std::vector<std::string>>& target_sentences,
                      const std::vector<std::vector<std::string>>& prediction_sentences) {
    if (target_sentences.empty() || prediction_sentences.empty()) return RougeScore{};
    size_t m = 0, n = 0;
    for (const auto& s : target_sentences) m += s.size();
    for (const auto& s : prediction_sentences) n += s.size();
    if (m == 0 || n == 0) return RougeScore{};

    Interner in;
    std::vector<std::vector<int>> ref, can;
    for (const auto& s : target_sentences) ref.push_back(in.ids(s));
    for (const auto& s : prediction_sentences) can.push_back(in.ids(s));
    std::vector<int64_t> cnt_r(in.size(), 0), cnt_c(in.size(), 0);
    for (const auto& s : ref)
        for (int t : s) ++cnt_r[t];
    for (const auto& s : can)
        for (int t : s) ++cnt_c[t];

    int64_t hits = 0;
    for (const auto& r : ref) {
        std::set<size_t> uni;  // _find_union: sorted set of ref indices
        for (const auto& c : can)
            for (size_t idx : lcs_indices(r, c)) uni.insert(idx);
        for (size_t idx : uni) {
            const int t = r[idx];
            if (cnt_c[t] > 0 && cnt_r[t] > 0) {
                ++hits;
                --cnt_c[t];
                --cnt_r[t];
            }
        }
    }
    const double recall = static_cast<double>(hits) / static_cast<double>(m);
    const double precision = static_cast<double>(hits) / static_cast<double>(n);
    return make_score(precision, recall);
}

namespace {

// get_sents: text.split("\n") without the empty pieces.
std::vector<std::vector<std::string>> sentence_tokens(std::string_view text, bool stem) {
    std::vector<std::vector<std::string>> out;
    size_t start = 0;
    while (true) {
        const size_t nl = text.find('\n', start);
        const std::string_view piece =
            text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        if (!piece.empty()) out.push_back(rouge_tokenize(piece, stem));
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    return out;
}

}  // namespace

RougeScores rouge_score(std::string_view target, std::string_view prediction,
                        const RougeOptions& options) {
    const auto t = rouge_tokenize(target, options.use_stemmer);
    const auto p = rouge_tokenize(prediction, options.use_stemmer);
    RougeScores s;
    s.rouge1 = rouge_n(t, p, 1);
    s.rouge2 = rouge_n(t, p, 2);
    s.rougeL = rouge_l(t, p);
    s.rougeLsum = rouge_lsum(sentence_tokens(target, options.use_stemmer),
                             sentence_tokens(prediction, options.use_stemmer));
    return s;
}

Result<RougeScores> rouge_score_multi(const std::vector<std::string>& targets,
                                      std::string_view prediction, const RougeOptions& options) {
    if (targets.empty()) return Error{"rouge: no reference given"};
    std::vector<RougeScores> all;
    all.reserve(targets.size());
    for (const auto& t : targets) all.push_back(rouge_score(t, prediction, options));
    RougeScores best;
    for (RougeType type : kAllRougeTypes) {
        size_t arg = 0;
        for (size_t k = 1; k < all.size(); ++k)
            if (all[k].get(type).fmeasure > all[arg].get(type).fmeasure) arg = k;
        best.get(type) = all[arg].get(type);
    }
    return best;
}

}  // namespace tb::metrics
