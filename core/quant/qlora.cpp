#include "core/quant/qlora.h"

#include <cmath>
#include <cstdio>
#include <memory>

#include "core/common/tensor_bytes.h"
#include "core/common/torch_compat.h"

namespace tb {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The packed weight travels to backward as saved tensors plus plain metadata, so backward
// never depends on the lifetime of the LoraLinear that produced the graph.
void save_quantized(AutogradContext* ctx, const QuantizedWeight& q) {
    ctx->save_for_backward({q.packed, q.double_quant() ? q.absmax_q : q.absmax,
                            q.double_quant() ? q.absmax2 : q.absmax});
    ctx->saved_data["offset"] = static_cast<double>(q.offset);
    ctx->saved_data["shape"] = q.shape;
    ctx->saved_data["blocksize"] = q.blocksize;
    ctx->saved_data["nested"] = q.nested_blocksize;
    ctx->saved_data["dq"] = q.double_quant();
    ctx->saved_data["dtype"] = static_cast<int64_t>(q.dtype);
}

QuantizedWeight restore_quantized(AutogradContext* ctx) {
    const variable_list saved = ctx->get_saved_variables();
    QuantizedWeight q;
    q.packed = saved[0];
    if (ctx->saved_data["dq"].toBool()) {
        q.absmax_q = saved[1];
        q.absmax2 = saved[2];
    } else {
        q.absmax = saved[1];
    }
    q.offset = static_cast<float>(ctx->saved_data["offset"].toDouble());
    q.shape = ctx->saved_data["shape"].toIntVector();
    q.blocksize = ctx->saved_data["blocksize"].toInt();
    q.nested_blocksize = ctx->saved_data["nested"].toInt();
    q.dtype = static_cast<at::ScalarType>(ctx->saved_data["dtype"].toInt());
    return q;
}

struct Nf4LinearFunction : public torch::autograd::Function<Nf4LinearFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const QuantizedWeight* q) {
        save_quantized(ctx, *q);
        const at::Tensor w = q->dequantize(x.scalar_type(), x.device());
        return at::linear(x, w);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
        const at::Tensor& g = grad_out[0];
        at::Tensor grad_x;
        if (ctx->needs_input_grad(0)) {
            const QuantizedWeight q = restore_quantized(ctx);
            grad_x = at::matmul(g, q.dequantize(g.scalar_type(), g.device()));
        }
        return {grad_x, at::Tensor()};
    }
};

const char* kProjectionNames[] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                  "gate_proj", "up_proj", "down_proj"};

}  // namespace

Nf4BaseWeight::Nf4BaseWeight(QuantizedWeight q, at::ScalarType compute_dtype)
    : q_(std::move(q)), compute_dtype_(compute_dtype) {
    TORCH_CHECK(q_.shape.size() == 2, "Nf4BaseWeight: a linear weight must be 2-D");
}

at::Tensor Nf4BaseWeight::linear(const at::Tensor& x, const at::Tensor& bias) const {
    at::Tensor y = nf4_linear(x.to(compute_dtype_), q_);
    if (bias.defined()) y = y + bias.to(compute_dtype_);
    return y.to(x.scalar_type());
}

at::Tensor Nf4BaseWeight::dense(at::ScalarType dtype, at::Device device) const {
    torch::NoGradGuard no_grad;
    return q_.dequantize(dtype, device);
}

// g++ 13 reports false -Warray-bounds / -Wstringop-overflow inside libstdc++'s vector<bool>
// as inlined into torch::autograd::Function::apply (torch's header, not this code); g++ 12
// does not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
at::Tensor nf4_linear(const at::Tensor& x, const QuantizedWeight& q) {
    TORCH_CHECK(q.shape.size() == 2 && x.size(-1) == q.shape[1], "nf4_linear: x has ", x.size(-1),
                " features, weight expects ", q.shape.size() == 2 ? q.shape[1] : -1);
    return Nf4LinearFunction::apply(x, &q);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

double QuantReport::linear_ratio() const {
    return linear_bytes_before > 0 ? static_cast<double>(linear_bytes_after) / linear_bytes_before
                                   : 0.0;
}

double QuantReport::model_ratio() const {
    return model_bytes_before > 0 ? static_cast<double>(model_bytes_after) / model_bytes_before
                                  : 0.0;
}

double QuantReport::bits_per_param() const {
    return params_quantized > 0 ? 8.0 * linear_bytes_after / params_quantized : 0.0;
}

std::string QuantReport::summary() const {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "NF4: %lld linears, %.1f M params, %.2f MB -> %.2f MB (%.3fx, %.3f bits/param); "
                  "model %.2f MB -> %.2f MB (%.3fx)",
                  static_cast<long long>(linears), params_quantized / 1e6,
                  linear_bytes_before / 1e6, linear_bytes_after / 1e6, linear_ratio(),
                  bits_per_param(), model_bytes_before / 1e6, model_bytes_after / 1e6,
                  model_ratio());
    std::string s = buf;
    if (weight_rel_error > 0) {
        std::snprintf(buf, sizeof buf, "; rel. error %.4f, max abs error %.3g", weight_rel_error,
                      weight_max_abs_error);
        s += buf;
    }
    return s;
}

int64_t model_weight_bytes(const LlamaModel& model) {
    int64_t total = tensor_bytes(model.embed_tokens) + tensor_bytes(model.final_norm);
    if (!model.config.tie_word_embeddings) total += tensor_bytes(model.lm_head);
    for (const LlamaLayer& L : model.layers) {
        total += tensor_bytes(L.input_norm) + tensor_bytes(L.post_norm);
        for (const LoraLinear* p :
             {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
            total += p->base_bytes();
    }
    return total;
}

Result<QuantReport> quantize_model_base(LlamaModel& model, const QuantOptions& opts) {
    for (const std::string& t : opts.targets) {
        bool known = false;
        for (const char* k : kProjectionNames) known = known || t == k;
        if (!known)
            return make_error("quantize_model_base",
                              "targets: unknown projection '" + t +
                                  "' (expected q_proj, k_proj, "
                                  "v_proj, o_proj, gate_proj, up_proj or down_proj)");
    }
    torch::NoGradGuard no_grad;
    const at::ScalarType compute = opts.compute_dtype
                                       ? *opts.compute_dtype
                                       : (model.device.is_cuda() ? at::kBFloat16 : at::kFloat);
    QuantReport r;
    r.model_bytes_before = model_weight_bytes(model);
    double err2 = 0.0, norm2 = 0.0;
    for (size_t i = 0; i < model.layers.size(); ++i) {
        for (const std::string& name : opts.targets) {
            LoraLinear* lin = model.layers[i].projection(name);
            if (lin->is_packed() || !lin->weight.defined()) continue;
            auto q = quantize_nf4(lin->weight, opts.nf4);
            if (!q.ok())
                return make_error("quantize_model_base", "layers." + std::to_string(i) + "." +
                                                             name + ": " + q.error().message);
            if (opts.measure_error) {
                const at::Tensor w = lin->weight.to(at::kFloat);
                const at::Tensor d = q->dequantize(at::kFloat, w.device()) - w;
                err2 += d.pow(2).sum().item<double>();
                norm2 += w.pow(2).sum().item<double>();
                r.weight_max_abs_error =
                    std::max(r.weight_max_abs_error, d.abs().max().item<double>());
            }
            r.linears += 1;
            r.params_quantized += lin->weight.numel();
            r.linear_bytes_before += tensor_bytes(lin->weight);
            r.linear_bytes_after += q->bytes();
            lin->packed = std::make_shared<Nf4BaseWeight>(std::move(q).value(), compute);
            lin->weight = at::Tensor();  // the dense copy goes; nothing else references it
        }
    }
    if (opts.measure_error && norm2 > 0) r.weight_rel_error = std::sqrt(err2 / norm2);
    r.model_bytes_after = model_weight_bytes(model);
    if (model.device.is_cuda()) compat::cuda_empty_cache();
    return r;
}

void dequantize_model_base(LlamaModel& model, at::ScalarType dtype) {
    torch::NoGradGuard no_grad;
    for (LlamaLayer& L : model.layers)
        for (const char* name : kProjectionNames) {
            LoraLinear* lin = L.projection(name);
            if (!lin->is_packed()) continue;
            lin->weight = lin->packed->dense(dtype, lin->packed->device());
            lin->packed.reset();
        }
}

}  // namespace tb
