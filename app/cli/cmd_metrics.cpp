// tunebench-cli metrics: BLEU, ROUGE, chrF, chrF++, TER and BERTScore of given texts (scored by
// core/eval/prediction_metrics.h, as evaluate scores), with seeded bootstrap confidence
// intervals, an optional per-category breakdown and optional paired significance tests against
// a second system's predictions.
//
// Input files are JSON Lines: one JSON string per line (a references line may instead hold a
// JSON array of strings = several references for that item).
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "core/common/file_io.h"
#include "core/eval/prediction_metrics.h"
#include "core/metrics/resampling.h"
#include "core/metrics/text_metrics.h"

namespace tbcli {
namespace {

using nlohmann::json;
namespace tm = tb::metrics;

struct MetricsArgs {
    std::string predictions;
    std::string references;
    std::string metrics = "bleu,rouge";
    std::string categories;
    std::string compare_with;
    bool json_out = false;
    bool use_stemmer = false;
    uint64_t seed = 12345;
    int bootstrap = 1000;
    // BERTScore (bert_score 0.3.x's score() arguments)
    std::string bertscore_model;
    int bertscore_layer = -1;
    bool idf = false;
    bool rescale_with_baseline = false;
    std::string baseline;
    int batch_size = 64;
    std::string device = "cpu";
};

// Reads a JSON Lines file whose lines are strings (or, if allow_arrays, non-empty arrays of
// strings). A final newline is optional; "\r\n" endings are accepted. Errors name file:line.
tb::Result<std::vector<std::vector<std::string>>> read_jsonl_texts(const std::string& path,
                                                                   bool allow_arrays) {
    auto content = tb::read_file(path);
    if (!content) return content.error();
    std::vector<std::vector<std::string>> out;
    const std::string& text = *content;
    size_t start = 0;
    size_t line_no = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const std::string where = path + ":" + std::to_string(line_no);
        json j;
        try {
            j = json::parse(line);
        } catch (const json::exception& e) {  // parse_error, or out_of_range 406 ("1e400")
            return tb::make_error(where, std::string("invalid JSON: ") + e.what());
        }
        if (j.is_string()) {
            out.push_back({j.get<std::string>()});
        } else if (allow_arrays && j.is_array()) {
            std::vector<std::string> refs;
            for (const json& r : j) {
                if (!r.is_string())
                    return tb::make_error(where,
                                          "expected an array of strings, found an element "
                                          "of type " +
                                              std::string(r.type_name()));
                refs.push_back(r.get<std::string>());
            }
            if (refs.empty()) return tb::make_error(where, "empty array: no reference");
            out.push_back(std::move(refs));
        } else {
            return tb::make_error(where, std::string("expected a JSON string") +
                                             (allow_arrays ? " or an array of strings" : "") +
                                             ", found " + j.type_name());
        }
    }
    if (out.empty()) return tb::make_error(path, "no lines");
    return out;
}

tb::Result<std::vector<std::string>> read_jsonl_strings(const std::string& path) {
    auto rows = read_jsonl_texts(path, false);
    if (!rows) return rows.error();
    std::vector<std::string> out;
    out.reserve(rows->size());
    for (auto& r : *rows) out.push_back(std::move(r[0]));
    return out;
}

tb::Result<tb::eval::PredictionMetricsOptions> parse_metric_list(const std::string& list) {
    tb::eval::PredictionMetricsOptions o;
    std::stringstream ss(list);
    std::string item;
    bool any = false;
    while (std::getline(ss, item, ',')) {
        tb::Status st = tb::eval::select_prediction_metric(item, &o);
        if (!st.ok()) return tb::make_error("--metrics", st.error().message);
        any = true;
    }
    if (!any) return tb::make_error("--metrics", "no metric selected");
    return o;
}

// ROUGE values are means of per-item F (0-1) and keep their "mean" key; every other metric is
// a corpus "score" (BERTScore: the package's mean P/R/F, 0-1; the sacrebleu metrics 0-100).
bool is_mean_metric(const std::string& name) { return name.rfind("rouge", 0) == 0; }
bool is_percent_metric(const std::string& name) {
    return name == "bleu" || name == "chrf" || name == "chrfpp" || name == "ter";
}

// Everything computed for one metric, ready for printing.
struct MetricOutput {
    tm::MetricResult result;
    std::optional<tm::ConfidenceInterval> ci;
    std::vector<tm::CategoryResult> categories;
    std::optional<tm::PairedTestResult> boot, perm;
};

json ci_json(const tm::ConfidenceInterval& ci) { return json::array({ci.lower, ci.upper}); }

json metric_json(const MetricOutput& m) {
    json j;
    const bool is_bleu = m.result.name == "bleu";
    const char* value_key = is_mean_metric(m.result.name) ? "mean" : "score";
    j[value_key] = m.result.value;
    if (m.ci) j["ci95"] = ci_json(*m.ci);
    if (is_bleu && m.result.bleu_details) {
        const auto& b = *m.result.bleu_details;
        j["counts"] = b.counts;
        j["totals"] = b.totals;
        j["precisions"] = b.precisions;
        j["bp"] = b.bp;
        j["sys_len"] = b.sys_len;
        j["ref_len"] = b.ref_len;
    }
    j["per_item"] = m.result.per_item;
    if (!m.categories.empty()) {
        json cats = json::object();
        for (const auto& c : m.categories) {
            json cj = {{"n", c.n_items}, {value_key, c.ci.value}};
            if (m.ci) cj["ci95"] = ci_json(c.ci);
            cats[c.category] = cj;
        }
        j["by_category"] = cats;
    }
    if (m.boot && m.perm) {
        j["paired"] = {{"other", m.boot->value_b},
                       {"delta", m.boot->delta},
                       {"p_bootstrap", m.boot->p_value},
                       {"p_permutation", m.perm->p_value},
                       {"trials", m.boot->trials}};
    }
    return j;
}

std::string fmt(double v, bool percent_scale) {
    char buf[64];
    std::snprintf(buf, sizeof buf, percent_scale ? "%.4f" : "%.6f", v);
    return buf;
}

void print_table(const std::vector<MetricOutput>& outs, const MetricsArgs& a, size_t n) {
    std::cout << "items: " << n;
    if (a.bootstrap > 0)
        std::cout << "   bootstrap: " << a.bootstrap << " resamples, seed " << a.seed;
    std::cout << "\n\n";
    std::cout << std::left << std::setw(20) << "metric" << std::setw(13) << "value";
    if (a.bootstrap > 0) std::cout << std::setw(26) << "95% CI";
    const bool paired = !outs.empty() && outs[0].boot.has_value();
    if (paired)
        std::cout << std::setw(13) << "other" << std::setw(13) << "delta" << std::setw(11)
                  << "p(boot)"
                  << "p(perm)";
    std::cout << "\n";
    for (const auto& m : outs) {
        const bool is_bleu = is_percent_metric(m.result.name);
        std::cout << std::setw(20) << m.result.name << std::setw(13)
                  << fmt(m.result.value, is_bleu);
        if (m.ci)
            std::cout << std::setw(26)
                      << ("[" + fmt(m.ci->lower, is_bleu) + ", " + fmt(m.ci->upper, is_bleu) + "]");
        if (m.boot && m.perm)
            std::cout << std::setw(13) << fmt(m.boot->value_b, is_bleu) << std::setw(13)
                      << fmt(m.boot->delta, is_bleu) << std::setw(11) << fmt(m.boot->p_value, false)
                      << fmt(m.perm->p_value, false);
        std::cout << "\n";
    }
    for (const auto& m : outs) {
        if (m.categories.empty()) continue;
        const bool is_bleu = is_percent_metric(m.result.name);
        std::cout << "\n" << m.result.name << " by category\n";
        for (const auto& c : m.categories) {
            std::cout << "  " << std::setw(24) << c.category << std::setw(7) << c.n_items
                      << std::setw(13) << fmt(c.ci.value, is_bleu);
            if (m.ci)
                std::cout << "[" << fmt(c.ci.lower, is_bleu) << ", " << fmt(c.ci.upper, is_bleu)
                          << "]";
            std::cout << "\n";
        }
    }
}

int run_metrics(const MetricsArgs& a) {
    auto opts = parse_metric_list(a.metrics);
    if (!opts) return fail(opts.error());
    opts->text.rouge_use_stemmer = a.use_stemmer;
    if (opts->bertscore) {
        if (!tb::eval::bertscore_available())
            return fail("--metrics: bertscore is not available in this build");
        if (a.bertscore_model.empty())
            return fail("--bertscore-model: required with --metrics bertscore (an encoder folder)");
        if (a.bertscore_layer < -1)
            return fail("--bertscore-layer: must be >= 0 (-1: bert_score's table)");
        if (a.batch_size < 1) return fail("--batch-size: must be >= 1");
        if (a.rescale_with_baseline && a.baseline.empty())
            return fail("--baseline: required with --rescale-with-baseline");
        if (!a.baseline.empty() && !a.rescale_with_baseline)
            return fail("--baseline: only used with --rescale-with-baseline");
        tb::eval::BertScoreSettings& b = opts->bertscore_settings;
        b.model_dir = a.bertscore_model;
        b.num_layers = a.bertscore_layer;
        b.idf = a.idf;
        b.rescale_with_baseline = a.rescale_with_baseline;
        b.baseline_path = a.baseline;
        b.batch_size = a.batch_size;
        b.device = a.device;
    }
    if (a.bootstrap < 0 || a.bootstrap > tm::kMaxResamples)
        return fail("--bootstrap: must be in [0, " + std::to_string(tm::kMaxResamples) +
                    "] (0 disables resampling)");

    auto preds = read_jsonl_strings(a.predictions);
    if (!preds) return fail(preds.error());
    auto refs = read_jsonl_texts(a.references, true);
    if (!refs) return fail(refs.error());
    if (preds->size() != refs->size())
        return fail("line count mismatch: " + a.predictions + " has " +
                    std::to_string(preds->size()) + " lines, " + a.references + " has " +
                    std::to_string(refs->size()));
    std::vector<std::string> labels;
    if (!a.categories.empty()) {
        auto c = read_jsonl_strings(a.categories);
        if (!c) return fail(c.error());
        if (c->size() != preds->size())
            return fail("line count mismatch: " + a.categories + " has " +
                        std::to_string(c->size()) + " lines, " + a.predictions + " has " +
                        std::to_string(preds->size()));
        labels = std::move(*c);
    }

    auto results = tb::eval::score_predictions(*preds, *refs, *opts);
    if (!results) return fail(results.error());
    std::optional<std::vector<tm::MetricResult>> other;
    if (!a.compare_with.empty()) {
        auto other_preds = read_jsonl_strings(a.compare_with);
        if (!other_preds) return fail(other_preds.error());
        if (other_preds->size() != preds->size())
            return fail("line count mismatch: " + a.compare_with + " has " +
                        std::to_string(other_preds->size()) + " lines, " + a.predictions + " has " +
                        std::to_string(preds->size()));
        auto o = tb::eval::score_predictions(*other_preds, *refs, *opts);
        if (!o) return fail(o.error());
        other = std::move(*o);
    }

    tm::BootstrapOptions bo;
    bo.resamples = a.bootstrap;
    bo.seed = a.seed;
    std::vector<MetricOutput> outs;
    for (size_t k = 0; k < results->size(); ++k) {
        MetricOutput m;
        m.result = std::move((*results)[k]);
        if (a.bootstrap > 0) {
            auto ci = tm::bootstrap_ci(m.result.additive, bo);
            if (!ci) return fail(ci.error());
            m.ci = *ci;
        }
        if (!labels.empty()) {
            tm::BootstrapOptions cbo = bo;
            // per_category needs >= 1 resample; without --bootstrap only the values are shown
            if (cbo.resamples == 0) cbo.resamples = 1;
            auto cats = tm::per_category(m.result.additive, labels, cbo);
            if (!cats) return fail(cats.error());
            m.categories = std::move(*cats);
        }
        if (other && a.bootstrap > 0) {
            const auto& b = (*other)[k].additive;
            auto boot = tm::paired_bootstrap_test(m.result.additive, b, bo);
            if (!boot) return fail(boot.error());
            auto perm = tm::paired_permutation_test(m.result.additive, b, bo);
            if (!perm) return fail(perm.error());
            m.boot = *boot;
            m.perm = *perm;
        }
        outs.push_back(std::move(m));
    }

    if (a.json_out) {
        json out = json::object();
        out["n"] = preds->size();
        for (const auto& m : outs) out[m.result.name] = metric_json(m);
        if (a.bootstrap > 0)
            out["bootstrap"] = {{"resamples", a.bootstrap},
                                {"seed", a.seed},
                                {"ci", "percentile, numpy 'linear' quantiles"},
                                {"p_value", "(count + 1) / (trials + 1)"}};
        std::cout << out.dump() << "\n";
    } else {
        print_table(outs, a, preds->size());
    }
    return kExitOk;
}

CommandRegistrar register_metrics("metrics", [](CLI::App& app) {
    app.description(
        "BLEU, chrF, chrF++, TER (sacrebleu defaults), ROUGE-1/2/L/Lsum (rouge-score) and "
        "BERTScore (bert_score) of given texts, with bootstrap 95% confidence intervals");
    auto args = std::make_shared<MetricsArgs>();
    app.add_option("--predictions", args->predictions, "JSONL file: one JSON string per line")
        ->required();
    app.add_option("--references", args->references,
                   "JSONL file: one JSON string (or array of strings) per line")
        ->required();
    app.add_option("--metrics", args->metrics,
                   "Comma-separated: bleu,rouge,chrf,chrfpp,ter,bertscore (ter: lower is better)")
        ->capture_default_str();
    app.add_option("--categories", args->categories,
                   "JSONL file of category labels (one JSON string per line) for a breakdown");
    app.add_option("--compare-with", args->compare_with,
                   "JSONL predictions of a second system: adds paired bootstrap and "
                   "permutation p-values (this system minus that one)");
    app.add_option("--seed", args->seed, "Seed of the resampling PRNG")->capture_default_str();
    app.add_option("--bootstrap", args->bootstrap,
                   "Bootstrap resamples / permutation trials (0: no CI, no tests)")
        ->capture_default_str();
    app.add_flag("--use-stemmer", args->use_stemmer, "ROUGE with NLTK's Porter stemmer");
    app.add_option("--bertscore-model", args->bertscore_model,
                   "BERTScore encoder folder (Hugging Face BERT/RoBERTa: config.json, "
                   "model.safetensors, vocabulary)");
    app.add_option("--bertscore-layer", args->bertscore_layer,
                   "Hidden layer for BERTScore (default: bert_score's table for the folder's "
                   "name, e.g. roberta-large -> 17)");
    app.add_flag("--idf", args->idf, "BERTScore idf weighting over the references");
    app.add_flag("--rescale-with-baseline", args->rescale_with_baseline,
                 "Rescale BERTScore with a baseline file (--baseline)");
    app.add_option("--baseline", args->baseline,
                   "bert_score baseline file (rescale_baseline/<lang>/<model>.tsv: "
                   "LAYER,P,R,F rows)");
    app.add_option("--batch-size", args->batch_size,
                   "BERTScore batch size (bert_score's default 64; padding depends on it)")
        ->capture_default_str();
    app.add_option("--device", args->device, "Torch device for BERTScore (cpu, cuda, cuda:0)")
        ->capture_default_str();
    app.add_flag("--json", args->json_out, "Machine-readable output");
    return [args] { return run_metrics(*args); };
});

}  // namespace
}  // namespace tbcli
