// bench-bertscore's core (core/eval/bertscore_bench.h) on a tiny random encoder: the written
// folder is a valid BERT for the BERTScore module (identical texts score 1), the result JSON
// carries the figures the CLI prints, and a failing Python side is recorded, not fatal.
#include <gtest/gtest.h>

#include <cmath>

#include "core/bertscore/bertscore.h"
#include "core/eval/bertscore_bench.h"
#include "tests/test_paths.h"

TEST(BertScoreBench, TinyRandomEncoderRunAndPythonFailureRecorded) {
    const std::string work = tbtest::scratch_dir("bertscore_bench");
    tb::eval::BertScoreBenchParams p;
    p.data_path = tbtest::shared_dir() + "/data/dolly-sample.jsonl";
    p.pairs = 6;
    p.shape = "tiny";
    p.work_dir = work;
    p.batch_size = 4;
    p.python_exe = "python3";
    p.script = work + "/no-such-script.py";
    auto r = tb::eval::run_bertscore_bench(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& j = *r;
    EXPECT_EQ(j["config"]["pairs"].get<int64_t>(), 6);
    EXPECT_EQ(j["config"]["num_layers"].get<int>(), 2);  // tiny: its last layer
    EXPECT_GT(j["tokens"]["candidate_mean"].get<double>(), 2.0);
    ASSERT_EQ(j["devices"].size(), 1u);
    const auto& d = j["devices"][0];
    EXPECT_EQ(d["device"], "cpu");
    EXPECT_GT(d["tunebench"]["pairs_per_s"].get<double>(), 0.0);
    EXPECT_EQ(d["tunebench"]["seconds"].size(), 1u);
    ASSERT_TRUE(d.contains("python"));
    EXPECT_TRUE(d["python"].contains("error")) << d["python"].dump();
    EXPECT_FALSE(d.contains("ratio"));
    EXPECT_NE(tb::eval::format_bertscore_bench(j).find("tunebench"), std::string::npos);

    // The random folder is a working BERT: a sentence against itself scores 1.
    tb::bertscore::BertScoreOptions bo;
    bo.model_dir = j["config"]["model_dir"].get<std::string>();
    bo.num_layers = 2;
    auto s = tb::bertscore::bert_score({"The quick brown fox jumps over the lazy dog."},
                                       {{"The quick brown fox jumps over the lazy dog."}}, bo);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_NEAR(s->f1[0], 1.0, 1e-5);
    auto other = tb::bertscore::bert_score({"Completely unrelated words here."},
                                           {{"The quick brown fox jumps over the lazy dog."}}, bo);
    ASSERT_TRUE(other.ok());
    EXPECT_LT(other->f1[0], 0.9999);

    p.devices = {"not-a-device"};
    EXPECT_FALSE(tb::eval::run_bertscore_bench(p).ok());
    p.devices = {"cpu"};
    p.shape = "huge";
    EXPECT_FALSE(tb::eval::run_bertscore_bench(p).ok());
}
