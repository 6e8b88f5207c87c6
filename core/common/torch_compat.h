// The one place that knows which libtorch we compile against. tunebench builds against
// Debian's libtorch 1.13 (CPU) and PyTorch 2.11's libtorch (CUDA 13); the few API
// differences we touch are wrapped here so that no other file needs version #ifs.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <optional>
#include <string>

#if defined(TUNEBENCH_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

#define TB_TORCH_AT_LEAST(major, minor) \
    (TORCH_VERSION_MAJOR > (major) ||   \
     (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace tb::compat {

// Fused scaled-dot-product attention exists from 2.0; 1.13 computes it by hand.
// q: [B, nh, Tq, hd], k/v: [B, nh, Tk, hd], additive mask: [B, 1, Tq, Tk] (0 or very negative)
// in q's dtype; returns [B, nh, Tq, hd]. `scale` = 1/sqrt(hd) for Llama.
inline at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& additive_mask, double scale, bool use_fused) {
#if TB_TORCH_AT_LEAST(2, 1)
    if (use_fused) {
        // An undefined tensor is not "no mask" to SDPA: pass an empty optional instead.
        std::optional<at::Tensor> mask;
        if (additive_mask.defined()) mask = additive_mask;
        return at::scaled_dot_product_attention(q, k, v, mask, 0.0, false, scale);
    }
#endif
    (void)use_fused;
    // Eager path, written as HF's eager attention so fp32 numbers match it step by step:
    // softmax in fp32, then back to the activation dtype.
    auto w = at::matmul(q, k.transpose(2, 3)) * scale;
    if (additive_mask.defined()) w = w + additive_mask;
    w = at::softmax(w, -1, at::kFloat).to(q.scalar_type());
    return at::matmul(w, v);
}

inline bool cuda_available() { return torch::cuda::is_available(); }

// Peak/current device memory in bytes; CPU returns nullopt (callers use RSS instead).
struct DeviceMemory {
    int64_t allocated = 0;
    int64_t reserved = 0;
    int64_t peak_allocated = 0;
};

inline std::optional<DeviceMemory> cuda_memory(int device = 0) {
#if defined(TUNEBENCH_WITH_CUDA)
    if (!cuda_available()) return std::nullopt;
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
    DeviceMemory m;
    // StatType::AGGREGATE is index 0; the enum moved namespaces between 1.13 and 2.x.
    const size_t agg = 0;
    m.allocated = stats.allocated_bytes[agg].current;
    m.reserved = stats.reserved_bytes[agg].current;
    m.peak_allocated = stats.allocated_bytes[agg].peak;
    return m;
#else
    (void)device;
    return std::nullopt;
#endif
}

inline void cuda_reset_peak(int device = 0) {
#if defined(TUNEBENCH_WITH_CUDA)
    if (cuda_available()) c10::cuda::CUDACachingAllocator::resetPeakStats(device);
#else
    (void)device;
#endif
}

// Returns cached, unused device blocks to the driver so that "reserved" reflects live tensors
// (after freeing dense weights during quantisation, say).
inline void cuda_empty_cache() {
#if defined(TUNEBENCH_WITH_CUDA)
    if (cuda_available()) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

inline void cuda_synchronize() {
#if defined(TUNEBENCH_WITH_CUDA)
    if (cuda_available()) c10::cuda::device_synchronize();
#endif
}

}  // namespace tb::compat
