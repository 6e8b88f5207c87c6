#include "core/bertscore/bert_encoder.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/model/safetensors.h"

namespace tb::bertscore {
namespace {

at::ScalarType to_torch(StDType t) {
    switch (t) {
        case StDType::F32:
            return at::kFloat;
        case StDType::F16:
            return at::kHalf;
        case StDType::BF16:
            return at::kBFloat16;
        case StDType::F64:
            return at::kDouble;
        default:
            return at::kByte;
    }
}

}  // namespace

Result<EncoderConfig> load_encoder_config(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(path, "not a JSON object");
    EncoderConfig c;
    c.model_type = j.value("model_type", std::string());
    if (c.model_type != "bert" && c.model_type != "roberta" && c.model_type != "xlm-roberta" &&
        c.model_type != "camembert")
        return make_error(path,
                          "model_type: '" + c.model_type + "' is not a BERT or RoBERTa encoder");
    auto need = [&](const char* key, int64_t* out) -> Status {
        if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() <= 0)
            return make_error(path, std::string(key) + ": missing or not a positive integer");
        *out = j[key].get<int64_t>();
        return Status::Ok();
    };
    TB_TRY_STATUS(need("vocab_size", &c.vocab_size));
    TB_TRY_STATUS(need("hidden_size", &c.hidden_size));
    TB_TRY_STATUS(need("num_hidden_layers", &c.num_hidden_layers));
    TB_TRY_STATUS(need("num_attention_heads", &c.num_attention_heads));
    TB_TRY_STATUS(need("intermediate_size", &c.intermediate_size));
    TB_TRY_STATUS(need("max_position_embeddings", &c.max_position_embeddings));
    TB_TRY_STATUS(need("type_vocab_size", &c.type_vocab_size));
    if (c.hidden_size % c.num_attention_heads != 0)
        return make_error(path, "hidden_size: not a multiple of num_attention_heads");
    c.pad_token_id = j.value("pad_token_id", c.model_type == "bert" ? 0 : 1);
    c.layer_norm_eps = j.value("layer_norm_eps", 1e-12);
    const std::string act = j.value("hidden_act", std::string("gelu"));
    if (act != "gelu")
        return make_error(path, "hidden_act: '" + act + "' unsupported (only exact 'gelu')");
    const std::string pos = j.value("position_embedding_type", std::string("absolute"));
    if (pos != "absolute")
        return make_error(path, "position_embedding_type: '" + pos + "' unsupported");
    return c;
}

Result<BertEncoder> BertEncoder::load(const std::string& dir, const torch::Device& device) {
    BertEncoder e;
    e.device_ = device;
    TB_ASSIGN_OR_RETURN(e.cfg_, load_encoder_config(dir + "/config.json"));
    const std::string st_path = dir + "/model.safetensors";
    TB_ASSIGN_OR_RETURN(auto st, SafetensorsFile::open(st_path));
    const std::vector<std::string> prefixes = {"",
                                               e.cfg_.model_type == "bert" ? "bert." : "roberta."};
    std::string error;
    auto get = [&](const std::string& name, std::vector<int64_t> shape) -> torch::Tensor {
        if (!error.empty()) return {};
        std::vector<std::string> names = {name};
        // legacy TF-converted checkpoints name LayerNorm parameters gamma/beta
        if (name.find("LayerNorm.weight") != std::string::npos)
            names.push_back(name.substr(0, name.size() - 6) + "gamma");
        if (name.find("LayerNorm.bias") != std::string::npos)
            names.push_back(name.substr(0, name.size() - 4) + "beta");
        for (const auto& p : prefixes)
            for (const auto& n : names)
                if (const StTensorView* v = st->find(p + n)) {
                    Status ok = st_check_tensor(
                        st_path, *v, {StDType::F32, StDType::F16, StDType::BF16, StDType::F64},
                        &shape);
                    if (!ok.ok()) {
                        error = ok.error().message;
                        return {};
                    }
                    return at::from_blob(const_cast<uint8_t*>(v->data), v->shape,
                                         to_torch(v->dtype))
                        .to(device, at::kFloat, /*non_blocking=*/false, /*copy=*/true);
                }
        error = st_path + ": tensor '" + name + "' not found";
        return {};
    };
    const auto& c = e.cfg_;
    const int64_t H = c.hidden_size, I = c.intermediate_size;
    e.word_ = get("embeddings.word_embeddings.weight", {c.vocab_size, H});
    e.pos_ = get("embeddings.position_embeddings.weight", {c.max_position_embeddings, H});
    e.type_ = get("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H});
    e.eln_w_ = get("embeddings.LayerNorm.weight", {H});
    e.eln_b_ = get("embeddings.LayerNorm.bias", {H});
    for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
        const std::string p = "encoder.layer." + std::to_string(l) + ".";
        Layer L;
        L.q_w = get(p + "attention.self.query.weight", {H, H});
        L.q_b = get(p + "attention.self.query.bias", {H});
        L.k_w = get(p + "attention.self.key.weight", {H, H});
        L.k_b = get(p + "attention.self.key.bias", {H});
        L.v_w = get(p + "attention.self.value.weight", {H, H});
        L.v_b = get(p + "attention.self.value.bias", {H});
        L.ao_w = get(p + "attention.output.dense.weight", {H, H});
        L.ao_b = get(p + "attention.output.dense.bias", {H});
        L.aln_w = get(p + "attention.output.LayerNorm.weight", {H});
        L.aln_b = get(p + "attention.output.LayerNorm.bias", {H});
        L.i_w = get(p + "intermediate.dense.weight", {I, H});
        L.i_b = get(p + "intermediate.dense.bias", {I});
        L.o_w = get(p + "output.dense.weight", {H, I});
        L.o_b = get(p + "output.dense.bias", {H});
        L.oln_w = get(p + "output.LayerNorm.weight", {H});
        L.oln_b = get(p + "output.LayerNorm.bias", {H});
        e.layers_.push_back(std::move(L));
    }
    if (!error.empty()) return Error{error};
    return e;
}

std::vector<torch::Tensor> BertEncoder::forward(const torch::Tensor& ids_in,
                                                const torch::Tensor& mask_in,
                                                int64_t up_to_layer) const {
    torch::NoGradGuard no_grad;
    const auto& c = cfg_;
    const torch::Tensor ids = ids_in.to(device_, at::kLong);
    const torch::Tensor mask = mask_in.to(device_, at::kLong);
    const int64_t B = ids.size(0), T = ids.size(1), nh = c.num_attention_heads,
                  hd = c.hidden_size / nh;
    torch::Tensor pos_ids;
    if (c.roberta_positions()) {
        // create_position_ids_from_input_ids: padding tokens keep padding_idx, real tokens count
        // from padding_idx + 1 (based on the ids, not on the attention mask).
        const torch::Tensor m = ids.ne(c.pad_token_id).to(at::kInt);
        pos_ids = (at::cumsum(m, 1).to(at::kInt) * m).to(at::kLong) + c.pad_token_id;
    } else {
        pos_ids = at::arange(T, ids.options()).unsqueeze(0).expand({B, T});
    }
    torch::Tensor x = at::embedding(word_, ids) + type_[0] + at::embedding(pos_, pos_ids);
    x = at::layer_norm(x, {c.hidden_size}, eln_w_, eln_b_, c.layer_norm_eps);
    std::vector<torch::Tensor> hidden = {x};
    // get_extended_attention_mask: (1 - mask) * finfo(float32).min, broadcast over heads/queries
    const torch::Tensor add_mask =
        (1.0 - mask.to(at::kFloat)).mul(std::numeric_limits<float>::lowest()).view({B, 1, 1, T});
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    for (int64_t l = 0; l < up_to_layer && l < static_cast<int64_t>(layers_.size()); ++l) {
        const Layer& L = layers_[l];
        auto heads = [&](const torch::Tensor& t) { return t.view({B, T, nh, hd}).transpose(1, 2); };
        const torch::Tensor q = heads(at::linear(x, L.q_w, L.q_b));
        const torch::Tensor k = heads(at::linear(x, L.k_w, L.k_b));
        const torch::Tensor v = heads(at::linear(x, L.v_w, L.v_b));
        torch::Tensor w = at::matmul(q, k.transpose(-1, -2)) * scale + add_mask;
        w = at::softmax(w, -1);
        const torch::Tensor ctx = at::matmul(w, v).transpose(1, 2).reshape({B, T, c.hidden_size});
        const torch::Tensor a = at::layer_norm(at::linear(ctx, L.ao_w, L.ao_b) + x, {c.hidden_size},
                                               L.aln_w, L.aln_b, c.layer_norm_eps);
        const torch::Tensor inter = at::gelu(at::linear(a, L.i_w, L.i_b));
        x = at::layer_norm(at::linear(inter, L.o_w, L.o_b) + a, {c.hidden_size}, L.oln_w, L.oln_b,
                           c.layer_norm_eps);
        hidden.push_back(x);
    }
    return hidden;
}

}  // namespace tb::bertscore
