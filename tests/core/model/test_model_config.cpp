// config.json / generation_config.json parsing: old and new transformers spellings, defaults,
// round trips through the writer, and one clear error per kind of bad value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/model/model_config.h"
#include "tests/core/model/mio_test_util.h"
#include "tests/core/model/tiny_llama_folder.h"

namespace {

using miotest::contains;
using nlohmann::json;

const char* kPath = "m/config.json";

// TinyLlama-1.1B-Chat-v1.0's config.json (transformers 4.35 spelling).
const char* kTinyLlama = R"({
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 5632,
  "max_position_embeddings": 2048,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 22,
  "num_key_value_heads": 4,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "rope_theta": 10000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.35.0",
  "use_cache": true,
  "vocab_size": 32000
})";

// The same model re-saved by transformers 5 (rope_parameters, dtype, explicit head_dim).
const char* kTinyLlamaV5 = R"({
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 1,
  "dtype": "bfloat16",
  "eos_token_id": 2,
  "head_dim": 64,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 5632,
  "max_position_embeddings": 2048,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 22,
  "num_key_value_heads": 4,
  "pad_token_id": null,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"},
  "tie_word_embeddings": false,
  "transformers_version": "5.0.0",
  "use_cache": true,
  "vocab_size": 32000
})";

// Llama-3.2-1B style: llama3 RoPE, tied head, eos list.
const char* kLlama32 = R"({
  "model_type": "llama", "vocab_size": 128256, "hidden_size": 2048, "intermediate_size": 8192,
  "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
  "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "tie_word_embeddings": true, "torch_dtype": "bfloat16", "bos_token_id": 128000,
  "eos_token_id": [128001, 128008, 128009]
})";

tb::LlamaConfig parse_ok(const std::string& text) {
    auto r = tb::parse_llama_config(text, kPath);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r.value() : tb::LlamaConfig{};
}

void expect_same(const tb::LlamaConfig& a, const tb::LlamaConfig& b) {
    EXPECT_EQ(a.vocab_size, b.vocab_size);
    EXPECT_EQ(a.hidden_size, b.hidden_size);
    EXPECT_EQ(a.intermediate_size, b.intermediate_size);
    EXPECT_EQ(a.num_hidden_layers, b.num_hidden_layers);
    EXPECT_EQ(a.num_attention_heads, b.num_attention_heads);
    EXPECT_EQ(a.num_key_value_heads, b.num_key_value_heads);
    EXPECT_EQ(a.head_dim, b.head_dim);
    EXPECT_EQ(a.rms_norm_eps, b.rms_norm_eps);
    EXPECT_EQ(a.rope_theta, b.rope_theta);
    EXPECT_EQ(a.rope_scaling.type, b.rope_scaling.type);
    if (a.rope_scaling.type == "llama3") {
        EXPECT_EQ(a.rope_scaling.factor, b.rope_scaling.factor);
        EXPECT_EQ(a.rope_scaling.low_freq_factor, b.rope_scaling.low_freq_factor);
        EXPECT_EQ(a.rope_scaling.high_freq_factor, b.rope_scaling.high_freq_factor);
        EXPECT_EQ(a.rope_scaling.original_max_position_embeddings,
                  b.rope_scaling.original_max_position_embeddings);
    }
    EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
    EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
    EXPECT_EQ(a.attention_bias, b.attention_bias);
    EXPECT_EQ(a.mlp_bias, b.mlp_bias);
    EXPECT_EQ(a.hidden_act, b.hidden_act);
    EXPECT_EQ(a.bos_token_id, b.bos_token_id);
    EXPECT_EQ(a.eos_token_ids, b.eos_token_ids);
    EXPECT_EQ(a.pad_token_id, b.pad_token_id);
    EXPECT_EQ(a.dtype, b.dtype);
    EXPECT_EQ(a.model_type, b.model_type);
}

TEST(LlamaConfig, ParsesTinyLlamaOldSpelling) {
    tb::LlamaConfig c = parse_ok(kTinyLlama);
    EXPECT_EQ(c.vocab_size, 32000);
    EXPECT_EQ(c.hidden_size, 2048);
    EXPECT_EQ(c.intermediate_size, 5632);
    EXPECT_EQ(c.num_hidden_layers, 22);
    EXPECT_EQ(c.num_attention_heads, 32);
    EXPECT_EQ(c.num_key_value_heads, 4);
    EXPECT_EQ(c.head_dim, 64);
    EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
    EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
    EXPECT_EQ(c.rope_scaling.type, "default");
    EXPECT_EQ(c.max_position_embeddings, 2048);
    EXPECT_FALSE(c.tie_word_embeddings);
    EXPECT_EQ(c.bos_token_id, 1);
    EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{2});
    EXPECT_FALSE(c.pad_token_id.has_value());
    EXPECT_EQ(c.dtype, "bfloat16");
}

TEST(LlamaConfig, NewAndOldSpellingsAgree) {
    expect_same(parse_ok(kTinyLlama), parse_ok(kTinyLlamaV5));
}

TEST(LlamaConfig, Llama3RopeFromEitherSpelling) {
    tb::LlamaConfig a = parse_ok(kLlama32);
    EXPECT_EQ(a.rope_scaling.type, "llama3");
    EXPECT_DOUBLE_EQ(a.rope_scaling.factor, 32.0);
    EXPECT_DOUBLE_EQ(a.rope_scaling.low_freq_factor, 1.0);
    EXPECT_DOUBLE_EQ(a.rope_scaling.high_freq_factor, 4.0);
    EXPECT_EQ(a.rope_scaling.original_max_position_embeddings, 8192);
    EXPECT_DOUBLE_EQ(a.rope_theta, 500000.0);
    EXPECT_TRUE(a.tie_word_embeddings);
    EXPECT_EQ(a.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));

    // transformers 5 moves rope_theta into rope_parameters and drops rope_scaling.
    json j = json::parse(kLlama32);
    j["rope_parameters"] = j["rope_scaling"];
    j["rope_parameters"]["rope_theta"] = 500000.0;
    j.erase("rope_scaling");
    j.erase("rope_theta");
    j["dtype"] = j["torch_dtype"];
    j.erase("torch_dtype");
    expect_same(a, parse_ok(j.dump()));

    // Legacy "type" key instead of "rope_type".
    json k = json::parse(kLlama32);
    k["rope_scaling"].erase("rope_type");
    k["rope_scaling"]["type"] = "llama3";
    expect_same(a, parse_ok(k.dump()));

    // original_max_position_embeddings falls back to max_position_embeddings (transformers 5).
    json m = json::parse(kLlama32);
    m["rope_scaling"].erase("original_max_position_embeddings");
    EXPECT_EQ(parse_ok(m.dump()).rope_scaling.original_max_position_embeddings, 131072);
}

TEST(LlamaConfig, RopeThetaPrecedence) {
    json j = json::parse(kTinyLlamaV5);
    j["rope_theta"] = 1.0;  // a stale top-level value loses to rope_parameters
    j["rope_parameters"]["rope_theta"] = 250000.0;
    EXPECT_DOUBLE_EQ(parse_ok(j.dump()).rope_theta, 250000.0);
    j["rope_parameters"].erase("rope_theta");
    EXPECT_DOUBLE_EQ(parse_ok(j.dump()).rope_theta, 1.0);
    j.erase("rope_theta");
    j.erase("rope_parameters");
    EXPECT_DOUBLE_EQ(parse_ok(j.dump()).rope_theta, 10000.0);
    // transformers 5: a non-empty rope_scaling wins over rope_parameters.
    j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 5.0}};
    j["rope_scaling"] = {{"rope_type", "default"}, {"rope_theta", 7.0}};
    EXPECT_DOUBLE_EQ(parse_ok(j.dump()).rope_theta, 7.0);
    j["rope_scaling"] = json::object();
    EXPECT_DOUBLE_EQ(parse_ok(j.dump()).rope_theta, 5.0);
}

TEST(LlamaConfig, DefaultsAndOptionalForms) {
    json j = {{"model_type", "llama"},   {"vocab_size", 100},      {"hidden_size", 48},
              {"intermediate_size", 96}, {"num_hidden_layers", 2}, {"num_attention_heads", 6}};
    tb::LlamaConfig c = parse_ok(j.dump());
    EXPECT_EQ(c.num_key_value_heads, 6);
    EXPECT_EQ(c.head_dim, 8);
    EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
    EXPECT_EQ(c.max_position_embeddings, 2048);
    EXPECT_EQ(c.bos_token_id, 1);  // LlamaConfig defaults
    EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{2});
    EXPECT_EQ(c.dtype, "float32");
    EXPECT_EQ(c.hidden_act, "silu");

    j["bos_token_id"] = nullptr;
    j["eos_token_id"] = nullptr;
    j["pad_token_id"] = -1;  // old Llama exports
    j["head_dim"] = nullptr;
    j["num_key_value_heads"] = nullptr;
    j["torch_dtype"] = "float16";
    c = parse_ok(j.dump());
    EXPECT_FALSE(c.bos_token_id.has_value());
    EXPECT_TRUE(c.eos_token_ids.empty());
    EXPECT_FALSE(c.pad_token_id.has_value());
    EXPECT_EQ(c.head_dim, 8);
    EXPECT_EQ(c.dtype, "float16");

    // head_dim != hidden/heads, even when hidden is not a multiple of heads.
    j["hidden_size"] = 50;
    j["head_dim"] = 16;
    j["pad_token_id"] = 0;
    j["dtype"] = "bfloat16";  // wins over torch_dtype
    c = parse_ok(j.dump());
    EXPECT_EQ(c.head_dim, 16);
    EXPECT_EQ(c.pad_token_id, 0);
    EXPECT_EQ(c.dtype, "bfloat16");
}

TEST(LlamaConfig, MistralOnlyWithoutSlidingWindow) {
    json j = json::parse(kTinyLlama);
    j["model_type"] = "mistral";
    j["sliding_window"] = nullptr;
    j["attention_bias"] = true;  // MistralForCausalLM ignores it
    tb::LlamaConfig c = parse_ok(j.dump());
    EXPECT_EQ(c.model_type, "mistral");
    EXPECT_FALSE(c.attention_bias);
    j.erase("sliding_window");
    j.erase("max_position_embeddings");
    EXPECT_EQ(parse_ok(j.dump()).max_position_embeddings, 131072);
    j["sliding_window"] = 4096;
    auto r = tb::parse_llama_config(j.dump(), kPath);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.error().message, "m/config.json: sliding_window:")) << r.error().message;
}

struct BadConfig {
    const char* label;
    std::function<void(json&)> mutate;
    std::string expected;  // substring after "m/config.json: "
};

TEST(LlamaConfig, BadValuesNameTheKey) {
    const std::vector<BadConfig> cases = {
        {"string size", [](json& j) { j["hidden_size"] = "2048"; },
         "hidden_size: expected an integer"},
        {"float size", [](json& j) { j["hidden_size"] = 2048.0; },
         "hidden_size: expected an integer"},
        {"zero size", [](json& j) { j["intermediate_size"] = 0; },
         "intermediate_size: must be positive"},
        {"negative layers", [](json& j) { j["num_hidden_layers"] = -2; },
         "num_hidden_layers: must be positive"},
        {"null vocab", [](json& j) { j["vocab_size"] = nullptr; }, "vocab_size: must not be null"},
        {"missing vocab", [](json& j) { j.erase("vocab_size"); }, "vocab_size: missing"},
        {"missing heads", [](json& j) { j.erase("num_attention_heads"); },
         "num_attention_heads: missing"},
        {"missing model_type", [](json& j) { j.erase("model_type"); }, "model_type: missing"},
        {"huge int", [](json& j) { j["vocab_size"] = 18446744073709551615ull; },
         "vocab_size: integer out of range"},
        {"exp float int", [](json& j) { j["vocab_size"] = 1e30; },
         "vocab_size: expected an integer"},
        {"kv not dividing", [](json& j) { j["num_key_value_heads"] = 3; },
         "num_key_value_heads: 3 does not divide num_attention_heads 32"},
        {"heads not dividing hidden",
         [](json& j) {
             j["num_attention_heads"] = 30;
             j["num_key_value_heads"] = 5;
         },
         "num_attention_heads: 30 does not divide hidden_size 2048"},
        {"odd head_dim", [](json& j) { j["head_dim"] = 63; }, "head_dim: 63 must be even"},
        {"zero kv heads", [](json& j) { j["num_key_value_heads"] = 0; },
         "num_key_value_heads: must be positive"},
        {"bool as int", [](json& j) { j["num_hidden_layers"] = true; },
         "num_hidden_layers: expected an integer"},
        {"tie not bool", [](json& j) { j["tie_word_embeddings"] = "yes"; },
         "tie_word_embeddings: expected true or false"},
        {"bias not bool", [](json& j) { j["attention_bias"] = 1; },
         "attention_bias: expected true or false"},
        {"eps negative", [](json& j) { j["rms_norm_eps"] = -1e-5; },
         "rms_norm_eps: must be positive"},
        {"eps string", [](json& j) { j["rms_norm_eps"] = "1e-5"; },
         "rms_norm_eps: expected a number"},
        {"theta zero", [](json& j) { j["rope_theta"] = 0; }, "rope_theta: must be positive"},
        {"theta string", [](json& j) { j["rope_theta"] = "10000"; },
         "rope_theta: expected a number"},
        {"gelu", [](json& j) { j["hidden_act"] = "gelu"; }, "hidden_act: unsupported 'gelu'"},
        {"gpt2", [](json& j) { j["model_type"] = "gpt2"; }, "model_type: unsupported 'gpt2'"},
        {"model_type number", [](json& j) { j["model_type"] = 3; },
         "model_type: expected a string"},
        {"float64 dtype", [](json& j) { j["torch_dtype"] = "float64"; },
         "torch_dtype: unsupported 'float64'"},
        {"dtype number", [](json& j) { j["dtype"] = 5; }, "dtype: expected a string"},
        {"bos negative", [](json& j) { j["bos_token_id"] = -1; }, "bos_token_id: must be >= 0"},
        {"bos string", [](json& j) { j["bos_token_id"] = "1"; },
         "bos_token_id: expected an integer"},
        {"eos list bad",
         [](json& j) {
             j["eos_token_id"] = json::array({2, "x"});
         },
         "eos_token_id: element 1: expected a non-negative integer"},
        {"eos object", [](json& j) { j["eos_token_id"] = json::object(); },
         "eos_token_id: expected an integer or a list"},
        {"pad float", [](json& j) { j["pad_token_id"] = 0.5; },
         "pad_token_id: expected an integer"},
        {"linear rope",
         [](json& j) {
             j["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
         },
         "rope_scaling.type: unsupported RoPE type 'linear'"},
        {"yarn rope v5",
         [](json& j) {
             j["rope_parameters"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
         },
         "rope_parameters.rope_type: unsupported RoPE type 'yarn'"},
        {"rope type number",
         [](json& j) {
             j["rope_parameters"] = {{"rope_type", 3}};
         },
         "rope_parameters.rope_type: expected a string"},
        {"rope scaling string", [](json& j) { j["rope_scaling"] = "llama3"; },
         "rope_scaling: expected an object or null"},
        {"llama3 no factor",
         [](json& j) {
             j["rope_scaling"] = {
                 {"rope_type", "llama3"}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0}};
         },
         "rope_scaling.factor: missing"},
        {"llama3 low >= high",
         [](json& j) {
             j["rope_scaling"] = {{"rope_type", "llama3"},
                                  {"factor", 8.0},
                                  {"low_freq_factor", 4.0},
                                  {"high_freq_factor", 4.0}};
         },
         "rope_scaling.high_freq_factor: must be greater than low_freq_factor"},
        {"llama3 bad orig",
         [](json& j) {
             j["rope_scaling"] = {{"rope_type", "llama3"},
                                  {"factor", 8.0},
                                  {"low_freq_factor", 1.0},
                                  {"high_freq_factor", 4.0},
                                  {"original_max_position_embeddings", "8k"}};
         },
         "rope_scaling.original_max_position_embeddings: expected an integer"},
        {"rope dict theta string",
         [](json& j) {
             j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", "x"}};
         },
         "rope_parameters.rope_theta: expected a number"},
        {"per-layer rope",
         [](json& j) {
             j["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}}}};
         },
         "rope_parameters.full_attention: per-layer-type RoPE parameters are not supported"},
        {"partial rotary", [](json& j) { j["partial_rotary_factor"] = 0.5; },
         "partial_rotary_factor: only 1.0 is supported"},
    };
    for (const auto& c : cases) {
        json j = json::parse(kTinyLlama);
        c.mutate(j);
        auto r = tb::parse_llama_config(j.dump(), kPath);
        ASSERT_FALSE(r.ok()) << c.label << " parsed";
        EXPECT_EQ(r.error().message.rfind(std::string(kPath) + ": " + c.expected, 0), 0u)
            << c.label << ": " << r.error().message;
    }
}

TEST(LlamaConfig, BadJsonIsAnErrorNotACrash) {
    for (const char* text : {"", "{", "{\"vocab_size\": }", "[1,2,3]", "null", "\"str\"",
                             "{\"model_type\": \"llama\",}", "{\"a\":1} trailing"}) {
        auto r = tb::parse_llama_config(text, kPath);
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_EQ(r.error().message.rfind("m/config.json: ", 0), 0u) << r.error().message;
        EXPECT_TRUE(contains(r.error().message, "JSON")) << r.error().message;
    }
    auto missing = tb::load_llama_config("/nonexistent/dir/config.json");
    ASSERT_FALSE(missing.ok());
    EXPECT_TRUE(contains(missing.error().message, "/nonexistent/dir/config.json"));
}

TEST(LlamaConfig, WriterRoundTrips) {
    for (uint64_t seed = 0; seed < 60; ++seed) {
        tb::LlamaConfig c = tbtest::random_tiny_llama_config(seed);
        if (seed % 5 == 1) c.pad_token_id = 0;
        if (seed % 5 == 2) c.eos_token_ids = {2, 7};
        if (seed % 5 == 3) {
            c.eos_token_ids.clear();
            c.bos_token_id.reset();
        }
        if (seed % 7 == 4) c.dtype = "bfloat16";
        if (seed % 11 == 5) {
            c.model_type = "mistral";
            c.attention_bias = c.mlp_bias = false;
        }
        const std::string text = tb::llama_config_to_json(c);
        SCOPED_TRACE(text);
        expect_same(c, parse_ok(text));
    }
    tb::LlamaConfig c = tbtest::random_tiny_llama_config(3);
    json j = json::parse(tb::llama_config_to_json(c));
    // Both spellings, for transformers 4 and 5 readers.
    for (const char* k :
         {"rope_parameters", "rope_scaling", "rope_theta", "dtype", "torch_dtype", "head_dim",
          "num_key_value_heads", "tie_word_embeddings", "architectures"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j["rope_parameters"]["rope_type"], c.rope_scaling.type);
}

// ---- generation_config.json -----------------------------------------------------------

TEST(GenerationConfig, ParsesTypicalFiles) {
    auto g = tb::parse_generation_defaults(
        R"({"bos_token_id": 1, "eos_token_id": 2, "max_length": 2048, "pad_token_id": 0,
            "transformers_version": "4.35.0", "_from_model_config": true})",
        "m/generation_config.json");
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(g->bos_token_id, 1);
    EXPECT_EQ(g->eos_token_ids, std::vector<int64_t>{2});
    EXPECT_EQ(g->max_length, 2048);
    EXPECT_EQ(g->pad_token_id, 0);
    EXPECT_FALSE(g->do_sample.has_value());

    g = tb::parse_generation_defaults(
        R"({"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128009],
            "temperature": 0.6, "top_p": 0.9, "top_k": 50, "repetition_penalty": 1.1,
            "max_new_tokens": 256})",
        "g.json");
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(g->eos_token_ids, (std::vector<int64_t>{128001, 128009}));
    EXPECT_EQ(g->do_sample, true);
    EXPECT_DOUBLE_EQ(*g->temperature, 0.6);
    EXPECT_DOUBLE_EQ(*g->top_p, 0.9);
    EXPECT_EQ(g->top_k, 50);
    EXPECT_DOUBLE_EQ(*g->repetition_penalty, 1.1);
    EXPECT_EQ(g->max_new_tokens, 256);

    auto back = tb::parse_generation_defaults(tb::generation_defaults_to_json(*g), "g2.json");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->eos_token_ids, g->eos_token_ids);
    EXPECT_EQ(back->top_k, g->top_k);
    EXPECT_EQ(back->temperature, g->temperature);
    EXPECT_EQ(back->do_sample, g->do_sample);
}

TEST(GenerationConfig, MissingFileIsDefaultsBadFileIsError) {
    const std::string dir = miotest::scratch("genconf");
    auto g = tb::load_generation_defaults(dir + "/generation_config.json");
    ASSERT_TRUE(g.ok());
    EXPECT_FALSE(g->bos_token_id.has_value());
    EXPECT_TRUE(g->eos_token_ids.empty());

    const std::vector<std::pair<std::string, std::string>> bad = {
        {R"({"top_p": 1.5})", "top_p: must be in [0, 1]"},
        {R"({"temperature": "hot"})", "temperature: expected a number"},
        {R"({"temperature": -1})", "temperature: must be >= 0"},
        {R"({"top_k": -1})", "top_k: must be >= 0"},
        {R"({"do_sample": "yes"})", "do_sample: expected true or false"},
        {R"({"repetition_penalty": 0})", "repetition_penalty: must be positive"},
        {R"({"max_new_tokens": 0})", "max_new_tokens: must be positive"},
        {R"({"eos_token_id": "2"})", "eos_token_id: expected an integer or a list"},
        {R"({"top_k": 5,)", "invalid JSON"},
    };
    for (const auto& [text, needle] : bad) {
        const std::string path = dir + "/generation_config.json";
        miotest::write_bytes(path, text);
        auto r = tb::load_generation_defaults(path);
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_EQ(r.error().message.rfind(path + ": " + needle, 0), 0u) << r.error().message;
    }
}

}  // namespace
