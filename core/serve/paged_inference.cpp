#include "core/serve/paged_inference.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "core/infer/request_rules.h"
#include "core/serve/batcher.h"

namespace tb::serve {
namespace {

using Clock = std::chrono::steady_clock;

class PagedEngine final : public infer::InferenceEngine {
  public:
    explicit PagedEngine(std::unique_ptr<Batcher> b)
        : b_(std::move(b)), eos_(b_->eos_token_ids()) {}

    Status load_adapter(const std::string& name, const std::string& dir) override {
        return b_->load_adapter(name, dir);
    }

    Result<std::vector<int64_t>> encode(const infer::Request& r) const override {
        return infer::encode_prompt(r, b_->tokenizer().get());
    }

    Result<std::vector<infer::Completion>> generate(const std::vector<infer::Request>& requests,
                                                    const infer::GenerateOptions& opts) override {
        const auto t0 = Clock::now();
        if (requests.empty()) return make_error("generate", "no requests");
        std::vector<infer::Completion> out(requests.size());
        // Every request is checked before any is queued (the core's rule: a bad request
        // rejects the whole call before any step).
        for (size_t i = 0; i < requests.size(); ++i) {
            auto ids = b_->check(requests[i]);
            if (!ids.ok()) {
                std::string m = ids.error().message;
                const std::string prefix = "request: ";
                if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
                return make_error("request " + std::to_string(i), m);
            }
            out[i].prompt_ids = std::move(ids).value();
            out[i].finish_reason = "length";
        }
        struct Shared {
            std::mutex mu;
            std::condition_variable cv;
            std::deque<std::pair<size_t, StreamEvent>> events;
        };
        auto sh = std::make_shared<Shared>();
        std::map<uint64_t, size_t> index;
        std::vector<uint64_t> ids(requests.size(), 0);
        for (size_t i = 0; i < requests.size(); ++i) {
            auto id = b_->submit(requests[i], [sh, i](const StreamEvent& e) {
                std::lock_guard<std::mutex> lk(sh->mu);
                sh->events.emplace_back(i, e);
                sh->cv.notify_all();
            });
            if (!id.ok()) {
                for (size_t j = 0; j < i; ++j) b_->cancel(ids[j]);
                wait_all(*sh, i);
                return id.error();
            }
            ids[i] = *id;
        }
        size_t open = requests.size();
        bool cancelled = false;
        std::string error;
        while (open > 0) {
            std::deque<std::pair<size_t, StreamEvent>> batch;
            {
                std::unique_lock<std::mutex> lk(sh->mu);
                sh->cv.wait_for(lk, std::chrono::milliseconds(20),
                                [&] { return !sh->events.empty(); });
                batch.swap(sh->events);
            }
            if (!cancelled && opts.cancel && opts.cancel->cancelled()) {
                cancelled = true;
                for (uint64_t id : ids) b_->cancel(id);
            }
            const double now = std::chrono::duration<double>(Clock::now() - t0).count();
            for (auto& [i, e] : batch) {
                infer::Completion& c = out[i];
                if (e.finished) {
                    --open;
                    c.end_seconds = now;
                    c.finish_reason = e.finish_reason;
                    if (e.finish_reason == "error" && error.empty())
                        error = "request " + std::to_string(i) + ": " + e.error;
                    continue;
                }
                c.ids.push_back(e.token);
                c.token_seconds.push_back(now);
                if (opts.on_token) {
                    infer::TokenEvent te;
                    te.request = i;
                    te.index = e.index;
                    te.token = e.token;
                    te.text = e.text;
                    te.seconds = now;
                    opts.on_token(te);
                }
            }
        }
        if (!error.empty()) return Error{error};
        if (auto tok = b_->tokenizer())
            for (auto& c : out) c.text = tok->decode(c.ids, true);
        return out;
    }

    const infer::LoadReport& load_report() const override { return b_->load_report(); }
    const LlamaConfig& config() const override { return b_->config(); }
    std::shared_ptr<const Tokenizer> tokenizer() const override { return b_->tokenizer(); }
    const GenerationDefaults& generation_defaults() const override {
        return b_->generation_defaults();
    }
    const std::vector<int64_t>& eos_token_ids() const override { return eos_; }
    int64_t pad_token_id() const override { return b_->pad_token_id(); }

  private:
    // Waits for the final events of the first `n` submitted requests (after cancelling them).
    template <class S>
    static void wait_all(S& sh, size_t n) {
        size_t open = n;
        while (open > 0) {
            std::unique_lock<std::mutex> lk(sh.mu);
            sh.cv.wait(lk, [&] { return !sh.events.empty(); });
            for (auto& [i, e] : sh.events)
                if (e.finished) --open;
            sh.events.clear();
        }
    }

    std::unique_ptr<Batcher> b_;
    std::vector<int64_t> eos_;
};

}  // namespace

Result<std::unique_ptr<infer::InferenceEngine>> load_paged_engine(const infer::EngineParams& p) {
    if (p.max_batch < 1) return make_error("max_batch", "must be >= 1");
    BatcherParams bp;
    bp.engine = p;
    bp.max_num_seqs = std::max<int64_t>(p.max_batch, 256);
    TB_ASSIGN_OR_RETURN(auto b, Batcher::start(bp));
    return std::unique_ptr<infer::InferenceEngine>(std::make_unique<PagedEngine>(std::move(b)));
}

}  // namespace tb::serve
