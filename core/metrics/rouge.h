// ROUGE exactly as Google's rouge-score package (rouge_scorer.RougeScorer with its
// DefaultTokenizer, split_summaries=False), which is what HF evaluate's "rouge" wraps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/error.h"

namespace tb::metrics {

struct RougeOptions {
    // Porter-stem tokens longer than 3 characters with NLTK's PorterStemmer (NLTK_EXTENSIONS
    // mode). Off by default, as in HF evaluate (use_stemmer=False).
    bool use_stemmer = false;
};

// rouge-score's Score tuple.
struct RougeScore {
    double precision = 0.0;
    double recall = 0.0;
    double fmeasure = 0.0;
};

enum class RougeType { kRouge1, kRouge2, kRougeL, kRougeLsum };
constexpr RougeType kAllRougeTypes[] = {RougeType::kRouge1, RougeType::kRouge2, RougeType::kRougeL,
                                        RougeType::kRougeLsum};
// "rouge1", "rouge2", "rougeL", "rougeLsum" (the package's and HF evaluate's key names).
const char* rouge_type_name(RougeType t);

struct RougeScores {
    RougeScore rouge1, rouge2, rougeL, rougeLsum;
    const RougeScore& get(RougeType t) const;
    RougeScore& get(RougeType t);
};

// rouge-score tokenize.tokenize: Python str.lower(), every run of characters outside [a-z0-9]
// becomes a separator, optional stemming of tokens longer than 3 characters. Input is UTF-8;
// the two non-ASCII code points that Python lowercases into ASCII letters (U+0130 -> "i" + U+0307,
// U+212A KELVIN SIGN -> "k") are mapped the same way.
std::vector<std::string> rouge_tokenize(std::string_view text, bool use_stemmer);

// rouge-score _score_ngrams on n-grams of the token lists (precision = overlap / max(pred, 1),
// recall = overlap / max(target, 1)).
RougeScore rouge_n(const std::vector<std::string>& target,
                   const std::vector<std::string>& prediction, int n);
// rouge-score _score_lcs (0 if either side is empty).
RougeScore rouge_l(const std::vector<std::string>& target,
                   const std::vector<std::string>& prediction);
// rouge-score _summary_level_lcs: union-LCS of each target sentence against all prediction
// sentences, with the ROUGE-1.5.5 guard against counting a token more often than it occurs.
RougeScore rouge_lsum(const std::vector<std::vector<std::string>>& target_sentences,
                      const std::vector<std::vector<std::string>>& prediction_sentences);

// RougeScorer(["rouge1","rouge2","rougeL","rougeLsum"]).score(target, prediction). For
// rougeLsum the texts are split on '\n' and empty pieces dropped before tokenization.
RougeScores rouge_score(std::string_view target, std::string_view prediction,
                        const RougeOptions& options = {});

// RougeScorer.score_multi: for each ROUGE type independently, the score against the target with
// the highest F (first one on ties, like np.argmax). Error if `targets` is empty.
Result<RougeScores> rouge_score_multi(const std::vector<std::string>& targets,
                                      std::string_view prediction,
                                      const RougeOptions& options = {});

}  // namespace tb::metrics
