#include "core/metrics/ter.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include "core/metrics/py_lower.h"
#include "core/metrics/py_text.h"

namespace tb::metrics {

TerStats& TerStats::operator+=(const TerStats& o) {
    edits += o.edits;
    ref_length += o.ref_length;
    return *this;
}

namespace {

// sacrebleu lib_ter limits (tercom's, plus sacrebleu's own candidate cap).
constexpr int64_t kMaxShiftSize = 10;
constexpr int64_t kMaxShiftDist = 50;
constexpr int64_t kBeamWidth = 25;
constexpr int64_t kMaxShiftCandidates = 1000;
constexpr int64_t kInfinity = 10000000000000000LL;  // int(1e16)

constexpr char kOpIns = 'i', kOpDel = 'd', kOpNop = ' ', kOpSub = 's', kOpUndef = 'x';

using Words = std::vector<int>;  // words as ids: equal words, equal ids

// sacrebleu's BeamEditDistance without its row cache: the cache only skips recomputing rows of
// a shared hypothesis prefix, and every hypothesis scored against one reference here has the
// same length (shifts keep it), so cached and recomputed rows are identical.
//
// Row i of the matrix is computed only for columns [lo_i, hi_i) around the diagonal scaled by
// the length ratio; every other cell is "infinite" with an undefined operation, as in
// sacrebleu's rows initialised from _empty_row. The matrix buffer is reused between calls, so
// cells are only ever read through at()/op_at(), which apply the row's window.
class BeamEditDistance {
  public:
    explicit BeamEditDistance(const Words& ref) : ref_(ref), width_(ref.size() + 1) {}

    // Edit distance and trace (hypothesis rows, reference columns: 'd' consumes a hypothesis
    // word, 'i' a reference word). Error when the trace meets an undefined cell.
    Result<int64_t> operator()(const Words& hyp, std::string* trace) {
        const size_t n_h = hyp.size();
        const size_t n_r = ref_.size();
        const int64_t W = static_cast<int64_t>(width_);
        cost_.resize((n_h + 1) * width_);
        op_.resize((n_h + 1) * width_);
        lo_.assign(n_h + 1, 0);
        hi_.assign(n_h + 1, 0);
        hi_[0] = W;
        for (size_t j = 0; j < width_; ++j) {
            cost_[j] = static_cast<int64_t>(j);
            op_[j] = kOpIns;
        }
        const double ratio = n_h > 0 ? static_cast<double>(n_r) / static_cast<double>(n_h) : 1.0;
        // "in some crazy sentences ... we may end up with zero overlap with previous row"
        const int64_t beam = static_cast<double>(kBeamWidth) < ratio / 2
                                 ? static_cast<int64_t>(std::ceil(ratio / 2 + kBeamWidth))
                                 : kBeamWidth;
        for (size_t i = 1; i <= n_h; ++i) {
            const auto diag = static_cast<int64_t>(std::floor(static_cast<double>(i) * ratio));
            const int64_t min_j = std::max<int64_t>(0, diag - beam);
            int64_t max_j = std::min<int64_t>(W, diag + beam);
            if (i == n_h) max_j = W;
            lo_[i] = min_j;
            hi_[i] = max_j;
            for (int64_t j = min_j; j < max_j; ++j) {
                int64_t best;
                char best_op;
                if (j == 0) {
                    best = at(i - 1, 0) + 1;
                    best_op = kOpDel;
                } else {
                    const bool same = hyp[i - 1] == ref_[static_cast<size_t>(j - 1)];
                    best = kInfinity;
                    best_op = kOpUndef;
                    // sacrebleu's order of preference (no-op/substitution, deletion,
                    // insertion) with strict comparison: the first cheapest wins.
                    const int64_t c_sub = at(i - 1, j - 1) + (same ? 0 : 1);
                    if (best > c_sub) best = c_sub, best_op = same ? kOpNop : kOpSub;
                    const int64_t c_del = at(i - 1, j) + 1;
                    if (best > c_del) best = c_del, best_op = kOpDel;
                    const int64_t c_ins = at(i, j - 1) + 1;
                    if (best > c_ins) best = c_ins, best_op = kOpIns;
                }
                cost_[i * width_ + static_cast<size_t>(j)] = best;
                op_[i * width_ + static_cast<size_t>(j)] = best_op;
            }
        }
        // Trace back from the last cell (sacrebleu always does, and fails on an undefined one).
        std::string rev;
        size_t i = n_h, j = n_r;
        while (i > 0 || j > 0) {
            const char op = op_at(i, static_cast<int64_t>(j));
            rev.push_back(op);
            if (op == kOpSub || op == kOpNop) {
                --i, --j;
            } else if (op == kOpIns) {
                --j;
            } else if (op == kOpDel) {
                --i;
            } else {
                return Error{"TER: the beam edit distance reached an undefined cell"};
            }
        }
        if (trace) trace->assign(rev.rbegin(), rev.rend());
        return at(n_h, static_cast<int64_t>(n_r));
    }

  private:
    int64_t at(size_t i, int64_t j) const {
        return j >= lo_[i] && j < hi_[i] ? cost_[i * width_ + static_cast<size_t>(j)] : kInfinity;
    }
    char op_at(size_t i, int64_t j) const {
        return j >= lo_[i] && j < hi_[i] ? op_[i * width_ + static_cast<size_t>(j)] : kOpUndef;
    }

    const Words& ref_;
    size_t width_;
    std::vector<int64_t> cost_;
    std::vector<char> op_;
    std::vector<int64_t> lo_, hi_;
};

// Python list slice words[a:b] (a, b >= 0).
void append_slice(const Words& w, int64_t a, int64_t b, Words* out) {
    const auto n = static_cast<int64_t>(w.size());
    a = std::min(a, n);
    b = std::min(b, n);
    if (a < b) out->insert(out->end(), w.begin() + a, w.begin() + b);
}

// sacrebleu _perform_shift: move words[start:start+length] to before position `target`.
Words perform_shift(const Words& w, int64_t start, int64_t length, int64_t target) {
    Words out;
    out.reserve(w.size());
    if (target < start) {
        append_slice(w, 0, target, &out);
        append_slice(w, start, start + length, &out);
        append_slice(w, target, start, &out);
        append_slice(w, start + length, static_cast<int64_t>(w.size()), &out);
    } else if (target > start + length) {
        append_slice(w, 0, start, &out);
        append_slice(w, start + length, target, &out);
        append_slice(w, start, start + length, &out);
        append_slice(w, target, static_cast<int64_t>(w.size()), &out);
    } else {
        append_slice(w, 0, start, &out);
        append_slice(w, start + length, length + target, &out);
        append_slice(w, start, start + length, &out);
        append_slice(w, length + target, static_cast<int64_t>(w.size()), &out);
    }
    return out;
}

struct ShiftResult {
    int64_t delta = 0;
    Words words;
};

// sacrebleu _shift: the best single block shift of `h` towards `r` by tercom's ranking
// (largest edit-distance reduction, then longest block, then earliest start, then earliest
// target), counting evaluated candidates in *checked.
Result<ShiftResult> best_shift(const Words& h, const Words& r, BeamEditDistance& ed,
                               int64_t* checked) {
    std::string inv_trace;
    TB_ASSIGN_OR_RETURN(int64_t pre_score, ed(h, &inv_trace));
    // Alignment from the flipped trace (rewriting the reference into the hypothesis).
    const auto n_h = static_cast<int64_t>(h.size());
    const auto n_r = static_cast<int64_t>(r.size());
    std::vector<int64_t> align(r.size(), 0);
    std::vector<char> aligned(r.size(), 0);
    std::vector<int> hyp_err, ref_err;
    int64_t pos_h = -1, pos_r = -1;
    for (char op : inv_trace) {
        if (op == kOpIns)
            op = kOpDel;
        else if (op == kOpDel)
            op = kOpIns;
        if (op == kOpNop || op == kOpSub) {
            ++pos_h, ++pos_r;
            align[static_cast<size_t>(pos_r)] = pos_h, aligned[static_cast<size_t>(pos_r)] = 1;
            hyp_err.push_back(op == kOpSub);
            ref_err.push_back(op == kOpSub);
        } else if (op == kOpIns) {
            ++pos_h;
            hyp_err.push_back(1);
        } else {
            ++pos_r;
            align[static_cast<size_t>(pos_r)] = pos_h, aligned[static_cast<size_t>(pos_r)] = 1;
            ref_err.push_back(1);
        }
    }
    auto err_sum = [](const std::vector<int>& e, int64_t a, int64_t b) {
        int s = 0;
        for (int64_t k = a; k < std::min<int64_t>(b, static_cast<int64_t>(e.size())); ++k)
            s += e[static_cast<size_t>(k)];
        return s;
    };

    bool have_best = false;
    int64_t best_key[4] = {0, 0, 0, 0};  // delta, length, -start_h, -target
    Words best_words;
    for (int64_t start_h = 0; start_h < n_h; ++start_h) {
        for (int64_t start_r = 0; start_r < n_r; ++start_r) {
            if (std::llabs(start_r - start_h) > kMaxShiftDist) continue;
            int64_t length = 0;
            while (h[static_cast<size_t>(start_h + length)] ==
                       r[static_cast<size_t>(start_r + length)] &&
                   length < kMaxShiftSize) {
                ++length;
                // ---- one matching block (start_h, start_r, length) ----
                const bool wanted = err_sum(hyp_err, start_h, start_h + length) != 0 &&
                                    err_sum(ref_err, start_r, start_r + length) != 0 &&
                                    !(start_h <= align[static_cast<size_t>(start_r)] &&
                                      align[static_cast<size_t>(start_r)] < start_h + length);
                if (wanted) {
                    int64_t prev_idx = -1;
                    for (int64_t offset = -1; offset < length; ++offset) {
                        int64_t idx;
                        if (start_r + offset == -1) {
                            idx = 0;
                        } else if (start_r + offset < n_r &&
                                   aligned[static_cast<size_t>(start_r + offset)]) {
                            idx = align[static_cast<size_t>(start_r + offset)] + 1;
                        } else {
                            break;
                        }
                        if (idx == prev_idx) continue;
                        prev_idx = idx;
                        Words shifted = perform_shift(h, start_h, length, idx);
                        TB_ASSIGN_OR_RETURN(int64_t cost, ed(shifted, nullptr));
                        const int64_t key[4] = {pre_score - cost, length, -start_h, -idx};
                        ++*checked;
                        // Python tuple comparison; equal keys mean the same shift, so the
                        // trailing word list never decides.
                        if (!have_best ||
                            std::lexicographical_compare(best_key, best_key + 4, key, key + 4)) {
                            have_best = true;
                            std::copy(key, key + 4, best_key);
                            best_words = std::move(shifted);
                        }
                    }
                    if (*checked >= kMaxShiftCandidates) goto done;
                }
                if (n_h == start_h + length || n_r == start_r + length) break;
            }
        }
    }
done:
    if (!have_best) return ShiftResult{0, h};
    return ShiftResult{best_key[0], std::move(best_words)};
}

// Word ids for one hypothesis/reference pair.
class WordIds {
  public:
    Words ids(const std::vector<std::string>& words) {
        Words out;
        out.reserve(words.size());
        for (const auto& w : words)
            out.push_back(map_.emplace(w, static_cast<int>(map_.size())).first->second);
        return out;
    }

  private:
    std::unordered_map<std::string, int> map_;
};

std::vector<std::string> ter_words(const std::string& sentence) {
    const std::string norm = ter_normalize(std::string(py_rstrip(sentence)));
    std::vector<std::string> out;
    for (std::string_view w : py_split(norm)) out.emplace_back(w);
    return out;
}

}  // namespace

std::string ter_normalize(const std::string& sentence) {
    if (sentence.empty()) return "";
    return py_lower_utf8(sentence);
}

Result<int64_t> translation_edit_rate(const std::vector<std::string>& hyp_words,
                                      const std::vector<std::string>& ref_words) {
    if (ref_words.empty()) return static_cast<int64_t>(hyp_words.size());
    WordIds vocab;
    const Words ref = vocab.ids(ref_words);
    Words input = vocab.ids(hyp_words);
    BeamEditDistance ed(ref);
    int64_t shifts = 0, checked = 0;
    for (;;) {
        TB_ASSIGN_OR_RETURN(ShiftResult s, best_shift(input, ref, ed, &checked));
        // sacrebleu stops before applying a shift found once the candidate cap is reached.
        if (checked >= kMaxShiftCandidates || s.delta <= 0) break;
        ++shifts;
        input = std::move(s.words);
    }
    TB_ASSIGN_OR_RETURN(int64_t distance, ed(input, nullptr));
    return shifts + distance;
}

Result<TerStats> ter_segment_stats(const std::string& hypothesis,
                                   const std::vector<std::string>& references) {
    if (references.empty()) return Error{"no reference given"};
    const std::vector<std::string> hyp = ter_words(hypothesis);
    int64_t best = kInfinity;
    int64_t ref_lengths = 0;
    for (const std::string& ref_text : references) {
        const std::vector<std::string> ref = ter_words(ref_text);
        TB_ASSIGN_OR_RETURN(int64_t edits, translation_edit_rate(hyp, ref));
        ref_lengths += static_cast<int64_t>(ref.size());
        if (edits < best) best = edits;
    }
    TerStats s;
    s.edits = static_cast<double>(best);
    s.ref_length = static_cast<double>(ref_lengths) / static_cast<double>(references.size());
    return s;
}

double ter_from_stats(const TerStats& s) {
    double score;
    if (s.ref_length > 0)
        score = s.edits / s.ref_length;
    else if (s.edits > 0)
        score = 1.0;  // empty reference(s), non-empty hypothesis
    else
        score = 0.0;  // both empty
    return 100 * score;
}

Result<double> corpus_ter(const std::vector<std::string>& hypotheses,
                          const std::vector<std::vector<std::string>>& references) {
    if (hypotheses.size() != references.size())
        return Error{"corpus_ter: " + std::to_string(hypotheses.size()) + " hypotheses but " +
                     std::to_string(references.size()) + " reference sets"};
    TerStats sum;
    for (size_t i = 0; i < hypotheses.size(); ++i) {
        auto s = ter_segment_stats(hypotheses[i], references[i]);
        if (!s.ok()) return make_error("item " + std::to_string(i), s.error().message);
        sum += *s;
    }
    return ter_from_stats(sum);
}

Result<double> sentence_ter(const std::string& hypothesis,
                            const std::vector<std::string>& references) {
    auto s = ter_segment_stats(hypothesis, references);
    if (!s.ok()) return s.error();
    return ter_from_stats(*s);
}

AdditiveMetric ter_metric(const std::vector<TerStats>& per_item) {
    AdditiveMetric m;
    m.dim = 2;
    m.rows.reserve(per_item.size() * 2);
    for (const TerStats& s : per_item) {
        m.rows.push_back(s.edits);
        m.rows.push_back(s.ref_length);
    }
    m.finalize = [](const double* sums, size_t) { return ter_from_stats({sums[0], sums[1]}); };
    return m;
}

}  // namespace tb::metrics
