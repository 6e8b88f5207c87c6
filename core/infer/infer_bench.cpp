#include "core/infer/infer_bench.h"

#include <ATen/CPUGeneratorImpl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/file_io.h"
#include "core/common/process_memory.h"
#include "core/common/torch_compat.h"
#include "core/gguf/export.h"
#include "core/infer/bench_stats.h"
#include "core/infer/generate.h"
#include "core/infer/gguf_model_loader.h"
#include "core/infer/inference.h"
#include "core/infer/llama_io.h"
#include "core/infer/server_bench.h"
#include "core/tokenizer/tokenizer.h"

namespace tb::infer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

using bench_stats::figure;
using bench_stats::percentile;

// One timed run: per-row host times of every new token (seconds since the call) and the
// call's duration.
struct RunTimes {
    std::vector<std::vector<double>> token_seconds;
    std::vector<std::vector<int64_t>> tokens;
    double wall = 0;
};

struct RunFigures {
    double ttft_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms, e2e_s, tps_request, tps_aggregate;
};

RunFigures figures_of(const RunTimes& r) {
    RunFigures f{};
    std::vector<double> itl;
    double ttft = 0, tps = 0;
    int64_t total = 0;
    for (const auto& t : r.token_seconds) {
        if (t.empty()) continue;
        ttft += t.front();
        for (size_t i = 1; i < t.size(); ++i) itl.push_back(1000.0 * (t[i] - t[i - 1]));
        tps += static_cast<double>(t.size()) / t.back();
        total += static_cast<int64_t>(t.size());
    }
    const double rows = static_cast<double>(r.token_seconds.size());
    f.ttft_ms = 1000.0 * ttft / rows;
    f.itl_p50_ms = percentile(itl, 50);
    f.itl_p90_ms = percentile(itl, 90);
    f.itl_p99_ms = percentile(itl, 99);
    f.e2e_s = r.wall;
    f.tps_request = tps / rows;
    f.tps_aggregate = r.wall > 0 ? static_cast<double>(total) / r.wall : 0;
    return f;
}

std::vector<std::vector<int64_t>> make_prompts(const InferBenchParams& p, int64_t vocab) {
    int64_t n = p.prompts;
    for (int64_t b : p.batch_sizes) n = std::max(n, p.prompts > 0 ? p.prompts : b);
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(p.seed + 7);
    // Ids from 3: never bos/eos/unk of a Llama vocabulary.
    at::Tensor ids = at::randint(3, vocab, {n, p.prompt_len}, gen, at::kLong);
    std::vector<std::vector<int64_t>> out(static_cast<size_t>(n));
    auto a = ids.accessor<int64_t, 2>();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < p.prompt_len; ++j) out[static_cast<size_t>(i)].push_back(a[i][j]);
    return out;
}

std::vector<std::vector<int64_t>> batch_of(const std::vector<std::vector<int64_t>>& prompts,
                                           int64_t b, int64_t distinct) {
    std::vector<std::vector<int64_t>> out;
    for (int64_t i = 0; i < b; ++i) out.push_back(prompts[static_cast<size_t>(i % distinct)]);
    return out;
}

// Runs one batch on an engine; `fn` fills RunTimes.
using RunFn = std::function<Result<RunTimes>(const std::vector<std::vector<int64_t>>&)>;

Result<json> bench_batches(const InferBenchParams& p, const std::string& engine,
                           const at::Device& dev, const RunFn& fn,
                           const std::vector<std::vector<int64_t>>& prompts, int64_t distinct) {
    json out = json::array();
    const int dev_index = dev.has_index() ? dev.index() : 0;
    for (int64_t b : p.batch_sizes) {
        const auto batch = batch_of(prompts, b, distinct);
        for (int64_t w = 0; w < p.warmup; ++w) {
            TB_ASSIGN_OR_RETURN(RunTimes ignored, fn(batch));
            (void)ignored;
        }
        if (dev.is_cuda()) {
            compat::cuda_synchronize();
            compat::cuda_reset_peak(dev_index);
        } else {
            reset_process_peak_rss();
        }
        std::vector<RunFigures> runs;
        std::vector<std::vector<int64_t>> first_tokens;
        for (int64_t r = 0; r < p.repeats; ++r) {
            if (p.cancel && p.cancel->cancelled()) return make_error("bench infer", "cancelled");
            TB_ASSIGN_OR_RETURN(RunTimes t, fn(batch));
            if (r == 0) first_tokens = t.tokens;
            runs.push_back(figures_of(t));
        }
        auto col = [&](double RunFigures::*m) {
            std::vector<double> v;
            for (const auto& f : runs) v.push_back(f.*m);
            return figure(v);
        };
        json j = {{"batch", b},
                  {"ttft_ms", col(&RunFigures::ttft_ms)},
                  {"itl_p50_ms", col(&RunFigures::itl_p50_ms)},
                  {"itl_p90_ms", col(&RunFigures::itl_p90_ms)},
                  {"itl_p99_ms", col(&RunFigures::itl_p99_ms)},
                  {"e2e_s", col(&RunFigures::e2e_s)},
                  {"tokens_per_s_request", col(&RunFigures::tps_request)},
                  {"tokens_per_s_aggregate", col(&RunFigures::tps_aggregate)},
                  {"tokens", first_tokens}};
        if (dev.is_cuda()) {
            if (auto m = compat::cuda_memory(dev_index)) {
                j["peak_allocated_bytes"] = m->peak_allocated;
                j["peak_reserved_bytes"] = m->peak_reserved;
            }
        }
        j["peak_rss_bytes"] = process_peak_rss_bytes();
        out.push_back(j);
        if (p.profile_start && p.profile_stop && b == p.batch_sizes.front()) {
            TB_TRY_STATUS(p.profile_start(dev.is_cuda()));
            auto profiled = fn(batch);
            TB_TRY_STATUS(p.profile_stop(engine));
            if (!profiled.ok()) return profiled.error();
        }
        if (p.on_progress)
            p.on_progress("batch " + std::to_string(b) + ": " +
                          std::to_string(j["tokens_per_s_aggregate"]["median"].get<double>()) +
                          " tokens/s aggregate");
    }
    return out;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

json run_hf(const InferBenchParams& p, const std::string& model_dir,
            const std::string& prompts_file, const std::string& device, const std::string& dtype) {
    std::ostringstream batches;
    for (size_t i = 0; i < p.batch_sizes.size(); ++i) batches << (i ? "," : "") << p.batch_sizes[i];
    std::ostringstream cmd;
    cmd << shell_quote(p.python) << ' ' << shell_quote(p.hf_script) << " --model "
        << shell_quote(model_dir) << " --prompts " << shell_quote(prompts_file) << " --batch "
        << batches.str() << " --distinct " << p.prompts << " --max-new-tokens " << p.max_new_tokens
        << " --warmup " << p.warmup << " --repeats " << p.repeats << " --device "
        << shell_quote(device) << " --dtype " << shell_quote(dtype) << " 2>/dev/null";
    std::FILE* f = ::popen(cmd.str().c_str(), "r");
    if (!f) return {{"error", "cannot start " + p.python}};
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const int rc = ::pclose(f);
    std::string last;  // the JSON is the last non-empty line
    std::stringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) last = line;
    try {
        json j = json::parse(last);
        if (rc != 0 && !j.contains("error")) j["error"] = "exit status " + std::to_string(rc);
        return j;
    } catch (const std::exception&) {
        return {{"error", p.hf_script + " exited with status " + std::to_string(rc) +
                              " without a JSON result"}};
    }
}

// Runs the llama.cpp script over the prompts file (batch 1); its JSON, or {"error": ...}.
json run_llama_cpp(const InferBenchParams& p, const std::string& gguf,
                   const std::string& prompts_file) {
    std::ostringstream batches;
    for (size_t i = 0; i < p.batch_sizes.size(); ++i) batches << (i ? "," : "") << p.batch_sizes[i];
    std::ostringstream cmd;
    cmd << shell_quote(p.node) << ' ' << shell_quote(p.llama_cpp_script) << " --model "
        << shell_quote(gguf) << " --prompts " << shell_quote(prompts_file) << " --batch "
        << batches.str() << " --max-new-tokens " << p.max_new_tokens << " --warmup " << p.warmup
        << " --repeats " << p.repeats << " 2>/dev/null";
    std::FILE* f = ::popen(cmd.str().c_str(), "r");
    if (!f) return {{"error", "cannot start " + p.node}};
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const int rc = ::pclose(f);
    std::string last;
    std::stringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) last = line;
    try {
        json j = json::parse(last);
        if (rc != 0 && !j.contains("error")) j["error"] = "exit status " + std::to_string(rc);
        j["engine"] = "llama.cpp";
        return j;
    } catch (const std::exception&) {
        return {{"engine", "llama.cpp"},
                {"error", p.llama_cpp_script + " exited with status " + std::to_string(rc) +
                              " without a JSON result"}};
    }
}

double agreement(const json& ours, const json& theirs) {
    if (!ours.is_array() || !theirs.is_array() || ours.empty() || ours.size() != theirs.size())
        return -1;
    double sum = 0;
    for (size_t r = 0; r < ours.size(); ++r) {
        const auto a = ours[r].get<std::vector<int64_t>>();
        const auto b = theirs[r].get<std::vector<int64_t>>();
        size_t same = 0;
        while (same < a.size() && same < b.size() && a[same] == b[same]) ++same;
        sum += a.empty() ? 1.0 : static_cast<double>(same) / static_cast<double>(a.size());
    }
    return sum / static_cast<double>(ours.size());
}

// Prompt text for a server when no tokenizer is at hand (a random shape): one word per
// synthetic id, so prompts stay distinct and about prompt_len tokens long.
const char* kWords[] = {"the",   "model",  "reads", "a",       "long",  "prompt", "about", "rivers",
                        "and",   "cities", "then",  "writes",  "more",  "text",   "on",    "small",
                        "green", "hills",  "under", "clear",   "skies", "while",  "birds", "sing",
                        "old",   "songs",  "of",    "distant", "seas",  "bright", "lamps", "glow"};

std::vector<std::string> server_prompts(const InferBenchParams& p,
                                        const std::vector<std::vector<int64_t>>& prompts,
                                        std::string& how) {
    std::vector<std::string> out;
    if (!p.model_dir.empty()) {
        auto tok = Tokenizer::load(p.model_dir);
        if (tok.ok()) {
            how = "synthetic ids decoded by " + p.model_dir + "'s tokenizer";
            for (const auto& ids : prompts) out.push_back(tok.value()->decode(ids, true));
            return out;
        }
    }
    how = "synthetic: one word per synthetic id (no tokenizer)";
    const size_t n = sizeof kWords / sizeof kWords[0];
    for (const auto& ids : prompts) {
        std::string text;
        for (int64_t id : ids) text += (text.empty() ? "" : " ") + std::string(kWords[id % n]);
        out.push_back(text);
    }
    return out;
}

const char* kFigures[] = {"ttft_ms",
                          "itl_p50_ms",
                          "itl_p90_ms",
                          "itl_p99_ms",
                          "e2e_s",
                          "tokens_per_s_request",
                          "tokens_per_s_aggregate"};

}  // namespace

Result<json> run_infer_bench(const InferBenchParams& p_in) {
    InferBenchParams p = p_in;
    if (p.engines.empty() && p.server_url.empty()) return make_error("--engines", "empty list");
    // The server alone needs no local model (only the vocabulary size of the shape).
    const bool need_model = !p.engines.empty() || p.hf;
    for (const auto& e : p.engines)
        if (e != "eager" && e != "graph" && e != "legacy" && e != "quant" && e != "quant:q8_0" &&
            e != "quant:nf4" && e != "paged")
            return make_error("--engines",
                              "unknown engine '" + e +
                                  "' (expected eager, graph, quant, quant:q8_0, quant:nf4, "
                                  "paged, legacy)");
    if (p.batch_sizes.empty()) return make_error("--batch", "empty list");
    for (int64_t b : p.batch_sizes)
        if (b < 1) return make_error("--batch", "sizes must be >= 1");
    if (p.prompts < 0) return make_error("--prompts", "must be >= 0");
    if (p.prompt_len < 1) return make_error("--prompt-len", "must be >= 1");
    if (p.max_new_tokens < 1) return make_error("--max-new-tokens", "must be >= 1");
    if (p.warmup < 0) return make_error("--warmup", "must be >= 0");
    if (p.repeats < 1) return make_error("--repeats", "must be >= 1");
    if (!p.prompt_ids.empty()) {
        if (p.model_dir.empty())
            return make_error("--config", "test-split prompts need the config's model folder");
        for (const auto& ids : p.prompt_ids)
            if (ids.empty()) return make_error("--config", "an empty prompt in the test split");
        p.prompts = static_cast<int64_t>(p.prompt_ids.size());
        p.prompt_len = 0;
        for (const auto& ids : p.prompt_ids)
            p.prompt_len = std::max<int64_t>(p.prompt_len, static_cast<int64_t>(ids.size()));
    }
    if (p.prompts == 0) p.prompts = *std::max_element(p.batch_sizes.begin(), p.batch_sizes.end());

    at::Device dev = at::kCPU;
    if (p.device == "auto" || p.device.empty()) {
        if (compat::cuda_available()) dev = at::Device(at::kCUDA, 0);
    } else {
        TB_ASSIGN_OR_RETURN(dev, parse_device(p.device));
    }
    at::ScalarType dtype = dev.is_cuda() ? at::kBFloat16 : at::kFloat;
    if (p.dtype != "auto" && !p.dtype.empty()) {
        TB_ASSIGN_OR_RETURN(dtype, parse_dtype(p.dtype));
    }
    const std::string dev_s = dev.str(), dtype_s = dtype_name(dtype);

    // Random weights: initialised once on the CPU and saved as an HF folder, so that every
    // engine and HF load the same weights from disk (load time is a real load).
    std::string model_dir = p.model_dir, tmp_dir;
    LlamaConfig cfg = p.shape;
    if (model_dir.empty() && need_model) {
        char tmpl[] = "/tmp/tb-bench-infer-XXXXXX";
        if (!::mkdtemp(tmpl)) return make_error("bench infer", "cannot create a temp folder");
        tmp_dir = tmpl;
        model_dir = tmp_dir + "/model";
        if (p.on_progress) p.on_progress("initialising random weights in " + model_dir);
        LoadOptions lo;
        lo.dtype = dtype;
        LlamaModel m = init_llama(p.shape, p.seed, 0.02, lo);
        m.config.dtype = dtype_s;
        TB_TRY_STATUS(save_llama_model(m, model_dir, dtype));
    } else if (is_gguf_file(model_dir)) {  // a GGUF file: its metadata (gguf_model_loader.h)
        TB_ASSIGN_OR_RETURN(cfg, read_gguf_llama_config(model_dir));
    } else if (!model_dir.empty()) {
        TB_ASSIGN_OR_RETURN(cfg, load_llama_config((fs::path(model_dir) / "config.json").string()));
    }
    struct TmpGuard {
        std::string dir;
        ~TmpGuard() {
            if (!dir.empty()) (void)remove_tree(dir);
        }
    } guard{tmp_dir};
    if (need_model && p.prompt_len + p.max_new_tokens > cfg.max_position_embeddings)
        return make_error("--prompt-len", "prompt + max new tokens exceed the model's context (" +
                                              std::to_string(cfg.max_position_embeddings) + ")");
    const auto prompts = p.prompt_ids.empty() ? make_prompts(p, cfg.vocab_size) : p.prompt_ids;
    double mean_len = 0;
    for (const auto& ids : prompts) mean_len += static_cast<double>(ids.size());
    mean_len /= static_cast<double>(std::max<size_t>(prompts.size(), 1));
    const int64_t distinct = p.prompts;

    json result;
    result["config"] = {
        {"model", p.model_dir.empty() ? "random weights" : p.model_dir},
        {"layers", cfg.num_hidden_layers},
        {"hidden", cfg.hidden_size},
        {"vocab", cfg.vocab_size},
        {"batch_sizes", p.batch_sizes},
        {"prompts", distinct},
        {"prompt_len", p.prompt_len},  // the longest
        {"prompt_len_mean", mean_len},
        {"prompt_source", p.prompt_ids.empty() ? std::string("synthetic") : p.prompt_source},
        {"max_new_tokens", p.max_new_tokens},
        {"warmup", p.warmup},
        {"repeats", p.repeats},
        {"device", dev_s},
        {"dtype", dtype_s},
        {"greedy", true}};
    result["engines"] = json::array();

    for (const std::string& name : p.engines) {
        if (p.on_progress) p.on_progress("engine " + name + ": loading");
        json e = {{"engine", name}};
        // "paged": the serving core's Batcher behind the same interface; a run's B requests
        // are submitted at once (B concurrent requests, continuous batching).
        if (name == "eager" || name == "graph" || name == "paged" || name.rfind("quant", 0) == 0) {
            EngineParams ep;
            // "quant" is quant:q8_0 (EngineParams' default format).
            ep.engine = name.rfind("quant", 0) == 0 ? "quant" : name;
            if (name.size() > 6) ep.quant = name.substr(6);
            ep.model_dir = model_dir;
            ep.device = dev_s;
            ep.dtype = dtype_s;
            ep.max_batch = *std::max_element(p.batch_sizes.begin(), p.batch_sizes.end());
            ep.cancel = p.cancel;
            TB_ASSIGN_OR_RETURN(auto engine, InferenceEngine::load(ep));
            const LoadReport& lr = engine->load_report();
            e["load"] = {{"seconds", lr.seconds},
                         {"weight_bytes", lr.weight_bytes},
                         {"device_allocated_bytes", lr.device_allocated},
                         {"device_reserved_bytes", lr.device_reserved},
                         {"rss_bytes", lr.rss_bytes}};
            RunFn fn = [&](const std::vector<std::vector<int64_t>>& batch) -> Result<RunTimes> {
                std::vector<Request> reqs(batch.size());
                for (size_t i = 0; i < batch.size(); ++i) {
                    reqs[i].prompt_ids = batch[i];
                    reqs[i].max_new_tokens = p.max_new_tokens;
                    reqs[i].min_new_tokens = p.max_new_tokens;
                }
                GenerateOptions go;
                go.cancel = p.cancel;
                const auto t0 = Clock::now();
                TB_ASSIGN_OR_RETURN(auto done, engine->generate(reqs, go));
                RunTimes t;
                t.wall = std::chrono::duration<double>(Clock::now() - t0).count();
                for (auto& c : done) {
                    t.token_seconds.push_back(c.token_seconds);
                    t.tokens.push_back(c.ids);
                }
                return t;
            };
            TB_ASSIGN_OR_RETURN(e["batches"], bench_batches(p, name, dev, fn, prompts, distinct));
        } else {  // legacy: core/infer/generate.cpp
            const auto t0 = Clock::now();
            LoadOptions lo;
            lo.dtype = dtype;
            lo.device = dev;
            TB_ASSIGN_OR_RETURN(LlamaModel model, load_llama_model(model_dir, lo));
            compat::cuda_synchronize();
            e["load"] = {{"seconds", std::chrono::duration<double>(Clock::now() - t0).count()},
                         {"weight_bytes", model.parameter_bytes()},
                         {"rss_bytes", process_rss_bytes()}};
            RunFn fn = [&](const std::vector<std::vector<int64_t>>& batch) -> Result<RunTimes> {
                GenerateParams gp;
                gp.max_new_tokens = p.max_new_tokens;
                gp.min_new_tokens = p.max_new_tokens;
                gp.eos_token_ids = model.config.eos_token_ids;
                gp.cancel = p.cancel;
                RunTimes t;
                t.token_seconds.assign(batch.size(), {});
                const auto s0 = Clock::now();
                gp.on_token = [&](int64_t row, int64_t) {
                    t.token_seconds[static_cast<size_t>(row)].push_back(
                        std::chrono::duration<double>(Clock::now() - s0).count());
                };
                TB_ASSIGN_OR_RETURN(GenerateResult r, generate(model, batch, gp));
                t.wall = std::chrono::duration<double>(Clock::now() - s0).count();
                t.tokens = r.new_ids;
                return t;
            };
            TB_ASSIGN_OR_RETURN(e["batches"], bench_batches(p, name, dev, fn, prompts, distinct));
        }
        result["engines"].push_back(e);
        compat::cuda_empty_cache();  // the next engine starts from an empty cache
    }

    if (!p.server_url.empty()) {
        ServerBenchParams sp;
        sp.url = p.server_url;
        sp.api = p.server_api;
        sp.model = p.server_model;
        sp.api_key = p.server_api_key;
        std::string how;
        sp.prompts = server_prompts(p, prompts, how);
        sp.batch_sizes = p.batch_sizes;
        sp.max_new_tokens = p.max_new_tokens;
        sp.warmup = p.warmup;
        sp.repeats = p.repeats;
        sp.cancel = p.cancel;
        sp.on_progress = p.on_progress;
        result["config"]["server"] = {{"url", p.server_url},
                                      {"api", p.server_api},
                                      {"model", p.server_model},
                                      {"prompt_text", how}};
        TB_ASSIGN_OR_RETURN(json e, run_server_bench(sp));
        result["engines"].push_back(e);
    }

    if (!p.llama_cpp.empty()) {
        if (p.on_progress) p.on_progress("llama.cpp (" + p.llama_cpp + ")");
        std::string gguf = p.llama_cpp;
        std::string gguf_dir;
        if (gguf.size() < 5 || gguf.substr(gguf.size() - 5) != ".gguf") {
            // A GGUF type: the benchmark's own weights, exported the way `export` does.
            if (!p.tokenizer.empty() && !fs::exists(fs::path(model_dir) / "tokenizer.model")) {
                std::error_code ec;
                const fs::path src = fs::is_directory(p.tokenizer)
                                         ? fs::path(p.tokenizer) / "tokenizer.model"
                                         : fs::path(p.tokenizer);
                fs::copy_file(src, fs::path(model_dir) / "tokenizer.model", ec);
                if (ec) return make_error("--tokenizer", src.string() + ": " + ec.message());
            }
            gguf_dir = (tmp_dir.empty() ? std::string("/tmp") : tmp_dir) + "/gguf-" +
                       std::to_string(::getpid());
            gguf::ExportParams ep;
            ep.model_dir = model_dir;
            ep.format = "gguf";
            ep.quant = p.llama_cpp;
            ep.out_dir = gguf_dir;
            ep.name = "bench";
            ep.modelfile = false;
            ep.cancel = p.cancel;
            auto done = gguf::run_export(ep);
            if (!done.ok()) return make_error("--llama-cpp", done.error().message);
            gguf = gguf_dir + "/bench.gguf";
            result["config"]["llama_cpp_export_seconds"] = done->seconds;
        }
        result["config"]["llama_cpp_gguf"] = p.llama_cpp;
        const std::string prompts_file = (tmp_dir.empty() ? std::string("/tmp") : tmp_dir) +
                                         "/prompts-llama-" + std::to_string(::getpid()) + ".json";
        {
            std::ofstream f(prompts_file);
            f << json(prompts).dump();
        }
        json lc = p.llama_cpp_script.empty()
                      ? json{{"engine", "llama.cpp"}, {"error", "llama_cpp_bench.mjs not found"}}
                      : run_llama_cpp(p, gguf, prompts_file);
        std::error_code ec;
        fs::remove(prompts_file, ec);
        if (!gguf_dir.empty()) (void)remove_tree(gguf_dir);
        // Each engine's batch-1 tokens/s against llama.cpp's (the CPU comparison).
        if (!lc.contains("error"))
            for (const auto& lb : lc["batches"]) {
                if (lb["batch"] != 1 || !lb.contains("tokens_per_s_aggregate")) continue;
                const double theirs = lb["tokens_per_s_aggregate"]["median"].get<double>();
                for (auto& e : result["engines"])
                    for (auto& b : e["batches"])
                        if (b["batch"] == 1 && b.contains("tokens_per_s_aggregate") && theirs > 0)
                            b["tokens_per_s_vs_llama_cpp"] =
                                b["tokens_per_s_aggregate"]["median"].get<double>() / theirs;
            }
        result["engines"].push_back(lc);
    }

    if (p.hf) {
        if (p.hf_script.empty()) {
            result["hf"] = {{"error", "hf_generate_bench.py not found"}};
        } else {
            if (p.on_progress) p.on_progress("transformers generate (" + p.hf_script + ")");
            const std::string prompts_file = (tmp_dir.empty() ? std::string("/tmp") : tmp_dir) +
                                             "/prompts-" + std::to_string(::getpid()) + ".json";
            {
                std::ofstream f(prompts_file);
                f << json(prompts).dump();
            }
            result["hf"] = run_hf(p, model_dir, prompts_file, dev_s, dtype_s);
            std::error_code ec;
            fs::remove(prompts_file, ec);
        }
    }
    // Ratios to HF, figure by figure, and greedy token agreement.
    const json& hf = result.contains("hf") ? result["hf"] : json();
    if (hf.is_object() && !hf.contains("error") && hf.contains("batches")) {
        for (auto& e : result["engines"]) {
            if (e["load"].contains("seconds") && e["load"]["seconds"].is_number() &&
                hf.contains("load") && hf["load"].is_object())
                e["load"]["seconds_vs_hf"] =
                    e["load"]["seconds"].get<double>() / hf["load"]["seconds"].get<double>();
            for (auto& b : e["batches"]) {
                for (const auto& hb : hf["batches"]) {
                    if (hb["batch"] != b["batch"] || !hb.contains("ttft_ms")) continue;
                    json ratios;
                    for (const char* f : kFigures) {
                        const double theirs = hb[f]["median"].get<double>();
                        if (theirs > 0) ratios[f] = b[f]["median"].get<double>() / theirs;
                    }
                    for (const char* f : {"peak_allocated_bytes", "peak_reserved_bytes"})
                        if (b.contains(f) && hb.contains(f) && hb[f].is_number() &&
                            hb[f].get<double>() > 0)
                            ratios[f] = b[f].get<double>() / hb[f].get<double>();
                    b["vs_hf"] = ratios;
                    b["token_agreement_vs_hf"] = agreement(b["tokens"], hb["tokens"]);
                }
            }
        }
    }
    // Token lists are for the agreement only: keep the JSON small.
    for (auto& e : result["engines"])
        for (auto& b : e["batches"]) b.erase("tokens");
    if (result.contains("hf") && result["hf"].contains("batches"))
        for (auto& b : result["hf"]["batches"]) b.erase("tokens");
    return result;
}

std::string format_infer_bench(const json& r) {
    std::ostringstream o;
    char line[512];
    const json& c = r["config"];
    std::snprintf(line, sizeof line,
                  "bench infer: %s (%lld layers, hidden %lld), %s prompts of %s tokens, %lld "
                  "new tokens, greedy, %s %s, %lld warm-up + %lld timed runs (median "
                  "[min-max])\n",
                  c["model"].get<std::string>().c_str(), c["layers"].get<long long>(),
                  c["hidden"].get<long long>(),
                  c.value("prompt_source", std::string("synthetic")).c_str(),
                  c.value("prompt_source", std::string("synthetic")) == "synthetic"
                      ? std::to_string(c["prompt_len"].get<long long>()).c_str()
                      : ("up to " + std::to_string(c["prompt_len"].get<long long>())).c_str(),
                  c["max_new_tokens"].get<long long>(), c["device"].get<std::string>().c_str(),
                  c["dtype"].get<std::string>().c_str(), c["warmup"].get<long long>(),
                  c["repeats"].get<long long>());
    o << line;
    const bool have_hf = r.contains("hf") && r["hf"].is_object() && !r["hf"].contains("error");
    std::vector<json> engines;
    if (have_hf) {
        json h = r["hf"];
        h["engine"] = "transformers";
        engines.push_back(h);
    }
    for (const auto& e : r["engines"]) engines.push_back(e);
    o << "load:";
    for (const auto& e : engines) {
        if (!e.contains("load") || !e["load"].is_object()) continue;
        if (!e["load"].contains("seconds") || !e["load"]["seconds"].is_number()) {
            o << "  " << e["engine"].get<std::string>() << " n/a (server)";
            continue;
        }
        std::snprintf(line, sizeof line, "  %s %.2f s", e["engine"].get<std::string>().c_str(),
                      e["load"].value("seconds", 0.0));
        o << line;
        if (e["load"].contains("seconds_vs_hf")) {
            std::snprintf(line, sizeof line, " (%.2fx HF)",
                          e["load"]["seconds_vs_hf"].get<double>());
            o << line;
        }
    }
    o << "\n";
    auto fig = [](const json& f, double scale = 1.0) {
        char b[64];
        std::snprintf(b, sizeof b, "%.2f [%.2f-%.2f]", f["median"].get<double>() * scale,
                      f["min"].get<double>() * scale, f["max"].get<double>() * scale);
        return std::string(b);
    };
    for (int64_t bs : c["batch_sizes"].get<std::vector<int64_t>>()) {
        std::snprintf(
            line, sizeof line, "\nbatch %lld\n%-13s %26s %20s %20s %20s %24s %26s %9s %9s %7s\n",
            static_cast<long long>(bs), "engine", "TTFT ms", "ITL p50 ms", "ITL p90 ms",
            "ITL p99 ms", "tok/s per request", "tok/s aggregate", "peak GB", "resv GB", "agree");
        o << line;
        for (const auto& e : engines) {
            if (!e.contains("batches")) continue;
            for (const auto& b : e["batches"]) {
                if (b["batch"].get<int64_t>() != bs) continue;
                if (!b.contains("ttft_ms")) {
                    o << e["engine"].get<std::string>() << ": "
                      << b.value("error", std::string("?")) << "\n";
                    continue;
                }
                auto gbs = [&](const char* k) {
                    char t[32] = "-";
                    if (b.contains(k) && b[k].is_number())
                        std::snprintf(t, sizeof t, "%.2f", b[k].get<double>() / 1e9);
                    return std::string(t);
                };
                char agree[16] = "-";
                if (b.contains("token_agreement_vs_hf") &&
                    b["token_agreement_vs_hf"].get<double>() >= 0)
                    std::snprintf(agree, sizeof agree, "%.2f",
                                  b["token_agreement_vs_hf"].get<double>());
                std::snprintf(
                    line, sizeof line, "%-13s %26s %20s %20s %20s %24s %26s %9s %9s %7s\n",
                    e["engine"].get<std::string>().c_str(), fig(b["ttft_ms"]).c_str(),
                    fig(b["itl_p50_ms"]).c_str(), fig(b["itl_p90_ms"]).c_str(),
                    fig(b["itl_p99_ms"]).c_str(), fig(b["tokens_per_s_request"]).c_str(),
                    fig(b["tokens_per_s_aggregate"]).c_str(), gbs("peak_allocated_bytes").c_str(),
                    gbs("peak_reserved_bytes").c_str(), agree);
                o << line;
                if (b.contains("vs_hf")) {
                    const json& v = b["vs_hf"];
                    auto rt = [&](const char* k) {
                        char t[32] = "-";
                        if (v.contains(k)) std::snprintf(t, sizeof t, "%.2fx", v[k].get<double>());
                        return std::string(t);
                    };
                    std::snprintf(
                        line, sizeof line, "%-13s %26s %20s %20s %20s %24s %26s %9s %9s\n",
                        "  vs HF", rt("ttft_ms").c_str(), rt("itl_p50_ms").c_str(),
                        rt("itl_p90_ms").c_str(), rt("itl_p99_ms").c_str(),
                        rt("tokens_per_s_request").c_str(), rt("tokens_per_s_aggregate").c_str(),
                        rt("peak_allocated_bytes").c_str(), rt("peak_reserved_bytes").c_str());
                    o << line;
                }
            }
        }
    }
    for (const auto& e : engines)
        if (e.contains("server") && e["server"].is_object())
            o << "\n"
              << e["engine"].get<std::string>() << ": " << e["server"].value("url", "")
              << e["server"].value("endpoint", "") << "; tokens counted from "
              << (e["server"].value("token_count", "") == "usage"
                      ? "the server's usage/eval_count"
                      : "streamed chunks (the server gave no usage)")
              << "; ITL is between chunks; memory and load time not observable (null)\n";
    for (const auto& e : engines)
        if (e.value("engine", std::string()) == "llama.cpp" && e.contains("error"))
            o << "\nllama.cpp: not measured: " << e["error"].get<std::string>() << "\n";
    bool vs_llama = false;
    for (const auto& e : engines)
        for (const auto& b : e.value("batches", json::array()))
            if (b.contains("tokens_per_s_vs_llama_cpp")) {
                if (!vs_llama) o << "\ntokens/s at batch 1 / llama.cpp's:";
                vs_llama = true;
                std::snprintf(line, sizeof line, "  %s %.2fx",
                              e["engine"].get<std::string>().c_str(),
                              b["tokens_per_s_vs_llama_cpp"].get<double>());
                o << line;
            }
    if (vs_llama) o << "\n";
    if (r.contains("hf") && r["hf"].is_object() && r["hf"].contains("error"))
        o << "\nHF: not measured: " << r["hf"]["error"].get<std::string>() << "\n";
    o << "ratios: ours / HF (tokens/s: > 1 is faster; latency and memory: < 1 is better); "
         "agree: greedy tokens equal to HF's before the first difference (share)\n";
    return o.str();
}

}  // namespace tb::infer
