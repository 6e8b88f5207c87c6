// The `quant` engine: llama.cpp / Ollama-style weight-only quantisation of a model loaded in
// its own dtype, quantised on load. What is quantised, and what is not:
// - the seven projections of every decoder layer (q/k/v/o, gate/up/down): they are ~90% of a
//   Llama's weights and what every token reads, so they set a decode step's memory traffic;
//   each LoraLinear gets a PackedBaseWeight (core/infer/lora_linear.h) and loses its dense
//   weight, so the eager step (engine_eager.cpp) runs unchanged over it: the base matmul is
//   the quantised one, an adapter's LoRA term is added in the model dtype (no merging). Packed
//   projections are not fused into q/k/v and gate/up GEMMs (the eager backend fuses dense
//   weights only): a decode step runs seven quantised matmuls per layer;
// - "q8_0": ggml's Q8_0 (core/quant/q8_0.h), 34 bytes per 32 weights. On the CPU a decode
//   step's matvec quantises the activation row to Q8_0 as well and runs ggml's int8 dot
//   (AVX2 where available); prefill dequantises tiles for a float32 GEMM; on CUDA the weight
//   is dequantised per call (correct, not yet a fused kernel);
// - "nf4": the project's QLoRA NF4 with double quantisation (core/quant/nf4.h, 4.13 bits per
//   weight), decoded per call to the model dtype: on CUDA by the hand-written dequant kernel
//   (nf4_kernels.cu), on the CPU by torch ops - correct, but slower than the dense engine
//   there (each step decodes every weight to float32 before its GEMM). On CUDA a batch of up to
//   8 rows without an adapter decodes through the graph engine's NF4 GEMV kernels
//   (decode_kernels.h: codes read once per step, dequantised in registers, one CUDA graph per
//   step); other batches decode per call as above;
// - the lm_head: "q8_0" quantises it too when it is untied, as llama.cpp's Q8_0 files do
//   (output.weight is Q8_0): it is the largest single matrix a step reads (TinyLlama: 65 M of
//   1.1 B weights, a fifth of the fp32 traffic that remains once the layers are Q8_0); the
//   eager step takes it as a packed head (make_eager_backend). A tied head stays dense: the
//   embeddings keep the dense copy anyway, so a quantised head would add memory. "nf4" keeps
//   the head dense, as bitsandbytes / QLoRA do (4-bit logits are too coarse);
// - kept in the model dtype: the token embeddings (a step reads B of their rows, so
//   quantising them would save memory, not time; llama.cpp quantises token_embd for the
//   file size) and the RMSNorm weights (tiny, and applied in fp32 anyway).
#include "core/infer/engine_quant.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "core/common/torch_compat.h"
#include "core/infer/engine_choice.h"
#include "core/quant/q8_0.h"
#include "core/quant/qlora.h"

namespace tb::infer {

namespace {

Status quantize_q8_0_model(LlamaModel& model) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < model.layers.size(); ++i)
        for (const char* name : kLayerProjections) {
            LoraLinear* lin = model.layers[i].projection(name);
            if (lin->is_packed() || !lin->weight.defined()) continue;
            auto q = quantize_q8_0(lin->weight);
            if (!q.ok())
                return make_error(
                    "quant", "layers." + std::to_string(i) + "." + name + ": " + q.error().message);
            lin->packed = std::make_shared<Q8_0BaseWeight>(std::move(q).value());
            lin->weight = at::Tensor();  // the dense copy goes; nothing else references it
        }
    return Status::Ok();
}

// "nf4" on CUDA: a batch that the graph engine's NF4 decode kernels cover (no LoRA branch
// attached, at most decodecuda::kMaxGemvBatch rows) decodes there - each step one recorded CUDA
// graph of fused dequantise-GEMV kernels reading the 4-bit codes once; any other batch takes the
// eager step (the weights decoded per call).
class Nf4CudaBackend final : public DecodeBackend {
  public:
    explicit Nf4CudaBackend(LlamaModel& model)
        : eager_(make_eager_backend(model)), graph_(make_graph_backend(model)) {}

    at::Tensor prefill(const std::vector<std::vector<int64_t>>& prompts, int64_t pad_id,
                       int64_t max_new_tokens) override {
        int64_t longest = 0;
        for (const auto& p : prompts)
            longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
        const int64_t rows = static_cast<int64_t>(prompts.size());
        const bool cover = graph_->decode_kernels_cover(rows, longest + max_new_tokens);
        // TB_DECODE_KERNELS=1: the kernels are required (tests know which path they measured).
        const char* env = std::getenv("TB_DECODE_KERNELS");
        if (!cover && env && std::string(env) == "1")
            throw std::runtime_error(
                "quant engine: TB_DECODE_KERNELS=1 but this batch cannot "
                "use the NF4 decode kernels");
        active_ = cover ? graph_.get() : eager_.get();
        return active_->prefill(prompts, pad_id, max_new_tokens);
    }
    at::Tensor decode(const at::Tensor& tokens) override { return active_->decode(tokens); }
    void release() override {
        if (active_) active_->release();
        active_ = nullptr;
    }

  private:
    std::unique_ptr<DecodeBackend> eager_, graph_;
    DecodeBackend* active_ = nullptr;
};

}  // namespace

bool is_quant_format(const std::string& name) { return is_quant_format_name(name); }

Result<QuantBackend> make_quant_backend(LlamaModel& model, const std::string& format) {
    std::shared_ptr<const PackedBaseWeight> head;
    if (format == "q8_0") {
        TB_TRY_STATUS(quantize_q8_0_model(model));
        if (!model.config.tie_word_embeddings && model.lm_head.defined()) {
            auto q = quantize_q8_0(model.lm_head);
            if (!q.ok()) return make_error("quant", "lm_head: " + q.error().message);
            head = std::make_shared<Q8_0BaseWeight>(std::move(q).value());
            model.lm_head = at::Tensor();  // the packed head replaces it for this engine
        }
    } else if (format == "nf4") {
        QuantOptions qo;  // bitsandbytes' defaults: block 64, double quantisation
        qo.compute_dtype = model.dtype;
        TB_TRY_STATUS(quantize_model_base(model, qo));
    } else {
        return make_error("quant", "unknown weight format '" + format + "' (expected q8_0, nf4)");
    }
    // The dense weights were freed into the allocator's cache: give them back.
    compat::cuda_synchronize();
    compat::cuda_empty_cache();
    QuantBackend out;
    out.weight_bytes = model_weight_bytes(model) + (head ? head->bytes() : 0);
    if (format == "nf4" && model.device.is_cuda())
        out.backend = std::make_unique<Nf4CudaBackend>(model);
    else
        out.backend = make_eager_backend(model, head);
    return out;
}

QuantBackend make_prepacked_quant_backend(LlamaModel& model,
                                          std::shared_ptr<const PackedBaseWeight> head) {
    QuantBackend out;
    out.weight_bytes = model_weight_bytes(model) + (head ? head->bytes() : 0);
    out.backend = make_eager_backend(model, std::move(head));
    return out;
}

}  // namespace tb::infer
