// The fused backend's training micro-step (forward + backward of one fixed-shape batch) as a
// recorded CUDA graph (cuda_graph_step.h). Shared by the trainer (training.cuda_graphs) and
// `bench train --cuda-graphs`, so the benchmark measures the trainer's code path.
//
// The batch lives in fixed device tensors, refilled in place before each replay; gradients
// accumulate into fixed .grad tensors (created zero at capture), which the caller zeroes with
// zero_grads() after its optimizer step instead of freeing them.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/common/error.h"
#include "core/infer/llama_model.h"
#include "core/train/batching.h"
#include "core/infer/cuda_graph_step.h"
#include "core/train/lora_injection.h"

namespace tb {

class FusedGraphMicroStep {
  public:
    // Runs one micro-batch: on the first call records the step for `b`'s shape (b's tensors
    // become the fixed inputs), later calls copy `b` into them; then replays. Returns the
    // micro-batch's loss (summed token loss / loss_divisor, the divisor fixed at capture).
    Result<double> run(const LlamaModel& model, const Batch& b, double loss_divisor,
                       bool checkpointing, const std::vector<NamedParameter>& trainable);

    // The fixed gradient tensors (empty before the first run).
    const std::vector<at::Tensor>& grads() const { return grads_; }
    void zero_grads();

  private:
    CudaGraphStep graph_;
    Batch in_;         // [rows, T] fixed inputs on the device
    at::Tensor loss_;  // the recorded loss, rewritten by every replay
    std::vector<at::Tensor> grads_;
};

}  // namespace tb
