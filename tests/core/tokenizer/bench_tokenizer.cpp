// Encoding time against row length (issue 10: a quadratic replace made 1 MB take 5.8 s and
// 4 MB 68 s). Not a ctest entry: timings are measured, never asserted. Linear time shows as a
// constant bytes_per_second across the sizes:
//   build-tests/tests/core/tokenizer/bench_tokenizer --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "core/tokenizer/tokenizer.h"
#include "tests/core/tokenizer/tokenizer_test_util.h"

namespace {

void BM_EncodeLongRow(benchmark::State& state) {
    static auto tok = [] {
        auto t = tb::Tokenizer::load(
            tbtest::make_model_dir("bench_long_row", tbtest::tinyllama_config()));
        if (!t.ok()) {
            std::fprintf(stderr, "%s\n", t.error().message.c_str());
            std::exit(2);
        }
        return t.value();
    }();
    const std::string unit = " The quick brown fox jumps over the lazy dog.";
    std::string text;
    while (text.size() < static_cast<size_t>(state.range(0))) text += unit;
    for (auto _ : state) benchmark::DoNotOptimize(tok->encode(text, false));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                            static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_EncodeLongRow)
    ->Arg(256 << 10)
    ->Arg(1 << 20)
    ->Arg(4 << 20)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
