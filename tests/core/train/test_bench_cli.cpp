// `tunebench-cli bench train` end to end on CPU: the JSON it prints, the rows it records in a
// store, the PEFT side reported as unavailable rather than failing, and a bad flag.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "core/store/store.h"
#include "tests/test_paths.h"

namespace {

struct CliRun {
    int status = 0;
    std::string out;
};

CliRun cli(const std::string& args) {
    CliRun r;
    const std::string cmd = std::string("'") + TB_CLI_PATH + "' " + args + " 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, ""};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    r.status = pclose(p);
    return r;
}

TEST(BenchTrainCli, JsonAndStoreRows) {
    const std::string store = tbtest::scratch_dir("bench_cli") + "/bench.sqlite";
    CliRun r =
        cli("bench train --shape tiny --batch 1 --seq 32 --steps 2 --warmup 1 --device cpu "
            "--python /nonexistent/python --json --store '" +
            store + "'");
    ASSERT_EQ(r.status, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["results"].size(), 2u);
    EXPECT_EQ(j["results"][0]["engine"], "tunebench reference");
    EXPECT_EQ(j["results"][1]["engine"], "tunebench fused");
    for (const auto& e : j["results"]) {
        EXPECT_GT(e["tokens_per_s"].get<double>(), 0.0);
        EXPECT_GT(e["peak_bytes"].get<int64_t>(), 0);
        EXPECT_FALSE(e.contains("speed_vs_peft"));  // no PEFT numbers, no ratios
    }
    // Same losses from both backends on the same model and batch.
    EXPECT_NEAR(j["results"][0]["first_loss"].get<double>(),
                j["results"][1]["first_loss"].get<double>(), 1e-5);
    ASSERT_TRUE(j["peft"].contains("error"));
    auto st = tb::store::Store::open(store);
    ASSERT_TRUE(st.ok()) << st.error().message;
    auto rows = (*st)->benchmarks();
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[1].engine, "tunebench fused");
    EXPECT_EQ(nlohmann::json::parse((*rows)[1].config_json)["kind"], "train");
}

TEST(BenchTrainCli, BadShapeIsAUserError) {
    CliRun r = cli("bench train --shape enormous");
    EXPECT_EQ(WEXITSTATUS(r.status), 2);
}

}  // namespace
