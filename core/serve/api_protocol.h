// The wire protocols of `tunebench-cli serve` (core/serve/http_server.h), without any HTTP:
// request bodies of the OpenAI API (/v1/completions, /v1/chat/completions) and of Ollama's
// (/api/generate, /api/chat) are turned into one infer::Request each, and a request's
// StreamEvents (core/serve/batcher.h) into that API's answer - SSE chunks, NDJSON lines or one
// JSON object - with the field names of the OpenAI API reference and Ollama's docs/api.md.
//
// What is deliberately not here: prompt encoding (chat messages go to the core's chat
// template through infer::Request::messages), the EOS/stop rule and sampling. Those are the
// inference core's; this layer only chooses the prompt form and the settings.
//
// Sampling settings a request leaves out come from the model's generation_config.json
// (temperature, top_k, top_p, repetition_penalty, as vLLM does), else from the OpenAI API's
// defaults (temperature 1, top_p 1, no top-k). temperature 0 means greedy. A request without a
// seed gets a fresh one (the caller's `fallback_seed`), so two sampled answers differ.
//
// Stop strings follow the core's rule (HF StopStringCriteria): the answer ends at the token
// that completes the stop string and that token's text is kept. OpenAI and Ollama cut the stop
// string off; clients that rely on that see it at the end of the text.
//
// Torch-free and httplib-free: the server, the GUI and the tests include it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/infer/inference.h"
#include "core/model/model_config.h"
#include "core/serve/batcher.h"

namespace tb::serve {

enum class Api {
    openai_completions,  // POST /v1/completions
    openai_chat,         // POST /v1/chat/completions
    ollama_generate,     // POST /api/generate
    ollama_chat,         // POST /api/chat
};

bool is_ollama(Api api);

// An error answer: HTTP status and the API's error object.
struct ApiError {
    int status = 400;
    std::string message;
    std::string param;                           // OpenAI "param": the offending field ("" = null)
    std::string code;                            // OpenAI "code" ("" = null)
    std::string type = "invalid_request_error";  // OpenAI "type"
};

// OpenAI: {"error": {"message", "type", "param", "code"}}; Ollama: {"error": "message"}.
nlohmann::json error_body(bool ollama, const ApiError& e);

struct ParseLimits {
    // max_tokens / num_predict when a request gives none (or Ollama's -1/-2).
    int64_t default_max_tokens = 256;
    // Largest max_tokens a request may ask for (0 = no cap here: the Batcher still checks
    // prompt + max_tokens against the model's context).
    int64_t max_tokens_limit = 0;
    // Whether the served model has a chat template: Ollama's /api/generate renders its prompt
    // (and `system`) through it, as Ollama applies a model's TEMPLATE; without one the prompt
    // is taken as plain text (Ollama's default template is the prompt itself).
    bool has_chat_template = true;
};

struct ParsedRequest {
    Api api = Api::openai_completions;
    std::string model;           // as the client named it
    infer::Request request;      // prompt form, sampling, max_new_tokens, stop (adapter: caller's)
    bool stream = false;         // OpenAI default false, Ollama default true
    bool include_usage = false;  // OpenAI stream_options.include_usage
    // vLLM's extension "return_token_ids": the generated ids beside the text ("token_ids" in
    // each choice; per chunk when streamed). Models without a tokenizer have no text.
    bool return_token_ids = false;
    // Ollama: an empty prompt / no messages asks to load the model: answered at once with
    // done_reason "load", nothing generated.
    bool load_only = false;
};

struct ParseResult {
    bool ok = false;
    ParsedRequest parsed;
    ApiError error;  // when !ok
};

// Parses and checks a request body (malformed JSON, wrong types, unsupported options such as
// n > 1 or echo are errors naming the field).
ParseResult parse_request(Api api, const std::string& body, const GenerationDefaults& defaults,
                          const ParseLimits& limits, uint64_t fallback_seed);

// One request's answer in its API's shape. Streams: start() once, token() per event (""
// when there is nothing to send), finish() for the final event. Not streamed: body().
class ResponseFormatter {
  public:
    // `id`: the OpenAI response id ("cmpl-..."/"chatcmpl-..."), `created`: Unix seconds.
    ResponseFormatter(Api api, std::string model, std::string id, int64_t created,
                      bool include_usage, bool return_token_ids = false);

    // text/event-stream (OpenAI), application/x-ndjson (Ollama); application/json unstreamed.
    std::string content_type(bool stream) const;
    std::string start() const;  // OpenAI chat: the role chunk; otherwise ""
    std::string token(const std::string& text, int64_t token_id) const;
    // The finishing chunk(s) and the end marker: OpenAI a chunk with finish_reason, the usage
    // chunk when asked, "data: [DONE]"; Ollama the done line with counts and durations. A final
    // event that is not a normal end (error, cancelled by the server) becomes an error object.
    std::string finish(const StreamEvent& final_event) const;
    // The whole answer when not streamed; `status` is set to 200, or 500 with an error object
    // when the final event is not a normal end.
    nlohmann::json body(const std::string& text, const std::vector<int64_t>& token_ids,
                        const StreamEvent& final_event, int* status) const;

  private:
    std::string sse(const nlohmann::json& j) const;
    nlohmann::json openai_chunk(nlohmann::json choice) const;
    nlohmann::json ollama_line(const std::string& text, bool done) const;
    void add_ollama_stats(nlohmann::json& j, const StreamEvent& e) const;

    Api api_;
    std::string model_, id_;
    int64_t created_;
    bool include_usage_, return_token_ids_;
};

// "stop" for eos/stop, "length" for length, "" for anything else (cancelled, error).
std::string finish_reason_of(const StreamEvent& e);

// The Ollama load answer (done_reason "load").
nlohmann::json ollama_load_answer(Api api, const std::string& model);

// RFC 3339 UTC with nanoseconds, as Ollama's created_at.
std::string rfc3339_now();

}  // namespace tb::serve
