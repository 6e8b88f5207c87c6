// tunebench-cli evaluate: generate test-split responses for the base model and/or adapters
// (resumable, recorded in the workspace's SQLite store), score them and print one table with
// 95% bootstrap intervals and paired p-values against the base model; writes
// results/evaluation/*.json. Progress goes to stderr, the table to stdout.
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/progress_printer.h"
#include "core/config/app_config.h"
#include "core/eval/eval_fingerprint.h"
#include "core/eval/evaluation.h"
#include "core/infer/engine_choice.h"

namespace tbcli {
namespace {

namespace fs = std::filesystem;

struct EvaluateArgs {
    std::string config;
    std::string models = "base";
    std::string metrics;
    std::string bertscore_model;
    int bertscore_layers = -1;
    int64_t limit = -2;
    std::string device;
    std::string dtype;
    std::string engine;
    std::string quant;
    int64_t resume = 0;
    std::string store;
    std::string results;
    int resamples = 1000;
    uint64_t seed = 12345;
    std::string test = "bootstrap";
};

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

std::string fmt(double v, const std::string& metric) {
    char buf[32];
    // BLEU, chrF(++) and TER are 0-100, ROUGE and BERTScore 0-1, perplexity unbounded: enough
    // digits for each.
    const bool wide = metric == "bleu" || metric == "ppl" || metric == "chrf" ||
                      metric == "chrfpp" || metric == "ter";
    std::snprintf(buf, sizeof buf, wide ? "%.2f" : "%.4f", v);
    return buf;
}

// The store's other evaluations: which ones these numbers may be set beside (same split and
// generation settings, core/eval/eval_fingerprint.h), and a warning naming what differs for
// the others, so that a table built by hand from the store does not mix them silently.
void warn_incomparable(const tb::store::Store& store, int64_t eval_id) {
    auto others = tb::eval::compare_with_stored(store, eval_id);
    if (!others) {
        std::fprintf(stderr, "warning: cannot compare with the store's other evaluations: %s\n",
                     others.error().message.c_str());
        return;
    }
    std::string comparable;
    for (const auto& o : *others) {
        if (o.comparability.comparable) {
            comparable += (comparable.empty() ? "" : ", ") + std::to_string(o.eval_id);
            continue;
        }
        std::fprintf(stderr,
                     "warning: evaluation %lld is not comparable with evaluation %lld in this "
                     "store (%s); do not compare their numbers\n",
                     static_cast<long long>(eval_id), static_cast<long long>(o.eval_id),
                     tb::eval::describe_differences(o.comparability).c_str());
    }
    if (!comparable.empty())
        std::fprintf(stderr,
                     "comparable with evaluation(s) %s (same split and generation settings)\n",
                     comparable.c_str());
}

int run_evaluate(const EvaluateArgs& a) {
    // The flag names itself in the message; the config's inference.engine is checked (and
    // named) by the evaluation.
    if (!a.engine.empty())
        if (auto st = tb::infer::check_engine(a.engine, "--engine"); !st.ok())
            return fail(st.error());
    auto cfg = tb::load_app_config(a.config);
    if (!cfg) return fail(cfg.error());
    tb::eval::EvaluationParams p;
    p.config = *cfg;
    p.models = split_list(a.models);
    p.metrics = split_list(a.metrics);
    p.bertscore_model = a.bertscore_model;
    p.bertscore_layers = a.bertscore_layers;
    p.limit = a.limit;
    if (a.limit < -1 && a.limit != -2) return fail("--limit: must be >= 0 or -1 (all)");
    p.device = a.device;
    p.dtype = a.dtype;
    p.engine = a.engine;
    p.quant = a.quant;
    p.resume_eval_id = a.resume;
    const std::string workspace = cfg->base_dir.empty() ? "." : cfg->base_dir;
    p.store_path = a.store.empty() ? (fs::path(workspace) / "tunebench.sqlite").string() : a.store;
    p.bootstrap.resamples = a.resamples;
    p.bootstrap.seed = a.seed;
    p.paired_test = a.test;
    p.cancel = &interrupt_token();
    ProgressPrinter progress;
    p.on_progress = [&progress](const tb::eval::EvalProgress& e) {
        progress.update("[" + e.stage + "] " + e.model + ": " + std::to_string(e.done) + "/" +
                        std::to_string(e.total));
        if (e.done == e.total) progress.finish();
    };
    auto r = tb::eval::run_evaluation(p);
    progress.finish();  // the score stage reports 0/N only
    if (!r) return fail(r.error());
    if (r->cancelled) {
        std::fprintf(stderr,
                     "\ninterrupted: finished batches are stored; continue with --resume %lld\n",
                     static_cast<long long>(r->eval_id));
        return kExitUserError;
    }
    std::printf("evaluation %lld: %zu test items, store %s\n", static_cast<long long>(r->eval_id),
                r->items, p.store_path.c_str());
    std::printf("%-19s %-28s %10s  %-21s %9s\n", "metric", "model", "value", "95% CI", "p vs base");
    for (const auto& row : r->aggregates) {
        if (row.category) continue;
        std::string model =
            row.model.size() > 28 ? "..." + row.model.substr(row.model.size() - 25) : row.model;
        std::string ci = "[" + fmt(row.ci_lo, row.metric) + ", " + fmt(row.ci_hi, row.metric) + "]";
        char pv[16] = "-";
        if (row.p_value) std::snprintf(pv, sizeof pv, "%.4f", *row.p_value);
        std::printf("%-19s %-28s %10s  %-21s %9s\n", row.metric.c_str(), model.c_str(),
                    fmt(row.value, row.metric).c_str(), ci.c_str(), pv);
    }
    auto store = tb::store::Store::open(p.store_path);
    if (!store) return fail(store.error());
    warn_incomparable(**store, r->eval_id);
    const std::string results =
        a.results.empty() ? (fs::path(workspace) / "results").string() : a.results;
    auto files = (*store)->export_evaluation_json(r->eval_id, results);
    if (!files) return fail(files.error());
    for (const auto& f : *files) std::fprintf(stderr, "wrote %s\n", f.c_str());
    return kExitOk;
}

CommandRegistrar register_evaluate("evaluate", [](CLI::App& app) {
    app.description("Generate test-split answers per model, score them with CIs and p-values");
    auto a = std::make_shared<EvaluateArgs>();
    app.add_option("--config", a->config, "Run config (YAML)")->required();
    app.add_option("--models", a->models, "Comma-separated: base and/or adapter folders")
        ->capture_default_str();
    app.add_option("--metrics", a->metrics,
                   "Comma-separated subset of bleu,rouge,chrf,chrfpp,ter,bertscore,ppl "
                   "(default: eval.metrics)");
    app.add_option("--bertscore-model", a->bertscore_model, "BERTScore encoder folder");
    app.add_option("--bertscore-layers", a->bertscore_layers,
                   "Hidden layer for BERTScore (default: bert_score's table for the model name)");
    app.add_option("--limit", a->limit, "Test items to evaluate (-1: all; default eval.limit)");
    app.add_option("--device", a->device, "auto, cpu, cuda or cuda:N (default model.device)");
    app.add_option("--dtype", a->dtype, "auto, float32, bfloat16, float16 (default model.dtype)");
    app.add_option("--quant", a->quant,
                   "Weight format of the quant engine: q8_0 or nf4 (default inference.quant)");
    app.add_option("--engine", a->engine,
                   "Inference engine: eager, graph (CUDA) or quant, where this build has it "
                   "(default inference.engine)");
    app.add_option("--resume", a->resume, "Continue the evaluation with this id");
    app.add_option("--store", a->store, "SQLite store (default <config folder>/tunebench.sqlite)");
    app.add_option("--results", a->results, "Results folder (default <config folder>/results)");
    app.add_option("--resamples", a->resamples, "Bootstrap / permutation trials")
        ->capture_default_str();
    app.add_option("--seed", a->seed, "Resampling seed")->capture_default_str();
    app.add_option("--test", a->test, "Paired test: bootstrap or permutation")
        ->capture_default_str();
    return [a] { return run_evaluate(*a); };
});

}  // namespace
}  // namespace tbcli
