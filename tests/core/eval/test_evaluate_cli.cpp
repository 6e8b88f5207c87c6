// `tunebench-cli evaluate` end to end: a bad argument is one line on stderr with exit 2 before
// anything runs (no store created); after an evaluation the CLI names the store's evaluations
// it may be compared with and warns about the others with what differs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/config/app_config.h"
#include "core/eval/evaluation.h"
#include "core/infer/llama_io.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;

namespace {

struct CliRun {
    int code = -1;
    std::string out;
    std::string err;
};

CliRun run_cli(const std::string& args, const std::string& dir) {
    const std::string err_path = dir + "/stderr.txt";
    const std::string cmd = std::string("'") + TB_CLI_PATH + "' " + args + " 2>'" + err_path + "'";
    CliRun r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = pclose(p);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream in(err_path);
    std::stringstream ss;
    ss << in.rdbuf();
    r.err = ss.str();
    return r;
}

std::string make_model(const std::string& dir) {
    tb::LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 32;
    c.intermediate_size = 64;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 8;
    c.max_position_embeddings = 512;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    c.pad_token_id = 2;
    tb::LlamaModel m = tb::init_llama(c, 3, 0.05, {});
    EXPECT_TRUE(tb::save_llama_model(m, dir, at::kFloat).ok());
    fs::copy_file(tbtest::shared_dir() + "/data/llama2-tokenizer.model", dir + "/tokenizer.model");
    // TinyLlama's tokenizer_config.json (chat template included) as recorded from HF.
    std::ifstream in(tbtest::fixtures_dir() + "/tokenizer/plain_legacy_false.json");
    std::ofstream(dir + "/tokenizer_config.json")
        << nlohmann::json::parse(in).at("tokenizer_config").dump(1);
    return dir;
}

void write_config(const std::string& path, const std::string& model, bool stratify) {
    std::ofstream(path) << "model:\n  name: " << model
                        << "\n  max_length: 96\n  device: cpu\n  dtype: float32\n"
                           "data:\n  path: "
                        << tbtest::shared_dir()
                        << "/data/dolly-sample.jsonl\n"
                           "  stratify: "
                        << (stratify ? "true" : "false")
                        << "\neval:\n  max_new_tokens: 3\n  batch_size: 2\n  limit: 3\n"
                           "  metrics: [bleu]\n";
}

size_t count_lines(const std::string& s) {
    size_t n = 0;
    for (char ch : s) n += ch == '\n';
    return n;
}

}  // namespace

TEST(EvaluateCli, BadArgumentsFailAtOnceWithOneLine) {
    const std::string dir = tbtest::scratch_dir("evaluate_cli_bad");
    const std::string model = make_model(dir + "/model");
    write_config(dir + "/config.yaml", model, false);
    for (const std::string& args :
         {std::string("--resamples -1"), std::string("--resamples 1000000000"),
          std::string("--limit 0"), std::string("--metrics bleu,meteor"),
          std::string("--dtype int7"), std::string("--test t-test"),
          std::string("--models base,") + dir + "/no-adapter"}) {
        CliRun r = run_cli("evaluate --config '" + dir + "/config.yaml' " + args, dir);
        EXPECT_EQ(r.code, 2) << args << ": " << r.err;
        EXPECT_EQ(count_lines(r.err), 1u) << args << ": " << r.err;
        EXPECT_EQ(r.err.find("[generate]"), std::string::npos) << args << ": work started";
        EXPECT_FALSE(fs::exists(dir + "/tunebench.sqlite")) << args;
    }
    CliRun r = run_cli("evaluate --config '" + dir + "/config.yaml' --resamples -1", dir);
    EXPECT_NE(r.err.find("resamples"), std::string::npos) << r.err;
}

// The engine: --engine or the config's inference.engine. An unknown name or an engine this
// build or machine lacks is one line, exit 2, before anything runs; --engine eager evaluates.
TEST(EvaluateCli, EngineFlagAndConfigKey) {
    const std::string dir = tbtest::scratch_dir("evaluate_cli_engine");
    const std::string model = make_model(dir + "/model");
    write_config(dir + "/config.yaml", model, false);
    const std::string cfg = " --config '" + dir + "/config.yaml'";
    CliRun r = run_cli("evaluate" + cfg + " --engine bogus", dir);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("--engine: unknown engine 'bogus' (engines: eager, graph, quant"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir + "/tunebench.sqlite"));

    // The YAML key: a bad value names file, line and key.
    std::ofstream(dir + "/config.yaml", std::ios::app) << "inference:\n  engine: eagre\n";
    r = run_cli("evaluate" + cfg, dir);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("config.yaml:15: inference.engine: 'eagre' is not one of eager, graph, "
                         "quant, paged (did you mean eager?)"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir + "/tunebench.sqlite"));

    // graph without CUDA (this machine, when it has none): why, in one line.
    write_config(dir + "/config.yaml", model, false);
    std::ofstream(dir + "/config.yaml", std::ios::app) << "inference:\n  engine: graph\n";
    if (!torch::cuda::is_available()) {
        r = run_cli("evaluate" + cfg, dir);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_EQ(count_lines(r.err), 1u) << r.err;
        EXPECT_NE(r.err.find("inference.engine: engine 'graph' is not available here: needs CUDA"),
                  std::string::npos)
            << r.err;
        EXPECT_FALSE(fs::exists(dir + "/tunebench.sqlite"));
    }
    // --engine wins over the config's key, and is what the evaluation records.
    r = run_cli("evaluate" + cfg + " --engine eager --resamples 20", dir);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("evaluation 1: 3 test items"), std::string::npos) << r.out;
}

TEST(EvaluateCli, WarnsAboutIncomparableEvaluationsInTheStore) {
    const std::string dir = tbtest::scratch_dir("evaluate_cli_compare");
    const std::string model = make_model(dir + "/model");
    write_config(dir + "/plain.yaml", model, false);
    write_config(dir + "/stratified.yaml", model, true);
    const std::string common = " --resamples 20 --store '" + dir + "/tunebench.sqlite'";
    CliRun a = run_cli("evaluate --config '" + dir + "/plain.yaml'" + common, dir);
    ASSERT_EQ(a.code, 0) << a.err;
    EXPECT_EQ(a.err.find("warning:"), std::string::npos) << a.err;  // alone in the store
    CliRun b = run_cli("evaluate --config '" + dir + "/stratified.yaml'" + common, dir);
    ASSERT_EQ(b.code, 0) << b.err;
    EXPECT_NE(b.err.find("warning: evaluation 2 is not comparable with evaluation 1 in this "
                         "store (split stratify: true vs false)"),
              std::string::npos)
        << b.err;
    CliRun c = run_cli("evaluate --config '" + dir + "/plain.yaml'" + common, dir);
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_NE(c.err.find("warning: evaluation 3 is not comparable with evaluation 2"),
              std::string::npos)
        << c.err;
    EXPECT_NE(c.err.find("comparable with evaluation(s) 1 (same split"), std::string::npos)
        << c.err;
    // Each warning on its own line, not glued to a progress line.
    EXPECT_NE(c.err.find("\nwarning: evaluation 3"), std::string::npos) << c.err;
}

// bench infer --config: the prompts are the test split's, as evaluate feeds them
// (test_split_prompt_ids), of different lengths (left padded), and the result says so.
TEST(EvaluateCli, BenchInferTakesTheTestSplitPrompts) {
    const std::string dir = tbtest::scratch_dir("evaluate_cli_bench");
    const std::string model = make_model(dir + "/model");
    write_config(dir + "/config.yaml", model, false);
    auto cfg = tb::load_app_config(dir + "/config.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto ids = tb::eval::test_split_prompt_ids(*cfg, 3);
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    ASSERT_EQ(ids->size(), 3u);
    size_t longest = 0;
    double mean = 0;
    for (const auto& p : *ids) {
        ASSERT_FALSE(p.empty());
        EXPECT_EQ(p[0], 1);  // training's bos in front, as evaluate feeds them
        longest = std::max(longest, p.size());
        mean += static_cast<double>(p.size()) / 3.0;
    }
    CliRun r = run_cli("bench infer --config '" + dir +
                           "/config.yaml' --engines eager --batch 2 --prompts 3 "
                           "--max-new-tokens 3 --warmup 0 --repeats 1 --device cpu --json",
                       dir);
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["config"]["prompt_source"], "test split of " + dir + "/config.yaml");
    EXPECT_EQ(j["config"]["prompts"], 3);
    EXPECT_EQ(j["config"]["prompt_len"], static_cast<int64_t>(longest));
    EXPECT_NEAR(j["config"]["prompt_len_mean"].get<double>(), mean, 1e-9);
    EXPECT_EQ(j["config"]["model"], model);
    ASSERT_EQ(j["engines"].size(), 1u);
    EXPECT_GT(j["engines"][0]["batches"][0]["tokens_per_s_aggregate"]["median"].get<double>(), 0);
    // A config whose test split cannot be read fails in one line naming it.
    std::ofstream(dir + "/bad.yaml")
        << "model:\n  name: " << model << "\ndata:\n  path: " << dir << "/missing.jsonl\n";
    CliRun bad = run_cli("bench infer --config '" + dir + "/bad.yaml' --device cpu", dir);
    EXPECT_EQ(bad.code, 2) << bad.err;
    EXPECT_NE(bad.err.find("missing.jsonl"), std::string::npos) << bad.err;
}
