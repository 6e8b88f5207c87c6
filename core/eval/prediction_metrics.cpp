#include "core/eval/prediction_metrics.h"

#ifdef TB_HAVE_BERTSCORE
#include "core/bertscore/bertscore.h"
#endif

namespace tb::eval {

const char* const kPredictionMetricNames = "bleu, rouge, chrf, chrfpp, ter, bertscore";

Status select_prediction_metric(const std::string& name, PredictionMetricsOptions* o) {
    if (name == "bleu")
        o->text.bleu = true;
    else if (name == "rouge" || name == "rouge_l")
        o->text.rouge = true;
    else if (name == "chrf")
        o->text.chrf = true;
    else if (name == "chrfpp")
        o->text.chrfpp = true;
    else if (name == "ter")
        o->text.ter = true;
    else if (name == "bertscore")
        o->bertscore = true;
    else
        return Error{"unknown metric '" + name + "' (" + kPredictionMetricNames + ")"};
    return Status::Ok();
}

bool bertscore_available() {
#ifdef TB_HAVE_BERTSCORE
    return true;
#else
    return false;
#endif
}

Result<std::vector<metrics::MetricResult>> score_predictions(
    const std::vector<std::string>& predictions,
    const std::vector<std::vector<std::string>>& references,
    const PredictionMetricsOptions& options) {
    const metrics::TextMetricsOptions& t = options.text;
    std::vector<metrics::MetricResult> out;
    if (t.bleu || t.rouge || t.chrf || t.chrfpp || t.ter) {
        TB_ASSIGN_OR_RETURN(out, metrics::score_texts(predictions, references, t));
    } else if (predictions.size() != references.size()) {
        return Error{std::to_string(predictions.size()) + " predictions but " +
                     std::to_string(references.size()) + " reference sets"};
    }
    if (!options.bertscore) return out;
#ifdef TB_HAVE_BERTSCORE
    const BertScoreSettings& s = options.bertscore_settings;
    bertscore::BertScoreOptions bo;
    bo.model_dir = s.model_dir;
    bo.model_name = s.model_name;
    bo.num_layers = s.num_layers;
    bo.idf = s.idf;
    bo.rescale_with_baseline = s.rescale_with_baseline;
    bo.baseline_path = s.baseline_path;
    bo.batch_size = s.batch_size;
    bo.device = s.device;
    TB_ASSIGN_OR_RETURN(bertscore::BertScoreResult br,
                        bertscore::bert_score(predictions, references, bo));
    for (auto [name, values] :
         {std::pair{"bertscore_precision", &br.precision},
          std::pair{"bertscore_recall", &br.recall}, std::pair{"bertscore_f1", &br.f1}}) {
        metrics::MetricResult r;
        r.name = name;
        r.per_item = *values;
        r.additive = metrics::mean_metric(r.per_item);
        r.value = r.additive.value();
        out.push_back(std::move(r));
    }
    return out;
#else
    return Error{
        "bertscore is not available in this build (the BERTScore module core/bertscore was "
        "not built in this tree)"};
#endif
}

}  // namespace tb::eval
