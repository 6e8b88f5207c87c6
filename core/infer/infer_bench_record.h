// Where a `bench infer` result (core/infer/infer_bench.h) is kept, shared by the CLI and the
// GUI's benchmark panel so that both write the same files and rows and read them back alike:
// - results/benchmarks/infer_<UTC time>.json, the result as run_infer_bench returned it;
// - the experiment store: one run (kind "bench") and one `benchmarks` row per engine and batch
//   size, the row's config_json holding the run's config, "kind": "infer", the batch, the
//   batch's figures and the engine's load report, so that the whole result can be rebuilt from
//   the store alone (stored_infer_benches) after a restart.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/model/model_config.h"

namespace tb::store {
class Store;
}

namespace tb::infer {

// Random-weight shapes of `bench infer --shape` (and `bench train --shape`): "tinyllama"
// (TinyLlama-1.1B) and "tiny" (4 layers, hidden 256, GQA 8/2, the Llama-2 vocabulary; small
// enough for CPU runs and tests).
std::vector<std::string> bench_shape_names();
Result<LlamaConfig> bench_shape(const std::string& name);

// A new file name <results_dir>/benchmarks/infer_<YYYYMMDD_HHMMSS>.json (UTC), "_2", "_3", ...
// appended when that name is taken. Creates nothing.
std::string infer_bench_json_path(const std::string& results_dir);

// Writes `result` (indented) to `path`, creating its folder; atomic (core/common/file_io.h).
Status write_infer_bench_json(const nlohmann::json& result, const std::string& path);

struct InferBenchRecord {
    int64_t run_id = 0;            // runs.id of the "bench" run
    std::vector<int64_t> row_ids;  // benchmarks.id, one per engine and batch size
};

// Records a run_infer_bench result: a run (kind "bench", name "bench infer <model_label>",
// status "completed", output_dir = json_path's folder) and one benchmarks row per engine and
// batch size (HF's first when it was measured): engine "tunebench <engine>", "transformers" or
// an external server's "server:<api>:<model>" (load time 0 in the row, null in config_json),
// model = model_label (the model folder or the shape name), tokens_per_s = aggregate tokens/s
// (median), latency_s = end-to-end latency (median), memory_bytes = peak CUDA allocated bytes,
// else peak RSS, load_time_s. config_json: result["config"] plus "kind": "infer", "batch",
// "figures" (the batch's JSON), "load" (the engine's load JSON), "json" (json_path, when
// given) and "hf_error" (why HF was not measured, when asked for and it failed).
Result<InferBenchRecord> record_infer_bench(store::Store& store, const nlohmann::json& result,
                                            const std::string& model_label,
                                            const std::string& json_path = "");

// One stored `bench infer` run, rebuilt from its benchmarks rows in run_infer_bench's result
// shape ({"config", "engines": [{"engine", "load", "batches"}], "hf"}).
struct StoredInferBench {
    int64_t run_id = 0;  // 0: rows recorded without a run (before runs were recorded);
                         // consecutive rows of one config are then one benchmark
    std::vector<int64_t> row_ids;
    std::string created_at;  // the first row's
    std::string model;       // model_label
    nlohmann::json result;
};

// Every stored inference benchmark (rows with "kind": "infer"), oldest first. Rows of training
// benchmarks and rows whose config_json does not parse are skipped.
Result<std::vector<StoredInferBench>> stored_infer_benches(const store::Store& store);

}  // namespace tb::infer
