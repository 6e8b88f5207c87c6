// tunebench-cli bench train: training throughput and peak memory of tunebench's backends set
// beside Transformers + PEFT doing the same steps on the same machine in the same run
// (resources/bench/peft_train_bench.py, run with the python that has torch/peft), printed as
// ratios. See core/train/train_bench.h for what a step is and how the peak is measured.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/progress_printer.h"
#include "core/config/app_config.h"
#include "core/eval/evaluation.h"
#include "core/infer/infer_bench.h"
#include "core/infer/infer_bench_record.h"
#include "core/store/store.h"
#include "core/train/torch_profiler.h"
#include "core/train/train_bench.h"

namespace tbcli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct BenchTrainArgs {
    std::string shape = "tinyllama";
    std::string model;
    std::string backends = "reference,fused";
    int64_t batch = 4;
    int64_t seq = 512;
    int64_t steps = 10;
    int64_t warmup = 3;
    int64_t lora_r = 16;
    double lora_alpha = 32;
    double lora_dropout = 0.05;
    std::string targets = "q_proj,k_proj,v_proj,o_proj";
    bool checkpointing = false;
    bool load_in_4bit = false;
    bool cuda_graphs = false;
    std::string optimizer = "adamw";
    std::string device = "auto";
    std::string dtype = "auto";
    std::string peft = "auto";  // auto | off | path to peft_train_bench.py
    std::string python = "python3";
    std::string store;    // experiment store to record the results in (empty: none)
    std::string profile;  // Chrome-trace path prefix (empty: no profile)
    bool json_out = false;
};

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

// A small shape for CPU runs and tests: 4 layers, hidden 256, GQA 8/2, vocab 32000.
tb::LlamaConfig tiny_shape() { return tb::infer::bench_shape("tiny").value(); }

std::string find_peft_script() {
    std::vector<fs::path> candidates;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        candidates.push_back(exe.parent_path() / "../share/tunebench/bench/peft_train_bench.py");
#ifdef TB_SOURCE_RESOURCES
    candidates.push_back(fs::path(TB_SOURCE_RESOURCES) / "bench/peft_train_bench.py");
#endif
    for (const auto& c : candidates)
        if (fs::exists(c, ec)) return fs::weakly_canonical(c, ec).string();
    return "";
}

// resources/bench/<name> beside the build tree or installed (as find_peft_script).
std::string find_bench_script(const std::string& name) {
    std::vector<fs::path> candidates;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path() / "../share/tunebench/bench" / name);
#ifdef TB_SOURCE_RESOURCES
    candidates.push_back(fs::path(TB_SOURCE_RESOURCES) / "bench" / name);
#endif
    for (const auto& c : candidates)
        if (fs::exists(c, ec)) return fs::weakly_canonical(c, ec).string();
    return "";
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs the PEFT script; returns its JSON (or {"error": ...}).
json run_peft(const BenchTrainArgs& a, const tb::LlamaConfig& shape, const std::string& script) {
    std::ostringstream cmd;
    cmd << shell_quote(a.python) << ' ' << shell_quote(script) << " --vocab " << shape.vocab_size
        << " --hidden " << shape.hidden_size << " --intermediate " << shape.intermediate_size
        << " --layers " << shape.num_hidden_layers << " --heads " << shape.num_attention_heads
        << " --kv-heads " << shape.num_key_value_heads << " --batch " << a.batch << " --seq "
        << a.seq << " --warmup " << a.warmup << " --steps " << a.steps << " --r " << a.lora_r
        << " --alpha " << a.lora_alpha << " --dropout " << a.lora_dropout << " --targets "
        << shell_quote(a.targets) << " --device " << shell_quote(a.device);
    if (a.checkpointing) cmd << " --checkpointing";
    if (a.load_in_4bit) cmd << " --load-in-4bit";
    std::FILE* f = ::popen(cmd.str().c_str(), "r");
    if (!f) return {{"error", "cannot start " + a.python}};
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const int rc = ::pclose(f);
    // The JSON is the last non-empty line (libraries may print before it).
    std::string last;
    std::stringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) last = line;
    try {
        json j = json::parse(last);
        if (rc != 0 && !j.contains("error")) j["error"] = "exit status " + std::to_string(rc);
        return j;
    } catch (const std::exception&) {
        return {{"error",
                 script + " exited with status " + std::to_string(rc) + " without a JSON result"}};
    }
}

std::string gb(int64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(bytes) / 1e9);
    return buf;
}

int run_bench_train(const BenchTrainArgs& a) {
    tb::TrainBenchParams base;
    if (a.shape == "tinyllama")
        base.shape = tb::tinyllama_shape();
    else if (a.shape == "tiny")
        base.shape = tiny_shape();
    else
        return fail("--shape: expected tinyllama or tiny, got '" + a.shape + "'");
    base.model_dir = a.model;
    base.batch_size = a.batch;
    base.seq_len = a.seq;
    base.steps = a.steps;
    base.warmup_steps = a.warmup;
    base.lora.r = a.lora_r;
    base.lora.alpha = a.lora_alpha;
    base.lora.dropout = a.lora_dropout;
    base.lora.target_modules = split_list(a.targets);
    base.gradient_checkpointing = a.checkpointing;
    base.load_in_4bit = a.load_in_4bit;
    base.cuda_graphs = a.cuda_graphs;
    base.optimizer = a.optimizer;
    base.device = a.device;
    base.dtype = a.dtype;
    const std::vector<std::string> backends = split_list(a.backends);
    if (backends.empty()) return fail("--backends: empty list");

    tb::CancelToken& cancel = interrupt_token();
    std::vector<tb::TrainBenchResult> ours;
    for (const std::string& b : backends) {
        tb::TrainBenchParams p = base;
        p.backend = b;
        // "fused+cuda-graphs" in the list: the fused backend with --cuda-graphs, so that one
        // run can set both beside PEFT.
        if (b == "fused+cuda-graphs") {
            p.backend = "fused";
            p.cuda_graphs = true;
        }
        if (!a.profile.empty()) p.profile_path = a.profile + "." + b + ".json";
        std::cerr << "bench train: tunebench " << b << " ..." << std::endl;
        auto r = tb::run_train_bench(p, cancel);
        if (!r) return fail(r.error());
        ours.push_back(r.value());
        if (cancel.cancelled()) return 130;
    }

    json peft = nullptr;
    if (a.peft != "off" && a.model.empty()) {
        const std::string script = a.peft == "auto" ? find_peft_script() : a.peft;
        if (script.empty()) {
            peft = {{"error", "peft_train_bench.py not found (pass --peft PATH)"}};
        } else {
            std::cerr << "bench train: transformers+peft (" << script << ") ..." << std::endl;
            peft = run_peft(a, base.shape, script);
        }
    } else if (!a.model.empty() && a.peft != "off") {
        peft = {{"error", "the PEFT side runs random-weight shapes only (no --model)"}};
    }
    const bool have_peft =
        peft.is_object() && !peft.contains("error") && peft.value("tokens_per_s", 0.0) > 0;

    const tb::TrainBenchResult& f = ours.front();
    json out;
    out["config"] = {{"shape", a.model.empty() ? a.shape : a.model},
                     {"params", f.params},
                     {"batch", a.batch},
                     {"seq", a.seq},
                     {"steps", a.steps},
                     {"warmup", a.warmup},
                     {"lora_r", a.lora_r},
                     {"lora_alpha", a.lora_alpha},
                     {"lora_dropout", a.lora_dropout},
                     {"targets", a.targets},
                     {"gradient_checkpointing", a.checkpointing},
                     {"load_in_4bit", a.load_in_4bit},
                     {"cuda_graphs", a.cuda_graphs},
                     {"device", f.device},
                     {"dtype", f.dtype}};
    out["peft"] = peft;
    out["results"] = json::array();
    for (const auto& r : ours) {
        json j = {{"engine", "tunebench " + r.backend},
                  {"tokens_per_s", r.tokens_per_s},
                  {"step_ms", r.step_ms},
                  {"peak_bytes", r.peak_bytes},
                  {"peak_kind", r.peak_kind},
                  {"weight_bytes", r.weight_bytes},
                  {"trainable_params", r.trainable_params},
                  {"first_loss", r.first_loss},
                  {"last_loss", r.last_loss}};
        if (have_peft) {
            j["speed_vs_peft"] = r.tokens_per_s / peft["tokens_per_s"].get<double>();
            if (peft["peak_bytes"].is_number() && r.peak_kind == peft.value("peak_kind", ""))
                j["memory_vs_peft"] =
                    static_cast<double>(r.peak_bytes) / peft["peak_bytes"].get<double>();
        }
        out["results"].push_back(j);
    }
    if (!a.store.empty()) {
        // One benchmark row per engine; config_json carries the settings and "kind": "train"
        // (the table also holds inference benchmarks).
        auto st = tb::store::Store::open(a.store);
        if (!st) return fail(st.error());
        std::vector<json> rows(out["results"].begin(), out["results"].end());
        if (have_peft) {
            json p = peft;
            p["engine"] = "transformers+peft";
            rows.insert(rows.begin(), p);
        }
        for (const json& r : rows) {
            tb::store::BenchmarkRow row;
            row.engine = r.value("engine", std::string("?"));
            row.model = out["config"]["shape"].get<std::string>();
            row.tokens_per_s = r.value("tokens_per_s", 0.0);
            row.latency_s = r.value("step_ms", 0.0) / 1000.0;
            row.memory_bytes = r.contains("peak_bytes") && r["peak_bytes"].is_number()
                                   ? r["peak_bytes"].get<int64_t>()
                                   : 0;
            json cfg = out["config"];
            cfg["kind"] = "train";
            cfg["peak_kind"] = r.value("peak_kind", std::string());
            row.config_json = cfg.dump();
            auto id = (*st)->add_benchmark(row);
            if (!id) return fail(id.error());
        }
        std::cerr << "bench train: " << rows.size() << " rows recorded in " << a.store << std::endl;
    }
    if (a.json_out) {
        std::cout << out.dump(2) << std::endl;
        return kExitOk;
    }

    std::printf("bench train: %s (%.3f B params), batch %lld x %lld, LoRA r%lld on %s%s%s, %s %s\n",
                a.model.empty() ? (a.shape + " shape, random weights").c_str() : a.model.c_str(),
                static_cast<double>(f.params) / 1e9, static_cast<long long>(a.batch),
                static_cast<long long>(a.seq), static_cast<long long>(a.lora_r), a.targets.c_str(),
                a.checkpointing ? ", gradient checkpointing" : "",
                a.load_in_4bit ? ", NF4 base" : "", f.device.c_str(), f.dtype.c_str());
    std::printf("%-30s %12s %10s %10s %14s %15s %10s\n", "engine", "tokens/s", "step ms", "peak GB",
                "speed vs PEFT", "memory vs PEFT", "loss");
    if (have_peft) {
        std::printf(
            "%-30s %12.1f %10.1f %10s %14s %15s %10.4f\n", "transformers+peft",
            peft["tokens_per_s"].get<double>(), peft["step_ms"].get<double>(),
            peft["peak_bytes"].is_number() ? gb(peft["peak_bytes"].get<int64_t>()).c_str() : "-",
            "1.00x", "1.00x", peft.value("last_loss", 0.0));
    }
    for (const auto& j : out["results"]) {
        char speed[32] = "-", mem[32] = "-";
        if (j.contains("speed_vs_peft"))
            std::snprintf(speed, sizeof speed, "%.2fx", j["speed_vs_peft"].get<double>());
        if (j.contains("memory_vs_peft"))
            std::snprintf(mem, sizeof mem, "%.2fx", j["memory_vs_peft"].get<double>());
        std::printf("%-30s %12.1f %10.1f %10s %14s %15s %10.4f\n",
                    j["engine"].get<std::string>().c_str(), j["tokens_per_s"].get<double>(),
                    j["step_ms"].get<double>(), gb(j["peak_bytes"].get<int64_t>()).c_str(), speed,
                    mem, j["last_loss"].get<double>());
    }
    std::printf("peak: %s\n", f.peak_kind == "cuda_max_allocated"
                                  ? "torch.cuda.max_memory_allocated over the timed steps"
                                  : "process peak RSS over the timed steps (no PEFT memory ratio)");
    if (!have_peft && !peft.is_null())
        std::printf("PEFT: not measured: %s\n", peft.value("error", std::string("?")).c_str());
    return kExitOk;
}

// --- bench infer: inference engines beside HF transformers generate (core/infer/infer_bench.h)

struct BenchInferArgs {
    std::string shape = "tinyllama";
    std::string model;
    std::string config;  // --config: the model and the test split's prompts of a workspace
    std::string engines = "eager";
    std::string batches = "1,8";
    std::string concurrency;  // --concurrency: the same list, named for the paged engine/servers
    int64_t prompts = 0;
    int64_t prompt_len = 128;
    int64_t max_new_tokens = 256;
    int64_t warmup = 1;
    int64_t repeats = 3;
    std::string device = "auto";
    std::string dtype = "auto";
    bool hf = false;
    std::string hf_script;  // empty: resources/bench/hf_generate_bench.py
    std::string python = "python3";
    std::string llama_cpp;  // --llama-cpp: a .gguf or a GGUF type to export to
    std::string llama_cpp_script;
    std::string node = "node";
    std::string tokenizer;
    std::string store;
    std::string profile;   // Chrome-trace path prefix (empty: no profile)
    std::string out_file;  // the JSON result written here too (results/benchmarks/...)
    bool json_out = false;
    std::string server;  // external server URL (core/infer/server_bench.h)
    std::string api = "ollama";
    std::string server_model;
    std::string server_api_key;
};

int run_bench_infer(const BenchInferArgs& a) {
    tb::infer::InferBenchParams p;
    auto shape = tb::infer::bench_shape(a.shape);
    if (!shape) return fail(shape.error());
    p.shape = *shape;
    p.model_dir = a.model;
    p.engines = a.engines == "none" ? std::vector<std::string>{} : split_list(a.engines);
    p.server_url = a.server;
    p.server_api = a.api;
    p.server_model = a.server_model;
    p.server_api_key = a.server_api_key;
    p.batch_sizes.clear();
    const std::string sizes_flag = a.concurrency.empty() ? "--batch" : "--concurrency";
    for (const std::string& b : split_list(a.concurrency.empty() ? a.batches : a.concurrency)) {
        try {
            size_t used = 0;
            p.batch_sizes.push_back(std::stoll(b, &used));
            if (used != b.size()) throw std::invalid_argument(b);
        } catch (const std::exception&) {
            return fail(sizes_flag + ": '" + b + "' is not a whole number");
        }
    }
    p.prompts = a.prompts;
    p.prompt_len = a.prompt_len;
    if (!a.config.empty()) {
        // The study's benchmark prompts: the test split's, as evaluate feeds them.
        auto cfg = tb::load_app_config(a.config);
        if (!cfg) return fail(cfg.error());
        if (p.model_dir.empty()) p.model_dir = tb::resolve_model_path(*cfg);
        int64_t n = a.prompts;
        for (int64_t b : p.batch_sizes) n = std::max(n, a.prompts > 0 ? a.prompts : b);
        auto ids = tb::eval::test_split_prompt_ids(*cfg, n);
        if (!ids) return fail(ids.error());
        p.prompt_ids = std::move(ids).value();
        p.prompt_source = "test split of " + a.config;
    }
    p.max_new_tokens = a.max_new_tokens;
    p.warmup = a.warmup;
    p.repeats = a.repeats;
    p.device = a.device;
    p.dtype = a.dtype;
    p.hf = a.hf;
    p.hf_script = a.hf_script.empty() ? find_bench_script("hf_generate_bench.py") : a.hf_script;
    p.python = a.python;
    p.llama_cpp = a.llama_cpp;
    p.llama_cpp_script =
        a.llama_cpp_script.empty() ? find_bench_script("llama_cpp_bench.mjs") : a.llama_cpp_script;
    p.node = a.node;
    p.tokenizer = a.tokenizer;
    p.cancel = &interrupt_token();
    ProgressPrinter progress;
    p.on_progress = [&progress](const std::string& s) { progress.line("bench infer: " + s); };
    if (!a.profile.empty()) {
        p.profile_start = [](bool cuda) { return tb::start_torch_profiler(cuda); };
        p.profile_stop = [prefix = a.profile](const std::string& engine) {
            return tb::stop_torch_profiler(prefix + "." + engine + ".json");
        };
    }
    auto r = tb::infer::run_infer_bench(p);
    if (!r) return fail(r.error());
    const json& out = *r;
    // The JSON file and the store rows are the core's (infer_bench_record.h), as the GUI's.
    if (!a.out_file.empty()) {
        auto st = tb::infer::write_infer_bench_json(out, a.out_file);
        if (!st.ok()) return fail(st.error());
    }
    if (!a.store.empty()) {
        auto st = tb::store::Store::open(a.store);
        if (!st) return fail(st.error());
        auto rec = tb::infer::record_infer_bench(**st, out, a.model.empty() ? a.shape : a.model,
                                                 a.out_file);
        if (!rec) return fail(rec.error());
        std::cerr << "bench infer: run " << rec->run_id << ", " << rec->row_ids.size()
                  << " rows recorded in " << a.store << std::endl;
    }
    if (a.json_out)
        std::cout << out.dump(2) << std::endl;
    else
        std::cout << tb::infer::format_infer_bench(out);
    return interrupt_token().cancelled() ? 130 : kExitOk;
}

CommandRegistrar register_bench("bench", [](CLI::App& app) {
    app.description("Benchmarks, side by side with the reference Python tools");
    app.require_subcommand(1);
    auto* train = app.add_subcommand(
        "train", "LoRA training tokens/s and peak memory of tunebench's backends vs PEFT");
    auto a = std::make_shared<BenchTrainArgs>();
    train->add_option("--shape", a->shape, "Random-weight model shape: tinyllama (1.1B) or tiny")
        ->capture_default_str();
    train->add_option("--model", a->model, "A real HF model folder instead of a random shape");
    train
        ->add_option("--backends", a->backends,
                     "Comma list of tunebench backends to run: reference, fused, "
                     "fused+cuda-graphs")
        ->capture_default_str();
    train->add_option("--batch", a->batch, "Rows per step")->capture_default_str();
    train->add_option("--seq", a->seq, "Tokens per row")->capture_default_str();
    train->add_option("--steps", a->steps, "Timed steps")->capture_default_str();
    train->add_option("--warmup", a->warmup, "Untimed steps first")->capture_default_str();
    train->add_option("--lora-r", a->lora_r, "LoRA rank")->capture_default_str();
    train->add_option("--lora-alpha", a->lora_alpha, "LoRA alpha")->capture_default_str();
    train->add_option("--lora-dropout", a->lora_dropout, "LoRA dropout")->capture_default_str();
    train->add_option("--targets", a->targets, "LoRA target projections")->capture_default_str();
    train->add_flag("--checkpointing", a->checkpointing, "Per-layer gradient checkpointing");
    train->add_flag("--4bit", a->load_in_4bit, "QLoRA: NF4 base weights (double quantisation)");
    train->add_flag("--cuda-graphs", a->cuda_graphs,
                    "fused on CUDA: replay forward + backward as one recorded CUDA graph");
    train->add_option("--optimizer", a->optimizer, "adamw | adamw_8bit | paged_adamw_8bit")
        ->capture_default_str();
    train->add_option("--device", a->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
    train->add_option("--dtype", a->dtype, "auto | float32 | bfloat16 | float16")
        ->capture_default_str();
    train
        ->add_option("--peft", a->peft,
                     "PEFT side: auto (find peft_train_bench.py), off, or the script's path")
        ->capture_default_str();
    train->add_option("--python", a->python, "Python with torch, transformers and peft")
        ->capture_default_str();
    train->add_option("--store", a->store,
                      "Record the results as benchmark rows in this experiment store");
    train->add_option("--profile", a->profile,
                      "Record 2 extra steps per backend as a Chrome trace PREFIX.<backend>.json "
                      "(libtorch 2.x)");
    train->add_flag("--json", a->json_out, "Print one JSON object");
    auto* infer = app.add_subcommand(
        "infer", "Inference latency, tokens/s, memory and load time of tunebench's engines vs HF");
    auto ia = std::make_shared<BenchInferArgs>();
    infer->add_option("--shape", ia->shape, "Random-weight model shape: tinyllama (1.1B) or tiny")
        ->capture_default_str();
    infer->add_option("--model", ia->model, "A real HF model folder instead of a random shape");
    infer->add_option("--config", ia->config,
                      "Workspace config: its model (unless --model) and the first --prompts "
                      "prompts of its test split instead of synthetic ones");
    infer
        ->add_option("--engines", ia->engines,
                     "Comma list: eager, graph (CUDA), quant[:q8_0|:nf4], paged (continuous "
                     "batching), legacy (the pre-core path); none: only the --server")
        ->capture_default_str();
    infer->add_option("--batch", ia->batches, "Comma list of batch sizes")->capture_default_str();
    infer->add_option("--concurrency", ia->concurrency,
                      "Comma list of concurrent requests (paged, --server); replaces --batch: a "
                      "batch of B is B requests submitted at once");
    infer->add_option("--prompts", ia->prompts, "Distinct synthetic prompts (0: largest batch)")
        ->capture_default_str();
    infer->add_option("--prompt-len", ia->prompt_len, "Tokens per prompt")->capture_default_str();
    infer->add_option("--max-new-tokens", ia->max_new_tokens, "New tokens per request (exactly)")
        ->capture_default_str();
    infer->add_option("--warmup", ia->warmup, "Untimed runs per batch size")->capture_default_str();
    infer->add_option("--repeats", ia->repeats, "Timed runs per batch size")->capture_default_str();
    infer->add_option("--device", ia->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
    infer->add_option("--dtype", ia->dtype, "auto | float32 | bfloat16 | float16")
        ->capture_default_str();
    infer->add_flag("--hf", ia->hf, "Run HF transformers generate beside (ratios to it)");
    infer->add_option("--hf-script", ia->hf_script, "Path of hf_generate_bench.py");
    infer->add_option("--llama-cpp", ia->llama_cpp,
                      "llama.cpp beside at batch 1 (node-llama-cpp, CPU): a .gguf file, or a "
                      "GGUF type (f16, bf16, q8_0, q4_k_m) to export this benchmark's model to");
    infer->add_option("--llama-cpp-script", ia->llama_cpp_script, "Path of llama_cpp_bench.mjs");
    infer->add_option("--node", ia->node, "node executable for --llama-cpp")->capture_default_str();
    infer->add_option("--tokenizer", ia->tokenizer,
                      "tokenizer.model for a random shape's GGUF vocabulary (--llama-cpp)");
    infer->add_option("--python", ia->python, "Python with torch and transformers")
        ->capture_default_str();
    infer->add_option("--store", ia->store, "Record the results as benchmark rows in this store");
    infer->add_option("--profile", ia->profile,
                      "Record one extra run of the first batch size per engine as a Chrome trace "
                      "PREFIX.<engine>.json (libtorch 2.x)");
    infer->add_option("--out", ia->out_file, "Also write the JSON result to this file");
    infer->add_flag("--json", ia->json_out, "Print one JSON object");
    infer->add_option("--server", ia->server,
                      "Also measure an external server at this URL (http://host:port) with the "
                      "same prompts as text, concurrent requests per batch size");
    infer
        ->add_option("--api", ia->api,
                     "The server's API: ollama (/api/generate, NDJSON), openai (/v1/completions, "
                     "SSE: vLLM, llama.cpp server, TGI), openai-chat (/v1/chat/completions)")
        ->capture_default_str();
    infer->add_option("--server-model", ia->server_model,
                      "The model name the server expects (e.g. llama3.2:1b for Ollama)");
    infer->add_option("--server-api-key", ia->server_api_key,
                      "Sent as 'Authorization: Bearer KEY' (tunebench-cli serve --api-key)");
    return [a, train, ia, infer]() -> int {
        if (train->parsed()) return run_bench_train(*a);
        if (infer->parsed()) return run_bench_infer(*ia);
        return fail("bench: expected a subcommand (train, infer)");
    };
});

}  // namespace
}  // namespace tbcli
