// The evaluation fingerprint (split + generation settings) round-trips through the run's
// config_yaml without breaking it as a run config; the comparability rule names every
// difference and never calls unrecorded settings equal; the file hash is FNV-1a 64.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/eval/eval_fingerprint.h"
#include "tests/test_paths.h"

namespace {

tb::eval::EvalFingerprint sample() {
    tb::eval::EvalFingerprint fp;
    fp.split.seed = 42;
    fp.split.train_ratio = 0.9;
    fp.split.val_ratio = 0.05;
    fp.split.test_ratio = 0.05;
    fp.split.stratify = true;
    fp.split.format = "dolly";
    fp.split.data_path = "/data/dolly: sample.jsonl";  // a colon needs quoting in YAML
    fp.split.data_hash = "fnv1a64:0123456789abcdef";
    fp.split.data_bytes = 1234;
    fp.split.rows = 300;
    fp.split.test_items = 15;
    fp.generation.max_new_tokens = 64;
    fp.generation.batch_size = 8;
    fp.generation.limit = 20;
    fp.generation.dtype = "float32";
    fp.generation.device = "cpu";
    fp.generation.max_length = 256;
    fp.generation.prompt_template = "chat";
    fp.generation.top_k = 50;
    return fp;
}

}  // namespace

TEST(EvalFingerprint, FileHashIsFnv1a64OfTheBytes) {
    const std::string dir = tbtest::scratch_dir("fingerprint_hash");
    const std::string path = dir + "/a.txt";
    std::ofstream(path, std::ios::binary) << "a";
    auto fp = tb::eval::fingerprint_file(path);
    ASSERT_TRUE(fp.ok()) << fp.error().message;
    // Published FNV-1a 64 test vector: "a" -> af63dc4c8601ec8c.
    EXPECT_EQ(fp->hash, "fnv1a64:af63dc4c8601ec8c");
    EXPECT_EQ(fp->bytes, 1);
    std::ofstream(path, std::ios::binary) << "";
    auto empty = tb::eval::fingerprint_file(path);
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->hash, "fnv1a64:cbf29ce484222325");  // the offset basis
    EXPECT_FALSE(tb::eval::fingerprint_file(dir + "/missing.jsonl").ok());
}

TEST(EvalFingerprint, RoundTripsAndKeepsTheRunConfigParseable) {
    tb::AppConfig cfg;
    cfg.data.stratify = true;
    cfg.eval.max_new_tokens = 77;
    const auto fp = sample();
    const std::string text = tb::eval::eval_run_config_yaml(tb::app_config_to_yaml(cfg), fp);
    // The first document is still the run's AppConfig.
    auto back_cfg = tb::parse_app_config(text, "");
    ASSERT_TRUE(back_cfg.ok()) << back_cfg.error().message;
    EXPECT_EQ(back_cfg->eval.max_new_tokens, 77);
    EXPECT_TRUE(back_cfg->data.stratify);
    auto back = tb::eval::eval_fingerprint_from_run_yaml(text);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back->recorded);
    EXPECT_EQ(back->split.data_path, fp.split.data_path);
    EXPECT_EQ(back->split.data_hash, fp.split.data_hash);
    EXPECT_EQ(back->split.rows, 300);
    EXPECT_EQ(back->split.test_items, 15);
    EXPECT_EQ(back->split.train_ratio, 0.9);
    EXPECT_EQ(back->generation.dtype, "float32");
    EXPECT_EQ(back->generation.top_k, 50);
    const auto c = tb::eval::compare_evaluations(fp, *back);
    EXPECT_TRUE(c.comparable) << tb::eval::describe_differences(c);
    EXPECT_TRUE(c.notes.empty());
}

TEST(EvalFingerprint, EachDecidingFieldMakesEvaluationsIncomparable) {
    const auto a = sample();
    struct Case {
        const char* expect;
        void (*change)(tb::eval::EvalFingerprint&);
    };
    const Case cases[] = {
        {"split seed: 42 vs 7", [](auto& f) { f.split.seed = 7; }},
        {"split ratios", [](auto& f) { f.split.train_ratio = 0.8, f.split.test_ratio = 0.15; }},
        {"split stratify: true vs false", [](auto& f) { f.split.stratify = false; }},
        {"data format", [](auto& f) { f.split.format = "alpaca"; }},
        {"data file hash", [](auto& f) { f.split.data_hash = "fnv1a64:ffffffffffffffff"; }},
        {"data rows: 300 vs 299", [](auto& f) { f.split.rows = 299; }},
        {"test items: 15 vs 6", [](auto& f) { f.split.test_items = 6; }},
        {"max_new_tokens: 64 vs 256", [](auto& f) { f.generation.max_new_tokens = 256; }},
        {"decoding: greedy vs sampling", [](auto& f) { f.generation.greedy = false; }},
        {"repetition_penalty", [](auto& f) { f.generation.repetition_penalty = 1.2; }},
        {"dtype: float32 vs bfloat16", [](auto& f) { f.generation.dtype = "bfloat16"; }},
        {"max_length: 256 vs 128", [](auto& f) { f.generation.max_length = 128; }},
        {"prompt template: chat vs instruction",
         [](auto& f) { f.generation.prompt_template = "instruction"; }},
        {"engine: eager vs quant", [](auto& f) { f.generation.engine = "quant"; }},
    };
    for (const auto& k : cases) {
        auto b = a;
        k.change(b);
        const auto c = tb::eval::compare_evaluations(a, b);
        EXPECT_FALSE(c.comparable) << k.expect;
        ASSERT_EQ(c.differences.size(), 1u) << tb::eval::describe_differences(c);
        EXPECT_NE(c.differences[0].find(k.expect), std::string::npos) << c.differences[0];
    }
    // Same ratios spelled differently (as the split computes them: parts per billion).
    auto b = a;
    b.split.val_ratio = 0.05 + 1e-13;
    EXPECT_TRUE(tb::eval::compare_evaluations(a, b).comparable);
    // Sampling parameters matter only when both sample.
    b = a;
    b.generation.temperature = 0.7;
    EXPECT_TRUE(tb::eval::compare_evaluations(a, b).comparable);
    auto s1 = a, s2 = a;
    s1.generation.greedy = s2.generation.greedy = false;
    s2.generation.top_p = 0.9;
    EXPECT_FALSE(tb::eval::compare_evaluations(s1, s2).comparable);
    // Batch size and device: noted, not deciding.
    b = a;
    b.generation.batch_size = 2;
    b.generation.device = "cuda";
    const auto c = tb::eval::compare_evaluations(a, b);
    EXPECT_TRUE(c.comparable);
    EXPECT_EQ(c.notes.size(), 2u);
    // eager and graph run the same weights and math (rounding differs): noted, not deciding.
    b = a;
    b.generation.engine = "graph";
    const auto g = tb::eval::compare_evaluations(a, b);
    EXPECT_TRUE(g.comparable);
    ASSERT_EQ(g.notes.size(), 1u);
    EXPECT_NE(g.notes[0].find("engine: eager vs graph"), std::string::npos) << g.notes[0];
}

// The engine is recorded and read back; fingerprints written before engines existed have no
// key and generated the eager way.
TEST(EvalFingerprint, EngineRoundTripsAndDefaultsToEager) {
    auto fp = sample();
    fp.generation.engine = "quant";
    const std::string text = tb::eval::eval_run_config_yaml("", fp);
    EXPECT_NE(text.find("engine: quant"), std::string::npos) << text;
    auto back = tb::eval::eval_fingerprint_from_run_yaml(text);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->generation.engine, "quant");
    EXPECT_EQ(back->generation.quant, "q8_0");  // recorded before formats: q8_0 then
    // The quant format is recorded and decides: q8_0 and nf4 answers come from other weights.
    auto q8 = fp, nf4 = fp;
    q8.generation.quant = "q8_0";
    nf4.generation.quant = "nf4";
    auto q8_back = tb::eval::eval_fingerprint_from_run_yaml(tb::eval::eval_run_config_yaml("", q8));
    ASSERT_TRUE(q8_back.ok()) << q8_back.error().message;
    EXPECT_EQ(q8_back->generation.quant, "q8_0");
    EXPECT_TRUE(tb::eval::compare_evaluations(q8, *q8_back).comparable);
    const auto qc = tb::eval::compare_evaluations(q8, nf4);
    EXPECT_FALSE(qc.comparable);
    ASSERT_EQ(qc.differences.size(), 1u);
    EXPECT_NE(qc.differences[0].find("quant format: q8_0 vs nf4"), std::string::npos)
        << qc.differences[0];
    std::string old = tb::eval::eval_run_config_yaml("", sample());
    const size_t at = old.find("    engine: eager\n");
    ASSERT_NE(at, std::string::npos) << old;
    old.erase(at, std::string("    engine: eager\n").size());
    auto older = tb::eval::eval_fingerprint_from_run_yaml(old);
    ASSERT_TRUE(older.ok()) << older.error().message;
    EXPECT_EQ(older->generation.engine, "eager");
    EXPECT_TRUE(tb::eval::compare_evaluations(sample(), *older).comparable);
}

TEST(EvalFingerprint, OlderRunsAreReadFromTheirConfigButNeverComparable) {
    // The pair: a GUI evaluation on the default unstratified split and a CLI one on the
    // config's stratified split, both stored before fingerprints existed.
    tb::AppConfig gui;
    tb::AppConfig cli;
    cli.data.stratify = true;
    auto g = tb::eval::eval_fingerprint_from_run_yaml(tb::app_config_to_yaml(gui));
    auto c = tb::eval::eval_fingerprint_from_run_yaml(tb::app_config_to_yaml(cli));
    ASSERT_TRUE(g.ok() && c.ok());
    EXPECT_FALSE(g->recorded);
    const auto cmp = tb::eval::compare_evaluations(*g, *c);
    EXPECT_FALSE(cmp.comparable);
    const std::string d = tb::eval::describe_differences(cmp);
    EXPECT_NE(d.find("split stratify: false vs true"), std::string::npos) << d;
    EXPECT_NE(d.find("data file hash: not recorded vs not recorded"), std::string::npos) << d;
    // Not even with itself: what it ran on cannot be checked.
    EXPECT_FALSE(tb::eval::compare_evaluations(*g, *g).comparable);
    // Nothing recorded at all, or not YAML: an error the callers show as "not recorded".
    EXPECT_FALSE(tb::eval::eval_fingerprint_from_run_yaml("").ok());
    EXPECT_FALSE(tb::eval::eval_fingerprint_from_run_yaml("model: [unclosed").ok());
}
