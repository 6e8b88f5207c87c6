// A step (a training micro-step, or the graph engine's decode step) recorded once as a CUDA graph
// and replayed.
//
// Why: with batch 4 x 512 on an H200 the fused backend's kernels keep the GPU busy for about
// half of a step; the rest is the host launching ~3000 small kernels one by one (measured with
// `bench train --profile`). A replay launches the whole recorded step at once.
//
// What the recorded body may do: only device work with fixed shapes and fixed addresses (the
// inputs are the same tensors each replay, refilled in place), no host synchronisation (no
// .item(), no nonzero()), gradients accumulated into .grad tensors that exist before capture.
// Dropout stays random: PyTorch's CUDA generator advances its Philox offset on every replay.
#pragma once

#include <functional>
#include <memory>

#include "core/common/error.h"

namespace tb {

class CudaGraphStep {
  public:
    CudaGraphStep();
    ~CudaGraphStep();
    CudaGraphStep(const CudaGraphStep&) = delete;
    CudaGraphStep& operator=(const CudaGraphStep&) = delete;

    // Runs `body` eagerly `warmup` times on a side stream (cuBLAS/cuDNN plans and workspaces
    // are made there, outside the capture), calling `between` after each run (e.g. to zero
    // the gradients), then records one run of `body`. Errors: no CUDA build or device, or
    // capture failed (the message says which operation broke it).
    Status capture(const std::function<void()>& body, const std::function<void()>& between,
                   int warmup = 3);

    // Launches the recorded step on the current stream. Requires a successful capture().
    void replay();

    bool captured() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tb
