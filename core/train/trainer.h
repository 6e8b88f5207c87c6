// LoRA fine-tuning loop. Backends: `reference` (plain libtorch autograd through LlamaModel,
// the analogue of Transformers' Trainer + PEFT) and `fused` (fused_forward.h: hand-written
// backward, chunked cross-entropy, CUDA kernels; the Unsloth analogue). Everything but the
// micro-batch forward/backward is shared.
//
//   data      dataset file -> seeded split (core/data) -> tokenized rows (batching.h)
//   model     HF folder -> LlamaModel, LoRA branches injected (PEFT init) or, on resume, loaded
//             from the checkpoint's adapter
//   step      accumulate `gradient_accumulation_steps` micro-batches; each micro-batch's loss is
//             its summed token cross-entropy divided by the loss tokens of the whole
//             accumulated step (Transformers >= 4.46 with num_items_in_batch), so the step loss
//             is the token mean over the step, whatever the padding; clip; AdamW at the
//             schedule's lr
//   eval      mean token cross-entropy and perplexity on the validation split
//   outputs   <output_dir>/<backend>/<YYYYMMDD_HHMMSS>/{adapter/, merged_model/,
//             training_stats.json, training_log.jsonl, checkpoints/, run.json}
//
// Steps per epoch: ceil(micro-batches / accumulation) (the last step of an epoch accumulates
// the remaining micro-batches); total = epochs * that, or max_steps when > 0 (epochs then
// continue as needed). The data position of step s is a function of s alone.
//
// Resume: from <run>/checkpoints/step-N (or the run directory: its latest usable checkpoint)
// the adapter, optimizer moments, step, generator states and data position are restored and
// the run continues in its run directory; on CPU the later losses equal the uninterrupted
// run's bit for bit. The settings that shape the run (data, model, LoRA, batching, schedule,
// seed) must be unchanged; a difference is an error naming the field.
//
// Which folder a resumed run writes to is decided from identities, never from the path the
// user typed (a trailing slash or a checkpoint copied elsewhere once sent adapter/ and
// merged_model/ into unrelated folders): every run folder holds run.json with a random run id,
// and every checkpoint's trainer_state.json records that id and the run folder. The run folder
// is the one around the checkpoint (<run>/checkpoints/step-N) when its run.json has the
// checkpoint's id, else the recorded folder when its run.json has that id, else a new run
// folder (as for a fresh run) that continues from the checkpoint, with a warning. A run
// directory without any checkpoint (killed before its first save) resumes from step 0 in
// that directory, its settings checked against run.json.
//
// Cancellation is polled while loading (between phases, per tokenized row, per model layer),
// before every step and in evaluations between steps. Cancelled before the run folder exists:
// nothing is written (result.run_dir empty). Cancelled before the first step of this session:
// no checkpoint is written (step 0 is the seeded initialisation, which a resume recreates)
// and the store's run is marked cancelled.
//
// This header is the run's public face and is torch-free (front-ends and widgets/ include it
// without libtorch); the run itself is a TrainingSession (training_session.h) whose named
// steps are data, plan, resume, model and optimizer, run directory, step loop, evaluation and
// finalisation.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/config/app_config.h"
#include "core/data/dataset_reader.h"
#include "core/data/split.h"
#include "core/infer/lora_settings.h"
#include "core/train/train_options.h"

namespace tb {

// NF4 storage of the frozen base weights (QLoRA); core/quant's Nf4Options is filled from it.
struct TrainNf4Settings {
    int64_t blocksize = 64;    // weights per absmax block, power of two
    bool double_quant = true;  // quantise the absmax values again (8-bit, block 256)
};

// Data parallelism (data_parallel.h): this process is rank `rank` of `world_size` processes that
// train one model together over c10d (Gloo on CPU, NCCL on CUDA), meeting at a TCPStore.
// world_size 1: a plain single-process run (no process group at all).
struct DistributedSettings {
    int64_t rank = 0;
    int64_t world_size = 1;
    // Join a process group even when world_size is 1 (a single torchrun process, as PyTorch
    // does; tests of the collective path on one GPU). Set by distributed_settings_from_env.
    bool group = false;
    int64_t local_rank = 0;  // CUDA device index of this rank on its machine
    std::string master_addr = "127.0.0.1";
    int64_t master_port = 29500;
    // The TCPStore server runs elsewhere (tunebench-cli's launcher, torchrun's agent:
    // TORCHELASTIC_USE_AGENT_STORE=True); otherwise rank 0 hosts it.
    bool external_store = false;
    std::string store_prefix = "tunebench";  // keys of one attempt (torchrun restarts)
    // A collective (or the rendezvous) waiting longer than this ends the run with an error
    // naming the ranks that fell behind.
    double timeout_s = 120.0;
    // Gradient bucket size of the all-reduce (DDP's bucket_cap_mb; TUNEBENCH_DDP_BUCKET_BYTES).
    int64_t bucket_bytes = 25 << 20;
};

// The torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT,
// TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT; TUNEBENCH_DIST_TIMEOUT in seconds,
// TUNEBENCH_DDP_BUCKET_BYTES)
// as settings; nullopt when WORLD_SIZE is not set. Errors name the variable.
Result<std::optional<DistributedSettings>> distributed_settings_from_env();

// Everything a training run needs, resolved from AppConfig (train_params_from_config) or set
// in code (tests, GUI). Paths are absolute or relative to the working directory.
struct TrainParams {
    // --- model and data
    std::string model_dir;     // HF folder: config.json, safetensors, tokenizer files
    std::string data_path;     // dataset file
    ReadOptions read_options;  // format, CSV columns, skip_bad_rows
    SplitOptions split;        // ratios, split seed, stratify
    PromptTemplate prompt_template = PromptTemplate::Chat;
    bool loss_on_response_only = true;  // false: loss on every token
    bool packing = false;
    int64_t max_length = 512;  // tokens per sequence

    // --- LoRA
    LoraSettings lora;  // r, alpha, dropout, targets, rsLoRA, DoRA
    LoraInit lora_init = LoraInit::Kaiming;

    // --- QLoRA (core/quant): every projection's frozen weight stored as NF4 and decoded on the
    // fly; LoRA trains in fp32 on top
    bool load_in_4bit = false;
    TrainNf4Settings nf4;                      // blocksize, double quantisation
    std::string quant_compute_dtype = "auto";  // auto|float32|bfloat16|float16

    // --- optimisation
    int64_t epochs = 3;
    int64_t batch_size = 4;  // rows per micro-batch
    int64_t gradient_accumulation_steps = 4;
    double learning_rate = 2e-4;
    std::string optimizer = "adamw";  // adamw | adamw_8bit | paged_adamw_8bit
    AdamWOptions adamw;               // betas, eps, weight_decay
    double max_grad_norm = 1.0;       // <= 0: no clipping (the norm is still reported)
    ScheduleKind schedule = ScheduleKind::Linear;
    int64_t warmup_steps = 0;  // > 0 wins over warmup_ratio
    double warmup_ratio = 0.0;
    uint64_t seed = 42;      // LoRA init, dropout, data order
    int64_t max_steps = -1;  // > 0: stop after this many optimizer steps

    // --- execution
    std::string backend = "reference";  // reference | fused (no DoRA)
    std::string device = "auto";        // auto|cpu|cuda|cuda:N
    std::string dtype = "auto";         // auto|float32|bfloat16|float16 (auto: bf16 on
                                        // CUDA, fp32 on CPU)
    bool gradient_checkpointing = false;
    bool cuda_graphs = false;  // fused + CUDA: micro-batches padded to batch_size x max_length,
                               // forward + backward replayed from one recorded CUDA graph
                               // (cuda_graph_step.h); no packing

    // --- evaluation, logging, checkpoints
    int64_t eval_steps = 200;     // evaluate every N steps; 0: at the end of every epoch
    bool eval_on_start = false;   // also evaluate before the first step (fresh runs)
    int64_t eval_batch_size = 0;  // 0: batch_size
    int64_t save_steps = 500;     // checkpoint every N steps; 0: at the end of every epoch
    int save_total_limit = 2;     // checkpoints kept
    int64_t logging_steps = 10;   // JSONL record every N steps (and at eval steps, last step)

    // --- outputs
    std::string output_dir = "outputs";  // runs go to <output_dir>/<backend>/<timestamp>/
    std::string run_dir;                 // explicit run directory (tests); overrides the above
                                         // (a resume uses it only when it needs a new folder)
    std::string resume_from;             // checkpoint dir or run dir; empty: fresh run
    bool save_merged_model = true;       // merged_model/ (full HF folder) at the end
    std::string config_yaml;             // the run config, stored in training_stats.json
    std::string store_path;              // workspace SQLite store (run + log rows); empty: none

    // --- data parallel: batch_size is per rank; the global micro-batch is world_size x
    // batch_size rows, sharded like torch's DistributedSampler (see data_parallel.h)
    DistributedSettings dist;
    // training.nproc_per_node: how many ranks a front-end starts (RankLauncher); a session is
    // always one rank (`dist`).
    int64_t nproc_per_node = 1;
};

// Resolves an AppConfig (paths against its folder) into TrainParams.
Result<TrainParams> train_params_from_config(const AppConfig& cfg);

enum class TrainPhase { Loading, Training, Evaluating, Saving, Paused, Finished, Cancelled };
const char* train_phase_name(TrainPhase p);

// Delivered to the progress callback after every optimizer step and on phase changes.
struct TrainProgress {
    TrainPhase phase = TrainPhase::Loading;
    int64_t step = 0;  // optimizer steps completed
    int64_t total_steps = 0;
    double epoch = 0.0;                 // fractional epochs completed
    double loss = 0.0;                  // token-mean loss of the last step
    double lr = 0.0;                    // learning rate the last step used
    double grad_norm = 0.0;             // total gradient 2-norm before clipping
    double tokens_per_s = 0.0;          // real (non-pad) tokens per second of training time
    double samples_per_s = 0.0;         // rows per second of training time
    int64_t memory_bytes = 0;           // CUDA: allocated; CPU: resident set size
    int64_t memory_reserved_bytes = 0;  // CUDA: reserved by the caching allocator; CPU: 0
    int64_t peak_memory_bytes = 0;      // CUDA: peak allocated; CPU: peak RSS (VmHWM)
    double elapsed_s = 0.0;             // training time so far (pauses and evaluation excluded)
    double eta_s = 0.0;                 // estimated remaining training time
    std::optional<double> eval_loss;    // set on steps where evaluation ran
    std::optional<double> eval_ppl;
    std::string message;  // phase detail ("loading model", checkpoint path, ...)
};

using ProgressCallback = std::function<void(const TrainProgress&)>;

// Pause flag polled between optimizer steps (the GUI's pause button).
class PauseToken {
  public:
    void pause() { paused_.store(true, std::memory_order_relaxed); }
    void resume() { paused_.store(false, std::memory_order_relaxed); }
    bool paused() const { return paused_.load(std::memory_order_relaxed); }

  private:
    std::atomic<bool> paused_{false};
};

struct TrainResult {
    std::string run_dir;
    std::string adapter_dir;      // empty when cancelled
    std::string merged_dir;       // empty when cancelled or not requested
    std::string stats_path;       // training_stats.json (empty when cancelled)
    std::string last_checkpoint;  // newest checkpoint written (empty if none)
    bool cancelled = false;
    int64_t steps = 0;  // optimizer steps completed (including resumed ones)
    int64_t total_steps = 0;
    double final_loss = 0.0;  // loss of the last step
    double train_loss = 0.0;  // mean step loss over the whole run (earlier sessions included;
                              // checkpoints from before run ids: this session's steps only)
    std::vector<std::string> warnings;  // e.g. an unusable newest checkpoint that was skipped
    std::optional<double> final_eval_loss;
    double train_seconds = 0.0;      // training time (without loading, eval, saving, pauses)
    double total_seconds = 0.0;      // wall time of run_training
    int64_t truncated_rows = 0;      // train rows cut to max_length
    int64_t dropped_rows = 0;        // train rows with no loss token after truncation
    int64_t model_weight_bytes = 0;  // base weights as stored (NF4-packed with QLoRA)
};

// Runs (or resumes) a training run. Cancellation is checked while loading and between steps:
// the current step completes, a checkpoint is written (unless no step ran in this session) and
// the result has cancelled = true. Errors: bad
// settings (named), unreadable model/data, a checkpoint that does not match the settings.
Result<TrainResult> run_training(const TrainParams& params, const ProgressCallback& progress,
                                 const CancelToken& cancel, const PauseToken* pause = nullptr);

}  // namespace tb
