// Q4_K / Q6_K packed weights (q4_k.h). Built with -ffp-contract=off (core/quant/CMakeLists.txt):
// the dequantised values must be ggml's bit for bit, and a fused multiply-add in d1 * q - m1
// would round once where ggml rounds twice. The dot products use explicit FMA intrinsics
// (their rounding is part of the fp32 summation error the tests allow for).
#include "core/quant/q4_k.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/gguf/gguf_quants.h"

#if defined(__x86_64__) || defined(__i386__)
#define TB_KQ_X86 1
#include <immintrin.h>
#endif

namespace tb {

namespace {

float fp16_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return static_cast<float>(c10::Half(h, c10::Half::from_bits()));
}

// ggml's get_scale_min_k4.
inline void scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
    }
}

// One super-block split into integer codes and per-group float factors, so that weight i is
//   Q4_K: scale[i / 32] * codes[i] - off[i / 32]       (codes 0..15)
//   Q6_K: scale[i / 16] * codes[i]                     (codes -32..31)
// - the same two (one) float32 operations ggml's dequantiser performs.
struct Unpacked {
    alignas(32) int8_t codes[kKQuantBlock];  // Q4_K codes fit in int8 as well
    float scale[16];
    float off[8];
};

void unpack_q4_k(const uint8_t* b, Unpacked* u) {
    const float d = fp16_at(b + 0), dmin = fp16_at(b + 2);
    const uint8_t* sc = b + 4;
    const uint8_t* qs = b + 16;
    for (int j = 0; j < 8; ++j) {
        uint8_t s, m;
        scale_min_k4(j, sc, &s, &m);
        u->scale[j] = d * s;
        u->off[j] = dmin * m;
    }
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            u->codes[64 * c + l] = static_cast<int8_t>(qs[32 * c + l] & 0xF);
            u->codes[64 * c + 32 + l] = static_cast<int8_t>(qs[32 * c + l] >> 4);
        }
}

void unpack_q6_k(const uint8_t* b, Unpacked* u) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
    const float d = fp16_at(b + 208);
    for (int g = 0; g < 16; ++g) u->scale[g] = d * sc[g];
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32)
        for (int l = 0; l < 32; ++l) {
            int8_t* c = u->codes + 128 * h;
            c[l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
            c[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
            c[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            c[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
}

inline void unpack(KQuantType t, const uint8_t* b, Unpacked* u) {
    if (t == KQuantType::Q4_K)
        unpack_q4_k(b, u);
    else
        unpack_q6_k(b, u);
}

// The dequantised values of an unpacked super-block (ggml's order of operations).
inline void values(KQuantType t, const Unpacked& u, float* y) {
    if (t == KQuantType::Q4_K) {
        for (int i = 0; i < kKQuantBlock; ++i)
            y[i] = u.scale[i / 32] * static_cast<float>(u.codes[i]) - u.off[i / 32];
    } else {
        for (int i = 0; i < kKQuantBlock; ++i)
            y[i] = u.scale[i / 16] * static_cast<float>(u.codes[i]);
    }
}

// Scalar kernel: values of each super-block, then eight-lane float32 dots with each row.
void rows_scalar(KQuantType t, const float* x, int64_t m, int64_t k, const uint8_t* wb, int64_t rb,
                 int64_t n0, int64_t n1, int64_t n, float* y) {
    Unpacked u;
    float w[kKQuantBlock];
    const int64_t nb = k / kKQuantBlock, bb = kquant_block_bytes(t);
    for (int64_t o = n0; o < n1; ++o) {
        float lane[kKQuantDotMaxRows][8] = {};
        for (int64_t b = 0; b < nb; ++b) {
            unpack(t, wb + o * rb + b * bb, &u);
            values(t, u, w);
            for (int64_t r = 0; r < m; ++r) {
                const float* xr = x + r * k + b * kKQuantBlock;
                for (int i = 0; i < kKQuantBlock; ++i) lane[r][i % 8] += w[i] * xr[i];
            }
        }
        for (int64_t r = 0; r < m; ++r) {
            const float* l = lane[r];
            y[r * n + o] = ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
        }
    }
}

#if defined(TB_KQ_X86)
#define TB_KQ_AVX2 __attribute__((target("avx2,fma,f16c")))

TB_KQ_AVX2 inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// M activation rows at once: each group of eight weights is made once (the same mul / sub as
// ggml, so the values are exact) and fed to M fused multiply-adds.
template <int M>
TB_KQ_AVX2 void rows_avx2(KQuantType t, const float* x, int64_t k, const uint8_t* wb, int64_t rb,
                          int64_t n0, int64_t n1, int64_t n, float* y) {
    Unpacked u;
    const int64_t nb = k / kKQuantBlock, bb = kquant_block_bytes(t);
    const bool q4 = t == KQuantType::Q4_K;
    for (int64_t o = n0; o < n1; ++o) {
        __m256 acc[M];
        for (int r = 0; r < M; ++r) acc[r] = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; ++b) {
            unpack(t, wb + o * rb + b * bb, &u);
            const float* xb = x + b * kKQuantBlock;
            for (int i = 0; i < kKQuantBlock; i += 8) {
                const __m128i c8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(u.codes + i));
                const __m256 c = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(c8));
                __m256 w;
                if (q4)
                    w = _mm256_sub_ps(_mm256_mul_ps(_mm256_set1_ps(u.scale[i / 32]), c),
                                      _mm256_set1_ps(u.off[i / 32]));
                else
                    w = _mm256_mul_ps(_mm256_set1_ps(u.scale[i / 16]), c);
                for (int r = 0; r < M; ++r)
                    acc[r] = _mm256_fmadd_ps(w, _mm256_loadu_ps(xb + r * k + i), acc[r]);
            }
        }
        for (int r = 0; r < M; ++r) y[r * n + o] = hsum(acc[r]);
    }
}

void rows_avx2_any(KQuantType t, const float* x, int64_t m, int64_t k, const uint8_t* wb,
                   int64_t rb, int64_t n0, int64_t n1, int64_t n, float* y) {
    switch (m) {
        case 1:
            return rows_avx2<1>(t, x, k, wb, rb, n0, n1, n, y);
        case 2:
            return rows_avx2<2>(t, x, k, wb, rb, n0, n1, n, y);
        case 3:
            return rows_avx2<3>(t, x, k, wb, rb, n0, n1, n, y);
        case 4:
            return rows_avx2<4>(t, x, k, wb, rb, n0, n1, n, y);
        case 5:
            return rows_avx2<5>(t, x, k, wb, rb, n0, n1, n, y);
        case 6:
            return rows_avx2<6>(t, x, k, wb, rb, n0, n1, n, y);
        case 7:
            return rows_avx2<7>(t, x, k, wb, rb, n0, n1, n, y);
        default:
            return rows_avx2<8>(t, x, k, wb, rb, n0, n1, n, y);
    }
}
#endif

// ---- the Q8_K activation path (ggml's vec_dot_q4_K_q8_K / vec_dot_q6_K_q8_K) -------------

// One activation row as ggml's block_q8_K: per 256 values d (float32), 256 int8 codes and the
// 16 sums of 16 consecutive codes.
struct Q8K {
    std::vector<int8_t> qs;
    std::vector<float> d;
    std::vector<int16_t> bsums;
};

// quantize_row_q8_K_ref: the value of largest magnitude maps to -127 (iscale = -127 / max),
// round to nearest (even), at most 127.
void quantize_q8k(const float* x, int64_t k, Q8K* a) {
    const int64_t nb = k / kKQuantBlock;
    a->qs.resize(static_cast<size_t>(k));
    a->d.resize(static_cast<size_t>(nb));
    a->bsums.resize(static_cast<size_t>(nb * 16));
    for (int64_t b = 0; b < nb; ++b) {
        const float* xb = x + b * kKQuantBlock;
        int8_t* q = a->qs.data() + b * kKQuantBlock;
        float max = 0, amax = 0;
        for (int j = 0; j < kKQuantBlock; ++j) {
            const float ax = std::fabs(xb[j]);
            if (ax > amax) {
                amax = ax;
                max = xb[j];
            }
        }
        if (amax == 0) {
            a->d[static_cast<size_t>(b)] = 0;
            std::memset(q, 0, kKQuantBlock);
            for (int g = 0; g < 16; ++g) a->bsums[static_cast<size_t>(b * 16 + g)] = 0;
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < kKQuantBlock; ++j) {
            const long v = std::lrintf(iscale * xb[j]);
            q[j] = static_cast<int8_t>(std::min<long>(127, v));
        }
        for (int g = 0; g < 16; ++g) {
            int s = 0;
            for (int j = 0; j < 16; ++j) s += q[16 * g + j];
            a->bsums[static_cast<size_t>(b * 16 + g)] = static_cast<int16_t>(s);
        }
        a->d[static_cast<size_t>(b)] = 1 / iscale;
    }
}

// Q6_K's codes as unsigned 6-bit values (q + 32, weight order) and its 16 int8 scales.
void unpack_q6_k_u(const uint8_t* b, uint8_t* u, int8_t* sc) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    std::memcpy(sc, b + 192, 16);
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32)
        for (int l = 0; l < 32; ++l) {
            uint8_t* c = u + 128 * h;
            c[l] = static_cast<uint8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
            c[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
            c[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            c[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
        }
}

// The integer part of one super-block, exact in int32 (|sumi| < 2^31: Q4_K 256 * 15 * 127 * 63,
// Q6_K 256 * 63 * 127 * 128), and the float one: weight block w, activation block q8/d8/bs.
float block_q8k_scalar(KQuantType t, const uint8_t* w, const int8_t* q8, float d8,
                       const int16_t* bs) {
    if (t == KQuantType::Q4_K) {
        const float d = fp16_at(w) * d8, dmin = fp16_at(w + 2) * d8;
        const uint8_t* qs = w + 16;
        int32_t sumi = 0, summs = 0;
        for (int j = 0; j < 8; ++j) {
            uint8_t sc, m;
            scale_min_k4(j, w + 4, &sc, &m);
            const int c = j / 2;
            int32_t s = 0;
            for (int l = 0; l < 32; ++l) {
                const int q = j % 2 == 0 ? (qs[32 * c + l] & 0xF) : (qs[32 * c + l] >> 4);
                s += q * q8[32 * j + l];
            }
            sumi += sc * s;
            summs += m * (bs[2 * j] + bs[2 * j + 1]);
        }
        return d * static_cast<float>(sumi) - dmin * static_cast<float>(summs);
    }
    uint8_t u[kKQuantBlock];
    int8_t sc[16];
    unpack_q6_k_u(w, u, sc);
    const float d = fp16_at(w + 208) * d8;
    int32_t sumi = 0;
    for (int g = 0; g < 16; ++g) {
        int32_t s = 0;
        for (int l = 0; l < 16; ++l) s += u[16 * g + l] * q8[16 * g + l];
        sumi += sc[g] * (s - 32 * bs[g]);
    }
    return d * static_cast<float>(sumi);
}

void rows_q8k_scalar(KQuantType t, const Q8K* a, int64_t m, int64_t k, const uint8_t* wb,
                     int64_t rb, int64_t n0, int64_t n1, int64_t n, float* y) {
    const int64_t nb = k / kKQuantBlock, bb = kquant_block_bytes(t);
    for (int64_t o = n0; o < n1; ++o)
        for (int64_t r = 0; r < m; ++r) {
            float sum = 0;
            for (int64_t b = 0; b < nb; ++b)
                sum += block_q8k_scalar(t, wb + o * rb + b * bb, a[r].qs.data() + b * kKQuantBlock,
                                        a[r].d[static_cast<size_t>(b)], a[r].bsums.data() + b * 16);
            y[r * n + o] = sum;
        }
}

#if defined(TB_KQ_X86)
// ((qh >> shift) & 3) << 4 in every byte (the shifts are 16-bit, the masks keep bytes apart).
TB_KQ_AVX2 inline __m256i q6_high(__m256i qh, int shift) {
    const __m256i m3 = _mm256_set1_epi8(3);
    return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, shift), m3), 4);
}

TB_KQ_AVX2 inline void q6_store(uint8_t* p, __m256i v) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(p), v);
}

TB_KQ_AVX2 void rows_q8k_avx2(KQuantType t, const Q8K* a, int64_t m, int64_t k, const uint8_t* wb,
                              int64_t rb, int64_t n0, int64_t n1, int64_t n, float* y) {
    const int64_t nb = k / kKQuantBlock, bb = kquant_block_bytes(t);
    const __m256i m4 = _mm256_set1_epi8(0xF);
    alignas(32) uint8_t u[kKQuantBlock];
    int8_t sc6[16];
    for (int64_t o = n0; o < n1; ++o) {
        __m256 acc[kKQuantDotMaxRows];
        float mins[kKQuantDotMaxRows] = {};
        for (int64_t r = 0; r < m; ++r) acc[r] = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* w = wb + o * rb + b * bb;
            if (t == KQuantType::Q4_K) {
                uint8_t sc[8], mn[8];
                for (int j = 0; j < 8; ++j) scale_min_k4(j, w + 4, &sc[j], &mn[j]);
                const float dw = fp16_at(w), dminw = fp16_at(w + 2);
                __m256i lo[4], hi[4];
                for (int c = 0; c < 4; ++c) {
                    const __m256i q4 =
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16 + 32 * c));
                    lo[c] = _mm256_and_si256(q4, m4);
                    hi[c] = _mm256_and_si256(_mm256_srli_epi16(q4, 4), m4);
                }
                for (int64_t r = 0; r < m; ++r) {
                    const int8_t* q8 = a[r].qs.data() + b * kKQuantBlock;
                    const int16_t* bs = a[r].bsums.data() + b * 16;
                    __m256i s32 = _mm256_setzero_si256();
                    for (int c = 0; c < 4; ++c) {
                        const __m256i pl = _mm256_maddubs_epi16(
                            lo[c],
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 64 * c)));
                        const __m256i ph = _mm256_maddubs_epi16(
                            hi[c],
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 64 * c + 32)));
                        s32 = _mm256_add_epi32(
                            s32, _mm256_add_epi32(
                                     _mm256_madd_epi16(pl, _mm256_set1_epi16(sc[2 * c])),
                                     _mm256_madd_epi16(ph, _mm256_set1_epi16(sc[2 * c + 1]))));
                    }
                    int32_t summs = 0;
                    for (int j = 0; j < 8; ++j) summs += mn[j] * (bs[2 * j] + bs[2 * j + 1]);
                    const float d8 = a[r].d[static_cast<size_t>(b)];
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_set1_ps(dw * d8), _mm256_cvtepi32_ps(s32), acc[r]);
                    mins[r] += dminw * d8 * static_cast<float>(summs);
                }
            } else {
                // The 6-bit codes (unsigned, weight order) from ql / qh in registers, as
                // unpack_q6_k_u writes them: 32 at a time, four per 128-weight half.
                std::memcpy(sc6, w + 192, 16);
                for (int h = 0; h < 2; ++h) {
                    const uint8_t* ql = w + 64 * h;
                    const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
                    const __m256i l1 =
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
                    const __m256i qh =
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 128 + 32 * h));
                    uint8_t* uh = u + 128 * h;
                    q6_store(uh + 0, _mm256_or_si256(_mm256_and_si256(l0, m4), q6_high(qh, 0)));
                    q6_store(uh + 32, _mm256_or_si256(_mm256_and_si256(l1, m4), q6_high(qh, 2)));
                    q6_store(uh + 64,
                             _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                             q6_high(qh, 4)));
                    q6_store(uh + 96,
                             _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                             q6_high(qh, 6)));
                }
                const float dw = fp16_at(w + 208);
                for (int64_t r = 0; r < m; ++r) {
                    const int8_t* q8 = a[r].qs.data() + b * kKQuantBlock;
                    const int16_t* bs = a[r].bsums.data() + b * 16;
                    __m256i s32 = _mm256_setzero_si256();
                    for (int c = 0; c < 8; ++c) {
                        const __m256i p = _mm256_maddubs_epi16(
                            _mm256_load_si256(reinterpret_cast<const __m256i*>(u + 32 * c)),
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 32 * c)));
                        // int16 lanes 0-7 belong to group 2c, 8-15 to group 2c + 1.
                        const __m256i scv = _mm256_setr_m128i(_mm_set1_epi16(sc6[2 * c]),
                                                              _mm_set1_epi16(sc6[2 * c + 1]));
                        s32 = _mm256_add_epi32(s32, _mm256_madd_epi16(p, scv));
                    }
                    int32_t off = 0;
                    for (int g = 0; g < 16; ++g) off += sc6[g] * bs[g];
                    const float d8 = a[r].d[static_cast<size_t>(b)];
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_set1_ps(dw * d8),
                                        _mm256_cvtepi32_ps(_mm256_sub_epi32(
                                            s32, _mm256_setr_epi32(32 * off, 0, 0, 0, 0, 0, 0, 0))),
                                        acc[r]);
                }
            }
        }
        for (int64_t r = 0; r < m; ++r) y[r * n + o] = hsum(acc[r]) - mins[r];
    }
}
#endif

// Torch-op dequantisation of rows [r0, r0 + n) on the blocks' device (CPU prefill tiles and
// CUDA). Every float operation is ggml's, one IEEE op each, so CPU and CUDA agree with the
// scalar rule bit for bit.
at::Tensor dequantize_torch(const KQuantWeight& w, int64_t r0, int64_t n) {
    const int64_t nb = w.cols / kKQuantBlock, bb = kquant_block_bytes(w.type);
    const at::Tensor blk = w.blocks.narrow(0, r0, n).reshape({n, nb, bb});
    auto fp16 = [&](int64_t off) {  // [n, nb, 1] float32
        return blk.narrow(2, off, 2).contiguous().view(at::kHalf).to(at::kFloat);
    };
    auto i32 = [](const at::Tensor& t) { return t.to(at::kInt); };
    if (w.type == KQuantType::Q4_K) {
        const at::Tensor d = fp16(0), dmin = fp16(2);
        const at::Tensor s = i32(blk.narrow(2, 4, 12));  // [n, nb, 12]
        const at::Tensor lo_sc = s.narrow(2, 0, 4).bitwise_and(63);
        const at::Tensor lo_m = s.narrow(2, 4, 4).bitwise_and(63);
        const at::Tensor s03 = s.narrow(2, 0, 4), s47 = s.narrow(2, 4, 4), s811 = s.narrow(2, 8, 4);
        const at::Tensor hi_sc = s811.bitwise_and(15).bitwise_or(
            at::floor_divide(s03, 64).mul(16));  // (s[j-4] >> 6) << 4
        const at::Tensor hi_m = at::floor_divide(s811, 16).bitwise_or(
            at::floor_divide(s47, 64).mul(16));                           // (s[j] >> 6) << 4
        const at::Tensor sc = at::cat({lo_sc, hi_sc}, 2).to(at::kFloat);  // [n, nb, 8]
        const at::Tensor mn = at::cat({lo_m, hi_m}, 2).to(at::kFloat);
        const at::Tensor qs = i32(blk.narrow(2, 16, 128)).view({n, nb, 4, 1, 32});
        const at::Tensor q = at::cat({qs.bitwise_and(15), at::floor_divide(qs, 16)}, 3)
                                 .view({n, nb, 8, 32})
                                 .to(at::kFloat);
        const at::Tensor d1 = (d * sc).unsqueeze(-1), m1 = (dmin * mn).unsqueeze(-1);
        return (d1 * q - m1).view({n, w.cols});
    }
    const at::Tensor ql = i32(blk.narrow(2, 0, 128)).view({n, nb, 2, 64});
    const at::Tensor qh = i32(blk.narrow(2, 128, 64)).view({n, nb, 2, 32});
    const at::Tensor sc = blk.narrow(2, 192, 16).contiguous().view(at::kChar).to(at::kFloat);
    const at::Tensor d = fp16(208);
    const at::Tensor lo = ql.bitwise_and(15), hi = at::floor_divide(ql, 16);
    auto h = [&](int shift) { return at::floor_divide(qh, 1 << shift).bitwise_and(3).mul(16); };
    const at::Tensor q1 = lo.narrow(3, 0, 32).bitwise_or(h(0));
    const at::Tensor q2 = lo.narrow(3, 32, 32).bitwise_or(h(2));
    const at::Tensor q3 = hi.narrow(3, 0, 32).bitwise_or(h(4));
    const at::Tensor q4 = hi.narrow(3, 32, 32).bitwise_or(h(6));
    const at::Tensor q = (at::stack({q1, q2, q3, q4}, 3) - 32).view({n, nb, 16, 16}).to(at::kFloat);
    const at::Tensor ds = (d * sc).unsqueeze(-1);  // [n, nb, 16, 1]
    return (ds * q).view({n, w.cols});
}

}  // namespace

const char* kquant_name(KQuantType t) { return t == KQuantType::Q4_K ? "Q4_K" : "Q6_K"; }

int64_t kquant_block_bytes(KQuantType t) {
    return t == KQuantType::Q4_K ? kQ4KBlockBytes : kQ6KBlockBytes;
}

bool kquant_cpu_has_avx2() {
#if defined(TB_KQ_X86)
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
    }();
    return has;
#else
    return false;
#endif
}

int64_t KQuantWeight::bytes() const {
    return blocks.defined() ? blocks.numel() : 0;  // uint8
}

at::Tensor KQuantWeight::dequantize_rows(int64_t r0, int64_t n) const {
    torch::NoGradGuard no_grad;
    return dequantize_torch(*this, r0, n);
}

at::Tensor KQuantWeight::dequantize(at::ScalarType dt, at::Device dev) const {
    torch::NoGradGuard no_grad;
    return dequantize_torch(*this, 0, rows()).to(dev, dt);
}

KQuantWeight KQuantWeight::to(at::Device dev) const {
    KQuantWeight w = *this;
    w.blocks = blocks.to(dev);
    return w;
}

Result<KQuantWeight> kquant_from_bytes(KQuantType type, const uint8_t* data, int64_t rows,
                                       int64_t cols, at::ScalarType dtype) {
    if (rows < 1 || cols < 1 || cols % kKQuantBlock != 0)
        return make_error(kquant_name(type), "a [" + std::to_string(rows) + ", " +
                                                 std::to_string(cols) +
                                                 "] weight: rows of a multiple of 256 needed");
    KQuantWeight w;
    w.type = type;
    w.cols = cols;
    w.dtype = dtype;
    w.blocks = at::empty({rows, w.row_bytes()}, at::TensorOptions().dtype(at::kByte));
    std::memcpy(w.blocks.data_ptr<uint8_t>(), data, static_cast<size_t>(rows * w.row_bytes()));
    return w;
}

Result<KQuantWeight> quantize_kquant(const at::Tensor& w_in, KQuantType type) {
    if (!w_in.defined() || w_in.dim() != 2 || !at::isFloatingType(w_in.scalar_type()))
        return make_error("quantize_kquant", "a 2-D float tensor expected");
    const int64_t rows = w_in.size(0), cols = w_in.size(1);
    if (cols % kKQuantBlock != 0)
        return make_error("quantize_kquant", "row length " + std::to_string(cols) +
                                                 " is not a multiple of 256 (K-quant super-block)");
    const at::Tensor w = w_in.detach().to(at::kCPU, at::kFloat).contiguous();
    const int64_t rb = cols / kKQuantBlock * kquant_block_bytes(type);
    std::vector<uint8_t> bytes(static_cast<size_t>(rows * rb));
    const float* x = w.data_ptr<float>();
    at::parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            if (type == KQuantType::Q4_K)
                gguf::quantize_row_q4_K_ref(x + r * cols, bytes.data() + r * rb, cols);
            else
                gguf::quantize_row_q6_K_ref(x + r * cols, bytes.data() + r * rb, cols);
        }
    });
    return kquant_from_bytes(type, bytes.data(), rows, cols, w_in.scalar_type());
}

void kquant_dequantize_row(KQuantType type, const uint8_t* row, int64_t cols, float* y) {
    // The GGUF module's dequantiser (ggml's, bit for bit); cols is a multiple of 256 here.
    const Status st = gguf::dequantize_row(
        type == KQuantType::Q4_K ? gguf::GgmlType::Q4_K : gguf::GgmlType::Q6_K, row, cols, y);
    TORCH_CHECK(st.ok(), "kquant_dequantize_row: ", st.ok() ? "" : st.error().message);
}

void kquant_matmul_cpu(KQuantType type, const float* x, int64_t m, int64_t k, const uint8_t* wb,
                       int64_t n, float* y, bool simd) {
    TORCH_CHECK(m >= 1 && m <= kKQuantDotMaxRows, "kquant_matmul_cpu: ", m, " rows");
    TORCH_CHECK(k % kKQuantBlock == 0, "kquant_matmul_cpu: k = ", k, " not a multiple of 256");
    const int64_t rb = k / kKQuantBlock * kquant_block_bytes(type);
    // Chunks of at least ~32K weights, so that a thread's share outweighs waking it.
    const int64_t grain = std::max<int64_t>(1, (32 * 1024) / k);
#if defined(TB_KQ_X86)
    if (simd && kquant_cpu_has_avx2()) {
        at::parallel_for(0, n, grain, [&](int64_t n0, int64_t n1) {
            rows_avx2_any(type, x, m, k, wb, rb, n0, n1, n, y);
        });
        return;
    }
#endif
    (void)simd;
    at::parallel_for(0, n, grain, [&](int64_t n0, int64_t n1) {
        rows_scalar(type, x, m, k, wb, rb, n0, n1, n, y);
    });
}

void kquant_matmul_q8k_cpu(KQuantType type, const float* x, int64_t m, int64_t k, const uint8_t* wb,
                           int64_t n, float* y, bool simd) {
    TORCH_CHECK(m >= 1 && m <= kKQuantDotMaxRows, "kquant_matmul_q8k_cpu: ", m, " rows");
    TORCH_CHECK(k % kKQuantBlock == 0, "kquant_matmul_q8k_cpu: k = ", k, " not a multiple of 256");
    const int64_t rb = k / kKQuantBlock * kquant_block_bytes(type);
    Q8K a[kKQuantDotMaxRows];
    for (int64_t r = 0; r < m; ++r) quantize_q8k(x + r * k, k, &a[r]);
    const int64_t grain = std::max<int64_t>(1, (32 * 1024) / k);
#if defined(TB_KQ_X86)
    if (simd && kquant_cpu_has_avx2()) {
        at::parallel_for(0, n, grain, [&](int64_t n0, int64_t n1) {
            rows_q8k_avx2(type, a, m, k, wb, rb, n0, n1, n, y);
        });
        return;
    }
#endif
    (void)simd;
    at::parallel_for(0, n, grain, [&](int64_t n0, int64_t n1) {
        rows_q8k_scalar(type, a, m, k, wb, rb, n0, n1, n, y);
    });
}

bool kquant_decode_exact() {
    const char* e = std::getenv("TB_KQ_KERNEL");
    return e && std::strcmp(e, "exact") == 0;
}

at::Tensor kquant_linear(const at::Tensor& x, const KQuantWeight& w, const at::Tensor& bias) {
    TORCH_CHECK(x.size(-1) == w.cols, "kquant_linear: x has ", x.size(-1),
                " features, the weight expects ", w.cols);
    const int64_t K = w.cols, N = w.rows();
    std::vector<int64_t> out_shape = x.sizes().vec();
    out_shape.back() = N;
    if (!x.device().is_cpu() || !w.device().is_cpu()) {
        // CUDA: dequantise for this call only, in x's dtype (see q4_k.h).
        const at::Tensor wd = w.dequantize(x.scalar_type(), x.device());
        return bias.defined() ? at::linear(x, wd, bias.to(x.scalar_type())) : at::linear(x, wd);
    }
    const int64_t M = K > 0 ? x.numel() / K : 0;
    const at::Tensor xf = x.reshape({M, K}).to(at::kFloat).contiguous();
    at::Tensor y = at::empty({M, N}, xf.options());
    if (M >= 1 && M <= kKQuantDotMaxRows) {
        if (kquant_decode_exact())
            kquant_matmul_cpu(w.type, xf.data_ptr<float>(), M, K, w.blocks.data_ptr<uint8_t>(), N,
                              y.data_ptr<float>());
        else
            kquant_matmul_q8k_cpu(w.type, xf.data_ptr<float>(), M, K, w.blocks.data_ptr<uint8_t>(),
                                  N, y.data_ptr<float>());
    } else if (M > 0) {
        // Tiles of about 1 M float32 weights (4 MB): dequantised, multiplied, dropped.
        const int64_t tile = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(K, 1));
        const uint8_t* wb = w.blocks.data_ptr<uint8_t>();
        const int64_t rb = w.row_bytes();
        for (int64_t n0 = 0; n0 < N; n0 += tile) {
            const int64_t n = std::min(tile, N - n0);
            at::Tensor t = at::empty({n, K}, xf.options());
            float* tp = t.data_ptr<float>();
            at::parallel_for(0, n, 16, [&](int64_t a, int64_t b) {
                for (int64_t r = a; r < b; ++r)
                    kquant_dequantize_row(w.type, wb + (n0 + r) * rb, K, tp + r * K);
            });
            y.narrow(1, n0, n).copy_(at::mm(xf, t.t()));
        }
    }
    if (bias.defined()) y.add_(bias.to(at::kFloat));
    return y.view(out_shape).to(x.scalar_type());
}

}  // namespace tb
