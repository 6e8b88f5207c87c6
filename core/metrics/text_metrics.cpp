#include "core/metrics/text_metrics.h"

#include <tuple>

#include "core/metrics/chrf.h"
#include "core/metrics/rouge.h"
#include "core/metrics/ter.h"

namespace tb::metrics {

Result<std::vector<MetricResult>> score_texts(
    const std::vector<std::string>& predictions,
    const std::vector<std::vector<std::string>>& references, const TextMetricsOptions& options) {
    if (predictions.size() != references.size())
        return Error{std::to_string(predictions.size()) + " predictions but " +
                     std::to_string(references.size()) + " reference sets"};
    for (size_t i = 0; i < references.size(); ++i)
        if (references[i].empty()) return Error{"item " + std::to_string(i) + ": no reference"};

    std::vector<MetricResult> out;
    const size_t n = predictions.size();
    if (options.bleu) {
        MetricResult r;
        r.name = "bleu";
        std::vector<BleuStats> stats;
        stats.reserve(n);
        r.per_item.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            auto s = bleu_segment_stats(predictions[i], references[i]);
            if (!s.ok()) return make_error("item " + std::to_string(i), s.error().message);
            stats.push_back(*s);
            r.per_item.push_back(bleu_from_stats(*s, {BleuSmooth::kExp, true}).score);
        }
        BleuStats sum;
        for (const auto& s : stats) sum += s;
        r.bleu_details = bleu_from_stats(sum, {BleuSmooth::kExp, false});
        r.value = r.bleu_details->score;
        r.additive = bleu_metric(stats, {BleuSmooth::kExp, false});
        out.push_back(std::move(r));
    }
    if (options.rouge) {
        const RougeOptions ro{options.rouge_use_stemmer};
        std::vector<RougeScores> scores;
        scores.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            auto s = rouge_score_multi(references[i], predictions[i], ro);
            if (!s.ok()) return make_error("item " + std::to_string(i), s.error().message);
            scores.push_back(*s);
        }
        for (RougeType t : kAllRougeTypes) {
            MetricResult r;
            r.name = rouge_type_name(t);
            r.per_item.reserve(n);
            for (const auto& s : scores) r.per_item.push_back(s.get(t).fmeasure);
            r.additive = mean_metric(r.per_item);
            r.value = r.additive.value();
            out.push_back(std::move(r));
        }
    }
    for (const auto& [selected, name, co] :
         {std::tuple{options.chrf, "chrf", ChrfOptions::chrf()},
          std::tuple{options.chrfpp, "chrfpp", ChrfOptions::chrf_plus_plus()}}) {
        if (!selected) continue;
        MetricResult r;
        r.name = name;
        std::vector<ChrfStats> stats;
        stats.reserve(n);
        r.per_item.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            auto s = chrf_segment_stats(predictions[i], references[i], co);
            if (!s.ok()) return make_error("item " + std::to_string(i), s.error().message);
            r.per_item.push_back(chrf_from_stats(*s, co));
            stats.push_back(std::move(*s));
        }
        r.additive = chrf_metric(stats, co);
        r.value = r.additive.value();
        out.push_back(std::move(r));
    }
    if (options.ter) {
        MetricResult r;
        r.name = "ter";
        std::vector<TerStats> stats;
        stats.reserve(n);
        r.per_item.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            auto s = ter_segment_stats(predictions[i], references[i]);
            if (!s.ok()) return make_error("item " + std::to_string(i), s.error().message);
            r.per_item.push_back(ter_from_stats(*s));
            stats.push_back(*s);
        }
        r.additive = ter_metric(stats);
        r.value = r.additive.value();
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace tb::metrics
