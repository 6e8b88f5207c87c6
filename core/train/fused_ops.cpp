#include "core/train/fused_ops.h"

#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "core/common/torch_compat.h"

#if defined(TUNEBENCH_WITH_CUDA)
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "core/train/fused_kernels.h"
#endif

// g++ 13 reports false -Warray-bounds / -Wstringop-overflow inside libstdc++'s vector<bool> as
// inlined into torch::autograd::Function::apply (torch's header, not this code); see qlora.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

namespace tb::fused {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// ---------------------------------------------------------------------------------------
// CUDA plumbing

#if defined(TUNEBENCH_WITH_CUDA)
bool use_kernels(const at::Tensor& t) { return t.is_cuda(); }

fusedcuda::DType kernel_dtype(const at::Tensor& t) {
    switch (t.scalar_type()) {
        case at::kFloat:
            return fusedcuda::DType::F32;
        case at::kBFloat16:
            return fusedcuda::DType::BF16;
        case at::kHalf:
            return fusedcuda::DType::F16;
        default:
            TORCH_CHECK(false, "fused kernels: unsupported dtype ", t.scalar_type());
    }
}

void* stream_of(const at::Tensor& t) {
    return c10::cuda::getCurrentCUDAStream(t.device().index()).stream();
}

void check_launch(const std::string& err) { TORCH_CHECK(err.empty(), "fused kernel: ", err); }
#else
bool use_kernels(const at::Tensor&) { return false; }
#endif

// ---------------------------------------------------------------------------------------
// Pieces shared by the Functions

// Frozen base projection without autograd (callers are Function forwards).
at::Tensor base_linear(const LoraLinear& lin, const at::Tensor& x2) {
    if (lin.is_packed()) return lin.packed->linear(x2, lin.bias);
    return lin.bias.defined() ? at::linear(x2, lin.weight, lin.bias) : at::linear(x2, lin.weight);
}

// What a LoRA branch keeps for backward.
struct LoraState {
    at::Tensor keep;   // dropout, undefined without it. CUDA: the [1] int64 device seed of the
                       // mask (fusedcuda::seeded_dropout regenerates it); CPU: the scaled noise
                       // [N, in] (0 or 1/(1-p)) that the reference's at::dropout multiplies by
    int64_t salt = 0;  // CUDA: this branch's salt for a seed shared with others
    at::Tensor u;      // [N, r] dropout(x) A^T in the activation dtype
    at::Tensor A_cd;   // CUDA: A [r, in] and B [out, r] cast to the activation dtype in
    at::Tensor B_cd;   //   forward, kept so that backward does not cast them again
};

#if defined(TUNEBENCH_WITH_CUDA)
// p as the kernels' 32-bit keep threshold.
uint32_t dropout_threshold(double p) {
    const double t = std::round(p * 4294967296.0);
    return t >= 4294967295.0 ? 4294967295u : static_cast<uint32_t>(t);
}

// A fresh mask seed from torch's CUDA generator: graph capture and checkpoint recomputation
// replay it like any torch random op.
at::Tensor draw_dropout_seed(const at::Tensor& like) {
    return at::randint(0, std::numeric_limits<int64_t>::max(), {1},
                       like.options().dtype(at::kLong));
}

// acc += dropout(t) under the mask of `seed` (acc and t: [N, in], same dtype).
void seeded_dropout_add_(at::Tensor& acc, const at::Tensor& t, const at::Tensor& seed, double p,
                         int64_t salt) {
    c10::cuda::CUDAGuard guard(t.device());
    TORCH_CHECK(
        acc.is_contiguous() && acc.sizes() == t.sizes() && acc.scalar_type() == t.scalar_type(),
        "seeded_dropout_add_: acc must be a contiguous tensor shaped like t");
    at::Tensor tc = t.contiguous();
    check_launch(fusedcuda::seeded_dropout_accumulate(
        tc.data_ptr(), acc.data_ptr(), tc.numel(), seed.data_ptr<int64_t>(),
        static_cast<uint64_t>(salt), dropout_threshold(p), static_cast<float>(1.0 / (1.0 - p)),
        kernel_dtype(tc), stream_of(tc)));
}
#endif

// Applies the dropout mask recorded in forward to t [N, in].
at::Tensor apply_keep(const LoraLinear& lin, const at::Tensor& t, const LoraState& s) {
    if (!s.keep.defined()) return t;
    if (t.is_cuda()) return seeded_dropout(t, s.keep, lin.lora.dropout, s.salt);
    return t * s.keep;
}

// y += scale * (dropout(x2) A^T) B^T; x2: [N, in], y: [N, out]. On CPU the dropout noise comes
// from the default generator exactly as at::dropout draws it (LoraLinear::forward), so the
// masks - and the losses - equal the reference backend's. On CUDA the mask is the seeded one;
// `mb` (may be null) supplies the cast A/B and the seed shared by the micro-batch.
LoraState lora_forward_into(const LoraLinear& lin, const at::Tensor& x2, bool training,
                            at::Tensor& y, const LoraMicroBatch* mb) {
    const LoraBranch& L = lin.lora;
    const auto cd = x2.scalar_type();
    const LoraMicroBatch::Branch* pre = mb && x2.is_cuda() ? mb->find(L) : nullptr;
    if (pre && pre->A.scalar_type() != cd) pre = nullptr;
    LoraState s;
    at::Tensor xd = x2;
    if (training && L.dropout > 0.0) {
        if (x2.is_cuda()) {
            if (pre && mb->seed.defined()) {
                s.keep = mb->seed;
                s.salt = pre->salt;
            } else {
#if defined(TUNEBENCH_WITH_CUDA)
                s.keep = draw_dropout_seed(x2);
#endif
            }
            xd = seeded_dropout(x2, s.keep, L.dropout, s.salt);
        } else {
            at::Tensor noise = at::empty_like(x2).bernoulli_(1.0 - L.dropout);
            noise.div_(1.0 - L.dropout);
            xd = x2 * noise;
            s.keep = noise;
        }
    }
    if (x2.is_cuda()) {
        s.A_cd = pre ? pre->A : L.A.to(cd);
        s.B_cd = pre ? pre->B : L.B.to(cd);
        s.u = at::mm(xd, s.A_cd.t());
        // One GEMM accumulating into the base output: no [N, out] temporaries.
        y.addmm_(s.u, s.B_cd.t(), 1.0, L.scale);
    } else {
        s.u = at::linear(xd, L.A.to(cd));
        y = y + at::linear(s.u, L.B.to(cd)) * L.scale;  // LoraLinear::forward's rounding
    }
    return s;
}

// Gradients of a LoRA branch for output gradient dy [N, out]: dA, dB (in the LoRA tensors'
// dtype) and, when dx is defined, the input gradient added into dx [N, in]. On CPU the order of
// the operations is autograd's for the forward above (dl = dy * scale first).
void lora_backward(const LoraLinear& lin, const at::Tensor& x2, const LoraState& s,
                   const at::Tensor& dy, at::Tensor* dx, at::Tensor* dA, at::Tensor* dB) {
    const LoraBranch& L = lin.lora;
    const auto cd = dy.scalar_type();
    if (dy.is_cuda()) {
        // Scale the small [N, r] / [out, r] products instead of dy, and accumulate dx with
        // addmm: the only [N, in] temporary is the dropped-out input for dA.
        const at::Tensor& A = s.A_cd;
        const at::Tensor& B = s.B_cd;
        // dA/dB come out of the GEMM in the LoRA tensors' dtype (fp32) where libtorch can.
        if (dB) *dB = compat::mm_as(dy.t(), s.u, L.B.scalar_type()).mul_(L.scale);  // [out, r]
        at::Tensor du = at::mm(dy, B).mul_(L.scale);                                // [N, r]
        if (dA) *dA = compat::mm_as(du.t(), apply_keep(lin, x2, s), L.A.scalar_type());
        if (dx) {
            if (!s.keep.defined()) {
                dx->addmm_(du, A);
            } else {
#if defined(TUNEBENCH_WITH_CUDA)
                seeded_dropout_add_(*dx, at::mm(du, A), s.keep, L.dropout, s.salt);  // [N, in]
#endif
            }
        }
        return;
    }
    at::Tensor dl = dy * L.scale;                                 // [N, out]
    if (dB) *dB = at::matmul(dl.t(), s.u).to(L.B.scalar_type());  // [out, r]
    at::Tensor du = at::matmul(dl, L.B.to(cd));                   // [N, r]
    if (dA) *dA = at::matmul(du.t(), apply_keep(lin, x2, s)).to(L.A.scalar_type());
    if (dx) dx->add_(apply_keep(lin, at::matmul(du, L.A.to(cd)), s));  // [N, in]
}

// Input gradient of the frozen base: dy [N, out] -> [N, in] (NF4 weights decoded for the call).
at::Tensor base_input_grad(const LoraLinear& lin, const at::Tensor& dy) {
    return at::matmul(dy, lin.base_weight(dy.scalar_type()));
}

void store_state(AutogradContext* ctx, const std::string& prefix, const LoraState& s) {
    ctx->saved_data[prefix + "keep"] = s.keep;
    ctx->saved_data[prefix + "salt"] = s.salt;
    ctx->saved_data[prefix + "u"] = s.u;
    ctx->saved_data[prefix + "A_cd"] = s.A_cd;
    ctx->saved_data[prefix + "B_cd"] = s.B_cd;
}

LoraState load_state(AutogradContext* ctx, const std::string& prefix) {
    LoraState s;
    s.keep = ctx->saved_data[prefix + "keep"].toTensor();
    s.salt = ctx->saved_data[prefix + "salt"].toInt();
    s.u = ctx->saved_data[prefix + "u"].toTensor();
    s.A_cd = ctx->saved_data[prefix + "A_cd"].toTensor();
    s.B_cd = ctx->saved_data[prefix + "B_cd"].toTensor();
    return s;
}

at::Tensor swiglu(const at::Tensor& g, const at::Tensor& u) {
#if defined(TUNEBENCH_WITH_CUDA)
    if (use_kernels(g)) {
        c10::cuda::CUDAGuard guard(g.device());
        at::Tensor a = at::empty_like(g);
        check_launch(fusedcuda::swiglu_forward(g.data_ptr(), u.data_ptr(), a.data_ptr(), g.numel(),
                                               kernel_dtype(g), stream_of(g)));
        return a;
    }
#endif
    return at::silu(g) * u;
}

// ---------------------------------------------------------------------------------------
// RMSNorm

// y = rms_norm(x2) for rows x2 [N, H] (contiguous), with the fp32 rstd [N] backward needs.
std::pair<at::Tensor, at::Tensor> rms_norm_rows(const at::Tensor& x2, const at::Tensor& w,
                                                double eps) {
#if defined(TUNEBENCH_WITH_CUDA)
    if (use_kernels(x2)) {
        c10::cuda::CUDAGuard guard(x2.device());
        at::Tensor y = at::empty_like(x2);
        at::Tensor rstd = at::empty({x2.size(0)}, x2.options().dtype(at::kFloat));
        at::Tensor wc = w.to(x2.scalar_type()).contiguous();
        check_launch(fusedcuda::rmsnorm_forward(
            x2.data_ptr(), wc.data_ptr(), y.data_ptr(), rstd.data_ptr<float>(), x2.size(0),
            x2.size(1), static_cast<float>(eps), kernel_dtype(x2), stream_of(x2)));
        return {y, rstd};
    }
#endif
    // LlamaModel::rms_norm's op sequence (equal bit for bit in fp32).
    at::Tensor xf = x2.to(at::kFloat);
    at::Tensor r = at::rsqrt(xf.pow(2).mean(-1, true) + eps);  // [N, 1]
    return {w * (xf * r).to(x2.scalar_type()), r.squeeze(-1)};
}

// Input gradient of rms_norm_rows for dy [N, H].
at::Tensor rms_norm_rows_backward(const at::Tensor& dy, const at::Tensor& x2, const at::Tensor& w,
                                  const at::Tensor& rstd) {
#if defined(TUNEBENCH_WITH_CUDA)
    if (use_kernels(x2)) {
        c10::cuda::CUDAGuard guard(x2.device());
        at::Tensor dyc = dy.contiguous();
        at::Tensor dx = at::empty_like(x2);
        at::Tensor wc = w.to(x2.scalar_type()).contiguous();
        check_launch(fusedcuda::rmsnorm_backward(dyc.data_ptr(), x2.data_ptr(), wc.data_ptr(),
                                                 rstd.data_ptr<float>(), dx.data_ptr(), x2.size(0),
                                                 x2.size(1), kernel_dtype(x2), stream_of(x2)));
        return dx;
    }
#endif
    at::Tensor r = rstd.unsqueeze(-1);
    at::Tensor xhat = x2.to(at::kFloat) * r;
    at::Tensor g = dy.to(at::kFloat) * w.to(at::kFloat);
    return (r * (g - xhat * (g * xhat).mean(-1, true))).to(x2.scalar_type());
}

class RmsNormFn : public torch::autograd::Function<RmsNormFn> {
  public:
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                              double eps) {
        const int64_t H = x.size(-1);
        at::Tensor x2 = x.contiguous().view({-1, H});
        auto [y, rstd] = rms_norm_rows(x2, w, eps);
        ctx->save_for_backward({x2, w});
        ctx->saved_data["rstd"] = rstd;
        ctx->saved_data["shape"] = x.sizes();
        return y.view(x.sizes());
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor& x2 = saved[0];
        const at::Tensor& w = saved[1];
        at::Tensor rstd = ctx->saved_data["rstd"].toTensor();
        const auto shape = ctx->saved_data["shape"].toIntVector();
        if (!ctx->needs_input_grad(0)) return {at::Tensor(), at::Tensor(), at::Tensor()};
        at::Tensor dy = grad[0].contiguous().view(x2.sizes());
        at::Tensor dx = rms_norm_rows_backward(dy, x2, w, rstd);
        return {dx.view(shape), at::Tensor(), at::Tensor()};
    }
};

// ---------------------------------------------------------------------------------------
// RoPE

// cat(-x2, x1) over the last dim, and its transpose cat(x2, -x1).
at::Tensor rotate_half(const at::Tensor& x) {
    const int64_t h = x.size(-1) / 2;
    return at::cat({-x.slice(-1, h), x.slice(-1, 0, h)}, -1);
}
at::Tensor rotate_half_t(const at::Tensor& x) {
    const int64_t h = x.size(-1) / 2;
    return at::cat({x.slice(-1, h), -x.slice(-1, 0, h)}, -1);
}

class RopeFn : public torch::autograd::Function<RopeFn> {
  public:
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& cos,
                              const at::Tensor& sin) {
        ctx->saved_data["cos"] = cos;
        ctx->saved_data["sin"] = sin;
#if defined(TUNEBENCH_WITH_CUDA)
        if (use_kernels(x)) {
            c10::cuda::CUDAGuard guard(x.device());
            at::Tensor xc = x.contiguous();
            at::Tensor out = at::empty_like(xc);
            check_launch(fusedcuda::rope_apply(
                xc.data_ptr(), cos.data_ptr<float>(), sin.data_ptr<float>(), out.data_ptr(),
                x.size(0) * x.size(1), x.size(2), x.size(3), 1.0f, kernel_dtype(x), stream_of(x)));
            return out;
        }
#endif
        return x * cos + rotate_half(x) * sin;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad) {
        at::Tensor cos = ctx->saved_data["cos"].toTensor();
        at::Tensor sin = ctx->saved_data["sin"].toTensor();
        at::Tensor dy = grad[0];
#if defined(TUNEBENCH_WITH_CUDA)
        if (use_kernels(dy)) {
            c10::cuda::CUDAGuard guard(dy.device());
            at::Tensor dyc = dy.contiguous();
            at::Tensor dx = at::empty_like(dyc);
            check_launch(fusedcuda::rope_apply(dyc.data_ptr(), cos.data_ptr<float>(),
                                               sin.data_ptr<float>(), dx.data_ptr(),
                                               dy.size(0) * dy.size(1), dy.size(2), dy.size(3),
                                               -1.0f, kernel_dtype(dy), stream_of(dy)));
            return {dx, at::Tensor(), at::Tensor()};
        }
#endif
        return {dy * cos + rotate_half_t(dy * sin), at::Tensor(), at::Tensor()};
    }
};

// ---------------------------------------------------------------------------------------
// LoRA linear

class LoraLinearFn : public torch::autograd::Function<LoraLinearFn> {
  public:
    // A and B are inputs so that their gradients flow; `lin` carries the frozen base, scale
    // and dropout.
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& A,
                              const at::Tensor& B, const LoraLinear* lin, bool training,
                              const LoraMicroBatch* mb) {
        (void)A;
        (void)B;
        std::vector<int64_t> shape = x.sizes().vec();
        at::Tensor x2 = x.reshape({-1, shape.back()});
        at::Tensor y = base_linear(*lin, x2);
        LoraState s = lora_forward_into(*lin, x2, training, y, mb);
        ctx->save_for_backward({x2});
        store_state(ctx, "", s);
        ctx->saved_data["lin"] = reinterpret_cast<int64_t>(lin);
        ctx->saved_data["shape"] = x.sizes();
        shape.back() = y.size(1);
        return y.view(shape);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad) {
        const auto* lin = reinterpret_cast<const LoraLinear*>(ctx->saved_data["lin"].toInt());
        const at::Tensor x2 = ctx->get_saved_variables()[0];
        const LoraState s = load_state(ctx, "");
        const auto shape = ctx->saved_data["shape"].toIntVector();
        at::Tensor dy = grad[0].reshape({x2.size(0), -1});
        at::Tensor dx, dA, dB;
        if (ctx->needs_input_grad(0)) dx = base_input_grad(*lin, dy);
        lora_backward(*lin, x2, s, dy, dx.defined() ? &dx : nullptr,
                      ctx->needs_input_grad(1) ? &dA : nullptr,
                      ctx->needs_input_grad(2) ? &dB : nullptr);
        return {
            dx.defined() ? dx.view(shape) : dx, dA, dB, at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

// ---------------------------------------------------------------------------------------
// Input RMSNorm + q/k/v projections

struct NormQkvArgs {
    const at::Tensor* norm_w;  // [H] frozen
    double eps;
    const LoraLinear* proj[3];  // q, k, v
    bool training;
    const LoraMicroBatch* mb;  // may be null
};

class NormQkvFn : public torch::autograd::Function<NormQkvFn> {
  public:
    // `params`: the LoRA A, B of q, k, v (those that have a branch), in that order.
    // Returns {q [N, out_q], k [N, out_k], v [N, out_v]} for the rows of h.
    static variable_list forward(AutogradContext* ctx, const at::Tensor& h, at::TensorList params,
                                 const NormQkvArgs* args) {
        const int64_t H = h.size(-1);
        at::Tensor h2 = h.contiguous().view({-1, H});  // [N, H]
        at::Tensor x, rstd;
        std::tie(x, rstd) = rms_norm_rows(h2, *args->norm_w, args->eps);
        variable_list out;
        for (int j = 0; j < 3; ++j) {
            const LoraLinear& lin = *args->proj[j];
            at::Tensor y = base_linear(lin, x);
            LoraState st;
            if (lin.lora.defined()) st = lora_forward_into(lin, x, args->training, y, args->mb);
            store_state(ctx, std::to_string(j), st);
            ctx->saved_data["lin" + std::to_string(j)] = reinterpret_cast<int64_t>(args->proj[j]);
            out.push_back(y);
        }
        // x goes out of scope here: backward recomputes it from h and rstd (one row kernel)
        // rather than keeping [N, H] per layer alive until backward.
        ctx->save_for_backward({h2});
        ctx->saved_data["w"] = *args->norm_w;
        ctx->saved_data["rstd"] = rstd;
        ctx->saved_data["eps"] = args->eps;
        ctx->saved_data["shape"] = h.sizes();
        ctx->saved_data["n_params"] = static_cast<int64_t>(params.size());
        return out;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad) {
        const at::Tensor h2 = ctx->get_saved_variables()[0];
        const at::Tensor w = ctx->saved_data["w"].toTensor();
        const at::Tensor rstd = ctx->saved_data["rstd"].toTensor();
        const double eps = ctx->saved_data["eps"].toDouble();
        const auto shape = ctx->saved_data["shape"].toIntVector();
        const int64_t n_params = ctx->saved_data["n_params"].toInt();
        const LoraLinear* lins[3];
        LoraState st[3];
        for (int j = 0; j < 3; ++j) {
            lins[j] = reinterpret_cast<const LoraLinear*>(
                ctx->saved_data["lin" + std::to_string(j)].toInt());
            st[j] = load_state(ctx, std::to_string(j));
        }
        ctx->saved_data.clear();

        // The same values forward computed (same op or kernel on the same input).
        const at::Tensor x = rms_norm_rows(h2, w, eps).first;
        at::Tensor dx;  // [N, H]
        variable_list out{at::Tensor()};
        for (int j = 0; j < 3; ++j) {
            const LoraLinear& lin = *lins[j];
            at::Tensor dA, dB;
            if (grad[j].defined()) {
                at::Tensor dy = grad[j].reshape({h2.size(0), -1});
                at::Tensor bx = base_input_grad(lin, dy);
                dx = dx.defined() ? dx.add_(bx) : bx;
                if (lin.lora.defined()) lora_backward(lin, x, st[j], dy, &dx, &dA, &dB);
            }
            if (lin.lora.defined()) out.insert(out.end(), {dA, dB});
        }
        TORCH_CHECK(static_cast<int64_t>(out.size()) == 1 + n_params,
                    "norm_qkv: LoRA branches changed between forward and backward");
        if (dx.defined()) out[0] = rms_norm_rows_backward(dx, h2, w, rstd).view(shape);
        out.push_back(at::Tensor());  // args
        return out;
    }
};

// ---------------------------------------------------------------------------------------
// SwiGLU MLP

struct MlpArgs {
    const LoraLinear* gate;
    const LoraLinear* up;
    const LoraLinear* down;
    bool training;
    const LoraMicroBatch* mb;  // may be null
};

class MlpFn : public torch::autograd::Function<MlpFn> {
  public:
    // `params`: the LoRA A, B of gate, up, down (those that have a branch), in that order.
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& y, at::TensorList params,
                              const MlpArgs* args) {
        const int64_t H = y.size(-1);
        at::Tensor y2 = y.reshape({-1, H});
        const LoraLinear &gate = *args->gate, &up = *args->up, &down = *args->down;
        at::Tensor g = base_linear(gate, y2);
        LoraState sg, su, sd;
        if (gate.lora.defined()) sg = lora_forward_into(gate, y2, args->training, g, args->mb);
        at::Tensor u = base_linear(up, y2);
        if (up.lora.defined()) su = lora_forward_into(up, y2, args->training, u, args->mb);
        at::Tensor a = swiglu(g, u);
        at::Tensor out = base_linear(down, a);
        if (down.lora.defined()) sd = lora_forward_into(down, a, args->training, out, args->mb);
        // The MLP input is needed only for the gate/up LoRA gradients.
        ctx->saved_data["y2"] = gate.lora.defined() || up.lora.defined() ? y2 : at::Tensor();
        ctx->saved_data["g"] = g;
        ctx->saved_data["u"] = u;
        store_state(ctx, "g_", sg);
        store_state(ctx, "u_", su);
        store_state(ctx, "d_", sd);
        ctx->saved_data["gate"] = reinterpret_cast<int64_t>(args->gate);
        ctx->saved_data["up"] = reinterpret_cast<int64_t>(args->up);
        ctx->saved_data["down"] = reinterpret_cast<int64_t>(args->down);
        ctx->saved_data["shape"] = y.sizes();
        ctx->saved_data["n_params"] = static_cast<int64_t>(params.size());
        return out.view(y.sizes());
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad) {
        const auto* gate = reinterpret_cast<const LoraLinear*>(ctx->saved_data["gate"].toInt());
        const auto* up = reinterpret_cast<const LoraLinear*>(ctx->saved_data["up"].toInt());
        const auto* down = reinterpret_cast<const LoraLinear*>(ctx->saved_data["down"].toInt());
        at::Tensor y2 = ctx->saved_data["y2"].toTensor();
        at::Tensor g = ctx->saved_data["g"].toTensor();
        at::Tensor u = ctx->saved_data["u"].toTensor();
        const LoraState sg = load_state(ctx, "g_"), su = load_state(ctx, "u_"),
                        sd = load_state(ctx, "d_");
        const auto shape = ctx->saved_data["shape"].toIntVector();
        const int64_t n_params = ctx->saved_data["n_params"].toInt();
        // The saved tensors go out of the context now: nothing else reads them, and g and u
        // are overwritten below.
        ctx->saved_data.clear();

        at::Tensor dout = grad[0].reshape({g.size(0), -1});  // [N, H]
        std::vector<at::Tensor> pgrads;

        // down projection: input gradient da [N, I], LoRA grads from the recomputed a
        at::Tensor da = base_input_grad(*down, dout);
        at::Tensor dA_d, dB_d;
        if (down->lora.defined()) {
            at::Tensor a = swiglu(g, u);
            lora_backward(*down, a, sd, dout, &da, &dA_d, &dB_d);
        }

        // SwiGLU: dg, du
        at::Tensor dg, du;
#if defined(TUNEBENCH_WITH_CUDA)
        if (use_kernels(g)) {
            c10::cuda::CUDAGuard guard(g.device());
            at::Tensor dac = da.contiguous();
            check_launch(fusedcuda::swiglu_backward(dac.data_ptr(), g.data_ptr(), u.data_ptr(),
                                                    g.numel(), kernel_dtype(g), stream_of(g)));
            dg = g;
            du = u;
        }
#endif
        if (!dg.defined()) {
            // autograd's order for at::silu(g) * u
            at::Tensor d_silu = da * u;
            du = da * at::silu(g);
            dg = at::silu_backward(d_silu, g);
        }
        da = at::Tensor();

        at::Tensor dy2 = base_input_grad(*gate, dg);
        dy2.add_(base_input_grad(*up, du));
        at::Tensor dA_g, dB_g, dA_u, dB_u;
        if (gate->lora.defined()) lora_backward(*gate, y2, sg, dg, &dy2, &dA_g, &dB_g);
        if (up->lora.defined()) lora_backward(*up, y2, su, du, &dy2, &dA_u, &dB_u);

        variable_list out{dy2.view(shape)};
        if (gate->lora.defined()) out.insert(out.end(), {dA_g, dB_g});
        if (up->lora.defined()) out.insert(out.end(), {dA_u, dB_u});
        if (down->lora.defined()) out.insert(out.end(), {dA_d, dB_d});
        TORCH_CHECK(static_cast<int64_t>(out.size()) == 1 + n_params,
                    "swiglu_mlp: LoRA branches changed between forward and backward");
        out.push_back(at::Tensor());  // args
        return out;
    }
};

// ---------------------------------------------------------------------------------------
// Chunked linear + cross-entropy

int64_t default_chunk_rows(int64_t vocab) {
    const int64_t budget = int64_t{64} << 20;  // bytes of fp32 logits per chunk
    return std::max<int64_t>(16, budget / (4 * std::max<int64_t>(1, vocab)));
}

// Loss sum over labelled rows; with dh non-null also d(loss/divisor)/dh [N, H]. all_rows: see
// linear_cross_entropy_sum.
at::Tensor cross_entropy_pass(const at::Tensor& h, const at::Tensor& W, const at::Tensor& labels,
                              double divisor, int64_t chunk_rows, at::Tensor* dh, bool all_rows) {
    const int64_t V = W.size(0);
    if (chunk_rows <= 0) chunk_rows = default_chunk_rows(V);
    at::Tensor idx, hv, lv;
    int64_t n = h.size(0);
    at::Tensor total = at::zeros({}, h.options().dtype(at::kFloat));
    if (dh) *dh = all_rows ? at::empty_like(h) : at::zeros_like(h);
    if (all_rows) {
        hv = h;
        lv = labels.contiguous();
    } else {
        idx = labels.ne(-100).nonzero().squeeze(1);  // labelled rows only
        n = idx.size(0);
        if (n == 0) return total;
        hv = h.index_select(0, idx);
        lv = labels.index_select(0, idx);
        TORCH_CHECK(lv.min().item<int64_t>() >= 0 && lv.max().item<int64_t>() < V,
                    "cross-entropy: a label is outside the vocabulary of ", V);
    }
    const double grad_scale = 1.0 / divisor;
    for (int64_t s = 0; s < n; s += chunk_rows) {
        const int64_t e = std::min(n, s + chunk_rows);
        at::Tensor hc = hv.slice(0, s, e);
        at::Tensor lc = lv.slice(0, s, e).contiguous();
        at::Tensor logits = at::linear(hc, W).contiguous();  // [c, V] activation dtype
        at::Tensor grad_c;
#if defined(TUNEBENCH_WITH_CUDA)
        if (use_kernels(h)) {
            c10::cuda::CUDAGuard guard(h.device());
            at::Tensor loss_rows = at::empty({e - s}, h.options().dtype(at::kFloat));
            check_launch(fusedcuda::cross_entropy_chunk(
                logits.data_ptr(), lc.data_ptr<int64_t>(), loss_rows.data_ptr<float>(), e - s, V,
                static_cast<float>(grad_scale), kernel_dtype(logits), stream_of(h)));
            total.add_(loss_rows.sum());
            grad_c = logits;  // overwritten with the gradient
        }
#endif
        if (!grad_c.defined()) {
            at::Tensor lf = logits.to(at::kFloat);
            at::Tensor lse = at::logsumexp(lf, {-1}, true);  // [c, 1]
            // all_rows: ignored rows gather id 0 and are masked out of loss and gradient.
            at::Tensor keep = all_rows ? lc.ne(-100) : at::Tensor();  // [c]
            at::Tensor li = all_rows ? lc.clamp_min(0).unsqueeze(1) : lc.unsqueeze(1);
            at::Tensor row_loss = lse.squeeze(1) - lf.gather(1, li).squeeze(1);
            total.add_((all_rows ? row_loss * keep : row_loss).sum());
            if (dh) {
                at::Tensor p = (lf - lse).exp_();
                p.scatter_add_(1, li, at::full({e - s, 1}, -1.0, p.options()));
                if (all_rows) p.mul_(keep.unsqueeze(1));
                grad_c = p.mul_(grad_scale).to(h.scalar_type());
            }
        }
        if (dh) {
            if (all_rows)
                dh->slice(0, s, e).copy_(at::matmul(grad_c, W));
            else
                dh->index_copy_(0, idx.slice(0, s, e), at::matmul(grad_c, W));
        }
    }
    return total / divisor;
}

class CrossEntropyFn : public torch::autograd::Function<CrossEntropyFn> {
  public:
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& h, const at::Tensor& W,
                              const at::Tensor& labels, double divisor, int64_t chunk_rows,
                              bool all_rows) {
        at::Tensor dh;
        at::Tensor loss = cross_entropy_pass(h, W, labels, divisor, chunk_rows, &dh, all_rows);
        ctx->saved_data["dh"] = dh;
        return loss;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad) {
        at::Tensor dh = ctx->saved_data["dh"].toTensor();
        ctx->saved_data.clear();
        return {dh.mul_(grad[0].to(dh.scalar_type())),
                at::Tensor(),
                at::Tensor(),
                at::Tensor(),
                at::Tensor(),
                at::Tensor()};
    }
};

}  // namespace

at::Tensor seeded_dropout(const at::Tensor& x, const at::Tensor& seed, double p, int64_t salt) {
#if defined(TUNEBENCH_WITH_CUDA)
    if (x.is_cuda()) {
        TORCH_CHECK(seed.is_cuda() && seed.scalar_type() == at::kLong && seed.numel() == 1,
                    "seeded_dropout: seed must be one int64 on the device");
        TORCH_CHECK(p >= 0.0 && p < 1.0, "seeded_dropout: p must be in [0, 1)");
        c10::cuda::CUDAGuard guard(x.device());
        at::Tensor xc = x.contiguous();
        at::Tensor out = at::empty_like(xc);
        check_launch(fusedcuda::seeded_dropout(
            xc.data_ptr(), out.data_ptr(), xc.numel(), seed.data_ptr<int64_t>(),
            static_cast<uint64_t>(salt), dropout_threshold(p), static_cast<float>(1.0 / (1.0 - p)),
            kernel_dtype(xc), stream_of(xc)));
        return out;
    }
#endif
    (void)seed;
    (void)p;
    (void)salt;
    TORCH_CHECK(false, "seeded_dropout runs on CUDA tensors only (got ", x.device(), ")");
}

const LoraMicroBatch::Branch* LoraMicroBatch::find(const LoraBranch& b) const {
    auto it = branches.find(&b);
    return it == branches.end() ? nullptr : &it->second;
}

LoraMicroBatch prepare_lora_micro_batch(const LlamaModel& model, at::ScalarType dtype,
                                        bool training) {
    LoraMicroBatch mb;
    std::vector<const LoraBranch*> found;
    bool any_dropout = false;
    for (const LlamaLayer& L : model.layers)
        for (const LoraLinear* p :
             {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj}) {
            if (!p->lora.defined() || !p->lora.A.is_cuda()) continue;
            found.push_back(&p->lora);
            any_dropout = any_dropout || p->lora.dropout > 0.0;
        }
    if (found.empty()) return mb;
    at::NoGradGuard no_grad;  // the copies are constants: the Functions return dA/dB themselves
    // Branches already in `dtype` (fp32 training) are used as they are; the others are cast
    // together: one buffer, one cast.
    std::vector<at::Tensor> flat;
    for (const LoraBranch* b : found) {
        if (b->A.scalar_type() == dtype && b->B.scalar_type() == dtype) continue;
        flat.push_back(b->A.reshape({-1}));
        flat.push_back(b->B.reshape({-1}));
    }
    at::Tensor all = flat.empty() ? at::Tensor() : at::cat(flat).to(dtype);
    int64_t off = 0, salt = 0;
    for (const LoraBranch* b : found) {
        LoraMicroBatch::Branch& e = mb.branches[b];
        e.salt = salt++;
        if (b->A.scalar_type() == dtype && b->B.scalar_type() == dtype) {
            e.A = b->A;
            e.B = b->B;
            continue;
        }
        e.A = all.narrow(0, off, b->A.numel()).view(b->A.sizes());
        off += b->A.numel();
        e.B = all.narrow(0, off, b->B.numel()).view(b->B.sizes());
        off += b->B.numel();
    }
#if defined(TUNEBENCH_WITH_CUDA)
    if (training && any_dropout) mb.seed = draw_dropout_seed(found.front()->A);
#else
    (void)training;
    (void)any_dropout;
#endif
    return mb;
}

RopeTables rope_tables(const LlamaModel& model, const at::Tensor& position_ids) {
    if (!use_kernels(model.inv_freq)) {
        RopeTables t = model.rope(position_ids);  // [B, 1, T, hd]
        return {t.cos.transpose(1, 2), t.sin.transpose(1, 2)};
    }
    at::Tensor freqs = position_ids.to(model.inv_freq.device()).to(at::kFloat).unsqueeze(-1) *
                       model.inv_freq.to(at::kFloat).view({1, 1, -1});
    at::Tensor emb = at::cat({freqs, freqs}, -1).reshape({-1, freqs.size(-1) * 2});  // [B*T, hd]
    at::Tensor cos = emb.cos(), sin = emb.sin();
    if (model.attention_scaling != 1.0) {
        cos.mul_(model.attention_scaling);
        sin.mul_(model.attention_scaling);
    }
    return {cos.contiguous(), sin.contiguous()};
}

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w, double eps) {
    return RmsNormFn::apply(x, w, eps);
}

at::Tensor rope(const at::Tensor& x, const RopeTables& tables) {
    TORCH_CHECK(x.dim() == 4, "fused rope expects [B, T, heads, hd]");
    return RopeFn::apply(x, tables.cos, tables.sin);
}

at::Tensor lora_linear(const at::Tensor& x, const LoraLinear& lin, bool training,
                       const LoraMicroBatch* mb) {
    if (!lin.lora.defined()) return lin.forward(x, false);
    TORCH_CHECK(!lin.lora.magnitude.defined(), "the fused backend does not support DoRA");
    return LoraLinearFn::apply(x, lin.lora.A, lin.lora.B, &lin, training, mb);
}

namespace {
// The LoRA A, B of the projections that carry a branch, in order: the tensor inputs of a
// multi-projection Function (so their gradients flow). DoRA is refused here.
std::vector<at::Tensor> lora_inputs(std::initializer_list<const LoraLinear*> projections) {
    std::vector<at::Tensor> params;
    for (const LoraLinear* p : projections) {
        if (!p->lora.defined()) continue;
        TORCH_CHECK(!p->lora.magnitude.defined(), "the fused backend does not support DoRA");
        params.push_back(p->lora.A);
        params.push_back(p->lora.B);
    }
    return params;
}
}  // namespace

std::vector<at::Tensor> norm_qkv(const at::Tensor& h, const at::Tensor& norm_w, double eps,
                                 const LoraLinear& q, const LoraLinear& k, const LoraLinear& v,
                                 bool training, const LoraMicroBatch* mb) {
    const std::vector<at::Tensor> params = lora_inputs({&q, &k, &v});
    NormQkvArgs args{&norm_w, eps, {&q, &k, &v}, training, mb};
    variable_list out = NormQkvFn::apply(h, at::TensorList(params), &args);
    std::vector<int64_t> shape = h.sizes().vec();
    for (at::Tensor& t : out) {
        shape.back() = t.size(-1);
        t = t.view(shape);
    }
    return out;
}

at::Tensor swiglu_mlp(const at::Tensor& y, const LoraLinear& gate, const LoraLinear& up,
                      const LoraLinear& down, bool training, const LoraMicroBatch* mb) {
    const std::vector<at::Tensor> params = lora_inputs({&gate, &up, &down});
    MlpArgs args{&gate, &up, &down, training, mb};
    return MlpFn::apply(y, at::TensorList(params), &args);
}

at::Tensor linear_cross_entropy_sum(const at::Tensor& h, const at::Tensor& lm_head,
                                    const at::Tensor& labels, double divisor, int64_t chunk_rows,
                                    bool all_rows) {
    TORCH_CHECK(h.dim() == 2 && labels.dim() == 1 && h.size(0) == labels.size(0),
                "linear_cross_entropy_sum: h [N, H] and labels [N] expected");
    if (!at::GradMode::is_enabled() || !h.requires_grad()) {
        at::NoGradGuard no_grad;
        return cross_entropy_pass(h, lm_head, labels, divisor, chunk_rows, nullptr, all_rows);
    }
    return CrossEntropyFn::apply(h, lm_head, labels, divisor, chunk_rows, all_rows);
}

}  // namespace tb::fused
