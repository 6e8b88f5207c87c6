// ggml's K-quant weights Q4_K and Q6_K (what a llama.cpp Q4_K_M file holds) kept packed, as
// the `quant` engine's base weights of GGUF files (core/infer/gguf_model_loader.h).
//
// Memory layout (KQuantWeight::blocks), for a weight [rows, cols] (torch order: y = x W^T,
// cols = in features, a multiple of 256):
//   one contiguous uint8 tensor [rows, cols / 256 * block_bytes], row-major; row r holds the
//   cols / 256 super-blocks of weight row r in order, each exactly the bytes of the GGUF file
//   (ggml's block_q4_K / block_q6_K, little endian, no padding, no alignment beyond 1 byte).
//   Super-block b of row r starts at byte r * row_bytes + b * block_bytes and covers weights
//   W[r, 256 b .. 256 b + 255].
//
//   Q4_K, 144 bytes per 256 weights (4.5 bits per weight):
//     [0,2)    d     fp16   super-block scale of the sub-block scales
//     [2,4)    dmin  fp16   super-block scale of the sub-block mins
//     [4,16)   scales[12]   eight 6-bit scales sc_j and eight 6-bit mins m_j, j = 0..7:
//                             j < 4: sc_j = s[j] & 63,              m_j = s[j + 4] & 63
//                             j >= 4: sc_j = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4),
//                                     m_j  = (s[j + 4] >> 4) | ((s[j] >> 6) << 4)
//     [16,144) qs[128]      4-bit codes: for chunk c = 0..3 (64 weights each), bytes
//                           qs[32 c + l], l = 0..31: low nibble = weight 64 c + l (sub-block
//                           j = 2 c), high nibble = weight 64 c + 32 + l (sub-block 2 c + 1)
//     weight i (sub-block j = i / 32, code q): (d * sc_j) * q - (dmin * m_j)
//   Q6_K, 210 bytes per 256 weights (6.5625 bits per weight):
//     [0,128)   ql[128]  low 4 bits;  [128,192) qh[64] high 2 bits;
//     [192,208) scales[16] int8 (one per 16 weights);  [208,210) d fp16
//     for half h = 0, 1 (128 weights each; ql += 64 h, qh += 32 h), l = 0..31:
//       weight 128 h + l      : (ql[l]      & 15) | ((qh[l] >> 0) & 3) << 4
//       weight 128 h + 32 + l : (ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4
//       weight 128 h + 64 + l : (ql[l]      >> 4) | ((qh[l] >> 4) & 3) << 4
//       weight 128 h + 96 + l : (ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4
//     weight i (code q in [0, 63]): (d * scales[i / 16]) * (q - 32)
//   (The products are float32, in this order: the dequantised values equal ggml's
//   dequantize_row_q4_K / _q6_K, i.e. core/gguf's gguf::dequantize_row, bit for bit.)
//
// The linear (kquant_linear) computes y = x W^T:
// - CPU, few rows (decode, at most kKQuantDotMaxRows activation rows), two kernels, parallel
//   over output rows, AVX2 where the CPU has it:
//   * default, llama.cpp's: the activation rows are quantised to Q8_K and every super-block
//     is an exact int32 dot (kquant_matmul_q8k_cpu). Single-thread AVX2, one row: Q4_K 0.07
//     and Q6_K 0.14 ns per weight against 0.24 and 0.45 for the exact kernel (test_q4_k's
//     disabled speed test), with the activation rounding llama.cpp (and the Q8_0 path,
//     q8_0.h) has too;
//   * TB_KQ_KERNEL=exact: each super-block dequantised to 256 float32 values (exactly the
//     values above) and dotted with the fp32 activation rows (kquant_matmul_cpu): its only
//     error against "dequantise, then an fp32 matmul" is fp32 summation order, i.e. exactly
//     the model the file describes (tests compare greedy tokens with a dense load this way);
// - CPU, many rows (prefill): tiles of output rows dequantised to float32 and multiplied with
//   torch (a GEMM reads each weight once for all rows);
// - CUDA: the weight is dequantised with torch ops on the device for the call, then
//   at::linear (correct, slow; a fused GEMV over `blocks` is the planned kernel).
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "core/common/error.h"
#include "core/infer/lora_linear.h"

namespace tb {

enum class KQuantType { Q4_K, Q6_K };

constexpr int64_t kKQuantBlock = 256;  // QK_K: weights per super-block
constexpr int64_t kQ4KBlockBytes = 144;
constexpr int64_t kQ6KBlockBytes = 210;
// Activation rows up to which the CPU linear takes the dequantise-and-dot path; above it,
// dequantised tiles and a float32 GEMM.
constexpr int64_t kKQuantDotMaxRows = 8;

const char* kquant_name(KQuantType t);
int64_t kquant_block_bytes(KQuantType t);

struct KQuantWeight {
    KQuantType type = KQuantType::Q4_K;
    at::Tensor blocks;                  // uint8 [rows, cols / 256 * block_bytes] (see above)
    int64_t cols = 0;                   // in features (a multiple of 256)
    at::ScalarType dtype = at::kFloat;  // dtype dense copies default to (merging, export)

    int64_t rows() const { return blocks.size(0); }
    int64_t row_bytes() const { return cols / kKQuantBlock * kquant_block_bytes(type); }
    at::Device device() const { return blocks.device(); }
    int64_t bytes() const;  // the blocks
    // The dense weight [rows, cols] in `dtype` on `device` (torch ops on the storage device).
    at::Tensor dequantize(at::ScalarType dtype, at::Device device) const;
    // Rows [r0, r0 + n) as float32 [n, cols] on the storage device.
    at::Tensor dequantize_rows(int64_t r0, int64_t n) const;
    KQuantWeight to(at::Device device) const;
};

// A weight from raw GGUF tensor bytes (rows * row_bytes of them, copied). Errors: cols not a
// multiple of 256, rows < 1.
Result<KQuantWeight> kquant_from_bytes(KQuantType type, const uint8_t* data, int64_t rows,
                                       int64_t cols, at::ScalarType dtype = at::kFloat);

// Quantises a 2-D float tensor with ggml's reference quantiser (core/gguf's
// quantize_row_q4_K_ref / _q6_K_ref, the bytes llama-quantize writes without an imatrix).
// Errors: not 2-D, cols not a multiple of 256.
Result<KQuantWeight> quantize_kquant(const at::Tensor& w, KQuantType type);

// One row of `cols` weights dequantised into y (float32), by the scalar rule above.
void kquant_dequantize_row(KQuantType type, const uint8_t* row, int64_t cols, float* y);

// y = x W^T (+ bias): x [..., cols] -> [..., rows] in x's dtype (see the top of this file).
at::Tensor kquant_linear(const at::Tensor& x, const KQuantWeight& w, const at::Tensor& bias = {});

// The CPU decode kernel alone: y [m, n] = x [m, k] W^T, m <= kKQuantDotMaxRows, W's blocks
// `wb` (n rows of row_bytes). `simd`: AVX2 + FMA when the CPU has it (false: scalar, 8 lanes).
void kquant_matmul_cpu(KQuantType type, const float* x, int64_t m, int64_t k, const uint8_t* wb,
                       int64_t n, float* y, bool simd = true);
bool kquant_cpu_has_avx2();

// The Q8_K decode kernel (the default of kquant_linear's decode path): each activation row
// quantised to ggml's Q8_K (per 256 values: d = max / -127 of the value of largest magnitude,
// codes rounded to nearest, plus the sums of 16 consecutive codes), then ggml's
// vec_dot_q4_K_q8_K / vec_dot_q6_K_q8_K: exact int32 sums per super-block (AVX2 maddubs or
// scalar) scaled in float32. Error against x W'^T: the activation rounding, at most
// |d8| / 2 per element, plus float rounding.
void kquant_matmul_q8k_cpu(KQuantType type, const float* x, int64_t m, int64_t k, const uint8_t* wb,
                           int64_t n, float* y, bool simd = true);
// TB_KQ_KERNEL=exact in the environment: kquant_linear decodes with kquant_matmul_cpu (the
// file's model to fp32 rounding) instead of the Q8_K kernel.
bool kquant_decode_exact();

// PackedBaseWeight (core/infer/lora_linear.h) backed by Q4_K / Q6_K.
class KQuantBaseWeight final : public PackedBaseWeight {
  public:
    explicit KQuantBaseWeight(KQuantWeight w) : w_(std::move(w)) {}

    const KQuantWeight& weight() const { return w_; }

    int64_t out_features() const override { return w_.rows(); }
    int64_t in_features() const override { return w_.cols; }
    at::Tensor linear(const at::Tensor& x, const at::Tensor& bias) const override {
        return kquant_linear(x, w_, bias);
    }
    at::Tensor dense(at::ScalarType dtype, at::Device device) const override {
        return w_.dequantize(dtype, device);
    }
    at::ScalarType original_dtype() const override { return w_.dtype; }
    at::Device device() const override { return w_.device(); }
    int64_t bytes() const override { return w_.bytes(); }

  private:
    KQuantWeight w_;
};

}  // namespace tb
