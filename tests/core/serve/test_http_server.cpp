// The OpenAI/Ollama protocol layer of `serve` (core/serve/http_server.h, api_protocol.h)
// against a stand-in Batcher (fake_batcher.h) over loopback: request shapes of the real
// `openai` and `ollama` Python libraries, answer shapes, SSE/NDJSON streaming, errors, the API
// key, disconnects, 256 concurrent streams, graceful stop, and `bench infer`'s own client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/infer/server_bench.h"
#include "core/serve/api_protocol.h"
#include "core/serve/http_server.h"
#include "tests/core/serve/fake_batcher.h"
#include "tests/core/serve/raw_client.h"

namespace tb::serve {
namespace {

using json = nlohmann::json;
using testing::FakeBatcher;

struct Fixture {
    std::shared_ptr<FakeBatcher> batcher;
    std::unique_ptr<HttpServer> server;
    std::string host_port;  // for httplib::Client

    explicit Fixture(ServeParams p = ServeParams(), FakeBatcher::Options o = {}) {
        batcher = std::make_shared<FakeBatcher>(o);
        p.port = 0;
        // Fewer workers than the default 512 keep the fixtures quick; the 256-stream test asks
        // for more.
        if (p.max_connections == ServeParams().max_connections) p.max_connections = 32;
        auto s = HttpServer::start(batcher, p);
        EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
        server = std::move(s.value());
        host_port = server->url();
    }
    httplib::Client client() const {
        httplib::Client c(host_port);
        c.set_read_timeout(30, 0);
        return c;
    }
};

httplib::Result post(const Fixture& f, const std::string& path, const json& body,
                     const httplib::Headers& headers = {}) {
    auto c = f.client();
    return c.Post(path.c_str(), headers, body.dump(), "application/json");
}

// "data: {...}\n\n" events of an SSE body, [DONE] as the string "[DONE]".
std::vector<json> sse_events(const std::string& body) {
    std::vector<json> out;
    size_t pos = 0;
    while (pos < body.size()) {
        size_t end = body.find("\n\n", pos);
        EXPECT_NE(end, std::string::npos) << "SSE event not terminated by a blank line";
        if (end == std::string::npos) break;
        const std::string ev = body.substr(pos, end - pos);
        pos = end + 2;
        EXPECT_EQ(ev.rfind("data: ", 0), 0u) << ev;
        const std::string payload = ev.substr(6);
        out.push_back(payload == "[DONE]" ? json("[DONE]") : json::parse(payload));
    }
    return out;
}

std::vector<json> ndjson_lines(const std::string& body) {
    std::vector<json> out;
    size_t pos = 0;
    while (pos < body.size()) {
        size_t end = body.find('\n', pos);
        EXPECT_NE(end, std::string::npos) << "NDJSON line without a newline";
        if (end == std::string::npos) break;
        out.push_back(json::parse(body.substr(pos, end - pos)));
        pos = end + 1;
    }
    return out;
}

infer::Request plain(const std::string& text, int64_t max_new) {
    infer::Request r;
    r.prompt_text = text;
    r.max_new_tokens = max_new;
    return r;
}
infer::Request chat(std::vector<ChatMessage> m, int64_t max_new, const std::string& adapter = "") {
    infer::Request r;
    r.messages = std::move(m);
    r.max_new_tokens = max_new;
    r.adapter = adapter;
    return r;
}

// ---------------------------------------------------------------- protocol layer, no HTTP

TEST(ApiProtocol, OpenAIPythonCompletionBody) {
    // openai-python: client.completions.create(model=..., prompt=..., max_tokens=7,
    // temperature=0, seed=3, stop=["\n"]) sends only the given fields.
    const std::string body =
        R"({"model":"tiny","prompt":"Say this is a test","max_tokens":7,"temperature":0,)"
        R"("seed":3,"stop":["\n"]})";
    GenerationDefaults d;
    auto r = parse_request(Api::openai_completions, body, d, ParseLimits(), 99);
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.parsed.model, "tiny");
    EXPECT_EQ(r.parsed.request.prompt_text.value_or(""), "Say this is a test");
    EXPECT_EQ(r.parsed.request.max_new_tokens, 7);
    EXPECT_TRUE(r.parsed.request.sampling.greedy);
    EXPECT_EQ(r.parsed.request.sampling.seed, 3u);
    EXPECT_EQ(r.parsed.request.stop, std::vector<std::string>{"\n"});
    EXPECT_FALSE(r.parsed.stream);
}

TEST(ApiProtocol, SamplingDefaultsFromGenerationConfigThenOpenAI) {
    GenerationDefaults d;
    d.temperature = 0.6;
    d.top_p = 0.9;
    auto r = parse_request(Api::openai_chat,
                           R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", d,
                           ParseLimits(), 42);
    ASSERT_TRUE(r.ok) << r.error.message;
    const auto& s = r.parsed.request.sampling;
    EXPECT_FALSE(s.greedy);
    EXPECT_DOUBLE_EQ(s.temperature, 0.6);
    EXPECT_DOUBLE_EQ(s.top_p, 0.9);
    EXPECT_EQ(s.top_k, 0);
    EXPECT_EQ(s.seed, 42u);  // no seed given: the server's fresh one
    EXPECT_EQ(r.parsed.request.max_new_tokens, ParseLimits().default_max_tokens);
    // Request values win; top_k is the extension; -1 means off.
    r = parse_request(
        Api::openai_chat,
        R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1.5,"top_k":-1,"top_p":0.5})",
        d, ParseLimits(), 42);
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_DOUBLE_EQ(r.parsed.request.sampling.temperature, 1.5);
    EXPECT_DOUBLE_EQ(r.parsed.request.sampling.top_p, 0.5);
    EXPECT_EQ(r.parsed.request.sampling.top_k, 0);
}

TEST(ApiProtocol, ChatContentPartsAndRoles) {
    auto r = parse_request(Api::openai_chat, R"({"model":"m","messages":[
        {"role":"developer","content":"be brief"},
        {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
        {"role":"assistant","content":null},
        {"role":"user","content":"c"}],"max_completion_tokens":5,"max_tokens":9})",
                           GenerationDefaults(), ParseLimits(), 1);
    ASSERT_TRUE(r.ok) << r.error.message;
    const auto& m = r.parsed.request.messages;
    ASSERT_EQ(m.size(), 4u);
    EXPECT_EQ(m[0].role, "system");
    EXPECT_EQ(m[1].content, "a\nb");
    EXPECT_EQ(m[2].content, "");
    EXPECT_EQ(r.parsed.request.max_new_tokens, 5);  // max_completion_tokens wins
}

TEST(ApiProtocol, OllamaPythonBodies) {
    // ollama-python: generate(model, prompt, options={...}) with exclude_none: stream false
    // is always sent; chat() also sends "tools": [].
    ParseLimits lim;
    lim.has_chat_template = false;
    auto g = parse_request(
        Api::ollama_generate,
        R"({"model":"tiny:latest","prompt":"Why is the sky blue?","stream":false,)"
        R"("options":{"temperature":0,"num_predict":8,"seed":5,"stop":["x"],"num_ctx":2048}})",
        GenerationDefaults(), lim, 1);
    ASSERT_TRUE(g.ok) << g.error.message;
    EXPECT_FALSE(g.parsed.stream);
    EXPECT_EQ(g.parsed.request.prompt_text.value_or(""), "Why is the sky blue?");
    EXPECT_EQ(g.parsed.request.max_new_tokens, 8);
    EXPECT_TRUE(g.parsed.request.sampling.greedy);
    EXPECT_EQ(g.parsed.request.stop, std::vector<std::string>{"x"});
    // With a chat template the prompt (and system) go through it, unless raw.
    lim.has_chat_template = true;
    g = parse_request(Api::ollama_generate, R"({"model":"m","prompt":"hi","system":"s"})",
                      GenerationDefaults(), lim, 1);
    ASSERT_TRUE(g.ok) << g.error.message;
    EXPECT_TRUE(g.parsed.stream);  // Ollama's default
    ASSERT_EQ(g.parsed.request.messages.size(), 2u);
    EXPECT_EQ(g.parsed.request.messages[0].role, "system");
    EXPECT_EQ(g.parsed.request.messages[1].content, "hi");
    g = parse_request(Api::ollama_generate, R"({"model":"m","prompt":"hi","raw":true})",
                      GenerationDefaults(), lim, 1);
    ASSERT_TRUE(g.ok);
    EXPECT_EQ(g.parsed.request.prompt_text.value_or(""), "hi");
    auto c = parse_request(
        Api::ollama_chat,
        R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[],"stream":true,)"
        R"("options":{"num_predict":-1,"top_k":20,"top_p":0.9,"temperature":0.7}})",
        GenerationDefaults(), lim, 1);
    ASSERT_TRUE(c.ok) << c.error.message;
    EXPECT_EQ(c.parsed.request.max_new_tokens, lim.default_max_tokens);
    EXPECT_EQ(c.parsed.request.sampling.top_k, 20);
    EXPECT_FALSE(c.parsed.request.sampling.greedy);
}

TEST(ApiProtocol, BadRequestsNameTheField) {
    struct Case {
        Api api;
        const char* body;
        const char* param;
    };
    const Case cases[] = {
        {Api::openai_completions, R"({"model":"m","prompt":"x","n":2})", "n"},
        {Api::openai_completions, R"({"model":"m","prompt":"x","echo":true})", "echo"},
        {Api::openai_completions, R"({"model":"m","prompt":"x","max_tokens":"ten"})", "max_tokens"},
        {Api::openai_completions, R"({"model":"m","prompt":"x","max_tokens":0})", "max_tokens"},
        {Api::openai_completions, R"({"model":"m","prompt":["a","b"]})", "prompt"},
        {Api::openai_completions, R"({"model":"m","prompt":[1,"x"]})", "prompt[1]"},
        {Api::openai_completions, R"({"model":"m"})", "prompt"},
        {Api::openai_completions, R"({"prompt":"x"})", "model"},
        {Api::openai_completions, R"({"model":"m","prompt":"x","temperature":3})", "temperature"},
        {Api::openai_completions, R"({"model":"m","prompt":"x","top_p":0})", "top_p"},
        {Api::openai_completions, R"({"model":"m","prompt":"x","stop":[1]})", "stop[0]"},
        {Api::openai_completions, R"({"model":"m","prompt":"x","logprobs":2})", "logprobs"},
        {Api::openai_chat, R"({"model":"m","messages":[]})", "messages"},
        {Api::openai_chat, R"({"model":"m","messages":[{"role":"tool","content":"x"}]})",
         "messages[0].role"},
        {Api::openai_chat,
         R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
         "messages[0].content[0].type"},
        {Api::openai_chat,
         R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream"},
        {Api::ollama_generate, R"({"model":"m","prompt":"x","format":"json"})", "format"},
        {Api::ollama_generate, R"({"model":"m","prompt":"x","options":{"num_predict":"a"}})",
         "options.num_predict"},
        {Api::ollama_chat,
         R"({"model":"m","messages":[{"role":"user","content":"x","images":["aGk="]}]})", "images"},
    };
    for (const Case& c : cases) {
        auto r = parse_request(c.api, c.body, GenerationDefaults(), ParseLimits(), 1);
        EXPECT_FALSE(r.ok) << c.body;
        EXPECT_EQ(r.error.status, 400) << c.body;
        EXPECT_EQ(r.error.param, c.param) << c.body << " -> " << r.error.message;
        EXPECT_NE(r.error.message.find(c.param), std::string::npos) << r.error.message;
    }
    for (const char* body : {"{", "[1]", "\"x\"", "{\"model\":1e400}", ""}) {
        auto r =
            parse_request(Api::openai_completions, body, GenerationDefaults(), ParseLimits(), 1);
        EXPECT_FALSE(r.ok) << body;
        EXPECT_EQ(r.error.status, 400);
    }
    ParseLimits lim;
    lim.max_tokens_limit = 100;
    auto r =
        parse_request(Api::openai_completions, R"({"model":"m","prompt":"x","max_tokens":101})",
                      GenerationDefaults(), lim, 1);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.code, "too_many_tokens");
}

// ---------------------------------------------------------------- over HTTP

TEST(HttpServer, ModelLists) {
    Fixture f;
    auto c = f.client();
    auto r = c.Get("/v1/models");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    json j = json::parse(r->body);
    EXPECT_EQ(j["object"], "list");
    ASSERT_EQ(j["data"].size(), 2u);
    EXPECT_EQ(j["data"][0]["id"], "tiny");
    EXPECT_EQ(j["data"][0]["object"], "model");
    EXPECT_EQ(j["data"][1]["id"], "sql");
    EXPECT_TRUE(j["data"][0]["created"].is_number_integer());
    EXPECT_TRUE(j["data"][0]["owned_by"].is_string());
    r = c.Get("/api/tags");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    j = json::parse(r->body);
    ASSERT_EQ(j["models"].size(), 2u);
    EXPECT_EQ(j["models"][0]["name"], "tiny:latest");
    EXPECT_EQ(j["models"][0]["model"], "tiny:latest");
    EXPECT_EQ(j["models"][1]["details"]["parent_model"], "tiny");
    for (const char* k : {"modified_at", "size", "digest", "details"})
        EXPECT_TRUE(j["models"][0].contains(k)) << k;
}

TEST(HttpServer, CompletionNotStreamed) {
    Fixture f;
    auto r = post(f, "/v1/completions",
                  {{"model", "tiny"},
                   {"prompt", "Say this is a test"},
                   {"max_tokens", 7},
                   {"temperature", 0}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["object"], "text_completion");
    EXPECT_EQ(j["id"].get<std::string>().rfind("cmpl-", 0), 0u);
    EXPECT_EQ(j["model"], "tiny");
    ASSERT_EQ(j["choices"].size(), 1u);
    EXPECT_EQ(j["choices"][0]["index"], 0);
    EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
    EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
    EXPECT_EQ(j["choices"][0]["text"], FakeBatcher::text_for(plain("Say this is a test", 7), 1000));
    EXPECT_EQ(j["usage"]["completion_tokens"], 7);
    EXPECT_EQ(j["usage"]["prompt_tokens"], 6);  // the fake's count: words + 1
    EXPECT_EQ(j["usage"]["total_tokens"], 13);
    // Token-id prompts and the adapter by model name.
    r = post(f, "/v1/completions", {{"model", "sql"}, {"prompt", {5, 6, 7}}, {"max_tokens", 3}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    infer::Request ids;
    ids.prompt_ids = {5, 6, 7};
    ids.max_new_tokens = 3;
    ids.adapter = "sql";
    EXPECT_EQ(json::parse(r->body)["choices"][0]["text"], FakeBatcher::text_for(ids, 1000));
    EXPECT_EQ(f.batcher->submitted().back().adapter, "sql");
    EXPECT_FALSE(json::parse(r->body)["choices"][0].contains("token_ids"));
    // vLLM's return_token_ids extension, unstreamed and streamed.
    r = post(
        f, "/v1/completions",
        {{"model", "sql"}, {"prompt", {5, 6, 7}}, {"max_tokens", 3}, {"return_token_ids", true}});
    ASSERT_TRUE(r);
    EXPECT_EQ(json::parse(r->body)["choices"][0]["token_ids"], FakeBatcher::tokens_for(ids, 1000));
    r = post(f, "/v1/completions",
             {{"model", "sql"},
              {"prompt", {5, 6, 7}},
              {"max_tokens", 3},
              {"stream", true},
              {"return_token_ids", true}});
    ASSERT_TRUE(r);
    std::vector<int64_t> streamed;
    for (const json& e : sse_events(r->body))
        if (e.is_object() && e["choices"][0].contains("token_ids"))
            for (const json& t : e["choices"][0]["token_ids"]) streamed.push_back(t.get<int64_t>());
    EXPECT_EQ(streamed, FakeBatcher::tokens_for(ids, 1000));
}

TEST(HttpServer, CompletionStreamWithUsage) {
    Fixture f;
    auto r = post(f, "/v1/completions",
                  {{"model", "tiny"},
                   {"prompt", "hello there"},
                   {"max_tokens", 5},
                   {"stream", true},
                   {"stream_options", {{"include_usage", true}}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/event-stream", 0), 0u);
    auto ev = sse_events(r->body);
    ASSERT_GE(ev.size(), 8u);  // 5 tokens, finish, usage, [DONE]
    EXPECT_EQ(ev.back(), "[DONE]");
    const json& usage = ev[ev.size() - 2];
    EXPECT_TRUE(usage["choices"].empty());
    EXPECT_EQ(usage["usage"]["completion_tokens"], 5);
    EXPECT_EQ(usage["usage"]["prompt_tokens"], 3);
    const json& fin = ev[ev.size() - 3];
    EXPECT_EQ(fin["choices"][0]["finish_reason"], "length");
    std::string text;
    for (size_t i = 0; i + 3 < ev.size(); ++i) {
        EXPECT_EQ(ev[i]["object"], "text_completion");
        EXPECT_TRUE(ev[i]["choices"][0]["finish_reason"].is_null());
        EXPECT_TRUE(ev[i].contains("usage") && ev[i]["usage"].is_null());
        text += ev[i]["choices"][0]["text"].get<std::string>();
    }
    EXPECT_EQ(text, FakeBatcher::text_for(plain("hello there", 5), 1000));
    // Without include_usage: no usage key, no usage chunk.
    r = post(f, "/v1/completions",
             {{"model", "tiny"}, {"prompt", "hello"}, {"max_tokens", 2}, {"stream", true}});
    ASSERT_TRUE(r);
    ev = sse_events(r->body);
    ASSERT_EQ(ev.size(), 4u);
    EXPECT_FALSE(ev[0].contains("usage"));
    EXPECT_EQ(ev[2]["choices"][0]["finish_reason"], "length");
}

TEST(HttpServer, ChatStreamRoleFirstAndStop) {
    Fixture f;
    const std::vector<ChatMessage> msgs = {{"system", "be brief"}, {"user", "hi"}};
    const auto toks = FakeBatcher::tokens_for(chat(msgs, 6), 1000);
    // openai-python: chat.completions.create(messages=..., model=..., stream=True,
    // stream_options={"include_usage": True}, stop=...)
    json body = {
        {"messages",
         {{{"role", "system"}, {"content", "be brief"}}, {{"role", "user"}, {"content", "hi"}}}},
        {"model", "tiny"},
        {"max_tokens", 6},
        {"stop", FakeBatcher::text_of(toks[3])},
        {"stream", true},
        {"stream_options", {{"include_usage", true}}}};
    auto r = post(f, "/v1/chat/completions", body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto ev = sse_events(r->body);
    ASSERT_GE(ev.size(), 4u);
    EXPECT_EQ(ev[0]["object"], "chat.completion.chunk");
    EXPECT_EQ(ev[0]["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(ev[0]["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
    std::string text;
    for (size_t i = 1; i + 3 < ev.size(); ++i) {
        EXPECT_FALSE(ev[i]["choices"][0]["delta"].contains("role"));
        text += ev[i]["choices"][0]["delta"]["content"].get<std::string>();
    }
    std::string want;
    for (int i = 0; i < 4; ++i) want += FakeBatcher::text_of(toks[static_cast<size_t>(i)]);
    EXPECT_EQ(text, want);  // ends at the stop string, its token kept (the core's rule)
    EXPECT_EQ(ev[ev.size() - 3]["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(ev[ev.size() - 2]["usage"]["completion_tokens"], 4);
    EXPECT_EQ(f.batcher->submitted().back().messages.size(), 2u);

    // Not streamed.
    body["stream"] = false;
    body.erase("stream_options");
    body["stop"] = nullptr;
    r = post(f, "/v1/chat/completions", body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["object"], "chat.completion");
    EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
    EXPECT_EQ(j["choices"][0]["message"]["content"], FakeBatcher::text_for(chat(msgs, 6), 1000));
    EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(j["usage"]["completion_tokens"], 6);
}

TEST(HttpServer, OllamaGenerateAndChat) {
    Fixture f;
    // Default stream = true: NDJSON lines, then the done line with counts and durations.
    auto r = post(f, "/api/generate",
                  {{"model", "tiny"},
                   {"prompt", "Why is the sky blue?"},
                   {"options", {{"num_predict", 4}, {"temperature", 0}}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type").rfind("application/x-ndjson", 0), 0u);
    auto lines = ndjson_lines(r->body);
    ASSERT_EQ(lines.size(), 5u);
    std::string text;
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(lines[i]["model"], "tiny");
        EXPECT_FALSE(lines[i]["done"].get<bool>());
        EXPECT_TRUE(lines[i]["created_at"].get<std::string>().find('T') != std::string::npos);
        text += lines[i]["response"].get<std::string>();
    }
    // The fake has no chat template: /api/generate's prompt is plain text.
    EXPECT_EQ(text, FakeBatcher::text_for(plain("Why is the sky blue?", 4), 1000));
    const json& done = lines.back();
    EXPECT_TRUE(done["done"].get<bool>());
    EXPECT_EQ(done["response"], "");
    EXPECT_EQ(done["done_reason"], "length");
    EXPECT_EQ(done["eval_count"], 4);
    EXPECT_EQ(done["prompt_eval_count"], 6);
    for (const char* k :
         {"total_duration", "load_duration", "prompt_eval_duration", "eval_duration"})
        EXPECT_TRUE(done[k].is_number_integer()) << k;
    EXPECT_GE(done["total_duration"].get<int64_t>(), done["eval_duration"].get<int64_t>());

    // ollama-python's chat(stream=False) body, model with the :latest tag.
    r = post(f, "/api/chat",
             json::parse(R"({"model":"sql:latest","messages":[{"role":"user","content":"hi"}],)"
                         R"("tools":[],"stream":false,"options":{"num_predict":3}})"));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["message"]["role"], "assistant");
    EXPECT_EQ(j["message"]["content"],
              FakeBatcher::text_for(chat({{"user", "hi"}}, 3, "sql"), 1000));
    EXPECT_TRUE(j["done"].get<bool>());
    EXPECT_EQ(j["done_reason"], "length");
    EXPECT_EQ(j["eval_count"], 3);
    // Streamed chat: message.content per line.
    r = post(f, "/api/chat",
             {{"model", "tiny"},
              {"messages", {{{"role", "user"}, {"content", "hi"}}}},
              {"options", {{"num_predict", 2}}}});
    ASSERT_TRUE(r);
    lines = ndjson_lines(r->body);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["message"]["content"],
              FakeBatcher::text_of(FakeBatcher::tokens_for(chat({{"user", "hi"}}, 2), 1000)[0]));
    EXPECT_TRUE(lines[2]["done"].get<bool>());
    // Empty prompt: the load answer, nothing generated.
    const size_t before = f.batcher->submitted().size();
    r = post(f, "/api/generate", {{"model", "tiny"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body)["done_reason"], "load");
    EXPECT_EQ(f.batcher->submitted().size(), before);
}

TEST(HttpServer, BadRequestsGetErrorObjectsAndServerKeepsServing) {
    ServeParams p;
    p.max_body_bytes = 4096;
    FakeBatcher::Options o;
    o.max_model_len = 64;
    Fixture f(p, o);
    struct Case {
        const char* path;
        std::string body;
        int status;
    };
    const std::vector<Case> cases = {
        {"/v1/completions", "{not json", 400},
        {"/v1/completions", R"({"model":"tiny","prompt":"x","max_tokens":"9"})", 400},
        {"/v1/completions", R"({"model":"nope","prompt":"x"})", 404},
        {"/v1/completions", R"({"model":"tiny","prompt":"x","n":3})", 400},
        {"/v1/completions", R"({"model":"tiny","prompt":"x","echo":true})", 400},
        {"/v1/completions", R"({"model":"tiny","prompt":"x","max_tokens":100})", 400},
        {"/v1/completions", R"({"model":"tiny","prompt":[5000]})", 400},
        {"/v1/chat/completions", R"({"model":"tiny","messages":"hi"})", 400},
        {"/v1/completions",
         std::string(R"({"model":"tiny","prompt":")") + std::string(8000, 'a') + "\"}", 413},
        {"/api/generate", R"({"model":"nope","prompt":"x"})", 404},
        {"/api/generate", "[]", 400},
        {"/api/chat",
         R"({"model":"tiny","messages":[{"role":"user"}],"options":{"temperature":"hot"}})", 400},
    };
    for (const Case& c : cases) {
        auto c2 = f.client();
        auto r = c2.Post(c.path, c.body, "application/json");
        ASSERT_TRUE(r) << c.path << " " << c.body.substr(0, 80);
        EXPECT_EQ(r->status, c.status) << c.body.substr(0, 80) << " -> " << r->body;
        json j = json::parse(r->body);
        ASSERT_TRUE(j.contains("error")) << r->body;
        if (std::string(c.path).rfind("/api/", 0) == 0) {
            EXPECT_TRUE(j["error"].is_string()) << r->body;
        } else {
            for (const char* k : {"message", "type", "param", "code"})
                EXPECT_TRUE(j["error"].contains(k)) << k << " in " << r->body;
            EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
        }
    }
    auto c3 = f.client();
    auto r = c3.Get("/v1/nothing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_TRUE(json::parse(r->body).contains("error"));
    // Still serving.
    r = post(f, "/v1/completions", {{"model", "tiny"}, {"prompt", "x"}, {"max_tokens", 2}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_GE(f.server->stats().requests_rejected, static_cast<int64_t>(cases.size()));
}

TEST(HttpServer, ApiKey) {
    ServeParams p;
    p.api_key = "sekrit";
    Fixture f(p);
    const json body = {{"model", "tiny"}, {"prompt", "x"}, {"max_tokens", 1}};
    for (const char* path : {"/v1/completions", "/api/generate"}) {
        auto r = post(f, path, body);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401) << path;
        EXPECT_TRUE(json::parse(r->body).contains("error"));
        r = post(f, path, body, {{"Authorization", "Bearer wrong"}});
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401) << path;
        json unstreamed = body;
        unstreamed["stream"] = false;
        r = post(f, path, unstreamed, {{"Authorization", "Bearer sekrit"}});
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << path << " " << r->body;
    }
    auto c = f.client();
    auto r = c.Get("/v1/models");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(json::parse(r->body)["error"]["code"], "invalid_api_key");
}

// Reads a stream and closes the connection after `keep` chunks.
void read_then_drop(const Fixture& f, const std::string& path, const json& body, int keep) {
    httplib::Client cli(f.host_port);
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
    int chunks = 0;
    req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++chunks < keep; };
    httplib::Response res;
    httplib::Error err;
    cli.send(req, res, err);
    cli.stop();
}

TEST(HttpServer, DisconnectMidStreamCancels) {
    FakeBatcher::Options o;
    o.step_seconds = 0.005;
    Fixture f(ServeParams(), o);
    for (const char* path : {"/v1/completions", "/api/generate"}) {
        const auto before = f.batcher->cancelled().size();
        read_then_drop(f, path,
                       {{"model", "tiny"},
                        {"prompt", "go on"},
                        {"max_tokens", 3000},
                        {"stream", true},
                        {"options", {{"num_predict", 3000}}}},
                       3);
        // 3000 tokens take 15 s; the cancel must come within a few steps of the close.
        const auto t0 = std::chrono::steady_clock::now();
        while (f.batcher->cancelled().size() == before &&
               std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        auto c = f.batcher->cancelled();
        ASSERT_EQ(c.size(), before + 1) << path;
        const int64_t produced = c.rbegin()->second;
        EXPECT_LT(produced, 200) << path << ": cancelled only after " << produced << " tokens";
        const auto t1 = std::chrono::steady_clock::now();
        while (f.server->stats().in_flight > 0 &&
               std::chrono::steady_clock::now() - t1 < std::chrono::seconds(5))
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        EXPECT_EQ(f.server->stats().in_flight, 0);
    }
    EXPECT_EQ(f.server->stats().requests_cancelled, 2);
    EXPECT_EQ(f.batcher->running_count(), 0);
}

// A client that goes away while its answer is not streamed (nothing is written before the
// end, so no write can fail): the connection is watched, and the request is cancelled within
// a few steps of the close instead of running its 3000 tokens (15 s) to the end.
TEST(HttpServer, DisconnectWhileANonStreamedAnswerWaitsCancels) {
    FakeBatcher::Options o;
    o.step_seconds = 0.005;
    Fixture f(ServeParams(), o);
    const json bodies[] = {
        {{"model", "tiny"}, {"prompt", "go on"}, {"max_tokens", 3000}},
        {{"model", "tiny"},
         {"prompt", "go on"},
         {"stream", false},
         {"options", {{"num_predict", 3000}}}},
        {{"model", "tiny"},
         {"messages", {{{"role", "user"}, {"content", "hi"}}}},
         {"max_tokens", 3000}},
    };
    const char* paths[] = {"/v1/completions", "/api/generate", "/v1/chat/completions"};
    for (int i = 0; i < 3; ++i) {
        const auto before = f.batcher->cancelled().size();
        const int fd = testing::send_post(f.server->url(), paths[i], bodies[i].dump());
        ASSERT_GE(fd, 0);
        // Running: the request is in the Batcher and producing tokens.
        for (int k = 0; k < 2000 && f.batcher->running_count() == 0; ++k)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ASSERT_EQ(f.batcher->running_count(), 1) << paths[i];
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ::close(fd);
        const auto t0 = std::chrono::steady_clock::now();
        while (f.batcher->cancelled().size() == before &&
               std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const double took =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        auto c = f.batcher->cancelled();
        ASSERT_EQ(c.size(), before + 1) << paths[i];
        // The watch polls every 50 ms: the cancel comes well within 1 s (200 fake steps).
        std::printf("%s: cancelled %.0f ms after the close, after %lld tokens\n", paths[i],
                    took * 1e3, static_cast<long long>(c.rbegin()->second));
        EXPECT_LT(took, 1.0) << paths[i];
        EXPECT_LT(c.rbegin()->second, 400) << paths[i];
        const auto t1 = std::chrono::steady_clock::now();
        while (f.server->stats().in_flight > 0 &&
               std::chrono::steady_clock::now() - t1 < std::chrono::seconds(5))
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        EXPECT_EQ(f.server->stats().in_flight, 0) << paths[i];
    }
    EXPECT_EQ(f.server->stats().requests_cancelled, 3);
    EXPECT_EQ(f.server->stats().requests_served, 0);
    EXPECT_EQ(f.batcher->running_count(), 0);
    // A client that stays gets its whole answer (the watch does not misread a live client).
    auto r = post(f, "/v1/completions", {{"model", "tiny"}, {"prompt", "x"}, {"max_tokens", 40}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body)["usage"]["completion_tokens"], 40);
    EXPECT_EQ(f.server->stats().requests_cancelled, 3);
}

TEST(HttpServer, ConcurrentStreams256) {
    ServeParams p;
    p.max_connections = 300;
    Fixture f(p);
    constexpr int kN = 256;
    std::vector<std::string> got(kN);
    std::vector<int> status(kN, 0);
    std::vector<std::thread> th;
    for (int i = 0; i < kN; ++i)
        th.emplace_back([&, i] {
            const bool ollama = i % 2;
            json body = ollama ? json{{"model", "tiny"},
                                      {"prompt", "p" + std::to_string(i)},
                                      {"options", {{"num_predict", 16}}}}
                               : json{{"model", "tiny"},
                                      {"prompt", "p" + std::to_string(i)},
                                      {"max_tokens", 16},
                                      {"stream", true}};
            auto r = post(f, ollama ? "/api/generate" : "/v1/completions", body);
            if (!r) {
                got[static_cast<size_t>(i)] = "no answer: " + httplib::to_string(r.error());
                return;
            }
            status[static_cast<size_t>(i)] = r->status;
            std::string text;
            if (ollama) {
                for (const json& l : ndjson_lines(r->body))
                    text += l["response"].get<std::string>();
            } else {
                for (const json& e : sse_events(r->body))
                    if (e.is_object()) text += e["choices"][0]["text"].get<std::string>();
            }
            got[static_cast<size_t>(i)] = text;
        });
    for (auto& t : th) t.join();
    for (int i = 0; i < kN; ++i) {
        ASSERT_EQ(status[static_cast<size_t>(i)], 200) << i << " " << got[static_cast<size_t>(i)];
        EXPECT_EQ(got[static_cast<size_t>(i)],
                  FakeBatcher::text_for(plain("p" + std::to_string(i), 16), 1000))
            << i;
    }
    const ServerStats s = f.server->stats();
    EXPECT_EQ(s.in_flight, 0);
    EXPECT_EQ(s.requests_served, kN);
    EXPECT_EQ(s.tokens_served, 16 * kN);
}

TEST(HttpServer, GracefulStop) {
    FakeBatcher::Options o;
    o.step_seconds = 0.005;
    Fixture f(ServeParams(), o);
    // A short request finishes within the grace period; a long one is cancelled after it.
    std::atomic<int> short_status{0};
    std::string long_body;
    std::thread a([&] {
        auto r =
            post(f, "/v1/completions", {{"model", "tiny"}, {"prompt", "x"}, {"max_tokens", 20}});
        if (r) short_status = r->status;
    });
    std::thread b([&] {
        auto r = post(f, "/api/generate",
                      {{"model", "tiny"}, {"prompt", "y"}, {"options", {{"num_predict", 3000}}}});
        if (r) long_body = r->body;
    });
    for (int i = 0; i < 2500 && f.server->stats().in_flight < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_EQ(f.server->stats().in_flight, 2);
    const auto t0 = std::chrono::steady_clock::now();
    f.server->stop(0.5);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    a.join();
    b.join();
    EXPECT_LT(took, 5.0);
    EXPECT_EQ(short_status.load(), 200);
    auto lines = ndjson_lines(long_body);
    ASSERT_FALSE(lines.empty());
    EXPECT_TRUE(lines.back().contains("error")) << lines.back().dump();  // ended by the server
    EXPECT_FALSE(f.server->running());
    auto c = f.client();
    c.set_connection_timeout(1, 0);
    EXPECT_FALSE(c.Get("/v1/models"));  // nothing listens any more
}

// `bench infer --server`'s client (core/infer/server_bench.h) against this server.
TEST(HttpServer, BenchInferClient) {
    ServeParams p;
    p.api_key = "k";
    Fixture f(p);
    for (const char* api : {"ollama", "openai", "openai-chat"}) {
        infer::ServerBenchParams sp;
        sp.url = f.server->url();
        sp.api = api;
        sp.model = "tiny";
        sp.api_key = "k";
        sp.prompts = {"one two three", "four five"};
        sp.batch_sizes = {1, 4};
        sp.max_new_tokens = 6;
        sp.warmup = 0;
        sp.repeats = 1;
        auto r = infer::run_server_bench(sp);
        ASSERT_TRUE(r.ok()) << api << ": " << r.error().message;
        const json& e = r.value();
        EXPECT_EQ(e["server"]["token_count"], "usage") << api;
        ASSERT_EQ(e["batches"].size(), 2u);
        for (const json& b : e["batches"])
            EXPECT_DOUBLE_EQ(b["tokens_per_request"]["median"].get<double>(), 6.0) << api;
        EXPECT_FALSE(e["batches"][0]["sample_text"].get<std::string>().empty());
    }
    // Without the key the client's error names the status.
    infer::ServerBenchParams sp;
    sp.url = f.server->url();
    sp.api = "openai";
    sp.model = "tiny";
    sp.prompts = {"x"};
    sp.max_new_tokens = 2;
    auto r = infer::run_server_bench(sp);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("401"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace tb::serve
