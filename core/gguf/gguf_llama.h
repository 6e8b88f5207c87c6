// Llama models and LoRA adapters as GGUF, the way llama.cpp's own tools write them:
// - convert_hf_to_gguf.py (LlamaModel): general.* / llama.* metadata, the SentencePiece vocab
//   (tokens, scores, token types, special ids, add_bos/add_eos, chat template), tensor names
//   token_embd / blk.N.attn_q ... / output_norm / output, the Q/K row permutation
//   (LlamaModel.permute: HF's rotate-half RoPE layout -> GGML's interleaved pairs), 1-D tensors
//   kept F32, rope_freqs for llama3 RoPE scaling, output omitted when embeddings are tied;
// - llama-quantize (llama_tensor_get_type) for Q4_K_M: Q4_K everywhere, Q6_K for output (or
//   token_embd when tied) and for attn_v / ffn_down of the layers use_more_bits picks; rows not
//   a multiple of 256 fall back to Q5_0 (Q4_K) / Q8_0 (Q6_K) as llama.cpp does;
// - convert_lora_to_gguf.py: general.type adapter, adapter.type lora, adapter.lora.alpha,
//   blk.N.<proj>.weight.lora_a [ne: in, r] and .lora_b [ne: r, out] (F32), lora_b of q/k
//   permuted like the weights.
// Weights are quantised from the float32 values of the loaded model (exact for fp32, bf16 and
// fp16 checkpoints).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/gguf/gguf_file.h"
#include "core/infer/llama_model.h"
#include "core/infer/lora_settings.h"

namespace tb::gguf {

// llama_ftype values written as general.file_type.
enum class FileType : uint32_t {
    ALL_F32 = 0,
    MOSTLY_F16 = 1,
    MOSTLY_Q8_0 = 7,
    MOSTLY_Q4_K_M = 15,
    MOSTLY_BF16 = 32,
};
// "f32", "f16", "bf16", "q8_0", "q4_k_m".
Result<FileType> parse_file_type(const std::string& name);
const char* file_type_name(FileType t);

// llama-quantize's per-tensor choice for a Llama model (see the top). Call once per tensor in
// file order; it counts attn_v tensors as llama.cpp does.
class TensorTypeRule {
  public:
    TensorTypeRule(FileType ft, int64_t n_layer, bool has_output);
    // `ne0` the row length; `n_dims` of the tensor.
    GgmlType choose(const std::string& gguf_name, int64_t ne0, int n_dims);

  private:
    FileType ft_;
    int64_t n_layer_;
    bool has_output_;
    int64_t i_attention_wv_ = 0;
};

// use_more_bits(i, n): i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2.
bool use_more_bits(int64_t i_layer, int64_t n_layers);

// LlamaModel.permute(w, n_head, n_head_kv) of convert_hf_to_gguf.py on a [rows, cols] tensor.
at::Tensor permute_qk(const at::Tensor& w, int64_t n_head, int64_t n_head_kv);

// A 1-D or 2-D float tensor encoded as `t` row by row (rows in parallel). Q8_0 through
// core/quant's rule (q8cpu::quantize_row), interleaved into ggml blocks.
Result<std::vector<uint8_t>> encode_tensor(const at::Tensor& w, GgmlType t);

struct WriteProgress {
    std::string tensor;
    int64_t done = 0, total = 0;
};

struct LlamaGgufOptions {
    FileType file_type = FileType::MOSTLY_F16;
    std::string name;  // general.name
    // Folder with tokenizer.model (+ tokenizer_config.json), or a tokenizer.model file itself.
    std::string tokenizer_dir;
    const CancelToken* cancel = nullptr;
    std::function<void(const WriteProgress&)> on_progress;
};

// Writes `model` (no LoRA branches: merge first) as a GGUF model file. Returns the file size.
Result<int64_t> write_llama_gguf(const LlamaModel& model, const std::string& path,
                                 const LlamaGgufOptions& opts);

// Writes the LoRA branches carried by `model` (apply_peft_adapter) as a GGUF adapter. DoRA is
// refused (llama.cpp has no magnitude vector). Scales other than alpha / r (rsLoRA,
// alpha_pattern) are folded into lora_b so that llama.cpp's alpha / r gives PEFT's scale.
Result<int64_t> write_lora_gguf(const LlamaModel& model, const LoraSettings& settings,
                                const std::string& path, const std::string& name,
                                const CancelToken* cancel = nullptr);

// Reads a GGUF Llama model written as above (any of its tensor types, dequantised to float32,
// Q/K permutation undone) back into a LlamaModel in `opts.dtype` on `opts.device`: the way
// tests run an exported file through tunebench's own forward. Errors name the key or tensor.
Result<LlamaModel> load_llama_gguf(const std::string& path, const LoadOptions& opts = {});

// The inverse of permute_qk.
at::Tensor unpermute_qk(const at::Tensor& w, int64_t n_head, int64_t n_head_kv);

// The tokenizer metadata convert_hf_to_gguf.py writes for a SentencePiece Llama tokenizer.
Status add_tokenizer_metadata(Writer& w, const std::string& tokenizer_dir, int64_t vocab_size);

}  // namespace tb::gguf
