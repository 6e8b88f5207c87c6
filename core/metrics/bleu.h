// BLEU exactly as sacrebleu 2.x computes it with its defaults: 13a tokenizer, case-sensitive,
// max n-gram order 4, closest reference length (ties -> the shorter reference), 'exp' smoothing,
// effective order only for sentence BLEU. Scores are on sacrebleu's 0-100 scale.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb::metrics {

constexpr int kBleuMaxOrder = 4;

// Additive sufficient statistics of one segment (sacrebleu's per-segment stats list
// [hyp_len, ref_len, correct_1..4, total_1..4]). Corpus BLEU is computed from their sum, which
// is also what the bootstrap resamples.
struct BleuStats {
    int64_t sys_len = 0;                           // hypothesis tokens
    int64_t ref_len = 0;                           // closest reference length
    std::array<int64_t, kBleuMaxOrder> correct{};  // clipped n-gram matches, n = 1..4
    std::array<int64_t, kBleuMaxOrder> total{};    // hypothesis n-grams, n = 1..4

    BleuStats& operator+=(const BleuStats& o);
};

// sacrebleu's BLEUScore fields.
struct BleuScore {
    double score = 0.0;                           // 0..100
    std::array<int64_t, kBleuMaxOrder> counts{};  // = correct
    std::array<int64_t, kBleuMaxOrder> totals{};
    std::array<double, kBleuMaxOrder> precisions{};  // percentages
    double bp = 0.0;                                 // brevity penalty
    int64_t sys_len = 0;
    int64_t ref_len = 0;
};

enum class BleuSmooth {
    kExp,   // NIST geometric sequence smoothing (sacrebleu 'exp', the default)
    kNone,  // no smoothing (sacrebleu 'none')
};

// How sufficient statistics turn into a score (sacrebleu BLEU.compute_bleu).
struct BleuComputeOptions {
    BleuSmooth smooth = BleuSmooth::kExp;
    // Stop at the highest n-gram order with a non-zero hypothesis n-gram total. sacrebleu's
    // corpus_bleu default is false, its sentence_bleu default is true.
    bool effective_order = false;
};

// Statistics of one hypothesis against its references. Each string is rstrip()ped (Python
// whitespace) and 13a-tokenized, as sacrebleu does. An empty reference string is a reference of
// length 0, as in sacrebleu 2.5+/2.6 (whose _cache_references only drops None; sacrebleu 2.0-2.4
// dropped "" and raised when nothing was left). The closest-length rule can therefore pick an
// empty reference (brevity penalty 1). Error if `references` is empty.
Result<BleuStats> bleu_segment_stats(const std::string& hypothesis,
                                     const std::vector<std::string>& references);

// sacrebleu BLEU.compute_bleu on summed statistics, with the same floating-point operations.
BleuScore bleu_from_stats(const BleuStats& stats, const BleuComputeOptions& options = {});

// sacrebleu.corpus_bleu(hyps, refs) with default arguments. `references[i]` holds the
// references of item i (note: sacrebleu's own argument is transposed, one stream per reference
// "slot"). Error names the item index when it has no reference, or when the sizes differ.
Result<BleuScore> corpus_bleu(const std::vector<std::string>& hypotheses,
                              const std::vector<std::vector<std::string>>& references);

// sacrebleu.sentence_bleu(hyp, refs) with default arguments ('exp' smoothing, effective order).
Result<BleuScore> sentence_bleu(const std::string& hypothesis,
                                const std::vector<std::string>& references);

}  // namespace tb::metrics
