// Hugging Face BERT / RoBERTa encoders (BertModel, RobertaModel without pooler) in libtorch,
// loaded from a model folder (config.json + model.safetensors), for BERTScore.
//
// Matches transformers' eager implementation in fp32: word + position + token-type(0)
// embeddings, LayerNorm (eps from config), post-LN layers (self-attention with an additive
// padding mask of finfo(float32).min, dense + residual + LayerNorm, GELU (exact, erf)
// feed-forward, dense + residual + LayerNorm). RoBERTa positions start after padding_idx and
// skip padding tokens (create_position_ids_from_input_ids). Weights are converted to fp32.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb::bertscore {

struct EncoderConfig {
    std::string model_type;  // "bert" or "roberta" (also "xlm-roberta", "camembert")
    int64_t vocab_size = 0;
    int64_t hidden_size = 0;
    int64_t num_hidden_layers = 0;
    int64_t num_attention_heads = 0;
    int64_t intermediate_size = 0;
    int64_t max_position_embeddings = 0;
    int64_t type_vocab_size = 0;
    int64_t pad_token_id = 0;
    double layer_norm_eps = 1e-12;
    bool roberta_positions() const { return model_type != "bert"; }
};

// Reads and validates config.json (hidden_act must be "gelu", position_embedding_type
// "absolute"). Errors name the file and field.
Result<EncoderConfig> load_encoder_config(const std::string& config_json);

class BertEncoder {
  public:
    // Loads `dir`/config.json and `dir`/model.safetensors (tensor names with or without a
    // "bert." / "roberta." prefix; LayerNorm "weight/bias" or legacy "gamma/beta").
    static Result<BertEncoder> load(const std::string& dir, const torch::Device& device);

    // Hidden states 0..up_to_layer (index 0 = embeddings output) for ids [B, T] and attention
    // mask [B, T] (1 = token, 0 = padding), both int64 on any device. up_to_layer in
    // [0, num_hidden_layers].
    std::vector<torch::Tensor> forward(const torch::Tensor& ids, const torch::Tensor& mask,
                                       int64_t up_to_layer) const;

    const EncoderConfig& config() const { return cfg_; }
    const torch::Device& device() const { return device_; }

  private:
    struct Layer {
        torch::Tensor q_w, q_b, k_w, k_b, v_w, v_b, ao_w, ao_b, aln_w, aln_b, i_w, i_b, o_w, o_b,
            oln_w, oln_b;
    };
    EncoderConfig cfg_;
    torch::Device device_{torch::kCPU};
    torch::Tensor word_, pos_, type_, eln_w_, eln_b_;
    std::vector<Layer> layers_;
};

}  // namespace tb::bertscore
