#include "core/model/model_folder.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/common/file_io.h"

namespace tb {

namespace {

using nlohmann::json;

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

enum class Kind { kMissing, kFile, kDir, kOther };
Kind path_kind(const std::string& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return Kind::kMissing;
    if (S_ISREG(st.st_mode)) return Kind::kFile;
    if (S_ISDIR(st.st_mode)) return Kind::kDir;
    return Kind::kOther;
}

// Adds every tensor of `file` to the folder's name -> view map, remembering the file for
// error messages.
void add_tensors(ModelFolder* mf, const std::shared_ptr<SafetensorsFile>& file,
                 std::map<std::string, std::string>* source) {
    for (const auto& [name, view] : file->tensors()) {
        mf->tensors[name] = &view;
        (*source)[name] = file->path();
    }
}

// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: shard file}}.
Status open_sharded(const std::string& dir, const std::string& index_path, ModelFolder* mf,
                    std::map<std::string, std::string>* source) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(index_path));
    json index;
    try {
        index = json::parse(text);
    } catch (const json::exception& e) {
        return make_error(index_path, std::string("invalid JSON: ") + e.what());
    }
    if (!index.is_object())
        return make_error(index_path, "expected a JSON object at the top level");
    auto wm = index.find("weight_map");
    if (wm == index.end()) return make_error(index_path, "weight_map: missing");
    if (!wm->is_object()) return make_error(index_path, "weight_map: expected an object");
    if (wm->empty()) return make_error(index_path, "weight_map: empty");

    std::map<std::string, std::vector<std::string>> by_shard;  // shard -> tensor names
    std::map<std::string, std::string> shard_of;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
        const std::string where = "weight_map: tensor " + quoted_name(it.key());
        if (!it.value().is_string())
            return make_error(index_path, where + ": shard name is not a string");
        const std::string shard = it.value().get<std::string>();
        // Only plain file names: an index must not make us map files outside the folder.
        if (shard.empty() || shard == "." || shard == ".." ||
            shard.find('/') != std::string::npos || shard.find('\0') != std::string::npos)
            return make_error(index_path, where + ": shard " + quoted_name(shard) +
                                              " is not a file name inside the model folder");
        by_shard[shard].push_back(it.key());
        shard_of[it.key()] = shard;
    }

    for (const auto& [shard, names] : by_shard) {
        const std::string shard_path = dir + "/" + shard;
        if (path_kind(shard_path) != Kind::kFile)
            return make_error(index_path, "weight_map: shard " + quoted_name(shard) +
                                              " (listed for tensor " + quoted_name(names.front()) +
                                              ") does not exist");
        TB_ASSIGN_OR_RETURN(std::shared_ptr<SafetensorsFile> file,
                            SafetensorsFile::open(shard_path));
        for (const std::string& n : names) {
            if (!file->find(n))
                return make_error(index_path, "weight_map: tensor " + quoted_name(n) +
                                                  " is not in shard " + quoted_name(shard));
        }
        for (const auto& [n, view] : file->tensors()) {
            (void)view;
            auto it = shard_of.find(n);
            if (it == shard_of.end())
                return make_error(shard_path,
                                  "tensor " + quoted_name(n) + " is not listed in " + index_path);
            if (it->second != shard)
                return make_error(shard_path, "tensor " + quoted_name(n) + " is also here, but " +
                                                  index_path + " maps it to " +
                                                  quoted_name(it->second));
        }
        add_tensors(mf, file, source);
        mf->files.push_back(std::move(file));
    }
    return Status::Ok();
}

Status check_tensor(const StTensorView& v, const std::vector<int64_t>& shape,
                    const std::string& file) {
    const std::string where = file + ": tensor " + quoted_name(v.name);
    TB_TRY_STATUS(st_check_tensor(file, v, {StDType::F32, StDType::F16, StDType::BF16}));
    if (v.shape != shape)
        return make_error(where, "shape " + shape_text(v.shape) + " does not match " +
                                     shape_text(shape) + " implied by config.json");
    return Status::Ok();
}

}  // namespace

std::map<std::string, std::vector<int64_t>> expected_llama_tensors(const LlamaConfig& c) {
    const int64_t H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
    const int64_t q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;
    std::map<std::string, std::vector<int64_t>> t;
    t["model.embed_tokens.weight"] = {V, H};
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        t[p + "input_layernorm.weight"] = {H};
        t[p + "post_attention_layernorm.weight"] = {H};
        t[p + "self_attn.q_proj.weight"] = {q, H};
        t[p + "self_attn.k_proj.weight"] = {kv, H};
        t[p + "self_attn.v_proj.weight"] = {kv, H};
        t[p + "self_attn.o_proj.weight"] = {H, q};
        if (c.attention_bias) {
            t[p + "self_attn.q_proj.bias"] = {q};
            t[p + "self_attn.k_proj.bias"] = {kv};
            t[p + "self_attn.v_proj.bias"] = {kv};
            t[p + "self_attn.o_proj.bias"] = {H};
        }
        t[p + "mlp.gate_proj.weight"] = {I, H};
        t[p + "mlp.up_proj.weight"] = {I, H};
        t[p + "mlp.down_proj.weight"] = {H, I};
        if (c.mlp_bias) {
            t[p + "mlp.gate_proj.bias"] = {I};
            t[p + "mlp.up_proj.bias"] = {I};
            t[p + "mlp.down_proj.bias"] = {H};
        }
    }
    t["model.norm.weight"] = {H};
    if (!c.tie_word_embeddings) t["lm_head.weight"] = {V, H};
    return t;
}

Result<ModelFolder> open_model_folder(const std::string& dir_in) {
    std::string dir = dir_in;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const Kind k = path_kind(dir);
    if (k == Kind::kMissing) return make_error(dir, "model folder does not exist");
    if (k != Kind::kDir) return make_error(dir, "not a directory");

    ModelFolder mf;
    mf.dir = dir;
    const std::string config_path = dir + "/config.json";
    if (path_kind(config_path) == Kind::kMissing)
        return make_error(config_path, "missing (not a Hugging Face model folder?)");
    TB_ASSIGN_OR_RETURN(mf.config, load_llama_config(config_path));
    TB_ASSIGN_OR_RETURN(mf.generation, load_generation_defaults(dir + "/generation_config.json"));

    // Like transformers: a single model.safetensors wins over an index.
    const std::string single = dir + "/model.safetensors";
    const std::string index = dir + "/model.safetensors.index.json";
    std::map<std::string, std::string> source;  // tensor -> file it came from
    std::string weights_where;                  // names the weights in "missing" errors
    if (path_kind(single) != Kind::kMissing) {
        TB_ASSIGN_OR_RETURN(std::shared_ptr<SafetensorsFile> file, SafetensorsFile::open(single));
        add_tensors(&mf, file, &source);
        mf.files.push_back(std::move(file));
        weights_where = single;
    } else if (path_kind(index) != Kind::kMissing) {
        TB_TRY_STATUS(open_sharded(dir, index, &mf, &source));
        weights_where = index;
    } else {
        return make_error(dir, "no model.safetensors or model.safetensors.index.json");
    }

    const auto expected = expected_llama_tensors(mf.config);
    for (const auto& [name, shape] : expected) {
        auto it = mf.tensors.find(name);
        if (it == mf.tensors.end())
            return make_error(weights_where, "missing tensor " + quoted_name(name) + " (shape " +
                                                 shape_text(shape) + " implied by config.json)");
        TB_TRY_STATUS(check_tensor(*it->second, shape, source[name]));
    }
    for (const auto& [name, view] : mf.tensors) {
        if (expected.count(name)) continue;
        // Some exporters keep a tied head anyway; it must still look like one.
        if (name == "lm_head.weight" && mf.config.tie_word_embeddings) {
            TB_TRY_STATUS(
                check_tensor(*view, {mf.config.vocab_size, mf.config.hidden_size}, source[name]));
            continue;
        }
        // Old checkpoints saved the rotary buffer; it is recomputed from the config.
        if (ends_with(name, "rotary_emb.inv_freq")) continue;
        return make_error(source[name], "unexpected tensor " + quoted_name(name) +
                                            " (not part of a Llama model with this config.json)");
    }
    return mf;
}

}  // namespace tb
