#include "core/infer/peft_adapter.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/common/file_io.h"
#include "core/model/safetensors.h"

namespace tb {

namespace fs = std::filesystem;
using json = nlohmann::json;

static std::string module_path(int64_t layer, const std::string& proj) {
    const bool attn = proj == "q_proj" || proj == "k_proj" || proj == "v_proj" || proj == "o_proj";
    return "model.layers." + std::to_string(layer) + (attn ? ".self_attn." : ".mlp.") + proj;
}

// PEFT matches target_modules entries as module-name suffixes ("q_proj" matches
// "model.layers.0.self_attn.q_proj"); rank/alpha patterns likewise.
static bool suffix_match(const std::string& module, const std::string& key) {
    if (module == key) return true;
    return module.size() > key.size() &&
           module.compare(module.size() - key.size(), key.size(), key) == 0 &&
           module[module.size() - key.size() - 1] == '.';
}

double lora_scale(const LoraSettings& s, int64_t r, double alpha) {
    return s.use_rslora ? alpha / std::sqrt(static_cast<double>(r))
                        : alpha / static_cast<double>(r);
}

Result<LoraSettings> load_adapter_config(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    json j;
    try {
        j = json::parse(text);
    } catch (const std::exception& e) {
        return make_error(path, std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) return make_error(path, "expected a JSON object");
    LoraSettings s;
    auto field = [&](const char* key) -> const json* {
        auto it = j.find(key);
        return it == j.end() || it->is_null() ? nullptr : &*it;
    };
    try {
        if (auto* v = field("peft_type"); v && v->get<std::string>() != "LORA")
            return make_error(path, "peft_type: only LORA adapters are supported, got '" +
                                        v->get<std::string>() + "'");
        if (auto* v = field("r")) s.r = v->get<int64_t>();
        if (auto* v = field("lora_alpha")) s.alpha = v->get<double>();
        if (auto* v = field("lora_dropout")) s.dropout = v->get<double>();
        if (auto* v = field("use_rslora")) s.use_rslora = v->get<bool>();
        if (auto* v = field("use_dora")) s.use_dora = v->get<bool>();
        if (auto* v = field("base_model_name_or_path"))
            s.base_model_name_or_path = v->get<std::string>();
        if (auto* v = field("target_modules")) {
            if (v->is_string())
                return make_error(
                    path, "target_modules: regex strings are not supported; list the module names");
            s.target_modules = v->get<std::vector<std::string>>();
        }
        if (auto* v = field("fan_in_fan_out"); v && v->get<bool>())
            return make_error(path, "fan_in_fan_out: true is for GPT-2 Conv1D layers, not Llama");
        if (auto* v = field("bias"); v && v->get<std::string>() != "none")
            return make_error(path, "bias: only \"none\" is supported");
        if (auto* v = field("rank_pattern"))
            for (auto& [k, val] : v->items()) s.rank_pattern[k] = val.get<int64_t>();
        if (auto* v = field("alpha_pattern"))
            for (auto& [k, val] : v->items()) s.alpha_pattern[k] = val.get<double>();
    } catch (const json::exception& e) {
        return make_error(path, std::string("wrong type: ") + e.what());
    }
    if (s.r < 1) return make_error(path, "r: must be >= 1");
    for (const auto& [k, r] : s.rank_pattern)
        if (r < 1) return make_error(path, "rank_pattern." + k + ": must be >= 1");
    // A non-finite or negative scale would silently poison every merged weight.
    if (!std::isfinite(s.alpha)) return make_error(path, "lora_alpha: must be finite");
    for (const auto& [k, a] : s.alpha_pattern)
        if (!std::isfinite(a)) return make_error(path, "alpha_pattern." + k + ": must be finite");
    if (!(s.dropout >= 0.0 && s.dropout <= 1.0))
        return make_error(path, "lora_dropout: must be in [0, 1]");
    return s;
}

Status apply_peft_adapter(LlamaModel& model, const std::string& adapter_dir) {
    const std::string cfg_path = (fs::path(adapter_dir) / "adapter_config.json").string();
    const std::string st_path = (fs::path(adapter_dir) / "adapter_model.safetensors").string();
    if (!fs::exists(cfg_path)) return make_error(cfg_path, "missing (not a PEFT adapter folder?)");
    if (!fs::exists(st_path)) {
        if (fs::exists(fs::path(adapter_dir) / "adapter_model.bin"))
            return make_error(st_path,
                              "missing; adapter_model.bin (pickle) is not read for safety, re-save "
                              "with safe_serialization");
        return make_error(st_path, "missing");
    }
    TB_ASSIGN_OR_RETURN(LoraSettings s, load_adapter_config(cfg_path));
    TB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::open(st_path));

    std::set<std::string> used;
    // A LoRA weight as a tensor of dtype `dt` on the model's device; an undefined tensor when
    // the file has no such tensor. Only floating-point dtypes are weights: reading another
    // dtype's bytes as floats would run past the tensor's data (U8 read as F64 is 8x).
    auto tensor = [&](const std::string& name, at::ScalarType dt) -> Result<at::Tensor> {
        const StTensorView* v = file->find(name);
        if (!v) return at::Tensor();
        used.insert(name);
        TB_TRY_STATUS(st_check_tensor(st_path, *v,
                                      {StDType::F32, StDType::F16, StDType::BF16, StDType::F64}));
        at::ScalarType src = at::kFloat;
        switch (v->dtype) {
            case StDType::F16:
                src = at::kHalf;
                break;
            case StDType::BF16:
                src = at::kBFloat16;
                break;
            case StDType::F64:
                src = at::kDouble;
                break;
            default:
                src = at::kFloat;
                break;
        }
        at::Tensor view =
            at::from_blob(const_cast<uint8_t*>(v->data), v->shape, at::TensorOptions().dtype(src));
        return view.to(at::TensorOptions().dtype(dt).device(model.device), false, true);
    };
    const std::string prefix = "base_model.model.";
    // Branches are attached only once the whole file has passed, so that a bad tensor never
    // leaves the model half-adapted.
    std::vector<std::pair<LoraLinear*, LoraBranch>> pending;
    for (int64_t i = 0; i < model.config.num_hidden_layers; ++i) {
        for (const char* proj : kLayerProjections) {
            const std::string mod = module_path(i, proj);
            bool targeted = false;
            for (const auto& t : s.target_modules) targeted |= suffix_match(mod, t);
            const std::string base = prefix + mod;
            const bool present = file->find(base + ".lora_A.weight") != nullptr;
            if (!targeted && !present) continue;
            if (!present)
                return make_error(
                    st_path,
                    base + ".lora_A.weight: missing (module is targeted by adapter_config.json)");
            if (!targeted)
                return make_error(st_path, base + ".lora_A.weight: present but " + proj +
                                               " is not in target_modules");
            LoraLinear* lin = model.layers[static_cast<size_t>(i)].projection(proj);
            int64_t r = s.r;
            double alpha = s.alpha;
            for (auto& [k, v] : s.rank_pattern)
                if (suffix_match(mod, k)) r = v;
            for (auto& [k, v] : s.alpha_pattern)
                if (suffix_match(mod, k)) alpha = v;
            // LoRA weights stay fp32 when the model is fp32 and follow it otherwise (PEFT
            // keeps them in the base dtype unless autocast_adapter_dtype upcasts them).
            const at::ScalarType dt = model.dtype;
            TB_ASSIGN_OR_RETURN(at::Tensor A, tensor(base + ".lora_A.weight", dt));
            TB_ASSIGN_OR_RETURN(at::Tensor B, tensor(base + ".lora_B.weight", dt));
            if (!B.defined()) return make_error(st_path, base + ".lora_B.weight: missing");
            if (A.dim() != 2 || A.size(0) != r || A.size(1) != lin->in_features())
                return make_error(st_path, base + ".lora_A.weight: shape mismatch (expected [" +
                                               std::to_string(r) + ", " +
                                               std::to_string(lin->in_features()) + "])");
            if (B.dim() != 2 || B.size(0) != lin->out_features() || B.size(1) != r)
                return make_error(st_path, base + ".lora_B.weight: shape mismatch (expected [" +
                                               std::to_string(lin->out_features()) + ", " +
                                               std::to_string(r) + "])");
            LoraBranch branch;
            branch.A = A;
            branch.B = B;
            branch.scale = lora_scale(s, r, alpha);
            branch.dropout = s.dropout;
            if (s.use_dora) {
                TB_ASSIGN_OR_RETURN(at::Tensor m, tensor(base + ".lora_magnitude_vector", dt));
                if (!m.defined()) {
                    TB_ASSIGN_OR_RETURN(m, tensor(base + ".lora_magnitude_vector.weight", dt));
                }
                if (!m.defined())
                    return make_error(st_path,
                                      base + ".lora_magnitude_vector: missing (use_dora is true)");
                if (m.numel() != lin->out_features())
                    return make_error(st_path, base + ".lora_magnitude_vector: shape mismatch");
                branch.magnitude = m.view({-1});
            }
            pending.emplace_back(lin, std::move(branch));
        }
    }
    for (const auto& [name, view] : file->tensors())
        if (!used.count(name))
            return make_error(
                st_path, name + ": unexpected tensor (not a LoRA weight of a Llama projection)");
    if (pending.empty()) return make_error(st_path, "no LoRA weights matched the model");
    for (auto& [lin, branch] : pending) lin->lora = std::move(branch);
    return Status::Ok();
}

Status save_peft_adapter(const LlamaModel& model, const LoraSettings& s,
                         const std::string& adapter_dir) {
    std::error_code ec;
    fs::create_directories(adapter_dir, ec);
    if (ec) return make_error(adapter_dir, "cannot create: " + ec.message());
    std::vector<StTensorOut> out;
    std::set<std::string> targets;
    auto put = [&](const std::string& name, const at::Tensor& t) {
        at::Tensor c = t.detach().to(at::kCPU).to(at::kFloat).contiguous();
        StTensorOut o;
        o.name = name;
        o.dtype = StDType::F32;
        o.shape = c.sizes().vec();
        o.data.assign(reinterpret_cast<const char*>(c.data_ptr<float>()),
                      c.numel() * sizeof(float));
        out.push_back(std::move(o));
    };
    for (int64_t i = 0; i < model.config.num_hidden_layers; ++i) {
        auto& layer = const_cast<LlamaLayer&>(model.layers[static_cast<size_t>(i)]);
        for (const char* proj : kLayerProjections) {
            const LoraLinear* lin = layer.projection(proj);
            if (!lin->lora.defined()) continue;
            targets.insert(proj);
            const std::string base = "base_model.model." + module_path(i, proj);
            put(base + ".lora_A.weight", lin->lora.A);
            put(base + ".lora_B.weight", lin->lora.B);
            if (lin->lora.magnitude.defined())
                put(base + ".lora_magnitude_vector", lin->lora.magnitude);
        }
    }
    if (out.empty()) return make_error(adapter_dir, "model carries no LoRA weights to save");
    json cfg = {
        {"peft_type", "LORA"},
        {"task_type", "CAUSAL_LM"},
        {"base_model_name_or_path", s.base_model_name_or_path},
        {"r", s.r},
        {"lora_alpha", s.alpha},
        {"lora_dropout", s.dropout},
        {"target_modules", std::vector<std::string>(targets.begin(), targets.end())},
        {"use_rslora", s.use_rslora},
        {"use_dora", s.use_dora},
        {"bias", "none"},
        {"fan_in_fan_out", false},
        {"inference_mode", true},
        {"init_lora_weights", true},
        {"modules_to_save", nullptr},
        {"layers_to_transform", nullptr},
        {"layers_pattern", nullptr},
        {"rank_pattern", json::object()},
        {"alpha_pattern", json::object()},
        {"revision", nullptr},
    };
    for (auto& [k, v] : s.rank_pattern) cfg["rank_pattern"][k] = v;
    for (auto& [k, v] : s.alpha_pattern) cfg["alpha_pattern"][k] = v;
    TB_TRY_STATUS(write_safetensors((fs::path(adapter_dir) / "adapter_model.safetensors").string(),
                                    out, {{"format", "pt"}}));
    return write_file_atomic((fs::path(adapter_dir) / "adapter_config.json").string(),
                             cfg.dump(2) + "\n");
}

void merge_lora_into_base(LlamaModel& model) {
    torch::NoGradGuard no_grad;
    for (auto& layer : model.layers)
        for (const char* proj : kLayerProjections) {
            LoraLinear* lin = layer.projection(proj);
            if (!lin->lora.defined()) continue;
            lin->weight = lin->merged_weight();
            lin->lora = LoraBranch{};
        }
}

}  // namespace tb
