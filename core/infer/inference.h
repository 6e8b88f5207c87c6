// The one inference core: every front end that turns prompts into generated tokens
// (`generate`, `bench infer`, and - still to be routed through it - `evaluate` and the GUI's
// compare and rating jobs) loads an InferenceEngine and submits Requests to it.
//
// What lives here and nowhere else:
// - prompt encoding: chat messages go through the model's chat template with
//   add_generation_prompt=true (HF apply_chat_template(tokenize=True): no extra bos, the
//   template carries its special tokens); plain text is encoded with the tokenizer's special
//   tokens (bos); ids are taken as they are;
// - the end-of-sequence rule: EOS ids are generation_config.json's eos_token_id, else
//   config.json's, else the tokenizer's eos; a row ends at the first EOS (kept in its ids, as
//   HF does), at its max_new_tokens, at a stop string, or on cancel; EOS cannot be chosen
//   before min_new_tokens (HF's MinNewTokensLogitsProcessor); pad = the tokenizer's pad,
//   else config.json's pad_token_id, else 0;
// - stop strings: a row ends once its decoded text (skip_special_tokens, streamed through
//   StreamDecoder so no step re-decodes the whole row) contains one; its tokens are kept, as
//   HF's StopStringCriteria keeps them; the text is not cut;
// - batching: requests are grouped by adapter and sampling settings, left padded (HF's
//   decoder-only convention) in batches of at most max_batch rows.
//
// Engines (EngineParams::engine) differ only in how a batch's forward steps are computed:
//   "eager": per-token forward over a preallocated KV cache (core/infer/engine_eager.cpp);
//   "graph": eager prefill, then each decode step recorded once as a CUDA graph per batch
//            bucket and cache capacity and replayed (CUDA only; engine_eager.cpp).
//   "quant": eager steps over weight-only quantised decoder projections, quantised on load
//            (EngineParams::quant: llama.cpp's Q8_0 or the project's NF4; CPU and CUDA;
//            core/infer/engine_quant.cpp says what is quantised and how it is computed).
//   "paged": the serving core's engine (core/serve/batcher.h): a paged KV cache with
//            continuous batching, chunked prefill and prefix sharing; generate() submits every
//            request at once and rows with different adapters share each step (CPU and CUDA).
//
// Torch-free header: the front ends include it without libtorch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/model/model_config.h"
#include "core/tokenizer/tokenizer.h"

namespace tb::infer {

struct EngineParams {
    std::string engine = "eager";
    // An HF folder (config.json + safetensors [+ tokenizer.model]) ...
    std::string model_dir;
    // ... or, when model_dir is empty, random weights of this shape (benchmarks, tests):
    // normal(0, 0.02) like HF's init, deterministic for `seed`.
    std::optional<LlamaConfig> random_shape;
    uint64_t seed = 0;
    // Tokenizer folder (tokenizer.model + tokenizer_config.json) or a .model file; empty: the
    // model folder's when it has one. Without a tokenizer, requests must give prompt ids and
    // cannot use stop strings; completions carry no text.
    std::string tokenizer;
    std::string device = "auto";          // auto (CUDA when available) | cpu | cuda | cuda:N
    std::string dtype = "auto";           // auto (bf16 on CUDA, fp32 on CPU) | fp32 | bf16 | fp16
    // engine "quant" only: the weight format of the decoder projections.
    //   "q8_0": ggml's Q8_0 (blocks of 32 int8 with an fp16 scale, 8.5 bits per weight);
    //   "nf4":  QLoRA's NF4 with double quantisation (4.13 bits per weight).
    // Embeddings, norms and lm_head stay in `dtype`; load_report().weight_bytes counts what
    // is held (packed projections included).
    std::string quant = "q8_0";
    int64_t max_batch = 64;               // rows per forward; larger submissions are split
    const CancelToken* cancel = nullptr;  // polled while loading
};

// Sampling settings with HF's logits-processor semantics (core/infer/sampler.h).
struct Sampling {
    bool greedy = true;
    double temperature = 1.0;         // > 0
    int64_t top_k = 50;               // 0 = off
    double top_p = 1.0;               // (0, 1]
    double repetition_penalty = 1.0;  // > 0; 1 = off
    uint64_t seed = 0;                // per request group
    bool operator==(const Sampling& o) const;
};

struct Request {
    // Exactly one prompt form: ids, chat messages (through the chat template) or plain text.
    std::vector<int64_t> prompt_ids;
    std::vector<ChatMessage> messages;
    std::optional<std::string> prompt_text;
    Sampling sampling;
    int64_t max_new_tokens = 128;  // >= 1
    int64_t min_new_tokens = 0;    // in [0, max_new_tokens]
    std::vector<std::string> stop;
    std::string adapter;  // "" = base model, else a name given to load_adapter()
};

// One generated token, delivered in order: step by step, and within a step by request index.
struct TokenEvent {
    size_t request = 0;  // index into the submitted requests
    int64_t index = 0;   // 0-based position among this request's new tokens
    int64_t token = 0;
    std::string text;    // the text this token completes ("" while a UTF-8 byte run is pending,
                         // for special tokens, and without a tokenizer)
    double seconds = 0;  // since generate() was called
};

struct Completion {
    std::vector<int64_t> prompt_ids;  // as encoded (what the model saw, padding excluded)
    std::vector<int64_t> ids;         // new tokens (an ending EOS included)
    std::string text;                 // decoded new tokens (skip_special_tokens); "" without
                                      // a tokenizer
    std::string finish_reason;        // "eos" | "length" | "stop" | "cancelled"
    // Host times, seconds since generate() was called, at which each new token was known on
    // the host (one per id): [0] is the time to first token.
    std::vector<double> token_seconds;
    double end_seconds = 0;  // when the request finished
};

struct LoadReport {
    double seconds = 0;            // weights read (or initialised), converted and on the device
    int64_t weight_bytes = 0;      // model weights as held on the device
    int64_t device_allocated = 0;  // CUDA allocator after loading (0 on CPU)
    int64_t device_reserved = 0;
    int64_t rss_bytes = 0;  // process resident set after loading
    std::string device;     // "cuda:0", "cpu"
    std::string dtype;      // "bfloat16", ...
};

struct GenerateOptions {
    std::function<void(const TokenEvent&)> on_token;  // streaming; called on the caller's thread
    const CancelToken* cancel = nullptr;              // polled between steps
};

class InferenceEngine {
  public:
    virtual ~InferenceEngine() = default;

    // Loads the model (and tokenizer) as `params` say. Errors: unknown engine, unreadable
    // folder, bad device/dtype, cancelled.
    static Result<std::unique_ptr<InferenceEngine>> load(const EngineParams& params);

    // Loads a PEFT LoRA adapter folder under `name`; it is applied (without merging) to the
    // requests that name it. The base weights are not changed.
    virtual Status load_adapter(const std::string& name, const std::string& adapter_dir) = 0;

    // The prompt ids the engine would feed for `request` (the single prompt encoder).
    virtual Result<std::vector<int64_t>> encode(const Request& request) const = 0;

    // Runs the requests to completion (batched), streaming tokens through `options.on_token`.
    // Validation errors (bad lengths, ids outside the vocabulary, stop strings without a
    // tokenizer, unknown adapter) reject the whole call before any forward step. Cancellation
    // returns the completions so far with finish_reason "cancelled" for unfinished rows.
    virtual Result<std::vector<Completion>> generate(const std::vector<Request>& requests,
                                                     const GenerateOptions& options = {}) = 0;

    virtual const LoadReport& load_report() const = 0;
    virtual const LlamaConfig& config() const = 0;
    // nullptr when the engine has no tokenizer.
    virtual std::shared_ptr<const Tokenizer> tokenizer() const = 0;
    // The model folder's generation_config.json (defaults when absent or random weights).
    virtual const GenerationDefaults& generation_defaults() const = 0;
    // The resolved end-of-sequence and pad ids (see the rule above).
    virtual const std::vector<int64_t>& eos_token_ids() const = 0;
    virtual int64_t pad_token_id() const = 0;
};

// The engines this build can load ("eager").
std::vector<std::string> available_engines();

}  // namespace tb::infer
