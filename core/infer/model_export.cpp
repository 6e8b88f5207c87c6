#include "core/infer/model_export.h"

#include <filesystem>

#include "core/infer/llama_io.h"
#include "core/infer/llama_model.h"
#include "core/infer/peft_adapter.h"

namespace tb {

namespace fs = std::filesystem;

namespace {

Status require_empty_destination(const std::string& to) {
    std::error_code ec;
    if (fs::exists(to, ec)) {
        if (!fs::is_directory(to, ec)) return make_error(to, "exists and is not a folder");
        if (!fs::is_empty(to, ec)) return make_error(to, "the destination folder is not empty");
    }
    fs::create_directories(to, ec);
    if (ec) return make_error(to, "cannot create: " + ec.message());
    return Status::Ok();
}

Status copy_one(const fs::path& src, const fs::path& dst) {
    std::error_code ec;
    fs::create_directories(dst.parent_path(), ec);
    if (ec) return make_error(dst.parent_path().string(), "cannot create: " + ec.message());
    const fs::path tmp = dst.string() + ".partial";
    fs::copy_file(src, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error(src.string(), "cannot copy to " + dst.string() + ": " + ec.message());
    fs::rename(tmp, dst, ec);
    if (ec) return make_error(dst.string(), "cannot rename: " + ec.message());
    return Status::Ok();
}

at::ScalarType dtype_of(const std::string& name) {
    if (name == "bfloat16") return at::kBFloat16;
    if (name == "float16") return at::kHalf;
    return at::kFloat;
}

}  // namespace

Status copy_model_folder(const std::string& from, const std::string& to) {
    std::error_code ec;
    if (!fs::is_directory(from, ec)) return make_error(from, "not a folder");
    TB_TRY_STATUS(require_empty_destination(to));
    for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        const fs::path rel = fs::relative(it->path(), from);
        TB_TRY_STATUS(copy_one(it->path(), fs::path(to) / rel));
    }
    if (ec) return make_error(from, "cannot list: " + ec.message());
    return Status::Ok();
}

Status copy_tokenizer_folder_files(const std::string& from, const std::string& to) {
    for (const char* f : {"tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                          "special_tokens_map.json", "added_tokens.json", "chat_template.jinja"}) {
        const fs::path src = fs::path(from) / f;
        std::error_code ec;
        if (!fs::exists(src, ec)) continue;
        TB_TRY_STATUS(copy_one(src, fs::path(to) / f));
    }
    return Status::Ok();
}

Status merge_adapter_into_folder(const std::string& base_model_dir, const std::string& adapter_dir,
                                 const std::string& out_dir,
                                 const std::function<void(const std::string&)>& on_stage) {
    auto stage = [&](const char* s) {
        if (on_stage) on_stage(s);
    };
    TB_TRY_STATUS(require_empty_destination(out_dir));
    stage("loading");
    TB_ASSIGN_OR_RETURN(LlamaModel model, load_llama_model(base_model_dir));
    TB_TRY_STATUS(apply_peft_adapter(model, adapter_dir));
    stage("merging");
    {
        at::NoGradGuard no_grad;
        merge_lora_into_base(model);
    }
    stage("saving");
    TB_TRY_STATUS(save_llama_model(model, out_dir, dtype_of(model.config.dtype)));
    return copy_tokenizer_folder_files(base_model_dir, out_dir);
}

}  // namespace tb
