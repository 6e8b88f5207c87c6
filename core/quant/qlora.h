// QLoRA: LlamaModel projections whose frozen base weight is stored as NF4 (nf4.h) and decoded
// on the fly in every forward and backward, while the LoRA branch trains in full precision.
//
// What the forward computes (bitsandbytes' Linear4bit / MatMul4Bit semantics):
//   x_c = x.to(compute_dtype); W = dequant(NF4) in compute_dtype; y = x_c W^T (+ b); y.to(x.dtype)
// compute_dtype defaults to bf16 on CUDA and fp32 on CPU.
//
// Memory: no dense copy of W is kept. A custom autograd function saves only the packed
// tensors for backward and decodes W again there to form dL/dx = dL/dy W, the way
// bitsandbytes' MatMul4Bit does, so a layer's activation memory holds no [out, in] matrix.
// Gradients flow through x (to the LoRA branch and earlier layers), never into W.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/infer/llama_model.h"
#include "core/infer/lora_linear.h"
#include "core/quant/nf4.h"

namespace tb {

// PackedBaseWeight backed by an NF4 QuantizedWeight.
class Nf4BaseWeight final : public PackedBaseWeight {
  public:
    Nf4BaseWeight(QuantizedWeight q, at::ScalarType compute_dtype);

    const QuantizedWeight& quantized() const { return q_; }
    at::ScalarType compute_dtype() const { return compute_dtype_; }

    int64_t out_features() const override { return q_.shape[0]; }
    int64_t in_features() const override { return q_.shape[1]; }
    at::Tensor linear(const at::Tensor& x, const at::Tensor& bias) const override;
    at::Tensor dense(at::ScalarType dtype, at::Device device) const override;
    at::ScalarType original_dtype() const override { return q_.dtype; }
    at::Device device() const override { return q_.device(); }
    int64_t bytes() const override { return q_.bytes(); }

  private:
    QuantizedWeight q_;
    at::ScalarType compute_dtype_;
};

// y = x W^T with W decoded from `q` in x's dtype; autograd-aware (gradient to x only, W
// re-decoded in backward). x: [..., in]; returns [..., out].
at::Tensor nf4_linear(const at::Tensor& x, const QuantizedWeight& q);

struct QuantOptions {
    Nf4Options nf4;  // blocksize 64, double quantisation with block 256 by default
    // Projections to convert, by HF short name. Default: all seven of every layer.
    std::vector<std::string> targets = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                        "gate_proj", "up_proj", "down_proj"};
    // dtype the base weight is decoded to and its matmul runs in; nullopt: bf16 on CUDA,
    // fp32 on CPU (QLoRA's bnb_4bit_compute_dtype).
    std::optional<at::ScalarType> compute_dtype;
    // Also measure the reconstruction error (one extra decode per weight).
    bool measure_error = false;
};

// Memory numbers for the UI and `bench train` (bytes).
struct QuantReport {
    int64_t linears = 0;              // projections converted
    int64_t params_quantized = 0;     // elements of their weights
    int64_t linear_bytes_before = 0;  // those weights dense, in the dtype they had
    int64_t linear_bytes_after = 0;   // packed: codes + absmax_q + absmax2 (+ offset)
    int64_t model_bytes_before = 0;   // whole model: embeddings, norms, head, linears, biases
    int64_t model_bytes_after = 0;
    // With measure_error: ||W - dequant(W)||_F / ||W||_F over all converted weights (fp32
    // maths), and the largest |W - dequant(W)| seen.
    double weight_rel_error = 0.0;
    double weight_max_abs_error = 0.0;

    double linear_ratio() const;  // after / before
    double model_ratio() const;
    double bits_per_param() const;  // 8 * linear_bytes_after / params_quantized
    std::string summary() const;    // one line, e.g. for the CLI
};

// Bytes of the model's weights as stored now (dense tensors, packed projections, biases).
int64_t model_weight_bytes(const LlamaModel& model);

// Converts the frozen weight of every target projection to NF4 on the model's device and
// drops the dense tensor (LoRA branches untouched). Already packed projections are skipped.
// Errors: unknown projection name, a weight NF4 cannot hold (see quantize_nf4).
Result<QuantReport> quantize_model_base(LlamaModel& model, const QuantOptions& opts = {});

// The inverse, for merging and export: every packed projection gets a dense `weight` in
// `dtype` again and loses its packed form.
void dequantize_model_base(LlamaModel& model, at::ScalarType dtype);

}  // namespace tb
