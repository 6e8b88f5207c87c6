/*
 * NF4 quantise / dequantise kernels (QLoRA, bitsandbytes-compatible layout).
 *
 * quantize: one pass over the weight. A "team" of threads owns one block of `blocksize`
 *   elements; each thread loads element pairs (coalesced across the team), the team reduces
 *   the block's absmax with warp shuffles (plus shared memory when a block spans several
 *   warps), then every thread normalises its pairs with the IEEE reciprocal of the absmax,
 *   maps them to NF4 codes with bitsandbytes' split points and writes one byte per pair
 *   (first element in the high nibble). Fusing absmax, normalisation and packing means the
 *   weight is read exactly once and no float intermediate touches device memory.
 *
 * dequantize: runs in every QLoRA forward and backward, so it is the one that matters for
 *   speed. Each thread decodes 8 elements: one 4-byte load of packed codes, the block scale
 *   (double-quantised: code8[absmax_q] * absmax2 + offset, computed in registers - this is
 *   the fusion: the float32 absmax vector is never materialised), a 16-entry NF4 table in
 *   shared memory, and one 16-byte store (bf16/fp16) or two (fp32). Memory-bound: 0.5 byte
 *   read + 2 bytes written per element for bf16.
 *
 * Arithmetic matches the CPU torch-op path bit for bit: __frcp_rn / __fmul_rn / __fadd_rn
 * keep nvcc from contracting multiply-adds into FMAs (torch runs them as separate kernels),
 * and the float -> bf16/fp16 conversions round to nearest even like torch's .to().
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "core/common/cuda_float.cuh"
#include "core/quant/nf4_cuda.h"

namespace tb::nf4cuda {

namespace {

constexpr int kThreads = 256;

__constant__ float kNf4Values[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

// bitsandbytes' dQuantizeNF4 decision tree, written as a count of the split points below x
// (the tree is monotone, so both give the same code; NaN compares false everywhere -> 0).
// The split literals are rounded to float through double, like codebook.cpp's nf4_splits().
#define TB_SPLIT(d) static_cast<float>(d)
__device__ __forceinline__ unsigned nf4_code(float x) {
    unsigned c = 0;
    c += x > TB_SPLIT(-0.8480964004993439);
    c += x > TB_SPLIT(-0.6106329262256622);
    c += x > TB_SPLIT(-0.4599952697753906);
    c += x > TB_SPLIT(-0.33967943489551544);
    c += x > TB_SPLIT(-0.23460740596055984);
    c += x > TB_SPLIT(-0.13791173323988914);
    c += x > TB_SPLIT(-0.045525018125772476);
    c += x > TB_SPLIT(0.03979014977812767);
    c += x > TB_SPLIT(0.1202552504837513);
    c += x > TB_SPLIT(0.2035212516784668);
    c += x > TB_SPLIT(0.2920137718319893);
    c += x > TB_SPLIT(0.3893125355243683);
    c += x > TB_SPLIT(0.5016634166240692);
    c += x > TB_SPLIT(0.6427869200706482);
    c += x > TB_SPLIT(0.8614784181118011);
    return c;
}
#undef TB_SPLIT

using cudafloat::from_float;
using cudafloat::to_float;

// TEAM threads own one quantisation block of 2 * PAIRS * TEAM elements; a CUDA block of
// kThreads threads holds kThreads / TEAM teams.
template <typename T, int TEAM, int PAIRS>
__global__ void __launch_bounds__(kThreads)
    nf4_quantize_kernel(const T* __restrict__ x, int64_t n, int64_t nblocks,
                        uint8_t* __restrict__ packed, float* __restrict__ absmax) {
    constexpr int kBlock = 2 * PAIRS * TEAM;
    constexpr int kTeams = kThreads / TEAM;
    __shared__ float warp_max[kThreads / 32];

    const int team = threadIdx.x / TEAM;
    const int lane_in_team = threadIdx.x % TEAM;
    const int64_t qb = static_cast<int64_t>(blockIdx.x) * kTeams + team;
    const int64_t base = qb * kBlock;

    float a[PAIRS], b[PAIRS];
    float m = 0.0f;
#pragma unroll
    for (int k = 0; k < PAIRS; ++k) {
        const int64_t e = base + 2 * (lane_in_team + static_cast<int64_t>(k) * TEAM);
        a[k] = (qb < nblocks && e < n) ? to_float(x[e]) : 0.0f;
        b[k] = (qb < nblocks && e + 1 < n) ? to_float(x[e + 1]) : 0.0f;
        m = fmaxf(m, fmaxf(fabsf(a[k]), fabsf(b[k])));
    }
    // Team reduction. Every thread of the warp takes part (out-of-range ones with 0).
#pragma unroll
    for (int off = (TEAM < 32 ? TEAM : 32) / 2; off > 0; off >>= 1)
        m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
    if constexpr (TEAM > 32) {
        const int warp = threadIdx.x / 32;
        if ((threadIdx.x & 31) == 0) warp_max[warp] = m;
        __syncthreads();
        constexpr int kWarpsPerTeam = TEAM / 32;
        const int first = team * kWarpsPerTeam;
#pragma unroll
        for (int w = 0; w < kWarpsPerTeam; ++w) m = fmaxf(m, warp_max[first + w]);
    }
    if (qb >= nblocks) return;
    if (lane_in_team == 0) absmax[qb] = m;
    const float recip = __frcp_rn(m);  // 1/0 = inf: an all-zero block gives NaN -> code 0
#pragma unroll
    for (int k = 0; k < PAIRS; ++k) {
        const int64_t e = base + 2 * (lane_in_team + static_cast<int64_t>(k) * TEAM);
        if (e < n) {
            const unsigned hi = nf4_code(__fmul_rn(a[k], recip));
            const unsigned lo = nf4_code(__fmul_rn(b[k], recip));
            packed[e / 2] = static_cast<uint8_t>((hi << 4) | lo);
        }
    }
}

// Stores 8 consecutive values with 16-byte stores (the caller guarantees the alignment).
template <typename T>
__device__ __forceinline__ void store8(T* out, const float (&v)[8]);
template <>
__device__ __forceinline__ void store8<float>(float* out, const float (&v)[8]) {
    reinterpret_cast<float4*>(out)[0] = make_float4(v[0], v[1], v[2], v[3]);
    reinterpret_cast<float4*>(out)[1] = make_float4(v[4], v[5], v[6], v[7]);
}
template <typename T>
__device__ __forceinline__ void store8_16bit(T* out, const float (&v)[8]) {
    union {
        T h[8];
        uint4 u;
    } pack;
#pragma unroll
    for (int i = 0; i < 8; ++i) pack.h[i] = from_float<T>(v[i]);
    *reinterpret_cast<uint4*>(out) = pack.u;
}
template <>
__device__ __forceinline__ void store8<__nv_bfloat16>(__nv_bfloat16* out, const float (&v)[8]) {
    store8_16bit(out, v);
}
template <>
__device__ __forceinline__ void store8<__half>(__half* out, const float (&v)[8]) {
    store8_16bit(out, v);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    nf4_dequantize_kernel(const uint8_t* __restrict__ packed, int64_t n, int64_t blocksize,
                          const float* __restrict__ absmax, const uint8_t* __restrict__ absmax_q,
                          const float* __restrict__ absmax2, const float* __restrict__ code8,
                          float offset, int64_t nested_blocksize, T* __restrict__ out) {
    __shared__ float s_nf4[16];
    __shared__ float s_code8[256];
    if (threadIdx.x < 16) s_nf4[threadIdx.x] = kNf4Values[threadIdx.x];
    if (absmax_q != nullptr) s_code8[threadIdx.x] = code8[threadIdx.x];  // kThreads == 256
    __syncthreads();

    const int64_t e = (static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x) * 8;
    if (e >= n) return;
    const int64_t qb = e / blocksize;  // blocksize is a multiple of 8: one block per thread
    float scale;
    if (absmax_q != nullptr)
        scale = __fadd_rn(__fmul_rn(s_code8[absmax_q[qb]], absmax2[qb / nested_blocksize]), offset);
    else
        scale = absmax[qb];

    if (e + 8 <= n) {
        const uint32_t word = *reinterpret_cast<const uint32_t*>(packed + e / 2);
        float v[8];
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            const uint32_t byte = (word >> (8 * k)) & 0xffu;  // little-endian: byte k
            v[2 * k] = __fmul_rn(s_nf4[byte >> 4], scale);
            v[2 * k + 1] = __fmul_rn(s_nf4[byte & 0xfu], scale);
        }
        store8<T>(out + e, v);
    } else {
        for (int64_t i = e; i < n; ++i) {
            const uint32_t byte = packed[i / 2];
            const uint32_t c = (i % 2 == 0) ? (byte >> 4) : (byte & 0xfu);
            out[i] = from_float<T>(__fmul_rn(s_nf4[c], scale));
        }
    }
}

std::string last_error(const char* what) {
    const cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess) return {};
    return std::string(what) + ": " + cudaGetErrorName(err) + ": " + cudaGetErrorString(err);
}

template <typename T, int TEAM, int PAIRS>
std::string launch_quantize(const void* x, int64_t n, int64_t nblocks, uint8_t* packed,
                            float* absmax, cudaStream_t stream) {
    constexpr int kTeams = kThreads / TEAM;
    const int64_t grid = (nblocks + kTeams - 1) / kTeams;
    if (grid > 0x7fffffff) return "nf4 quantize: tensor too large for one launch";
    nf4_quantize_kernel<T, TEAM, PAIRS><<<static_cast<unsigned>(grid), kThreads, 0, stream>>>(
        static_cast<const T*>(x), n, nblocks, packed, absmax);
    return last_error("nf4 quantize kernel");
}

template <typename T>
std::string quantize_typed(const void* x, int64_t n, int64_t blocksize, uint8_t* packed,
                           float* absmax, cudaStream_t stream) {
    const int64_t nblocks = (n + blocksize - 1) / blocksize;
    switch (blocksize) {
        case 64:
            return launch_quantize<T, 32, 1>(x, n, nblocks, packed, absmax, stream);
        case 128:
            return launch_quantize<T, 64, 1>(x, n, nblocks, packed, absmax, stream);
        case 256:
            return launch_quantize<T, 128, 1>(x, n, nblocks, packed, absmax, stream);
        case 512:
            return launch_quantize<T, 256, 1>(x, n, nblocks, packed, absmax, stream);
        case 1024:
            return launch_quantize<T, 256, 2>(x, n, nblocks, packed, absmax, stream);
        case 2048:
            return launch_quantize<T, 256, 4>(x, n, nblocks, packed, absmax, stream);
        case 4096:
            return launch_quantize<T, 256, 8>(x, n, nblocks, packed, absmax, stream);
        default:
            return "nf4 quantize: unsupported blocksize " + std::to_string(blocksize);
    }
}

template <typename T>
std::string dequantize_typed(const uint8_t* packed, int64_t n, int64_t blocksize,
                             const float* absmax, const uint8_t* absmax_q, const float* absmax2,
                             const float* code8, float offset, int64_t nested_blocksize, void* out,
                             cudaStream_t stream) {
    const int64_t threads_needed = (n + 7) / 8;
    const int64_t grid = (threads_needed + kThreads - 1) / kThreads;
    if (grid > 0x7fffffff) return "nf4 dequantize: tensor too large for one launch";
    nf4_dequantize_kernel<T><<<static_cast<unsigned>(grid), kThreads, 0, stream>>>(
        packed, n, blocksize, absmax, absmax_q, absmax2, code8, offset, nested_blocksize,
        static_cast<T*>(out));
    return last_error("nf4 dequantize kernel");
}

}  // namespace

std::string quantize(const void* x, FloatType type, int64_t n, int64_t blocksize, uint8_t* packed,
                     float* absmax, void* stream) {
    if (n <= 0) return {};
    auto s = static_cast<cudaStream_t>(stream);
    switch (type) {
        case FloatType::F32:
            return quantize_typed<float>(x, n, blocksize, packed, absmax, s);
        case FloatType::BF16:
            return quantize_typed<__nv_bfloat16>(x, n, blocksize, packed, absmax, s);
        case FloatType::F16:
            return quantize_typed<__half>(x, n, blocksize, packed, absmax, s);
    }
    return "nf4 quantize: unknown input type";
}

std::string dequantize(const uint8_t* packed, int64_t n, int64_t blocksize, const float* absmax,
                       const uint8_t* absmax_q, const float* absmax2, const float* code8,
                       float offset, int64_t nested_blocksize, void* out, FloatType out_type,
                       void* stream) {
    if (n <= 0) return {};
    if (blocksize % 8 != 0) return "nf4 dequantize: blocksize must be a multiple of 8";
    if (reinterpret_cast<uintptr_t>(packed) % 4 != 0)
        return "nf4 dequantize: packed codes must be 4-byte aligned";
    if (reinterpret_cast<uintptr_t>(out) % 16 != 0)
        return "nf4 dequantize: output must be 16-byte aligned";
    auto s = static_cast<cudaStream_t>(stream);
    switch (out_type) {
        case FloatType::F32:
            return dequantize_typed<float>(packed, n, blocksize, absmax, absmax_q, absmax2, code8,
                                           offset, nested_blocksize, out, s);
        case FloatType::BF16:
            return dequantize_typed<__nv_bfloat16>(packed, n, blocksize, absmax, absmax_q, absmax2,
                                                   code8, offset, nested_blocksize, out, s);
        case FloatType::F16:
            return dequantize_typed<__half>(packed, n, blocksize, absmax, absmax_q, absmax2, code8,
                                            offset, nested_blocksize, out, s);
    }
    return "nf4 dequantize: unknown output type";
}

}  // namespace tb::nf4cuda
