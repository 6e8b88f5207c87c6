// chrF and chrF++ exactly as sacrebleu 2.x (2.6) computes them with its defaults: character
// n-grams of order 1..6 over the segment with all (Python) whitespace removed, word n-grams of
// order 1..word_order (chrF++: 2) over sacrebleu's punctuation-splitting tokenization,
// beta = 2, case-sensitive, no epsilon smoothing (orders where the hypothesis or the reference
// has no n-gram are left out of the averages: sacrebleu's "effective order"). Scores are on
// sacrebleu's 0-100 scale.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/metrics/resampling.h"

namespace tb::metrics {

struct ChrfOptions {
    int char_order = 6;  // sacrebleu CHRF.CHAR_ORDER
    int word_order = 0;  // 0: chrF; 2: chrF++
    int beta = 2;        // recall weighs beta^2 times precision

    static ChrfOptions chrf() { return {}; }
    static ChrfOptions chrf_plus_plus() { return {6, 2, 2}; }
    int order() const { return char_order + word_order; }
};

// Additive sufficient statistics of one segment against its best reference (sacrebleu's
// segment statistics): for each order (characters 1..char_order, then words 1..word_order)
// [hypothesis n-grams, reference n-grams, clipped matches]. The hypothesis count of an order is
// 0 when the reference has no n-gram of that order (as sacrebleu counts it). Corpus chrF is the
// f-score of their sum; the bootstrap resamples them.
struct ChrfStats {
    std::vector<int64_t> counts;  // 3 * order()

    ChrfStats& operator+=(const ChrfStats& o);
};

// Statistics of `hypothesis` against the reference with the highest sentence chrF (the first
// one on ties), as sacrebleu's CHRF._compute_segment_statistics. An empty reference string is a
// reference without n-grams. Error if `references` is empty or the options are out of range.
Result<ChrfStats> chrf_segment_stats(const std::string& hypothesis,
                                     const std::vector<std::string>& references,
                                     const ChrfOptions& options = {});

// sacrebleu CHRF._compute_f_score (eps_smoothing=False) with the same floating-point operations.
double chrf_from_stats(const std::vector<int64_t>& counts, const ChrfOptions& options = {});
double chrf_from_stats(const ChrfStats& stats, const ChrfOptions& options = {});

// sacrebleu CHRF(...).corpus_score(hyps, refs): `references[i]` holds the references of item i
// (sacrebleu's own argument is transposed into streams). Errors name the item.
Result<double> corpus_chrf(const std::vector<std::string>& hypotheses,
                           const std::vector<std::vector<std::string>>& references,
                           const ChrfOptions& options = {});

// sacrebleu CHRF(...).sentence_score(hyp, refs).
Result<double> sentence_chrf(const std::string& hypothesis,
                             const std::vector<std::string>& references,
                             const ChrfOptions& options = {});

// Corpus chrF from per-item statistics for resampling.h (bootstrap CI, paired tests, per
// category): rows are the counts, the finaliser is chrf_from_stats.
AdditiveMetric chrf_metric(const std::vector<ChrfStats>& per_item, const ChrfOptions& options = {});

}  // namespace tb::metrics
