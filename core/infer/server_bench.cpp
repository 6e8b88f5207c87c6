#include "core/infer/server_bench.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "core/infer/bench_stats.h"

namespace tb::infer {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

using bench_stats::figure;
using bench_stats::percentile;

// A string field, or "" when absent or not a string (chat deltas carry "content": null).
std::string str_field(const json& j, const char* key) {
    if (!j.is_object()) return {};
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The first 200 characters of what a server sent, on one line (error messages stay one line).
std::string excerpt(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 200)) out += (c == '\n' || c == '\r') ? ' ' : c;
    if (s.size() > 200) out += "...";
    return out;
}

struct Target {
    std::string url;               // as given, for messages
    std::string scheme_host_port;  // httplib::Client's
    std::string path;              // endpoint with the URL's prefix
    std::string api;
    std::string model;
};

// One streamed request as seen by the client.
struct Reply {
    std::vector<double> chunk_s;  // seconds since the request was sent, per non-empty chunk
    double e2e_s = 0;
    int64_t usage_tokens = -1;  // the server's own count (-1: none)
    std::string text;
    json stats;  // Ollama's final line
};

// Parses one stream line; returns an error text on a line that is not the API's.
struct StreamState {
    bool done = false;
    std::string error;
};

void handle_line(const Target& t, std::string line, double now, Reply& r, StreamState& s) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return;
    const std::string what = t.url + t.path;
    json j;
    if (t.api == "ollama") {
        try {
            j = json::parse(line);
        } catch (const std::exception&) {
            s.error = what + ": malformed stream line (not JSON): '" + excerpt(line) + "'";
            return;
        }
        if (!j.is_object()) {
            s.error = what + ": malformed stream line (not an object): '" + excerpt(line) + "'";
            return;
        }
        if (j.contains("error")) {
            s.error = what + ": server error in the stream: " + excerpt(j["error"].dump());
            return;
        }
        const std::string text = str_field(j, "response");
        if (!text.empty()) {
            r.chunk_s.push_back(now);
            r.text += text;
        }
        if (j.value("done", false)) {
            s.done = true;
            if (j.contains("eval_count") && j["eval_count"].is_number_integer())
                r.usage_tokens = j["eval_count"].get<int64_t>();
            r.stats = j;
        }
        return;
    }
    // SSE: "data: ..." events; comments (":...") and other fields are allowed and ignored.
    if (line[0] == ':' || line.rfind("event:", 0) == 0 || line.rfind("id:", 0) == 0 ||
        line.rfind("retry:", 0) == 0)
        return;
    if (line.rfind("data:", 0) != 0) {
        s.error = what + ": malformed SSE line (no 'data:'): '" + excerpt(line) + "'";
        return;
    }
    std::string payload = line.substr(5);
    while (!payload.empty() && payload.front() == ' ') payload.erase(0, 1);
    if (payload == "[DONE]") {
        s.done = true;
        return;
    }
    try {
        j = json::parse(payload);
    } catch (const std::exception&) {
        s.error = what + ": malformed SSE data (not JSON): '" + excerpt(payload) + "'";
        return;
    }
    if (!j.is_object()) {
        s.error = what + ": malformed SSE data (not an object): '" + excerpt(payload) + "'";
        return;
    }
    if (j.contains("error")) {
        s.error = what + ": server error in the stream: " + excerpt(j["error"].dump());
        return;
    }
    if (j.contains("choices") && j["choices"].is_array() && !j["choices"].empty()) {
        const json& c = j["choices"][0];
        const std::string text = t.api == "openai-chat"
                                     ? str_field(c.value("delta", json::object()), "content")
                                     : str_field(c, "text");
        if (!text.empty()) {
            r.chunk_s.push_back(now);
            r.text += text;
        }
    }
    if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("completion_tokens") &&
        j["usage"]["completion_tokens"].is_number())
        r.usage_tokens = j["usage"]["completion_tokens"].get<int64_t>();
}

json request_body(const Target& t, const std::string& prompt, int64_t max_new, bool usage) {
    if (t.api == "ollama")
        return {{"model", t.model},
                {"prompt", prompt},
                {"stream", true},
                {"raw", true},  // the prompt as is, like the engines' token ids
                {"options", {{"temperature", 0}, {"num_predict", max_new}}}};
    json b = {{"model", t.model}, {"max_tokens", max_new}, {"temperature", 0}, {"stream", true}};
    if (t.api == "openai-chat")
        b["messages"] = json::array({{{"role", "user"}, {"content", prompt}}});
    else
        b["prompt"] = prompt;
    if (usage) b["stream_options"] = {{"include_usage", true}};
    return b;
}

// One request; `status`/`body` report a non-200 answer so that the caller can retry.
Result<Reply> stream_one(const Target& t, const ServerBenchParams& p, const std::string& prompt,
                         bool usage, int* status_out = nullptr, std::string* body_out = nullptr) {
    httplib::Client cli(t.scheme_host_port);
    const auto secs = [](double s) { return static_cast<time_t>(std::max(1.0, std::ceil(s))); };
    cli.set_connection_timeout(secs(p.connect_timeout_s), 0);
    cli.set_read_timeout(secs(p.read_timeout_s), 0);
    httplib::Request req;
    req.method = "POST";
    req.path = t.path;
    req.body = request_body(t, prompt, p.max_new_tokens, usage).dump();
    req.set_header("Content-Type", "application/json");
    req.set_header("Accept", t.api == "ollama" ? "application/x-ndjson" : "text/event-stream");
    if (!p.api_key.empty()) req.set_header("Authorization", "Bearer " + p.api_key);
    Reply r;
    StreamState s;
    int status = 0;
    std::string buf, err_body;
    const auto t0 = Clock::now();
    req.response_handler = [&](const httplib::Response& res) {
        status = res.status;
        return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        if (status != 200) {
            if (err_body.size() < 4096) err_body.append(data, n);
            return true;
        }
        const double now = std::chrono::duration<double>(Clock::now() - t0).count();
        buf.append(data, n);
        for (size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
            handle_line(t, buf.substr(0, nl), now, r, s);
            buf.erase(0, nl + 1);
            if (!s.error.empty()) return false;  // stops reading: the error is reported
        }
        if (p.cancel && p.cancel->cancelled()) return false;
        return true;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    const bool ok = cli.send(req, res, err);
    const std::string what = t.url + t.path;
    if (!s.error.empty()) return make_error("", s.error);
    if (p.cancel && p.cancel->cancelled()) return make_error("bench infer", "cancelled");
    if (!ok && status == 0)
        return make_error("", what + ": no answer (" + httplib::to_string(err) + ")");
    if (status != 200) {
        if (status_out) *status_out = status;
        if (body_out) *body_out = err_body;
        return make_error("", what + ": HTTP " + std::to_string(status) + " for model '" + t.model +
                                  "': " + excerpt(err_body.empty() ? "(empty body)" : err_body));
    }
    if (!ok) return make_error("", what + ": stream broken (" + httplib::to_string(err) + ")");
    const double end = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!buf.empty()) handle_line(t, buf, end, r, s);  // a last line without '\n'
    if (!s.error.empty()) return make_error("", s.error);
    if (!s.done)
        return make_error("", what + ": the stream ended without " +
                                  (t.api == "ollama" ? std::string("a \"done\": true line")
                                                     : std::string("\"data: [DONE]\"")) +
                                  " (" + std::to_string(r.chunk_s.size()) + " chunks received)");
    r.e2e_s = end;
    return r;
}

Result<Target> target_of(const ServerBenchParams& p) {
    const auto apis = server_apis();
    if (std::find(apis.begin(), apis.end(), p.api) == apis.end())
        return make_error("--api", "expected ollama, openai or openai-chat, got '" + p.api + "'");
    if (p.model.empty()) return make_error("--server-model", "the server's model name is needed");
    const size_t sep = p.url.find("://");
    const std::string scheme = sep == std::string::npos ? "" : p.url.substr(0, sep);
    if (scheme != "http" && scheme != "https")
        return make_error("--server",
                          "expected http://host:port or https://host:port, got '" + p.url + "'");
    Target t;
    t.url = p.url;
    const size_t slash = p.url.find('/', sep + 3);
    t.scheme_host_port = p.url.substr(0, slash);
    if (t.scheme_host_port.size() <= sep + 3) return make_error("--server", "no host in " + p.url);
    std::string prefix = slash == std::string::npos ? "" : p.url.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    // ".../v1" given for an OpenAI server (the base URL clients are configured with).
    if (p.api != "ollama" && prefix.size() >= 3 && prefix.compare(prefix.size() - 3, 3, "/v1") == 0)
        prefix.resize(prefix.size() - 3);
    t.path = prefix + (p.api == "ollama"        ? "/api/generate"
                       : p.api == "openai-chat" ? "/v1/chat/completions"
                                                : "/v1/completions");
    t.url = t.scheme_host_port;
    t.api = p.api;
    t.model = p.model;
    return t;
}

struct RunFigures {
    double ttft_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms, e2e_s, tps_request, tps_aggregate,
        tokens_per_request;
};

}  // namespace

std::vector<std::string> server_apis() { return {"ollama", "openai", "openai-chat"}; }

Result<json> run_server_bench(const ServerBenchParams& p) {
    TB_ASSIGN_OR_RETURN(Target t, target_of(p));
    if (p.prompts.empty()) return make_error("bench infer", "no prompts for the server");
    if (p.batch_sizes.empty()) return make_error("--batch", "empty list");
    // Probe: checks URL, API and model before the timed runs, and whether an OpenAI server
    // accepts stream_options (usage in the stream).
    bool usage = t.api != "ollama";
    if (p.on_progress) p.on_progress("server " + t.url + t.path + ": probe request");
    {
        int status = 0;
        std::string body;
        auto probe = stream_one(t, p, p.prompts.front(), usage, &status, &body);
        if (!probe.ok() && usage && (status == 400 || status == 422) &&
            (body.find("stream_options") != std::string::npos ||
             body.find("include_usage") != std::string::npos)) {
            usage = false;
            probe = stream_one(t, p, p.prompts.front(), usage);
        }
        if (!probe.ok()) return probe.error();
        if (t.api != "ollama" && probe.value().usage_tokens < 0) usage = false;
    }
    const bool count_usage = t.api == "ollama" || usage;

    json e = {
        {"engine", "server:" + t.api + ":" + t.model},
        {"server",
         {{"url", p.url},
          {"api", t.api},
          {"model", t.model},
          {"endpoint", t.path},
          {"token_count", count_usage ? "usage" : "chunks"}}},
        {"load",
         {{"seconds", nullptr}, {"memory", nullptr}, {"note", "not observable from the client"}}},
        {"batches", json::array()}};

    const int64_t distinct = static_cast<int64_t>(p.prompts.size());
    bool chunks_counted = false;  // a request without the server's own count
    for (int64_t b : p.batch_sizes) {
        if (b < 1) return make_error("--batch", "sizes must be >= 1");
        // b concurrent requests: one thread and connection each; the run's wall time is from
        // before the first is sent to after the last stream closed.
        auto one_run = [&](std::vector<Reply>& replies, double& wall) -> Status {
            replies.assign(static_cast<size_t>(b), Reply{});
            std::vector<Error> errors;
            std::mutex mu;
            std::vector<std::thread> threads;
            const auto t0 = Clock::now();
            for (int64_t i = 0; i < b; ++i)
                threads.emplace_back([&, i] {
                    auto r = stream_one(t, p, p.prompts[static_cast<size_t>(i % distinct)], usage);
                    std::lock_guard<std::mutex> lock(mu);
                    if (r.ok())
                        replies[static_cast<size_t>(i)] = std::move(r.value());
                    else
                        errors.push_back(r.error());
                });
            for (auto& th : threads) th.join();
            wall = std::chrono::duration<double>(Clock::now() - t0).count();
            if (!errors.empty()) return errors.front();
            return Status();
        };
        for (int64_t w = 0; w < p.warmup; ++w) {
            std::vector<Reply> ignored;
            double wall = 0;
            TB_TRY_STATUS(one_run(ignored, wall));
        }
        std::vector<RunFigures> runs;
        std::vector<double> eval_tps, load_s, prompt_eval_s;
        std::string sample;
        for (int64_t r = 0; r < p.repeats; ++r) {
            if (p.cancel && p.cancel->cancelled()) return make_error("bench infer", "cancelled");
            std::vector<Reply> replies;
            double wall = 0;
            TB_TRY_STATUS(one_run(replies, wall));
            if (r == 0) sample = replies.front().text;
            RunFigures f{};
            std::vector<double> itl;
            double ttft = 0, tps = 0, total = 0;
            for (const Reply& x : replies) {
                ttft += x.chunk_s.empty() ? x.e2e_s : x.chunk_s.front();
                for (size_t i = 1; i < x.chunk_s.size(); ++i)
                    itl.push_back(1000.0 * (x.chunk_s[i] - x.chunk_s[i - 1]));
                const bool own = count_usage && x.usage_tokens >= 0;
                if (!own) chunks_counted = true;
                const double tokens = own ? static_cast<double>(x.usage_tokens)
                                          : static_cast<double>(x.chunk_s.size());
                tps += x.e2e_s > 0 ? tokens / x.e2e_s : 0;
                total += tokens;
                // Ollama's own figures (nanoseconds).
                const json& st = x.stats;
                if (st.is_object() && st.contains("eval_duration") &&
                    st["eval_duration"].is_number() && st["eval_duration"].get<double>() > 0 &&
                    x.usage_tokens >= 0)
                    eval_tps.push_back(static_cast<double>(x.usage_tokens) * 1e9 /
                                       st["eval_duration"].get<double>());
                if (st.is_object() && st.contains("load_duration") &&
                    st["load_duration"].is_number())
                    load_s.push_back(st["load_duration"].get<double>() / 1e9);
                if (st.is_object() && st.contains("prompt_eval_duration") &&
                    st["prompt_eval_duration"].is_number())
                    prompt_eval_s.push_back(st["prompt_eval_duration"].get<double>() / 1e9);
            }
            const double n = static_cast<double>(replies.size());
            f.ttft_ms = 1000.0 * ttft / n;
            f.itl_p50_ms = percentile(itl, 50);
            f.itl_p90_ms = percentile(itl, 90);
            f.itl_p99_ms = percentile(itl, 99);
            f.e2e_s = wall;
            f.tps_request = tps / n;
            f.tps_aggregate = wall > 0 ? total / wall : 0;
            f.tokens_per_request = total / n;
            runs.push_back(f);
        }
        auto col = [&](double RunFigures::*m) {
            std::vector<double> v;
            for (const auto& f : runs) v.push_back(f.*m);
            return figure(v);
        };
        json j = {{"batch", b},
                  {"ttft_ms", col(&RunFigures::ttft_ms)},
                  {"itl_p50_ms", col(&RunFigures::itl_p50_ms)},
                  {"itl_p90_ms", col(&RunFigures::itl_p90_ms)},
                  {"itl_p99_ms", col(&RunFigures::itl_p99_ms)},
                  {"e2e_s", col(&RunFigures::e2e_s)},
                  {"tokens_per_s_request", col(&RunFigures::tps_request)},
                  {"tokens_per_s_aggregate", col(&RunFigures::tps_aggregate)},
                  {"tokens_per_request", col(&RunFigures::tokens_per_request)},
                  {"requests", b * (p.warmup + p.repeats)},
                  {"sample_text", sample.substr(0, 200)}};
        if (!eval_tps.empty()) j["server_eval_tokens_per_s"] = figure(eval_tps);
        if (!load_s.empty()) j["server_load_duration_s"] = figure(load_s);
        if (!prompt_eval_s.empty()) j["server_prompt_eval_duration_s"] = figure(prompt_eval_s);
        e["batches"].push_back(j);
        if (p.on_progress)
            p.on_progress("server batch " + std::to_string(b) + ": " +
                          std::to_string(j["tokens_per_s_aggregate"]["median"].get<double>()) +
                          " tokens/s aggregate");
    }
    if (chunks_counted) e["server"]["token_count"] = "chunks";
    return e;
}

}  // namespace tb::infer
