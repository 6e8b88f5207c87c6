#include "core/metrics/chrf.h"

#include <string_view>
#include <unordered_map>

#include "core/metrics/py_text.h"

namespace tb::metrics {

ChrfStats& ChrfStats::operator+=(const ChrfStats& o) {
    if (counts.size() < o.counts.size()) counts.resize(o.counts.size(), 0);
    for (size_t k = 0; k < o.counts.size(); ++k) counts[k] += o.counts[k];
    return *this;
}

namespace {

// One counter per order: characters 1..char_order (keys are code point strings), then words
// 1..word_order (keys are the tokens joined by ' ', unambiguous since tokens hold no whitespace
// and every order has its own map).
struct SegmentNgrams {
    std::vector<std::unordered_map<std::u32string, int64_t>> chars;
    std::vector<std::unordered_map<std::string, int64_t>> words;
};

// sacrebleu CHRF._PUNCTS (string.punctuation).
bool is_chrf_punct(char c) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

// sacrebleu CHRF._remove_punctuation: str.split(), then a word of more than one character loses
// a final punctuation character into its own token, or else an initial one ("(hi)" -> "(hi", ")").
// The punctuation set is ASCII, so the first/last byte is the first/last code point exactly
// when it is punctuation.
std::vector<std::string_view> chrf_words(std::string_view sent) {
    std::vector<std::string_view> out;
    for (std::string_view w : py_split(sent)) {
        size_t first_len = 1;
        utf8_decode(w, 0, &first_len);
        if (first_len == w.size()) {
            out.push_back(w);  // one character
        } else if (is_chrf_punct(w.back())) {
            out.push_back(w.substr(0, w.size() - 1));
            out.push_back(w.substr(w.size() - 1));
        } else if (is_chrf_punct(w.front())) {
            out.push_back(w.substr(0, 1));
            out.push_back(w.substr(1));
        } else {
            out.push_back(w);
        }
    }
    return out;
}

SegmentNgrams extract_ngrams(const std::string& sent, const ChrfOptions& o) {
    SegmentNgrams g;
    // extract_all_char_ngrams with include_whitespace=False: "".join(line.split()).
    std::u32string chars;
    for (char32_t cp : utf8_to_codepoints(sent))
        if (!py_isspace(cp)) chars.push_back(cp);
    g.chars.resize(static_cast<size_t>(o.char_order));
    for (int n = 1; n <= o.char_order; ++n) {
        auto& map = g.chars[static_cast<size_t>(n - 1)];
        for (size_t i = 0; i + static_cast<size_t>(n) <= chars.size(); ++i)
            ++map[chars.substr(i, static_cast<size_t>(n))];
    }
    if (o.word_order > 0) {
        const std::vector<std::string_view> words = chrf_words(sent);
        g.words.resize(static_cast<size_t>(o.word_order));
        for (int n = 1; n <= o.word_order; ++n) {
            auto& map = g.words[static_cast<size_t>(n - 1)];
            for (size_t i = 0; i + static_cast<size_t>(n) <= words.size(); ++i) {
                std::string key(words[i]);
                for (int k = 1; k < n; ++k) {
                    key.push_back(' ');
                    key.append(words[i + static_cast<size_t>(k)]);
                }
                ++map[key];
            }
        }
    }
    return g;
}

// sacrebleu CHRF._get_match_statistics: [hyp count (0 without reference n-grams), ref count,
// clipped matches].
template <class Map>
void match_statistics(const Map& hyp, const Map& ref, std::vector<int64_t>* out) {
    int64_t hyp_count = 0, match = 0, ref_count = 0;
    for (const auto& [gram, count] : hyp) {
        hyp_count += count;
        auto it = ref.find(gram);
        if (it != ref.end()) match += std::min(count, it->second);
    }
    for (const auto& kv : ref) ref_count += kv.second;
    out->push_back(ref.empty() ? 0 : hyp_count);
    out->push_back(ref_count);
    out->push_back(match);
}

template <class Get>
double f_score(Get get, const ChrfOptions& o) {
    const double factor = static_cast<double>(o.beta) * static_cast<double>(o.beta);
    double avg_prec = 0.0, avg_rec = 0.0;
    int effective_order = 0;
    for (int i = 0; i < o.order(); ++i) {
        const double n_hyp = get(3 * i), n_ref = get(3 * i + 1), n_match = get(3 * i + 2);
        if (n_hyp > 0 && n_ref > 0) {
            avg_prec += n_match / n_hyp;
            avg_rec += n_match / n_ref;
            ++effective_order;
        }
    }
    if (effective_order == 0) {
        avg_prec = avg_rec = 0.0;
    } else {
        avg_prec /= effective_order;
        avg_rec /= effective_order;
    }
    if (avg_prec + avg_rec == 0.0) return 0.0;
    double score = (1 + factor) * avg_prec * avg_rec;
    score /= (factor * avg_prec) + avg_rec;
    return 100 * score;
}

Status check_options(const ChrfOptions& o) {
    if (o.char_order < 0 || o.word_order < 0 || o.order() < 1)
        return Error{"chrF: char_order and word_order must be >= 0, their sum >= 1"};
    if (o.beta < 0) return Error{"chrF: beta must be >= 0"};
    return Status::Ok();
}

}  // namespace

double chrf_from_stats(const std::vector<int64_t>& counts, const ChrfOptions& options) {
    return f_score(
        [&](int k) {
            return static_cast<size_t>(k) < counts.size()
                       ? static_cast<double>(counts[static_cast<size_t>(k)])
                       : 0.0;
        },
        options);
}

double chrf_from_stats(const ChrfStats& stats, const ChrfOptions& options) {
    return chrf_from_stats(stats.counts, options);
}

Result<ChrfStats> chrf_segment_stats(const std::string& hypothesis,
                                     const std::vector<std::string>& references,
                                     const ChrfOptions& options) {
    TB_TRY_STATUS(check_options(options));
    if (references.empty()) return Error{"no reference given"};
    const SegmentNgrams hyp = extract_ngrams(hypothesis, options);
    ChrfStats best;
    double best_f = -1.0;
    for (const std::string& ref_text : references) {
        const SegmentNgrams ref = extract_ngrams(ref_text, options);
        ChrfStats s;
        s.counts.reserve(static_cast<size_t>(3 * options.order()));
        for (size_t n = 0; n < hyp.chars.size(); ++n)
            match_statistics(hyp.chars[n], ref.chars[n], &s.counts);
        for (size_t n = 0; n < hyp.words.size(); ++n)
            match_statistics(hyp.words[n], ref.words[n], &s.counts);
        const double f = chrf_from_stats(s, options);
        if (f > best_f) {
            best_f = f;
            best = std::move(s);
        }
    }
    return best;
}

Result<double> corpus_chrf(const std::vector<std::string>& hypotheses,
                           const std::vector<std::vector<std::string>>& references,
                           const ChrfOptions& options) {
    if (hypotheses.size() != references.size())
        return Error{"corpus_chrf: " + std::to_string(hypotheses.size()) + " hypotheses but " +
                     std::to_string(references.size()) + " reference sets"};
    ChrfStats sum;
    sum.counts.assign(static_cast<size_t>(3 * std::max(options.order(), 0)), 0);
    for (size_t i = 0; i < hypotheses.size(); ++i) {
        auto s = chrf_segment_stats(hypotheses[i], references[i], options);
        if (!s.ok()) return make_error("item " + std::to_string(i), s.error().message);
        sum += *s;
    }
    TB_TRY_STATUS(check_options(options));
    return chrf_from_stats(sum, options);
}

Result<double> sentence_chrf(const std::string& hypothesis,
                             const std::vector<std::string>& references,
                             const ChrfOptions& options) {
    auto s = chrf_segment_stats(hypothesis, references, options);
    if (!s.ok()) return s.error();
    return chrf_from_stats(*s, options);
}

AdditiveMetric chrf_metric(const std::vector<ChrfStats>& per_item, const ChrfOptions& options) {
    AdditiveMetric m;
    m.dim = static_cast<size_t>(3 * options.order());
    m.rows.reserve(per_item.size() * m.dim);
    for (const ChrfStats& s : per_item)
        for (size_t k = 0; k < m.dim; ++k)
            m.rows.push_back(k < s.counts.size() ? static_cast<double>(s.counts[k]) : 0.0);
    m.finalize = [options](const double* sums, size_t) {
        return f_score([sums](int k) { return sums[k]; }, options);
    };
    return m;
}

}  // namespace tb::metrics
