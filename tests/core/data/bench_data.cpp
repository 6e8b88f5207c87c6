// Google Benchmark: load + validate + split (+ statistics) of 15,011 Dolly-like rows, the
// size of Dolly 15k, with realistic field lengths. Run: build-*/tests/core/data/bench_data
// (optionally with --dolly FILE to time a real Dolly 15k file instead).
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "core/common/file_io.h"
#include "core/data/dataset_reader.h"
#include "core/data/split.h"
#include "core/data/stats.h"

namespace {

std::string g_text;  // JSONL under test

std::string synthetic_dolly(size_t n) {
    static const char* cats[] = {"open_qa",       "general_qa",      "classification",
                                 "closed_qa",     "brainstorming",   "information_extraction",
                                 "summarization", "creative_writing"};
    tb::SplitMix64 rng(1);
    auto words = [&](size_t count) {
        std::string s;
        for (size_t i = 0; i < count; ++i) {
            s += (i ? " " : "");
            s += std::string(2 + rng.below(8), static_cast<char>('a' + rng.below(26)));
        }
        return s;
    };
    std::string text;
    for (size_t i = 0; i < n; ++i) {
        // Dolly averages ~70 chars of instruction, ~360 of context (a third of rows), ~360 of
        // response.
        std::string ctx = rng.below(3) == 0 ? words(40 + rng.below(120)) : "";
        text += "{\"instruction\": \"" + words(4 + rng.below(20)) + "?\", \"context\": \"" + ctx +
                "\", \"response\": \"" + words(10 + rng.below(110)) + "\", \"category\": \"" +
                cats[rng.below(8)] + "\"}\n";
    }
    return text;
}

void BM_LoadValidate(benchmark::State& state) {
    for (auto _ : state) {
        auto ds = tb::parse_dataset(g_text, "bench.jsonl", {});
        if (!ds.ok()) state.SkipWithError(ds.error().message.c_str());
        benchmark::DoNotOptimize(ds);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_text.size()));
}

void BM_LoadValidateSplit(benchmark::State& state) {
    for (auto _ : state) {
        auto ds = tb::parse_dataset(g_text, "bench.jsonl", {});
        auto split = tb::split_dataset(ds->examples, {});
        benchmark::DoNotOptimize(split);
    }
}

void BM_LoadValidateSplitStats(benchmark::State& state) {
    for (auto _ : state) {
        auto ds = tb::parse_dataset(g_text, "bench.jsonl", {});
        tb::SplitOptions o;
        o.stratify = true;
        auto split = tb::split_dataset(ds->examples, o);
        auto st = tb::compute_stats(ds->examples, split.value());
        benchmark::DoNotOptimize(st);
    }
}

BENCHMARK(BM_LoadValidate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadValidateSplit)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadValidateSplitStats)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    std::string dolly;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--dolly") == 0) dolly = argv[i + 1];
    if (!dolly.empty()) {
        auto t = tb::read_file(dolly);
        if (!t.ok()) {
            std::fprintf(stderr, "%s\n", t.error().message.c_str());
            return 2;
        }
        g_text = std::move(t.value());
    } else {
        g_text = synthetic_dolly(15011);
    }
    std::fprintf(stderr, "dataset: %s, %zu bytes\n",
                 dolly.empty() ? "synthetic 15,011 rows" : dolly.c_str(), g_text.size());
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--dolly") == 0) {
            ++i;
            continue;
        }
        args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
