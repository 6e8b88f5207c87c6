/*
 * The graph engine's decode kernels (see decode_kernels.h for what each computes and why they
 * exist; this file says how).
 *
 * gemv: one warp per output row, or two sharing it for outputs of at most 2048 rows (GemvTile;
 *   SwiGLU: per pair of rows j, j+I, so the gate and up values of one output meet in registers
 *   and the [B, 2I] intermediate never reaches memory). A lane streams its share of the weight
 *   row with 16-byte loads, up to eight in flight before the first is used, and multiplies each
 *   against every batch row (weights are read once for B rows). With the RMSNorm prologue each
 * block first normalises the B input rows into shared memory (B*K values; every block redoes it - K
 * = hidden is a few KB read from L2, far cheaper than a separate kernel and a round trip through
 * memory). 256 threads = 8 (or 4) rows per block, so the 2k-5k-row projections of a 1B model give
 * every SM a few blocks. rope_attention_decode: one block per (query head, batch row). It ropes its
 * q and its KV head's k in shared memory, writes k/v at the slot (the first query head of each KV
 * group does, and every block uses its own copy of the new key, so no block waits on another), then
 * two passes over keys 0..slot: scores (a thread per key, the key row read with 16-byte loads) into
 * shared memory with the block max, then exp/sum and P*V with a warp per key and a lane per pair of
 * dimensions (coalesced value rows), partial sums reduced across warps. It takes 16 us a layer at
 * 256 keys on the H200 (decode_kernels_bench.cu), a quarter of the step. A split-key
 * (flash-decoding) variant was measured against it on 2026-12-03 - a block per (KV head, slice of
 * keys) for all the group's query heads, an online softmax per warp with the first keys loaded
 * before the PDL wait, slices merged by the last block through a self-resetting counter - and
 * took 17.7 us, so it was not kept: the time is not in walking the keys. Where it goes is still
 * open (hardware counters were not read).
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "core/common/cuda_float.cuh"
#include "core/infer/decode_kernels.h"

namespace tb::decodecuda {

namespace {

using cudafloat::from_float;
using cudafloat::round_to;
using cudafloat::to_float;

constexpr int kGemvWarps = 8;
constexpr int kGemvThreads = kGemvWarps * 32;
constexpr int kUnroll = 8;  // 16-byte weight loads in flight per lane (K = 2048 bf16: one round)
constexpr int kAttnThreads = 128;
constexpr int kAttnWarps = kAttnThreads / 32;

// Programmatic dependent launch (sm_90): every kernel here lets the next one start as soon as
// all its own blocks are running (launch_dependents), and reads nothing the previous kernel
// wrote before griddepcontrol.wait (which returns once that kernel has completed and its
// writes are visible). What a kernel does before the wait - its launch, and fetching its own
// weights, which no kernel writes - overlaps the previous kernel's tail. Without the launch
// attribute both instructions are no-ops.
__device__ __forceinline__ void pdl_trigger() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}
__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Launches `kernel` with programmatic stream serialisation (see pdl_trigger) unless
// TB_DECODE_PDL=0.
template <typename... Params, typename... Args>
cudaError_t launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                   cudaStream_t stream, Args&&... args) {
    static const bool pdl = [] {
        const char* e = std::getenv("TB_DECODE_PDL");
        return !(e && e[0] == '0');
    }();
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = grid;
    cfg.blockDim = block;
    cfg.dynamicSmemBytes = smem;
    cfg.stream = stream;
    cudaLaunchAttribute attr[1];
    attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = attr;
    cfg.numAttrs = pdl ? 1 : 0;
    return cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...);
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// 16 bytes of T as floats.
template <typename T>
struct Pack;
template <>
struct Pack<float> {
    static constexpr int n = 4;
    __device__ __forceinline__ static void unpack(const uint4& v, float* f) {
        f[0] = __uint_as_float(v.x);
        f[1] = __uint_as_float(v.y);
        f[2] = __uint_as_float(v.z);
        f[3] = __uint_as_float(v.w);
    }
};
template <>
struct Pack<__nv_bfloat16> {
    static constexpr int n = 8;
    __device__ __forceinline__ static void unpack(const uint4& v, float* f) {
        const unsigned w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            // bf16 -> fp32 is a shift: the high half of the word is the second element.
            f[2 * i] = __uint_as_float(w[i] << 16);
            f[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
        }
    }
};
template <>
struct Pack<__half> {
    static constexpr int n = 8;
    __device__ __forceinline__ static void unpack(const uint4& v, float* f) {
        const unsigned w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            __half2 h = *reinterpret_cast<const __half2*>(&w[i]);
            float2 p = __half22float2(h);
            f[2 * i] = p.x;
            f[2 * i + 1] = p.y;
        }
    }
};

// Weights are streamed once per step: don't let them evict the activations from L1.
__device__ __forceinline__ uint4 load_stream(const void* p) {
    return __ldcs(reinterpret_cast<const uint4*>(p));
}
__device__ __forceinline__ uint4 load_vec(const void* p) {
    return *reinterpret_cast<const uint4*>(p);
}

// HF LlamaRMSNorm of the B input rows into shared memory xs [B, K]: fp32 sum of squares, the
// normalised row rounded to T, then times the weight (rounded again). The whole block shares
// the work with 16-byte loads (K = 2048 bf16: one load per thread and row), so the prologue
// costs about one memory round trip rather than a warp's serial pass. Contains a barrier.
template <typename T, int MAXB, int WARPS = kGemvWarps>
__device__ __forceinline__ void norm_rows(const T* __restrict__ x, const T* __restrict__ norm_w,
                                          float eps, int K, int B, T* xs) {
    constexpr int kThreads = WARPS * 32;
    __shared__ float red[WARPS][MAXB];
    constexpr int VEC = Pack<T>::n;
    const int t = static_cast<int>(threadIdx.x), warp = t / 32, lane = t % 32;
    float ss[MAXB];
#pragma unroll
    for (int b = 0; b < MAXB; ++b) ss[b] = 0.f;
    for (int k = t * VEC; k < K; k += kThreads * VEC) {
#pragma unroll
        for (int b = 0; b < MAXB; ++b) {
            if (b >= B) break;
            float f[VEC];
            Pack<T>::unpack(load_vec(x + static_cast<size_t>(b) * K + k), f);
#pragma unroll
            for (int i = 0; i < VEC; ++i) ss[b] = fmaf(f[i], f[i], ss[b]);
        }
    }
#pragma unroll
    for (int b = 0; b < MAXB; ++b) {
        if (b >= B) break;
        const float v = warp_sum(ss[b]);
        if (lane == 0) red[warp][b] = v;
    }
    __syncthreads();
    float rstd[MAXB];
#pragma unroll
    for (int b = 0; b < MAXB; ++b) {
        float s = 0.f;
#pragma unroll
        for (int w = 0; w < WARPS; ++w) s += b < B ? red[w][b] : 0.f;
        rstd[b] = rsqrtf(s / static_cast<float>(K) + eps);
    }
    for (int k = t * VEC; k < K; k += kThreads * VEC) {
        float fw[VEC];
        Pack<T>::unpack(load_vec(norm_w + k), fw);
#pragma unroll
        for (int b = 0; b < MAXB; ++b) {
            if (b >= B) break;
            float f[VEC];
            Pack<T>::unpack(load_vec(x + static_cast<size_t>(b) * K + k), f);
            alignas(16) T o[VEC];
#pragma unroll
            for (int i = 0; i < VEC; ++i) o[i] = from_float<T>(fw[i] * round_to<T>(f[i] * rstd[b]));
            *reinterpret_cast<uint4*>(xs + static_cast<size_t>(b) * K + k) =
                *reinterpret_cast<const uint4*>(o);
        }
    }
}

// The epilogue of output `row` for batch row b (acc: the dot product; acc2: the up row's
// for SwiGLU), written by one lane.
template <typename T, int EP>
__device__ __forceinline__ void store_output(T* y, const T* residual, int N, int n_out, int b,
                                             int row, float a, float a2) {
    T* out = y + static_cast<size_t>(b) * n_out + row;
    if constexpr (EP == static_cast<int>(Epilogue::Plain)) {
        *out = from_float<T>(a);
    } else if constexpr (EP == static_cast<int>(Epilogue::Residual)) {
        *out = from_float<T>(to_float(residual[static_cast<size_t>(b) * N + row]) + round_to<T>(a));
    } else {
        const float g = round_to<T>(a), u = round_to<T>(a2);
        const float s = round_to<T>(g / (1.f + expf(-g)));
        *out = from_float<T>(s * u);
    }
}

// How a GEMV launch is cut up. WARPS warps a block; WPR of them share one output row, each
// taking every WPR-th 16-byte chunk of it (their partial dots meet in shared memory), so a
// block covers WARPS / WPR rows. A lane keeps UNROLL 16-byte weight loads in flight per round;
// PIPE issues the next round's loads before this round's products (two register sets), so a
// row longer than one round streams without a memory round trip between rounds. Which tiling
// wins depends on the matrix shape (rows against multiprocessors, K against a round), measured
// by tests/core/infer/decode_kernels_bench.cu; launch_gemv_t picks per shape.
template <int WARPS, int WPR, int UNROLL, bool PIPE>
struct GemvTile {
    static constexpr int warps = WARPS;
    static constexpr int wpr = WPR;
    static constexpr int unroll = UNROLL;
    static constexpr bool pipe = PIPE;
    static constexpr int threads = WARPS * 32;
    static constexpr int rows = WARPS / WPR;
    static_assert(WARPS % WPR == 0, "a block holds whole rows");
};

template <typename T, int MAXB, int EP, bool NORM, class Tile>
__global__ void __launch_bounds__(Tile::threads)
    gemv_kernel(const T* __restrict__ x, const T* __restrict__ norm_w, float eps,
                const T* __restrict__ W, int N, int K, const T* __restrict__ residual,
                T* __restrict__ y, int B) {
    extern __shared__ __align__(16) unsigned char smem[];
    __shared__ float part[Tile::wpr > 1 ? Tile::warps : 1][MAXB][2];
    constexpr int VEC = Pack<T>::n;
    constexpr int U = Tile::unroll;
    constexpr bool kPair = EP == static_cast<int>(Epilogue::SwiGLU);
    const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
    pdl_trigger();

    const int n_out = kPair ? N / 2 : N;
    const int seg = warp % Tile::wpr;
    const int row = static_cast<int>(blockIdx.x) * Tile::rows + warp / Tile::wpr;
    const bool active = row < n_out;
    const T* w1 = W + static_cast<size_t>(active ? row : 0) * K;
    const T* w2 = kPair ? W + static_cast<size_t>(active ? row + n_out : 0) * K : w1;

    constexpr int kStep = Tile::wpr * 32 * VEC;  // elements between one lane's loads
    constexpr int kRound = kStep * U;
    const int k_first = (seg * 32 + lane) * VEC;
    auto fetch = [&](uint4* a, uint4* b, int k0) {
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int k = k0 + u * kStep;
            if (k < K) {
                a[u] = load_stream(w1 + k);
                if constexpr (kPair) b[u] = load_stream(w2 + k);
            }
        }
    };
    // The first round of this warp's weights is fetched before waiting for the previous
    // kernel (weights are never written), and before the RMSNorm prologue: both overlap it.
    uint4 wa[U], wb[U];
    if (active) fetch(wa, wb, k_first);
    pdl_wait();

    const T* xin = x;
    if constexpr (NORM) {
        norm_rows<T, MAXB, Tile::warps>(x, norm_w, eps, K, B, reinterpret_cast<T*>(smem));
        __syncthreads();
        xin = reinterpret_cast<T*>(smem);
    }

    float acc[MAXB], acc2[MAXB];
#pragma unroll
    for (int b = 0; b < MAXB; ++b) acc[b] = acc2[b] = 0.f;

    if (active) {
        for (int k0 = k_first; k0 < K; k0 += kRound) {
            const bool more = k0 + kRound < K;
            uint4 na[U], nb[U];
            if constexpr (Tile::pipe) {
                if (more) fetch(na, nb, k0 + kRound);
            }
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int k = k0 + u * kStep;
                if (k >= K) break;
                float fa[VEC], fb[VEC];
                Pack<T>::unpack(wa[u], fa);
                if constexpr (kPair) Pack<T>::unpack(wb[u], fb);
#pragma unroll
                for (int b = 0; b < MAXB; ++b) {
                    if (b >= B) break;
                    float fx[VEC];
                    Pack<T>::unpack(load_vec(xin + static_cast<size_t>(b) * K + k), fx);
#pragma unroll
                    for (int i = 0; i < VEC; ++i) {
                        acc[b] = fmaf(fa[i], fx[i], acc[b]);
                        if constexpr (kPair) acc2[b] = fmaf(fb[i], fx[i], acc2[b]);
                    }
                }
            }
            if (more) {
                if constexpr (Tile::pipe) {
#pragma unroll
                    for (int u = 0; u < U; ++u) {
                        wa[u] = na[u];
                        if constexpr (kPair) wb[u] = nb[u];
                    }
                } else {
                    fetch(wa, wb, k0 + kRound);
                }
            }
        }
    }

#pragma unroll
    for (int b = 0; b < MAXB; ++b) {
        if (b >= B) break;
        acc[b] = warp_sum(acc[b]);
        if constexpr (kPair) acc2[b] = warp_sum(acc2[b]);
    }
    if constexpr (Tile::wpr == 1) {
#pragma unroll
        for (int b = 0; b < MAXB; ++b) {
            if (b >= B) break;
            if (active && lane == b % 32)
                store_output<T, EP>(y, residual, N, n_out, b, row, acc[b], acc2[b]);
        }
    } else {
        // The row's WPR partial dots: summed in a fixed order (segment 0 first), so the result
        // does not depend on which warp finishes first.
        if (lane == 0) {
#pragma unroll
            for (int b = 0; b < MAXB; ++b) {
                part[warp][b][0] = acc[b];
                part[warp][b][1] = acc2[b];
            }
        }
        __syncthreads();
        if (seg == 0 && active) {
#pragma unroll
            for (int b = 0; b < MAXB; ++b) {
                if (b >= B) break;
                if (lane != b % 32) continue;
                float a = 0.f, a2 = 0.f;
#pragma unroll
                for (int s = 0; s < Tile::wpr; ++s) {
                    a += part[warp + s][b][0];
                    a2 += part[warp + s][b][1];
                }
                store_output<T, EP>(y, residual, N, n_out, b, row, a, a2);
            }
        }
    }
}

// The NF4 GEMV (quant engine): as gemv_kernel, the weight rows read as NF4 codes (QLoRA's
// layout: 64-weight blocks, two codes per byte, the first in the high nibble) with one fp32
// scale per block (the double-quantised absmax, decoded once at load). A lane takes 16 bytes
// of codes = 32 weights of one block at a time: the 16-entry code table sits in shared
// memory, the block scale multiplies the lane's partial dot once. w = nf4[code] * absmax is
// kept in fp32 (QLoRA's path rounds it to the compute dtype first: a difference of up to half
// a bf16 ulp per weight, which the engine reports as token agreement).
template <typename T, int MAXB, int EP, bool NORM>
__global__ void __launch_bounds__(kGemvThreads)
    gemv_nf4_kernel(const T* __restrict__ x, const T* __restrict__ norm_w, float eps, Nf4Matrix w,
                    int N, int K, const T* __restrict__ residual, T* __restrict__ y, int B,
                    Nf4Table table) {
    extern __shared__ __align__(16) unsigned char smem[];
    __shared__ float lut[16];
    const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
    pdl_trigger();
    if (threadIdx.x < 16) lut[threadIdx.x] = table.v[threadIdx.x];

    constexpr bool kPair = EP == static_cast<int>(Epilogue::SwiGLU);
    const int n_out = kPair ? N / 2 : N;
    const int row_raw = static_cast<int>(blockIdx.x) * kGemvWarps + warp;
    const bool active = row_raw < n_out;
    const int row = active ? row_raw : 0;
    // The segment (projection) holding a row of the stacked matrix.
    auto locate = [&](int r, const uint8_t*& codes, const float*& scales) {
        int s = 0;
        while (s + 1 < w.n && r >= w.rows[s]) r -= w.rows[s++];
        codes = w.codes[s] + static_cast<size_t>(r) * (K / 2);
        scales = w.scales[s] + static_cast<size_t>(r) * (K / 64);
    };
    const uint8_t *c1, *c2 = nullptr;
    const float *s1, *s2 = nullptr;
    locate(row, c1, s1);
    if constexpr (kPair) locate(row + n_out, c2, s2);

    constexpr int kW = 32;  // weights per 16-byte chunk
    uint4 ca[kUnroll], cb[kUnroll];
    float sa[kUnroll], sb[kUnroll];
    const int k_first = lane * kW;
    auto fetch = [&](int k0) {
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) {
            const int k = k0 + u * 32 * kW;
            if (k < K) {
                ca[u] = load_stream(c1 + k / 2);
                sa[u] = s1[k / 64];
                if constexpr (kPair) {
                    cb[u] = load_stream(c2 + k / 2);
                    sb[u] = s2[k / 64];
                }
            }
        }
    };
    // Codes and scales first (never written), then wait for the previous kernel's output.
    if (active) fetch(k_first);
    pdl_wait();
    const T* xin = x;
    if constexpr (NORM) {
        norm_rows<T, MAXB>(x, norm_w, eps, K, B, reinterpret_cast<T*>(smem));
        xin = reinterpret_cast<T*>(smem);
    }
    __syncthreads();
    if (!active) return;

    float acc[MAXB], acc2[MAXB];
#pragma unroll
    for (int b = 0; b < MAXB; ++b) acc[b] = acc2[b] = 0.f;

    for (int k0 = k_first; k0 < K; k0 += 32 * kW * kUnroll) {
        if (k0 != k_first) fetch(k0);
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) {
            const int k = k0 + u * 32 * kW;
            if (k >= K) break;
            float wa[kW], wb[kW];
            const unsigned ua[4] = {ca[u].x, ca[u].y, ca[u].z, ca[u].w};
#pragma unroll
            for (int i = 0; i < 16; ++i) {
                const unsigned byte = (ua[i / 4] >> (8 * (i % 4))) & 0xffu;
                wa[2 * i] = lut[byte >> 4];
                wa[2 * i + 1] = lut[byte & 15u];
            }
            if constexpr (kPair) {
                const unsigned ub[4] = {cb[u].x, cb[u].y, cb[u].z, cb[u].w};
#pragma unroll
                for (int i = 0; i < 16; ++i) {
                    const unsigned byte = (ub[i / 4] >> (8 * (i % 4))) & 0xffu;
                    wb[2 * i] = lut[byte >> 4];
                    wb[2 * i + 1] = lut[byte & 15u];
                }
            }
#pragma unroll
            for (int b = 0; b < MAXB; ++b) {
                if (b >= B) break;
                float da = 0.f, db = 0.f;
                constexpr int VEC = Pack<T>::n;
#pragma unroll
                for (int v = 0; v < kW / VEC; ++v) {
                    float fx[VEC];
                    Pack<T>::unpack(load_vec(xin + static_cast<size_t>(b) * K + k + v * VEC), fx);
#pragma unroll
                    for (int i = 0; i < VEC; ++i) {
                        da = fmaf(wa[v * VEC + i], fx[i], da);
                        if constexpr (kPair) db = fmaf(wb[v * VEC + i], fx[i], db);
                    }
                }
                acc[b] = fmaf(sa[u], da, acc[b]);
                if constexpr (kPair) acc2[b] = fmaf(sb[u], db, acc2[b]);
            }
        }
    }

#pragma unroll
    for (int b = 0; b < MAXB; ++b) {
        if (b >= B) break;
        const float a = warp_sum(acc[b]);
        const float a2 = kPair ? warp_sum(acc2[b]) : 0.f;
        if (lane == b % 32) store_output<T, EP>(y, residual, N, n_out, b, row, a, a2);
    }
}

template <typename T, int MAXB, int EP, bool NORM>
std::string launch_gemv_nf4_t(const void* x, const void* norm_w, float eps, const Nf4Matrix& w,
                              int64_t N, int64_t K, const void* residual, void* y, int64_t B,
                              const Nf4Table& table, cudaStream_t stream) {
    auto kernel = gemv_nf4_kernel<T, MAXB, EP, NORM>;
    const size_t smem = NORM ? static_cast<size_t>(B * K) * sizeof(T) : 0;
    if (smem > 48 * 1024) {
        static cudaError_t raised =
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024);
        if (raised != cudaSuccess) return cudaGetErrorString(raised);
        if (smem > 200 * 1024) return "unsupported: RMSNorm rows too large for shared memory";
    }
    const int64_t n_out = EP == static_cast<int>(Epilogue::SwiGLU) ? N / 2 : N;
    const unsigned grid = static_cast<unsigned>((n_out + kGemvWarps - 1) / kGemvWarps);
    const cudaError_t e =
        launch(kernel, dim3(grid), dim3(kGemvThreads), smem, stream, static_cast<const T*>(x),
               static_cast<const T*>(norm_w), eps, w, static_cast<int>(N), static_cast<int>(K),
               static_cast<const T*>(residual), static_cast<T*>(y), static_cast<int>(B), table);
    return e == cudaSuccess ? std::string() : std::string(cudaGetErrorString(e));
}

template <typename T, int EP, bool NORM>
std::string launch_gemv_nf4_b(const void* x, const void* norm_w, float eps, const Nf4Matrix& w,
                              int64_t N, int64_t K, const void* residual, void* y, int64_t B,
                              const Nf4Table& table, cudaStream_t stream) {
    if (B <= 1)
        return launch_gemv_nf4_t<T, 1, EP, NORM>(x, norm_w, eps, w, N, K, residual, y, B, table,
                                                 stream);
    if (B <= 2)
        return launch_gemv_nf4_t<T, 2, EP, NORM>(x, norm_w, eps, w, N, K, residual, y, B, table,
                                                 stream);
    if (B <= 4)
        return launch_gemv_nf4_t<T, 4, EP, NORM>(x, norm_w, eps, w, N, K, residual, y, B, table,
                                                 stream);
    return launch_gemv_nf4_t<T, 8, EP, NORM>(x, norm_w, eps, w, N, K, residual, y, B, table,
                                             stream);
}

template <typename T>
std::string launch_gemv_nf4(const void* x, const void* norm_w, float eps, const Nf4Matrix& w,
                            int64_t N, int64_t K, const void* residual, void* y, int64_t B,
                            Epilogue ep, const Nf4Table& table, cudaStream_t stream) {
    constexpr int kPlain = static_cast<int>(Epilogue::Plain);
    constexpr int kRes = static_cast<int>(Epilogue::Residual);
    constexpr int kSwi = static_cast<int>(Epilogue::SwiGLU);
    switch (ep) {
        case Epilogue::Plain:
            if (!norm_w) return "unsupported: NF4 plain GEMV without the RMSNorm prologue";
            return launch_gemv_nf4_b<T, kPlain, true>(x, norm_w, eps, w, N, K, residual, y, B,
                                                      table, stream);
        case Epilogue::Residual:
            if (norm_w) return "unsupported: RMSNorm prologue with a residual epilogue";
            return launch_gemv_nf4_b<T, kRes, false>(x, norm_w, eps, w, N, K, residual, y, B, table,
                                                     stream);
        case Epilogue::SwiGLU:
            if (!norm_w) return "unsupported: SwiGLU epilogue without the RMSNorm prologue";
            return launch_gemv_nf4_b<T, kSwi, true>(x, norm_w, eps, w, N, K, residual, y, B, table,
                                                    stream);
    }
    return "unsupported: epilogue";
}

template <typename T, int MAXB, int EP, bool NORM, class Tile>
std::string launch_gemv_tile(const void* x, const void* norm_w, float eps, const void* W, int64_t N,
                             int64_t K, const void* residual, void* y, int64_t B,
                             cudaStream_t stream) {
    auto kernel = gemv_kernel<T, MAXB, EP, NORM, Tile>;
    const size_t smem = NORM ? static_cast<size_t>(B * K) * sizeof(T) : 0;
    if (smem > 48 * 1024) {
        // Once per instantiation: allow more than the default 48 KB of dynamic shared memory.
        static cudaError_t raised =
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024);
        if (raised != cudaSuccess) return cudaGetErrorString(raised);
        if (smem > 200 * 1024) return "unsupported: RMSNorm rows too large for shared memory";
    }
    const int64_t n_out = EP == static_cast<int>(Epilogue::SwiGLU) ? N / 2 : N;
    const unsigned grid = static_cast<unsigned>((n_out + Tile::rows - 1) / Tile::rows);
    const cudaError_t e =
        launch(kernel, dim3(grid), dim3(Tile::threads), smem, stream, static_cast<const T*>(x),
               static_cast<const T*>(norm_w), eps, static_cast<const T*>(W), static_cast<int>(N),
               static_cast<int>(K), static_cast<const T*>(residual), static_cast<T*>(y),
               static_cast<int>(B));
    return e == cudaSuccess ? std::string() : std::string(cudaGetErrorString(e));
}

// The tilings gemv() chooses from (see GemvTile), by shape. Measured on the H200 with
// decode_kernels_bench.cu, TinyLlama shape, bf16, 22 layers (microseconds a launch, batch 1 /
// batch 4; a plain streaming read of the same bytes takes 4.1, 3.5, 12.3, 7.0 and 31.9):
//                        8 rows, 8 loads   two warps a row, 4 loads each (8 rows... 4 rows)
//   qkv   2560 x 2048        4.55 / 8.95        4.65 / 10.63
//   o     2048 x 2048        3.92 / 7.91        3.38 / 6.07
//   gate/up 11264 x 2048    13.08 / 21.91      13.39 / 23.79
//   down  2048 x 5632        9.29 / 19.67       7.93 / 13.40
//   head 32000 x 2048       32.01 / 57.61      36.84 / 86.67
// Pipelining rounds (issuing the next round's loads before this round's products) lost
// everywhere but by noise, and smaller blocks lost too. So: one warp a row while there are
// rows enough to fill the machine several times over; below that (the hidden-size outputs,
// 2048 rows = 2048 warps for 132 multiprocessors) two warps share a row, which doubles the
// loads in flight and halves the rows a block waits for.
using TileWide = GemvTile<8, 1, 8, false>;   // 8 rows a block, a warp a row
using TileSplit = GemvTile<8, 2, 4, false>;  // 4 rows a block, two warps a row

template <typename T, int MAXB, int EP, bool NORM>
std::string launch_gemv_t(const void* x, const void* norm_w, float eps, const void* W, int64_t N,
                          int64_t K, const void* residual, void* y, int64_t B,
                          cudaStream_t stream) {
    const int64_t n_out = EP == static_cast<int>(Epilogue::SwiGLU) ? N / 2 : N;
    if (n_out <= 2048)
        return launch_gemv_tile<T, MAXB, EP, NORM, TileSplit>(x, norm_w, eps, W, N, K, residual, y,
                                                              B, stream);
    return launch_gemv_tile<T, MAXB, EP, NORM, TileWide>(x, norm_w, eps, W, N, K, residual, y, B,
                                                         stream);
}

template <typename T, int EP, bool NORM>
std::string launch_gemv_b(const void* x, const void* norm_w, float eps, const void* W, int64_t N,
                          int64_t K, const void* residual, void* y, int64_t B,
                          cudaStream_t stream) {
    if (B <= 1)
        return launch_gemv_t<T, 1, EP, NORM>(x, norm_w, eps, W, N, K, residual, y, B, stream);
    if (B <= 2)
        return launch_gemv_t<T, 2, EP, NORM>(x, norm_w, eps, W, N, K, residual, y, B, stream);
    if (B <= 4)
        return launch_gemv_t<T, 4, EP, NORM>(x, norm_w, eps, W, N, K, residual, y, B, stream);
    return launch_gemv_t<T, 8, EP, NORM>(x, norm_w, eps, W, N, K, residual, y, B, stream);
}

template <typename T>
std::string launch_gemv(const void* x, const void* norm_w, float eps, const void* W, int64_t N,
                        int64_t K, const void* residual, void* y, int64_t B, Epilogue ep,
                        cudaStream_t stream) {
    constexpr int kPlain = static_cast<int>(Epilogue::Plain);
    constexpr int kRes = static_cast<int>(Epilogue::Residual);
    constexpr int kSwi = static_cast<int>(Epilogue::SwiGLU);
    // The combinations a Llama layer uses: norm+plain (qkv, lm_head), residual without norm
    // (o, down), norm+swiglu (gate/up); plain without norm for completeness.
    switch (ep) {
        case Epilogue::Plain:
            return norm_w ? launch_gemv_b<T, kPlain, true>(x, norm_w, eps, W, N, K, residual, y, B,
                                                           stream)
                          : launch_gemv_b<T, kPlain, false>(x, norm_w, eps, W, N, K, residual, y, B,
                                                            stream);
        case Epilogue::Residual:
            if (norm_w) return "unsupported: RMSNorm prologue with a residual epilogue";
            return launch_gemv_b<T, kRes, false>(x, norm_w, eps, W, N, K, residual, y, B, stream);
        case Epilogue::SwiGLU:
            if (!norm_w) return "unsupported: SwiGLU epilogue without the RMSNorm prologue";
            return launch_gemv_b<T, kSwi, true>(x, norm_w, eps, W, N, K, residual, y, B, stream);
    }
    return "unsupported: epilogue";
}

template <int NW>
__device__ __forceinline__ float block_reduce(float v, float* buf, bool is_max) {
    v = is_max ? warp_max(v) : warp_sum(v);
    const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
    __syncthreads();  // buf may still be read from the previous reduction
    if (lane == 0) buf[warp] = v;
    __syncthreads();
    float r = buf[0];
#pragma unroll
    for (int w = 1; w < NW; ++w) r = is_max ? fmaxf(r, buf[w]) : r + buf[w];
    return r;
}

template <typename T, int HD>
__global__ void __launch_bounds__(kAttnThreads)
    rope_attention_kernel(const T* __restrict__ qkv, const T* __restrict__ cos,
                          const T* __restrict__ sin, const int64_t* __restrict__ pos,
                          const int64_t* __restrict__ slot_p, T* __restrict__ kc,
                          T* __restrict__ vc, const T* __restrict__ bias, T* __restrict__ out,
                          int nh, int nkv, int cap, float scale) {
    extern __shared__ float scores[];  // [slot + 1]
    __shared__ float qf[HD], kf[HD], vf[HD];
    __shared__ float part[kAttnWarps][HD];
    __shared__ float rbuf[kAttnWarps];
    constexpr int half = HD / 2;
    constexpr int VEC = Pack<T>::n;
    constexpr int DPL = HD >= 32 ? HD / 32 : 1;  // dimensions per lane in the P*V pass
    constexpr int kLanes = HD / DPL;             // lanes that own dimensions
    const int h = static_cast<int>(blockIdx.x), b = static_cast<int>(blockIdx.y);
    const int t = static_cast<int>(threadIdx.x);
    const int warp = t / 32, lane = t % 32;
    const int rep = nh / nkv, g = h / rep;
    pdl_trigger();
    pdl_wait();  // qkv is the previous kernel's output
    const int64_t p = pos[b];
    const int slot = static_cast<int>(*slot_p);

    // RoPE as HF's apply_rotary_pos_emb computes it in the activation dtype:
    // round(round(x*cos) + round(rotate_half(x)*sin)).
    const T* row = qkv + static_cast<size_t>(b) * (nh + 2 * nkv) * HD;
    const T* qh = row + static_cast<size_t>(h) * HD;
    const T* kh = row + static_cast<size_t>(nh + g) * HD;
    const T* vh = row + static_cast<size_t>(nh + nkv + g) * HD;
    const T* cr = cos + p * HD;
    const T* sr = sin + p * HD;
    for (int d = t; d < HD; d += kAttnThreads) {
        const float c = to_float(cr[d]), s = to_float(sr[d]);
        const float q = to_float(qh[d]);
        const float qr = d < half ? -to_float(qh[d + half]) : to_float(qh[d - half]);
        qf[d] = round_to<T>(round_to<T>(q * c) + round_to<T>(qr * s));
        const float k = to_float(kh[d]);
        const float kr = d < half ? -to_float(kh[d + half]) : to_float(kh[d - half]);
        kf[d] = round_to<T>(round_to<T>(k * c) + round_to<T>(kr * s));
        vf[d] = to_float(vh[d]);
    }
    __syncthreads();
    const size_t base = (static_cast<size_t>(b) * nkv + g) * static_cast<size_t>(cap) * HD;
    if (h % rep == 0) {
        for (int d = t; d < HD; d += kAttnThreads) {
            kc[base + static_cast<size_t>(slot) * HD + d] = from_float<T>(kf[d]);
            vc[base + static_cast<size_t>(slot) * HD + d] = vh[d];
        }
    }

    // Pass 1: scores of keys 0..slot (the new key from shared memory, the others from the
    // cache, written by earlier steps).
    const int L = slot + 1;
    float mx = -INFINITY;
    for (int j = t; j < L; j += kAttnThreads) {
        float dot = 0.f;
        if (j == slot) {
#pragma unroll 8
            for (int d = 0; d < HD; ++d) dot = fmaf(qf[d], kf[d], dot);
        } else {
            const T* kr = kc + base + static_cast<size_t>(j) * HD;
#pragma unroll
            for (int d0 = 0; d0 < HD; d0 += VEC) {
                float f[VEC];
                Pack<T>::unpack(load_vec(kr + d0), f);
#pragma unroll
                for (int i = 0; i < VEC; ++i) dot = fmaf(qf[d0 + i], f[i], dot);
            }
        }
        float s = dot * scale;
        if (bias) s += to_float(bias[static_cast<size_t>(b) * cap + j]);
        scores[j] = s;
        mx = fmaxf(mx, s);
    }
    mx = block_reduce<kAttnWarps>(mx, rbuf, true);
    float sum = 0.f;
    for (int j = t; j < L; j += kAttnThreads) {
        const float e = expf(scores[j] - mx);
        scores[j] = e;
        sum += e;
    }
    sum = block_reduce<kAttnWarps>(sum, rbuf, false);  // its barriers publish scores[]

    // Pass 2: P*V, a warp per key, DPL consecutive dimensions per lane.
    float o[DPL];
#pragma unroll
    for (int i = 0; i < DPL; ++i) o[i] = 0.f;
    // Eight value rows in flight per warp before their products are summed: the loop is
    // bound by memory latency, not arithmetic.
    constexpr int kRows = 8;
    for (int j0 = warp; j0 < L && lane < kLanes; j0 += kAttnWarps * kRows) {
        float vv[kRows][DPL], pp[kRows];
#pragma unroll
        for (int u = 0; u < kRows; ++u) {
            const int j = j0 + u * kAttnWarps;
            pp[u] = 0.f;
#pragma unroll
            for (int i = 0; i < DPL; ++i) vv[u][i] = 0.f;
            if (j < L) {
                pp[u] = scores[j];
                if (j == slot) {
#pragma unroll
                    for (int i = 0; i < DPL; ++i) vv[u][i] = vf[lane * DPL + i];
                } else {
                    const T* vr = vc + base + static_cast<size_t>(j) * HD + lane * DPL;
#pragma unroll
                    for (int i = 0; i < DPL; ++i) vv[u][i] = to_float(vr[i]);
                }
            }
        }
#pragma unroll
        for (int u = 0; u < kRows; ++u)
#pragma unroll
            for (int i = 0; i < DPL; ++i) o[i] = fmaf(pp[u], vv[u][i], o[i]);
    }
    if (lane < kLanes) {
#pragma unroll
        for (int i = 0; i < DPL; ++i) part[warp][lane * DPL + i] = o[i];
    }
    __syncthreads();
    const float inv = 1.f / sum;
    for (int d = t; d < HD; d += kAttnThreads) {
        float a = 0.f;
#pragma unroll
        for (int w = 0; w < kAttnWarps; ++w) a += part[w][d];
        out[(static_cast<size_t>(b) * nh + h) * HD + d] = from_float<T>(a * inv);
    }
}

template <typename T, int HD>
std::string launch_attention_t(const void* qkv, const void* cos, const void* sin,
                               const int64_t* pos, const int64_t* slot, void* kc, void* vc,
                               const void* bias, void* out, int64_t B, int64_t nh, int64_t nkv,
                               int64_t cap, float scale, cudaStream_t stream) {
    auto kernel = rope_attention_kernel<T, HD>;
    const size_t smem = static_cast<size_t>(cap) * sizeof(float);
    if (smem > 40 * 1024) {
        static cudaError_t raised =
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 160 * 1024);
        if (raised != cudaSuccess) return cudaGetErrorString(raised);
    }
    const dim3 grid(static_cast<unsigned>(nh), static_cast<unsigned>(B));
    const cudaError_t e = launch(
        kernel, grid, dim3(kAttnThreads), smem, stream, static_cast<const T*>(qkv),
        static_cast<const T*>(cos), static_cast<const T*>(sin), pos, slot, static_cast<T*>(kc),
        static_cast<T*>(vc), static_cast<const T*>(bias), static_cast<T*>(out),
        static_cast<int>(nh), static_cast<int>(nkv), static_cast<int>(cap), scale);
    return e == cudaSuccess ? std::string() : std::string(cudaGetErrorString(e));
}

template <typename T>
std::string launch_attention(const void* qkv, const void* cos, const void* sin, const int64_t* pos,
                             const int64_t* slot, void* kc, void* vc, const void* bias, void* out,
                             int64_t B, int64_t nh, int64_t nkv, int64_t hd, int64_t cap,
                             float scale, cudaStream_t stream) {
    // Small head dims are the test fixtures' (HF reference models); 64 and 128 are Llama's.
    if (hd * static_cast<int64_t>(sizeof(T)) % 16 != 0)
        return "unsupported: head_dim " + std::to_string(hd) + " rows not 16-byte multiples";
    if (hd == 8)
        return launch_attention_t<T, 8>(qkv, cos, sin, pos, slot, kc, vc, bias, out, B, nh, nkv,
                                        cap, scale, stream);
    if (hd == 16)
        return launch_attention_t<T, 16>(qkv, cos, sin, pos, slot, kc, vc, bias, out, B, nh, nkv,
                                         cap, scale, stream);
    if (hd == 32)
        return launch_attention_t<T, 32>(qkv, cos, sin, pos, slot, kc, vc, bias, out, B, nh, nkv,
                                         cap, scale, stream);
    if (hd == 64)
        return launch_attention_t<T, 64>(qkv, cos, sin, pos, slot, kc, vc, bias, out, B, nh, nkv,
                                         cap, scale, stream);
    if (hd == 128)
        return launch_attention_t<T, 128>(qkv, cos, sin, pos, slot, kc, vc, bias, out, B, nh, nkv,
                                          cap, scale, stream);
    return "unsupported: head_dim " + std::to_string(hd) + " (8, 16, 32, 64 or 128)";
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace

std::string gemv(const void* x, const void* norm_w, float eps, const void* W, int64_t N, int64_t K,
                 const void* residual, void* y, int64_t B, Epilogue epilogue, DType t,
                 void* stream) {
    if (B < 1 || B > kMaxGemvBatch) return "unsupported: batch " + std::to_string(B);
    if (K % 8 != 0 || !aligned16(x) || !aligned16(W))
        return "unsupported: K not a multiple of 8 or unaligned operands";
    if (epilogue == Epilogue::SwiGLU && N % 2 != 0) return "unsupported: odd gate/up rows";
    if (N > (int64_t{1} << 30) || K > (int64_t{1} << 30)) return "unsupported: too large";
    auto s = static_cast<cudaStream_t>(stream);
    switch (t) {
        case DType::F32:
            return launch_gemv<float>(x, norm_w, eps, W, N, K, residual, y, B, epilogue, s);
        case DType::BF16:
            return launch_gemv<__nv_bfloat16>(x, norm_w, eps, W, N, K, residual, y, B, epilogue, s);
        case DType::F16:
            return launch_gemv<__half>(x, norm_w, eps, W, N, K, residual, y, B, epilogue, s);
    }
    return "unsupported: dtype";
}

std::string gemv_nf4(const void* x, const void* norm_w, float eps, const Nf4Matrix& w, int64_t K,
                     const void* residual, void* y, int64_t B, Epilogue epilogue,
                     const Nf4Table& table, DType t, void* stream) {
    if (B < 1 || B > kMaxGemvBatch) return "unsupported: batch " + std::to_string(B);
    if (w.n < 1 || w.n > 3) return "unsupported: 1 to 3 stacked matrices";
    if (K % 64 != 0 || !aligned16(x)) return "unsupported: K not a multiple of 64 or unaligned x";
    int64_t N = 0;
    for (int s = 0; s < w.n; ++s) {
        if (!aligned16(w.codes[s])) return "unsupported: unaligned codes";
        N += w.rows[s];
    }
    if (epilogue == Epilogue::SwiGLU && (w.n != 2 || w.rows[0] != w.rows[1]))
        return "unsupported: SwiGLU needs the gate and up matrices";
    auto st = static_cast<cudaStream_t>(stream);
    switch (t) {
        case DType::F32:
            return launch_gemv_nf4<float>(x, norm_w, eps, w, N, K, residual, y, B, epilogue, table,
                                          st);
        case DType::BF16:
            return launch_gemv_nf4<__nv_bfloat16>(x, norm_w, eps, w, N, K, residual, y, B, epilogue,
                                                  table, st);
        case DType::F16:
            return launch_gemv_nf4<__half>(x, norm_w, eps, w, N, K, residual, y, B, epilogue, table,
                                           st);
    }
    return "unsupported: dtype";
}

std::string rope_attention_decode(const void* qkv, const void* cos, const void* sin,
                                  const int64_t* pos, const int64_t* slot, void* kcache,
                                  void* vcache, const void* bias, void* out, int64_t B, int64_t nh,
                                  int64_t nkv, int64_t hd, int64_t cap, float scale, DType t,
                                  void* stream) {
    if (nkv < 1 || nh % nkv != 0) return "unsupported: heads";
    if (cap > 32768) return "unsupported: cache capacity " + std::to_string(cap);
    if (!aligned16(kcache) || !aligned16(vcache)) return "unsupported: unaligned cache";
    auto s = static_cast<cudaStream_t>(stream);
    switch (t) {
        case DType::F32:
            return launch_attention<float>(qkv, cos, sin, pos, slot, kcache, vcache, bias, out, B,
                                           nh, nkv, hd, cap, scale, s);
        case DType::BF16:
            return launch_attention<__nv_bfloat16>(qkv, cos, sin, pos, slot, kcache, vcache, bias,
                                                   out, B, nh, nkv, hd, cap, scale, s);
        case DType::F16:
            return launch_attention<__half>(qkv, cos, sin, pos, slot, kcache, vcache, bias, out, B,
                                            nh, nkv, hd, cap, scale, s);
    }
    return "unsupported: dtype";
}

}  // namespace tb::decodecuda
