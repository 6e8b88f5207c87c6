#include "core/train/lora_injection.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace tb {

const std::vector<std::string>& projection_names() {
    static const std::vector<std::string> names{"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                                "gate_proj", "up_proj", "down_proj"};
    return names;
}

std::string projection_module_path(int64_t layer, const std::string& proj) {
    const bool attn = proj == "q_proj" || proj == "k_proj" || proj == "v_proj" || proj == "o_proj";
    return "model.layers." + std::to_string(layer) + (attn ? ".self_attn." : ".mlp.") + proj;
}

// PEFT matches target_modules / rank_pattern keys as dotted suffixes of the module name.
static bool suffix_match(const std::string& module, const std::string& key) {
    if (module == key) return true;
    return module.size() > key.size() &&
           module.compare(module.size() - key.size(), key.size(), key) == 0 &&
           module[module.size() - key.size() - 1] == '.';
}

Result<LoraInit> parse_lora_init(const std::string& name) {
    if (name == "default" || name == "kaiming") return LoraInit::Kaiming;
    if (name == "gaussian") return LoraInit::Gaussian;
    return make_error("lora.init", "unknown init '" + name + "' (expected default or gaussian)");
}

void freeze_base(LlamaModel& model) {
    auto freeze = [](at::Tensor& t) {
        if (t.defined() && t.requires_grad()) t.set_requires_grad(false);
    };
    freeze(model.embed_tokens);
    freeze(model.final_norm);
    freeze(model.lm_head);
    for (auto& L : model.layers) {
        freeze(L.input_norm);
        freeze(L.post_norm);
        for (const auto& p : projection_names()) {
            LoraLinear* lin = L.projection(p);
            freeze(lin->weight);
            freeze(lin->bias);
        }
    }
}

Status inject_lora(LlamaModel& model, const LoraSettings& s, uint64_t seed, LoraInit init) {
    if (s.r < 1) return make_error("lora.r", "must be >= 1");
    if (s.target_modules.empty()) return make_error("lora.target_modules", "empty list");
    const int64_t n_layers = static_cast<int64_t>(model.layers.size());
    // Every target must name at least one projection: a typo would otherwise train nothing.
    for (const auto& t : s.target_modules) {
        bool any = false;
        for (int64_t i = 0; i < n_layers && !any; ++i)
            for (const auto& p : projection_names())
                if (suffix_match(projection_module_path(i, p), t)) any = true;
        if (!any)
            return make_error("lora.target_modules",
                              "'" + t +
                                  "' matches no projection (expected q_proj, k_proj, v_proj, "
                                  "o_proj, gate_proj, up_proj or down_proj)");
    }
    torch::NoGradGuard no_grad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (int64_t i = 0; i < n_layers; ++i) {
        for (const auto& p : projection_names()) {
            const std::string mod = projection_module_path(i, p);
            bool targeted = false;
            for (const auto& t : s.target_modules) targeted |= suffix_match(mod, t);
            if (!targeted) continue;
            LoraLinear* lin = model.layers[static_cast<size_t>(i)].projection(p);
            if (lin->lora.defined()) return make_error(mod, "already carries a LoRA branch");
            int64_t r = s.r;
            double alpha = s.alpha;
            for (const auto& [k, v] : s.rank_pattern)
                if (suffix_match(mod, k)) r = v;
            for (const auto& [k, v] : s.alpha_pattern)
                if (suffix_match(mod, k)) alpha = v;
            if (r < 1) return make_error("lora.rank_pattern", mod + ": rank must be >= 1");
            const int64_t in = lin->in_features(), out = lin->out_features();
            at::Tensor A = at::empty({r, in}, at::kFloat);
            if (init == LoraInit::Kaiming) {
                const double bound = 1.0 / std::sqrt(static_cast<double>(in));
                A.uniform_(-bound, bound, gen);
            } else {
                A.normal_(0.0, 1.0 / static_cast<double>(r), gen);
            }
            LoraBranch b;
            b.A = A.to(model.device);
            b.B = at::zeros({out, r}, at::TensorOptions().dtype(at::kFloat).device(model.device));
            b.scale = lora_scale(s, r, alpha);
            b.dropout = s.dropout;
            // DoRA: row norms of the (dequantised, for QLoRA) base weight, as PEFT computes them.
            if (s.use_dora) b.magnitude = lin->base_weight(at::kFloat).norm(2, {1});
            lin->lora = std::move(b);
        }
    }
    make_lora_trainable(model);
    return Status::Ok();
}

void make_lora_trainable(LlamaModel& model) {
    freeze_base(model);
    torch::NoGradGuard no_grad;
    auto leaf = [&](at::Tensor& t) {
        if (!t.defined()) return;
        // A fresh fp32 leaf: detach() drops any history, clone() owns the storage.
        t = t.detach().to(at::TensorOptions().dtype(at::kFloat).device(model.device)).clone();
        t.set_requires_grad(true);
    };
    for (auto& L : model.layers)
        for (const auto& p : projection_names()) {
            LoraLinear* lin = L.projection(p);
            if (!lin->lora.defined()) continue;
            leaf(lin->lora.A);
            leaf(lin->lora.B);
            leaf(lin->lora.magnitude);
        }
}

std::vector<NamedParameter> lora_parameters(LlamaModel& model) {
    std::vector<NamedParameter> out;
    for (size_t i = 0; i < model.layers.size(); ++i)
        for (const auto& p : projection_names()) {
            LoraLinear* lin = model.layers[i].projection(p);
            if (!lin->lora.defined()) continue;
            const std::string base =
                "base_model.model." + projection_module_path(static_cast<int64_t>(i), p);
            out.push_back({base + ".lora_A.weight", lin->lora.A});
            out.push_back({base + ".lora_B.weight", lin->lora.B});
            if (lin->lora.magnitude.defined())
                out.push_back({base + ".lora_magnitude_vector", lin->lora.magnitude});
        }
    return out;
}

int64_t count_lora_parameters(const LlamaModel& model) {
    int64_t n = 0;
    for (auto& p : lora_parameters(const_cast<LlamaModel&>(model))) n += p.tensor.numel();
    return n;
}

int64_t count_base_parameters(const LlamaModel& model) {
    auto numel = [](const at::Tensor& t) { return t.defined() ? t.numel() : int64_t{0}; };
    int64_t n = numel(model.embed_tokens) + numel(model.final_norm);
    if (!model.config.tie_word_embeddings) n += numel(model.lm_head);
    for (const auto& L : model.layers) {
        n += numel(L.input_norm) + numel(L.post_norm);
        for (const auto& p : projection_names()) {
            const LoraLinear* lin = const_cast<LlamaLayer&>(L).projection(p);
            n += lin->is_packed() ? lin->out_features() * lin->in_features() : numel(lin->weight);
            n += numel(lin->bias);
        }
    }
    return n;
}

}  // namespace tb
