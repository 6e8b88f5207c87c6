// CPU dot kernels of Q8_0 (q8_0.h) against Q8_0: ggml's vec_dot_q8_0_q8_0, an AVX2 int8 path
// and a scalar one, chosen at run time (__builtin_cpu_supports), so that one binary runs on
// any x86-64 (and elsewhere, scalar) and uses AVX2 where the CPU has it.
//
// Both kernels compute the same numbers bit for bit:
// - per block, the exact int32 sum s_i = sum_j a[j] * b[j] (|s_i| <= 32 * 127 * 127 < 2^24,
//   so float(s_i) is exact too);
// - the float part in one fixed order: block i goes to lane i % 8,
//     lane[i % 8] += float(s_i) * (da_i * db_i)      (two roundings per product, one per add;
//                                                     no fused multiply-add: the file is built
//                                                     with -ffp-contract=off)
//   and the eight lanes are summed as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), the
//   order of an AVX2 horizontal sum. (ggml's own AVX2 kernel also accumulates in eight lanes;
//   its scalar one in one, so ggml's two differ in the last bits. Here they do not.)
#pragma once

#include <c10/util/Half.h>

#include <cstdint>

namespace tb::q8cpu {

// Avx512Vnni: the AVX2 kernels with vpdpbusd (AVX-512 VNNI on 256-bit registers) in the
// multi-row matmul's inner product; its one-row functions (block_sums, vec_dot) are AVX2's.
enum class Kernel { Scalar, Avx2, Avx512Vnni };

// One row of n float32 values (n a multiple of 32) to Q8_0 by the rule of q8_0.h, in plain
// scalar code: the reference the torch-op weight quantiser is tested against, and what
// matmul() uses for its activation rows. qs receives n codes, d n / 32 fp16 scales.
void quantize_row(const float* x, int64_t n, int8_t* qs, c10::Half* d);

// AVX-512 VNNI when this CPU has it, else AVX2 (with F16C), else scalar; TB_Q8_KERNEL=scalar or
// =avx2 in the environment forces that kernel (to measure it, or to rule a SIMD path out).
Kernel best_kernel();
bool kernel_supported(Kernel k);
const char* kernel_name(Kernel k);

// out[i] = sum_{j<32} a[32 i + j] * b[32 i + j] for the nb blocks (exact int32).
void block_sums(Kernel k, const int8_t* a, const int8_t* b, int64_t nb, int32_t* out);

// One output: the dot of a weight row (codes wq, fp16 scales wd) with a quantised activation
// row (codes aq, scales ad already widened to float32), nb blocks, in the order above.
float vec_dot(Kernel k, const int8_t* wq, const c10::Half* wd, const int8_t* aq, const float* ad,
              int64_t nb);

// The m rows of x [m, k] to Q8_0 by quantize_row, rows in parallel: codes aq [m, k] and the
// fp16 scales widened to float32 in ad [m, k / 32] (what the dot kernels read).
void quantize_rows(const float* x, int64_t m, int64_t k, int8_t* aq, float* ad);

// y [m, n] = A W^T for already quantised activation rows A (aq, ad as quantize_rows gives them)
// and a Q8_0 weight W (wq [n, k] codes, wd [n, k / 32] scales). Every output equals vec_dot of
// its weight row and activation row bit for bit (so a prefill and a decode step compute the
// same number for the same row, and the scalar and AVX2 kernels agree); the kernel only
// shares loads, register tiles of 4 activation rows x 2 weight rows, with at::parallel_for
// over the weight-row pairs and row chunks of about 256 KB of codes (L2). k: a multiple of 32.
void matmul_q8(Kernel kern, const int8_t* aq, const float* ad, int64_t m, int64_t k,
               const int8_t* wq, const c10::Half* wd, int64_t n, float* y);

// y [m, n] = x [m, k] W^T: quantize_rows then matmul_q8 (ggml's Q8_0 x Q8_0 matmul, any m:
// decode rows and prefill alike).
void matmul(Kernel kern, const float* x, int64_t m, int64_t k, const int8_t* wq,
            const c10::Half* wd, int64_t n, float* y);

}  // namespace tb::q8cpu
