#include "core/infer/lora_linear.h"

namespace tb {

at::Tensor LoraLinear::forward(const at::Tensor& x, bool training) const {
    at::Tensor y = bias.defined() ? at::linear(x, weight, bias) : at::linear(x, weight);
    if (!lora.defined()) return y;
    at::Tensor xin = x;
    if (training && lora.dropout > 0.0) xin = at::dropout(x, lora.dropout, true);
    const auto dt = x.scalar_type();
    if (lora.magnitude.defined()) {
        // DoRA (PEFT's formulation): W' = m * (W + s BA) / ||W + s BA||_row, with the norm
        // detached; output = (m/||.||) * (x W^T + s x A^T B^T) computed without forming W'.
        at::Tensor delta = at::matmul(lora.B.to(at::kFloat), lora.A.to(at::kFloat)) * lora.scale;
        at::Tensor wn = (weight.to(at::kFloat) + delta).norm(2, {1}).detach();  // [out]
        at::Tensor mag_scale = (lora.magnitude.to(at::kFloat) / wn).to(dt);     // [out]
        at::Tensor base = bias.defined() ? y - bias : y;
        at::Tensor lora_out = at::linear(at::linear(xin.to(lora.A.scalar_type()), lora.A),
                                         lora.B).to(dt) * lora.scale;
        // PEFT: result = base + (mag_scale - 1) * base + mag_scale * lora_out(dropout x)
        at::Tensor out = base + (mag_scale - 1) * base + mag_scale * lora_out;
        return bias.defined() ? out + bias : out;
    }
    at::Tensor l = at::linear(at::linear(xin.to(lora.A.scalar_type()), lora.A), lora.B);
    return y + (l * lora.scale).to(dt);
}

at::Tensor LoraLinear::merged_weight() const {
    if (!lora.defined()) return weight;
    at::Tensor w = weight.to(at::kFloat);
    at::Tensor delta = at::matmul(lora.B.to(at::kFloat), lora.A.to(at::kFloat)) * lora.scale;
    at::Tensor merged = w + delta;
    if (lora.magnitude.defined()) {
        at::Tensor norm = merged.norm(2, {1}, true);
        merged = merged * (lora.magnitude.to(at::kFloat).unsqueeze(1) / norm);
    }
    return merged.to(weight.scalar_type());
}

}  // namespace tb
