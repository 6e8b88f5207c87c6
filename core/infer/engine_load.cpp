#include "core/infer/engine_load.h"

#include <filesystem>

#include "core/common/torch_compat.h"
#include "core/infer/gguf_model_loader.h"
#include "core/infer/llama_io.h"
#include "core/infer/request_rules.h"

namespace tb::infer {

namespace fs = std::filesystem;

Result<EngineTarget> resolve_engine_target(const EngineParams& p) {
    EngineTarget t;
    if (p.device == "auto" || p.device.empty()) {
        if (compat::cuda_available()) t.device = at::Device(at::kCUDA, 0);
    } else {
        TB_ASSIGN_OR_RETURN(t.device, parse_device(p.device));
    }
    t.dtype = t.device.is_cuda() ? at::kBFloat16 : at::kFloat;
    if (p.dtype != "auto" && !p.dtype.empty()) {
        TB_ASSIGN_OR_RETURN(t.dtype, parse_dtype(p.dtype));
    }
    return t;
}

Result<LoadedEngineModel> load_engine_model(const EngineParams& p, const EngineTarget& target) {
    if (p.model_dir.empty() && !p.random_shape)
        return make_error("model", "give a model folder or a random shape");
    torch::NoGradGuard no_grad;
    LoadOptions lo;
    lo.dtype = target.dtype;
    lo.device = target.device;
    lo.cancel = p.cancel;
    LoadedEngineModel m;
    if (is_gguf_file(p.model_dir)) {
        GgufLoadOptions go;
        go.dtype = target.dtype;
        go.device = target.device;
        go.packed = p.engine == "quant";
        go.cancel = p.cancel;
        TB_ASSIGN_OR_RETURN(GgufModel g, load_gguf_model(p.model_dir, go));
        m.model = std::move(g.model);
        m.gen = std::move(g.gen);
        m.tok = std::move(g.tok);
        m.head = std::move(g.head);
        m.prepacked = go.packed;
    } else if (!p.model_dir.empty()) {
        TB_ASSIGN_OR_RETURN(m.model, load_llama_model(p.model_dir, lo));
        TB_ASSIGN_OR_RETURN(
            m.gen,
            load_generation_defaults((fs::path(p.model_dir) / "generation_config.json").string()));
    } else {
        m.model = init_llama(*p.random_shape, p.seed, 0.02, lo);
    }
    // (A GGUF file's own tokenizer: p.tokenizer empty or naming the file itself.)
    const bool gguf = is_gguf_file(p.model_dir);
    std::string tok_path = p.tokenizer;
    if (gguf && (tok_path == p.model_dir || is_gguf_file(tok_path))) tok_path.clear();
    if (tok_path.empty() && !p.model_dir.empty() && !gguf &&
        fs::exists(fs::path(p.model_dir) / "tokenizer.model"))
        tok_path = p.model_dir;
    if (!tok_path.empty()) {
        if (fs::is_directory(tok_path)) {
            TB_ASSIGN_OR_RETURN(m.tok, Tokenizer::load(tok_path));
        } else {
            TB_ASSIGN_OR_RETURN(m.tok, Tokenizer::load_files(tok_path, ""));
        }
    }
    // The EOS/pad rule (see inference.h).
    m.eos = resolve_eos_ids(m.gen, m.model.config, m.tok.get());
    m.pad = resolve_pad_id(m.model.config, m.tok.get());
    return m;
}

}  // namespace tb::infer
