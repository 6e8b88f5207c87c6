// The one place that knows which libtorch we compile against. tunebench builds against
// Debian's libtorch 1.13 (CPU) and PyTorch 2.11's libtorch (CUDA 13); the few API
// differences we touch are wrapped here so that no other file needs version #ifs.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <limits>
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

// Causal attention without an explicit mask (right-padded or unpadded batches: a real query
// never sees a later padding key). From 2.1 SDPA's is_causal lets it pick the flash kernel,
// which an explicit mask rules out. The eager path adds the causal mask LlamaModel builds
// (lowest finite value), so fp32 results equal the masked reference for every real query.
inline at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   double scale, bool use_fused) {
#if TB_TORCH_AT_LEAST(2, 1)
    if (use_fused) return at::scaled_dot_product_attention(q, k, v, {}, 0.0, true, scale);
#endif
    const int64_t tq = q.size(2), tk = k.size(2);
    auto opts = at::TensorOptions().dtype(at::kLong).device(q.device());
    at::Tensor allowed = at::arange(0, tk, opts).view({1, tk}) <=
                         at::arange(tk - tq, tk, opts).view({tq, 1});  // [Tq, Tk]
    const auto dt = q.scalar_type();
    const double lowest = dt == at::kFloat    ? std::numeric_limits<float>::lowest()
                          : dt == at::kDouble ? std::numeric_limits<double>::lowest()
                          : dt == at::kHalf   ? -65504.0
                                              : -3.3895313892515355e38;  // bf16 lowest
    at::Tensor mask =
        at::where(allowed, at::zeros({}, q.options()), at::full({}, lowest, q.options()));
    return attention(q, k, v, mask.view({1, 1, tq, tk}), scale, false);
}

// Causal attention with k/v of fewer heads than q (GQA: q [B, nh, T, hd], k/v [B, nkv, T, hd],
// nh a multiple of nkv) without expanding k/v: SDPA's enable_gqa (2.5+), which the flash
// kernel serves on CUDA in bf16/fp16. Elsewhere (older torch, CPU, fp32, or use_fused off) callers
// expand k/v themselves and call causal_attention.
inline bool causal_attention_gqa_supported(const at::Tensor& q, bool use_fused) {
#if TB_TORCH_AT_LEAST(2, 5)
    // fp32 has no flash kernel, and the fp32-capable ones reject enable_gqa (math fallback).
    return use_fused && q.is_cuda() && q.scalar_type() != at::kFloat;
#else
    (void)q;
    (void)use_fused;
    return false;
#endif
}
inline at::Tensor causal_attention_gqa(const at::Tensor& q, const at::Tensor& k,
                                       const at::Tensor& v, double scale) {
#if TB_TORCH_AT_LEAST(2, 5)
    return at::scaled_dot_product_attention(q, k, v, {}, 0.0, true, scale, /*enable_gqa=*/true);
#else
    (void)k;
    (void)v;
    (void)scale;
    TORCH_CHECK(false, "causal_attention_gqa needs libtorch 2.5 or newer (q on ", q.device(), ")");
#endif
}

// a [n, k] @ b [k, m] with the result in `dtype`: on CUDA with 2.9+, fp32 results of bf16/fp16
// inputs come straight out of the GEMM (mm.dtype, fp32 accumulate, no rounding to bf16 and no
// cast kernel); elsewhere the product is cast.
inline at::Tensor mm_as(const at::Tensor& a, const at::Tensor& b, at::ScalarType dtype) {
#if TB_TORCH_AT_LEAST(2, 9)
    if (a.is_cuda() && dtype == at::kFloat &&
        (a.scalar_type() == at::kBFloat16 || a.scalar_type() == at::kHalf))
        return at::mm(a, b, dtype);
#endif
    return at::mm(a, b).to(dtype);
}

inline bool cuda_available() { return torch::cuda::is_available(); }

// Multi-tensor ("foreach") ops: one launch for a whole list on CUDA, the per-tensor loop on
// CPU, with the per-tensor ops' results. 1.13 lacks these two overloads; loops stand in.
inline void foreach_lerp_(at::TensorList self, at::TensorList end, double weight) {
#if TB_TORCH_AT_LEAST(2, 0)
    at::_foreach_lerp_(self, end, weight);
#else
    for (size_t i = 0; i < self.size(); ++i) const_cast<at::Tensor&>(self[i]).lerp_(end[i], weight);
#endif
}
// self[i] *= factor, factor a 0-dim tensor on self's device (no host sync).
inline void foreach_mul_(at::TensorList self, const at::Tensor& factor) {
#if TB_TORCH_AT_LEAST(2, 1)
    at::_foreach_mul_(self, factor);
#else
    for (const auto& t : self) const_cast<at::Tensor&>(t).mul_(factor);
#endif
}

// Peak/current device memory in bytes; CPU returns nullopt (callers use RSS instead).
struct DeviceMemory {
    int64_t allocated = 0;
    int64_t reserved = 0;
    int64_t peak_allocated = 0;
    int64_t peak_reserved = 0;
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
    m.peak_reserved = stats.reserved_bytes[agg].peak;
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

// While alive, SDPA does not choose its cuDNN backend (where the libtorch has one: 2.3+).
// Why: cuDNN attention builds an execution plan per input shape, and a decode step's key
// length grows by one each token, so a cold process plans once per token (tens of ms each):
// warm benchmarks hid it, `generate` in a new process ran at 20 tok/s. Flash and memory-
// efficient attention have no per-shape plans. The flag is process-wide; the guard restores
// the previous value, and inference runs one job at a time on its thread.
// TB_SDPA_CUDNN=1 in the environment keeps cuDNN (to measure the difference).
class NoCudnnSdpaGuard {
  public:
    NoCudnnSdpaGuard() {
#if TB_TORCH_AT_LEAST(2, 3)
        const char* keep = std::getenv("TB_SDPA_CUDNN");
        if (keep && std::string(keep) == "1") return;
        previous_ = at::globalContext().userEnabledCuDNNSDP();
        at::globalContext().setSDPUseCuDNN(false);
        active_ = true;
#endif
    }
    ~NoCudnnSdpaGuard() {
#if TB_TORCH_AT_LEAST(2, 3)
        if (active_) at::globalContext().setSDPUseCuDNN(previous_);
#endif
    }
    NoCudnnSdpaGuard(const NoCudnnSdpaGuard&) = delete;
    NoCudnnSdpaGuard& operator=(const NoCudnnSdpaGuard&) = delete;

  private:
    bool previous_ = true;
    bool active_ = false;
};

// c10d (data_parallel.cpp): ProcessGroupGloo / ProcessGroupNCCL derive from c10d::ProcessGroup
// in 1.13 and from c10d::Backend from 2.0 on; collectives and Work are the same otherwise.
#if TB_TORCH_AT_LEAST(2, 0)
#define TB_C10D_BACKEND_BASE c10d::Backend
#else
#define TB_C10D_BACKEND_BASE c10d::ProcessGroup
#endif

}  // namespace tb::compat
