// tunebench-cli bench-bertscore: BERTScore pairs/s of tunebench (core/bertscore) beside a Python
// computation of the same pairs in the same run (resources/bench/bertscore_bench.py), per
// device, with a random-weight BERT-base encoder by default (core/eval/bertscore_bench.h).
// A separate command rather than a `bench` subcommand so that this file owns it alone.
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/progress_printer.h"
#include "core/eval/bertscore_bench.h"

namespace tbcli {
namespace {

namespace fs = std::filesystem;

struct BenchBertScoreArgs {
    std::string data;
    int64_t pairs = 1000;
    std::string model;
    std::string shape = "base";
    std::string work;
    int layer = -1;
    int batch_size = 64;
    bool idf = false;
    std::string devices = "cpu";
    int warmup = 0;
    int repeats = 1;
    std::string python = "python3";
    std::string script;  // empty: find resources/bench/bertscore_bench.py
    bool no_python = false;
    bool json_out = false;
};

// resources/bench/<name> installed beside the binary or in the source tree.
std::string find_script(const std::string& name) {
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

int run_bench_bertscore(const BenchBertScoreArgs& a) {
    tb::eval::BertScoreBenchParams p;
    if (a.data.empty()) return fail("--data: required (a Dolly-style JSONL with \"response\")");
    p.data_path = a.data;
    p.pairs = a.pairs;
    p.model_dir = a.model;
    p.shape = a.shape;
    p.work_dir = a.work.empty() ? (fs::temp_directory_path() / "tunebench-bertscore-bench").string()
                                : a.work;
    p.num_layers = a.layer;
    p.batch_size = a.batch_size;
    p.idf = a.idf;
    p.devices.clear();
    std::stringstream ss(a.devices);
    for (std::string d; std::getline(ss, d, ',');)
        if (!d.empty()) p.devices.push_back(d);
    p.warmup = a.warmup;
    p.repeats = a.repeats;
    p.python = !a.no_python;
    p.python_exe = a.python;
    p.script = a.script.empty() ? find_script("bertscore_bench.py") : a.script;
    p.cancel = &interrupt_token();
    ProgressPrinter progress;
    p.on_progress = [&progress](const std::string& s) { progress.line("bench-bertscore: " + s); };
    auto r = tb::eval::run_bertscore_bench(p);
    if (!r) return fail(r.error());
    if (a.json_out)
        std::cout << r->dump(2) << std::endl;
    else
        std::cout << tb::eval::format_bertscore_bench(*r);
    return interrupt_token().cancelled() ? 130 : kExitOk;
}

CommandRegistrar register_bench_bertscore("bench-bertscore", [](CLI::App& app) {
    app.description(
        "BERTScore pairs/s of tunebench beside a Python computation of the same pairs "
        "(bert_score, or its algorithm in torch + transformers), per device");
    auto a = std::make_shared<BenchBertScoreArgs>();
    app.add_option("--data", a->data, "JSONL of texts (\"response\" per line), e.g. Dolly")
        ->required();
    app.add_option("--pairs", a->pairs, "Candidate/reference pairs")->capture_default_str();
    app.add_option("--model", a->model, "Encoder folder (default: a random one of --shape)");
    app.add_option("--shape", a->shape, "Random encoder: base (BERT-base) or tiny")
        ->capture_default_str();
    app.add_option("--work", a->work, "Folder for the random encoder and the pairs file");
    app.add_option("--layer", a->layer,
                   "Hidden layer (default: 9 for base, as bert_score's bert-base-uncased; else "
                   "the last)");
    app.add_option("--batch-size", a->batch_size, "BERTScore batch size")->capture_default_str();
    app.add_flag("--idf", a->idf, "idf weighting");
    app.add_option("--devices", a->devices, "Comma list: cpu, cuda, cuda:N")->capture_default_str();
    app.add_option("--warmup", a->warmup, "Untimed calls per device and side")
        ->capture_default_str();
    app.add_option("--repeats", a->repeats, "Timed calls per device and side (median)")
        ->capture_default_str();
    app.add_option("--python", a->python, "Python with torch and transformers")
        ->capture_default_str();
    app.add_option("--script", a->script, "Path of bertscore_bench.py");
    app.add_flag("--no-python", a->no_python, "tunebench side only");
    app.add_flag("--json", a->json_out, "Print one JSON object");
    return [a] { return run_bench_bertscore(*a); };
});

}  // namespace
}  // namespace tbcli
