// `tunebench-cli data --config FILE [--json]`: loads and validates the dataset named by the
// config, splits it and prints statistics (the study's `--mode data`).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "core/config/app_config.h"
#include "core/data/data_config.h"
#include "core/data/stats.h"

namespace {

using nlohmann::json;

constexpr size_t kMaxBadRowsShown = 20;

json histogram_json(const tb::LengthHistogram& h) {
    return {{"bin_width", h.bin_width},
            {"counts", h.counts},
            {"min", h.min},
            {"median", h.median},
            {"p95", h.p95},
            {"max", h.max},
            {"mean", h.mean}};
}

json split_json(const tb::SplitStats& s) {
    json cats = json::object();
    for (const auto& [cat, count] : s.categories) cats[cat] = count;
    return {{"rows", s.rows},
            {"categories", cats},
            {"empty_context", s.empty_context},
            {"empty_context_share", s.empty_context_share},
            {"lengths",
             {{"prompt", histogram_json(s.prompt_length)},
              {"response", histogram_json(s.response_length)},
              {"total", histogram_json(s.total_length)}}}};
}

json report_json(const tb::AppConfig& cfg, const tb::Dataset& ds, const tb::DatasetStats& st) {
    json bad = json::array();
    for (const auto& b : ds.bad_rows)
        bad.push_back({{"line", b.line}, {"field", b.field}, {"reason", b.reason}});
    json counts = json::object();
    json splits = json::object();
    for (const auto& s : st.splits) {
        counts[s.name] = s.rows;
        splits[s.name] = split_json(s);
    }
    splits["all"] = split_json(st.all);
    // category -> {train, val, test, total}, zeros included, for a direct table.
    json categories = json::object();
    for (const auto& cat : st.categories) {
        json row = json::object();
        for (const auto& s : st.splits) {
            auto it = s.categories.find(cat);
            row[s.name] = it == s.categories.end() ? 0 : it->second;
        }
        row["total"] = st.all.categories.at(cat);
        categories[cat] = row;
    }
    return {{"path", ds.path},
            {"format", tb::data_format_name(ds.format)},
            {"rows", ds.examples.size()},
            {"bad_rows", bad},
            {"warnings", ds.warnings},
            {"split",
             {{"seed", cfg.data.split_seed},
              {"stratify", cfg.data.stratify},
              {"ratios",
               {{"train", cfg.data.train_ratio},
                {"val", cfg.data.val_ratio},
                {"test", cfg.data.test_ratio}}},
              {"counts", counts}}},
            {"categories", categories},
            {"length_unit", st.length_unit},
            {"splits", splits}};
}

std::string cat_name(const std::string& c) { return c.empty() ? "(none)" : c; }

void print_report(const tb::AppConfig& cfg, const tb::Dataset& ds, const tb::DatasetStats& st) {
    std::printf("dataset   %s (%s): %zu rows", ds.path.c_str(), tb::data_format_name(ds.format),
                ds.examples.size());
    if (!ds.bad_rows.empty()) std::printf(", %zu bad rows skipped", ds.bad_rows.size());
    std::printf("\n");
    for (size_t i = 0; i < ds.bad_rows.size() && i < kMaxBadRowsShown; ++i)
        std::printf("  skipped %s\n", tb::format_bad_row(ds.path, ds.bad_rows[i]).c_str());
    if (ds.bad_rows.size() > kMaxBadRowsShown)
        std::printf("  ... and %zu more\n", ds.bad_rows.size() - kMaxBadRowsShown);
    for (const auto& w : ds.warnings) std::printf("  warning: %s\n", w.c_str());
    std::printf("split     seed %lld, %g/%g/%g%s: train %zu, val %zu, test %zu\n\n",
                static_cast<long long>(cfg.data.split_seed), cfg.data.train_ratio,
                cfg.data.val_ratio, cfg.data.test_ratio, cfg.data.stratify ? ", stratified" : "",
                st.splits[0].rows, st.splits[1].rows, st.splits[2].rows);

    std::printf("%-24s %8s %8s %8s %8s\n", "category", "train", "val", "test", "total");
    for (const auto& cat : st.categories) {
        std::printf("%-24s", cat_name(cat).c_str());
        for (const auto& s : st.splits) {
            auto it = s.categories.find(cat);
            std::printf(" %8zu", it == s.categories.end() ? size_t{0} : it->second);
        }
        std::printf(" %8zu\n", st.all.categories.at(cat));
    }
    std::printf("%-24s %8zu %8zu %8zu %8zu\n", "total", st.splits[0].rows, st.splits[1].rows,
                st.splits[2].rows, st.all.rows);
    std::printf("%-24s", "empty context");
    for (const auto& s : st.splits) std::printf(" %7.1f%%", 100.0 * s.empty_context_share);
    std::printf(" %7.1f%%\n\n", 100.0 * st.all.empty_context_share);

    std::printf("length (%s)%*s %8s %8s %8s %8s %8s\n", st.length_unit.c_str(),
                static_cast<int>(14 - st.length_unit.size()), "", "min", "median", "p95", "max",
                "mean");
    for (const auto* s : {&st.splits[0], &st.splits[1], &st.splits[2], &st.all}) {
        const std::pair<const char*, const tb::LengthHistogram*> parts[] = {
            {"prompt", &s->prompt_length},
            {"response", &s->response_length},
            {"total", &s->total_length}};
        for (const auto& [what, h] : parts)
            std::printf("%-5s %-18s %8zu %8zu %8zu %8zu %8.1f\n", s->name.c_str(), what, h->min,
                        h->median, h->p95, h->max, h->mean);
    }

    const tb::LengthHistogram& ht = st.all.total_length;
    std::printf("\nhistogram of total length (%s), bins of %zu\n", st.length_unit.c_str(),
                ht.bin_width);
    std::printf("%-16s %8s %8s %8s\n", "bin", "train", "val", "test");
    for (size_t b = 0; b < ht.counts.size(); ++b) {
        std::string label = "[" + std::to_string(b * ht.bin_width) + ", " +
                            std::to_string((b + 1) * ht.bin_width) + ")";
        std::printf("%-16s %8zu %8zu %8zu\n", label.c_str(), st.splits[0].total_length.counts[b],
                    st.splits[1].total_length.counts[b], st.splits[2].total_length.counts[b]);
    }
}

int run_data(const std::string& config_path, bool as_json) {
    auto cfg = tb::load_app_config(config_path);
    if (!cfg.ok()) return tbcli::fail(cfg.error());
    auto ds = tb::load_dataset_from_config(cfg.value());
    if (!ds.ok()) return tbcli::fail(ds.error());
    auto split = tb::split_dataset(ds->examples, tb::split_options_from_config(cfg->data));
    if (!split.ok()) return tbcli::fail(split.error());
    // Character lengths: token lengths need the model's tokenizer (train/dataset browser).
    tb::DatasetStats st = tb::compute_stats(ds->examples, split.value());
    if (as_json) {
        std::cout << report_json(cfg.value(), ds.value(), st).dump(2) << std::endl;
    } else {
        print_report(cfg.value(), ds.value(), st);
        std::fflush(stdout);
    }
    return tbcli::kExitOk;
}

const tbcli::CommandRegistrar kRegisterData("data", [](CLI::App& app) -> std::function<int()> {
    app.description("Validate, split and summarise the dataset of a config");
    auto config = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    app.add_option("--config", *config, "Run configuration (YAML)")->required();
    app.add_flag("--json", *as_json, "Print a JSON object instead of tables");
    return [config, as_json] { return run_data(*config, *as_json); };
});

}  // namespace
