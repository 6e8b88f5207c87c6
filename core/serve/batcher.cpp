// The serving core (batcher.h): loading, the block manager with prefix sharing, and the
// continuous-batching scheduler over PagedModel (paged_model.h).
//
// Scheduler step (one thread owns the model, the pool and every sequence):
//   1. new requests join the waiting queue, cancelled ones finish and free their blocks;
//   2. every running sequence that decodes gets one token in the step (a new block when its
//      next position starts one); when the pool is out of blocks the newest running sequence
//      is preempted: its blocks are freed and it goes back to the front of the queue with its
//      generated tokens, to be prefilled again (vLLM's recompute preemption: the tokens it
//      streamed stay streamed, the next one continues where it stood);
//   3. prompts are prefilled up to max_prefill_tokens per step: first the ones already
//      started, then new ones from the queue (while fewer than max_num_seqs run); a longer
//      prompt continues in the next step (chunked prefill);
//   4. one PagedModel::step over all chunks; sampling of the sequences whose chunk reached
//      their last token; events; finished sequences free their blocks at once.
// Prefix sharing: a full block of prompt tokens is registered under a hash of the chain of
// its blocks (the adapter included: its K/V differ); a new sequence takes the longest chain
// of registered blocks that matches its prompt (reference-counted, never written again) and
// starts its prefill after them. Blocks nobody holds stay registered until a new allocation
// needs them (least recently freed first).
#include "core/serve/batcher.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/common/process_memory.h"
#include "core/common/torch_compat.h"
#include "core/infer/engine_load.h"
#include "core/infer/peft_adapter.h"
#include "core/infer/request_rules.h"
#include "core/infer/sampler.h"
#include "core/serve/paged_model.h"

#if defined(TUNEBENCH_WITH_CUDA)
#include <cuda_runtime_api.h>
#endif

namespace tb::serve {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using infer::Request;

const char* const kProjections[] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                    "gate_proj", "up_proj", "down_proj"};

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// splitmix64 steps: the chain hash of prefix blocks.
uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h += 0x9e3779b97f4a7c15ULL;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

// Free CUDA memory of `dev` (cudaMemGetInfo), 0 without CUDA.
int64_t cuda_free_bytes(const at::Device& dev) {
#if defined(TUNEBENCH_WITH_CUDA)
    if (!dev.is_cuda()) return 0;
    int prev = 0;
    cudaGetDevice(&prev);
    cudaSetDevice(dev.has_index() ? dev.index() : 0);
    size_t free_b = 0, total_b = 0;
    const cudaError_t e = cudaMemGetInfo(&free_b, &total_b);
    cudaSetDevice(prev);
    return e == cudaSuccess ? static_cast<int64_t>(free_b) : 0;
#else
    (void)dev;
    return 0;
#endif
}

// Blocks: reference counts, the free list and the prefix registry.
class BlockManager {
  public:
    explicit BlockManager(int64_t n) : ref_(static_cast<size_t>(n), 0), key_(n, 0), keyed_(n, 0) {
        for (int64_t b = n - 1; b >= 0; --b) free_.push_back(b);
    }

    int64_t total() const { return static_cast<int64_t>(ref_.size()); }
    int64_t available() const {
        return static_cast<int64_t>(free_.size()) + static_cast<int64_t>(idle_.size());
    }
    int64_t cached() const { return static_cast<int64_t>(registry_.size()); }

    // A block for new K/V, or -1: unregistered free blocks first, then the registered block
    // freed longest ago (dropped from the registry).
    int64_t alloc() {
        int64_t b = -1;
        if (!free_.empty()) {
            b = free_.back();
            free_.pop_back();
        } else if (!idle_.empty()) {
            b = idle_.front();
            idle_.pop_front();
            idle_pos_.erase(b);
            registry_.erase(key_[static_cast<size_t>(b)]);
            keyed_[static_cast<size_t>(b)] = 0;
        } else {
            return -1;
        }
        ref_[static_cast<size_t>(b)] = 1;
        return b;
    }

    void release(int64_t b) {
        const size_t i = static_cast<size_t>(b);
        if (--ref_[i] > 0) return;
        if (keyed_[i]) {
            idle_.push_back(b);
            idle_pos_[b] = std::prev(idle_.end());
        } else {
            free_.push_back(b);
        }
    }

    // The registered block of (parent hash, tokens, adapter serial), taken (ref + 1), or -1.
    int64_t take(uint64_t key, uint64_t parent, const int64_t* tokens, int64_t n) {
        auto it = registry_.find(key);
        if (it == registry_.end()) return -1;
        const Entry& e = it->second;
        if (e.parent != parent || static_cast<int64_t>(e.tokens.size()) != n ||
            !std::equal(e.tokens.begin(), e.tokens.end(), tokens))
            return -1;  // a hash collision: not the same prefix
        const size_t i = static_cast<size_t>(e.block);
        if (ref_[i] == 0) {
            idle_.erase(idle_pos_[e.block]);
            idle_pos_.erase(e.block);
        }
        ++ref_[i];
        return e.block;
    }

    // Registers a full, computed block under `key` (no-op when the key is taken).
    void enter(int64_t block, uint64_t key, uint64_t parent, const int64_t* tokens, int64_t n) {
        const size_t i = static_cast<size_t>(block);
        if (keyed_[i] || registry_.count(key)) return;
        registry_[key] = Entry{block, parent, std::vector<int64_t>(tokens, tokens + n)};
        key_[i] = key;
        keyed_[i] = 1;
    }

  private:
    struct Entry {
        int64_t block;
        uint64_t parent;
        std::vector<int64_t> tokens;
    };
    std::vector<int> ref_;
    std::vector<uint64_t> key_;
    std::vector<char> keyed_;
    std::vector<int64_t> free_;
    std::list<int64_t> idle_;  // registered, unreferenced: least recently freed first
    std::unordered_map<int64_t, std::list<int64_t>::iterator> idle_pos_;
    std::unordered_map<uint64_t, Entry> registry_;
};

struct Adapter {
    AdapterWeights weights;
    uint64_t serial = 0;  // distinguishes reloads under one name (prefix keys)
};

struct Seq {
    uint64_t id = 0;
    Request req;
    std::vector<int64_t> tokens;  // prompt + generated
    int64_t prompt_len = 0;
    int64_t computed = 0;         // tokens whose K/V are in the pool
    std::vector<int64_t> blocks;  // block table
    std::vector<uint64_t> keys;   // prefix keys of blocks[0..keys.size()) (registered or not)
    std::shared_ptr<const Adapter> adapter;
    std::unique_ptr<infer::RowEnd> end;
    std::unique_ptr<Sampler> sampler;  // null: plain greedy (argmax)
    std::function<void(const StreamEvent&)> on_event;
    Clock::time_point submitted;
    double ttft = 0;
    int64_t generated = 0;
    int64_t pending() const { return static_cast<int64_t>(tokens.size()) - computed; }
};

using Emit = std::vector<std::pair<std::function<void(const StreamEvent&)>, StreamEvent>>;

class PagedBatcher final : public Batcher {
  public:
    ~PagedBatcher() override { stop(0); }

    Status init(const BatcherParams& p) {
        params_ = p;
        const infer::EngineParams& ep = p.engine;
        if (p.block_size < 1) return make_error("block_size", "must be >= 1");
        if (!(p.memory_fraction > 0 && p.memory_fraction <= 1))
            return make_error("memory_fraction", "must be in (0, 1]");
        if (p.kv_cache_bytes < 0) return make_error("kv_cache_bytes", "must be >= 0");
        if (p.max_num_seqs < 1) return make_error("max_num_seqs", "must be >= 1");
        if (p.max_prefill_tokens < 1) return make_error("max_prefill_tokens", "must be >= 1");
        if (p.max_model_len < 0) return make_error("max_model_len", "must be >= 0");
        TB_ASSIGN_OR_RETURN(const infer::EngineTarget target, infer::resolve_engine_target(ep));
        const at::Device device = target.device;
        const at::ScalarType dtype = target.dtype;

        const auto t0 = Clock::now();
        torch::NoGradGuard no_grad;
        // The model, tokenizer and EOS/pad rule, loaded as the inference core's engines load
        // them (core/infer/engine_load.h).
        TB_ASSIGN_OR_RETURN(infer::LoadedEngineModel loaded, infer::load_engine_model(ep, target));
        model_ = std::move(loaded.model);
        gen_ = std::move(loaded.gen);
        tok_ = std::move(loaded.tok);
        eos_ = std::move(loaded.eos);
        pad_ = loaded.pad;
        const int64_t ctx = model_.config.max_position_embeddings;
        if (p.max_model_len > ctx)
            return make_error("max_model_len", "must be <= the model's max_position_embeddings (" +
                                                   std::to_string(ctx) + ")");
        max_model_len_ = p.max_model_len > 0 ? p.max_model_len : ctx;
        if (!p.model_name.empty())
            model_name_ = p.model_name;
        else if (!ep.model_dir.empty())
            model_name_ = fs::path(ep.model_dir).lexically_normal().filename().string() == ""
                              ? fs::path(ep.model_dir).parent_path().filename().string()
                              : fs::path(ep.model_dir).lexically_normal().filename().string();
        else
            model_name_ = "random";

        for (const auto& [name, dir] : p.adapters) TB_TRY_STATUS(load_adapter(name, dir));

        // The block pool: what is left after the weights (and adapters), as asked.
        const int64_t bb = PagedModel::block_bytes(model_.config, p.block_size, dtype);
        int64_t bytes = 0;
        std::string source;
        if (p.kv_cache_bytes > 0) {
            bytes = p.kv_cache_bytes;
            source = "kv_cache_bytes";
        } else if (device.is_cuda()) {
            compat::cuda_synchronize();
            compat::cuda_empty_cache();
            bytes = static_cast<int64_t>(p.memory_fraction *
                                         static_cast<double>(cuda_free_bytes(device)));
            source = "memory_fraction";
        } else {
            const int64_t per_seq = (max_model_len_ + p.block_size - 1) / p.block_size * bb;
            bytes =
                std::min(per_seq * p.max_num_seqs, std::max<int64_t>(int64_t(1) << 30, per_seq));
            source = "kv_cache_bytes";
        }
        const int64_t blocks = bytes / bb;
        if (blocks < 1)
            return make_error(source, "no room for one KV block (" + std::to_string(bb) +
                                          " bytes of " + std::to_string(p.block_size) +
                                          " tokens; " + std::to_string(bytes) + " bytes given)");
        paged_ = std::make_unique<PagedModel>(model_, blocks, p.block_size);
        blocks_ = std::make_unique<BlockManager>(blocks);
        compat::cuda_synchronize();
        report_.seconds = seconds_since(t0);
        report_.weight_bytes = model_.parameter_bytes();
        report_.device = device.str();
        report_.dtype = dtype_name(dtype);
        if (device.is_cuda())
            if (auto m = compat::cuda_memory(device.has_index() ? device.index() : 0)) {
                report_.device_allocated = m->allocated;
                report_.device_reserved = m->reserved;
            }
        report_.rss_bytes = process_rss_bytes();
        {
            std::lock_guard<std::mutex> lk(mu_);
            stats_.kv_blocks_total = blocks;
        }
        thread_ = std::thread([this] { loop(); });
        return Status::Ok();
    }

    Result<std::vector<int64_t>> check(const Request& r) const override {
        TB_ASSIGN_OR_RETURN(std::vector<int64_t> ids, infer::encode_prompt(r, tok_.get()));
        bool known = r.adapter.empty();
        if (!known) {
            std::lock_guard<std::mutex> lk(adapters_mu_);
            known = adapters_.count(r.adapter) > 0;
        }
        TB_TRY_STATUS(
            infer::validate_request(r, ids, model_.config, tok_ != nullptr, known, "request"));
        const int64_t P = static_cast<int64_t>(ids.size());
        if (P + r.max_new_tokens > max_model_len_)
            return make_error("request",
                              "the prompt (" + std::to_string(P) + " tokens) + max_new_tokens (" +
                                  std::to_string(r.max_new_tokens) + ") exceed max_model_len (" +
                                  std::to_string(max_model_len_) + ")");
        const int64_t bs = paged_->block_size();
        const int64_t need = (P + r.max_new_tokens + bs - 1) / bs;
        if (need > paged_->num_blocks())
            return make_error("request", "needs " + std::to_string(need) + " KV blocks of " +
                                             std::to_string(bs) + " tokens, the pool holds " +
                                             std::to_string(paged_->num_blocks()) +
                                             " (raise kv_cache_bytes or memory_fraction)");
        return ids;
    }

    Result<uint64_t> submit(const Request& r,
                            std::function<void(const StreamEvent&)> on_event) override {
        TB_ASSIGN_OR_RETURN(std::vector<int64_t> ids, check(r));
        auto s = std::make_unique<Seq>();
        s->req = r;
        s->prompt_len = static_cast<int64_t>(ids.size());
        s->tokens = std::move(ids);
        if (!r.adapter.empty()) {
            std::lock_guard<std::mutex> lk(adapters_mu_);
            s->adapter = adapters_.at(r.adapter);
        }
        s->end = std::make_unique<infer::RowEnd>(r, tok_, eos_);
        if (!(r.sampling.greedy && r.sampling.repetition_penalty == 1.0)) {
            SamplingParams sp;
            sp.greedy = r.sampling.greedy;
            sp.temperature = r.sampling.temperature;
            sp.top_k = r.sampling.top_k;
            sp.top_p = r.sampling.top_p;
            sp.repetition_penalty = r.sampling.repetition_penalty;
            sp.seed = r.sampling.seed;
            s->sampler = std::make_unique<Sampler>(sp);
        }
        s->on_event = std::move(on_event);
        s->submitted = Clock::now();
        std::lock_guard<std::mutex> lk(mu_);
        if (stopping_) return make_error("batcher", "stopping: no new requests are accepted");
        s->id = ++next_id_;
        const uint64_t id = s->id;
        incoming_.push_back(std::move(s));
        cv_.notify_all();
        return id;
    }

    void cancel(uint64_t id) override {
        std::lock_guard<std::mutex> lk(mu_);
        cancels_.push_back(id);
        cv_.notify_all();
    }

    void stop(double grace_seconds) override {
        {
            std::lock_guard<std::mutex> lk(mu_);
            const auto deadline =
                Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(std::max(0.0, grace_seconds)));
            if (!stopping_ || deadline < deadline_) deadline_ = deadline;
            stopping_ = true;
            cv_.notify_all();
        }
        std::lock_guard<std::mutex> jl(join_mu_);
        if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
    }

    BatcherStats stats() const override {
        std::lock_guard<std::mutex> lk(mu_);
        BatcherStats s = stats_;
        s.waiting += static_cast<int64_t>(incoming_.size());
        return s;
    }

    Status load_adapter(const std::string& name, const std::string& dir) override {
        if (name.empty()) return make_error("adapter", "the name must not be empty");
        torch::NoGradGuard no_grad;
        // Attached to a copy of the model's layer list (the tensors are shared, the LoRA
        // slots are the copy's): the scheduler may be running steps on the model meanwhile.
        LlamaModel shadow = model_;
        for (auto& L : shadow.layers)
            for (const char* proj : kProjections) L.projection(proj)->lora = LoraBranch();
        if (Status st = apply_peft_adapter(shadow, dir); !st.ok())
            return make_error("adapter " + name, st.error().message);
        auto a = std::make_shared<Adapter>();
        a->weights.layers.resize(shadow.layers.size());
        for (size_t i = 0; i < shadow.layers.size(); ++i)
            for (size_t j = 0; j < 7; ++j) {
                const LoraBranch& b = shadow.layers[i].projection(kProjections[j])->lora;
                if (b.magnitude.defined())
                    return make_error("adapter " + name,
                                      dir +
                                          " is a DoRA adapter; the paged engine applies plain "
                                          "LoRA terms per request (merge it, or use eager)");
                a->weights.layers[i][j] = b;
            }
        std::lock_guard<std::mutex> lk(adapters_mu_);
        a->serial = ++adapter_serial_;
        if (!adapters_.count(name)) adapter_order_.push_back(name);
        adapters_[name] = std::move(a);
        return Status::Ok();
    }

    std::vector<std::string> model_names() const override {
        std::vector<std::string> out = {model_name_};
        std::lock_guard<std::mutex> lk(adapters_mu_);
        for (const auto& n : adapter_order_) out.push_back(n);
        return out;
    }

    Result<std::string> adapter_for_model(const std::string& name) const override {
        if (name == model_name_) return std::string();
        std::lock_guard<std::mutex> lk(adapters_mu_);
        if (adapters_.count(name)) return name;
        std::string known = model_name_;
        for (const auto& n : adapter_order_) known += ", " + n;
        return make_error("model", "unknown model '" + name + "' (served: " + known + ")");
    }

    const infer::LoadReport& load_report() const override { return report_; }
    const LlamaConfig& config() const override { return model_.config; }
    std::shared_ptr<const Tokenizer> tokenizer() const override { return tok_; }
    const GenerationDefaults& generation_defaults() const override { return gen_; }
    int64_t max_model_len() const override { return max_model_len_; }
    std::vector<int64_t> eos_token_ids() const override { return eos_; }
    int64_t pad_token_id() const override { return pad_; }
    int64_t kv_blocks() const override { return paged_->num_blocks(); }
    int64_t block_size() const override { return paged_->block_size(); }

  private:
    // ---- scheduler thread -------------------------------------------------------------

    void loop() {
        c10::InferenceMode inference;
        c10::DeviceGuard device_guard(model_.device);
        for (;;) {
            std::vector<uint64_t> cancels;
            bool cancel_all = false;
            {
                std::unique_lock<std::mutex> lk(mu_);
                cv_.wait(lk, [&] {
                    return !incoming_.empty() || !cancels_.empty() || stopping_ ||
                           !running_.empty() || !waiting_.empty();
                });
                for (auto& s : incoming_) waiting_.push_back(std::move(s));
                incoming_.clear();
                cancels.swap(cancels_);
                if (stopping_) {
                    if (running_.empty() && waiting_.empty()) break;
                    cancel_all = Clock::now() >= deadline_;
                }
            }
            Emit emit;
            for (uint64_t id : cancels) cancel_now(id, emit);
            if (cancel_all) {
                std::vector<uint64_t> all;
                for (auto& s : running_) all.push_back(s->id);
                for (auto& s : waiting_) all.push_back(s->id);
                for (uint64_t id : all) cancel_now(id, emit);
            }
            if (!running_.empty() || !waiting_.empty()) step(emit);
            publish_stats();
            for (auto& [cb, ev] : emit)
                if (cb) cb(ev);
        }
        publish_stats();
    }

    void publish_stats() {
        std::lock_guard<std::mutex> lk(mu_);
        stats_.running = static_cast<int64_t>(running_.size());
        stats_.waiting = static_cast<int64_t>(waiting_.size());
        stats_.kv_blocks_used = blocks_->total() - blocks_->available();
        stats_.prefix_blocks_cached = blocks_->cached();
        stats_.requests_finished = finished_;
        stats_.tokens_generated = generated_;
        stats_.preemptions = preemptions_;
        stats_.prefix_tokens_reused = prefix_reused_;
        stats_.steps = steps_;
    }

    void free_blocks(Seq& s) {
        for (int64_t b : s.blocks) blocks_->release(b);
        s.blocks.clear();
        s.keys.clear();
        s.computed = 0;
    }

    void finish(std::unique_ptr<Seq> s, const std::string& reason, const std::string& error,
                Emit& emit) {
        free_blocks(*s);
        StreamEvent ev;
        ev.request_id = s->id;
        ev.finished = true;
        ev.finish_reason = reason;
        ev.error = error;
        ev.prompt_tokens = s->prompt_len;
        ev.completion_tokens = s->generated;
        ev.ttft_seconds = s->ttft;
        ev.total_seconds = seconds_since(s->submitted);
        ++finished_;
        emit.emplace_back(std::move(s->on_event), std::move(ev));
    }

    // Takes the sequence `id` out of the running list or the queue.
    std::unique_ptr<Seq> take(uint64_t id) {
        for (auto it = running_.begin(); it != running_.end(); ++it)
            if ((*it)->id == id) {
                std::unique_ptr<Seq> s = std::move(*it);
                running_.erase(it);
                return s;
            }
        for (auto it = waiting_.begin(); it != waiting_.end(); ++it)
            if ((*it)->id == id) {
                std::unique_ptr<Seq> s = std::move(*it);
                waiting_.erase(it);
                return s;
            }
        return nullptr;
    }

    void cancel_now(uint64_t id, Emit& emit) {
        if (auto s = take(id)) finish(std::move(s), "cancelled", "", emit);
    }

    // The newest running sequence goes back to the front of the queue without its blocks.
    void preempt_newest() {
        std::unique_ptr<Seq> s = std::move(running_.back());
        running_.pop_back();
        free_blocks(*s);
        ++preemptions_;
        waiting_.push_front(std::move(s));
    }

    // Blocks for positions [0, upto): false (nothing taken) when the pool cannot give them.
    bool ensure_blocks(Seq& s, int64_t upto) {
        const int64_t bs = paged_->block_size();
        const int64_t need = (upto + bs - 1) / bs - static_cast<int64_t>(s.blocks.size());
        if (need <= 0) return true;
        if (need > blocks_->available()) return false;
        for (int64_t i = 0; i < need; ++i) s.blocks.push_back(blocks_->alloc());
        return true;
    }

    // Tokens a prefill chunk of `s` may take now (<= want), given the free blocks.
    int64_t fit(const Seq& s, int64_t want) const {
        const int64_t bs = paged_->block_size();
        const int64_t room =
            (static_cast<int64_t>(s.blocks.size()) + blocks_->available()) * bs - s.computed;
        return std::max<int64_t>(0, std::min(want, room));
    }

    uint64_t block_key(const Seq& s, size_t i) const {
        const int64_t bs = paged_->block_size();
        uint64_t h = i == 0 ? mix(0x7462ULL, s.adapter ? s.adapter->serial : 0) : s.keys[i - 1];
        for (int64_t j = 0; j < bs; ++j)
            h = mix(h, static_cast<uint64_t>(s.tokens[i * static_cast<size_t>(bs) + j]));
        return h;
    }
    uint64_t parent_key(const Seq& s, size_t i) const {
        return i == 0 ? mix(0x7462ULL, s.adapter ? s.adapter->serial : 0) : s.keys[i - 1];
    }

    // A new sequence: the registered blocks of its prompt's longest cached prefix (full
    // blocks only, and never the last prompt token: its logits are needed).
    void match_prefix(Seq& s) {
        if (!params_.prefix_caching) return;
        const int64_t bs = paged_->block_size();
        const int64_t full = (s.prompt_len - 1) / bs;
        for (int64_t i = 0; i < full; ++i) {
            const size_t ui = static_cast<size_t>(i);
            const uint64_t key = block_key(s, ui);
            const int64_t b = blocks_->take(key, parent_key(s, ui), &s.tokens[ui * bs], bs);
            if (b < 0) break;
            s.blocks.push_back(b);
            s.keys.push_back(key);
            s.computed += bs;
        }
        prefix_reused_ += s.computed;
    }

    // Registers the sequence's newly computed full prompt blocks.
    void register_blocks(Seq& s) {
        if (!params_.prefix_caching) return;
        const int64_t bs = paged_->block_size();
        const int64_t full = std::min(s.computed, s.prompt_len) / bs;
        for (int64_t i = static_cast<int64_t>(s.keys.size()); i < full; ++i) {
            const size_t ui = static_cast<size_t>(i);
            const uint64_t key = block_key(s, ui);
            blocks_->enter(s.blocks[ui], key, parent_key(s, ui), &s.tokens[ui * bs], bs);
            s.keys.push_back(key);
        }
    }

    struct Planned {
        Seq* seq;
        int64_t n;
    };

    void step(Emit& emit) {
        std::vector<Planned> plan;
        // 1. One token for every decoding sequence (preempting the newest when out of blocks).
        for (size_t i = 0; i < running_.size(); ++i) {
            Seq* s = running_[i].get();
            if (s->pending() != 1) continue;
            bool ok = ensure_blocks(*s, s->computed + 1);
            while (!ok) {
                const bool self = running_.back().get() == s;
                preempt_newest();
                if (self) break;
                ok = ensure_blocks(*s, s->computed + 1);
            }
            if (!ok) break;  // s itself went back to the queue (it was the newest)
            plan.push_back({s, 1});
        }
        // 2. Prefill chunks: started prompts first, then new ones.
        int64_t budget = params_.max_prefill_tokens;
        for (auto& sp : running_) {
            Seq& s = *sp;
            if (budget == 0) break;
            if (s.pending() <= 1) continue;
            const int64_t n = fit(s, std::min(s.pending(), budget));
            if (n == 0 || !ensure_blocks(s, s.computed + n)) continue;
            plan.push_back({&s, n});
            budget -= n;
        }
        while (budget > 0 && !waiting_.empty() &&
               static_cast<int64_t>(running_.size()) < params_.max_num_seqs) {
            Seq& s = *waiting_.front();
            if (s.blocks.empty()) match_prefix(s);
            const int64_t n = fit(s, std::min(s.pending(), budget));
            if (n == 0 || !ensure_blocks(s, s.computed + n)) {
                prefix_reused_ -= s.computed;
                free_blocks(s);  // the shared prefix goes back too: matched again next time
                break;
            }
            running_.push_back(std::move(waiting_.front()));
            waiting_.pop_front();
            plan.push_back({&s, n});
            budget -= n;
        }
        if (plan.empty()) {
            // Every running sequence waits for blocks another one holds: free the newest.
            if (!running_.empty()) preempt_newest();
            return;
        }

        std::vector<StepChunk> chunks(plan.size());
        std::vector<size_t> sampled;  // plan indices whose chunk reaches the last token
        for (size_t k = 0; k < plan.size(); ++k) {
            Seq& s = *plan[k].seq;
            StepChunk& c = chunks[k];
            c.tokens.assign(s.tokens.begin() + s.computed,
                            s.tokens.begin() + s.computed + plan[k].n);
            c.start = s.computed;
            c.blocks = &s.blocks;
            c.adapter = s.adapter ? &s.adapter->weights : nullptr;
            c.want_logits = s.computed + plan[k].n == static_cast<int64_t>(s.tokens.size());
            if (c.want_logits) sampled.push_back(k);
        }
        at::Tensor logits;
        std::string failure;
        try {
            logits = paged_->step(chunks);
        } catch (const std::exception& e) {
            failure = std::string("the forward step failed: ") + e.what();
        }
        ++steps_;
        if (!failure.empty()) {
            std::vector<uint64_t> ids;
            for (const auto& p : plan) ids.push_back(p.seq->id);
            for (uint64_t id : ids)
                if (auto s = take(id)) finish(std::move(s), "error", failure, emit);
            return;
        }
        for (const auto& p : plan) {
            p.seq->computed += p.n;
            register_blocks(*p.seq);
        }
        if (sampled.empty()) return;
        sample(plan, sampled, logits, emit);
    }

    void sample(const std::vector<Planned>& plan, const std::vector<size_t>& sampled,
                at::Tensor logits, Emit& emit) {
        const at::Device dev = model_.device;
        const int64_t S = static_cast<int64_t>(sampled.size());
        // NaN/Inf logits would decode as token 0 forever (argmax): flagged per row.
        at::Tensor bad = at::isfinite(logits).logical_not().any(1);
        // EOS is not a choice before min_new_tokens (per row).
        if (!eos_.empty()) {
            at::Tensor eos_dev;
            for (int64_t r = 0; r < S; ++r) {
                const Seq& s = *plan[sampled[static_cast<size_t>(r)]].seq;
                if (s.generated >= s.req.min_new_tokens) continue;
                if (!eos_dev.defined()) eos_dev = at::tensor(eos_, at::kLong).to(dev);
                logits.select(0, r).index_fill_(0, eos_dev,
                                                -std::numeric_limits<double>::infinity());
            }
        }
        // One copy to the host: the argmax of every row and the flags.
        at::Tensor both = at::stack({logits.argmax(-1), bad.to(at::kLong)}).to(at::kCPU);
        auto acc = both.accessor<int64_t, 2>();
        std::vector<uint64_t> done;
        std::vector<std::pair<uint64_t, std::string>> errors;
        for (int64_t r = 0; r < S; ++r) {
            Seq& s = *plan[sampled[static_cast<size_t>(r)]].seq;
            if (acc[1][r]) {
                errors.emplace_back(s.id, "new token " + std::to_string(s.generated + 1) +
                                              ": the model's logits are not finite (NaN or Inf "
                                              "weights, or an fp16 overflow)");
                continue;
            }
            int64_t tok = acc[0][r];
            if (s.sampler) {
                at::Tensor seen = at::tensor(s.tokens, at::kLong).view({1, -1}).to(dev);
                tok = s.sampler->next(logits.narrow(0, r, 1), seen, {})[0].item<int64_t>();
            }
            if (s.generated == 0) s.ttft = seconds_since(s.submitted);
            s.tokens.push_back(tok);
            ++s.generated;
            ++generated_;
            std::string finish;
            StreamEvent ev;
            ev.request_id = s.id;
            ev.index = s.generated - 1;
            ev.token = tok;
            ev.text = s.end->push(tok, &finish);
            emit.emplace_back(s.on_event, std::move(ev));
            if (!finish.empty()) {
                done.push_back(s.id);
                finish_reasons_[s.id] = finish;
            }
        }
        for (const auto& [id, msg] : errors)
            if (auto s = take(id)) finish(std::move(s), "error", msg, emit);
        for (uint64_t id : done)
            if (auto s = take(id)) {
                const std::string reason = finish_reasons_[id];
                finish_reasons_.erase(id);
                finish(std::move(s), reason, "", emit);
            }
    }

    BatcherParams params_;
    LlamaModel model_;
    std::shared_ptr<Tokenizer> tok_;
    GenerationDefaults gen_;
    std::vector<int64_t> eos_;
    int64_t pad_ = 0;
    int64_t max_model_len_ = 0;
    std::string model_name_;
    infer::LoadReport report_;
    std::unique_ptr<PagedModel> paged_;
    std::unique_ptr<BlockManager> blocks_;

    mutable std::mutex adapters_mu_;
    std::map<std::string, std::shared_ptr<const Adapter>> adapters_;
    std::vector<std::string> adapter_order_;
    uint64_t adapter_serial_ = 0;

    // Shared with submitters (mu_).
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Seq>> incoming_;
    std::vector<uint64_t> cancels_;
    bool stopping_ = false;
    Clock::time_point deadline_;
    uint64_t next_id_ = 0;
    BatcherStats stats_;
    std::mutex join_mu_;
    std::thread thread_;

    // Scheduler thread only.
    std::vector<std::unique_ptr<Seq>> running_;  // holding blocks, in admission order
    std::deque<std::unique_ptr<Seq>> waiting_;
    std::map<uint64_t, std::string> finish_reasons_;
    int64_t finished_ = 0, generated_ = 0, preemptions_ = 0, prefix_reused_ = 0, steps_ = 0;
};

}  // namespace

Result<std::unique_ptr<Batcher>> Batcher::start(const BatcherParams& params) {
    auto b = std::make_unique<PagedBatcher>();
    TB_TRY_STATUS(b->init(params));
    return std::unique_ptr<Batcher>(std::move(b));
}

}  // namespace tb::serve
