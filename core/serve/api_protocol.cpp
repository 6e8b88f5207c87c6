#include "core/serve/api_protocol.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>

namespace tb::serve {
namespace {

using json = nlohmann::json;

// Thrown inside parse_request only, caught there: the first bad field ends the parse.
struct BadField {
    ApiError error;
};

[[noreturn]] void bad(const std::string& param, const std::string& message,
                      const std::string& code = "") {
    BadField b;
    b.error.status = 400;
    b.error.param = param;
    b.error.message = param.empty() ? message : param + ": " + message;
    b.error.code = code;
    throw b;
}

const char* type_name(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::string:
            return "a string";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        case json::value_t::number_float:
            return "a number";
        default:
            return "an integer";
    }
}

// A field of `obj`, or nullptr when absent or null (null means "not given" in both APIs).
const json* field(const json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

std::optional<double> opt_number(const json& obj, const char* key, const std::string& name) {
    const json* v = field(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_number()) bad(name, std::string("expected a number, got ") + type_name(*v));
    const double d = v->get<double>();
    if (!std::isfinite(d)) bad(name, "expected a finite number");
    return d;
}

std::optional<int64_t> opt_int(const json& obj, const char* key, const std::string& name) {
    const json* v = field(obj, key);
    if (!v) return std::nullopt;
    if (v->is_number_integer()) {
        if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
            bad(name, "out of range");
        return v->get<int64_t>();
    }
    // 7.0 is accepted as 7 (JSON has one number type; some clients send floats).
    if (v->is_number_float()) {
        const double d = v->get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18)
            return static_cast<int64_t>(d);
    }
    bad(name, std::string("expected an integer, got ") + type_name(*v));
}

std::optional<bool> opt_bool(const json& obj, const char* key, const std::string& name) {
    const json* v = field(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) bad(name, std::string("expected a boolean, got ") + type_name(*v));
    return v->get<bool>();
}

std::optional<std::string> opt_string(const json& obj, const char* key, const std::string& name) {
    const json* v = field(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) bad(name, std::string("expected a string, got ") + type_name(*v));
    return v->get<std::string>();
}

// OpenAI's "stop": a string or an array of strings; Ollama's options.stop: an array.
std::vector<std::string> stop_list(const json& obj, const char* key, const std::string& name,
                                   bool allow_string) {
    const json* v = field(obj, key);
    if (!v) return {};
    std::vector<std::string> out;
    if (allow_string && v->is_string()) {
        out.push_back(v->get<std::string>());
    } else if (v->is_array()) {
        for (size_t i = 0; i < v->size(); ++i) {
            if (!(*v)[i].is_string())
                bad(name + "[" + std::to_string(i) + "]",
                    std::string("expected a string, got ") + type_name((*v)[i]));
            out.push_back((*v)[i].get<std::string>());
        }
    } else {
        bad(name, std::string("expected ") + (allow_string ? "a string or " : "") +
                      "an array of strings, got " + type_name(*v));
    }
    for (size_t i = 0; i < out.size(); ++i)
        if (out[i].empty()) bad(name, "stop strings must not be empty");
    return out;
}

// A field that must be absent, null, or its "off" value (unsupported features are refused
// rather than silently ignored: the client asked for something this server does not do).
void refuse_unless(bool off, const std::string& param, const std::string& what) {
    if (!off) bad(param, what + " is not supported by this server");
}

void refuse_non_default(const json& obj, const char* key, const std::string& what) {
    const json* v = field(obj, key);
    if (!v) return;
    const bool off = (v->is_boolean() && !v->get<bool>()) ||
                     (v->is_number() && v->get<double>() == 0) ||
                     (v->is_string() && v->get<std::string>().empty()) ||
                     ((v->is_array() || v->is_object()) && v->empty());
    refuse_unless(off, key, what);
}

// Sampling settings from the request's values, else generation_config.json's, else OpenAI's.
struct GivenSampling {
    std::optional<double> temperature, top_p, repetition_penalty;
    std::optional<int64_t> top_k, seed;
};

infer::Sampling resolve_sampling(const GivenSampling& g, const GenerationDefaults& d,
                                 uint64_t fallback_seed, const std::string& prefix) {
    infer::Sampling s;
    const double temperature = g.temperature ? *g.temperature : d.temperature.value_or(1.0);
    if (g.temperature && *g.temperature < 0) bad(prefix + "temperature", "must be >= 0");
    s.greedy = temperature == 0;
    s.temperature = s.greedy ? 1.0 : temperature;
    s.top_p = g.top_p ? *g.top_p : d.top_p.value_or(1.0);
    if (!(s.top_p > 0 && s.top_p <= 1)) bad(prefix + "top_p", "must be in (0, 1]");
    int64_t k = g.top_k ? *g.top_k : d.top_k.value_or(0);
    if (k == -1) k = 0;  // vLLM's spelling of "off"
    if (k < 0) bad(prefix + "top_k", "must be >= 0 (0 or -1 = off)");
    s.top_k = k;
    s.repetition_penalty =
        g.repetition_penalty ? *g.repetition_penalty : d.repetition_penalty.value_or(1.0);
    if (!(s.repetition_penalty > 0)) bad(prefix + "repetition_penalty", "must be > 0");
    s.seed = g.seed ? static_cast<uint64_t>(*g.seed) : fallback_seed;
    return s;
}

int64_t checked_max_tokens(std::optional<int64_t> given, const ParseLimits& lim,
                           const std::string& name) {
    if (!given) return lim.default_max_tokens;
    if (*given < 1) bad(name, "must be >= 1");
    if (lim.max_tokens_limit > 0 && *given > lim.max_tokens_limit)
        bad(name,
            std::to_string(*given) + " is more than this server allows per request (" +
                std::to_string(lim.max_tokens_limit) + ")",
            "too_many_tokens");
    return *given;
}

// OpenAI message content: a string, null, or an array of {"type": "text", "text"} parts
// (joined with newlines, as vLLM does); images and audio are refused.
std::string message_content(const json& m, const std::string& name) {
    const json* c = field(m, "content");
    if (!c) return {};
    if (c->is_string()) return c->get<std::string>();
    if (!c->is_array())
        bad(name, std::string("expected a string or an array of parts, got ") + type_name(*c));
    std::string out;
    for (size_t i = 0; i < c->size(); ++i) {
        const json& part = (*c)[i];
        const std::string pn = name + "[" + std::to_string(i) + "]";
        if (!part.is_object()) bad(pn, "expected an object");
        const std::string type = opt_string(part, "type", pn + ".type").value_or("");
        if (type != "text") bad(pn + ".type", "only text parts are supported, got '" + type + "'");
        const auto text = opt_string(part, "text", pn + ".text");
        if (!text) bad(pn + ".text", "missing");
        if (!out.empty()) out += "\n";
        out += *text;
    }
    return out;
}

std::vector<ChatMessage> parse_messages(const json& body, bool ollama) {
    const json* msgs = field(body, "messages");
    if (!msgs) {
        if (ollama) return {};
        bad("messages", "missing");
    }
    if (!msgs->is_array())
        bad("messages", std::string("expected an array, got ") + type_name(*msgs));
    if (msgs->empty() && !ollama) bad("messages", "must not be empty");
    std::vector<ChatMessage> out;
    for (size_t i = 0; i < msgs->size(); ++i) {
        const json& m = (*msgs)[i];
        const std::string name = "messages[" + std::to_string(i) + "]";
        if (!m.is_object()) bad(name, std::string("expected an object, got ") + type_name(m));
        auto role = opt_string(m, "role", name + ".role");
        if (!role) bad(name + ".role", "missing");
        if (*role == "developer") role = "system";  // OpenAI's newer name for system
        if (*role != "system" && *role != "user" && *role != "assistant")
            bad(name + ".role", "expected system, user or assistant, got '" + *role + "'");
        ChatMessage cm;
        cm.role = *role;
        if (ollama) {
            cm.content = opt_string(m, "content", name + ".content").value_or("");
            refuse_non_default(m, "images", "images");
            refuse_non_default(m, "tool_calls", "tool calls");
        } else {
            cm.content = message_content(m, name + ".content");
            refuse_non_default(m, "tool_calls", "tool calls");
        }
        out.push_back(std::move(cm));
    }
    return out;
}

// /v1/completions "prompt": a string, a token-id list, or a one-element array of either.
void parse_openai_prompt(const json& body, infer::Request& r) {
    const json* p = field(body, "prompt");
    if (!p) bad("prompt", "missing");
    const json* one = p;
    if (p->is_array() && !p->empty() && (p->front().is_string() || p->front().is_array())) {
        if (p->size() != 1)
            bad("prompt", "one prompt per request (got " + std::to_string(p->size()) +
                              "); send several requests, they are batched together");
        one = &p->front();
    }
    if (one->is_string()) {
        r.prompt_text = one->get<std::string>();
        return;
    }
    if (!one->is_array())
        bad("prompt", std::string("expected a string or a token-id list, got ") + type_name(*one));
    if (one->empty()) bad("prompt", "empty token-id list");
    for (size_t i = 0; i < one->size(); ++i) {
        const json& v = (*one)[i];
        if (!v.is_number_integer())
            bad("prompt[" + std::to_string(i) + "]",
                std::string("expected a token id (integer), got ") + type_name(v));
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
            bad("prompt[" + std::to_string(i) + "]", "token id out of range");
        r.prompt_ids.push_back(v.get<int64_t>());
    }
}

void parse_openai(Api api, const json& body, const GenerationDefaults& d, const ParseLimits& lim,
                  uint64_t fallback_seed, ParsedRequest& out) {
    const bool chat = api == Api::openai_chat;
    infer::Request& r = out.request;
    if (chat)
        r.messages = parse_messages(body, false);
    else
        parse_openai_prompt(body, r);

    const auto n = opt_int(body, "n", "n");
    if (n && *n != 1)
        bad("n", "only n = 1 is supported (got " + std::to_string(*n) +
                     "); send n requests instead, they are batched together");
    const auto best_of = opt_int(body, "best_of", "best_of");
    if (best_of && *best_of != 1) bad("best_of", "only best_of = 1 is supported");
    refuse_non_default(body, "echo", "echo");
    refuse_non_default(body, "suffix", "suffix");
    refuse_non_default(body, "logprobs", "logprobs");
    refuse_non_default(body, "top_logprobs", "top_logprobs");
    refuse_non_default(body, "logit_bias", "logit_bias");
    refuse_non_default(body, "frequency_penalty", "frequency_penalty");
    refuse_non_default(body, "presence_penalty", "presence_penalty");
    refuse_non_default(body, "tools", "tools");
    refuse_non_default(body, "functions", "functions");
    if (const json* rf = field(body, "response_format")) {
        const bool text = rf->is_object() && rf->value("type", std::string()) == "text";
        refuse_unless(text, "response_format", "a response_format other than text");
    }

    // Chat: max_completion_tokens (the current name) or max_tokens (deprecated there).
    std::optional<int64_t> max_tokens;
    std::string max_name = "max_tokens";
    if (chat) {
        max_tokens = opt_int(body, "max_completion_tokens", "max_completion_tokens");
        if (max_tokens) max_name = "max_completion_tokens";
    }
    if (!max_tokens) max_tokens = opt_int(body, "max_tokens", "max_tokens");
    r.max_new_tokens = checked_max_tokens(max_tokens, lim, max_name);
    // vLLM's extension: EOS is not chosen before min_tokens.
    const auto min_tokens = opt_int(body, "min_tokens", "min_tokens");
    if (min_tokens) {
        if (*min_tokens < 0 || *min_tokens > r.max_new_tokens)
            bad("min_tokens", "must be in [0, " + max_name + "]");
        r.min_new_tokens = *min_tokens;
    }

    GivenSampling g;
    g.temperature = opt_number(body, "temperature", "temperature");
    if (g.temperature && *g.temperature > 2) bad("temperature", "must be in [0, 2]");
    g.top_p = opt_number(body, "top_p", "top_p");
    g.top_k = opt_int(body, "top_k", "top_k");  // extension (vLLM, llama.cpp)
    g.repetition_penalty = opt_number(body, "repetition_penalty", "repetition_penalty");
    g.seed = opt_int(body, "seed", "seed");
    r.sampling = resolve_sampling(g, d, fallback_seed, "");
    r.stop = stop_list(body, "stop", "stop", true);

    out.return_token_ids = opt_bool(body, "return_token_ids", "return_token_ids").value_or(false);
    out.stream = opt_bool(body, "stream", "stream").value_or(false);
    if (const json* so = field(body, "stream_options")) {
        if (!so->is_object())
            bad("stream_options", std::string("expected an object, got ") + type_name(*so));
        out.include_usage =
            opt_bool(*so, "include_usage", "stream_options.include_usage").value_or(false);
    }
}

void parse_ollama(Api api, const json& body, const GenerationDefaults& d, const ParseLimits& lim,
                  uint64_t fallback_seed, ParsedRequest& out) {
    infer::Request& r = out.request;
    out.stream = opt_bool(body, "stream", "stream").value_or(true);  // Ollama streams by default
    if (const json* f = field(body, "format")) {
        const bool off = f->is_string() && f->get<std::string>().empty();
        refuse_unless(off, "format", "format (JSON mode, structured outputs)");
    }
    const auto think = opt_bool(body, "think", "think");
    refuse_unless(!think || !*think, "think", "thinking");
    refuse_non_default(body, "images", "images");
    refuse_non_default(body, "tools", "tools");
    refuse_non_default(body, "suffix", "suffix");
    refuse_non_default(body, "template", "a template override");
    refuse_non_default(body, "context", "context (the deprecated conversation memory)");

    if (api == Api::ollama_chat) {
        r.messages = parse_messages(body, true);
        out.load_only = r.messages.empty();
    } else {
        const std::string prompt = opt_string(body, "prompt", "prompt").value_or("");
        const std::string system = opt_string(body, "system", "system").value_or("");
        const bool raw = opt_bool(body, "raw", "raw").value_or(false);
        out.load_only = prompt.empty();
        if (raw || !lim.has_chat_template) {
            if (!system.empty())
                bad("system", raw ? "not used with raw: true (put it into the prompt)"
                                  : "needs a chat template, and this model has none");
            r.prompt_text = prompt;
        } else {
            if (!system.empty()) r.messages.push_back({"system", system});
            r.messages.push_back({"user", prompt});
        }
    }

    json options = json::object();
    if (const json* o = field(body, "options")) {
        if (!o->is_object())
            bad("options", std::string("expected an object, got ") + type_name(*o));
        options = *o;
    }
    // num_predict: -1 (until the end) and -2 (fill the context) take the server's default.
    auto np = opt_int(options, "num_predict", "options.num_predict");
    if (np && (*np == -1 || *np == -2)) np.reset();
    r.max_new_tokens = checked_max_tokens(np, lim, "options.num_predict");
    GivenSampling g;
    g.temperature = opt_number(options, "temperature", "options.temperature");
    g.top_p = opt_number(options, "top_p", "options.top_p");
    g.top_k = opt_int(options, "top_k", "options.top_k");
    g.repetition_penalty = opt_number(options, "repeat_penalty", "options.repeat_penalty");
    g.seed = opt_int(options, "seed", "options.seed");
    r.sampling = resolve_sampling(g, d, fallback_seed, "options.");
    r.stop = stop_list(options, "stop", "options.stop", false);
    // Other options (num_ctx, num_thread, mirostat, ...) are ignored, as Ollama ignores the
    // ones a runner does not use.
}

int64_t ns(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1e9)); }

}  // namespace

bool is_ollama(Api api) { return api == Api::ollama_generate || api == Api::ollama_chat; }

json error_body(bool ollama, const ApiError& e) {
    if (ollama) return {{"error", e.message}};
    return {{"error",
             {{"message", e.message},
              {"type", e.type},
              {"param", e.param.empty() ? json(nullptr) : json(e.param)},
              {"code", e.code.empty() ? json(nullptr) : json(e.code)}}}};
}

ParseResult parse_request(Api api, const std::string& body, const GenerationDefaults& defaults,
                          const ParseLimits& limits, uint64_t fallback_seed) {
    ParseResult res;
    json j;
    try {
        j = json::parse(body);
    } catch (const std::exception& e) {
        res.error.message = std::string("malformed JSON body: ") + e.what();
        return res;
    }
    if (!j.is_object()) {
        res.error.message = std::string("the body must be a JSON object, got ") + type_name(j);
        return res;
    }
    try {
        ParsedRequest& out = res.parsed;
        out.api = api;
        const auto model = opt_string(j, "model", "model");
        if (!model || model->empty()) bad("model", "missing");
        out.model = *model;
        if (is_ollama(api))
            parse_ollama(api, j, defaults, limits, fallback_seed, out);
        else
            parse_openai(api, j, defaults, limits, fallback_seed, out);
        res.ok = true;
    } catch (const BadField& b) {
        res.error = b.error;
    } catch (const json::exception& e) {  // a get<> on an unexpected type: still the client's
        res.error.message = std::string("bad request body: ") + e.what();
    }
    return res;
}

std::string finish_reason_of(const StreamEvent& e) {
    if (e.finish_reason == "eos" || e.finish_reason == "stop") return "stop";
    if (e.finish_reason == "length") return "length";
    return "";
}

std::string rfc3339_now() {
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count();
    const std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[96];
    std::snprintf(out, sizeof out, "%s.%09lldZ", buf, static_cast<long long>(nanos));
    return out;
}

json ollama_load_answer(Api api, const std::string& model) {
    json j = {{"model", model}, {"created_at", rfc3339_now()}};
    if (api == Api::ollama_chat)
        j["message"] = {{"role", "assistant"}, {"content", ""}};
    else
        j["response"] = "";
    j["done"] = true;
    j["done_reason"] = "load";
    return j;
}

ResponseFormatter::ResponseFormatter(Api api, std::string model, std::string id, int64_t created,
                                     bool include_usage, bool return_token_ids)
    : api_(api),
      model_(std::move(model)),
      id_(std::move(id)),
      created_(created),
      include_usage_(include_usage),
      return_token_ids_(return_token_ids) {}

std::string ResponseFormatter::content_type(bool stream) const {
    if (!stream) return "application/json";
    return is_ollama(api_) ? "application/x-ndjson" : "text/event-stream";
}

std::string ResponseFormatter::sse(const json& j) const { return "data: " + j.dump() + "\n\n"; }

json ResponseFormatter::openai_chunk(json choice) const {
    const bool chat = api_ == Api::openai_chat;
    json j = {{"id", id_},
              {"object", chat ? "chat.completion.chunk" : "text_completion"},
              {"created", created_},
              {"model", model_},
              {"choices", json::array({std::move(choice)})}};
    // With include_usage every chunk carries "usage": null; the last one the counts.
    if (include_usage_) j["usage"] = nullptr;
    return j;
}

json ResponseFormatter::ollama_line(const std::string& text, bool done) const {
    json j = {{"model", model_}, {"created_at", rfc3339_now()}};
    if (api_ == Api::ollama_chat)
        j["message"] = {{"role", "assistant"}, {"content", text}};
    else
        j["response"] = text;
    j["done"] = done;
    return j;
}

void ResponseFormatter::add_ollama_stats(json& j, const StreamEvent& e) const {
    j["done_reason"] = finish_reason_of(e);
    // prompt_eval_duration is submit to first token (queueing included: the Batcher does not
    // report it apart); eval_duration the rest. The model was loaded before: load_duration 0.
    j["total_duration"] = ns(e.total_seconds);
    j["load_duration"] = 0;
    j["prompt_eval_count"] = e.prompt_tokens;
    j["prompt_eval_duration"] = ns(e.ttft_seconds);
    j["eval_count"] = e.completion_tokens;
    j["eval_duration"] = ns(std::max(0.0, e.total_seconds - e.ttft_seconds));
}

std::string ResponseFormatter::start() const {
    if (api_ != Api::openai_chat) return {};
    return sse(openai_chunk({{"index", 0},
                             {"delta", {{"role", "assistant"}, {"content", ""}}},
                             {"logprobs", nullptr},
                             {"finish_reason", nullptr}}));
}

std::string ResponseFormatter::token(const std::string& text, int64_t token_id) const {
    // A token without text (a partial UTF-8 sequence, a special token) sends nothing, unless
    // its id was asked for.
    const bool ids = return_token_ids_ && !is_ollama(api_);
    if (text.empty() && !ids) return {};
    json choice;
    switch (api_) {
        case Api::openai_completions:
            choice = {
                {"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
            break;
        case Api::openai_chat:
            choice = {{"index", 0},
                      {"delta", {{"content", text}}},
                      {"logprobs", nullptr},
                      {"finish_reason", nullptr}};
            break;
        default:
            return ollama_line(text, false).dump() + "\n";
    }
    if (ids) choice["token_ids"] = json::array({token_id});
    return sse(openai_chunk(std::move(choice)));
}

static std::string end_error_message(const StreamEvent& e) {
    if (e.finish_reason == "error")
        return "generation failed: " + (e.error.empty() ? std::string("unknown error") : e.error);
    return "the request was cancelled by the server (" + e.finish_reason + ")";
}

std::string ResponseFormatter::finish(const StreamEvent& e) const {
    const std::string reason = finish_reason_of(e);
    if (reason.empty()) {
        ApiError err;
        err.status = 500;
        err.type = "server_error";
        err.message = end_error_message(e);
        if (is_ollama(api_)) return error_body(true, err).dump() + "\n";
        return sse(error_body(false, err)) + "data: [DONE]\n\n";
    }
    if (is_ollama(api_)) {
        json j = ollama_line("", true);
        add_ollama_stats(j, e);
        return j.dump() + "\n";
    }
    std::string out;
    if (api_ == Api::openai_chat)
        out += sse(openai_chunk({{"index", 0},
                                 {"delta", json::object()},
                                 {"logprobs", nullptr},
                                 {"finish_reason", reason}}));
    else
        out += sse(openai_chunk(
            {{"index", 0}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", reason}}));
    if (include_usage_) {
        json u = openai_chunk(json::object());
        u["choices"] = json::array();
        u["usage"] = {{"prompt_tokens", e.prompt_tokens},
                      {"completion_tokens", e.completion_tokens},
                      {"total_tokens", e.prompt_tokens + e.completion_tokens}};
        out += sse(u);
    }
    out += "data: [DONE]\n\n";
    return out;
}

json ResponseFormatter::body(const std::string& text, const std::vector<int64_t>& token_ids,
                             const StreamEvent& e, int* status) const {
    const std::string reason = finish_reason_of(e);
    if (reason.empty()) {
        ApiError err;
        err.status = 500;
        err.type = "server_error";
        err.message = end_error_message(e);
        *status = 500;
        return error_body(is_ollama(api_), err);
    }
    *status = 200;
    if (is_ollama(api_)) {
        json j = ollama_line(text, true);
        add_ollama_stats(j, e);
        return j;
    }
    const bool chat = api_ == Api::openai_chat;
    json choice = {{"index", 0}};
    if (chat)
        choice["message"] = {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}};
    else
        choice["text"] = text;
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = reason;
    if (return_token_ids_) choice["token_ids"] = token_ids;
    return {{"id", id_},
            {"object", chat ? "chat.completion" : "text_completion"},
            {"created", created_},
            {"model", model_},
            {"choices", json::array({choice})},
            {"usage",
             {{"prompt_tokens", e.prompt_tokens},
              {"completion_tokens", e.completion_tokens},
              {"total_tokens", e.prompt_tokens + e.completion_tokens}}}};
}

}  // namespace tb::serve
