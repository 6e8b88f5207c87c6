// Run-config loading: defaults, the study's keys, error messages (file, line, key), round trip,
// schema and path resolution.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/config/app_config.h"
#include "tests/test_paths.h"

namespace {

std::string configs_dir() { return std::string(TUNEBENCH_SOURCE_DIR) + "/configs"; }

// Parses `text` as "cfg.yaml" and returns the error message ("" when it parsed).
std::string error_of(const std::string& text) {
    auto r = tb::parse_app_config(text, "cfg.yaml");
    return r.ok() ? "" : r.error().message;
}

tb::AppConfig parse_ok(const std::string& text) {
    auto r = tb::parse_app_config(text, "cfg.yaml");
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r.value() : tb::AppConfig{};
}

TEST(Config, EmptyTextGivesDefaults) {
    tb::AppConfig c = parse_ok("");
    EXPECT_EQ(c.model.name, "TinyLlama/TinyLlama-1.1B-Chat-v1.0");
    EXPECT_EQ(c.model.max_length, 512);
    EXPECT_EQ(c.lora.r, 16);
    EXPECT_DOUBLE_EQ(c.lora.alpha, 32.0);
    EXPECT_DOUBLE_EQ(c.lora.dropout, 0.05);
    EXPECT_EQ(c.lora.target_modules,
              (std::vector<std::string>{"q_proj", "k_proj", "v_proj", "o_proj"}));
    EXPECT_EQ(c.quant.quant_type, "nf4");
    EXPECT_EQ(c.quant.blocksize, 64);
    EXPECT_EQ(c.training.max_steps, -1);
    EXPECT_EQ(c.training.output_dir, "outputs");
    EXPECT_DOUBLE_EQ(c.data.train_ratio, 0.90);
    EXPECT_EQ(c.data.split_seed, 42);
    EXPECT_EQ(c.data.format, "dolly");
    // A comment-only file is an empty document too.
    EXPECT_EQ(parse_ok("# nothing here\n").lora.r, 16);
}

// The exact snippet of the study's appendix A.4.
TEST(Config, StudyAppendixSnippetParses) {
    const char* text = R"(model:
  name: "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
  max_length: 512
lora:
  r: 16
  alpha: 32
  dropout: 0.05
training:
  epochs: 3
  batch_size: 4
  learning_rate: 2e-4
  gradient_accumulation_steps: 4
)";
    tb::AppConfig c = parse_ok(text);
    EXPECT_EQ(c.model.name, "TinyLlama/TinyLlama-1.1B-Chat-v1.0");
    EXPECT_EQ(c.model.max_length, 512);
    EXPECT_EQ(c.lora.r, 16);
    EXPECT_DOUBLE_EQ(c.lora.alpha, 32.0);
    EXPECT_DOUBLE_EQ(c.lora.dropout, 0.05);
    EXPECT_EQ(c.training.epochs, 3);
    EXPECT_EQ(c.training.batch_size, 4);
    EXPECT_DOUBLE_EQ(c.training.learning_rate, 2e-4);
    EXPECT_EQ(c.training.gradient_accumulation_steps, 4);
}

TEST(Config, ProjectConfigYamlIsTheStudyConfig) {
    auto r = tb::load_app_config(configs_dir() + "/config.yaml");
    ASSERT_TRUE(r.ok()) << r.error().message;
    const tb::AppConfig& c = r.value();
    EXPECT_EQ(c.model.name, "TinyLlama/TinyLlama-1.1B-Chat-v1.0");
    EXPECT_EQ(c.model.max_length, 512);
    EXPECT_EQ(c.lora.r, 16);
    EXPECT_DOUBLE_EQ(c.lora.alpha, 32.0);
    EXPECT_DOUBLE_EQ(c.lora.dropout, 0.05);
    EXPECT_EQ(c.lora.target_modules,
              (std::vector<std::string>{"q_proj", "k_proj", "v_proj", "o_proj"}));
    EXPECT_TRUE(c.quant.load_in_4bit);
    EXPECT_EQ(c.quant.quant_type, "nf4");
    EXPECT_EQ(c.training.epochs, 3);
    EXPECT_EQ(c.training.batch_size, 4);
    EXPECT_DOUBLE_EQ(c.training.learning_rate, 2e-4);
    EXPECT_EQ(c.training.gradient_accumulation_steps, 4);
    EXPECT_EQ(c.training.optimizer, "paged_adamw_8bit");
    EXPECT_EQ(c.data.format, "dolly");
    EXPECT_EQ(std::filesystem::path(c.base_dir), std::filesystem::path(configs_dir()));
}

TEST(Config, DemoConfigResolvesWorkspacePaths) {
    auto r = tb::load_app_config(configs_dir() + "/demo.yaml");
    ASSERT_TRUE(r.ok()) << r.error().message;
    const tb::AppConfig& c = r.value();
    EXPECT_FALSE(c.quant.load_in_4bit);
    EXPECT_EQ(c.model.dtype, "float32");
    EXPECT_EQ(c.model.max_length, 256);
    EXPECT_EQ(c.training.batch_size, 8);
    EXPECT_DOUBLE_EQ(c.training.learning_rate, 3e-3);
    EXPECT_EQ(c.lora.r, 16);
    EXPECT_EQ(c.lora.target_modules.size(), 7u);
    EXPECT_EQ(tb::resolve_path(c, c.data.path), configs_dir() + "/data/dolly-demo.jsonl");

    // Copied into a workspace with a model folder: model.name resolves to that folder.
    std::string ws = tbtest::scratch_dir("demo_ws");
    std::filesystem::copy_file(configs_dir() + "/demo.yaml", ws + "/demo.yaml");
    std::filesystem::create_directories(ws + "/model");
    auto w = tb::load_app_config(ws + "/demo.yaml");
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_EQ(tb::resolve_model_path(w.value()), ws + "/model");
    EXPECT_EQ(tb::resolve_path(w.value(), "data/dolly-demo.jsonl"), ws + "/data/dolly-demo.jsonl");
}

TEST(Config, ModelIdStaysAnIdWhenNoSuchFolder) {
    tb::AppConfig c = parse_ok("model:\n  name: TinyLlama/TinyLlama-1.1B-Chat-v1.0\n");
    EXPECT_EQ(tb::resolve_model_path(c), "TinyLlama/TinyLlama-1.1B-Chat-v1.0");
}

TEST(Config, NumbersInEveryYamlSpelling) {
    // 2e-4 is a string to YAML 1.1 readers (no '.'); we follow YAML 1.2 and read a number.
    for (const char* v : {"2e-4", "2E-4", "2e-04", "2.0e-4", "0.0002", ".0002", "+2e-4", "\"2e-4\"",
                          "'2e-4'", "20e-5"}) {
        tb::AppConfig c = parse_ok(std::string("training:\n  learning_rate: ") + v + "\n");
        EXPECT_DOUBLE_EQ(c.training.learning_rate, 2e-4) << v;
    }
    EXPECT_DOUBLE_EQ(parse_ok("lora:\n  alpha: 16\n").lora.alpha, 16.0);
    EXPECT_EQ(parse_ok("training:\n  max_steps: -1\n").training.max_steps, -1);
    EXPECT_EQ(parse_ok("training:\n  max_steps: +20\n").training.max_steps, 20);
}

TEST(Config, UnknownKeyNamesLineAndSuggests) {
    EXPECT_EQ(error_of("model:\n  name: x\ntraining:\n  epochs: 2\n  learning_rat: 1e-4\n"),
              "cfg.yaml:5: training.learning_rat: unknown key (did you mean "
              "training.learning_rate?)");
    // A key under the wrong section points at the right one.
    EXPECT_EQ(error_of("lora:\n  epochs: 3\n"),
              "cfg.yaml:2: lora.epochs: unknown key (did you mean training.epochs?)");
    EXPECT_EQ(error_of("lora:\n  zzzzzz: 3\n"), "cfg.yaml:2: lora.zzzzzz: unknown key");
    EXPECT_EQ(error_of("\n\ntrainig:\n  epochs: 3\n"),
              "cfg.yaml:3: trainig: unknown section (did you mean training?)");
}

TEST(Config, WrongTypeNamesLineKeyAndValue) {
    EXPECT_EQ(error_of("training:\n  learning_rate: abc\n"),
              "cfg.yaml:2: training.learning_rate: expected a number, got 'abc'");
    EXPECT_EQ(error_of("lora:\n  r: 8.5\n"), "cfg.yaml:2: lora.r: expected an integer, got '8.5'");
    EXPECT_EQ(error_of("lora:\n  r: 1e3\n"), "cfg.yaml:2: lora.r: expected an integer, got '1e3'");
    EXPECT_EQ(error_of("data:\n  stratify: maybe\n"),
              "cfg.yaml:2: data.stratify: expected true or false, got 'maybe'");
    EXPECT_EQ(error_of("lora:\n  target_modules: q_proj\n"),
              "cfg.yaml:2: lora.target_modules: expected a list of strings, got 'q_proj'");
    EXPECT_EQ(error_of("model:\n  name: [a, b]\n"),
              "cfg.yaml:2: model.name: expected a string, got a list");
    EXPECT_EQ(error_of("model:\n  name:\n"),
              "cfg.yaml:2: model.name: expected a string, got nothing (null)");
    EXPECT_EQ(error_of("training:\n  epochs:\n    a: 1\n"),
              "cfg.yaml:3: training.epochs: expected an integer, got a mapping");
    EXPECT_EQ(error_of("training: 3\n"),
              "cfg.yaml:1: training: expected a mapping of keys, got '3'");
    EXPECT_EQ(error_of("- model\n- lora\n"),
              "cfg.yaml:1: expected a mapping of sections (model, lora, quant, training, "
              "data, eval, inference), got a list");
    // The offending list item's own line.
    EXPECT_EQ(error_of("lora:\n  target_modules:\n    - q_proj\n    - {a: 1}\n"),
              "cfg.yaml:4: lora.target_modules: expected a list of strings, got a mapping as "
              "an item");
}

TEST(Config, OutOfRangeNamesKeyValueAndRange) {
    EXPECT_EQ(error_of("lora:\n  r: 0\n"),
              "cfg.yaml:2: lora.r: 0 is out of range (allowed: [1, 4096])");
    EXPECT_EQ(error_of("lora:\n  dropout: 1.0\n"),
              "cfg.yaml:2: lora.dropout: 1 is out of range (allowed: [0, 1))");
    EXPECT_EQ(error_of("lora:\n  dropout: -0.1\n"),
              "cfg.yaml:2: lora.dropout: -0.1 is out of range (allowed: [0, 1))");
    EXPECT_EQ(error_of("training:\n  learning_rate: 0\n"),
              "cfg.yaml:2: training.learning_rate: 0 is out of range (allowed: (0, 1])");
    EXPECT_EQ(error_of("training:\n  max_steps: 0\n"),
              "cfg.yaml:2: training.max_steps: 0 is out of range (allowed: -1 (derived from "
              "epochs) or >= 1)");
    EXPECT_EQ(error_of("quant:\n  blocksize: 48\n"),
              "cfg.yaml:2: quant.blocksize: '48' is invalid: must be a power of two");
    EXPECT_EQ(error_of("training:\n  optimizer: adam\n"),
              "cfg.yaml:2: training.optimizer: 'adam' is not one of adamw, adamw_8bit, "
              "paged_adamw_8bit (did you mean adamw?)");
    EXPECT_EQ(error_of("lora:\n  target_modules: [q_proj, qproj]\n"),
              "cfg.yaml:2: lora.target_modules: unknown item 'qproj' (allowed: q_proj, k_proj, "
              "v_proj, o_proj, gate_proj, up_proj, down_proj) (did you mean q_proj?)");
    EXPECT_EQ(error_of("lora:\n  target_modules: [q_proj, q_proj]\n"),
              "cfg.yaml:2: lora.target_modules: item 'q_proj' listed twice");
    EXPECT_EQ(error_of("lora:\n  target_modules: []\n"),
              "cfg.yaml:2: lora.target_modules: must list at least one item");
    EXPECT_EQ(error_of("model:\n  device: gpu\n"),
              "cfg.yaml:2: model.device: 'gpu' is invalid: expected auto, cpu, cuda or cuda:N");
    EXPECT_EQ(parse_ok("model:\n  device: cuda:1\n").model.device, "cuda:1");
    EXPECT_EQ(parse_ok("model:\n  dtype: bf16\n").model.dtype, "bfloat16");
    EXPECT_EQ(parse_ok("training:\n  max_steps: -1\n").training.max_steps, -1);
}

// inference.engine: the engine of evaluate and the compare panel. The spelling is the config's
// check (availability on the machine is the front end's, core/infer/engine_choice.h).
TEST(Config, InferenceQuantKey) {
    EXPECT_EQ(tb::AppConfig{}.inference.quant, "q8_0");
    EXPECT_EQ(parse_ok("inference:\n  engine: quant\n  quant: nf4\n").inference.quant, "nf4");
    EXPECT_EQ(error_of("inference:\n  quant: q4\n"),
              "cfg.yaml:2: inference.quant: 'q4' is not one of q8_0, nf4 (did you mean nf4?)");
    tb::AppConfig c;
    c.inference.quant = "nf4";
    EXPECT_EQ(parse_ok(tb::app_config_to_yaml(c)).inference.quant, "nf4");
}

TEST(Config, InferenceEngineKey) {
    EXPECT_EQ(tb::AppConfig{}.inference.engine, "eager");
    EXPECT_EQ(parse_ok("inference:\n  engine: graph\n").inference.engine, "graph");
    EXPECT_EQ(parse_ok("inference:\n  engine: quant\n").inference.engine, "quant");
    EXPECT_EQ(error_of("eval:\n  limit: 2\ninference:\n  engine: egaer\n"),
              "cfg.yaml:4: inference.engine: 'egaer' is not one of eager, graph, quant, paged "
              "(did you mean eager?)");
    EXPECT_EQ(error_of("inference:\n  engine: [eager]\n"),
              "cfg.yaml:2: inference.engine: expected a string, got a list");
    EXPECT_EQ(error_of("inference:\n  engin: eager\n"),
              "cfg.yaml:2: inference.engin: unknown key (did you mean inference.engine?)");
    // Written by app_config_to_yaml under its own section, and read back.
    tb::AppConfig c;
    c.inference.engine = "graph";
    const std::string yaml = tb::app_config_to_yaml(c);
    EXPECT_NE(yaml.find("inference:\n  engine: graph\n"), std::string::npos) << yaml;
    EXPECT_EQ(parse_ok(yaml).inference.engine, "graph");
    // Set in code (the GUI form): validate_app_config names the key.
    c.inference.engine = "bogus";
    auto st = tb::validate_app_config(c);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("inference.engine"), std::string::npos) << st.error().message;
}

TEST(Config, SplitRatiosMustSumToOne) {
    EXPECT_EQ(error_of("data:\n  path: x.jsonl\n  train_ratio: 0.8\n"),
              "cfg.yaml:3: data.train_ratio + data.val_ratio + data.test_ratio: ratios sum to "
              "0.9, they must sum to 1");
    tb::AppConfig c = parse_ok("data:\n  train_ratio: 0.8\n  val_ratio: 0.1\n  test_ratio: 0.1\n");
    EXPECT_DOUBLE_EQ(c.data.train_ratio, 0.8);
}

TEST(Config, BadYamlSyntaxNamesLine) {
    // yaml-cpp notices the unclosed flow list on the line after it.
    EXPECT_EQ(error_of("model:\n  name: x\nlora:\n  r: [16, 32\n  alpha: 32\n"),
              "cfg.yaml:5: invalid YAML: end of sequence flow not found");
    EXPECT_EQ(error_of("model:\n  name: x\n   max_length: 5\n"),
              "cfg.yaml:3: invalid YAML: illegal map value");
    EXPECT_EQ(error_of("lora:\n  r: 8\ntraining:\n\t- epochs: 3\n"),
              "cfg.yaml:4: invalid YAML: illegal block entry");
    EXPECT_EQ(error_of("data: {path: x.jsonl\n"),
              "cfg.yaml:2: invalid YAML: end of map flow not found");
    EXPECT_EQ(error_of("a: " + std::string(100000, '[')),
              "cfg.yaml:1: invalid YAML: nesting too deep");
}

TEST(Config, DuplicateKeysAreErrors) {
    EXPECT_EQ(error_of("lora:\n  r: 8\n  r: 16\n"), "cfg.yaml:3: lora.r: key appears twice");
    EXPECT_EQ(error_of("lora:\n  r: 8\nlora:\n  alpha: 16\n"),
              "cfg.yaml:3: lora: section appears twice");
}

TEST(Config, MissingFileNamesPath) {
    auto r = tb::load_app_config("/nonexistent/dir/cfg.yaml");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/nonexistent/dir/cfg.yaml"), std::string::npos);
}

TEST(Config, RoundTripKeepsEveryField) {
    tb::AppConfig c;
    c.model.name = "my models/llama: \"v2\" #1";  // needs quoting and escapes
    c.model.max_length = 1024;
    c.model.device = "cuda:0";
    c.lora.r = 64;
    c.lora.alpha = 12.5;
    c.lora.dropout = 0.1;
    c.lora.target_modules = {"q_proj", "down_proj"};
    c.lora.use_dora = true;
    c.lora.init = "gaussian";
    c.quant.load_in_4bit = true;
    c.quant.blocksize = 128;
    c.training.learning_rate = 3.14159e-5;
    c.training.optimizer = "adamw_8bit";
    c.training.warmup_ratio = 0.03;
    c.training.max_steps = 100;
    c.training.output_dir = "yes";  // would read back as a boolean if not quoted
    c.data.path = "";
    c.data.context_column = "123";
    c.data.train_ratio = 0.8;
    c.data.val_ratio = 0.1;
    c.data.test_ratio = 0.1;
    c.data.stratify = true;
    c.eval.metrics = {};
    c.eval.bertscore_model = "line\nbreak\ttab";
    c.inference.engine = "quant";

    const std::string yaml = tb::app_config_to_yaml(c);
    auto back = tb::parse_app_config(yaml, "roundtrip.yaml");
    ASSERT_TRUE(back.ok()) << back.error().message << "\n" << yaml;
    for (const auto& f : tb::config_schema()) {
        auto a = tb::config_field_value(c, f.key);
        auto b = tb::config_field_value(back.value(), f.key);
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(a.value(), b.value()) << f.key;
    }
    EXPECT_EQ(back->model.name, c.model.name);
    EXPECT_EQ(back->eval.bertscore_model, c.eval.bertscore_model);
    EXPECT_EQ(back->training.output_dir, "yes");
    EXPECT_EQ(back->data.context_column, "123");
    EXPECT_EQ(back->inference.engine, "quant");
    EXPECT_EQ(back->training.learning_rate, c.training.learning_rate);  // bit-exact
    EXPECT_EQ(tb::app_config_to_yaml(back.value()), yaml);
}

TEST(Config, WrittenNumbersReadAsFloatsInYaml11Too) {
    std::string yaml = tb::app_config_to_yaml(tb::AppConfig{});
    EXPECT_NE(yaml.find("  learning_rate: 2.0e-04\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("  alpha: 32.0\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("  r: 16\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("  target_modules: [q_proj, k_proj, v_proj, o_proj]\n"), std::string::npos);
    EXPECT_NE(yaml.find("  path: \"\"\n"), std::string::npos);
}

TEST(Config, SchemaListsEveryFieldWithDefaultsAndRanges) {
    auto schema = tb::config_schema();
    ASSERT_GE(schema.size(), 50u);
    std::map<std::string, tb::ConfigFieldInfo> by_key;
    for (const auto& f : schema) {
        EXPECT_FALSE(f.description.empty()) << f.key;
        EXPECT_EQ(f.key, f.section + "." + f.name);
        EXPECT_TRUE(by_key.emplace(f.key, f).second) << "duplicate " << f.key;
        // Each default is accepted by the loader as the value of its key.
        tb::AppConfig c;
        EXPECT_TRUE(tb::set_config_field(c, f.key, f.default_value).ok()) << f.key;
        EXPECT_EQ(tb::config_field_value(tb::AppConfig{}, f.key).value(), f.default_value);
    }
    for (const char* k :
         {"model.name", "model.max_length", "lora.r", "lora.alpha", "lora.dropout",
          "training.epochs", "training.batch_size", "training.learning_rate",
          "training.gradient_accumulation_steps", "data.split_seed", "eval.bertscore_model"})
        EXPECT_TRUE(by_key.count(k)) << k;
    const auto& lr = by_key["training.learning_rate"];
    EXPECT_EQ(lr.type, tb::ConfigFieldType::Number);
    EXPECT_STREQ(tb::config_field_type_name(lr.type), "number");
    EXPECT_EQ(lr.default_value, "2.0e-04");
    ASSERT_TRUE(lr.min.has_value());
    EXPECT_EQ(*lr.min, 0.0);
    EXPECT_TRUE(lr.min_exclusive);
    EXPECT_EQ(lr.range, "(0, 1]");
    const auto& opt = by_key["training.optimizer"];
    EXPECT_EQ(opt.type, tb::ConfigFieldType::Choice);
    EXPECT_EQ(opt.choices, (std::vector<std::string>{"adamw", "adamw_8bit", "paged_adamw_8bit"}));
    const auto& ms = by_key["training.max_steps"];
    EXPECT_EQ(ms.sentinel, -1);
    EXPECT_EQ(ms.default_value, "-1");
    EXPECT_EQ(by_key["lora.dropout"].range, "[0, 1)");
    EXPECT_EQ(by_key["lora.target_modules"].type, tb::ConfigFieldType::StringList);
    EXPECT_EQ(by_key["data.format"].choices,
              (std::vector<std::string>{"dolly", "alpaca", "chat", "sharegpt", "csv"}));
}

TEST(Config, SetFieldValidatesAndLeavesConfigOnError) {
    tb::AppConfig c;
    ASSERT_TRUE(tb::set_config_field(c, "training.learning_rate", "5e-5").ok());
    EXPECT_DOUBLE_EQ(c.training.learning_rate, 5e-5);
    ASSERT_TRUE(tb::set_config_field(c, "lora.target_modules", "[q_proj, v_proj]").ok());
    EXPECT_EQ(c.lora.target_modules, (std::vector<std::string>{"q_proj", "v_proj"}));
    tb::Status s = tb::set_config_field(c, "lora.r", "-3");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "lora.r: -3 is out of range (allowed: [1, 4096])");
    EXPECT_EQ(c.lora.r, 16);
    s = tb::set_config_field(c, "lora.rank", "8");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "lora.rank: unknown key");
}

TEST(Config, ValidateCatchesValuesSetInCode) {
    tb::AppConfig c;
    EXPECT_TRUE(tb::validate_app_config(c).ok());
    c.training.batch_size = 0;
    tb::Status s = tb::validate_app_config(c);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "training.batch_size: 0 is out of range (allowed: >= 1)");
    c = tb::AppConfig{};
    c.data.test_ratio = 0.5;
    s = tb::validate_app_config(c);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message,
              "data.train_ratio + data.val_ratio + data.test_ratio: ratios sum to 1.45, they "
              "must sum to 1");
}

TEST(Config, ResolvePath) {
    EXPECT_EQ(tb::resolve_path("/a/b", "c/d.jsonl"), "/a/b/c/d.jsonl");
    EXPECT_EQ(tb::resolve_path("/a/b", "../c.jsonl"), "/a/c.jsonl");
    EXPECT_EQ(tb::resolve_path("/a/b", "/abs/x"), "/abs/x");
    EXPECT_EQ(tb::resolve_path("/a/b", ""), "");
    EXPECT_EQ(tb::resolve_path("", "rel/x"), "rel/x");
    tb::AppConfig c = tb::parse_app_config("", "/w/space/run.yaml").value();
    EXPECT_EQ(c.base_dir, "/w/space");
    EXPECT_EQ(tb::resolve_path(c, "data/x.csv"), "/w/space/data/x.csv");
}

}  // namespace

// training.nproc_per_node: data-parallel ranks on this machine (issue 15).
TEST(Config, NprocPerNode) {
    EXPECT_EQ(tb::AppConfig{}.training.nproc_per_node, 1);
    EXPECT_EQ(parse_ok("training:\n  nproc_per_node: 8\n").training.nproc_per_node, 8);
    EXPECT_EQ(error_of("training:\n  nproc_per_node: 0\n"),
              "cfg.yaml:2: training.nproc_per_node: 0 is out of range (allowed: [1, 1024])");
    EXPECT_EQ(error_of("training:\n  epochs: 1\n  nproc_per_node: two\n"),
              "cfg.yaml:3: training.nproc_per_node: expected an integer, got 'two'");
    tb::AppConfig c;
    c.training.nproc_per_node = 4;
    EXPECT_EQ(parse_ok(tb::app_config_to_yaml(c)).training.nproc_per_node, 4);
}
