// A GGUF Llama file (llama.cpp's format; tunebench's own exports, core/gguf/gguf_llama.h) as
// a model for the inference core: config, weights, tokenizer and chat template from the one
// file. Where a model path goes (generate, bench infer, the engines), is_gguf_file() decides
// "GGUF file vs HF folder".
//
// What is read:
// - config: general.architecture must be "llama"; llama.block_count, .embedding_length,
//   .feed_forward_length, .attention.head_count, .attention.layer_norm_rms_epsilon,
//   .context_length are required; .attention.head_count_kv (default head_count),
//   .rope.dimension_count (default embedding_length / head_count), .rope.freq_base (default
//   10000) optional, as llama.cpp reads them; the vocabulary size is token_embd's rows. RoPE
//   scaling (rope_freqs, rope.scaling.type other than none) is refused. Errors name the file
//   and the key;
// - weights: token_embd and every F32 / F16 / BF16 tensor dense in the requested dtype; with
//   `packed`, the seven projections of each layer in Q8_0 become core/quant's Q8_0BaseWeight
//   (GGUF's interleaved 34-byte blocks split into its two planes) and in Q4_K / Q6_K a
//   KQuantBaseWeight keeping the file's super-block bytes (core/quant/q4_k.h); a quantised
//   output.weight becomes the packed head (GgufModel::head) instead of model.lm_head. Other
//   quantised types (Q5_0, which Q4_K_M uses for rows not a multiple of 256) and everything
//   when !packed are dequantised to dense. The Q/K row permutation of convert_hf_to_gguf.py
//   is undone by gathering whole rows (it permutes rows only, and block quantisation is per
//   row, so packed rows move as they are);
// - tokenizer: tokenizer.ggml.model "llama" (SentencePiece): tokens, scores and token types
//   become a SentencePiece ModelProto (written here in protobuf's wire format: Debian's
//   sentencepiece ships no sentencepiece_model.pb.h), bos/eos/unk/pad ids, add_bos/add_eos
//   and tokenizer.chat_template a tokenizer_config.json; both go to a temporary folder that
//   Tokenizer::load reads and that is removed again. The padding pieces the exporter appends
//   ("[PAD<id>]", unused) are left out of the vocabulary, as in the source tokenizer. Without
//   tokenizer metadata, or with another tokenizer model, tokenizer.model (and
//   tokenizer_config.json) beside the file are used; with neither, no tokenizer (requests
//   give ids) - or an error naming both when the GGUF has a vocabulary we cannot read.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/infer/llama_io.h"
#include "core/infer/llama_model.h"
#include "core/tokenizer/tokenizer.h"

namespace tb::infer {

// A regular file that starts with the GGUF magic.
bool is_gguf_file(const std::string& path);

// The LlamaConfig of a GGUF file from its metadata only (no tensor data read; see the top).
Result<LlamaConfig> read_gguf_llama_config(const std::string& path);

struct GgufLoadOptions {
    at::ScalarType dtype = at::kFloat;  // dense weights and activations
    at::Device device = at::kCPU;
    bool packed = false;  // keep Q8_0 / Q4_K / Q6_K projections and head packed (quant engine)
    const CancelToken* cancel = nullptr;
};

struct GgufModel {
    LlamaModel model;
    // The packed output.weight (packed load of a quantised head), else null (model.lm_head).
    std::shared_ptr<const PackedBaseWeight> head;
    std::shared_ptr<Tokenizer> tok;  // null when the file has none and none lies beside it
    GenerationDefaults gen;          // generation_config.json beside the file, else defaults
    // Tensor types as loaded, e.g. "Q4_K x 15, Q6_K x 7, F32 x 7" (load report, logs).
    std::string tensor_types;
};

Result<GgufModel> load_gguf_model(const std::string& path, const GgufLoadOptions& opts);

// Whether a GGUF file has a tokenizer to load: vocabulary metadata, or tokenizer.model beside
// it (metadata only; nothing is built).
bool gguf_has_tokenizer(const std::string& path);

// The tokenizer of a GGUF file alone (see the top); null when it has none.
Result<std::shared_ptr<Tokenizer>> load_gguf_tokenizer(const std::string& path);

}  // namespace tb::infer
