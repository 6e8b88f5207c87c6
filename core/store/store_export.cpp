// Exports of the store: the study's results/evaluation/*.json and results/benchmarks/*.json
// layout, and any table as RFC 4180 CSV.
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/common/file_io.h"
#include "core/store/sql.h"
#include "core/store/store.h"

namespace tb::store {

using detail::Stmt;
using nlohmann::ordered_json;

namespace {

// File-name part for a model label: the adapter folder's last component ("base" stays).
std::string slug(const std::string& label) {
    std::string leaf = std::filesystem::path(label).filename().string();
    if (leaf.empty()) leaf = std::filesystem::path(label).parent_path().filename().string();
    std::string out;
    for (char ch : leaf) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        out += ok ? ch : '_';
    }
    return out.empty() ? "model" : out;
}

ordered_json aggregate_json(const MetricAggregateRow& a) {
    ordered_json j;
    j["value"] = a.value;
    j["ci95"] = {a.ci_lo, a.ci_hi};
    j["p_value_vs_base"] = a.p_value ? ordered_json(*a.p_value) : ordered_json(nullptr);
    j["n"] = a.n_items;
    return j;
}

Status write_json(const std::string& path, const ordered_json& j) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (ec) return Error{path + ": cannot create folder: " + ec.message()};
    return write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

Result<std::vector<std::string>> Store::export_evaluation_json(
    int64_t eval_id, const std::string& results_dir) const {
    TB_ASSIGN_OR_RETURN(std::optional<RunRecord> run, get_run(eval_id));
    if (!run) return Error{path_ + ": runs: no evaluation with id " + std::to_string(eval_id)};
    TB_ASSIGN_OR_RETURN(std::vector<MetricAggregateRow> aggs, metric_aggregates(eval_id));
    TB_ASSIGN_OR_RETURN(std::vector<MetricItemRow> items, metric_items(eval_id));
    TB_ASSIGN_OR_RETURN(std::vector<GenerationRow> gens, generations(eval_id));

    // model -> item -> metric -> value
    std::map<std::string, std::map<std::string, ordered_json>> item_metrics;
    for (const auto& m : items) item_metrics[m.model][m.item_id][m.metric] = m.value;
    std::vector<std::string> models;
    for (const auto& g : gens)
        if (models.empty() || models.back() != g.model) models.push_back(g.model);
    for (const auto& a : aggs)
        if (std::find(models.begin(), models.end(), a.model) == models.end())
            models.push_back(a.model);

    std::vector<std::string> written;
    std::set<std::string> used;
    for (const auto& model : models) {
        ordered_json j;
        j["eval_id"] = eval_id;
        j["name"] = run->name;
        j["model"] = model;
        j["status"] = run->status;
        j["started_at"] = run->started_at;
        j["finished_at"] = run->finished_at;
        ordered_json metrics = ordered_json::object(), by_cat = ordered_json::object();
        for (const auto& a : aggs) {
            if (a.model != model) continue;
            if (a.category)
                by_cat[*a.category][a.metric] = aggregate_json(a);
            else
                metrics[a.metric] = aggregate_json(a);
        }
        j["metrics"] = metrics;
        j["by_category"] = by_cat;
        ordered_json samples = ordered_json::array();
        for (const auto& g : gens) {
            if (g.model != model) continue;
            ordered_json s;
            s["item_id"] = g.item_id;
            s["category"] = g.category;
            s["prompt"] = g.prompt;
            s["reference"] = g.reference;
            s["output"] = g.output;
            s["tokens"] = g.tokens;
            s["seconds"] = g.seconds;
            auto it = item_metrics[model].find(g.item_id);
            s["metrics"] = it != item_metrics[model].end() ? it->second : ordered_json::object();
            samples.push_back(std::move(s));
        }
        j["samples"] = samples;
        std::string name = "eval_" + std::to_string(eval_id) + "_" + slug(model);
        std::string unique = name;
        for (int k = 2; used.count(unique); ++k) unique = name + "_" + std::to_string(k);
        used.insert(unique);
        const std::string path =
            (std::filesystem::path(results_dir) / "evaluation" / (unique + ".json")).string();
        TB_TRY_STATUS(write_json(path, j));
        written.push_back(path);
    }
    return written;
}

Result<std::vector<std::string>> Store::export_benchmarks_json(
    const std::string& results_dir) const {
    TB_ASSIGN_OR_RETURN(std::vector<BenchmarkRow> rows, benchmarks());
    std::vector<std::string> written;
    for (const auto& b : rows) {
        ordered_json j;
        j["id"] = b.id;
        j["engine"] = b.engine;
        j["model"] = b.model;
        j["latency_s"] = b.latency_s;
        j["tokens_per_s"] = b.tokens_per_s;
        j["memory_bytes"] = b.memory_bytes;
        j["load_time_s"] = b.load_time_s;
        auto cfg = ordered_json::parse(b.config_json, nullptr, false);
        j["config"] = cfg.is_discarded() ? ordered_json(b.config_json) : cfg;
        j["created_at"] = b.created_at;
        const std::string path = (std::filesystem::path(results_dir) / "benchmarks" /
                                  (slug(b.engine) + "_" + std::to_string(b.id) + ".json"))
                                     .string();
        TB_TRY_STATUS(write_json(path, j));
        written.push_back(path);
    }
    return written;
}

Status Store::export_csv(const std::string& table, const std::string& csv_path) const {
    static const std::set<std::string> kTables = {
        "runs",         "training_log",      "generations",
        "metrics_item", "metrics_aggregate", "benchmarks",
        "ratings",      "rating_orders",     "rating_reveals",
        "preferences",  "eval_user_messages", "conversations", "conversation_messages"};
    if (!kTables.count(table)) return Error{path_ + ": export_csv: unknown table '" + table + "'"};
    Stmt st(db_, path_, "SELECT * FROM " + table + " ORDER BY rowid");
    if (!st.ok()) return st.error();
    const int cols = sqlite3_column_count(st.raw());
    std::string out;
    for (int c = 0; c < cols; ++c) {
        if (c) out += ',';
        out += csv_field(sqlite3_column_name(st.raw(), c));
    }
    out += "\r\n";
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        for (int c = 0; c < cols; ++c) {
            if (c) out += ',';
            switch (sqlite3_column_type(st.raw(), c)) {
                case SQLITE_NULL:
                    break;
                case SQLITE_INTEGER:
                    out += std::to_string(st.col_int(c));
                    break;
                case SQLITE_FLOAT: {
                    char buf[40];
                    std::snprintf(buf, sizeof buf, "%.17g", st.col_double(c));
                    out += buf;
                    break;
                }
                default:
                    out += csv_field(st.col_text(c));
            }
        }
        out += "\r\n";
    }
    std::error_code ec;
    auto parent = std::filesystem::path(csv_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    return write_file_atomic(csv_path, out);
}

}  // namespace tb::store
