#include "core/infer/llama_io.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/model/model_folder.h"
#include "core/model/safetensors.h"

namespace tb {

namespace fs = std::filesystem;

LlamaModel init_llama(const LlamaConfig& cfg, uint64_t seed, double std, const LoadOptions& opts) {
    torch::NoGradGuard no_grad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto to_dev = at::TensorOptions().dtype(opts.dtype).device(opts.device);
    auto normal = [&](std::vector<int64_t> shape) {
        at::Tensor t = at::empty(shape, at::kFloat);
        t.normal_(0.0, std, gen);
        return t.to(to_dev);
    };
    auto ones = [&](int64_t n) { return at::ones({n}, to_dev); };
    const int64_t H = cfg.hidden_size, I = cfg.intermediate_size, hd = cfg.head_dim;
    const int64_t nh = cfg.num_attention_heads, nkv = cfg.num_key_value_heads;
    LlamaModel m;
    m.config = cfg;
    m.dtype = opts.dtype;
    m.device = opts.device;
    m.embed_tokens = normal({cfg.vocab_size, H});
    auto lin = [&](int64_t out, int64_t in, bool bias) {
        LoraLinear l;
        l.weight = normal({out, in});
        if (bias) l.bias = at::zeros({out}, to_dev);
        return l;
    };
    for (int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
        LlamaLayer L;
        L.input_norm = ones(H);
        L.post_norm = ones(H);
        L.q_proj = lin(nh * hd, H, cfg.attention_bias);
        L.k_proj = lin(nkv * hd, H, cfg.attention_bias);
        L.v_proj = lin(nkv * hd, H, cfg.attention_bias);
        L.o_proj = lin(H, nh * hd, cfg.attention_bias);
        L.gate_proj = lin(I, H, cfg.mlp_bias);
        L.up_proj = lin(I, H, cfg.mlp_bias);
        L.down_proj = lin(H, I, cfg.mlp_bias);
        m.layers.push_back(std::move(L));
    }
    m.final_norm = ones(H);
    m.lm_head = cfg.tie_word_embeddings ? m.embed_tokens : normal({cfg.vocab_size, H});
    m.inv_freq = rope_inv_freq(cfg).to(opts.device);
    return m;
}

Status save_llama_model(const LlamaModel& model, const std::string& dir,
                        at::ScalarType save_dtype) {
    StDType st;
    std::string dtype_name;
    if (save_dtype == at::kFloat) {
        st = StDType::F32;
        dtype_name = "float32";
    } else if (save_dtype == at::kBFloat16) {
        st = StDType::BF16;
        dtype_name = "bfloat16";
    } else if (save_dtype == at::kHalf) {
        st = StDType::F16;
        dtype_name = "float16";
    } else
        return make_error(dir, "save dtype must be fp32, bf16 or fp16");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(dir, "cannot create: " + ec.message());

    std::vector<StTensorOut> out;
    auto put = [&](const std::string& name, const at::Tensor& t) {
        at::Tensor c = t.detach().to(at::kCPU).to(save_dtype).contiguous();
        StTensorOut o;
        o.name = name;
        o.dtype = st;
        o.shape = c.sizes().vec();
        o.data.assign(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
        out.push_back(std::move(o));
    };
    put("model.embed_tokens.weight", model.embed_tokens);
    put("model.norm.weight", model.final_norm);
    if (!model.config.tie_word_embeddings) put("lm_head.weight", model.lm_head);
    for (size_t i = 0; i < model.layers.size(); ++i) {
        const LlamaLayer& L = model.layers[i];
        const std::string p = "model.layers." + std::to_string(i);
        put(p + ".input_layernorm.weight", L.input_norm);
        put(p + ".post_attention_layernorm.weight", L.post_norm);
        auto lin = [&](const std::string& name, const LoraLinear& l) {
            put(name + ".weight", l.weight);
            if (l.bias.defined()) put(name + ".bias", l.bias);
        };
        lin(p + ".self_attn.q_proj", L.q_proj);
        lin(p + ".self_attn.k_proj", L.k_proj);
        lin(p + ".self_attn.v_proj", L.v_proj);
        lin(p + ".self_attn.o_proj", L.o_proj);
        lin(p + ".mlp.gate_proj", L.gate_proj);
        lin(p + ".mlp.up_proj", L.up_proj);
        lin(p + ".mlp.down_proj", L.down_proj);
    }
    TB_TRY_STATUS(
        write_safetensors((fs::path(dir) / "model.safetensors").string(), out, {{"format", "pt"}}));
    LlamaConfig cfg = model.config;
    cfg.dtype = dtype_name;
    TB_TRY_STATUS(
        write_file_atomic((fs::path(dir) / "config.json").string(), llama_config_to_json(cfg)));
    nlohmann::json gen = nlohmann::json::object();
    if (cfg.bos_token_id) gen["bos_token_id"] = *cfg.bos_token_id;
    if (cfg.eos_token_ids.size() == 1)
        gen["eos_token_id"] = cfg.eos_token_ids[0];
    else if (!cfg.eos_token_ids.empty())
        gen["eos_token_id"] = cfg.eos_token_ids;
    if (cfg.pad_token_id) gen["pad_token_id"] = *cfg.pad_token_id;
    return write_file_atomic((fs::path(dir) / "generation_config.json").string(),
                             gen.dump(2) + "\n");
}

}  // namespace tb
