/*
 * Fused backend kernels: the elementwise and row-reduction parts of a Llama decoder layer's
 * forward and backward that libtorch would otherwise run as chains of small kernels, each
 * reading and writing the whole activation.
 *
 * rmsnorm_forward / rmsnorm_backward: one block per row. Forward fuses the fp32 upcast, the
 *   sum of squares, rsqrt, the cast back and the weight multiply (torch: 6 kernels, 3 fp32
 *   temporaries of the row size) and writes the per-row rstd that backward needs, so backward
 *   does not recompute the reduction: dx = rstd * (g - xhat * mean(g * xhat)), g = dy * w, in
 *   one pass with one block reduction.
 * rope_apply: out = x*cos + rotate_half(x)*sin for q and k in their [tokens, heads, hd]
 *   layout straight out of the projection (torch: cat + 4 elementwise kernels and 3
 *   temporaries). The backward is the same kernel with sin negated (see fused_kernels.h), so
 *   nothing but the shared fp32 tables is kept for it.
 * swiglu_forward / swiglu_backward: a = silu(g) * u and its gradient in one pass each; the
 *   backward overwrites g and u with dg and du, so the MLP keeps only g and u (not silu(g)
 *   and a as autograd would) and allocates nothing for their gradients.
 * cross_entropy_chunk: for a chunk of rows of bf16/fp32 logits, an online-softmax pass
 *   (running max and rescaled sum, one read) gives logsumexp and the loss, and a second pass
 *   overwrites the logits with (softmax - onehot) * scale. With the chunked driver in
 *   fused_ops.cpp the full [tokens, vocab] fp32 logits and their softmax never exist.
 *
 * seeded_dropout / seeded_dropout_accumulate: the LoRA branches' dropout without a stored
 *   mask. torch's native_dropout keeps a bool mask [tokens, in] per LoRA projection (4 MiB per
 *   projection per 4x512 batch at H=2048, 16 MiB per Llama layer with q/k/v/o LoRA) until
 *   backward; here the keep decision of value i is splitmix64(seed, i), regenerated in
 *   backward from an 8-byte device-resident seed. Each thread hashes once per pair of values
 *   (the two 32-bit halves of one 64-bit output).
 *
 * Arithmetic: reductions accumulate in fp32; rounding to the activation dtype happens where
 * HF's PyTorch code rounds (after the normalised row in RMSNorm, after silu), so bf16 results
 * stay within one bf16 ulp of the torch-op path.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "core/common/cuda_float.cuh"
#include "core/train/fused_kernels.h"

namespace tb::fusedcuda {

namespace {

constexpr int kThreads = 256;

using cudafloat::from_float;
using cudafloat::round_to;
using cudafloat::to_float;

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, <= 1024); every thread gets the result.
__device__ float block_sum(float v) {
    __shared__ float partial[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    __syncthreads();  // `partial` may still be read by a previous call
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    const int nwarps = blockDim.x >> 5;
    float t = lane < nwarps ? partial[lane] : 0.0f;
    return warp_sum(t);
}

// ---------------------------------------------------------------------------------------
// RMSNorm

template <typename T>
__global__ void rmsnorm_forward_kernel(const T* __restrict__ x, const T* __restrict__ w,
                                       T* __restrict__ y, float* __restrict__ rstd, int64_t h,
                                       float eps) {
    const int64_t row = blockIdx.x;
    const T* xr = x + row * h;
    T* yr = y + row * h;
    float ss = 0.0f;
    for (int64_t j = threadIdx.x; j < h; j += blockDim.x) {
        const float v = to_float(xr[j]);
        ss += v * v;
    }
    ss = block_sum(ss);
    const float r = rsqrtf(ss / static_cast<float>(h) + eps);
    if (threadIdx.x == 0) rstd[row] = r;
    for (int64_t j = threadIdx.x; j < h; j += blockDim.x)
        yr[j] = from_float<T>(to_float(w[j]) * round_to<T>(to_float(xr[j]) * r));
}

template <typename T>
__global__ void rmsnorm_backward_kernel(const T* __restrict__ dy, const T* __restrict__ x,
                                        const T* __restrict__ w, const float* __restrict__ rstd,
                                        T* dx, int64_t h) {
    const int64_t row = blockIdx.x;
    const T* dyr = dy + row * h;
    const T* xr = x + row * h;
    T* dxr = dx + row * h;
    const float r = rstd[row];
    float dot = 0.0f;
    for (int64_t j = threadIdx.x; j < h; j += blockDim.x)
        dot += to_float(dyr[j]) * to_float(w[j]) * (to_float(xr[j]) * r);
    dot = block_sum(dot) / static_cast<float>(h);
    // dx may alias dy: every thread reads dy[j] before writing dx[j] for the same j, and the
    // reduction above finished reading the whole row (block_sum synchronises).
    for (int64_t j = threadIdx.x; j < h; j += blockDim.x) {
        const float g = to_float(dyr[j]) * to_float(w[j]);
        const float xhat = to_float(xr[j]) * r;
        dxr[j] = from_float<T>(r * (g - xhat * dot));
    }
}

// ---------------------------------------------------------------------------------------
// RoPE

template <typename T>
__global__ void rope_kernel(const T* x, const float* __restrict__ cos,
                            const float* __restrict__ sin, T* out, int64_t tokens, int64_t heads,
                            int64_t hd, float sign) {
    // One thread per (token, head, j < hd/2) pair: it reads x[j] and x[j + hd/2] and writes
    // both outputs, so in-place use (out == x) is safe.
    const int64_t half = hd / 2;
    const int64_t total = tokens * heads * half;
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t j = i % half;
        const int64_t th = i / half;  // token * heads + head
        const int64_t t = th / heads;
        const T* xr = x + th * hd;
        T* orow = out + th * hd;
        const float x1 = to_float(xr[j]), x2 = to_float(xr[j + half]);
        const float c1 = cos[t * hd + j], c2 = cos[t * hd + j + half];
        const float s1 = sign * sin[t * hd + j], s2 = sign * sin[t * hd + j + half];
        orow[j] = from_float<T>(x1 * c1 - x2 * s1);
        orow[j + half] = from_float<T>(x2 * c2 + x1 * s2);
    }
}

// ---------------------------------------------------------------------------------------
// SwiGLU

template <typename T>
__global__ void swiglu_forward_kernel(const T* __restrict__ g, const T* __restrict__ u,
                                      T* __restrict__ a, int64_t n) {
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const float gv = to_float(g[i]);
        const float silu = gv / (1.0f + expf(-gv));
        a[i] = from_float<T>(round_to<T>(silu) * to_float(u[i]));
    }
}

template <typename T>
__global__ void swiglu_backward_kernel(const T* __restrict__ da, T* g, T* u, int64_t n) {
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const float gv = to_float(g[i]), uv = to_float(u[i]), d = to_float(da[i]);
        const float sig = 1.0f / (1.0f + expf(-gv));
        const float silu = gv * sig;
        // d silu/dg = sig * (1 + g * (1 - sig))
        g[i] = from_float<T>(d * uv * sig * (1.0f + gv * (1.0f - sig)));
        u[i] = from_float<T>(d * round_to<T>(silu));
    }
}

// ---------------------------------------------------------------------------------------
// Cross-entropy

template <typename T>
__global__ void cross_entropy_kernel(T* logits, const int64_t* __restrict__ labels,
                                     float* __restrict__ loss, int64_t vocab, float grad_scale) {
    const int64_t row = blockIdx.x;
    T* lr = logits + row * vocab;
    const int64_t label = labels[row];
    if (label < 0 || label >= vocab) {  // -100: ignored (out-of-range labels are rejected on
                                        // the host before launch)
        for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) lr[j] = from_float<T>(0.0f);
        if (threadIdx.x == 0) loss[row] = 0.0f;
        return;
    }
    // Online softmax: each thread keeps a running max m and sum s of exp(v - m).
    float m = -INFINITY, s = 0.0f;
    for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
        const float v = to_float(lr[j]);
        if (v > m) {
            s = s * expf(m - v) + 1.0f;
            m = v;
        } else {
            s += expf(v - m);
        }
    }
    // Combine (m, s) over the block: max first, then rescaled sums.
    __shared__ float red[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float bm = warp_max(m);
    if (lane == 0) red[warp] = bm;
    __syncthreads();
    const int nwarps = blockDim.x >> 5;
    bm = warp_max(lane < nwarps ? red[lane] : -INFINITY);
    const float scaled = m == -INFINITY ? 0.0f : s * expf(m - bm);
    const float total = block_sum(scaled);
    const float lse = bm + logf(total);
    __syncthreads();
    const float target = to_float(lr[label]);
    __syncthreads();  // every thread has read the label's logit before anyone overwrites it
    if (threadIdx.x == 0) loss[row] = lse - target;
    for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
        const float p = expf(to_float(lr[j]) - lse);
        lr[j] = from_float<T>((p - (j == label ? 1.0f : 0.0f)) * grad_scale);
    }
}

// ---------------------------------------------------------------------------------------
// Seeded dropout

// The k-th output of splitmix64 seeded with `seed` (Steele, Lea, Flood 2014): a counter-based
// generator, so any value of the sequence is computed directly.
__device__ __forceinline__ uint64_t splitmix64_at(uint64_t seed, uint64_t k) {
    uint64_t z = seed + (k + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Values 2k and 2k+1 use the high and low halves of output k.
template <typename T, bool kAccumulate>
__global__ void seeded_dropout_kernel(const T* in, T* out, int64_t n,  // out may alias in
                                      const int64_t* __restrict__ seed, uint64_t salt,
                                      uint32_t threshold, float scale) {
    const uint64_t s = static_cast<uint64_t>(*seed) + salt * 0xD1B54A32D192ED03ull;
    const int64_t pairs = (n + 1) / 2;
    for (int64_t k = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; k < pairs;
         k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const uint64_t z = splitmix64_at(s, static_cast<uint64_t>(k));
        const uint32_t r[2] = {static_cast<uint32_t>(z >> 32), static_cast<uint32_t>(z)};
        for (int h = 0; h < 2; ++h) {
            const int64_t i = 2 * k + h;
            if (i >= n) break;
            const float v = r[h] >= threshold ? to_float(in[i]) * scale : 0.0f;
            out[i] = kAccumulate ? from_float<T>(to_float(out[i]) + v) : from_float<T>(v);
        }
    }
}

unsigned grid_for(int64_t n) {
    const int64_t blocks = (n + kThreads - 1) / kThreads;
    return static_cast<unsigned>(blocks < 65535 * 8 ? (blocks > 0 ? blocks : 1) : 65535 * 8);
}

// Threads per row for the row kernels: enough to cover the row in a few passes, a multiple
// of 32, at most 1024.
unsigned row_threads(int64_t h) {
    int64_t t = 32;
    while (t < 1024 && t * 4 < h) t *= 2;
    return static_cast<unsigned>(t);
}

std::string check(const char* what) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return "";
    return std::string(what) + ": " + cudaGetErrorString(e);
}

template <template <typename> class Launch, typename... Args>
std::string dispatch(DType t, const char* what, Args... args) {
    switch (t) {
        case DType::F32:
            Launch<float>::run(args...);
            break;
        case DType::BF16:
            Launch<__nv_bfloat16>::run(args...);
            break;
        case DType::F16:
            Launch<__half>::run(args...);
            break;
        default:
            return std::string(what) + ": unknown dtype";
    }
    return check(what);
}

template <typename T>
struct RmsFwd {
    static void run(const void* x, const void* w, void* y, float* rstd, int64_t rows, int64_t h,
                    float eps, cudaStream_t s) {
        rmsnorm_forward_kernel<T><<<static_cast<unsigned>(rows), row_threads(h), 0, s>>>(
            static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), rstd, h, eps);
    }
};

template <typename T>
struct RmsBwd {
    static void run(const void* dy, const void* x, const void* w, const float* rstd, void* dx,
                    int64_t rows, int64_t h, cudaStream_t s) {
        rmsnorm_backward_kernel<T><<<static_cast<unsigned>(rows), row_threads(h), 0, s>>>(
            static_cast<const T*>(dy), static_cast<const T*>(x), static_cast<const T*>(w), rstd,
            static_cast<T*>(dx), h);
    }
};

template <typename T>
struct Rope {
    static void run(const void* x, const float* cos, const float* sin, void* out, int64_t tokens,
                    int64_t heads, int64_t hd, float sign, cudaStream_t s) {
        rope_kernel<T><<<grid_for(tokens * heads * (hd / 2)), kThreads, 0, s>>>(
            static_cast<const T*>(x), cos, sin, static_cast<T*>(out), tokens, heads, hd, sign);
    }
};

template <typename T>
struct SwiFwd {
    static void run(const void* g, const void* u, void* a, int64_t n, cudaStream_t s) {
        swiglu_forward_kernel<T><<<grid_for(n), kThreads, 0, s>>>(
            static_cast<const T*>(g), static_cast<const T*>(u), static_cast<T*>(a), n);
    }
};

template <typename T>
struct SwiBwd {
    static void run(const void* da, void* g, void* u, int64_t n, cudaStream_t s) {
        swiglu_backward_kernel<T><<<grid_for(n), kThreads, 0, s>>>(
            static_cast<const T*>(da), static_cast<T*>(g), static_cast<T*>(u), n);
    }
};

template <typename T>
struct CrossEntropy {
    static void run(void* logits, const int64_t* labels, float* loss, int64_t rows, int64_t vocab,
                    float grad_scale, cudaStream_t s) {
        cross_entropy_kernel<T><<<static_cast<unsigned>(rows), 1024, 0, s>>>(
            static_cast<T*>(logits), labels, loss, vocab, grad_scale);
    }
};

template <typename T>
struct Dropout {
    static void run(const void* in, void* out, int64_t n, const int64_t* seed, uint64_t salt,
                    uint32_t threshold, float scale, bool accumulate, cudaStream_t s) {
        const unsigned grid = grid_for((n + 1) / 2);
        if (accumulate)
            seeded_dropout_kernel<T, true><<<grid, kThreads, 0, s>>>(
                static_cast<const T*>(in), static_cast<T*>(out), n, seed, salt, threshold, scale);
        else
            seeded_dropout_kernel<T, false><<<grid, kThreads, 0, s>>>(
                static_cast<const T*>(in), static_cast<T*>(out), n, seed, salt, threshold, scale);
    }
};

}  // namespace

std::string seeded_dropout(const void* in, void* out, int64_t n, const int64_t* seed, uint64_t salt,
                           uint32_t threshold, float scale, DType t, void* stream) {
    if (n == 0) return "";
    return dispatch<Dropout>(t, "seeded_dropout", in, out, n, seed, salt, threshold, scale, false,
                             static_cast<cudaStream_t>(stream));
}

std::string seeded_dropout_accumulate(const void* in, void* acc, int64_t n, const int64_t* seed,
                                      uint64_t salt, uint32_t threshold, float scale, DType t,
                                      void* stream) {
    if (n == 0) return "";
    return dispatch<Dropout>(t, "seeded_dropout_accumulate", in, acc, n, seed, salt, threshold,
                             scale, true, static_cast<cudaStream_t>(stream));
}

std::string rmsnorm_forward(const void* x, const void* w, void* y, float* rstd, int64_t rows,
                            int64_t h, float eps, DType t, void* stream) {
    if (rows == 0) return "";
    return dispatch<RmsFwd>(t, "rmsnorm_forward", x, w, y, rstd, rows, h, eps,
                            static_cast<cudaStream_t>(stream));
}

std::string rmsnorm_backward(const void* dy, const void* x, const void* w, const float* rstd,
                             void* dx, int64_t rows, int64_t h, DType t, void* stream) {
    if (rows == 0) return "";
    return dispatch<RmsBwd>(t, "rmsnorm_backward", dy, x, w, rstd, dx, rows, h,
                            static_cast<cudaStream_t>(stream));
}

std::string rope_apply(const void* x, const float* cos, const float* sin, void* out, int64_t tokens,
                       int64_t heads, int64_t hd, float sign, DType t, void* stream) {
    if (tokens * heads == 0) return "";
    if (hd % 2 != 0) return "rope_apply: head_dim must be even";
    return dispatch<Rope>(t, "rope_apply", x, cos, sin, out, tokens, heads, hd, sign,
                          static_cast<cudaStream_t>(stream));
}

std::string swiglu_forward(const void* g, const void* u, void* a, int64_t n, DType t,
                           void* stream) {
    if (n == 0) return "";
    return dispatch<SwiFwd>(t, "swiglu_forward", g, u, a, n, static_cast<cudaStream_t>(stream));
}

std::string swiglu_backward(const void* da, void* g_to_dg, void* u_to_du, int64_t n, DType t,
                            void* stream) {
    if (n == 0) return "";
    return dispatch<SwiBwd>(t, "swiglu_backward", da, g_to_dg, u_to_du, n,
                            static_cast<cudaStream_t>(stream));
}

std::string cross_entropy_chunk(void* logits, const int64_t* labels, float* loss, int64_t rows,
                                int64_t vocab, float grad_scale, DType t, void* stream) {
    if (rows == 0) return "";
    return dispatch<CrossEntropy>(t, "cross_entropy_chunk", logits, labels, loss, rows, vocab,
                                  grad_scale, static_cast<cudaStream_t>(stream));
}

}  // namespace tb::fusedcuda
