// tunebench-cli metrics: BLEU / ROUGE of given texts, with seeded bootstrap confidence intervals,
// an optional per-category breakdown and optional paired significance tests against a second
// system's predictions.
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
        } catch (const json::parse_error& e) {
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

tb::Result<tm::TextMetricsOptions> parse_metric_list(const std::string& list) {
    tm::TextMetricsOptions o;
    o.bleu = o.rouge = false;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item == "bleu")
            o.bleu = true;
        else if (item == "rouge")
            o.rouge = true;
        else
            return tb::make_error("--metrics",
                                  "unknown metric '" + item + "' (this command knows bleu, rouge)");
    }
    if (!o.bleu && !o.rouge) return tb::make_error("--metrics", "no metric selected");
    return o;
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
    j[is_bleu ? "score" : "mean"] = m.result.value;
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
            json cj = {{"n", c.n_items}, {is_bleu ? "score" : "mean", c.ci.value}};
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

std::string fmt(double v, bool is_bleu) {
    char buf[64];
    std::snprintf(buf, sizeof buf, is_bleu ? "%.4f" : "%.6f", v);
    return buf;
}

void print_table(const std::vector<MetricOutput>& outs, const MetricsArgs& a, size_t n) {
    std::cout << "items: " << n;
    if (a.bootstrap > 0)
        std::cout << "   bootstrap: " << a.bootstrap << " resamples, seed " << a.seed;
    std::cout << "\n\n";
    std::cout << std::left << std::setw(11) << "metric" << std::setw(13) << "value";
    if (a.bootstrap > 0) std::cout << std::setw(26) << "95% CI";
    const bool paired = !outs.empty() && outs[0].boot.has_value();
    if (paired)
        std::cout << std::setw(13) << "other" << std::setw(13) << "delta" << std::setw(11)
                  << "p(boot)"
                  << "p(perm)";
    std::cout << "\n";
    for (const auto& m : outs) {
        const bool is_bleu = m.result.name == "bleu";
        std::cout << std::setw(11) << m.result.name << std::setw(13)
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
        const bool is_bleu = m.result.name == "bleu";
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
    opts->rouge_use_stemmer = a.use_stemmer;
    if (a.bootstrap < 0) return fail("--bootstrap: must be >= 0 (0 disables resampling)");

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

    auto results = tm::score_texts(*preds, *refs, *opts);
    if (!results) return fail(results.error());
    std::optional<std::vector<tm::MetricResult>> other;
    if (!a.compare_with.empty()) {
        auto other_preds = read_jsonl_strings(a.compare_with);
        if (!other_preds) return fail(other_preds.error());
        if (other_preds->size() != preds->size())
            return fail("line count mismatch: " + a.compare_with + " has " +
                        std::to_string(other_preds->size()) + " lines, " + a.predictions + " has " +
                        std::to_string(preds->size()));
        auto o = tm::score_texts(*other_preds, *refs, *opts);
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

CommandRegistrar reg("metrics", [](CLI::App& app) {
    app.description(
        "BLEU (sacrebleu defaults) and ROUGE-1/2/L/Lsum (rouge-score) of given texts, with "
        "bootstrap 95% confidence intervals");
    auto args = std::make_shared<MetricsArgs>();
    app.add_option("--predictions", args->predictions, "JSONL file: one JSON string per line")
        ->required();
    app.add_option("--references", args->references,
                   "JSONL file: one JSON string (or array of strings) per line")
        ->required();
    app.add_option("--metrics", args->metrics, "Comma-separated: bleu,rouge")
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
    app.add_flag("--json", args->json_out, "Machine-readable output");
    return [args] { return run_metrics(*args); };
});

}  // namespace
}  // namespace tbcli
