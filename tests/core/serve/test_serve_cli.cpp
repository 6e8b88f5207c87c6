// `tunebench-cli serve` as a process (issue 12: "SIGTERM stops gracefully"): started on random
// weights (--shape tiny, no tokenizer: prompts as token ids) on a free port, it prints its URL;
// a stream is running when SIGTERM arrives; from then on new generation requests get 503, the
// running stream gets its --grace period and ends with all its tokens, and the process exits 0
// after printing what it served. A second server whose stream outlives --grace 0.3 s ends that
// stream with an error event (cancelled by the server) and exits 0 as well.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/test_paths.h"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Served {
    pid_t pid = -1;
    std::string dir, url;
};

// Starts serve, waits for "serving ... at URL" on its stdout.
Served start(const std::string& name, double grace) {
    Served s;
    s.dir = tbtest::scratch_dir(name);
    std::fflush(stdout);
    s.pid = ::fork();
    if (s.pid == 0) {
        if (!std::freopen((s.dir + "/stdout.txt").c_str(), "w", stdout) ||
            !std::freopen((s.dir + "/stderr.txt").c_str(), "w", stderr))
            ::_exit(126);
        const std::string g = std::to_string(grace);
        ::execl(TB_CLI_PATH, TB_CLI_PATH, "serve", "--shape", "tiny", "--device", "cpu", "--dtype",
                "fp32", "--port", "0", "--kv-cache-mb", "64", "--grace", g.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    const std::regex at("at (http://127\\.0\\.0\\.1:[0-9]+)");
    const auto end = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < end && s.url.empty()) {
        std::smatch m;
        const std::string out = slurp(s.dir + "/stdout.txt");
        if (std::regex_search(out, m, at)) s.url = m[1];
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return s;
}

// A streamed completion of `n` tokens; `first` is set once its first bytes arrive.
std::thread stream(const Served& s, int n, std::atomic<bool>* first, std::string* body) {
    return std::thread([&s, n, first, body] {
        httplib::Client c(s.url);
        c.set_read_timeout(60, 0);
        httplib::Request req;
        req.method = "POST";
        req.path = "/v1/completions";
        req.set_header("Content-Type", "application/json");
        req.body = json{{"model", "random"},
                        {"prompt", {1, 450, 7483, 310}},
                        {"max_tokens", n},
                        {"min_tokens", n},
                        {"temperature", 0},
                        {"stream", true},
                        // No tokenizer: tokens have no text, and only their ids make chunks.
                        {"return_token_ids", true},
                        {"stream_options", {{"include_usage", true}}}}
                       .dump();
        req.content_receiver = [&](const char* d, size_t len, uint64_t, uint64_t) {
            body->append(d, len);
            *first = true;
            return true;
        };
        httplib::Response res;
        httplib::Error err;
        c.send(req, res, err);
    });
}

int wait_exit(pid_t pid, double seconds, double* took) {
    const auto t0 = Clock::now();
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (Clock::now() - t0 > std::chrono::duration<double>(seconds)) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    *took = std::chrono::duration<double>(Clock::now() - t0).count();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(ServeCli, SigtermLetsTheRunningStreamFinishThenExits) {
    Served s = start("serve_cli_sigterm", 30);
    ASSERT_FALSE(s.url.empty()) << slurp(s.dir + "/stderr.txt");
    std::atomic<bool> first{false};
    std::string body;
    std::thread t = stream(s, 600, &first, &body);
    for (int i = 0; i < 6000 && !first; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!first) {
        ::kill(s.pid, SIGKILL);
        ::waitpid(s.pid, nullptr, 0);
        t.join();
        FAIL() << "no chunk of the stream within 30 s: " << slurp(s.dir + "/stderr.txt");
    }
    ASSERT_EQ(::kill(s.pid, SIGTERM), 0);
    // Stopping: a new generation request is refused with 503 and the API's error object.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    httplib::Client c(s.url);
    auto r = c.Post("/v1/completions", R"({"model":"random","prompt":[1,2],"max_tokens":2})",
                    "application/json");
    double took = 0;
    const int code = wait_exit(s.pid, 60, &took);
    t.join();
    ASSERT_TRUE(r) << "the server stopped listening before the running stream ended";
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_TRUE(json::parse(r->body).contains("error"));
    EXPECT_EQ(code, 0) << slurp(s.dir + "/stderr.txt");
    // The running stream ended normally with all its tokens.
    EXPECT_NE(body.find("\"finish_reason\":\"length\""), std::string::npos) << body;
    EXPECT_NE(body.find("\"completion_tokens\":600"), std::string::npos) << body;
    EXPECT_NE(body.find("data: [DONE]"), std::string::npos);
    const std::string err = slurp(s.dir + "/stderr.txt");
    EXPECT_NE(err.find("serve: stopping (1 in flight"), std::string::npos) << err;
    EXPECT_NE(err.find("serve: stopped: 1 requests served (600 tokens), 1 rejected"),
              std::string::npos)
        << err;
    std::printf("exited %.2f s after SIGTERM\n", took);
}

TEST(ServeCli, SigtermCancelsAStreamThatOutlivesTheGrace) {
    Served s = start("serve_cli_grace", 0.3);
    ASSERT_FALSE(s.url.empty()) << slurp(s.dir + "/stderr.txt");
    std::atomic<bool> first{false};
    std::string body;
    // 2000 tokens take far longer than 0.3 s on the CPU.
    std::thread t = stream(s, 2000, &first, &body);
    for (int i = 0; i < 6000 && !first; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!first) {
        ::kill(s.pid, SIGKILL);
        ::waitpid(s.pid, nullptr, 0);
        t.join();
        FAIL() << "no chunk of the stream within 30 s: " << slurp(s.dir + "/stderr.txt");
    }
    ASSERT_EQ(::kill(s.pid, SIGTERM), 0);
    double took = 0;
    const int code = wait_exit(s.pid, 30, &took);
    t.join();
    EXPECT_EQ(code, 0) << slurp(s.dir + "/stderr.txt");
    EXPECT_LT(took, 10.0);
    // The stream's last event says the server ended it.
    EXPECT_EQ(body.find("\"completion_tokens\":2000"), std::string::npos);
    EXPECT_NE(body.find("\"error\""), std::string::npos)
        << body.substr(body.size() > 400 ? body.size() - 400 : 0);
    std::printf("exited %.2f s after SIGTERM (grace 0.3 s)\n", took);
}

// `bench infer --engines paged --concurrency 1,8` (issue 12): the paged engine measured at each
// concurrency, every request's tokens counted (aggregate tokens/s x wall = rows x tokens; the
// benchmark asks for min_new_tokens = max_new_tokens, so EOS cannot end a row early).
TEST(ServeCli, BenchInferPagedConcurrency) {
    const std::string dir = tbtest::scratch_dir("serve_cli_bench_paged");
    const std::string cmd = std::string("'") + TB_CLI_PATH +
                            "' bench infer --shape tiny --engines paged --concurrency 1,8 "
                            "--prompts 8 --prompt-len 8 --max-new-tokens 4 --warmup 0 "
                            "--repeats 1 --device cpu --json 2>'" +
                            dir + "/stderr.txt'";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_TRUE(p);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = ::pclose(p);
    ASSERT_EQ(status, 0) << out << slurp(dir + "/stderr.txt");
    const json j = json::parse(out);
    ASSERT_EQ(j["engines"].size(), 1u);
    const json& e = j["engines"][0];
    EXPECT_EQ(e["engine"], "paged");
    ASSERT_EQ(e["batches"].size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        const json& b = e["batches"][i];
        const int64_t rows = i == 0 ? 1 : 8;
        EXPECT_EQ(b["batch"].get<int64_t>(), rows);
        const double wall = b["e2e_s"]["median"].get<double>();
        const double agg = b["tokens_per_s_aggregate"]["median"].get<double>();
        // e2e_s is the wall time and the aggregate tokens / wall: their product is the token
        // count, up to double rounding.
        EXPECT_NEAR(agg * wall, rows * 4.0, rows * 4.0 * 1e-9) << b.dump();
    }
}

}  // namespace
