// Inference benchmark (`tunebench-cli bench infer`, the study's benchmark mode): the same
// prompts through each tunebench engine (core/infer/inference.h) and, with the HF side on,
// through HF transformers' generate (resources/bench/hf_generate_bench.py) in the same run,
// every figure also printed as a ratio to HF's.
//
// What is measured, per engine and batch size (the same on both sides):
// - load: a real safetensors folder read to the device (a random shape is initialised once
//   and saved as one, so both sides load the same weights from disk);
// - per run (one generate() call over `batch` prompts, every row exactly max_new_tokens new
//   tokens: min_new_tokens = max_new_tokens, greedy): time to first token (mean over rows),
//   inter-token latencies (all rows' gaps pooled; p50/p90/p99), end-to-end latency (the call),
//   tokens/s per request (a row's tokens over its own latency, mean over rows) and aggregate
//   (all new tokens over the call);
// - `warmup` untimed runs first, then `repeats` timed ones; each figure is the median over the
//   timed runs with its min and max;
// - peak device memory over the timed runs (CUDA allocator: allocated and reserved, weights
//   included, like torch.cuda.max_memory_allocated/reserved after a reset); CPU: peak RSS;
// - greedy token agreement with HF: the mean, over rows of the first timed run, of the share of
//   new tokens before the first difference.
// Engines: the core's "eager" and "quant" ("quant" = "quant:q8_0", or "quant:nf4": the weight
// format, EngineParams::quant), "paged" (the serving core's Batcher, core/serve/batcher.h: a
// run of batch B is B concurrent requests submitted at once, continuous batching over a paged
// KV cache), and "legacy" (core/infer/generate.cpp, the generation path the CLI used before
// the core) as the before-number.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/model/model_config.h"

namespace tb::infer {

struct InferBenchParams {
    std::vector<std::string> engines = {"eager"};  // eager | quant[:q8_0|:nf4] | legacy
                                                   // (may be empty when server_url is set)
    std::string model_dir;  // a real HF folder, or empty for random weights of `shape`
    LlamaConfig shape;      // used when model_dir is empty
    std::vector<int64_t> batch_sizes = {1, 8};
    int64_t prompts = 0;  // distinct synthetic prompts (0: the largest batch); a batch of b
                          // takes the first b, cycling when b > prompts
    int64_t prompt_len = 128;
    // Given prompts (`bench infer --config`: the test split, core/eval/evaluation.h
    // test_split_prompt_ids) instead of synthetic ones; needs model_dir. Rows of different
    // lengths are left padded, in the engines and on the HF side alike. prompt_source says
    // where they came from (recorded in the result).
    std::vector<std::vector<int64_t>> prompt_ids;
    std::string prompt_source;
    int64_t max_new_tokens = 256;
    int64_t warmup = 1;
    int64_t repeats = 3;
    std::string device = "auto";
    std::string dtype = "auto";
    uint64_t seed = 0;
    bool hf = false;        // run the HF script beside
    std::string hf_script;  // path of hf_generate_bench.py
    std::string python = "python3";
    // External server (core/infer/server_bench.h): the same prompts as text, its row after the
    // engines'. The text is the synthetic ids decoded by the model folder's tokenizer, or, for
    // a random shape (no tokenizer), one word per id from a fixed list (config "server"
    // "prompt_text" says which).
    // llama.cpp beside (batch 1; resources/bench/llama_cpp_bench.mjs through node-llama-cpp's
    // prebuilt CPU binaries): a .gguf path, or a GGUF type (f16 | bf16 | q8_0 | q4_k_m) to
    // export the benchmark's own model folder to first (core/gguf/export.h), so that both sides
    // run the same weights. A random shape needs `tokenizer` (a tokenizer.model) for the GGUF's
    // vocabulary. Its row comes after the engines'; each engine's batch-1 tokens/s is also
    // given as a ratio to it.
    std::string llama_cpp;
    std::string llama_cpp_script;  // path of llama_cpp_bench.mjs
    std::string node = "node";
    std::string tokenizer;
    std::string server_url;    // empty: no server
    std::string server_api;    // ollama | openai | openai-chat
    std::string server_model;  // the model name the server expects
    std::string server_api_key;  // "Authorization: Bearer <key>" (tunebench-cli serve --api-key)
    const CancelToken* cancel = nullptr;
    std::function<void(const std::string&)> on_progress;  // one line per stage
    // Profiling (the CLI wires these to core/train/torch_profiler.h): when set, one extra run
    // of the first batch size per engine, after its timed runs and memory readings, is
    // recorded between profile_start() and profile_stop(engine name).
    std::function<Status(bool cuda)> profile_start;
    std::function<Status(const std::string& engine)> profile_stop;
};

// The JSON result:
// {"config": {...}, "engines": [{"engine", "load": {...}, "batches": [{"batch", "ttft_ms":
//  {median,min,max}, "itl_p50_ms", "itl_p90_ms", "itl_p99_ms", "e2e_s", "tokens_per_s_request",
//  "tokens_per_s_aggregate", "peak_allocated_bytes", "peak_reserved_bytes", "peak_rss_bytes",
//  "token_agreement_vs_hf", "vs_hf": {figure: ratio}}]}], "hf": {... same shape, or "error"}}
// A server's entry is run_server_bench's (engine "server:<api>:<model>", load seconds null).
// Ratios are ours / HF's for every figure (so > 1 is faster for tokens/s, slower for latency).
Result<nlohmann::json> run_infer_bench(const InferBenchParams& params);

// A plain-text table of a run_infer_bench() result, one block per batch size.
std::string format_infer_bench(const nlohmann::json& result);

}  // namespace tb::infer
