// A stand-in Batcher for the HTTP layer's tests: deterministic tokens, the real threading
// contract (one scheduler thread, callbacks in step order, outside the lock, cancel() allowed
// from them), and a record of what was submitted and cancelled.
//
// Token i of a request is (h + 31 i) mod vocab, h a hash of the prompt and adapter; its text
// is " t<id>". A request ends after max_new_tokens ("length"), or when a token's text equals
// one of its stop strings ("stop").
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/serve/batcher.h"

namespace tb::serve::testing {

struct FakeBatcherOptions {
    double step_seconds = 0.002;
    int64_t vocab = 1000;
    int64_t max_model_len = 4096;
    std::vector<std::string> adapters = {"sql"};
    std::string model_name = "tiny";
};

class FakeBatcher : public Batcher {
  public:
    using Options = FakeBatcherOptions;

    explicit FakeBatcher(Options o = Options()) : o_(std::move(o)) {
        config_.vocab_size = o_.vocab;
        config_.hidden_size = 64;
        config_.intermediate_size = 128;
        config_.num_hidden_layers = 2;
        config_.num_attention_heads = 4;
        config_.num_key_value_heads = 4;
        config_.max_position_embeddings = o_.max_model_len;
        report_.device = "cpu";
        report_.dtype = "float32";
        thread_ = std::thread([this] { loop(); });
    }
    ~FakeBatcher() override { stop(0); }

    // The prompt length the fake reports (ids; words + 1 for text; words + 2 per message).
    static int64_t prompt_len(const infer::Request& r) {
        if (!r.prompt_ids.empty()) return static_cast<int64_t>(r.prompt_ids.size());
        auto words = [](const std::string& s) {
            int64_t n = 0;
            bool in = false;
            for (char c : s) {
                const bool sp = c == ' ' || c == '\n' || c == '\t';
                if (!sp && !in) ++n;
                in = !sp;
            }
            return n;
        };
        if (r.prompt_text) return words(*r.prompt_text) + 1;
        int64_t n = 0;
        for (const auto& m : r.messages) n += words(m.content) + 2;
        return n;
    }
    static uint64_t prompt_hash(const infer::Request& r) {
        uint64_t h = 1469598103934665603ULL;
        auto mix = [&](const std::string& s) {
            for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
            h = (h ^ 0xff) * 1099511628211ULL;
        };
        for (int64_t id : r.prompt_ids) mix(std::to_string(id));
        if (r.prompt_text) mix("text:" + *r.prompt_text);
        for (const auto& m : r.messages) mix(m.role + ":" + m.content);
        mix("adapter:" + r.adapter);
        return h;
    }
    // What the fake generates for `r` (max_new_tokens tokens, stop strings not applied).
    static std::vector<int64_t> tokens_for(const infer::Request& r, int64_t vocab) {
        std::vector<int64_t> out;
        const uint64_t h = prompt_hash(r);
        for (int64_t i = 0; i < r.max_new_tokens; ++i)
            out.push_back(static_cast<int64_t>((h + 31u * static_cast<uint64_t>(i)) %
                                               static_cast<uint64_t>(vocab)));
        return out;
    }
    static std::string text_of(int64_t token) { return " t" + std::to_string(token); }
    static std::string text_for(const infer::Request& r, int64_t vocab) {
        std::string s;
        for (int64_t t : tokens_for(r, vocab)) s += text_of(t);
        return s;
    }

    // submit()'s checks (the real Batcher's kinds: prompt form, vocabulary, lengths, adapter).
    Result<std::vector<int64_t>> validate(const infer::Request& r) const {
        const int forms =
            (!r.prompt_ids.empty()) + (r.prompt_text.has_value()) + (!r.messages.empty());
        if (forms != 1) return make_error("request", "exactly one prompt form");
        for (int64_t id : r.prompt_ids)
            if (id < 0 || id >= o_.vocab)
                return make_error("request",
                                  "prompt id " + std::to_string(id) + " outside the vocabulary");
        if (r.max_new_tokens < 1) return make_error("request", "max_new_tokens must be >= 1");
        const int64_t len = prompt_len(r);
        if (len + r.max_new_tokens > o_.max_model_len)
            return make_error("request",
                              "prompt (" + std::to_string(len) + " tokens) + max_new_tokens (" +
                                  std::to_string(r.max_new_tokens) + ") exceeds max_model_len " +
                                  std::to_string(o_.max_model_len));
        if (!r.adapter.empty() &&
            std::find(o_.adapters.begin(), o_.adapters.end(), r.adapter) == o_.adapters.end())
            return make_error("request", "unknown adapter '" + r.adapter + "'");
        return std::vector<int64_t>(static_cast<size_t>(len), 1);
    }

    Result<std::vector<int64_t>> check(const infer::Request& r) const override {
        return validate(r);
    }

    Result<uint64_t> submit(const infer::Request& r,
                            std::function<void(const StreamEvent&)> cb) override {
        auto ok = validate(r);
        if (!ok.ok()) return ok.error();
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return make_error("batcher", "stopping");
        Seq s;
        s.id = ++next_id_;
        s.request = r;
        s.cb = std::move(cb);
        s.tokens = tokens_for(r, o_.vocab);
        s.start = std::chrono::steady_clock::now();
        submitted_.push_back(r);
        running_.push_back(std::move(s));
        cv_.notify_all();
        return running_.back().id;
    }

    void cancel(uint64_t id) override {
        std::lock_guard<std::mutex> lock(mu_);
        cancel_requests_.insert(id);
    }

    void stop(double) override {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stopped_) return;
            stopping_ = true;
            stopped_ = true;
            for (auto& s : running_) cancel_requests_.insert(s.id);
            cv_.notify_all();
        }
        if (thread_.joinable()) thread_.join();
    }

    BatcherStats stats() const override {
        std::lock_guard<std::mutex> lock(mu_);
        BatcherStats st;
        st.running = static_cast<int64_t>(running_.size());
        st.requests_finished = finished_;
        st.tokens_generated = tokens_generated_;
        return st;
    }
    std::vector<std::string> model_names() const override {
        std::vector<std::string> n = {o_.model_name};
        n.insert(n.end(), o_.adapters.begin(), o_.adapters.end());
        return n;
    }
    Result<std::string> adapter_for_model(const std::string& name) const override {
        if (name == o_.model_name) return std::string();
        for (const auto& a : o_.adapters)
            if (a == name) return a;
        return make_error("model", "unknown model '" + name + "'");
    }
    const infer::LoadReport& load_report() const override { return report_; }
    const LlamaConfig& config() const override { return config_; }
    std::shared_ptr<const Tokenizer> tokenizer() const override { return nullptr; }
    const GenerationDefaults& generation_defaults() const override { return defaults_; }
    int64_t max_model_len() const override { return o_.max_model_len; }

    // Test observations.
    std::vector<infer::Request> submitted() const {
        std::lock_guard<std::mutex> lock(mu_);
        return submitted_;
    }
    // Ids ended by cancel(), with the number of tokens they had produced by then.
    std::map<uint64_t, int64_t> cancelled() const {
        std::lock_guard<std::mutex> lock(mu_);
        return cancelled_;
    }
    int64_t running_count() const {
        std::lock_guard<std::mutex> lock(mu_);
        return static_cast<int64_t>(running_.size());
    }
    GenerationDefaults defaults_;

  private:
    struct Seq {
        uint64_t id = 0;
        infer::Request request;
        std::function<void(const StreamEvent&)> cb;
        std::vector<int64_t> tokens;
        int64_t next = 0;
        std::chrono::steady_clock::time_point start, first;
    };

    void loop() {
        for (;;) {
            std::vector<std::pair<std::function<void(const StreamEvent&)>, StreamEvent>> out;
            {
                std::unique_lock<std::mutex> lock(mu_);
                cv_.wait_for(lock, std::chrono::duration<double>(o_.step_seconds),
                             [&] { return stopped_ && running_.empty(); });
                if (stopped_ && running_.empty()) return;
                const auto now = std::chrono::steady_clock::now();
                for (auto it = running_.begin(); it != running_.end();) {
                    Seq& s = *it;
                    StreamEvent fin;
                    fin.request_id = s.id;
                    fin.finished = true;
                    fin.prompt_tokens = prompt_len(s.request);
                    bool end = false;
                    if (cancel_requests_.count(s.id)) {
                        fin.finish_reason = "cancelled";
                        cancelled_[s.id] = s.next;
                        end = true;
                    } else {
                        StreamEvent e;
                        e.request_id = s.id;
                        e.index = s.next;
                        e.token = s.tokens[static_cast<size_t>(s.next)];
                        e.text = text_of(e.token);
                        if (s.next == 0) s.first = now;
                        ++s.next;
                        ++tokens_generated_;
                        out.emplace_back(s.cb, e);
                        const auto& stop = s.request.stop;
                        if (std::find(stop.begin(), stop.end(), e.text) != stop.end()) {
                            fin.finish_reason = "stop";
                            end = true;
                        } else if (s.next == static_cast<int64_t>(s.tokens.size())) {
                            fin.finish_reason = "length";
                            end = true;
                        }
                    }
                    if (end) {
                        fin.completion_tokens = s.next;
                        fin.ttft_seconds =
                            s.next ? std::chrono::duration<double>(s.first - s.start).count() : 0;
                        fin.total_seconds = std::chrono::duration<double>(now - s.start).count();
                        out.emplace_back(s.cb, fin);
                        ++finished_;
                        it = running_.erase(it);
                    } else {
                        ++it;
                    }
                }
            }
            for (auto& [cb, e] : out) cb(e);  // outside the lock: cancel() may be called
        }
    }

    Options o_;
    LlamaConfig config_;
    infer::LoadReport report_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Seq> running_;
    std::set<uint64_t> cancel_requests_;
    std::map<uint64_t, int64_t> cancelled_;
    std::vector<infer::Request> submitted_;
    uint64_t next_id_ = 0;
    int64_t finished_ = 0, tokens_generated_ = 0;
    bool stopping_ = false, stopped_ = false;
    std::thread thread_;
};

}  // namespace tb::serve::testing
