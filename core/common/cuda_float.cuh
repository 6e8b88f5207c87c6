// Device-side conversions between the activation dtypes (fp32, bf16, fp16) and fp32, shared by
// the hand-written kernels (core/quant/nf4_kernels.cu, core/train/fused_kernels.cu). Float ->
// 16-bit rounds to nearest even, like torch's .to(). nvcc only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace tb::cudafloat {

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }

template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
    return v;
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
    return __float2bfloat16_rn(v);
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
    return __float2half_rn(v);
}

// Rounds through T (what a cast to the activation dtype and back does).
template <typename T>
__device__ __forceinline__ float round_to(float v) {
    return to_float(from_float<T>(v));
}

}  // namespace tb::cudafloat
