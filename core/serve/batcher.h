// The serving core: one Batcher owns a loaded model (the `paged` engine: a paged KV cache,
// continuous batching, chunked prefill, prefix sharing, several LoRA adapters in one batch)
// and a scheduler thread. Front ends - `tunebench-cli serve` (OpenAI/Ollama HTTP), `generate
// --engine paged`, `bench infer --engines paged --concurrency N` and the GUI's server control -
// submit requests from any thread and receive their tokens through a callback; none of them
// re-implements prompt encoding, the EOS/stop rule or sampling (those are the inference
// core's, core/infer/inference.h, and the Batcher applies the same rules).
//
// Threading: submit()/cancel()/stats() are thread-safe. Callbacks run on the scheduler thread,
// in step order; they must not block (an HTTP handler pushes the event to its own queue) and
// must not call back into the Batcher except cancel().
//
// Torch-free header: the CLI's HTTP layer and the GUI include it without libtorch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/common/error.h"
#include "core/infer/inference.h"

namespace tb::serve {

struct BatcherParams {
    // Model, tokenizer, device, dtype, seed (random_shape for benchmarks and tests). `engine`
    // is ignored: the Batcher always runs the paged engine.
    infer::EngineParams engine;
    // LoRA adapters served beside the base model, as (name, PEFT folder); a request picks one
    // by Request::adapter (the HTTP layer maps the `model` field to it).
    std::vector<std::pair<std::string, std::string>> adapters;
    // The name the base model is served under ("" = the model folder's base name, or
    // "random" for random weights).
    std::string model_name;
    // KV cache: tokens per block, and the share of the device memory left after loading the
    // weights that the block pool may take (vLLM's gpu_memory_utilization, applied to free
    // memory). On CPU `kv_cache_bytes` (when > 0) sets the pool size instead; it does on CUDA
    // too (tests and benchmarks that want a fixed pool). CPU without it: enough blocks for
    // max_num_seqs sequences of max_model_len tokens, at most 1 GiB (at least one sequence).
    int64_t block_size = 16;
    double memory_fraction = 0.9;
    int64_t kv_cache_bytes = 0;
    // Scheduling: at most this many sequences decode in one step, and at most this many
    // prompt tokens are prefilled per step (longer prompts are prefilled in chunks across
    // steps, so a long prompt does not stall the running decodes).
    int64_t max_num_seqs = 256;
    int64_t max_prefill_tokens = 2048;
    // Full KV blocks of a prompt prefix seen before (the chat template's system prefix) are
    // shared instead of recomputed.
    bool prefix_caching = true;
    // Longest prompt + max_new_tokens one request may ask for (bounded by the model's
    // max_position_embeddings).
    int64_t max_model_len = 0;  // 0 = max_position_embeddings
};

// One event of a request's stream. Every accepted request gets zero or more token events
// followed by exactly one final event (finished = true).
struct StreamEvent {
    uint64_t request_id = 0;
    bool finished = false;
    // token events:
    int64_t index = 0;  // 0-based among the request's new tokens
    int64_t token = 0;
    std::string text;  // text this token completes (see infer::TokenEvent::text)
    // the final event:
    std::string finish_reason;  // "eos" | "length" | "stop" | "cancelled" | "error"
    std::string error;          // when finish_reason == "error"
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
    double ttft_seconds = 0;   // submit to first token
    double total_seconds = 0;  // submit to finish
};

struct BatcherStats {
    int64_t running = 0;  // sequences holding KV blocks
    int64_t waiting = 0;  // accepted, not yet scheduled
    int64_t kv_blocks_total = 0;
    int64_t kv_blocks_used = 0;
    int64_t prefix_blocks_cached = 0;
    int64_t requests_finished = 0;
    int64_t tokens_generated = 0;
    int64_t preemptions = 0;           // sequences sent back to the queue for want of blocks
    int64_t prefix_tokens_reused = 0;  // prompt tokens whose K/V came from cached blocks
    int64_t steps = 0;                 // forward steps run
};

class Batcher {
  public:
    virtual ~Batcher() = default;

    // Loads the model and the adapters, sizes the block pool and starts the scheduler thread.
    // Errors name the folder or field (unreadable model, bad adapter, no room for one block).
    static Result<std::unique_ptr<Batcher>> start(const BatcherParams& params);

    // The checks of submit() without queueing: the inference core's rules (one prompt form,
    // lengths within max_model_len, ids inside the vocabulary, stop strings need a tokenizer,
    // known adapter). Returns the prompt ids as encoded. (Pure: callers such as
    // `generate --engine paged` rely on it to refuse a whole submission up front.)
    virtual Result<std::vector<int64_t>> check(const infer::Request& request) const = 0;

    // check(), then queues `request`. Returns its id; events then arrive through `on_event`.
    // A rejected request gets no events.
    virtual Result<uint64_t> submit(const infer::Request& request,
                                    std::function<void(const StreamEvent&)> on_event) = 0;

    // Ends a request now (a client went away): its KV blocks are freed before the next step and
    // it gets its final event with finish_reason "cancelled". Unknown or finished ids: no-op.
    virtual void cancel(uint64_t request_id) = 0;

    // Graceful stop: refuses new requests, lets the running ones finish (or cancels them
    // after `grace_seconds`), then joins the scheduler thread. Idempotent; the destructor
    // calls it with grace 0.
    virtual void stop(double grace_seconds) = 0;

    virtual BatcherStats stats() const = 0;

    // Loads one more PEFT LoRA adapter (served under `name`, usable by requests submitted
    // after it returns). A name already served is replaced for later requests; running ones
    // keep the weights they started with. DoRA adapters are refused.
    virtual Status load_adapter(const std::string& name, const std::string& adapter_dir) {
        (void)adapter_dir;
        return make_error("adapter " + name, "this Batcher cannot load adapters");
    }

    // The served model names: the base model's first, then the adapters'.
    virtual std::vector<std::string> model_names() const = 0;
    // "" for the base model's name, the adapter's name for an adapter's, nullopt-like error
    // for an unknown name.
    virtual Result<std::string> adapter_for_model(const std::string& model_name) const = 0;

    virtual const infer::LoadReport& load_report() const = 0;
    virtual const LlamaConfig& config() const = 0;
    virtual std::shared_ptr<const Tokenizer> tokenizer() const = 0;  // nullptr without one
    virtual const GenerationDefaults& generation_defaults() const = 0;
    virtual int64_t max_model_len() const = 0;
    // The inference core's EOS and pad ids (inference.h's rule).
    virtual std::vector<int64_t> eos_token_ids() const { return {}; }
    virtual int64_t pad_token_id() const { return 0; }
    // KV pool geometry: blocks and tokens per block (0 when there is no pool).
    virtual int64_t kv_blocks() const { return 0; }
    virtual int64_t block_size() const { return 0; }
};

}  // namespace tb::serve
