// `serve` end to end with the real Batcher (paged engine), fp32 on the CPU: greedy answers
// over HTTP - OpenAI completions (text and token ids), chat (streamed, with usage), Ollama
// generate and chat, an adapter chosen by model name, concurrent streams - equal the eager
// InferenceEngine's greedy completions of the same prompts.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/infer/inference.h"
#include "core/infer/server_bench.h"
#include "core/serve/http_server.h"
#include "tests/core/serve/raw_client.h"
#include "tests/test_paths.h"

namespace tb::serve {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A small random model with the Llama-2 vocabulary (the shared tokenizer applies).
LlamaConfig small_shape() {
    LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 64;
    c.intermediate_size = 128;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 16;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 512;
    c.eos_token_ids = {2};
    return c;
}

// The shared Llama-2 tokenizer with TinyLlama's chat template (tests/fixtures/tokenizer).
std::string tokenizer_dir() {
    const std::string dir = tbtest::scratch_dir("serve_e2e_tokenizer");
    fs::create_symlink(tbtest::shared_dir() + "/data/llama2-tokenizer.model",
                       fs::path(dir) / "tokenizer.model");
    std::ifstream in(fs::path(tbtest::fixtures_dir()) / "tokenizer" / "chat.json");
    const json fixture = json::parse(in);
    const json cfg = {{"chat_template", fixture["templates"]["tinyllama"]},
                      {"bos_token", "<s>"},
                      {"eos_token", "</s>"},
                      {"unk_token", "<unk>"},
                      {"add_bos_token", true},
                      {"add_eos_token", false},
                      {"legacy", false}};
    std::ofstream(fs::path(dir) / "tokenizer_config.json") << cfg.dump();
    return dir;
}

infer::EngineParams engine_params(const std::string& tok) {
    infer::EngineParams p;
    p.random_shape = small_shape();
    p.seed = 3;
    p.device = "cpu";
    p.dtype = "fp32";
    p.tokenizer = tok;
    return p;
}

std::unique_ptr<HttpServer> start_server(const infer::EngineParams& ep,
                                         std::vector<std::pair<std::string, std::string>> adapters,
                                         const std::string& name) {
    ServeParams p;
    p.port = 0;
    p.max_connections = 32;
    p.batcher.engine = ep;
    p.batcher.engine.engine = "paged";
    p.batcher.adapters = std::move(adapters);
    p.batcher.model_name = name;
    p.batcher.kv_cache_bytes = 32 << 20;
    auto s = HttpServer::start(p);
    if (!s.ok()) throw std::runtime_error(s.error().message);
    return std::move(s).value();
}

infer::Completion greedy(infer::InferenceEngine& e, infer::Request r) {
    r.sampling.greedy = true;
    auto out = e.generate({r});
    if (!out.ok()) throw std::runtime_error(out.error().message);
    return out.value().front();
}

json post(const HttpServer& s, const std::string& path, const json& body) {
    httplib::Client c(s.url());
    c.set_read_timeout(120, 0);
    auto r = c.Post(path.c_str(), body.dump(), "application/json");
    if (!r) throw std::runtime_error(path + ": no answer");
    if (r->status != 200) throw std::runtime_error(path + ": " + r->body);
    return {{"body", r->body}, {"type", r->get_header_value("Content-Type")}};
}

// Text and completion-token count of an answer, streamed or not.
std::pair<std::string, int64_t> answer(const json& reply) {
    const std::string body = reply["body"];
    const std::string type = reply["type"];
    std::string text;
    int64_t tokens = -1;
    if (type.rfind("text/event-stream", 0) == 0) {
        for (size_t pos = 0, end; (end = body.find("\n\n", pos)) != std::string::npos;
             pos = end + 2) {
            const std::string payload = body.substr(pos + 6, end - pos - 6);
            if (payload == "[DONE]") break;
            const json j = json::parse(payload);
            if (j.contains("usage") && j["usage"].is_object())
                tokens = j["usage"]["completion_tokens"];
            if (j["choices"].empty()) continue;
            const json& c = j["choices"][0];
            if (c.contains("delta"))
                text += c["delta"].value("content", std::string());
            else
                text += c["text"].get<std::string>();
        }
    } else if (type.rfind("application/x-ndjson", 0) == 0) {
        for (size_t pos = 0, end; (end = body.find('\n', pos)) != std::string::npos;
             pos = end + 1) {
            const json j = json::parse(body.substr(pos, end - pos));
            text += j.contains("message") ? j["message"]["content"].get<std::string>()
                                          : j["response"].get<std::string>();
            if (j["done"].get<bool>()) tokens = j["eval_count"];
        }
    } else {
        const json j = json::parse(body);
        if (j.contains("choices")) {
            const json& c = j["choices"][0];
            text = c.contains("message") ? c["message"]["content"].get<std::string>()
                                         : c["text"].get<std::string>();
            tokens = j["usage"]["completion_tokens"];
        } else {
            text = j.contains("message") ? j["message"]["content"].get<std::string>()
                                         : j["response"].get<std::string>();
            tokens = j["eval_count"];
        }
    }
    return {text, tokens};
}

TEST(ServeE2E, GreedyAnswersEqualTheEngine) {
    const std::string tok = tokenizer_dir();
    const auto ep = engine_params(tok);
    auto engine = infer::InferenceEngine::load(ep);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    auto server = start_server(ep, {}, "small");

    struct Case {
        std::string path;
        json body;
        infer::Request req;
    };
    std::vector<Case> cases;
    auto text_req = [](const std::string& t, int64_t n) {
        infer::Request r;
        r.prompt_text = t;
        r.max_new_tokens = n;
        return r;
    };
    auto chat_req = [](std::vector<ChatMessage> m, int64_t n) {
        infer::Request r;
        r.messages = std::move(m);
        r.max_new_tokens = n;
        return r;
    };
    cases.push_back({"/v1/completions",
                     {{"model", "small"},
                      {"prompt", "The capital of France is"},
                      {"max_tokens", 12},
                      {"temperature", 0}},
                     text_req("The capital of France is", 12)});
    {
        infer::Request r;
        r.prompt_ids = {1, 450, 7483, 310, 3444, 338};
        r.max_new_tokens = 10;
        cases.push_back({"/v1/completions",
                         {{"model", "small"},
                          {"prompt", r.prompt_ids},
                          {"max_tokens", 10},
                          {"temperature", 0},
                          {"stream", true},
                          {"stream_options", {{"include_usage", true}}}},
                         r});
    }
    const std::vector<ChatMessage> msgs = {{"system", "You answer briefly."},
                                           {"user", "Name a colour."}};
    cases.push_back({"/v1/chat/completions",
                     {{"model", "small"},
                      {"messages",
                       {{{"role", "system"}, {"content", "You answer briefly."}},
                        {{"role", "user"}, {"content", "Name a colour."}}}},
                      {"max_tokens", 9},
                      {"temperature", 0},
                      {"stream", true},
                      {"stream_options", {{"include_usage", true}}}},
                     chat_req(msgs, 9)});
    cases.push_back({"/api/generate",
                     {{"model", "small"},
                      {"prompt", "Name a colour."},
                      {"system", "You answer briefly."},
                      {"options", {{"temperature", 0}, {"num_predict", 7}}}},
                     chat_req(msgs, 7)});
    cases.push_back({"/api/generate",
                     {{"model", "small:latest"},
                      {"prompt", "Once upon a time"},
                      {"raw", true},
                      {"stream", false},
                      {"options", {{"temperature", 0}, {"num_predict", 8}}}},
                     text_req("Once upon a time", 8)});
    cases.push_back({"/api/chat",
                     {{"model", "small"},
                      {"messages", {{{"role", "user"}, {"content", "Name a colour."}}}},
                      {"options", {{"temperature", 0}, {"num_predict", 6}}}},
                     chat_req({{"user", "Name a colour."}}, 6)});
    for (const Case& c : cases) {
        SCOPED_TRACE(c.path + " " + c.body.dump());
        const infer::Completion want = greedy(**engine, c.req);
        const auto [text, tokens] = answer(post(*server, c.path, c.body));
        EXPECT_EQ(text, want.text);
        EXPECT_EQ(tokens, static_cast<int64_t>(want.ids.size()));
    }

    // Concurrent streams share the batch; each still gets its own greedy answer.
    constexpr int kN = 8;
    std::vector<std::string> got(kN), want(kN);
    std::vector<std::thread> th;
    for (int i = 0; i < kN; ++i) {
        const std::string prompt = "Story number " + std::to_string(i) + ":";
        want[static_cast<size_t>(i)] = greedy(**engine, text_req(prompt, 12)).text;
        th.emplace_back([&, i, prompt] {
            try {
                got[static_cast<size_t>(i)] =
                    answer(post(*server, i % 2 ? "/api/generate" : "/v1/completions",
                                {{"model", "small"},
                                 {"prompt", prompt},
                                 {"raw", true},
                                 {"max_tokens", 12},
                                 {"temperature", 0},
                                 {"stream", true},
                                 {"options", {{"temperature", 0}, {"num_predict", 12}}}}))
                        .first;
            } catch (const std::exception& e) {
                got[static_cast<size_t>(i)] = std::string("error: ") + e.what();
            }
        });
    }
    for (auto& t : th) t.join();
    for (int i = 0; i < kN; ++i)
        EXPECT_EQ(got[static_cast<size_t>(i)], want[static_cast<size_t>(i)]) << i;
    server->stop(1);
}

TEST(ServeE2E, AdapterByModelName) {
    // The HF fixture (no tokenizer: prompts are token ids) and its PEFT adapter.
    const std::string dir = tbtest::fixtures_dir() + "/llama/gqa_untied";
    infer::EngineParams ep;
    ep.model_dir = dir;
    ep.device = "cpu";
    ep.dtype = "fp32";
    auto engine = infer::InferenceEngine::load(ep);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    ASSERT_TRUE((*engine)->load_adapter("lora", dir + "_adapter").ok());
    auto server = start_server(ep, {{"lora", dir + "_adapter"}}, "base");
    infer::Request r;
    r.prompt_ids = {1, 5, 9, 17, 33};
    r.max_new_tokens = 10;
    r.min_new_tokens = 10;
    for (const std::string model : {"base", "lora"}) {
        SCOPED_TRACE(model);
        infer::Request q = r;
        q.adapter = model == "base" ? "" : "lora";
        const infer::Completion want = greedy(**engine, q);
        const json reply = post(*server, "/v1/completions",
                                {{"model", model},
                                 {"prompt", r.prompt_ids},
                                 {"max_tokens", 10},
                                 {"min_tokens", 10},
                                 {"temperature", 0},
                                 {"return_token_ids", true}});
        const json j = json::parse(reply["body"].get<std::string>());
        EXPECT_EQ(j["choices"][0]["token_ids"].get<std::vector<int64_t>>(), want.ids);
        EXPECT_EQ(j["usage"]["completion_tokens"], static_cast<int64_t>(want.ids.size()));
        EXPECT_EQ(j["usage"]["prompt_tokens"], 5);
    }
    // The adapter matters (otherwise the comparison above would not tell them apart).
    infer::Request base = r, lora = r;
    lora.adapter = "lora";
    EXPECT_NE(greedy(**engine, base).ids, greedy(**engine, lora).ids);
    server->stop(1);
}

// 256 concurrent streams over loopback through `bench infer`'s own HTTP client, against the
// real paged engine: every stream ends with its tokens, the Batcher ran them together (far
// fewer forward steps than requests x tokens) and its pool is free again afterwards.
TEST(ServeE2E, Concurrent256StreamsThroughBenchInferClient) {
    const std::string tok = tokenizer_dir();
    ServeParams p;
    p.port = 0;
    p.max_connections = 300;
    p.batcher.engine = engine_params(tok);
    p.batcher.engine.engine = "paged";
    p.batcher.model_name = "small";
    p.batcher.kv_cache_bytes = 32 << 20;
    auto started = HttpServer::start(p);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& server = *started;
    constexpr int kN = 256, kTokens = 8;
    for (const char* api : {"openai", "ollama"}) {
        SCOPED_TRACE(api);
        const BatcherStats before = server->stats().batcher;
        infer::ServerBenchParams sp;
        sp.url = server->url();
        sp.api = api;
        sp.model = "small";
        for (int i = 0; i < kN; ++i) sp.prompts.push_back("Story number " + std::to_string(i));
        sp.batch_sizes = {kN};
        sp.max_new_tokens = kTokens;
        sp.warmup = 0;
        sp.repeats = 1;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = infer::run_server_bench(sp);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ASSERT_TRUE(r.ok()) << r.error().message;
        const json& b = r.value()["batches"][0];
        EXPECT_EQ(b["requests"].get<int64_t>(), kN) << b.dump();
        EXPECT_LE(b["tokens_per_request"]["max"].get<double>(), kTokens) << b.dump();
        EXPECT_GE(b["tokens_per_request"]["min"].get<double>(), 1) << b.dump();
        const BatcherStats after = server->stats().batcher;
        const int64_t requests = after.requests_finished - before.requests_finished;
        const int64_t steps = after.steps - before.steps;
        std::printf("%s: %d concurrent streams in %.2f s, %lld forward steps for %lld requests\n",
                    api, kN, s, static_cast<long long>(steps), static_cast<long long>(requests));
        EXPECT_EQ(requests, kN + 1);  // and the client's probe request
        // Batched: one step serves many streams (one request at a time would take >= 9 steps
        // each).
        EXPECT_LT(steps, kN);
        EXPECT_EQ(after.kv_blocks_used, 0);
        // A handler counts its request out after the client has read the last byte.
        for (int i = 0; i < 5000 && server->stats().in_flight > 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        EXPECT_EQ(server->stats().in_flight, 0);
    }
    server->stop(1);
}

// Clients that go away before their answer is written (issue 12: "a client that disconnects
// frees its KV blocks at once"): two requests queued behind a long one (max_num_seqs 1) and the
// long non-streamed one itself. Each closed connection is noticed while its answer waits, the
// queued ones leave the queue while the long one keeps running, and when the long one's client
// goes the pool is full again at once (long before its 4000 tokens).
TEST(ServeE2E, ClientsGoneWhileQueuedOrUnstreamedFreeTheirPlaceAndBlocks) {
    LlamaConfig shape = small_shape();
    shape.max_position_embeddings = 4096;
    ServeParams p;
    p.port = 0;
    p.max_connections = 8;
    p.batcher.engine.random_shape = shape;
    p.batcher.engine.seed = 3;
    p.batcher.engine.device = "cpu";
    p.batcher.engine.dtype = "fp32";
    p.batcher.model_name = "small";
    p.batcher.kv_cache_bytes = 32 << 20;
    p.batcher.max_num_seqs = 1;
    auto started = HttpServer::start(p);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& server = *started;
    auto batcher_stats = [&] { return server->stats().batcher; };
    auto wait_for = [](const std::function<bool()>& ok, double seconds) {
        const auto end = std::chrono::steady_clock::now() +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(seconds));
        while (!ok() && std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return ok();
    };
    const int64_t total = batcher_stats().kv_blocks_total;
    ASSERT_GT(total, 0);
    const std::vector<int64_t> prompt = {1, 450, 7483, 310, 3444, 338, 263, 4955};
    auto body = [&](int64_t n, bool stream) {
        return json{{"model", "small"}, {"prompt", prompt}, {"max_tokens", n},
                    {"min_tokens", n},  {"temperature", 0}, {"stream", stream}}
            .dump();
    };
    const int a = testing::send_post(server->url(), "/v1/completions", body(4000, false));
    ASSERT_GE(a, 0);
    ASSERT_TRUE(wait_for([&] { return batcher_stats().tokens_generated > 0; }, 10));
    const int b = testing::send_post(server->url(), "/v1/completions", body(16, true));
    const int c = testing::send_post(server->url(), "/v1/completions", body(16, false));
    ASSERT_GE(b, 0);
    ASSERT_GE(c, 0);
    ASSERT_TRUE(wait_for([&] { return batcher_stats().waiting == 2; }, 5));
    ::close(b);
    ::close(c);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(wait_for([&] { return batcher_stats().waiting == 0; }, 5));
    const double queued_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(batcher_stats().running, 1);  // the long one goes on
    EXPECT_TRUE(wait_for([&] { return server->stats().requests_cancelled == 2; }, 5))
        << "cancelled " << server->stats().requests_cancelled << ", in flight "
        << server->stats().in_flight << ", rejected " << server->stats().requests_rejected
        << ", served " << server->stats().requests_served;
    // The long request holds several blocks (at least 100 tokens in) when its client goes.
    ASSERT_TRUE(wait_for([&] { return batcher_stats().tokens_generated >= 100; }, 60));
    const BatcherStats mid = batcher_stats();
    EXPECT_GT(mid.kv_blocks_used, 100 / 16);
    ::close(a);
    t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(wait_for([&] { return batcher_stats().kv_blocks_used == 0; }, 5));
    const double freed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const BatcherStats end = batcher_stats();
    std::printf(
        "queued requests left the queue %.0f ms after their clients closed; the long request's "
        "%lld blocks were free %.0f ms after its client closed, after %lld of 4000 tokens\n",
        queued_ms, static_cast<long long>(mid.kv_blocks_used), freed_ms,
        static_cast<long long>(end.tokens_generated));
    EXPECT_LT(queued_ms, 1000);
    EXPECT_LT(freed_ms, 1000);
    EXPECT_EQ(end.running, 0);
    EXPECT_EQ(end.kv_blocks_total - end.kv_blocks_used, total);  // every block free
    EXPECT_LT(end.tokens_generated, 4000);                       // cancelled, not run to its end
    EXPECT_TRUE(wait_for([&] { return server->stats().in_flight == 0; }, 5));
    EXPECT_EQ(server->stats().requests_cancelled, 3);
    EXPECT_EQ(server->stats().requests_served, 0);
    // The server goes on serving.
    const auto [text, tokens] = answer(post(*server, "/v1/completions",
                                            {{"model", "small"},
                                             {"prompt", prompt},
                                             {"max_tokens", 5},
                                             {"min_tokens", 5},
                                             {"temperature", 0}}));
    EXPECT_EQ(tokens, 5);
    server->stop(1);
}

}  // namespace
}  // namespace tb::serve
