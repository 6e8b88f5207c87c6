// Launchers of the fused backend's hand-written CUDA kernels (fused_kernels.cu). Torch-free on
// purpose, like core/quant/nf4_cuda.h: the .cu file compiles with nvcc alone and fused_ops.cpp
// passes raw device pointers and the current stream. Only built when TUNEBENCH_WITH_CUDA.
//
// Every launcher returns "" on success, otherwise the CUDA error text (the caller turns it
// into an exception at the op boundary). All tensors are contiguous, row-major.
#pragma once

#include <cstdint>
#include <string>

namespace tb::fusedcuda {

enum class DType { F32 = 0, BF16 = 1, F16 = 2 };

// y[r, :] = w * to_dtype(x[r, :] * rstd[r]),  rstd[r] = 1 / sqrt(mean(x[r, :]^2) + eps)
// (HF LlamaRMSNorm's rounding: the normalised row is cast to the activation dtype before the
// weight multiplies it). x, y: [rows, h] in `t`; w: [h] in `t`; rstd: [rows] fp32 (saved for
// backward).
std::string rmsnorm_forward(const void* x, const void* w, void* y, float* rstd, int64_t rows,
                            int64_t h, float eps, DType t, void* stream);

// dx[r, :] = rstd * (g - xhat * mean(g * xhat)),  g = dy * w,  xhat = x * rstd (all in fp32).
// dx may alias dy.
std::string rmsnorm_backward(const void* dy, const void* x, const void* w, const float* rstd,
                             void* dx, int64_t rows, int64_t h, DType t, void* stream);

// Rotary embedding, HF's rotate-half convention, on x [tokens, heads, hd]:
//   out = x * cos + rotate_half(x) * (sign * sin),  rotate_half(x) = cat(-x2, x1)
// cos/sin: [tokens, hd] fp32 (the same for every head). sign = -1 is the backward (the tables
// are cat(f, f), so the transpose of the rotation is the rotation by -theta). out may alias x.
std::string rope_apply(const void* x, const float* cos, const float* sin, void* out, int64_t tokens,
                       int64_t heads, int64_t hd, float sign, DType t, void* stream);

// a = silu(g) * u elementwise (n values), rounding like at::silu(g) * u: silu rounded to the
// dtype, then the product rounded.
std::string swiglu_forward(const void* g, const void* u, void* a, int64_t n, DType t, void* stream);

// Backward of a = silu(g) * u given da; writes dg over g and du over u (g and u are not needed
// afterwards, so the MLP backward allocates nothing here).
std::string swiglu_backward(const void* da, void* g_to_dg, void* u_to_du, int64_t n, DType t,
                            void* stream);

// Cross-entropy over one chunk of rows, in place. logits: [rows, vocab] in `t`; labels: [rows]
// int64 (-100 = ignored). Per row: loss[r] = logsumexp(logits[r]) - logits[r, label] in fp32
// (0 when ignored); then logits[r, :] is overwritten with its gradient
// (softmax(logits[r]) - onehot(label)) * grad_scale (zeros when ignored).
std::string cross_entropy_chunk(void* logits, const int64_t* labels, float* loss, int64_t rows,
                                int64_t vocab, float grad_scale, DType t, void* stream);

// Seeded dropout: out[i] = keep(i) ? in[i] * scale : 0 over n values, and its accumulating form
// acc[i] += keep(i) ? in[i] * scale : 0 (the input-gradient term of a LoRA branch, one rounding
// like at::add_ with alpha). keep(i) is a pure function of (*seed, salt, i): the i-th value of
// the splitmix64 sequence started at *seed + salt * 0xD1B54A32D192ED03, kept when its 32-bit
// half is >= threshold (threshold = round(p * 2^32)). So the mask is never stored: forward and
// backward regenerate it from the 8-byte seed, which lives on the device (drawn by torch's CUDA
// generator, so CUDA graph replays and checkpoint recomputation get the same draws as torch's
// own dropout would). `salt` gives the projections that share one seed their own masks.
std::string seeded_dropout(const void* in, void* out, int64_t n, const int64_t* seed, uint64_t salt,
                           uint32_t threshold, float scale, DType t, void* stream);
std::string seeded_dropout_accumulate(const void* in, void* acc, int64_t n, const int64_t* seed,
                                      uint64_t salt, uint32_t threshold, float scale, DType t,
                                      void* stream);

}  // namespace tb::fusedcuda
