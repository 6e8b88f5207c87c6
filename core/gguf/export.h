// Exporting a model for serving elsewhere: the one entry point behind `tunebench-cli export`
// and the GUI's export (torch-free header; the work runs in core/gguf/export.cpp).
//
// Formats:
//   hf        - the merged HF folder (base + adapter merged; or the base copied when no adapter)
//   gguf      - one GGUF file (llama.cpp / Ollama) of the model, the adapter merged first when
//               given, in --quant f32 | f16 | bf16 | q8_0 | q4_k_m, plus an Ollama Modelfile
//   gguf-lora - the base model as GGUF (same --quant) and the adapter as a GGUF LoRA adapter
//               (llama.cpp --lora, Ollama ADAPTER), plus a Modelfile with FROM and ADAPTER
// Output layout (the study's outputs/ollama/): <out>/<name>.gguf, <out>/<name>-lora.gguf,
// <out>/Modelfile; `ollama create <name> -f <out>/Modelfile` is returned ready to print.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/model/model_config.h"

namespace tb::gguf {

struct ExportProgress {
    std::string stage;  // "loading", "merging", "writing", "adapter", "modelfile"
    std::string item;   // tensor name while writing
    int64_t done = 0;   // tensors (or files) finished in this stage
    int64_t total = 0;
};

struct ExportParams {
    std::string model_dir;        // HF Llama folder (config.json, safetensors, tokenizer files)
    std::string adapter_dir;      // PEFT adapter folder; empty: none
    std::string format = "gguf";  // hf | gguf | gguf-lora
    std::string quant = "f16";    // f32 | f16 | bf16 | q8_0 | q4_k_m (gguf formats)
    std::string out_dir;          // created; existing files of the same names are replaced
    std::string name;             // model/file name; empty: the model folder's name
    bool modelfile = true;        // write an Ollama Modelfile beside the GGUF
    // Polled between tensors (gguf formats) and between steps. A cancelled export returns
    // cancelled = true and leaves none of its files behind: the GGUF being written is only
    // ever "<name>.gguf.tmp" (removed), files it finished are removed again; hf honours the
    // token when its copy or merge returns and empties its folder again.
    const CancelToken* cancel = nullptr;
    std::function<void(const ExportProgress&)> on_progress;
};

struct ExportedFile {
    std::string path;
    int64_t bytes = 0;
};

struct ExportResult {
    std::vector<ExportedFile> files;
    double seconds = 0;              // wall time of the export
    std::string ollama_create;       // "ollama create NAME -f PATH" (gguf formats)
    std::vector<std::string> notes;  // e.g. why no TEMPLATE was written
    bool cancelled = false;
};

// The quant names `--quant` accepts, in help order.
const std::vector<std::string>& export_quant_names();
const std::vector<std::string>& export_format_names();

Result<ExportResult> run_export(const ExportParams& params);

// Export time and size per type for a random-weight model of a given shape (the benchmark of
// `tunebench-cli export --bench`): one GGUF per quant written to out_dir and removed again.
struct ExportBenchParams {
    LlamaConfig shape;  // e.g. bench_shape("tinyllama")
    uint64_t seed = 1;
    std::string tokenizer;  // tokenizer.model file or folder (the vocabulary in the file)
    std::string out_dir;
    std::vector<std::string> quants = {"f16", "bf16", "q8_0", "q4_k_m"};
    bool keep_files = false;
    const CancelToken* cancel = nullptr;
    std::function<void(const ExportProgress&)> on_progress;
};

struct ExportBenchRow {
    std::string quant;
    double seconds = 0;  // writing the GGUF (quantisation included), model already in memory
    int64_t bytes = 0;   // file size
    double bits_per_weight = 0;  // 8 * bytes / parameters
};

struct ExportBenchResult {
    int64_t parameters = 0;
    double init_seconds = 0;  // building the random model
    std::vector<ExportBenchRow> rows;
};

Result<ExportBenchResult> run_export_bench(const ExportBenchParams& params);

}  // namespace tb::gguf
