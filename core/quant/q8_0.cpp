#include "core/quant/q8_0.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/common/tensor_bytes.h"
#include "core/quant/q8_0_cpu.h"

namespace tb {

namespace {

// Rows [r0, r0 + n) of `w` as float32 [n, cols], on w's device.
at::Tensor dequantize_rows(const Q8_0Weight& w, int64_t r0, int64_t n) {
    const int64_t nb = w.cols() / kQ8Block;
    at::Tensor q = w.qs.narrow(0, r0, n).to(at::kFloat).view({n, nb, kQ8Block});
    at::Tensor d = w.d.narrow(0, r0, n).to(at::kFloat).unsqueeze(-1);  // [n, nb, 1]
    // |q| <= 127 (7 bits) times an fp16 value (11 bits): the product is exact in float32.
    return (q * d).view({n, w.cols()});
}

// The rule of q8_0.h with torch ops, for any device. Every step is one IEEE operation that
// CPU and CUDA round alike; the divisions are tensor / tensor because ATen's CUDA division by
// a CPU scalar multiplies by its reciprocal (a different rounding), and the rounding is
// written out because torch.round rounds halves to even where roundf goes away from zero.
Q8_0Weight quantize_torch(const at::Tensor& w) {
    const int64_t rows = w.size(0), cols = w.size(1), nb = cols / kQ8Block;
    const at::Tensor x = w.to(at::kFloat).contiguous().view({rows, nb, kQ8Block});
    const auto fopt = x.options();
    const at::Tensor amax = x.abs().amax({2}, /*keepdim=*/true);  // [rows, nb, 1]
    const at::Tensor d = amax / at::full({}, 127.0f, fopt);
    const at::Tensor id =
        at::where(d != 0, at::ones({}, fopt) / d, at::zeros({}, fopt));  // 1/0 is not used
    const at::Tensor v = x * id;
    // roundf(v): trunc(v) plus the sign of v when the dropped fraction (exact: v - trunc(v))
    // is at least one half.
    const at::Tensor t = at::trunc(v);
    const at::Tensor up = (v - t).abs() >= 0.5;
    const at::Tensor q = at::where(up, t + at::sign(v), t);
    Q8_0Weight out;
    out.qs = q.to(at::kChar).view({rows, cols}).contiguous();
    out.d = d.view({rows, nb}).to(at::kHalf).contiguous();
    return out;
}

// The scalar rule (q8cpu::quantize_row) over rows, in parallel.
Q8_0Weight quantize_cpu_rows(const at::Tensor& w) {
    const int64_t rows = w.size(0), cols = w.size(1), nb = cols / kQ8Block;
    const at::Tensor x = w.to(at::kFloat).contiguous();
    Q8_0Weight out;
    out.qs = at::empty({rows, cols}, at::TensorOptions().dtype(at::kChar));
    out.d = at::empty({rows, nb}, at::TensorOptions().dtype(at::kHalf));
    const float* xp = x.data_ptr<float>();
    int8_t* qp = out.qs.data_ptr<int8_t>();
    at::Half* dp = out.d.data_ptr<at::Half>();
    at::parallel_for(0, rows, std::max<int64_t>(1, 65536 / cols), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r)
            q8cpu::quantize_row(xp + r * cols, cols, qp + r * cols, dp + r * nb);
    });
    return out;
}

// TB_Q8_PREFILL=fp32: more than kQ8DotMaxRows rows take the former prefill path (dequantised
// tiles, float32 GEMM: the activation is not quantised) instead of the int8 matmul.
bool prefill_dequantises() {
    static const bool fp32 = [] {
        const char* e = std::getenv("TB_Q8_PREFILL");
        return e != nullptr && std::strcmp(e, "fp32") == 0;
    }();
    return fp32;
}

}  // namespace

int64_t Q8_0Weight::bytes() const { return tensor_bytes(qs) + tensor_bytes(d); }

at::Tensor Q8_0Weight::dequantize(at::ScalarType dtype_out, at::Device dev) const {
    torch::NoGradGuard no_grad;
    return dequantize_rows(*this, 0, rows()).to(dev, dtype_out);
}

Q8_0Weight Q8_0Weight::to(at::Device dev) const {
    Q8_0Weight w = *this;
    w.qs = qs.to(dev);
    w.d = d.to(dev);
    return w;
}

Result<Q8_0Weight> quantize_q8_0(const at::Tensor& w, const Q8_0Options& opts) {
    if (!w.defined() || w.numel() == 0) return make_error("quantize_q8_0", "empty tensor");
    if (w.dim() != 2)
        return make_error("quantize_q8_0",
                          "expected a 2-D weight, got " + std::to_string(w.dim()) + " dims");
    if (!at::isFloatingType(w.scalar_type()))
        return make_error("quantize_q8_0", std::string("unsupported dtype ") +
                                               c10::toString(w.scalar_type()) +
                                               " (need a float tensor)");
    if (w.size(1) % kQ8Block != 0)
        return make_error("quantize_q8_0", "row length " + std::to_string(w.size(1)) +
                                               " is not a multiple of 32 (Q8_0's block)");
    torch::NoGradGuard no_grad;
    const at::Tensor x = w.detach();
    Q8_0Weight q = x.is_cpu() && !opts.torch_ops ? quantize_cpu_rows(x) : quantize_torch(x);
    q.dtype = w.scalar_type();
    return q;
}

at::Tensor q8_0_linear(const at::Tensor& x, const Q8_0Weight& w, const at::Tensor& bias) {
    TORCH_CHECK(x.size(-1) == w.cols(), "q8_0_linear: x has ", x.size(-1),
                " features, the weight expects ", w.cols());
    const int64_t K = w.cols(), N = w.rows();
    std::vector<int64_t> out_shape = x.sizes().vec();
    out_shape.back() = N;
    if (!x.device().is_cpu() || !w.device().is_cpu()) {
        // CUDA: dequantise for this call only, in x's dtype (see q8_0.h).
        const at::Tensor wd = w.dequantize(x.scalar_type(), x.device());
        return bias.defined() ? at::linear(x, wd, bias.to(x.scalar_type())) : at::linear(x, wd);
    }
    const int64_t M = K > 0 ? x.numel() / K : 0;
    const at::Tensor xf = x.reshape({M, K}).to(at::kFloat).contiguous();
    at::Tensor y = at::empty({M, N}, xf.options());
    if (M <= kQ8DotMaxRows || !prefill_dequantises()) {
        q8cpu::matmul(q8cpu::best_kernel(), xf.data_ptr<float>(), M, K, w.qs.data_ptr<int8_t>(),
                      reinterpret_cast<const c10::Half*>(w.d.data_ptr<at::Half>()), N,
                      y.data_ptr<float>());
    } else {
        // Tiles of about 1 M float32 weights (4 MB): dequantised, multiplied, dropped.
        const int64_t tile = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(K, 1));
        for (int64_t n0 = 0; n0 < N; n0 += tile) {
            const int64_t n = std::min(tile, N - n0);
            y.narrow(1, n0, n).copy_(at::mm(xf, dequantize_rows(w, n0, n).t()));
        }
    }
    if (bias.defined()) y.add_(bias.to(at::kFloat));
    return y.view(out_shape).to(x.scalar_type());
}

}  // namespace tb
