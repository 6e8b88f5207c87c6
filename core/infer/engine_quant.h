// The `quant` engine (engine_quant.cpp), private to the inference core: weight-only quantised
// decoder projections, the eager engine's step around them.
#pragma once

#include <memory>
#include <string>

#include "core/common/error.h"
#include "core/infer/inference_engine.h"

namespace tb::infer {

struct QuantBackend {
    std::unique_ptr<DecodeBackend> backend;
    int64_t weight_bytes = 0;  // every model weight as now held (quantised ones packed)
};

// The weight formats of the quant engine (EngineParams::quant): "q8_0", "nf4".
bool is_quant_format(const std::string& name);

// Quantises the seven projections of every decoder layer of `model` in place to `format`
// (their dense weights are dropped; LoRA branches loaded later still attach to them), and for
// "q8_0" an untied lm_head too (model.lm_head is then dropped: the backend holds the packed
// head), and returns the eager step over the quantised model. Errors: unknown format, a projection
// the format cannot hold (Q8_0: rows not a multiple of 32).
Result<QuantBackend> make_quant_backend(LlamaModel& model, const std::string& format);

// A model loaded with its projections already packed (a GGUF file's Q8_0 / Q4_K / Q6_K
// tensors, core/infer/gguf_model_loader.h; its F16/BF16/F32 ones dense): nothing is quantised
// here, the file's types decide. `head`: the file's packed output.weight, or null (dense or
// tied head). Returns the eager step over the model.
QuantBackend make_prepacked_quant_backend(LlamaModel& model,
                                          std::shared_ptr<const PackedBaseWeight> head);

}  // namespace tb::infer
