// Q8_0 weight quantisation exactly as llama.cpp / ggml define it (quantize_row_q8_0_ref,
// dequantize_row_q8_0, ggml_vec_dot_q8_0_q8_0), for the `quant` inference engine:
//
//   a row is cut into blocks of 32 consecutive values; per block
//     amax = max |x|                    (float32)
//     d    = amax / 127                 (float32 division)
//     id   = d != 0 ? 1 / d : 0         (float32; computed from the float32 d, not the fp16 one)
//     q[j] = roundf(x[j] * id)          (C roundf: halves away from zero; always in [-127, 127])
//     stored: d as fp16 (round to nearest even), q as int8
//   dequantised: x'[j] = q[j] * float(d_fp16).
// An all-zero block stores d = 0 and q = 0 (and dequantises to zeros).
//
// Layout: ggml keeps each block as a struct {fp16 d; int8 qs[32]} (34 bytes). Here the same
// bytes sit in two planes, qs int8 [rows, cols] and d fp16 [rows, cols / 32], so that the CPU
// kernels load 32-byte-aligned codes and eight scales with one instruction, and the torch-op
// dequantisation (CUDA) is two reshapes and a multiply. Bytes per weight: 34 / 32 = 1.0625,
// as in GGUF; converting to GGUF's interleaved blocks is a copy.
//
// The linear (q8_0_linear) computes y = x W^T:
// - CPU, any number of rows (decode steps and prefill): each activation row is quantised to
//   Q8_0 too and every output is ggml's vec_dot_q8_0_q8_0 - exact int32 block dot products
//   (AVX2 where the CPU has it, scalar otherwise; q8_0_cpu.h), scaled by the two block
//   scales - in register tiles of 4 activation rows x 2 weight rows, parallel over weight rows
//   with at::parallel_for (llama.cpp's prefill does the same: int8 dots, not a float GEMM).
//   A row's outputs do not depend on how many rows the call has;
// - CPU with TB_Q8_PREFILL=fp32 in the environment and more than kQ8DotMaxRows rows: output-row
//   tiles of W dequantised to float32 and multiplied with torch (the activation unquantised;
//   the former prefill path, 2.4x slower in the README.md benchmark);
// - CUDA: W dequantised with torch ops to x's dtype for the call, then at::linear. Correct but
//   not yet a fused kernel: it moves more memory than the dense engine (issue 11, later).
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "core/common/error.h"
#include "core/infer/lora_linear.h"

namespace tb {

constexpr int64_t kQ8Block = 32;  // QK8_0
// With TB_Q8_PREFILL=fp32, activation rows up to which the CPU linear still takes the int8 dot
// path (decode steps of batches up to this size); above it, tiles are dequantised for a
// float32 GEMM. Without it every row count takes the int8 path.
constexpr int64_t kQ8DotMaxRows = 8;

struct Q8_0Weight {
    at::Tensor qs;                      // int8 [rows, cols] codes
    at::Tensor d;                       // fp16 [rows, cols / 32] block scales
    at::ScalarType dtype = at::kFloat;  // dtype of the weight before quantisation

    int64_t rows() const { return qs.size(0); }
    int64_t cols() const { return qs.size(1); }
    at::Device device() const { return qs.device(); }
    // Bytes held: codes + scales (34 per 32 weights).
    int64_t bytes() const;
    // The dense weight [rows, cols] in `dtype` on `device` (torch ops on the storage device).
    at::Tensor dequantize(at::ScalarType dtype, at::Device device) const;
    // A copy on `device`.
    Q8_0Weight to(at::Device device) const;
};

struct Q8_0Options {
    // CPU tensors: quantise with the torch-op path that CUDA tensors take instead of the scalar
    // rows (the two give the same bytes; tests cross-check them here, where there is no GPU).
    bool torch_ops = false;
};

// Quantises a 2-D float tensor (fp32/bf16/fp16/fp64, CPU or CUDA; bf16/fp16 values are widened
// to float32 first, exactly) on its device. Errors: not 2-D, not floating point, empty, or a
// row length that is not a multiple of 32 (ggml's requirement).
Result<Q8_0Weight> quantize_q8_0(const at::Tensor& w, const Q8_0Options& opts = {});

// (The same rule as plain scalar code for one row, used for activations: q8cpu::quantize_row
// in q8_0_cpu.h.)

// y = x W^T (+ bias): x [..., cols] -> [..., rows] in x's dtype (see the top of this file).
at::Tensor q8_0_linear(const at::Tensor& x, const Q8_0Weight& w, const at::Tensor& bias = {});

// PackedBaseWeight (core/infer/lora_linear.h) backed by Q8_0: a LoraLinear with this as its
// `packed` base runs the quantised matmul and adds its LoRA term in the model dtype.
class Q8_0BaseWeight final : public PackedBaseWeight {
  public:
    explicit Q8_0BaseWeight(Q8_0Weight w) : w_(std::move(w)) {}

    const Q8_0Weight& weight() const { return w_; }

    int64_t out_features() const override { return w_.rows(); }
    int64_t in_features() const override { return w_.cols(); }
    at::Tensor linear(const at::Tensor& x, const at::Tensor& bias) const override {
        return q8_0_linear(x, w_, bias);
    }
    at::Tensor dense(at::ScalarType dtype, at::Device device) const override {
        return w_.dequantize(dtype, device);
    }
    at::ScalarType original_dtype() const override { return w_.dtype; }
    at::Device device() const override { return w_.device(); }
    int64_t bytes() const override { return w_.bytes(); }

  private:
    Q8_0Weight w_;
};

}  // namespace tb
