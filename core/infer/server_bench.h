// `bench infer --server URL --api ...`: the same prompts, as text, sent to an external
// inference server (Ollama, or an OpenAI-compatible one: vLLM, llama.cpp's server, TGI), so the
// study's Ollama and vLLM rows are measured against the real programs beside tunebench's
// engines, with the same figures.
//
// APIs ("api"):
// - "ollama":      POST <url>/api/generate, "stream": true, "raw": true, options.temperature 0,
//                  options.num_predict = max_new_tokens; NDJSON lines {"response", "done"}; the
//                  final line's eval_count is the token count (eval_duration, load_duration,
//                  prompt_eval_duration are kept as the server's own figures);
// - "openai":      POST <url>/v1/completions, SSE "data: {...}" with choices[0].text;
// - "openai-chat": POST <url>/v1/chat/completions (one user message), choices[0].delta.content.
//   Both ask for "stream_options": {"include_usage": true} and take usage.completion_tokens as
//   the token count; a server that refuses stream_options (HTTP 400/422 naming it) is asked
//   again without, and the streamed non-empty chunks are counted instead ("token_count":
//   "chunks" in the result says so). max_tokens = max_new_tokens, temperature 0. The stream
//   ends at "data: [DONE]".
// A batch of b is b concurrent requests (one thread and connection each). Per request: time to
// the first non-empty chunk (TTFT), the gaps between non-empty chunks (inter-chunk latency; a
// server that sends several tokens per chunk shows larger gaps), end-to-end time and tokens/s
// (tokens / end-to-end); per run: TTFT mean over requests, gaps pooled for p50/p90/p99, the
// wall time from the first request sent to the last stream closed, aggregate tokens/s (all
// tokens / wall). Medians with min/max over the timed runs, like the engines. The server's
// memory and load time cannot be observed from the client: "load": {"seconds": null}, no
// memory keys. One untimed probe request first checks the URL, the API and the model.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"

namespace tb::infer {

struct ServerBenchParams {
    std::string url;                   // http[s]://host:port[/prefix]
    std::string api;                   // ollama | openai | openai-chat
    std::string model;                 // the model name the server expects
    std::string api_key;               // sent as "Authorization: Bearer <key>" when set
    std::vector<std::string> prompts;  // distinct prompts; a batch of b takes the first b, cycling
    std::vector<int64_t> batch_sizes = {1};
    int64_t max_new_tokens = 256;
    int64_t warmup = 1;
    int64_t repeats = 3;
    double connect_timeout_s = 10;
    double read_timeout_s = 600;  // between two reads of one stream
    const CancelToken* cancel = nullptr;
    std::function<void(const std::string&)> on_progress;
};

// "ollama", "openai", "openai-chat".
std::vector<std::string> server_apis();

// The engine entry of a run_infer_bench result: {"engine": "server:<api>:<model>", "server":
// {"url", "api", "model", "endpoint", "token_count": "usage"|"chunks"}, "load": {"seconds":
// null, "memory": null}, "batches": [{"batch", "ttft_ms", "itl_p50_ms", "itl_p90_ms",
// "itl_p99_ms", "e2e_s", "tokens_per_s_request", "tokens_per_s_aggregate",
// "tokens_per_request", "requests", "sample_text", and for Ollama "server_eval_tokens_per_s",
// "server_load_duration_s", "server_prompt_eval_duration_s"}]}.
// Errors (refused connection, an HTTP status other than 200, a stream line that is not the
// API's, a stream that ends early) are one line naming the URL and what was received.
Result<nlohmann::json> run_server_bench(const ServerBenchParams& params);

}  // namespace tb::infer
