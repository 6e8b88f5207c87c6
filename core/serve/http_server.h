// `tunebench-cli serve`: an OpenAI- and Ollama-compatible HTTP server over one Batcher
// (core/serve/batcher.h). All requests, of both APIs, share the Batcher's continuous batch; an
// adapter is chosen by the request's `model` field (Batcher::adapter_for_model).
//
// Endpoints (core/serve/api_protocol.h has the request and answer shapes):
//   GET  /v1/models             OpenAI model list (base model first, then the adapters)
//   POST /v1/completions        prompt as text or token ids; SSE when "stream": true
//   POST /v1/chat/completions   messages through the model's chat template; SSE
//   GET  /api/tags              Ollama model list
//   POST /api/generate          NDJSON stream by default ("stream": false for one object)
//   POST /api/chat
//   GET  /api/version, GET /    liveness
// Errors are 4xx/5xx with the API's error object; the server keeps serving. A client that goes
// away is noticed within ~50 ms, streamed or not, queued or running (a broken write, or the
// connection's socket polled while the answer waits: http_server.cpp's ClientWatch), and its
// request is cancelled in the Batcher at once, which frees its KV blocks or queue place.
//
// Threads: one listener thread, and a pool of `max_connections` workers; a streaming answer
// holds one worker for its duration (it waits on its own event queue, fed by the Batcher's
// scheduler thread).
//
// Torch-free and httplib-free header: the CLI and the GUI include it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/serve/batcher.h"

namespace tb::serve {

struct ServeParams {
    BatcherParams batcher;  // the model, adapters, KV cache and scheduling (start() only)
    // Loopback unless told otherwise: the server has no TLS, and the API key (if any) travels
    // in clear text.
    std::string host = "127.0.0.1";
    int port = 8000;  // 0 = any free port (url() says which)
    // Non-empty: every /v1 and /api request needs "Authorization: Bearer <api_key>" (401).
    std::string api_key;
    // Request bodies larger than this get 413.
    size_t max_body_bytes = 8u << 20;
    // max_tokens (num_predict) when a request gives none, and the most one may ask for
    // (0 = only the model's context bounds it, checked by the Batcher).
    int64_t default_max_tokens = 256;
    int64_t max_tokens_limit = 0;
    // Worker threads = connections served at once (each stream holds one).
    int max_connections = 512;
    // How long a stream waits for a write to a slow client before giving up (and cancelling).
    double write_timeout_seconds = 10;
};

struct ServerStats {
    std::string url;
    int64_t in_flight = 0;           // generation requests being answered now
    int64_t requests_served = 0;     // generation requests answered to their end
    int64_t requests_rejected = 0;   // 4xx and 5xx answers
    int64_t requests_cancelled = 0;  // clients that went away before the end
    int64_t tokens_served = 0;       // completion tokens of the served requests
    BatcherStats batcher;
};

class HttpServer {
  public:
    // Loads the model (Batcher::start with params.batcher), binds and starts serving in the
    // background. `cancel` is polled while loading. Errors: the Batcher's, or the address
    // cannot be bound (naming host:port).
    static Result<std::unique_ptr<HttpServer>> start(const ServeParams& params,
                                                     const CancelToken* cancel = nullptr);
    // Serves an already started Batcher (tests, or a front end that shares one;
    // params.batcher is not used). stop() cancels this server's requests, and stops the
    // Batcher too when `stop_batcher`.
    static Result<std::unique_ptr<HttpServer>> start(std::shared_ptr<Batcher> batcher,
                                                     const ServeParams& params,
                                                     bool stop_batcher = false);

    virtual ~HttpServer() = default;  // stops with grace 0

    // Graceful stop: new generation requests get 503, running ones may finish for up to
    // `grace_seconds`, the rest are cancelled; then the listener closes and the workers are
    // joined (and a Batcher started by start(params) is stopped). Idempotent; thread-safe.
    virtual void stop(double grace_seconds) = 0;
    virtual bool running() const = 0;

    virtual std::string url() const = 0;  // "http://127.0.0.1:8000"
    virtual ServerStats stats() const = 0;
    virtual Batcher& batcher() = 0;
};

}  // namespace tb::serve
