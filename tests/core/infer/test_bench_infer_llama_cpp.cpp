// `bench infer --llama-cpp TYPE`: llama.cpp (node-llama-cpp's prebuilt CPU binaries) beside the
// engines on the same weights - the benchmark's model exported to GGUF by core/gguf - and each
// engine's batch-1 tokens/s as a ratio to it. Label interop: skipped when node or the package
// is missing (TB_NODE_LLAMA_DIR: the folder whose node_modules holds node-llama-cpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/test_paths.h"

namespace fs = std::filesystem;

namespace {

std::string node_dir() {
    const char* e = std::getenv("TB_NODE_LLAMA_DIR");
    return e ? e : "/work/node";
}

std::string run(const std::string& cmd, int* status) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    *status = pclose(p);
    return out;
}

TEST(BenchInferLlamaCpp, RowAndRatioOnTheSameWeights) {
    int st = 0;
    run("node --version >/dev/null 2>&1", &st);
    if (st != 0) GTEST_SKIP() << "node not installed";
    if (!fs::exists(fs::path(node_dir()) / "node_modules" / "node-llama-cpp"))
        GTEST_SKIP() << "node-llama-cpp not installed in " << node_dir();
    const std::string tok = tbtest::shared_dir() + "/data/llama2-tokenizer.model";
    const std::string cmd = "NODE_LLAMA_DIR='" + node_dir() +
                            "' '" TB_CLI_PATH
                            "' bench infer --shape tiny --engines eager --batch 1,2 "
                            "--prompt-len 16 --max-new-tokens 8 --warmup 1 --repeats 2 "
                            "--device cpu --llama-cpp f16 --tokenizer '" +
                            tok +
                            "' --llama-cpp-script '" TB_LLAMA_CPP_SCRIPT "' --json 2>/dev/null";
    const std::string out = run(cmd, &st);
    ASSERT_EQ(st, 0) << out;
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["config"]["llama_cpp_gguf"], "f16");
    EXPECT_GT(j["config"]["llama_cpp_export_seconds"].get<double>(), 0.0);
    ASSERT_EQ(j["engines"].size(), 2u);
    const auto& lc = j["engines"][1];
    ASSERT_EQ(lc["engine"], "llama.cpp");
    ASSERT_FALSE(lc.contains("error")) << lc.dump();
    EXPECT_GT(lc["load"]["seconds"].get<double>(), 0.0);
    ASSERT_EQ(lc["batches"].size(), 2u);
    const auto& b1 = lc["batches"][0];
    EXPECT_EQ(b1["batch"], 1);
    for (const char* f : {"ttft_ms", "itl_p50_ms", "tokens_per_s_aggregate"}) {
        EXPECT_GT(b1[f]["median"].get<double>(), 0.0) << f;
        EXPECT_LE(b1[f]["min"].get<double>(), b1[f]["median"].get<double>()) << f;
    }
    // Each run's request rate is 8 / the time of its last token, which lies between its first
    // token (TTFT) and the end of the run (e2e). So the median rate lies between 8 / the
    // slowest run's e2e and 8 / the fastest run's TTFT (the medians of the columns come from
    // different runs when the timings spread, so no product of medians is exactly 8).
    const double rate = b1["tokens_per_s_request"]["median"].get<double>();
    EXPECT_GE(rate, 8.0 / b1["e2e_s"]["max"].get<double>() * (1 - 1e-9));
    EXPECT_LE(rate, 8.0 / (b1["ttft_ms"]["min"].get<double>() / 1000.0) * (1 + 1e-9));
    EXPECT_TRUE(lc["batches"][1].contains("error"));  // batch 2: not measured
    const auto& e1 = j["engines"][0]["batches"][0];
    ASSERT_TRUE(e1.contains("tokens_per_s_vs_llama_cpp"));
    EXPECT_NEAR(e1["tokens_per_s_vs_llama_cpp"].get<double>(),
                e1["tokens_per_s_aggregate"]["median"].get<double>() /
                    b1["tokens_per_s_aggregate"]["median"].get<double>(),
                1e-12);
    EXPECT_FALSE(j["engines"][0]["batches"][1].contains("tokens_per_s_vs_llama_cpp"));
}

}  // namespace
