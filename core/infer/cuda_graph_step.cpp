#include "core/infer/cuda_graph_step.h"

#include <torch/torch.h>

#include <exception>
#include <string>

#include "core/common/torch_compat.h"

#if defined(TUNEBENCH_WITH_CUDA)
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace tb {

#if defined(TUNEBENCH_WITH_CUDA)

struct CudaGraphStep::Impl {
    at::cuda::CUDAGraph graph;
    bool captured = false;
};

CudaGraphStep::CudaGraphStep() : impl_(std::make_unique<Impl>()) {}
CudaGraphStep::~CudaGraphStep() = default;

Status CudaGraphStep::capture(const std::function<void()>& body,
                              const std::function<void()>& between, int warmup) {
    if (!compat::cuda_available()) return make_error("cuda graphs", "no CUDA device");
    if (impl_->captured) return make_error("cuda graphs", "already captured");
    try {
        // Capture needs a stream other than the legacy default one; the side stream first
        // waits for everything queued so far (the device synchronise), and the replays later
        // run on whatever stream is current.
        compat::cuda_synchronize();
        c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
        {
            c10::cuda::CUDAStreamGuard guard(side);
            for (int i = 0; i < warmup; ++i) {
                body();
                if (between) between();
            }
            compat::cuda_synchronize();
            impl_->graph.capture_begin();
            try {
                body();
            } catch (...) {
                // End the capture so that the stream is usable again, then report the cause.
                try {
                    impl_->graph.capture_end();
                } catch (...) {
                }
                throw;
            }
            impl_->graph.capture_end();
        }
        compat::cuda_synchronize();
    } catch (const std::exception& e) {
        return make_error("cuda graphs", std::string("capture failed: ") + e.what());
    }
    impl_->captured = true;
    return Status::Ok();
}

void CudaGraphStep::replay() {
    TORCH_CHECK(impl_->captured, "CudaGraphStep::replay before a successful capture");
    impl_->graph.replay();
}

bool CudaGraphStep::captured() const { return impl_->captured; }

#else

struct CudaGraphStep::Impl {};

CudaGraphStep::CudaGraphStep() : impl_(std::make_unique<Impl>()) {}
CudaGraphStep::~CudaGraphStep() = default;

Status CudaGraphStep::capture(const std::function<void()>&, const std::function<void()>&, int) {
    return make_error("cuda graphs", "this build has no CUDA (TUNEBENCH_CUDA is off)");
}

void CudaGraphStep::replay() { TORCH_CHECK(false, "CudaGraphStep: no CUDA in this build"); }

bool CudaGraphStep::captured() const { return false; }

#endif

}  // namespace tb
