// Rough memory/time estimate of a training run before launching it (order of magnitude, not a
// promise), from the model's config.json shape and the run config alone (no weights loaded,
// torch-free): base weights (NF4-packed with QLoRA) + LoRA weights, gradients and optimizer
// moments + the activations one micro-batch keeps for backward, following the layouts the two
// backends actually keep (reference: autograd; fused: fused_ops.h's saved tensors). Time is
// 4*N FLOPs per token (frozen base: forward + activation gradients) at an assumed throughput.
//
// Data parallel (training.nproc_per_node = N ranks): every rank holds the whole model and one
// micro-batch, so memory is per rank, plus the flat fp32 buckets the LoRA gradients are
// all-reduced through; an optimizer step consumes N micro-batches per accumulation step, so
// the steps of an epoch shrink by N while each rank's step time stays that of one rank.
// Used by the hyperparameter panel and `tunebench-cli train --dry-run`.
#pragma once

#include <cstdint>
#include <string>

#include "core/config/app_config.h"
#include "core/model/model_config.h"

namespace tb {

struct ResourceEstimate {
    double base_params = 0;
    double lora_params = 0;
    double weight_bytes = 0;       // per rank
    double train_state_bytes = 0;  // LoRA weights + grads + optimizer moments, per rank
    double allreduce_bytes = 0;    // gradient buckets (world_size > 1), per rank
    double activation_bytes = 0;   // one micro-batch, per rank
    double total_bytes = 0;        // per rank
    int64_t world_size = 1;        // ranks the estimate is for
    double steps = 0;              // 0 when the train rows are unknown
    double seconds = 0;            // 0 when steps are unknown
    double assumed_flops = 0;      // FLOP/s per device used for the time
};

// `train_rows` <= 0: steps and time unknown. `cuda`: the device the run will use (dtype
// auto = bf16, GQA-aware attention storage). `world_size` < 1: cfg.training.nproc_per_node.
ResourceEstimate estimate_resources(const AppConfig& cfg, const LlamaConfig& model,
                                    int64_t train_rows, bool cuda, int64_t world_size = 0);

// Several lines of plain text for a terminal (`train --dry-run`).
std::string format_resource_estimate(const ResourceEstimate& e);

}  // namespace tb
