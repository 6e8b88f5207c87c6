#include "core/infer/infer_bench_record.h"

#include <ctime>
#include <filesystem>

#include "core/common/file_io.h"
#include "core/store/store.h"
#include "core/train/train_bench.h"

namespace tb::infer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The keys record_infer_bench adds to the run's config in each row; what is left is the run's
// config, equal over the rows of one benchmark.
const char* kRowKeys[] = {"kind", "batch", "figures", "load", "json", "hf_error"};

json run_config_of(json cfg) {
    for (const char* k : kRowKeys) cfg.erase(k);
    return cfg;
}

}  // namespace

std::vector<std::string> bench_shape_names() { return {"tinyllama", "tiny"}; }

Result<LlamaConfig> bench_shape(const std::string& name) {
    if (name == "tinyllama") return tinyllama_shape();
    if (name == "tiny") {
        LlamaConfig c = tinyllama_shape();
        c.hidden_size = 256;
        c.intermediate_size = 704;
        c.num_hidden_layers = 4;
        c.num_attention_heads = 8;
        c.num_key_value_heads = 2;
        c.head_dim = 32;
        return c;
    }
    return make_error("--shape", "expected tinyllama or tiny, got '" + name + "'");
}

std::string infer_bench_json_path(const std::string& results_dir) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
    const fs::path dir = fs::path(results_dir) / "benchmarks";
    std::string path = (dir / ("infer_" + std::string(stamp) + ".json")).string();
    std::error_code ec;
    // Two runs within one second (tests, a quick cancel and rerun) must not overwrite.
    for (int n = 2; fs::exists(path, ec); ++n)
        path = (dir / ("infer_" + std::string(stamp) + "_" + std::to_string(n) + ".json")).string();
    return path;
}

Status write_infer_bench_json(const json& result, const std::string& path) {
    std::error_code ec;
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) return make_error(parent.string(), "cannot create the folder: " + ec.message());
    return write_file_atomic(path, result.dump(2) + "\n");
}

Result<InferBenchRecord> record_infer_bench(store::Store& st, const json& result,
                                            const std::string& model_label,
                                            const std::string& json_path) {
    if (!result.is_object() || !result.contains("config") || !result.contains("engines"))
        return make_error("bench infer", "not a run_infer_bench result (config, engines)");
    std::vector<json> engines(result["engines"].begin(), result["engines"].end());
    const bool have_hf =
        result.contains("hf") && result["hf"].is_object() && result["hf"].contains("batches");
    if (have_hf) {
        json hf = result["hf"];
        hf["engine"] = "transformers";
        engines.insert(engines.begin(), hf);
    }
    std::string hf_error;
    if (result.contains("hf") && result["hf"].is_object() && result["hf"].contains("error") &&
        result["hf"]["error"].is_string())
        hf_error = result["hf"]["error"].get<std::string>();

    InferBenchRecord rec;
    store::RunRecord run;
    run.kind = "bench";
    run.name = "bench infer " + model_label;
    run.config_yaml = result["config"].dump();  // JSON is YAML
    run.status = "running";
    run.output_dir = json_path.empty() ? std::string() : fs::path(json_path).parent_path().string();
    TB_ASSIGN_OR_RETURN(rec.run_id, st.add_run(run));
    for (const json& e : engines) {
        if (!e.contains("batches")) continue;
        const bool hf = e.value("engine", std::string()) == "transformers";
        const json load = e.contains("load") && e["load"].is_object() ? e["load"] : json::object();
        for (const json& b : e["batches"]) {
            if (!b.contains("tokens_per_s_aggregate")) continue;  // HF's per-batch errors
            store::BenchmarkRow row;
            row.run_id = rec.run_id;
            // External servers keep their own name ("server:<api>:<model>").
            const std::string name = e.value("engine", std::string("?"));
            row.engine = hf                              ? "transformers"
                         : name.rfind("server:", 0) == 0 ? name
                                                         : "tunebench " + name;
            row.model = model_label;
            row.tokens_per_s = b["tokens_per_s_aggregate"].value("median", 0.0);
            row.latency_s = b.contains("e2e_s") ? b["e2e_s"].value("median", 0.0) : 0.0;
            row.memory_bytes =
                b.value("peak_allocated_bytes", b.value("peak_rss_bytes", int64_t{0}));
            // A server's load time is not observable (null): 0 in the row, null in config_json.
            row.load_time_s = load.contains("seconds") && load["seconds"].is_number()
                                  ? load["seconds"].get<double>()
                                  : 0.0;
            json cfg = result["config"];
            cfg["kind"] = "infer";
            cfg["batch"] = b["batch"];
            cfg["figures"] = b;
            cfg["load"] = load;
            if (!json_path.empty()) cfg["json"] = json_path;
            if (!hf_error.empty()) cfg["hf_error"] = hf_error;
            row.config_json = cfg.dump();
            auto id = st.add_benchmark(row);
            if (!id.ok()) {
                (void)st.finish_run(rec.run_id, "failed");
                return id.error();
            }
            rec.row_ids.push_back(id.value());
        }
    }
    TB_TRY_STATUS(st.finish_run(rec.run_id, "completed"));
    return rec;
}

Result<std::vector<StoredInferBench>> stored_infer_benches(const store::Store& st) {
    TB_ASSIGN_OR_RETURN(std::vector<store::BenchmarkRow> rows, st.benchmarks());
    std::vector<StoredInferBench> out;
    json last_config;  // of the previous run-less row: groups consecutive run-less rows
    for (const auto& r : rows) {
        json cfg;
        try {
            cfg = json::parse(r.config_json);
        } catch (const std::exception&) {
            continue;
        }
        if (!cfg.is_object() || cfg.value("kind", std::string()) != "infer" ||
            !cfg.contains("figures") || !cfg["figures"].is_object())
            continue;
        const json config = run_config_of(cfg);
        const int64_t run_id = r.run_id.value_or(0);
        StoredInferBench* b = nullptr;
        if (run_id > 0) {
            for (auto& s : out)
                if (s.run_id == run_id) b = &s;
        } else if (!out.empty() && out.back().run_id == 0 && config == last_config) {
            b = &out.back();
        }
        if (run_id == 0) last_config = config;
        if (!b) {
            StoredInferBench s;
            s.run_id = run_id;
            s.created_at = r.created_at;
            s.model = r.model;
            s.result = {{"config", config}, {"engines", json::array()}};
            out.push_back(std::move(s));
            b = &out.back();
        }
        b->row_ids.push_back(r.id);
        json load = cfg.contains("load") && cfg["load"].is_object()
                        ? cfg["load"]
                        : json{{"seconds", r.load_time_s}};
        if (cfg.contains("hf_error")) b->result["hf"] = {{"error", cfg["hf_error"]}};
        // The engine's entry (HF's is "hf"), created at its first batch.
        json* e = nullptr;
        if (r.engine == "transformers") {
            json& hf = b->result["hf"];
            if (!hf.is_object() || hf.contains("error"))
                hf = {{"engine", "transformers"}, {"batches", json::array()}};
            e = &hf;
        } else {
            const std::string prefix = "tunebench ";
            const std::string name =
                r.engine.rfind(prefix, 0) == 0 ? r.engine.substr(prefix.size()) : r.engine;
            for (auto& x : b->result["engines"])
                if (x["engine"] == name) e = &x;
            if (!e) {
                b->result["engines"].push_back({{"engine", name}, {"batches", json::array()}});
                e = &b->result["engines"].back();
            }
        }
        (*e)["load"] = load;
        (*e)["batches"].push_back(cfg["figures"]);
    }
    return out;
}

}  // namespace tb::infer
