// One training run as a sequence of named steps (what run_training used to do in one function):
//
//   join_group       data parallel only: the c10d process group (data_parallel.h)
//   load_data        tokenizer, dataset, seeded split, tokenized (and packed) train/val rows
//   make_plan        micro-batches per epoch, steps, schedule, the settings' fingerprint
//   plan_resume      the checkpoint to continue from and the run folder it belongs to
//   load_model       base weights (NF4 with QLoRA), LoRA branches (fresh or from the
//                    checkpoint), optimizer (and its moments), generator states
//   open_run_dir     the run folder, run.json, the (trimmed) training log, the store's run
//   step_loop        optimizer steps: micro-batches, clipping, schedule, logging, checkpoints
//   evaluate_now     validation loss/perplexity at eval steps
//   finalise         adapter, merged model, training_stats.json, the store's outcome
//
// The public face is trainer.h (torch-free); this header is for core code that drives a
// session step by step. See trainer.h for the run's semantics (loss normalisation, resume,
// cancellation); they are unchanged by the split into steps.
#pragma once

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/infer/llama_model.h"
#include "core/quant/qlora.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/batching.h"
#include "core/train/data_parallel.h"
#include "core/train/fused_graph_step.h"
#include "core/train/lora_injection.h"
#include "core/train/optimizer.h"
#include "core/train/train_store.h"
#include "core/train/trainer.h"

namespace tb {

class TrainingSession {
  public:
    TrainingSession(const TrainParams& params, ProgressCallback progress, const CancelToken& cancel,
                    const PauseToken* pause);
    TrainingSession(const TrainingSession&) = delete;
    TrainingSession& operator=(const TrainingSession&) = delete;

    // All steps in order; the result of the run (cancelled, finished) or the first error.
    Result<TrainResult> run();

    using json = nlohmann::json;
    // Where a resumed run continues (see trainer.h, "Which folder a resumed run writes to").
    struct ResumePoint {
        std::string checkpoint;       // empty: the run has no checkpoint yet (step 0)
        std::string run_dir;          // empty: continue in a new run folder
        std::string run_id;           // run_dir's id; empty: run_dir needs a run.json
        json state = json::object();  // the checkpoint's trainer_state.json
        std::vector<std::string> warnings;
    };

  private:
    using Clock = std::chrono::steady_clock;

    // --- the steps
    Status resolve_device();
    Status join_group();
    Status load_data();  // returns Ok early when cancelled (run() checks cancel_)
    void make_plan();
    Status plan_resume();
    Status load_model();  // returns Ok early when cancelled
    Status open_run_dir();
    Status step_loop();
    Status evaluate_now(int64_t step);
    Status save_checkpoint(int64_t step);
    Result<TrainResult> finalise();
    Result<TrainResult> finish_cancelled();
    Result<TrainResult> cancelled_while_loading();

    void report(TrainPhase phase, const std::string& message);
    void write_record(const json& j);

    // --- inputs
    const TrainParams& params_;
    ProgressCallback progress_;
    const CancelToken& cancel_;
    const PauseToken* pause_;
    Clock::time_point t_start_;

    // --- device
    at::Device device_{at::kCPU};
    at::ScalarType dtype_ = at::kFloat;

    // --- data
    std::shared_ptr<Tokenizer> tok_;
    TokenizedSet train_set_, val_set_;
    std::vector<TokenizedRow> train_rows_;
    std::vector<TokenizedRow> val_rows_;  // this rank's share of the validation split
    int64_t pad_id_ = 0;

    // --- plan
    int64_t mb_per_epoch_ = 0, accum_ = 1, steps_per_epoch_ = 1, total_steps_ = 0;
    Schedule sched_;
    json fp_;

    // --- resume
    std::optional<ResumePoint> resume_;
    std::string resume_dir_;  // checkpoint restored from; empty for a fresh start
    json resume_state_ = json::object();

    // --- model and optimizer
    std::optional<LlamaModel> model_;
    std::optional<QuantReport> quant_report_;
    int64_t weight_bytes_ = 0;
    std::vector<NamedParameter> trainable_;
    std::unique_ptr<Optimizer> optimizer_;
    int64_t start_step_ = 0;
    // After the LoRA tensors: destroyed first, removing its hooks from them.
    std::unique_ptr<DataParallel> dp_;
    int64_t rank_ = 0, world_ = 1;
    bool lead() const { return rank_ == 0; }  // rank 0 alone writes
    int64_t progress_seq_ = 0;                // rank 0's reports published (kProgressHistory)
    double prev_train_seconds_ = 0.0;

    // --- run directory and logs
    TrainStoreLog store_log_;  // marks the run failed if the session ends with an error
    std::string run_dir_, run_id_, ck_dir_, log_path_;
    std::ofstream log_;

    // --- loop state
    TrainProgress prog_;
    TrainResult result_;
    FusedGraphMicroStep graph_step_;
    std::optional<double> last_eval_loss_, last_eval_ppl_;
    int64_t tokens_seen_ = 0, samples_seen_ = 0;
    double train_seconds_ = 0.0;  // this process
    int64_t tokens_here_ = 0, samples_here_ = 0, steps_here_ = 0;
    double loss_sum_here_ = 0.0;
    double loss_sum_run_ = 0.0;  // the whole run's, continued from the checkpoint
    int64_t loss_steps_run_ = 0;
    int64_t last_saved_step_ = 0;
    int64_t peak_mem_ = 0;
    bool cancelled_ = false;
};

}  // namespace tb
