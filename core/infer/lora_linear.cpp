#include "core/infer/lora_linear.h"

namespace tb {

at::Tensor LoraLinear::base_weight(at::ScalarType dtype) const {
    if (is_packed()) return packed->dense(dtype, packed->device());
    return weight.to(dtype);
}

int64_t LoraLinear::base_bytes() const {
    int64_t b = bias.defined() ? bias.numel() * bias.element_size() : 0;
    if (is_packed()) return b + packed->bytes();
    return b + (weight.defined() ? weight.numel() * weight.element_size() : 0);
}

at::Tensor LoraLinear::forward(const at::Tensor& x, bool training) const {
    at::Tensor y;
    if (is_packed())
        y = packed->linear(x, bias);
    else
        y = bias.defined() ? at::linear(x, weight, bias) : at::linear(x, weight);
    if (!lora.defined()) return y;
    at::Tensor xin = x;
    if (training && lora.dropout > 0.0) xin = at::dropout(x, lora.dropout, true);
    const auto dt = x.scalar_type();
    if (lora.magnitude.defined()) {
        // DoRA (PEFT's formulation): W' = m * (W + s BA) / ||W + s BA||_row, with the norm
        // detached; output = (m/||.||) * (x W^T + s x A^T B^T) computed without forming W'.
        at::Tensor delta = at::matmul(lora.B.to(at::kFloat), lora.A.to(at::kFloat)) * lora.scale;
        at::Tensor wn = (base_weight(at::kFloat) + delta).norm(2, {1}).detach();  // [out]
        at::Tensor mag_scale = (lora.magnitude.to(at::kFloat) / wn).to(dt);       // [out]
        at::Tensor base = bias.defined() ? y - bias : y;
        at::Tensor lora_out =
            at::linear(at::linear(xin.to(lora.A.scalar_type()), lora.A), lora.B).to(dt) *
            lora.scale;
        // PEFT: result = base + (mag_scale - 1) * base + mag_scale * lora_out(dropout x)
        at::Tensor out = base + (mag_scale - 1) * base + mag_scale * lora_out;
        return bias.defined() ? out + bias : out;
    }
    at::Tensor l = at::linear(at::linear(xin.to(lora.A.scalar_type()), lora.A), lora.B);
    return y + (l * lora.scale).to(dt);
}

at::Tensor LoraLinear::merged_weight() const {
    const at::ScalarType out_dtype = is_packed() ? packed->original_dtype() : weight.scalar_type();
    if (!lora.defined()) return is_packed() ? base_weight(out_dtype) : weight;
    at::Tensor w = base_weight(at::kFloat);
    at::Tensor delta = at::matmul(lora.B.to(at::kFloat), lora.A.to(at::kFloat)) * lora.scale;
    at::Tensor merged = w + delta;
    if (lora.magnitude.defined()) {
        at::Tensor norm = merged.norm(2, {1}, true);
        merged = merged * (lora.magnitude.to(at::kFloat).unsqueeze(1) / norm);
    }
    return merged.to(out_dtype);
}

}  // namespace tb
