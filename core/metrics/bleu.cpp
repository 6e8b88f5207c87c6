#include "core/metrics/bleu.h"

#include <cmath>
#include <cstdlib>
#include <string_view>
#include <unordered_map>

#include "core/metrics/py_text.h"
#include "core/metrics/tokenizer_13a.h"

namespace tb::metrics {

BleuStats& BleuStats::operator+=(const BleuStats& o) {
    sys_len += o.sys_len;
    ref_len += o.ref_len;
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        correct[n] += o.correct[n];
        total[n] += o.total[n];
    }
    return *this;
}

namespace {

// n-gram counts of one segment, one map per order. Keys are the tokens joined by ' ', which is
// unambiguous because tokens never contain whitespace and each order has its own map.
struct NgramCounts {
    std::array<std::unordered_map<std::string, int64_t>, kBleuMaxOrder> by_order;
    int64_t length = 0;
};

NgramCounts extract_ngrams(const std::string& tokenized) {
    NgramCounts out;
    const std::vector<std::string_view> tokens = py_split(tokenized);
    out.length = static_cast<int64_t>(tokens.size());
    for (int n = 1; n <= kBleuMaxOrder; ++n) {
        if (tokens.size() < static_cast<size_t>(n)) break;
        auto& map = out.by_order[n - 1];
        for (size_t i = 0; i + n <= tokens.size(); ++i) {
            std::string key(tokens[i]);
            for (int k = 1; k < n; ++k) {
                key.push_back(' ');
                key.append(tokens[i + k]);
            }
            ++map[key];
        }
    }
    return out;
}

// sacrebleu BLEU._preprocess_segment with lowercase=False.
std::string preprocess(const std::string& sent) { return tokenize_13a(py_rstrip(sent)); }

// sacrebleu BLEU._get_closest_ref_len.
int64_t closest_ref_len(int64_t hyp_len, const std::vector<int64_t>& ref_lens) {
    int64_t closest_diff = -1;
    int64_t closest_len = -1;
    for (int64_t ref_len : ref_lens) {
        const int64_t diff = std::llabs(hyp_len - ref_len);
        if (closest_diff == -1 || diff < closest_diff) {
            closest_diff = diff;
            closest_len = ref_len;
        } else if (diff == closest_diff && ref_len < closest_len) {
            closest_len = ref_len;
        }
    }
    return closest_len;
}

// sacrebleu utils.my_log: log floored to a very low number for zero.
double my_log(double x) { return x == 0.0 ? -9999999999.0 : std::log(x); }

}  // namespace

Result<BleuStats> bleu_segment_stats(const std::string& hypothesis,
                                     const std::vector<std::string>& references) {
    // Reference side (sacrebleu _extract_reference_info): max count of each n-gram over refs.
    std::array<std::unordered_map<std::string, int64_t>, kBleuMaxOrder> ref_max;
    std::vector<int64_t> ref_lens;
    for (const std::string& ref : references) {
        NgramCounts rc = extract_ngrams(preprocess(ref));
        ref_lens.push_back(rc.length);
        for (int n = 0; n < kBleuMaxOrder; ++n) {
            for (auto& [gram, count] : rc.by_order[n]) {
                int64_t& slot = ref_max[n][gram];
                if (count > slot) slot = count;
            }
        }
    }
    if (ref_lens.empty()) return Error{"no reference given"};

    const NgramCounts hc = extract_ngrams(preprocess(hypothesis));
    BleuStats s;
    s.sys_len = hc.length;
    s.ref_len = closest_ref_len(hc.length, ref_lens);
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        for (const auto& [gram, count] : hc.by_order[n]) {
            s.total[n] += count;
            auto it = ref_max[n].find(gram);
            if (it != ref_max[n].end()) s.correct[n] += std::min(count, it->second);
        }
    }
    return s;
}

BleuScore bleu_from_stats(const BleuStats& st, const BleuComputeOptions& options) {
    BleuScore r;
    r.counts = st.correct;
    r.totals = st.total;
    r.sys_len = st.sys_len;
    r.ref_len = st.ref_len;
    if (st.sys_len < st.ref_len) {
        r.bp =
            st.sys_len > 0
                ? std::exp(1.0 - static_cast<double>(st.ref_len) / static_cast<double>(st.sys_len))
                : 0.0;
    } else {
        r.bp = 1.0;
    }
    bool any_correct = false;
    for (int64_t c : st.correct) any_correct = any_correct || c != 0;
    if (!any_correct) return r;  // score 0, precisions 0 (sacrebleu's early stop, #141)

    double smooth_mteval = 1.0;
    int eff_order = kBleuMaxOrder;
    for (int n = 1; n <= kBleuMaxOrder; ++n) {
        if (st.total[n - 1] == 0) break;
        if (options.effective_order) eff_order = n;
        if (st.correct[n - 1] == 0) {
            if (options.smooth == BleuSmooth::kExp) {
                smooth_mteval *= 2;
                r.precisions[n - 1] =
                    100.0 / (smooth_mteval * static_cast<double>(st.total[n - 1]));
            }
        } else {
            r.precisions[n - 1] = 100.0 * static_cast<double>(st.correct[n - 1]) /
                                  static_cast<double>(st.total[n - 1]);
        }
    }
    // Python: sum([...]) adds left to right starting from int 0.
    double log_sum = 0.0;
    for (int n = 0; n < eff_order; ++n) log_sum += my_log(r.precisions[n]);
    r.score = r.bp * std::exp(log_sum / eff_order);
    return r;
}

Result<BleuScore> corpus_bleu(const std::vector<std::string>& hypotheses,
                              const std::vector<std::vector<std::string>>& references) {
    if (hypotheses.size() != references.size())
        return Error{"corpus_bleu: " + std::to_string(hypotheses.size()) + " hypotheses but " +
                     std::to_string(references.size()) + " reference sets"};
    BleuStats sum;
    for (size_t i = 0; i < hypotheses.size(); ++i) {
        auto s = bleu_segment_stats(hypotheses[i], references[i]);
        if (!s.ok()) return make_error("item " + std::to_string(i), s.error().message);
        sum += *s;
    }
    return bleu_from_stats(sum, BleuComputeOptions{BleuSmooth::kExp, false});
}

Result<BleuScore> sentence_bleu(const std::string& hypothesis,
                                const std::vector<std::string>& references) {
    auto s = bleu_segment_stats(hypothesis, references);
    if (!s.ok()) return s.error();
    return bleu_from_stats(*s, BleuComputeOptions{BleuSmooth::kExp, true});
}

}  // namespace tb::metrics
