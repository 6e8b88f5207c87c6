// tunebench-cli export: a model (optionally with a LoRA adapter) as a merged HF folder, one
// GGUF file (adapter merged) or GGUF base + GGUF LoRA adapter, with an Ollama Modelfile, in the
// study's outputs/ollama/ layout; prints the `ollama create` line. `export --bench` measures
// export time and size per type for a random-weight shape (TinyLlama by default).
#include <cstdio>
#include <memory>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "core/gguf/export.h"
#include "core/infer/infer_bench_record.h"

namespace tbcli {
namespace {

struct ExportArgs {
    std::string model;
    std::string adapter;
    std::string format = "gguf";
    std::string quant = "f16";
    std::string out;
    std::string name;
    bool no_modelfile = false;
    bool bench = false;
    std::string shape = "tinyllama";
    std::string tokenizer;
    std::string bench_quants = "f16,bf16,q8_0,q4_k_m";
};

// One progress line on stderr, redrawn in place: "[writing] 12/201 blk.1.attn_q.weight".
void show(const tb::gguf::ExportProgress& e) {
    const int width = 30;
    const int filled = e.total > 0 ? static_cast<int>(width * e.done / e.total) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%-12s] [%s] %lld/%lld %-40.40s", e.stage.c_str(), bar.c_str(),
                 static_cast<long long>(e.done), static_cast<long long>(e.total), e.item.c_str());
    if (e.total > 0 && e.done == e.total) std::fputc('\n', stderr);
    std::fflush(stderr);
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> v;
    size_t b = 0;
    while (b <= s.size()) {
        const size_t e = s.find(',', b);
        const std::string item = s.substr(b, e == std::string::npos ? std::string::npos : e - b);
        if (!item.empty()) v.push_back(item);
        if (e == std::string::npos) break;
        b = e + 1;
    }
    return v;
}

int run_bench(const ExportArgs& a) {
    auto shape = tb::infer::bench_shape(a.shape);
    if (!shape.ok()) return fail("--shape: " + shape.error().message);
    if (a.tokenizer.empty())
        return fail("--bench: --tokenizer PATH (tokenizer.model or a model folder) is required");
    tb::gguf::ExportBenchParams p;
    p.shape = shape.value();
    p.tokenizer = a.tokenizer;
    p.out_dir = a.out.empty() ? "outputs/export_bench" : a.out;
    p.quants = split_commas(a.bench_quants);
    p.cancel = &interrupt_token();
    p.on_progress = show;
    auto r = tb::gguf::run_export_bench(p);
    if (!r.ok()) return fail(r.error());
    std::printf(
        "export benchmark: shape %s, %.3f B parameters (random weights, built in %.1f s), CPU\n",
        a.shape.c_str(), r->parameters / 1e9, r->init_seconds);
    std::printf("%-8s %10s %12s %8s\n", "type", "seconds", "size (MiB)", "bits/w");
    for (const auto& row : r->rows) {
        std::printf("%-8s %10.2f %12.1f %8.3f\n", row.quant.c_str(), row.seconds,
                    row.bytes / 1048576.0, row.bits_per_weight);
    }
    return kExitOk;
}

int run_export(const ExportArgs& a) {
    if (a.bench) return run_bench(a);
    if (a.model.empty()) return fail("--model: required");
    tb::gguf::ExportParams p;
    p.model_dir = a.model;
    p.adapter_dir = a.adapter;
    p.format = a.format;
    p.quant = a.quant;
    p.out_dir = !a.out.empty()     ? a.out
                : a.format == "hf" ? "outputs/merged_model"
                                   : "outputs/ollama";
    p.name = a.name;
    p.modelfile = !a.no_modelfile;
    p.cancel = &interrupt_token();
    p.on_progress = show;
    auto r = tb::gguf::run_export(p);
    if (!r.ok()) return fail(r.error());
    if (r->cancelled) {
        std::fprintf(stderr, "\nexport cancelled\n");
        return kExitUserError;
    }
    for (const auto& f : r->files) {
        std::printf("%s  (%.1f MiB)\n", f.path.c_str(), f.bytes / 1048576.0);
    }
    for (const auto& n : r->notes) std::printf("note: %s\n", n.c_str());
    std::printf("exported in %.1f s\n", r->seconds);
    if (!r->ollama_create.empty()) std::printf("%s\n", r->ollama_create.c_str());
    return kExitOk;
}

CommandRegistrar register_export("export", [](CLI::App& app) {
    app.description(
        "Export a model (optionally with a LoRA adapter) as a merged HF folder, a GGUF file "
        "(llama.cpp / Ollama) or a GGUF base + GGUF LoRA adapter, with an Ollama Modelfile");
    auto a = std::make_shared<ExportArgs>();
    app.add_option("--model", a->model,
                   "Base model folder (HF Llama: config.json, safetensors, tokenizer)");
    app.add_option("--adapter", a->adapter,
                   "PEFT LoRA adapter folder (merged for hf/gguf, converted for gguf-lora)");
    app.add_option("--format", a->format, "hf | gguf | gguf-lora (default gguf)")
        ->check(CLI::IsMember({"hf", "gguf", "gguf-lora"}));
    app.add_option("--quant", a->quant,
                   "GGUF type: f16 | bf16 | q8_0 | q4_k_m | f32 (default f16)");
    app.add_option("--out", a->out,
                   "Output folder (default outputs/ollama for GGUF, outputs/merged_model for hf)");
    app.add_option("--name", a->name,
                   "Model name for the files and `ollama create` (default: from the folders)");
    app.add_flag("--no-modelfile", a->no_modelfile, "Write no Ollama Modelfile");
    app.add_flag("--bench", a->bench,
                 "Benchmark: export time and size per type for random weights of --shape");
    app.add_option("--shape", a->shape, "--bench: random-weight shape (tinyllama | tiny)");
    app.add_option("--tokenizer", a->tokenizer,
                   "--bench: tokenizer.model (or model folder) for the vocabulary");
    app.add_option("--bench-quants", a->bench_quants, "--bench: comma-separated types");
    return [a] { return run_export(*a); };
});

}  // namespace
}  // namespace tbcli
