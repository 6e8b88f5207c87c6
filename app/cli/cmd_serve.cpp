// tunebench-cli serve: an OpenAI- and Ollama-compatible HTTP server over the paged engine's
// Batcher (core/serve/http_server.h), the base model and its LoRA adapters served together
// (an adapter is chosen by the request's "model"). Runs until SIGINT/SIGTERM, then stops
// gracefully: new requests are refused, running ones get --grace seconds to finish.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "core/infer/infer_bench_record.h"
#include "core/serve/http_server.h"

namespace tbcli {
namespace {

namespace fs = std::filesystem;

struct ServeArgs {
    std::string model_dir;
    std::string shape;  // random weights of a bench shape instead of --model
    std::string tokenizer;
    std::vector<std::string> adapters;  // NAME=DIR or DIR (named after its folder)
    std::string served_name;
    std::string engine = "paged";
    std::string device = "auto";
    std::string dtype = "auto";
    uint64_t seed = 0;
    tb::serve::ServeParams p;
    int64_t kv_cache_mb = 0;
    double max_body_mb = 8;
    double grace = 30;
};

bool is_loopback(const std::string& host) {
    return host == "127.0.0.1" || host == "localhost" || host == "::1" ||
           host.rfind("127.", 0) == 0;
}

int run_serve(ServeArgs& a) {
    if (a.engine != "paged")
        return fail("--engine: serve runs the paged engine (continuous batching), got '" +
                    a.engine + "'");
    if (a.model_dir.empty() == a.shape.empty())
        return fail("serve: give --model DIR (or --shape NAME for random weights)");
    tb::serve::ServeParams& p = a.p;
    tb::serve::BatcherParams& bp = p.batcher;
    bp.engine.engine = "paged";
    bp.engine.model_dir = a.model_dir;
    if (!a.shape.empty()) {
        auto shape = tb::infer::bench_shape(a.shape);
        if (!shape) return fail(shape.error());
        bp.engine.random_shape = *shape;
    }
    bp.engine.tokenizer = a.tokenizer;
    bp.engine.device = a.device;
    bp.engine.dtype = a.dtype;
    bp.engine.seed = a.seed;
    bp.model_name = a.served_name;
    for (const std::string& spec : a.adapters) {
        const size_t eq = spec.find('=');
        std::string name, dir;
        if (eq == std::string::npos) {
            dir = spec;
            name = fs::path(spec).lexically_normal().filename().string();
            if (name.empty())
                name = fs::path(spec).lexically_normal().parent_path().filename().string();
        } else {
            name = spec.substr(0, eq);
            dir = spec.substr(eq + 1);
        }
        if (name.empty() || dir.empty())
            return fail("--adapter: expected NAME=DIR or DIR, got '" + spec + "'");
        bp.adapters.emplace_back(name, dir);
    }
    if (a.kv_cache_mb < 0) return fail("--kv-cache-mb: must be >= 0");
    bp.kv_cache_bytes = a.kv_cache_mb << 20;
    if (!(a.max_body_mb > 0)) return fail("--max-body-mb: must be > 0");
    p.max_body_bytes = static_cast<size_t>(a.max_body_mb * 1024 * 1024);
    if (p.api_key.empty()) {
        if (const char* k = std::getenv("TUNEBENCH_API_KEY")) p.api_key = k;
    }
    if (a.grace < 0) return fail("--grace: must be >= 0");

    tb::CancelToken& interrupt = interrupt_token();
    std::fprintf(
        stderr, "serve: loading %s ...\n",
        a.model_dir.empty() ? (a.shape + " (random weights)").c_str() : a.model_dir.c_str());
    auto started = tb::serve::HttpServer::start(p, &interrupt);
    if (!started) return fail(started.error());
    auto& server = *started;
    const auto names = server->batcher().model_names();
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    const std::string url = server->url();
    const std::string auth = p.api_key.empty() ? "" : " -H 'Authorization: Bearer $KEY'";
    std::printf("serving %s at %s (%s, loaded in %.1f s)\n", list.c_str(), url.c_str(),
                server->batcher().load_report().device.c_str(),
                server->batcher().load_report().seconds);
    std::printf("  OpenAI: %s/v1   Ollama: %s\n", url.c_str(), url.c_str());
    std::printf(
        "  curl %s/v1/completions%s -H 'Content-Type: application/json' -d "
        "'{\"model\": \"%s\", \"prompt\": \"Hello\", \"max_tokens\": 32}'\n",
        url.c_str(), auth.c_str(), names.front().c_str());
    std::printf(
        "  curl %s/api/chat%s -d '{\"model\": \"%s\", \"messages\": [{\"role\": "
        "\"user\", \"content\": \"Hello\"}]}'\n",
        url.c_str(), auth.c_str(), names.front().c_str());
    if (!is_loopback(p.host) && p.api_key.empty())
        std::fprintf(stderr,
                     "serve: warning: listening on %s without --api-key: anyone who can reach "
                     "this address can use the model\n",
                     p.host.c_str());
    std::fflush(stdout);

    while (!interrupt.cancelled() && server->running())
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto s = server->stats();
    std::fprintf(stderr, "serve: stopping (%lld in flight, up to %.0f s to finish) ...\n",
                 static_cast<long long>(s.in_flight), a.grace);
    server->stop(a.grace);
    const auto end = server->stats();
    std::fprintf(stderr,
                 "serve: stopped: %lld requests served (%lld tokens), %lld rejected, %lld "
                 "cancelled by their clients\n",
                 static_cast<long long>(end.requests_served),
                 static_cast<long long>(end.tokens_served),
                 static_cast<long long>(end.requests_rejected),
                 static_cast<long long>(end.requests_cancelled));
    return kExitOk;
}

CommandRegistrar register_serve("serve", [](CLI::App& app) {
    app.description(
        "Serve a model and its LoRA adapters over HTTP: OpenAI-compatible /v1/models, "
        "/v1/completions, /v1/chat/completions and Ollama-compatible /api/tags, /api/generate, "
        "/api/chat, all requests batched together by the paged engine");
    auto a = std::make_shared<ServeArgs>();
    app.add_option("--model", a->model_dir,
                   "Hugging Face model folder (config.json + safetensors)");
    app.add_option("--shape", a->shape,
                   "Random weights of a benchmark shape (tinyllama, tiny) instead of --model");
    app.add_option("--tokenizer", a->tokenizer,
                   "Tokenizer folder or .model file (default: the model folder's)");
    app.add_option("--adapter", a->adapters,
                   "PEFT LoRA adapter served as its own model: NAME=DIR (or DIR: named after "
                   "the folder); repeatable");
    app.add_option("--served-model-name", a->served_name,
                   "Name of the base model in the APIs (default: the model folder's name)");
    app.add_option("--engine", a->engine, "Inference engine (paged)")->capture_default_str();
    app.add_option("--device", a->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
    app.add_option("--dtype", a->dtype, "auto | fp32 | bf16 | fp16")->capture_default_str();
    app.add_option("--seed", a->seed, "Seed of --shape's random weights")->capture_default_str();
    app.add_option("--host", a->p.host,
                   "Address to listen on (loopback by default; 0.0.0.0 for every interface)")
        ->capture_default_str();
    app.add_option("--port", a->p.port, "Port (0: any free port)")->capture_default_str();
    app.add_option("--api-key", a->p.api_key,
                   "Require 'Authorization: Bearer KEY' on /v1 and /api (or set "
                   "TUNEBENCH_API_KEY)");
    // The Batcher's knobs (core/serve/batcher.h).
    app.add_option("--block-size", a->p.batcher.block_size, "KV cache tokens per block")
        ->capture_default_str();
    app.add_option("--gpu-memory-utilization", a->p.batcher.memory_fraction,
                   "Share of the free device memory the KV block pool may take")
        ->capture_default_str();
    app.add_option("--kv-cache-mb", a->kv_cache_mb,
                   "KV block pool size in MiB (CPU; overrides --gpu-memory-utilization)");
    app.add_option("--max-num-seqs", a->p.batcher.max_num_seqs,
                   "Most sequences decoded in one step")
        ->capture_default_str();
    app.add_option("--max-prefill-tokens", a->p.batcher.max_prefill_tokens,
                   "Most prompt tokens prefilled per step (longer prompts in chunks)")
        ->capture_default_str();
    app.add_flag("--no-prefix-caching{false}", a->p.batcher.prefix_caching,
                 "Do not share the KV blocks of repeated prompt prefixes");
    app.add_option("--max-model-len", a->p.batcher.max_model_len,
                   "Longest prompt + max_tokens per request (0: the model's context)")
        ->capture_default_str();
    // The HTTP side.
    app.add_option("--default-max-tokens", a->p.default_max_tokens,
                   "max_tokens of a request that gives none")
        ->capture_default_str();
    app.add_option("--max-tokens-limit", a->p.max_tokens_limit,
                   "Most max_tokens one request may ask for (0: only the context bounds it)")
        ->capture_default_str();
    app.add_option("--max-body-mb", a->max_body_mb, "Largest request body (413 above)")
        ->capture_default_str();
    app.add_option("--max-connections", a->p.max_connections,
                   "Connections served at once (each stream holds one)")
        ->capture_default_str();
    app.add_option("--grace", a->grace, "Seconds running requests get to finish on SIGINT/SIGTERM")
        ->capture_default_str();
    return [a]() { return run_serve(*a); };
});

}  // namespace
}  // namespace tbcli
