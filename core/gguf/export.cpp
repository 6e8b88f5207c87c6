#include "core/gguf/export.h"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <optional>

#include "core/common/file_io.h"
#include "core/gguf/gguf_llama.h"
#include "core/gguf/ollama_modelfile.h"
#include "core/infer/llama_io.h"
#include "core/infer/llama_model.h"
#include "core/infer/model_export.h"
#include "core/infer/peft_adapter.h"
#include "core/model/model_config.h"
#include "core/tokenizer/tokenizer.h"

namespace fs = std::filesystem;

namespace tb::gguf {

const std::vector<std::string>& export_quant_names() {
    static const std::vector<std::string> v{"f16", "bf16", "q8_0", "q4_k_m", "f32"};
    return v;
}
const std::vector<std::string>& export_format_names() {
    static const std::vector<std::string> v{"hf", "gguf", "gguf-lora"};
    return v;
}

namespace {

// An Ollama model name from a folder name: lower case, [a-z0-9._-].
std::string ollama_name(const std::string& s) {
    std::string o;
    for (char ch : s) {
        const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        o += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')
                 ? c
                 : '-';
    }
    return o.empty() ? "model" : o;
}

std::string default_name(const ExportParams& p) {
    auto leaf = [](const std::string& d) {
        fs::path q = fs::path(d).lexically_normal();
        if (q.filename().empty()) q = q.parent_path();
        // runs/<id>/adapter -> <id>
        if (q.filename() == "adapter" || q.filename() == "merged_model") q = q.parent_path();
        return q.filename().string();
    };
    if (!p.adapter_dir.empty()) return ollama_name(leaf(p.model_dir) + "-" + leaf(p.adapter_dir));
    return ollama_name(leaf(p.model_dir));
}

int64_t file_size(const std::string& p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : static_cast<int64_t>(n);
}

}  // namespace

Result<ExportResult> run_export(const ExportParams& p) {
    const auto t0 = std::chrono::steady_clock::now();
    ExportResult res;
    auto progress = [&](const std::string& stage, const std::string& item, int64_t done,
                        int64_t total) {
        if (p.on_progress) p.on_progress({stage, item, done, total});
    };
    auto cancelled = [&] { return p.cancel && p.cancel->cancelled(); };
    // A cancelled export leaves none of its files: the GGUF being written is still
    // "<name>.gguf.tmp" (removed by the writer), and what this run already finished (the base
    // GGUF of gguf-lora) is removed here, so the folder never holds half an export.
    auto cancel_result = [&] {
        std::error_code rm;
        for (const auto& f : res.files) fs::remove(f.path, rm);
        res.files.clear();
        res.cancelled = true;
        return res;
    };
    if (p.model_dir.empty()) return Error{"--model: required"};
    if (p.out_dir.empty()) return Error{"--out: required"};
    if (!fs::is_directory(p.model_dir)) return Error{p.model_dir + ": not a model folder"};
    if (!p.adapter_dir.empty() && !fs::is_directory(p.adapter_dir)) {
        return Error{p.adapter_dir + ": not an adapter folder"};
    }

    if (p.format == "hf") {
        if (cancelled()) return cancel_result();
        // The copy and the merge take no token: a cancel is honoured when they return, and
        // their folder (absent or empty before, which they require) is emptied again.
        std::error_code ex;
        const bool existed = fs::exists(p.out_dir, ex);
        Status st =
            p.adapter_dir.empty()
                ? copy_model_folder(p.model_dir, p.out_dir)
                : merge_adapter_into_folder(p.model_dir, p.adapter_dir, p.out_dir,
                                            [&](const std::string& s) { progress(s, "", 0, 0); });
        TB_TRY_STATUS(st);
        if (cancelled()) {
            // remove_tree, not fs::remove_all (core/common/file_io.h says why).
            std::error_code rm;
            if (existed) {
                for (const auto& e : fs::directory_iterator(p.out_dir, rm))
                    (void)remove_tree(e.path().string());
            } else {
                (void)remove_tree(p.out_dir);
            }
            res.cancelled = true;
            return res;
        }
        for (const auto& e : fs::recursive_directory_iterator(p.out_dir)) {
            if (e.is_regular_file())
                res.files.push_back({e.path().string(), file_size(e.path().string())});
        }
        res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return res;
    }
    if (p.format != "gguf" && p.format != "gguf-lora") {
        return Error{"--format: unknown format '" + p.format + "' (hf, gguf, gguf-lora)"};
    }
    if (p.format == "gguf-lora" && p.adapter_dir.empty())
        return Error{"--format gguf-lora: --adapter is required"};
    TB_ASSIGN_OR_RETURN(FileType ft, parse_file_type(p.quant));
    const std::string name = p.name.empty() ? default_name(p) : ollama_name(p.name);
    std::error_code ec;
    fs::create_directories(p.out_dir, ec);
    if (ec) return Error{p.out_dir + ": cannot create: " + ec.message()};

    progress("loading", "", 0, 1);
    LoadOptions lo;
    lo.dtype = at::kFloat;
    lo.device = at::kCPU;
    lo.cancel = p.cancel;
    auto loaded = load_llama_model(p.model_dir, lo);
    if (!loaded.ok() && cancelled()) return cancel_result();
    if (!loaded.ok()) return loaded.error();
    LlamaModel model = std::move(loaded).value();
    progress("loading", "", 1, 1);
    if (cancelled()) return cancel_result();
    LoraSettings lora;
    if (!p.adapter_dir.empty()) {
        TB_ASSIGN_OR_RETURN(
            lora, load_adapter_config((fs::path(p.adapter_dir) / "adapter_config.json").string()));
    }
    if (p.format == "gguf" && !p.adapter_dir.empty()) {
        progress("merging", "", 0, 1);
        TB_TRY_STATUS(apply_peft_adapter(model, p.adapter_dir));
        merge_lora_into_base(model);
        progress("merging", "", 1, 1);
        if (cancelled()) return cancel_result();
    }

    const std::string gguf_name = name + ".gguf";
    const std::string gguf_path = (fs::path(p.out_dir) / gguf_name).string();
    LlamaGgufOptions o;
    o.file_type = ft;
    o.name = name;
    o.tokenizer_dir = p.model_dir;
    o.cancel = p.cancel;
    o.on_progress = [&](const WriteProgress& w) { progress("writing", w.tensor, w.done, w.total); };
    auto written = write_llama_gguf(model, gguf_path, o);
    if (!written.ok()) {
        if (cancelled()) return cancel_result();
        return Error{gguf_path + ": " + written.error().message};
    }
    res.files.push_back({gguf_path, written.value()});
    if (cancelled()) return cancel_result();

    std::optional<std::string> adapter_name;
    if (p.format == "gguf-lora") {
        progress("adapter", "", 0, 1);
        TB_TRY_STATUS(apply_peft_adapter(model, p.adapter_dir));
        adapter_name = name + "-lora.gguf";
        const std::string ap = (fs::path(p.out_dir) / *adapter_name).string();
        auto aw = write_lora_gguf(model, lora, ap, name + "-lora", p.cancel);
        if (!aw.ok()) {
            if (cancelled()) return cancel_result();
            return Error{ap + ": " + aw.error().message};
        }
        res.files.push_back({ap, aw.value()});
        progress("adapter", "", 1, 1);
    }

    if (cancelled()) return cancel_result();
    if (p.modelfile) {
        progress("modelfile", "", 0, 1);
        ModelfileParams mp;
        mp.from = gguf_name;
        mp.adapter = adapter_name;
        std::shared_ptr<Tokenizer> tok;
        if (fs::exists(fs::path(p.model_dir) / "tokenizer_config.json")) {
            auto t = Tokenizer::load(p.model_dir);
            if (t.ok())
                tok = t.value();
            else
                res.notes.push_back("no TEMPLATE: " + t.error().message);
        }
        mp.tokenizer = tok.get();
        auto gen =
            load_generation_defaults((fs::path(p.model_dir) / "generation_config.json").string());
        if (gen.ok()) mp.generation = gen.value();
        auto mf = make_modelfile(mp);
        if (!mf.ok() && tok) {
            // A template that cannot be written as Go: keep the rest, say why.
            res.notes.push_back("no TEMPLATE: " + mf.error().message);
            mp.tokenizer = nullptr;
            mf = make_modelfile(mp);
        }
        if (!mf.ok()) return mf.error();
        const std::string mpath = (fs::path(p.out_dir) / "Modelfile").string();
        TB_TRY_STATUS(write_file_atomic(mpath, mf.value()));
        res.files.push_back({mpath, file_size(mpath)});
        res.ollama_create = "ollama create " + name + " -f " + mpath;
        progress("modelfile", "", 1, 1);
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace tb::gguf

namespace tb::gguf {

Result<ExportBenchResult> run_export_bench(const ExportBenchParams& p) {
    ExportBenchResult res;
    std::error_code ec;
    fs::create_directories(p.out_dir, ec);
    if (ec) return Error{p.out_dir + ": cannot create: " + ec.message()};
    const auto t0 = std::chrono::steady_clock::now();
    LoadOptions lo;
    LlamaModel m = init_llama(p.shape, p.seed, 0.02, lo);
    res.init_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.parameters = m.parameter_bytes() / 4;
    for (const auto& q : p.quants) {
        TB_ASSIGN_OR_RETURN(FileType ft, parse_file_type(q));
        LlamaGgufOptions o;
        o.file_type = ft;
        o.name = "bench-" + q;
        o.tokenizer_dir = p.tokenizer;
        o.cancel = p.cancel;
        o.on_progress = [&](const WriteProgress& w) {
            if (p.on_progress) p.on_progress({"writing " + q, w.tensor, w.done, w.total});
        };
        const std::string path = (fs::path(p.out_dir) / ("bench-" + q + ".gguf")).string();
        const auto t1 = std::chrono::steady_clock::now();
        TB_ASSIGN_OR_RETURN(int64_t bytes, write_llama_gguf(m, path, o));
        ExportBenchRow r;
        r.quant = q;
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        r.bytes = bytes;
        r.bits_per_weight = 8.0 * static_cast<double>(bytes) / static_cast<double>(res.parameters);
        res.rows.push_back(r);
        if (!p.keep_files) fs::remove(path, ec);
    }
    return res;
}

}  // namespace tb::gguf
