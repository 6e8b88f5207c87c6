// Training throughput/memory benchmark (`tunebench-cli bench train`): optimizer steps of one
// backend on a random-weight model of a given shape (or a real HF folder) with random full-
// length batches, timed after warm-up, with the peak memory of the steps. The CLI runs it per
// backend and sets it beside PEFT's numbers from resources/bench/peft_train_bench.py, which
// does the same steps in Transformers + PEFT.
//
// One step = forward + backward of one micro-batch (batch_size x seq_len tokens, every token
// carries loss, no padding) + clip_grad_norm(1.0) + AdamW, like a Trainer step with gradient
// accumulation 1.
#pragma once

#include <cstdint>
#include <string>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/infer/lora_settings.h"
#include "core/model/model_config.h"

namespace tb {

// TinyLlama-1.1B-Chat-v1.0's shape: 22 layers, hidden 2048, 32 heads / 4 KV heads, MLP 5632,
// vocab 32000, rope_theta 1e4, untied head.
LlamaConfig tinyllama_shape();

struct TrainBenchParams {
    LlamaConfig shape = tinyllama_shape();  // random weights of this shape (std 0.02) ...
    std::string model_dir;                  // ... or a real HF folder when non-empty
    std::string backend = "fused";          // reference | fused
    int64_t batch_size = 4;                 // rows per step
    int64_t seq_len = 512;                  // tokens per row
    int64_t warmup_steps = 3;               // untimed steps first (allocator, cuBLAS plans)
    int64_t steps = 10;                     // timed steps
    LoraSettings lora;                      // r 16, alpha 32, dropout 0.05, q/k/v/o
    bool gradient_checkpointing = false;
    bool load_in_4bit = false;        // QLoRA: NF4 + double quantisation of every projection
    std::string optimizer = "adamw";  // adamw | adamw_8bit | paged_adamw_8bit
    std::string device = "auto";      // auto | cpu | cuda | cuda:N
    std::string dtype = "auto";       // auto: bf16 on CUDA, fp32 on CPU
    double learning_rate = 2e-4;
    uint64_t seed = 0;         // weights, LoRA init, batches, dropout
    bool cuda_graphs = false;  // fused on CUDA only: forward + backward recorded once as a CUDA
                               // graph (cuda_graph_step.h) and replayed each step; clipping and
                               // AdamW stay eager. Peak memory then covers the eager warm-up
                               // and the capture, where the allocations happen.
    std::string profile_path;  // when set: 2 more steps after the timed ones, recorded
                               // as a Chrome trace here (libtorch 2.x with Kineto)
};

struct TrainBenchResult {
    std::string backend;
    std::string device;            // "cuda:0", "cpu"
    std::string dtype;             // "bfloat16", ...
    int64_t params = 0;            // base model parameters
    int64_t trainable_params = 0;  // LoRA parameters
    int64_t weight_bytes = 0;      // base weights as stored (NF4-packed with load_in_4bit)
    int64_t tokens_per_step = 0;
    double tokens_per_s = 0.0;  // timed steps only
    double step_ms = 0.0;       // mean over the timed steps
    int64_t peak_bytes = 0;     // CUDA: peak allocated during the steps (weights
                                // included, like torch.cuda.max_memory_allocated after
                                // a reset); CPU: peak RSS of the process during the steps
    std::string peak_kind;      // "cuda_max_allocated" | "cpu_peak_rss"
    double first_loss = 0.0;    // loss of the first (warm-up) step
    double last_loss = 0.0;     // loss of the last step
};

// Errors: bad backend/optimizer/device/dtype, an unreadable model folder, DoRA with the fused
// backend. Cancellation is checked between steps (result then covers the steps done).
Result<TrainBenchResult> run_train_bench(const TrainBenchParams& params, const CancelToken& cancel);

}  // namespace tb
