#include "core/serve/http_server.h"

#include <dirent.h>
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_set>

#include "core/common/splitmix64.h"
#include "core/serve/api_protocol.h"

namespace tb::serve {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Compares without an early exit, so that the time taken does not tell how much of a guessed
// key was right.
bool same_secret(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % (b.empty() ? 1 : b.size())];
    return diff == 0;
}

// A request's events, fed by the Batcher's scheduler thread (the callback only appends and
// notifies: it must not block), drained by the HTTP worker that answers the request.
struct EventQueue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<StreamEvent> events;

    void push(const StreamEvent& e) {
        {
            std::lock_guard<std::mutex> lock(mu);
            events.push_back(e);
        }
        cv.notify_one();
    }
    // Waits up to `wait` for at least one event; returns what is there.
    std::deque<StreamEvent> take(std::chrono::milliseconds wait) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, wait, [&] { return !events.empty(); });
        std::deque<StreamEvent> out;
        out.swap(events);
        return out;
    }
};

// Whether the client of a request is still there, asked while its answer waits for the
// Batcher: a request still queued, or a non-streamed one, writes nothing until it ends, so a
// broken write cannot tell that its client went away; its KV blocks and queue place would be
// held to the end. cpp-httplib's Request::is_connection_closed (newer versions) answers it;
// Debian's 0.11 has none and does not hand handlers the socket, so the connection's socket is
// found once, by its two addresses (the request's local and remote address and port, which
// httplib read from the socket with getsockname/getpeername), among this process's open
// descriptors, and polled: the socket stays open until the handler has returned.
//
// "Gone": the peer closed or reset the connection (a zero-length read pending, POLLRDHUP,
// POLLHUP, POLLERR), as uvicorn (vLLM) and newer cpp-httplib decide it. A client that half-closes
// its sending side and still waits for the answer reads as gone too; HTTP clients do not.
template <typename R>
auto library_closed(const R& r, int) -> decltype(r.is_connection_closed(), std::optional<bool>()) {
    if (r.is_connection_closed) return r.is_connection_closed();
    return std::nullopt;
}
template <typename R>
std::optional<bool> library_closed(const R&, long) {
    return std::nullopt;
}

// numeric host and port of a socket address, as httplib formats them (getnameinfo).
bool numeric_address(const sockaddr_storage& a, socklen_t len, std::string* host, int* port) {
    char h[NI_MAXHOST];
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, h, sizeof h, nullptr, 0,
                    NI_NUMERICHOST) != 0)
        return false;
    *host = h;
    if (a.ss_family == AF_INET)
        *port = ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
    else if (a.ss_family == AF_INET6)
        *port = ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
    else
        return false;
    return true;
}

// What the search for a request's connection socket found.
struct Lookup {
    int fd = -1;         // the connection's socket, still connected
    bool reset = false;  // not connected any more: a socket of the server's address has lost
                         // its peer (reset), and no connected one is the request's
};

// The descriptor of the accepted connection between (local_addr, local_port) and (remote_addr,
// remote_port). A client that closed with unread data in its socket (a stream's headers) resets
// the connection, and a reset socket no longer has a peer address to match: when no connected
// socket is the request's and an accepted socket of the server's address (not the listening
// one) has lost its peer, the request's is taken to be that one (httplib keeps it open until
// the handler returns, so while the request is answered its socket is there, connected or
// reset).
Lookup connection_socket(const httplib::Request& req) {
    Lookup out;
    if (req.remote_port <= 0 || req.local_port <= 0) return out;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return out;
    bool lost_peer = false;
    const int own = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
        const int fd = std::atoi(e->d_name);
        if (fd <= 2 || fd == own) continue;
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
        sockaddr_storage a{};
        socklen_t len = sizeof a;
        std::string host;
        int port = 0;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
            !numeric_address(a, len, &host, &port) || port != req.local_port ||
            host != req.local_addr)
            continue;
        len = sizeof a;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            int listening = 0;
            socklen_t ol = sizeof listening;
            if (errno == ENOTCONN &&
                ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) == 0 && !listening)
                lost_peer = true;
            continue;
        }
        if (!numeric_address(a, len, &host, &port) || port != req.remote_port ||
            host != req.remote_addr)
            continue;
        out.fd = fd;
        break;
    }
    ::closedir(d);
    out.reset = out.fd < 0 && lost_peer;
    return out;
}

class ClientWatch {
  public:
    explicit ClientWatch(const httplib::Request& req) : req_(req) {}

    // True once the client has gone. Asked at most every kWatchMs (a running request's answer
    // wakes its waiter every step); the socket is looked up on the first real check (a request
    // answered at once never pays for it).
    bool gone() {
        if (gone_) return true;
        const auto now = std::chrono::steady_clock::now();
        if (checked_ && now - last_ < std::chrono::milliseconds(kWatchMs)) return false;
        checked_ = true;
        last_ = now;
        if (auto c = library_closed(req_, 0)) return gone_ = *c;
        if (!looked_up_) {
            const Lookup l = connection_socket(req_);
            looked_up_ = true;
            fd_ = l.fd;
            if (l.reset) return gone_ = true;
        }
        if (fd_ < 0) return false;  // not found: the broken write still tells (streams)
        pollfd p{fd_, static_cast<short>(POLLIN | POLLRDHUP), 0};
        if (::poll(&p, 1, 0) <= 0) return false;
        if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return gone_ = true;
        if (p.revents & POLLIN) {
            char c;
            const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
            // 0: the peer's FIN; > 0: a pipelined request (still there).
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                gone_ = true;
        }
        return gone_;
    }

    // How often a waiting answer asks whether its client is still there.
    static constexpr int kWatchMs = 50;

  private:
    const httplib::Request& req_;
    bool looked_up_ = false, gone_ = false, checked_ = false;
    int fd_ = -1;
    std::chrono::steady_clock::time_point last_;
};

// Approximate parameter count for Ollama's details.parameter_size ("1.1B").
std::string parameter_size(const LlamaConfig& c) {
    const double h = static_cast<double>(c.hidden_size);
    const double hd = static_cast<double>(
        c.head_dim > 0 ? c.head_dim : c.hidden_size / std::max<int64_t>(1, c.num_attention_heads));
    const double q = static_cast<double>(c.num_attention_heads) * hd;
    const double kv = static_cast<double>(c.num_key_value_heads) * hd;
    const double layer =
        h * (q + 2 * kv) + q * h + 3 * h * static_cast<double>(c.intermediate_size) + 2 * h;
    double n = static_cast<double>(c.num_hidden_layers) * layer +
               static_cast<double>(c.vocab_size) * h * (c.tie_word_embeddings ? 1 : 2) + h;
    char buf[32];
    if (n >= 1e9)
        std::snprintf(buf, sizeof buf, "%.1fB", n / 1e9);
    else
        std::snprintf(buf, sizeof buf, "%.0fM", n / 1e6);
    return buf;
}

class Server final : public HttpServer {
  public:
    Server(std::shared_ptr<Batcher> batcher, bool owns, const ServeParams& p)
        : batcher_(std::move(batcher)), owns_batcher_(owns), p_(p) {
        std::random_device rd;
        ids_ = SplitMix64((static_cast<uint64_t>(rd()) << 32) ^ rd());
        started_unix_ = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
        started_rfc3339_ = rfc3339_now();
        const auto tok = batcher_->tokenizer();
        has_chat_template_ = tok && !tok->chat_template().empty();
    }

    ~Server() override { stop(0); }

    Status listen() {
        const int workers = std::max(1, p_.max_connections);
        svr_.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
        svr_.set_payload_max_length(p_.max_body_bytes);
        svr_.set_keep_alive_timeout(3);
        const double wt = std::max(0.1, p_.write_timeout_seconds);
        svr_.set_write_timeout(static_cast<time_t>(wt),
                               static_cast<time_t>((wt - std::floor(wt)) * 1e6));
        routes();
        // Debian's libcpp-httplib listens with a backlog of 5 (compiled in): a burst of
        // clients (256 streams opened at once) overflows it and some connections are reset.
        // The listening socket's backlog is raised after binding (listen() again on Linux
        // updates it); the socket is captured where httplib lets us set its options.
        svr_.set_socket_options([this](socket_t sock) {
            httplib::default_socket_options(sock);
            listen_fd_ = sock;
        });
        int port = p_.port;
        if (port == 0) {
            port = svr_.bind_to_any_port(p_.host);
            if (port <= 0)
                return make_error("--host", "cannot bind " + p_.host + " to a free port");
        } else if (!svr_.bind_to_port(p_.host, port)) {
            return make_error("--port", "cannot bind " + p_.host + ":" + std::to_string(port) +
                                            " (in use, or not an address of this machine)");
        }
        if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
        const bool v6 = p_.host.find(':') != std::string::npos;
        url_ = "http://" + (v6 ? "[" + p_.host + "]" : p_.host) + ":" + std::to_string(port);
        listener_ = std::thread([this] { svr_.listen_after_bind(); });
        return Status();
    }

    void stop(double grace_seconds) override {
        std::lock_guard<std::mutex> guard(stop_mu_);
        if (stopped_) return;
        stopping_ = true;
        // Running requests may finish within the grace period...
        const auto deadline =
            Clock::now() + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(std::max(0.0, grace_seconds)));
        while (in_flight_.load() > 0 && Clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        // ... the rest are cancelled: their final events end their answers.
        {
            std::lock_guard<std::mutex> lock(active_mu_);
            for (uint64_t id : active_) batcher_->cancel(id);
        }
        const auto drain = Clock::now() + std::chrono::seconds(5);
        while (in_flight_.load() > 0 && Clock::now() < drain)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        svr_.stop();
        if (listener_.joinable()) listener_.join();
        if (owns_batcher_) batcher_->stop(0);
        stopped_ = true;
    }

    bool running() const override { return !stopped_.load() && !stopping_.load(); }
    std::string url() const override { return url_; }
    Batcher& batcher() override { return *batcher_; }

    ServerStats stats() const override {
        ServerStats s;
        s.url = url_;
        s.in_flight = in_flight_.load();
        s.requests_served = served_.load();
        s.requests_rejected = rejected_.load();
        s.requests_cancelled = cancelled_.load();
        s.tokens_served = tokens_.load();
        s.batcher = batcher_->stats();
        return s;
    }

  private:
    void routes() {
        svr_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            if (p_.api_key.empty()) return httplib::Server::HandlerResponse::Unhandled;
            const bool api = starts_with(req.path, "/v1/") || starts_with(req.path, "/api/");
            if (!api) return httplib::Server::HandlerResponse::Unhandled;
            if (same_secret(req.get_header_value("Authorization"), "Bearer " + p_.api_key))
                return httplib::Server::HandlerResponse::Unhandled;
            ApiError e;
            e.status = 401;
            e.message = "missing or wrong API key: send 'Authorization: Bearer <key>'";
            e.code = "invalid_api_key";
            reply_error(res, starts_with(req.path, "/api/"), e);
            return httplib::Server::HandlerResponse::Handled;
        });
        // httplib's own refusals (unknown path 404, body too large 413, ...) get an error
        // object too.
        svr_.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty()) return;
            ApiError e;
            e.status = res.status;
            if (res.status == 413)
                e.message =
                    "request body larger than " + std::to_string(p_.max_body_bytes) + " bytes";
            else if (res.status == 404)
                e.message = "no endpoint " + req.method + " " + req.path;
            else
                e.message =
                    "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path;
            reply_error(res, starts_with(req.path, "/api/"), e);
        });
        svr_.set_exception_handler(
            [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
                ApiError e;
                e.status = 500;
                e.type = "server_error";
                e.message = "internal error";
                try {
                    if (ep) std::rethrow_exception(ep);
                } catch (const std::exception& x) {
                    e.message = std::string("internal error: ") + x.what();
                } catch (...) {
                }
                reply_error(res, starts_with(req.path, "/api/"), e);
            });
        svr_.set_logger([this](const httplib::Request&, const httplib::Response& res) {
            if (res.status >= 400) rejected_.fetch_add(1);
        });

        svr_.Get("/", [](const httplib::Request&, httplib::Response& res) {
            res.set_content("tunebench is running", "text/plain");
        });
        svr_.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(json{{"version", TUNEBENCH_VERSION}}.dump(), "application/json");
        });
        svr_.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
            json data = json::array();
            const auto names = batcher_->model_names();
            for (size_t i = 0; i < names.size(); ++i) {
                json m = {{"id", names[i]},
                          {"object", "model"},
                          {"created", started_unix_},
                          {"owned_by", "tunebench"},
                          {"root", names.front()},
                          {"parent", i == 0 ? json(nullptr) : json(names.front())},
                          {"max_model_len", batcher_->max_model_len()}};
                data.push_back(m);
            }
            res.set_content(json{{"object", "list"}, {"data", data}}.dump(), "application/json");
        });
        svr_.Get("/api/tags", [this](const httplib::Request&, httplib::Response& res) {
            json models = json::array();
            const auto names = batcher_->model_names();
            const auto& rep = batcher_->load_report();
            std::string quant = rep.dtype;
            for (char& c : quant)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            for (size_t i = 0; i < names.size(); ++i) {
                const std::string tagged =
                    names[i].find(':') == std::string::npos ? names[i] + ":latest" : names[i];
                models.push_back({{"name", tagged},
                                  {"model", tagged},
                                  {"modified_at", started_rfc3339_},
                                  {"size", rep.weight_bytes},
                                  {"digest", ""},
                                  {"details",
                                   {{"parent_model", i == 0 ? std::string() : names.front()},
                                    {"format", "safetensors"},
                                    {"family", "llama"},
                                    {"families", json::array({"llama"})},
                                    {"parameter_size", parameter_size(batcher_->config())},
                                    {"quantization_level", quant}}}});
            }
            res.set_content(json{{"models", models}}.dump(), "application/json");
        });
        auto gen = [this](Api api) {
            return [this, api](const httplib::Request& req, httplib::Response& res) {
                generate(api, req, res);
            };
        };
        svr_.Post("/v1/completions", gen(Api::openai_completions));
        svr_.Post("/v1/chat/completions", gen(Api::openai_chat));
        svr_.Post("/api/generate", gen(Api::ollama_generate));
        svr_.Post("/api/chat", gen(Api::ollama_chat));
    }

    static void reply_error(httplib::Response& res, bool ollama, const ApiError& e) {
        res.status = e.status;
        res.set_content(error_body(ollama, e).dump(), "application/json");
    }

    uint64_t next_random() {
        std::lock_guard<std::mutex> lock(ids_mu_);
        return ids_.next();
    }

    std::string response_id(Api api) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(next_random()));
        return (api == Api::openai_chat ? "chatcmpl-" : "cmpl-") + std::string(buf);
    }

    // Ollama names carry a tag ("name:latest"); the served names may not.
    Result<std::string> adapter_of(const std::string& model) const {
        auto a = batcher_->adapter_for_model(model);
        if (a.ok()) return a;
        const std::string tag = ":latest";
        if (model.size() > tag.size() &&
            model.compare(model.size() - tag.size(), tag.size(), tag) == 0) {
            auto b = batcher_->adapter_for_model(model.substr(0, model.size() - tag.size()));
            if (b.ok()) return b;
        }
        return a;
    }

    void untrack(uint64_t id) {
        std::lock_guard<std::mutex> lock(active_mu_);
        active_.erase(id);
    }

    void generate(Api api, const httplib::Request& req, httplib::Response& res) {
        const bool ollama = is_ollama(api);
        if (stopping_.load()) {
            ApiError e;
            e.status = 503;
            e.type = "server_error";
            e.message = "the server is stopping";
            return reply_error(res, ollama, e);
        }
        ParseLimits lim;
        lim.default_max_tokens = p_.default_max_tokens;
        lim.max_tokens_limit = p_.max_tokens_limit;
        lim.has_chat_template = has_chat_template_;
        ParseResult pr =
            parse_request(api, req.body, batcher_->generation_defaults(), lim, next_random());
        if (!pr.ok) return reply_error(res, ollama, pr.error);
        ParsedRequest& q = pr.parsed;
        auto adapter = adapter_of(q.model);
        if (!adapter.ok()) {
            ApiError e;
            e.status = 404;
            e.param = "model";
            e.code = "model_not_found";
            std::string names;
            for (const auto& n : batcher_->model_names()) names += (names.empty() ? "" : ", ") + n;
            e.message = "model '" + q.model + "' not found (served: " + names + ")";
            return reply_error(res, ollama, e);
        }
        if (q.load_only) {
            res.set_content(ollama_load_answer(api, q.model).dump(), "application/json");
            return;
        }
        q.request.adapter = adapter.value();

        auto events = std::make_shared<EventQueue>();
        auto id = batcher_->submit(q.request, [events](const StreamEvent& e) { events->push(e); });
        if (!id.ok()) {
            ApiError e;
            e.status = stopping_.load() ? 503 : 400;
            if (e.status == 503) e.type = "server_error";
            e.message = id.error().message;
            return reply_error(res, ollama, e);
        }
        const uint64_t rid = id.value();
        {
            std::lock_guard<std::mutex> lock(active_mu_);
            active_.insert(rid);
        }
        in_flight_.fetch_add(1);
        const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
        auto fmt = std::make_shared<ResponseFormatter>(api, q.model, response_id(api), created,
                                                       q.include_usage, q.return_token_ids);
        auto watch = std::make_shared<ClientWatch>(req);
        if (!q.stream) {
            // Nothing is written before the end: the client is watched instead, and a client
            // gone is cancelled at once (queued or running, its KV blocks are freed before the
            // Batcher's next step); its final event ("cancelled") still ends the loop.
            std::string text;
            std::vector<int64_t> ids;
            StreamEvent final_event;
            bool cancelled_by_client = false;
            for (bool done = false; !done;) {
                auto got = events->take(std::chrono::milliseconds(ClientWatch::kWatchMs));
                for (StreamEvent& e : got) {
                    if (e.finished) {
                        final_event = std::move(e);
                        done = true;
                    } else {
                        text += e.text;
                        ids.push_back(e.token);
                    }
                }
                if (!done && !cancelled_by_client && watch->gone()) {
                    batcher_->cancel(rid);
                    cancelled_by_client = true;
                }
            }
            if (cancelled_by_client) {
                cancelled_.fetch_add(1);
                untrack(rid);
                in_flight_.fetch_sub(1);
                return;  // nobody reads an answer
            }
            int status = 200;
            json body = fmt->body(text, ids, final_event, &status);
            res.status = status;
            res.set_content(body.dump(), "application/json");
            if (status == 200) {
                served_.fetch_add(1);
                tokens_.fetch_add(final_event.completion_tokens);
            }
            untrack(rid);
            in_flight_.fetch_sub(1);
            return;
        }

        // Streamed: httplib calls the provider until it reports done or a write fails. A
        // failed write means the client went away: the request is cancelled at once (its KV
        // blocks are freed before the Batcher's next step).
        struct StreamState {
            bool started = false;
            bool done = false;
        };
        auto st = std::make_shared<StreamState>();
        res.set_header("Cache-Control", "no-cache");
        res.set_header("X-Accel-Buffering", "no");  // proxies: do not hold the stream back
        res.set_chunked_content_provider(
            fmt->content_type(true),
            [this, events, fmt, st, rid, watch](size_t, httplib::DataSink& sink) {
                std::string out;
                if (!st->started) {
                    out = fmt->start();
                    st->started = true;
                }
                StreamEvent final_event;
                bool finished = false;
                auto got = events->take(std::chrono::milliseconds(ClientWatch::kWatchMs));
                // Nothing to write (queued, or a long prefill): a write cannot fail, so the
                // client is asked directly.
                if (got.empty() && out.empty() && watch->gone()) {
                    batcher_->cancel(rid);
                    return false;
                }
                for (StreamEvent& e : got) {
                    if (e.finished) {
                        final_event = std::move(e);
                        finished = true;
                    } else {
                        out += fmt->token(e.text, e.token);
                    }
                }
                if (finished) out += fmt->finish(final_event);
                // (Never write an empty buffer: httplib reads a zero-length write as the end.)
                if (!out.empty() && !sink.write(out.data(), out.size())) {
                    batcher_->cancel(rid);
                    return false;
                }
                if (finished) {
                    st->done = true;
                    if (!finish_reason_of(final_event).empty()) {
                        served_.fetch_add(1);
                        tokens_.fetch_add(final_event.completion_tokens);
                    }
                    sink.done();
                }
                return true;
            },
            [this, st, rid](bool) {
                // Runs when the answer is over, written or not (client gone, server stopping).
                if (!st->done) {
                    batcher_->cancel(rid);
                    cancelled_.fetch_add(1);
                }
                untrack(rid);
                in_flight_.fetch_sub(1);
            });
    }

    std::shared_ptr<Batcher> batcher_;
    bool owns_batcher_;
    ServeParams p_;
    httplib::Server svr_;
    std::thread listener_;
    socket_t listen_fd_ = -1;
    std::string url_;
    bool has_chat_template_ = false;
    int64_t started_unix_ = 0;
    std::string started_rfc3339_;

    std::mutex stop_mu_;
    std::atomic<bool> stopping_{false}, stopped_{false};
    std::mutex active_mu_;
    std::unordered_set<uint64_t> active_;
    std::mutex ids_mu_;
    SplitMix64 ids_{0};

    std::atomic<int64_t> in_flight_{0}, served_{0}, rejected_{0}, cancelled_{0}, tokens_{0};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(std::shared_ptr<Batcher> batcher,
                                                      const ServeParams& params, bool owns) {
    if (!batcher) return make_error("serve", "no Batcher");
    if (params.port < 0 || params.port > 65535)
        return make_error("--port", "expected 0..65535, got " + std::to_string(params.port));
    if (params.host.empty()) return make_error("--host", "empty");
    if (params.default_max_tokens < 1) return make_error("--default-max-tokens", "must be >= 1");
    if (params.max_tokens_limit < 0) return make_error("--max-tokens-limit", "must be >= 0");
    auto s = std::make_unique<Server>(std::move(batcher), owns, params);
    TB_TRY_STATUS(s->listen());
    return std::unique_ptr<HttpServer>(std::move(s));
}

}  // namespace tb::serve
