// `bench infer --server` (core/infer/server_bench.h) against an in-process cpp-httplib mock on
// 127.0.0.1 that imitates Ollama's NDJSON stream and OpenAI's SSE streams with a fixed delay
// before every chunk: token counts from usage/eval_count (the mock sends 2 tokens per chunk so
// a chunk count would be wrong), chunk order, TTFT and inter-chunk latency against the delay,
// the chunk-count fallback when stream_options is refused, B concurrent requests, the store
// record, and one-line errors for a refused port, HTTP 404 and a malformed stream line.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/infer/infer_bench.h"
#include "core/infer/infer_bench_record.h"
#include "core/store/store.h"

namespace {

using json = nlohmann::json;

constexpr int kDelayMs = 10;  // before every chunk, the first included
constexpr int64_t kNew = 12;  // max_new_tokens = chunks per stream

class MockServer {
  public:
    MockServer() {
        svr_.Post("/api/generate", [this](const httplib::Request& req, httplib::Response& res) {
            handle(req, res, "ollama");
        });
        svr_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
            handle(req, res, "openai");
        });
        svr_.Post("/v1/chat/completions",
                  [this](const httplib::Request& req, httplib::Response& res) {
                      handle(req, res, "openai-chat");
                  });
        port_ = svr_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { svr_.listen_after_bind(); });
        while (!svr_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~MockServer() {
        svr_.stop();
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int requests() const { return requests_; }
    int max_inflight() const { return max_inflight_; }
    json last_body() {
        std::lock_guard<std::mutex> lock(mu_);
        return last_body_;
    }

  private:
    void handle(const httplib::Request& req, httplib::Response& res, const std::string& api) {
        const json body = json::parse(req.body);
        {
            std::lock_guard<std::mutex> lock(mu_);
            last_body_ = body;
        }
        ++requests_;
        const std::string model = body.value("model", "");
        if (model == "missing") {
            res.status = 404;
            res.set_content(R"({"error":"model 'missing' not found, try pulling it first"})",
                            "application/json");
            return;
        }
        if (model == "nousage" && body.contains("stream_options")) {
            res.status = 400;
            res.set_content(R"({"error":"unknown field stream_options"})", "application/json");
            return;
        }
        const int64_t n = api == "ollama" ? body["options"]["num_predict"].get<int64_t>()
                                          : body["max_tokens"].get<int64_t>();
        const bool usage = body.contains("stream_options");
        const int now = ++inflight_;
        for (int m = max_inflight_; now > m && !max_inflight_.compare_exchange_weak(m, now);) {
        }
        res.set_chunked_content_provider(
            api == "ollama" ? "application/x-ndjson" : "text/event-stream",
            [this, api, n, model, usage](size_t, httplib::DataSink& sink) {
                auto put = [&](const std::string& s) { sink.write(s.data(), s.size()); };
                auto sse = [&](const json& j) { put("data: " + j.dump() + "\n\n"); };
                if (api == "openai-chat")  // the role chunk: no text, not a token
                    sse({{"choices", {{{"delta", {{"role", "assistant"}}}}}}});
                for (int64_t i = 0; i < n; ++i) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(kDelayMs));
                    if (model == "malformed" && i == 2) {
                        put(api == "ollama" ? "oops not json\n" : "data: {oops not json\n\n");
                        break;
                    }
                    const std::string text = "t" + std::to_string(i) + " ";
                    if (api == "ollama")
                        put(json{{"model", model}, {"response", text}, {"done", false}}.dump() +
                            "\n");
                    else if (api == "openai")
                        sse({{"choices", {{{"text", text}, {"index", 0}}}}});
                    else
                        sse({{"choices", {{{"delta", {{"content", text}}}, {"index", 0}}}}});
                }
                // 2 tokens per chunk in the server's own count.
                if (api == "ollama") {
                    put(json{{"response", ""},
                             {"done", true},
                             {"eval_count", 2 * n},
                             {"eval_duration", 500000000},
                             {"load_duration", 1000000},
                             {"prompt_eval_duration", 2000000}}
                            .dump() +
                        "\n");
                } else {
                    if (usage)
                        sse({{"choices", json::array()},
                             {"usage", {{"completion_tokens", 2 * n}}}});
                    put("data: [DONE]\n\n");
                }
                --inflight_;
                sink.done();
                return true;
            });
    }

    httplib::Server svr_;
    std::thread thread_;
    int port_ = 0;
    std::atomic<int> requests_{0}, inflight_{0}, max_inflight_{0};
    std::mutex mu_;
    json last_body_;
};

tb::infer::InferBenchParams params(const MockServer& s, const std::string& api,
                                   const std::string& model) {
    tb::infer::InferBenchParams p;
    p.engines = {};  // the server alone: no local model
    p.shape = tb::infer::bench_shape("tiny").value();
    p.batch_sizes = {1};
    p.prompt_len = 8;
    p.max_new_tokens = kNew;
    p.warmup = 1;
    p.repeats = 2;
    p.server_url = s.url();
    p.server_api = api;
    p.server_model = model;
    return p;
}

std::string expected_text() {
    std::string t;
    for (int64_t i = 0; i < kNew; ++i) t += "t" + std::to_string(i) + " ";
    return t;
}

// Timing checks: the mock sleeps kDelayMs before each chunk, so TTFT >= D and the median gap
// between chunks is D; the upper bound leaves 1.5 D of scheduling slack on a loaded 2-core
// machine, the lower 10% for timer granularity.
void check_timing(const json& b) {
    const double d = kDelayMs;
    EXPECT_GE(b["ttft_ms"]["min"].get<double>(), 0.9 * d);
    EXPECT_GE(b["itl_p50_ms"]["median"].get<double>(), 0.9 * d);
    EXPECT_LE(b["itl_p50_ms"]["median"].get<double>(), 2.5 * d);
    EXPECT_LE(b["itl_p50_ms"]["median"].get<double>(), b["itl_p90_ms"]["median"].get<double>());
    EXPECT_LE(b["itl_p90_ms"]["median"].get<double>(), b["itl_p99_ms"]["median"].get<double>());
    EXPECT_GE(b["e2e_s"]["min"].get<double>(), 0.9 * kNew * d / 1000.0);
}

TEST(ServerBench, OllamaNdjsonUsesEvalCount) {
    MockServer s;
    auto r = tb::infer::run_infer_bench(params(s, "ollama", "mock"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const json& out = *r;
    ASSERT_EQ(out["engines"].size(), 1u);
    const json& e = out["engines"][0];
    EXPECT_EQ(e["engine"], "server:ollama:mock");
    EXPECT_EQ(e["server"]["token_count"], "usage");
    EXPECT_TRUE(e["load"]["seconds"].is_null());
    const json& b = e["batches"][0];
    EXPECT_EQ(b["tokens_per_request"]["median"].get<double>(), 2.0 * kNew);  // eval_count
    EXPECT_EQ(b["sample_text"], expected_text());                            // order kept
    check_timing(b);
    // 2 kNew tokens over at least kNew delays.
    EXPECT_LE(b["tokens_per_s_request"]["max"].get<double>(), 2.0 / (0.9 * kDelayMs / 1000.0));
    // eval_count / eval_duration = 24 / 0.5 s.
    EXPECT_DOUBLE_EQ(b["server_eval_tokens_per_s"]["median"].get<double>(), 2.0 * kNew / 0.5);
    EXPECT_DOUBLE_EQ(b["server_load_duration_s"]["median"].get<double>(), 0.001);
    EXPECT_EQ(s.requests(), 1 + 3);  // probe + warm-up + 2 timed
    const json req = s.last_body();
    EXPECT_EQ(req["stream"], true);
    EXPECT_EQ(req["options"]["temperature"], 0);
    EXPECT_EQ(req["options"]["num_predict"], kNew);
    // The random shape has no tokenizer: one word per synthetic id.
    const std::string prompt = req["prompt"].get<std::string>();
    EXPECT_EQ(std::count(prompt.begin(), prompt.end(), ' '), 8 - 1) << prompt;
    EXPECT_NE(tb::infer::format_infer_bench(out).find("server:ollama:mock"), std::string::npos);
}

TEST(ServerBench, OpenAiCompletionsUsesUsage) {
    MockServer s;
    auto r = tb::infer::run_infer_bench(params(s, "openai", "mock"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const json& e = (*r)["engines"][0];
    EXPECT_EQ(e["engine"], "server:openai:mock");
    EXPECT_EQ(e["server"]["endpoint"], "/v1/completions");
    EXPECT_EQ(e["server"]["token_count"], "usage");
    const json& b = e["batches"][0];
    EXPECT_EQ(b["tokens_per_request"]["median"].get<double>(), 2.0 * kNew);
    EXPECT_EQ(b["sample_text"], expected_text());
    check_timing(b);
    const json req = s.last_body();
    EXPECT_EQ(req["max_tokens"], kNew);
    EXPECT_EQ(req["temperature"], 0);
    EXPECT_EQ(req["stream_options"]["include_usage"], true);
}

TEST(ServerBench, OpenAiChatWithoutUsageCountsChunks) {
    MockServer s;
    auto p = params(s, "openai-chat", "nousage");
    p.server_url += "/v1/";  // a client-style base URL works too
    auto r = tb::infer::run_infer_bench(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const json& e = (*r)["engines"][0];
    EXPECT_EQ(e["server"]["endpoint"], "/v1/chat/completions");
    EXPECT_EQ(e["server"]["token_count"], "chunks");
    const json& b = e["batches"][0];
    // The role-only chunk is neither a token nor the first token.
    EXPECT_EQ(b["tokens_per_request"]["median"].get<double>(), static_cast<double>(kNew));
    EXPECT_EQ(b["sample_text"], expected_text());
    check_timing(b);
    EXPECT_EQ(s.requests(), 2 + 3);  // refused probe, probe without usage, 3 runs
    EXPECT_FALSE(s.last_body().contains("stream_options"));
    EXPECT_NE(tb::infer::format_infer_bench(*r).find("streamed chunks"), std::string::npos);
}

TEST(ServerBench, BatchIsConcurrentRequests) {
    MockServer s;
    auto p = params(s, "ollama", "mock");
    p.batch_sizes = {4};
    p.warmup = 0;
    p.repeats = 1;
    auto r = tb::infer::run_infer_bench(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(s.requests(), 1 + 4);
    EXPECT_EQ(s.max_inflight(), 4);
    const json& b = (*r)["engines"][0]["batches"][0];
    EXPECT_EQ(b["requests"], 4);
    // Concurrent: the wall time is near one stream's (kNew delays), far from four in a row.
    EXPECT_LT(b["e2e_s"]["median"].get<double>(), 2.0 * kNew * kDelayMs / 1000.0);
    // Aggregate = 4 x 24 tokens over the wall time.
    EXPECT_NEAR(
        b["tokens_per_s_aggregate"]["median"].get<double>() * b["e2e_s"]["median"].get<double>(),
        4 * 2.0 * kNew, 1e-6);

    // The store keeps the server's row under its own name and gives it back.
    const std::string db = (std::filesystem::temp_directory_path() /
                            ("tb-server-bench-" + std::to_string(::getpid()) + ".db"))
                               .string();
    {
        auto st = tb::store::Store::open(db);
        ASSERT_TRUE(st.ok()) << st.error().message;
        auto rec = tb::infer::record_infer_bench(**st, *r, "tiny");
        ASSERT_TRUE(rec.ok()) << rec.error().message;
        EXPECT_EQ(rec.value().row_ids.size(), 1u);
        auto back = tb::infer::stored_infer_benches(**st);
        ASSERT_TRUE(back.ok());
        ASSERT_EQ(back.value().size(), 1u);
        const json& e = back.value()[0].result["engines"][0];
        EXPECT_EQ(e["engine"], "server:ollama:mock");
        EXPECT_TRUE(e["load"]["seconds"].is_null());
    }
    std::filesystem::remove(db);
}

TEST(ServerBench, ErrorsAreOneLineNamingTheUrl) {
    std::string refused_url;
    {
        MockServer gone;
        refused_url = gone.url();
    }  // stopped: nothing listens on that port now
    {
        tb::infer::InferBenchParams p;
        p.engines = {};
        p.shape = tb::infer::bench_shape("tiny").value();
        p.max_new_tokens = 4;
        p.server_url = refused_url;
        p.server_api = "ollama";
        p.server_model = "mock";
        auto r = tb::infer::run_infer_bench(p);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find(refused_url + "/api/generate: no answer"),
                  std::string::npos)
            << r.error().message;
    }
    MockServer s;
    for (const std::string api : {"ollama", "openai", "openai-chat"}) {
        auto r = tb::infer::run_infer_bench(params(s, api, "missing"));
        ASSERT_FALSE(r.ok()) << api;
        const std::string& m = r.error().message;
        EXPECT_NE(m.find(s.url()), std::string::npos) << m;
        EXPECT_NE(m.find("HTTP 404"), std::string::npos) << m;
        EXPECT_NE(m.find("not found"), std::string::npos) << m;
        EXPECT_EQ(m.find('\n'), std::string::npos) << m;

        auto bad = tb::infer::run_infer_bench(params(s, api, "malformed"));
        ASSERT_FALSE(bad.ok()) << api;
        EXPECT_NE(bad.error().message.find("malformed"), std::string::npos) << bad.error().message;
        EXPECT_NE(bad.error().message.find("oops not json"), std::string::npos)
            << bad.error().message;
        EXPECT_NE(bad.error().message.find(s.url()), std::string::npos) << bad.error().message;
    }
    auto p = params(s, "vllm", "mock");
    auto r = tb::infer::run_infer_bench(p);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("--api"), std::string::npos);
}

}  // namespace
