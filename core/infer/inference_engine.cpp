// InferenceEngine (core/infer/inference.h): loading, the prompt encoder, the EOS/stop/pad rule
// and the generation loop shared by every engine; the forward steps are the engine's
// DecodeBackend (inference_engine.h).
//
// Per decode step the loop does one device-to-host copy (the sampled ids, which the stop rule
// and the stream need on the host) and nothing else that waits for the device: the sampled ids
// stay on the device as the next step's input, EOS suppression is an in-place fill of the
// logits, and greedy selection is an argmax in the model dtype (the same index as in fp32:
// widening is exact).
#include "core/infer/inference_engine.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>

#include "core/common/process_memory.h"
#include "core/common/torch_compat.h"
#include "core/infer/engine_load.h"
#include "core/infer/engine_quant.h"
#include "core/infer/generate.h"
#include "core/infer/inference.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/infer/request_rules.h"
#include "core/infer/sampler.h"
#include "core/tokenizer/stream_decoder.h"

#if defined(TB_WITH_SERVE)
#include "core/serve/paged_inference.h"
#endif

namespace tb::infer {

bool Sampling::operator==(const Sampling& o) const {
    return greedy == o.greedy && temperature == o.temperature && top_k == o.top_k &&
           top_p == o.top_p && repetition_penalty == o.repetition_penalty && seed == o.seed;
}

std::vector<std::string> available_engines() {
    std::vector<std::string> e = {"eager"};
    if (compat::cuda_available()) e.push_back("graph");  // CUDA graphs: a CUDA device
    e.push_back("quant");                                // CPU and CUDA
#if defined(TB_WITH_SERVE)
    e.push_back("paged");  // the serving core's engine (core/serve), CPU and CUDA
#endif
    return e;
}

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

SamplingParams to_sampler(const Sampling& s) {
    SamplingParams sp;
    sp.greedy = s.greedy;
    sp.temperature = s.temperature;
    sp.top_k = s.top_k;
    sp.top_p = s.top_p;
    sp.repetition_penalty = s.repetition_penalty;
    sp.seed = s.seed;
    return sp;
}

// The LoRA branches of one adapter, detached from the model while another one is in use.
struct AdapterBranches {
    std::vector<std::tuple<size_t, std::string, LoraBranch>> branches;  // layer, proj, branch
};

class Engine final : public InferenceEngine {
  public:
    Status init(const EngineParams& p) {
        if (p.engine != "eager" && p.engine != "graph" && p.engine != "quant")
            return make_error("engine", "unknown engine '" + p.engine + "' (eager, graph, quant)");
        if (p.engine == "quant" && !is_quant_format(p.quant))
            return make_error("quant",
                              "unknown weight format '" + p.quant + "' (expected q8_0 or nf4)");
        if (p.max_batch < 1) return make_error("max_batch", "must be >= 1");
        max_batch_ = p.max_batch;
        TB_ASSIGN_OR_RETURN(const EngineTarget target, resolve_engine_target(p));
        const at::Device device = target.device;
        const at::ScalarType dtype = target.dtype;
        if (p.engine == "graph" && !device.is_cuda())
            return make_error("engine",
                              "'graph' records the decode step as a CUDA graph and "
                              "needs a CUDA device (this one: " +
                                  device.str() + "); use eager or quant");

        const auto t0 = Clock::now();
        torch::NoGradGuard no_grad;
        // The model, tokenizer and EOS/pad rule, loaded as the serving core loads them.
        TB_ASSIGN_OR_RETURN(LoadedEngineModel loaded, load_engine_model(p, target));
        model_ = std::move(loaded.model);
        gen_ = std::move(loaded.gen);
        tok_ = std::move(loaded.tok);
        eos_ = std::move(loaded.eos);
        pad_ = loaded.pad;

        int64_t weight_bytes = 0;
        if (p.engine == "quant" && loaded.prepacked) {
            // A GGUF file: its tensor types decide (p.quant is not applied).
            QuantBackend qb = make_prepacked_quant_backend(model_, std::move(loaded.head));
            backend_ = std::move(qb.backend);
            weight_bytes = qb.weight_bytes;
        } else if (p.engine == "quant") {
            TB_ASSIGN_OR_RETURN(QuantBackend qb, make_quant_backend(model_, p.quant));
            backend_ = std::move(qb.backend);
            weight_bytes = qb.weight_bytes;  // packed projections as held
        } else {
            backend_ =
                p.engine == "graph" ? make_graph_backend(model_) : make_eager_backend(model_);
            weight_bytes = model_.parameter_bytes();
        }
        compat::cuda_synchronize();
        // Fusing freed the per-projection weights into the allocator's cache: give them back,
        // so that reserved memory is what the engine holds.
        compat::cuda_empty_cache();
        report_.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        report_.weight_bytes = weight_bytes;
        report_.device = device.str();
        report_.dtype = dtype_name(dtype);
        if (device.is_cuda()) {
            if (auto m = compat::cuda_memory(device.has_index() ? device.index() : 0)) {
                report_.device_allocated = m->allocated;
                report_.device_reserved = m->reserved;
            }
        }
        report_.rss_bytes = process_rss_bytes();
        return Status::Ok();
    }

    Status load_adapter(const std::string& name, const std::string& dir) override {
        if (name.empty()) return make_error("adapter", "the name must not be empty");
        torch::NoGradGuard no_grad;
        detach_adapter();
        TB_TRY_STATUS(apply_peft_adapter(model_, dir));
        AdapterBranches a;
        for (size_t i = 0; i < model_.layers.size(); ++i)
            for (const char* proj : kLayerProjections) {
                LoraLinear* lin = model_.layers[i].projection(proj);
                if (lin->lora.defined()) {
                    a.branches.emplace_back(i, proj, std::move(lin->lora));
                    lin->lora = LoraBranch();
                }
            }
        adapters_[name] = std::move(a);
        return Status::Ok();
    }

    Result<std::vector<int64_t>> encode(const Request& r) const override {
        return encode_prompt(r, tok_.get());
    }

    Result<std::vector<Completion>> generate(const std::vector<Request>& requests,
                                             const GenerateOptions& opts) override {
        const auto t0 = Clock::now();
        std::vector<std::vector<int64_t>> prompts;
        TB_TRY_STATUS(validate(requests, &prompts));
        std::vector<Completion> out(requests.size());
        for (size_t i = 0; i < requests.size(); ++i) {
            out[i].prompt_ids = prompts[i];
            out[i].finish_reason = "length";
        }
        // Groups of requests that can share a forward: same adapter, same sampling.
        std::vector<std::vector<size_t>> groups;
        for (size_t i = 0; i < requests.size(); ++i) {
            auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
                const Request& a = requests[g.front()];
                return a.adapter == requests[i].adapter && a.sampling == requests[i].sampling &&
                       static_cast<int64_t>(g.size()) < max_batch_;
            });
            if (it == groups.end())
                groups.push_back({i});
            else
                it->push_back(i);
        }
        // Inference mode: no autograd bookkeeping (version counters, views) on any op of the
        // steps; every tensor made here stays inside generate().
        c10::InferenceMode inference;
        bool cancelled = false;
        for (const auto& g : groups) {
            if (cancelled || (opts.cancel && opts.cancel->cancelled())) {
                cancelled = true;
                for (size_t i : g) out[i].finish_reason = "cancelled";
                continue;
            }
            activate_adapter(requests[g.front()].adapter);
            TB_TRY_STATUS(run_batch(g, requests, prompts, opts, t0, out, &cancelled));
        }
        if (tok_)
            for (auto& c : out) c.text = tok_->decode(c.ids, true);
        return out;
    }

    const LoadReport& load_report() const override { return report_; }
    const LlamaConfig& config() const override { return model_.config; }
    std::shared_ptr<const Tokenizer> tokenizer() const override { return tok_; }
    const GenerationDefaults& generation_defaults() const override { return gen_; }
    const std::vector<int64_t>& eos_token_ids() const override { return eos_; }
    int64_t pad_token_id() const override { return pad_; }

  private:
    Status validate(const std::vector<Request>& requests,
                    std::vector<std::vector<int64_t>>* prompts) const {
        if (requests.empty()) return make_error("generate", "no requests");
        for (size_t i = 0; i < requests.size(); ++i) {
            const Request& r = requests[i];
            TB_ASSIGN_OR_RETURN(std::vector<int64_t> ids, encode(r));
            TB_TRY_STATUS(validate_request(r, ids, model_.config, tok_ != nullptr,
                                           r.adapter.empty() || adapters_.count(r.adapter) > 0,
                                           "request " + std::to_string(i)));
            prompts->push_back(std::move(ids));
        }
        return Status::Ok();
    }

    void detach_adapter() {
        if (active_.empty()) return;
        for (auto& [layer, proj, branch] : adapters_[active_].branches) {
            LoraLinear* lin = model_.layers[layer].projection(proj);
            branch = std::move(lin->lora);
            lin->lora = LoraBranch();
        }
        active_.clear();
    }

    void activate_adapter(const std::string& name) {
        if (name == active_) return;
        detach_adapter();
        if (name.empty()) return;
        for (auto& [layer, proj, branch] : adapters_[name].branches)
            model_.layers[layer].projection(proj)->lora = branch;
        active_ = name;
    }

    // One batch of rows that share adapter and sampling; fills out[rows[b]].
    Status run_batch(const std::vector<size_t>& rows, const std::vector<Request>& requests,
                     const std::vector<std::vector<int64_t>>& prompts, const GenerateOptions& opts,
                     Clock::time_point t0, std::vector<Completion>& out, bool* cancelled) {
        const int64_t B = static_cast<int64_t>(rows.size());
        const Sampling& s = requests[rows.front()].sampling;
        const at::Device dev = model_.device;
        std::vector<std::vector<int64_t>> batch;
        int64_t P = 0, max_new = 0;
        for (size_t r : rows) {
            batch.push_back(prompts[r]);
            P = std::max<int64_t>(P, static_cast<int64_t>(prompts[r].size()));
            max_new = std::max(max_new, requests[r].max_new_tokens);
        }
        at::Tensor logits = backend_->prefill(batch, pad_, max_new);

        // Selection: argmax on the device for plain greedy; HF's processors (Sampler)
        // otherwise, with the tokens seen so far for the repetition penalty (HF counts the
        // prompt and its padding).
        const bool plain_greedy = s.greedy && s.repetition_penalty == 1.0;
        std::unique_ptr<Sampler> sampler;
        at::Tensor seen;
        if (!plain_greedy) {
            sampler = std::make_unique<Sampler>(to_sampler(s));
            seen = at::full({B, P + max_new}, pad_, at::kLong);
            for (int64_t b = 0; b < B; ++b) {
                const auto& p = batch[static_cast<size_t>(b)];
                const int64_t off = P - static_cast<int64_t>(p.size());
                for (size_t j = 0; j < p.size(); ++j) seen[b][off + static_cast<int64_t>(j)] = p[j];
            }
            seen = seen.to(dev);
        }
        at::Tensor eos_dev;
        if (!eos_.empty()) eos_dev = at::tensor(eos_, at::kLong).to(dev);
        const double neg_inf = -std::numeric_limits<double>::infinity();

        // Each row's end rule and text stream (request_rules.h).
        std::vector<RowEnd> ends;
        ends.reserve(rows.size());
        for (size_t r : rows) ends.emplace_back(requests[r], tok_, eos_);
        std::vector<bool> running(rows.size(), true);
        int64_t alive = B;
        for (int64_t step = 0; step < max_new && alive > 0; ++step) {
            if (opts.cancel && opts.cancel->cancelled()) {
                for (size_t b = 0; b < rows.size(); ++b)
                    if (running[b]) out[rows[b]].finish_reason = "cancelled";
                *cancelled = true;
                break;
            }
            // NaN/Inf logits would decode as token 0 forever (argmax) or fail inside
            // multinomial: flagged per row on the device, read with the sampled ids.
            at::Tensor bad = at::isfinite(logits).logical_not().any(1);
            // EOS is not a choice before min_new_tokens (per row).
            if (eos_dev.defined()) {
                std::vector<int64_t> early;
                for (size_t b = 0; b < rows.size(); ++b)
                    if (running[b] && step < requests[rows[b]].min_new_tokens)
                        early.push_back(static_cast<int64_t>(b));
                if (static_cast<int64_t>(early.size()) == B)
                    logits.index_fill_(1, eos_dev, neg_inf);
                else
                    for (int64_t b : early) logits.select(0, b).index_fill_(0, eos_dev, neg_inf);
            }
            at::Tensor next_dev, next_host, bad_host;
            if (plain_greedy) {
                next_dev = logits.argmax(-1);
                // The step's one wait for the device: ids and flags in one copy.
                at::Tensor both = at::stack({next_dev, bad.to(at::kLong)}).to(at::kCPU);
                next_host = both[0];
                bad_host = both[1];
            } else {
                bad_host = bad.to(at::kLong).to(at::kCPU);
                if (!bad_host.any().item<bool>()) {
                    next_host = sampler->next(logits, seen.narrow(1, 0, P + step), {});
                    next_dev = next_host.to(dev);
                    seen.select(1, P + step).copy_(next_dev);
                }
            }
            {
                auto bad_acc = bad_host.accessor<int64_t, 1>();
                for (size_t b = 0; b < rows.size(); ++b)
                    if (running[b] && bad_acc[static_cast<int64_t>(b)]) {
                        backend_->release();
                        return make_error("request " + std::to_string(rows[b]),
                                          "new token " + std::to_string(step + 1) +
                                              ": the model's logits are not finite (NaN or Inf "
                                              "weights, or an fp16 overflow)");
                    }
            }
            const double now = std::chrono::duration<double>(Clock::now() - t0).count();
            auto acc = next_host.accessor<int64_t, 1>();
            for (size_t b = 0; b < rows.size(); ++b) {
                if (!running[b]) continue;
                Completion& c = out[rows[b]];
                const int64_t tok = acc[static_cast<int64_t>(b)];
                c.ids.push_back(tok);
                c.token_seconds.push_back(now);
                TokenEvent ev;
                ev.request = rows[b];
                ev.index = static_cast<int64_t>(c.ids.size()) - 1;
                ev.token = tok;
                ev.seconds = now;
                std::string finish;
                ev.text = ends[b].push(tok, &finish);
                const bool done = !finish.empty();
                if (done) {
                    c.finish_reason = finish;
                    running[b] = false;
                    c.end_seconds = now;
                    --alive;
                }
                if (opts.on_token) opts.on_token(ev);
            }
            if (alive > 0 && step + 1 < max_new) logits = backend_->decode(next_dev);
        }
        const double end = std::chrono::duration<double>(Clock::now() - t0).count();
        for (size_t b = 0; b < rows.size(); ++b)
            if (running[b]) out[rows[b]].end_seconds = end;
        backend_->release();
        return Status::Ok();
    }

    LlamaModel model_;
    std::shared_ptr<Tokenizer> tok_;
    GenerationDefaults gen_;
    std::vector<int64_t> eos_;
    int64_t pad_ = 0;
    int64_t max_batch_ = 64;
    std::unique_ptr<DecodeBackend> backend_;
    std::map<std::string, AdapterBranches> adapters_;
    std::string active_;  // adapter whose branches are attached ("" = none)
    LoadReport report_;
};

}  // namespace

Result<std::unique_ptr<InferenceEngine>> InferenceEngine::load(const EngineParams& params) {
#if defined(TB_WITH_SERVE)
    // Paged KV cache and continuous batching: the serving core's Batcher behind this interface.
    if (params.engine == "paged") return serve::load_paged_engine(params);
#endif
    auto e = std::make_unique<Engine>();
    TB_TRY_STATUS(e->init(params));
    return std::unique_ptr<InferenceEngine>(std::move(e));
}

}  // namespace tb::infer
