// Launchers of the graph engine's decode kernels (decode_kernels.cu). Torch-free on purpose,
// like core/train/fused_kernels.h: the .cu file compiles with nvcc alone and engine_eager.cpp
// passes raw device pointers and the current stream. Only built when TUNEBENCH_WITH_CUDA.
//
// Why these exist: at batch 1 a Llama decode step reads every weight once (2.2 GB for the
// TinyLlama shape in bf16) and does almost no arithmetic, so it is bound by memory bandwidth
// and by how many dependent kernels it launches. The torch path runs ~25 kernels per layer
// (RMSNorm alone is six, RoPE eight) and cuBLAS's GEMV for M = 1..8 does not stream the weights
// at full bandwidth. Here a layer is five kernels, each reading its weights once with 16-byte
// loads and doing the small work around the matmul in its prologue or epilogue:
//   gemv(norm, plain)    qkv   = rmsnorm(h) W_qkv^T
//   rope_attention       attn  = softmax(rope(q) rope(K)^T * scale + bias) V, K/V written
//   gemv(residual)       h1    = h + attn W_o^T
//   gemv(norm, swiglu)   act   = silu(rmsnorm(h1) W_gate^T) * (rmsnorm(h1) W_up^T)
//   gemv(residual)       h2    = h1 + act W_down^T
//
// Rounding follows HF's PyTorch code (the same places as core/train/fused_kernels.cu): the
// RMSNorm row is rounded to the dtype before the weight multiplies it; a projection's output
// is rounded before a residual add or an activation; silu is rounded before the product; RoPE
// rounds q*cos and rotate_half(q)*sin before their sum. Dot products and softmax accumulate in
// fp32. So fp32 results match the torch path to fp32 summation order, and bf16 results stay
// within a few bf16 ulps of it.
//
// Every launcher returns "" on success, "unsupported: ..." when the shapes or alignment are
// outside what the kernel handles (the caller keeps the torch path), otherwise the CUDA error
// text. All tensors are contiguous and row-major.
#pragma once

#include <cstdint>
#include <string>

namespace tb::decodecuda {

enum class DType { F32 = 0, BF16 = 1, F16 = 2 };

enum class Epilogue {
    Plain = 0,     // y[b, n] = acc
    Residual = 1,  // y[b, n] = residual[b, n] + round(acc)
    SwiGLU = 2,    // W holds [gate; up] ([2I, K]); y[b, j] = round(silu(round(acc_j))) *
                   // round(acc_{j+I}), y: [B, I]
};

// The largest batch the GEMV kernels take (weights are read once for all rows).
constexpr int64_t kMaxGemvBatch = 8;

// y = epilogue(xin W^T): x [B, K], W [N, K], y [B, N] (SwiGLU: [B, N/2]), B <= kMaxGemvBatch.
// norm_w non-null: xin = round(norm_w * round(x * rstd)), rstd = 1/sqrt(mean(x^2) + eps) per row
// (HF LlamaRMSNorm), else xin = x. residual: [B, N] for Epilogue::Residual, may not alias y.
// Needs K a multiple of 8 and 16-byte aligned x and W.
std::string gemv(const void* x, const void* norm_w, float eps, const void* W, int64_t N, int64_t K,
                 const void* residual, void* y, int64_t B, Epilogue epilogue, DType t,
                 void* stream);

// Weight-only NF4 matrices (the quant engine's "nf4"), up to three stacked along the rows
// (q/k/v, or gate/up), each [rows[s], K] as QLoRA stores it: K/2 bytes of codes per row (64-weight
// blocks, two codes per byte, the first in the high nibble) and one fp32 scale per block (the
// double-quantised absmax decoded once at load). K must be a multiple of 64.
struct Nf4Matrix {
    const uint8_t* codes[3] = {nullptr, nullptr, nullptr};
    const float* scales[3] = {nullptr, nullptr, nullptr};
    int rows[3] = {0, 0, 0};
    int n = 0;
};
// The 16 NF4 code values (core/quant/codebook.h nf4_values()).
struct Nf4Table {
    float v[16];
};

// gemv() over NF4 weights: the same prologue and epilogues (Plain needs the RMSNorm prologue
// here; SwiGLU takes the gate and up matrices as w.codes[0], w.codes[1]).
std::string gemv_nf4(const void* x, const void* norm_w, float eps, const Nf4Matrix& w, int64_t K,
                     const void* residual, void* y, int64_t B, Epilogue epilogue,
                     const Nf4Table& table, DType t, void* stream);

// One decode step's attention for every (row, query head), with RoPE and the cache write:
//   qkv  [B, nh + 2*nkv, hd]: this step's q, k, v (k and v not roped yet)
//   cos, sin [rows, hd]: HF's tables in the dtype; row pos[b] is used for row b
//   pos  [B] int64 (device): each row's position; slot [1] int64 (device): the cache index
//        this step writes (the same for every row, as in the graph engine)
//   kcache, vcache [B, nkv, cap, hd]: roped k and v are written at `slot`; keys 0..slot are
//        attended (keys after the slot are not written yet)
//   bias [B, cap] additive (0 / lowest: padding) or null
//   out  [B, nh*hd]
// Query head h attends with KV head h / (nh / nkv) (GQA without expanding K/V). hd: 8, 16, 32,
// 64 or 128 (rows of a multiple of 16 bytes); cap * 4 bytes of scores must fit in shared memory
// (cap <= 32768).
std::string rope_attention_decode(const void* qkv, const void* cos, const void* sin,
                                  const int64_t* pos, const int64_t* slot, void* kcache,
                                  void* vcache, const void* bias, void* out, int64_t B, int64_t nh,
                                  int64_t nkv, int64_t hd, int64_t cap, float scale, DType t,
                                  void* stream);

}  // namespace tb::decodecuda
