// Q8_0 x Q8_0 CPU kernels (q8_0_cpu.h). The AVX2 functions carry target attributes instead
// of the whole file being built with -mavx2, so that the binary still runs on CPUs without
// AVX2 (they are only called after __builtin_cpu_supports said yes). No "fma" in the targets
// and -ffp-contract=off on this file (core/quant/CMakeLists.txt): a fused multiply-add would
// round differently from the scalar kernel.
#include "core/quant/q8_0_cpu.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#define TB_Q8_X86 1
#include <immintrin.h>
#endif

namespace tb::q8cpu {

namespace {

constexpr int64_t kBlock = 32;
constexpr int kLanes = 8;

// The fixed final order of the eight lanes (an AVX2 horizontal sum's).
float combine(const float* l) {
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

int32_t block_sum_scalar(const int8_t* a, const int8_t* b) {
    int32_t s = 0;
    for (int64_t j = 0; j < kBlock; ++j)
        s += static_cast<int32_t>(a[j]) * static_cast<int32_t>(b[j]);
    return s;
}

float vec_dot_scalar(const int8_t* wq, const c10::Half* wd, const int8_t* aq, const float* ad,
                     int64_t nb) {
    float lane[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = 0; i < nb; ++i) {
        const int32_t s = block_sum_scalar(wq + i * kBlock, aq + i * kBlock);
        const float dd = static_cast<float>(wd[i]) * ad[i];
        lane[i % kLanes] += static_cast<float>(s) * dd;
    }
    return combine(lane);
}

#if defined(TB_Q8_X86)
#define TB_AVX2 __attribute__((target("avx2,f16c")))

// Eight int32 partial sums of one block (each lane four products): |a| as unsigned bytes
// times b with a's sign moved onto it, pairs summed to int16 (at most 2 * 127 * 127, no
// saturation: codes are in [-127, 127]), then pairs to int32.
TB_AVX2 inline __m256i block_partials(const int8_t* a, const int8_t* b) {
    const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
    const __m256i vb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(va, va), _mm256_sign_epi8(vb, va));
    return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// Eight blocks' partial-sum vectors (block j's eight int32 in p[j]) to their exact sums,
// block j in lane j.
TB_AVX2 inline __m256i reduce_eight(const __m256i* p) {
    // hadd works within 128-bit halves: after two rounds the low half holds the low-lane sums
    // of blocks 0..3 (resp. 4..7), the high half the high-lane sums.
    const __m256i h01 = _mm256_hadd_epi32(p[0], p[1]), h23 = _mm256_hadd_epi32(p[2], p[3]);
    const __m256i h45 = _mm256_hadd_epi32(p[4], p[5]), h67 = _mm256_hadd_epi32(p[6], p[7]);
    const __m256i q0 = _mm256_hadd_epi32(h01, h23), q1 = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20),
                            _mm256_permute2x128_si256(q0, q1, 0x31));
}

// The exact sums of eight consecutive blocks, block j in lane j.
TB_AVX2 inline __m256i eight_block_sums(const int8_t* a, const int8_t* b) {
    __m256i p[8];
    for (int j = 0; j < 8; ++j) p[j] = block_partials(a + j * kBlock, b + j * kBlock);
    return reduce_eight(p);
}

// block_partials of weight codes w and activation codes a with |a| already at hand (aa, from
// the matmul's per-call buffer): the same eight int32, one sign instruction fewer.
TB_AVX2 inline __m256i block_partials_abs(const int8_t* w, const int8_t* a, const uint8_t* aa) {
    const __m256i vw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
    const __m256i vaa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(aa));
    const __m256i p16 = _mm256_maddubs_epi16(vaa, _mm256_sign_epi8(vw, va));
    return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

TB_AVX2 inline __m256i eight_block_sums_abs(const int8_t* w, const int8_t* a, const uint8_t* aa) {
    __m256i p[8];
    for (int j = 0; j < 8; ++j)
        p[j] = block_partials_abs(w + j * kBlock, a + j * kBlock, aa + j * kBlock);
    return reduce_eight(p);
}

// The same with AVX-512 VNNI on 256-bit registers (AVX512VL): vpdpbusd multiplies the unsigned
// |a| by the signed codes and adds each four products into an int32 lane in one instruction
// (no int16 stage; the int32 lanes are the same exact numbers as maddubs + madd give).
#define TB_VNNI __attribute__((target("avx2,f16c,avx512f,avx512vl,avx512vnni")))

TB_VNNI inline __m256i eight_block_sums_vnni(const int8_t* w, const int8_t* a, const uint8_t* aa) {
    __m256i p[8];
    for (int j = 0; j < 8; ++j) {
        const __m256i vw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + j * kBlock));
        const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + j * kBlock));
        const __m256i vaa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(aa + j * kBlock));
        p[j] = _mm256_dpbusd_epi32(_mm256_setzero_si256(), vaa, _mm256_sign_epi8(vw, va));
    }
    return reduce_eight(p);
}

TB_AVX2 int32_t block_sum_avx2(const int8_t* a, const int8_t* b) {
    const __m256i p = block_partials(a, b);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    s = _mm_hadd_epi32(s, s);
    s = _mm_hadd_epi32(s, s);
    return _mm_cvtsi128_si32(s);
}

TB_AVX2 void block_sums_avx2(const int8_t* a, const int8_t* b, int64_t nb, int32_t* out) {
    int64_t i = 0;
    for (; i + 8 <= nb; i += 8)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                            eight_block_sums(a + i * kBlock, b + i * kBlock));
    for (; i < nb; ++i) out[i] = block_sum_avx2(a + i * kBlock, b + i * kBlock);
}

TB_AVX2 float vec_dot_avx2(const int8_t* wq, const c10::Half* wd, const int8_t* aq, const float* ad,
                           int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= nb; i += 8) {
        const __m256i s = eight_block_sums(wq + i * kBlock, aq + i * kBlock);
        const __m256 dw =
            _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wd + i)));
        const __m256 dd = _mm256_mul_ps(dw, _mm256_loadu_ps(ad + i));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(s), dd));
    }
    float lane[kLanes];
    _mm256_storeu_ps(lane, acc);
    for (; i < nb; ++i) {  // i % 8 == i - (start of this tail)
        const int32_t s = block_sum_avx2(wq + i * kBlock, aq + i * kBlock);
        const float dd = static_cast<float>(wd[i]) * ad[i];
        lane[i % kLanes] += static_cast<float>(s) * dd;
    }
    return combine(lane);
}
#endif

// ---- Register tiles: R activation rows x C weight rows per pass over the blocks ----------
// Each output keeps vec_dot's arithmetic exactly (the same exact int32 block sums, the same
// eight float lanes in the same order), so a tile's outputs equal vec_dot's bit for bit; the
// tile only shares loads: a weight block's codes and scales are read once for R rows, an
// activation block's for C weight rows.

constexpr int kTileRows = 4;
constexpr int kTileCols = 2;

struct TileArgs {
    const int8_t* wq;     // [n, k] weight codes
    const c10::Half* wd;  // [n, nb] weight scales
    const int8_t* aq;     // [m, k] activation codes
    const uint8_t* aa;    // [m, k] their absolute values (SIMD kernels)
    const float* ad;      // [m, nb] activation scales (widened)
    float* y;             // [m, n]
    int64_t nb, k, n;
};

// Outputs y[r0 + i, o0 + j] for i < R, j < C.
using TileFn = void (*)(const TileArgs&, int64_t r0, int64_t o0);

template <int R, int C>
void tile_scalar(const TileArgs& t, int64_t r0, int64_t o0) {
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < C; ++j)
            t.y[(r0 + i) * t.n + o0 + j] =
                vec_dot_scalar(t.wq + (o0 + j) * t.k, t.wd + (o0 + j) * t.nb, t.aq + (r0 + i) * t.k,
                               t.ad + (r0 + i) * t.nb, t.nb);
}

#if defined(TB_Q8_X86)
// Decode (one activation row) streams every weight byte once from memory: the hardware
// prefetcher alone left a single thread at ~10 GB/s here; asking kPrefetchBytes ahead in the
// order the tiles read (past a row's end, the same column of the next tile, C rows on) made it
// ~13-15 GB/s on this project's CPU. Prefetches never fault, so addresses past the matrix are
// harmless. Four 64-byte lines = the eight blocks one pass of the loop reads per weight row.
constexpr int64_t kPrefetchBytes = 2048;

TB_AVX2 inline void prefetch_ahead(const int8_t* wrow, int64_t block, int64_t k, int cols) {
    int64_t pos = block * kBlock + kPrefetchBytes;
    if (pos >= k) pos += (cols - 1) * k;  // into this column's row of the next tile
    const char* p = reinterpret_cast<const char*>(wrow + pos);
    _mm_prefetch(p, _MM_HINT_T0);
    _mm_prefetch(p + 64, _MM_HINT_T0);
    _mm_prefetch(p + 128, _MM_HINT_T0);
    _mm_prefetch(p + 192, _MM_HINT_T0);
}

// One tile function per instruction set (the target attribute must be on the function that
// the intrinsics inline into); SUMS gives eight blocks' exact sums.
#define TB_Q8_DEFINE_TILE(NAME, ATTR, SUMS)                                                      \
    template <int R, int C>                                                                      \
    ATTR void NAME(const TileArgs& t, int64_t r0, int64_t o0) {                                  \
        const int8_t* w[C];                                                                      \
        const c10::Half* wd[C];                                                                  \
        const int8_t* a[R];                                                                      \
        const uint8_t* aa[R];                                                                    \
        const float* ad[R];                                                                      \
        _Pragma("GCC unroll 4") for (int j = 0; j < C; ++j) w[j] = t.wq + (o0 + j) * t.k,        \
                                                            wd[j] = t.wd + (o0 + j) * t.nb;      \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; ++i) a[i] = t.aq + (r0 + i) * t.k,        \
                                                            aa[i] = t.aa + (r0 + i) * t.k,       \
                                                            ad[i] = t.ad + (r0 + i) * t.nb;      \
        __m256 acc[R][C];                                                                        \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; ++i)                                      \
            _Pragma("GCC unroll 4") for (int j = 0; j < C; ++j) acc[i][j] = _mm256_setzero_ps(); \
        const int64_t nb = t.nb;                                                                 \
        int64_t b = 0;                                                                           \
        for (; b + 8 <= nb; b += 8) {                                                            \
            _Pragma("GCC unroll 4") for (int j = 0; j < C; ++j) prefetch_ahead(w[j], b, t.k, C); \
            __m256 dw[C];                                                                        \
            _Pragma("GCC unroll 4") for (int j = 0; j < C; ++j) dw[j] =                          \
                _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wd[j] + b)));   \
            _Pragma("GCC unroll 4") for (int i = 0; i < R; ++i) {                                \
                const __m256 da = _mm256_loadu_ps(ad[i] + b);                                    \
                _Pragma("GCC unroll 4") for (int j = 0; j < C; ++j) {                            \
                    const __m256i s =                                                            \
                        SUMS(w[j] + b * kBlock, a[i] + b * kBlock, aa[i] + b * kBlock);          \
                    const __m256 dd = _mm256_mul_ps(dw[j], da);                                  \
                    acc[i][j] =                                                                  \
                        _mm256_add_ps(acc[i][j], _mm256_mul_ps(_mm256_cvtepi32_ps(s), dd));      \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; ++i)                                      \
            _Pragma("GCC unroll 4") for (int j = 0; j < C; ++j) {                                \
            float lane[kLanes];                                                                  \
            _mm256_storeu_ps(lane, acc[i][j]);                                                   \
            for (int64_t q = b; q < nb; ++q) { /* the tail as in vec_dot_avx2 */                 \
                const int32_t s = block_sum_avx2(w[j] + q * kBlock, a[i] + q * kBlock);          \
                const float dd = static_cast<float>(wd[j][q]) * ad[i][q];                        \
                lane[q % kLanes] += static_cast<float>(s) * dd;                                  \
            }                                                                                    \
            t.y[(r0 + i) * t.n + o0 + j] = combine(lane);                                        \
        }                                                                                        \
    }

TB_Q8_DEFINE_TILE(tile_avx2, TB_AVX2, eight_block_sums_abs)
TB_Q8_DEFINE_TILE(tile_vnni, TB_VNNI, eight_block_sums_vnni)
#endif

template <int R, int C>
void set_tile(Kernel k, TileFn (&tiles)[kTileRows + 1][kTileCols + 1]) {
    tiles[R][C] = tile_scalar<R, C>;
#if defined(TB_Q8_X86)
    if (k == Kernel::Avx2) tiles[R][C] = tile_avx2<R, C>;
    if (k == Kernel::Avx512Vnni) tiles[R][C] = tile_vnni<R, C>;
#endif
    (void)k;
}

void fill_tiles(Kernel k, TileFn (&tiles)[kTileRows + 1][kTileCols + 1]) {
    set_tile<1, 1>(k, tiles), set_tile<1, 2>(k, tiles);
    set_tile<2, 1>(k, tiles), set_tile<2, 2>(k, tiles);
    set_tile<3, 1>(k, tiles), set_tile<3, 2>(k, tiles);
    set_tile<4, 1>(k, tiles), set_tile<4, 2>(k, tiles);
}

bool cpu_has_avx2() {
#if defined(TB_Q8_X86)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
#else
    return false;
#endif
}

bool cpu_has_vnni() {
#if defined(TB_Q8_X86)
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

// roundf (halves away from zero) for |v| <= 127.5 without the libm call (which x86-64's
// baseline cannot inline: it was ~40% of quantize_row's time) and without branches (random
// signs and fractions mispredicted half of them): the truncation t is exact and so is v - t
// (|v| < 2^23), so the comparisons with one half decide exactly as roundf does.
inline int round_away(float v) {
    const int t = static_cast<int>(v);
    const float f = v - static_cast<float>(t);
    return t + static_cast<int>(f >= 0.5f) - static_cast<int>(f <= -0.5f);
}

}  // namespace

void quantize_row(const float* x, int64_t n, int8_t* qs, c10::Half* d) {
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const float* xb = x + b * kBlock;
        float amax = 0.0f;
        for (int64_t j = 0; j < kBlock; ++j) amax = std::max(amax, std::fabs(xb[j]));
        const float dv = amax / 127.0f;
        const float id = dv != 0.0f ? 1.0f / dv : 0.0f;
        d[b] = c10::Half(dv);  // round to nearest even, as GGML_FP32_TO_FP16
        for (int64_t j = 0; j < kBlock; ++j)
            qs[b * kBlock + j] = static_cast<int8_t>(round_away(xb[j] * id));
    }
}

bool kernel_supported(Kernel k) {
    switch (k) {
        case Kernel::Scalar:
            return true;
        case Kernel::Avx2:
            return cpu_has_avx2();
        case Kernel::Avx512Vnni:
            return cpu_has_vnni();
    }
    return false;
}

Kernel best_kernel() {
    static const Kernel k = [] {
        const char* env = std::getenv("TB_Q8_KERNEL");
        if (env && std::strcmp(env, "scalar") == 0) return Kernel::Scalar;
        if (cpu_has_vnni() && !(env && std::strcmp(env, "avx2") == 0)) return Kernel::Avx512Vnni;
        return cpu_has_avx2() ? Kernel::Avx2 : Kernel::Scalar;
    }();
    return k;
}

const char* kernel_name(Kernel k) {
    switch (k) {
        case Kernel::Scalar:
            return "scalar";
        case Kernel::Avx2:
            return "avx2";
        case Kernel::Avx512Vnni:
            return "avx512vnni";
    }
    return "?";
}

void block_sums(Kernel k, const int8_t* a, const int8_t* b, int64_t nb, int32_t* out) {
#if defined(TB_Q8_X86)
    if (k != Kernel::Scalar) {  // (the VNNI kernel's one-row functions are the AVX2 ones)
        TORCH_CHECK(kernel_supported(k), "q8cpu: ", kernel_name(k), " is not supported here");
        return block_sums_avx2(a, b, nb, out);
    }
#endif
    (void)k;
    for (int64_t i = 0; i < nb; ++i) out[i] = block_sum_scalar(a + i * kBlock, b + i * kBlock);
}

float vec_dot(Kernel k, const int8_t* wq, const c10::Half* wd, const int8_t* aq, const float* ad,
              int64_t nb) {
#if defined(TB_Q8_X86)
    if (k != Kernel::Scalar) {
        TORCH_CHECK(kernel_supported(k), "q8cpu: ", kernel_name(k), " is not supported here");
        return vec_dot_avx2(wq, wd, aq, ad, nb);
    }
#endif
    (void)k;
    return vec_dot_scalar(wq, wd, aq, ad, nb);
}

void quantize_rows(const float* x, int64_t m, int64_t k, int8_t* aq, float* ad) {
    TORCH_CHECK(k % kBlock == 0, "q8cpu::quantize_rows: k = ", k, " is not a multiple of 32");
    const int64_t nb = k / kBlock;
    // Rows in parallel once there are enough values to outweigh waking a thread.
    at::parallel_for(0, m, std::max<int64_t>(1, (64 * 1024) / k), [&](int64_t r0, int64_t r1) {
        std::vector<c10::Half> dh(static_cast<size_t>(nb));
        for (int64_t r = r0; r < r1; ++r) {
            quantize_row(x + r * k, k, aq + r * k, dh.data());
            for (int64_t i = 0; i < nb; ++i) ad[r * nb + i] = static_cast<float>(dh[i]);
        }
    });
}

void matmul_q8(Kernel kern, const int8_t* aq, const float* ad, int64_t m, int64_t k,
               const int8_t* wq, const c10::Half* wd, int64_t n, float* y) {
    TORCH_CHECK(k % kBlock == 0, "q8cpu::matmul: k = ", k, " is not a multiple of 32");
    TORCH_CHECK(kernel_supported(kern), "q8cpu: ", kernel_name(kern), " is not supported here");
    if (m <= 0 || n <= 0) return;
    const int64_t nb = k / kBlock;
    // |a| once per call, so that the tiles' inner loop signs only the weight codes.
    std::vector<uint8_t> aa;
    if (kern != Kernel::Scalar) {
        aa.resize(static_cast<size_t>(m * k));
        for (size_t i = 0; i < aa.size(); ++i)
            aa[i] = static_cast<uint8_t>(aq[i] < 0 ? -aq[i] : aq[i]);
    }
    const TileArgs t{wq, wd, aq, aa.data(), ad, y, nb, k, n};
    TileFn tiles[kTileRows + 1][kTileCols + 1] = {};
    fill_tiles(kern, tiles);
    // Row chunks whose codes stay in L2 (256 KB) while every column tile of the chunk passes
    // over them; within a chunk each thread takes a range of column pairs, whose weight rows
    // stay in L1 across the chunk's row tiles.
    const int64_t chunk = std::max<int64_t>(kTileRows, ((256 * 1024) / k) / kTileRows * kTileRows);
    // One activation row (decode) reads one weight row at a time: a single sequential stream,
    // which the prefetchers follow best (two interleaved rows measured ~1.6x slower there).
    const int64_t tc = m == 1 ? 1 : kTileCols;
    const int64_t col_tiles = (n + tc - 1) / tc;
    for (int64_t r0 = 0; r0 < m; r0 += chunk) {
        const int64_t r1 = std::min(m, r0 + chunk);
        // Chunks of at least ~32K weight-by-row products per thread, so that a thread's share
        // outweighs waking it (one decode row: ~32K weights, as before).
        const int64_t grain = std::max<int64_t>(1, (32 * 1024) / (k * tc * (r1 - r0)));
        at::parallel_for(0, col_tiles, grain, [&](int64_t c0, int64_t c1) {
            for (int64_t ct = c0; ct < c1; ++ct) {
                const int64_t o = ct * tc;
                const int cols = static_cast<int>(std::min<int64_t>(tc, n - o));
                for (int64_t r = r0; r < r1; r += kTileRows) {
                    const int rows = static_cast<int>(std::min<int64_t>(kTileRows, r1 - r));
                    tiles[rows][cols](t, r, o);
                }
            }
        });
    }
}

void matmul(Kernel kern, const float* x, int64_t m, int64_t k, const int8_t* wq,
            const c10::Half* wd, int64_t n, float* y) {
    TORCH_CHECK(k % kBlock == 0, "q8cpu::matmul: k = ", k, " is not a multiple of 32");
    // The activation rows as Q8_0 (ggml's vec_dot_type of Q8_0 is Q8_0), scales widened once.
    std::vector<int8_t> aq(static_cast<size_t>(m * k));
    std::vector<float> ad(static_cast<size_t>(m * (k / kBlock)));
    quantize_rows(x, m, k, aq.data(), ad.data());
    matmul_q8(kern, aq.data(), ad.data(), m, k, wq, wd, n, y);
}

}  // namespace tb::q8cpu
