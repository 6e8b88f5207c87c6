// Translation Edit Rate exactly as sacrebleu 2.x (2.6) computes it with its defaults
// (TER(normalized=False, no_punct=False, asian_support=False, case_sensitive=False)): the
// segment is rstrip()ped and lower-cased with Python's str.lower(), words are str.split();
// edits are tercom-style: greedy block shifts (at most 10 words, at most 50 positions away,
// at most 1000 shift candidates per segment, ranked like tercom) followed by a word-level
// Levenshtein distance restricted to a beam of 25 around the length-scaled diagonal. Scores are
// on sacrebleu's 0-100 scale (lower is better; above 100 is possible).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/metrics/resampling.h"

namespace tb::metrics {

// Additive sufficient statistics of one segment (sacrebleu's [num_edits, avg_ref_length]).
struct TerStats {
    double edits = 0.0;       // fewest edits over the references (an integer)
    double ref_length = 0.0;  // mean word count of the references

    TerStats& operator+=(const TerStats& o);
};

// sacrebleu's TER tokenizer with default options: "" stays "", otherwise Python str.lower().
// (The caller applies rstrip() first, as TER._preprocess_segment does.)
std::string ter_normalize(const std::string& sentence);

// sacrebleu lib_ter.translation_edit_rate on word lists: the number of edits (shifts plus
// edit distance) turning `hyp` into `ref`; an empty `ref` gives hyp.size(). Error only if the
// beam search cannot reach the end (sacrebleu raises there; not seen on real text).
Result<int64_t> translation_edit_rate(const std::vector<std::string>& hyp,
                                      const std::vector<std::string>& ref);

// Statistics of one hypothesis against its references (an empty string is a reference of
// length 0). Error if `references` is empty.
Result<TerStats> ter_segment_stats(const std::string& hypothesis,
                                   const std::vector<std::string>& references);

// sacrebleu TER._compute_score_from_stats: 100 * edits / ref_length; with ref_length 0, 100 if
// there are edits, else 0.
double ter_from_stats(const TerStats& stats);

// sacrebleu TER().corpus_score(hyps, refs); `references[i]` holds the references of item i.
Result<double> corpus_ter(const std::vector<std::string>& hypotheses,
                          const std::vector<std::vector<std::string>>& references);

// sacrebleu TER().sentence_score(hyp, refs).
Result<double> sentence_ter(const std::string& hypothesis,
                            const std::vector<std::string>& references);

// Corpus TER from per-item statistics for resampling.h (rows: edits, ref_length).
AdditiveMetric ter_metric(const std::vector<TerStats>& per_item);

}  // namespace tb::metrics
