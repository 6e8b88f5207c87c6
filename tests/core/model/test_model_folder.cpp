// Model folders written by the tests themselves (single file and sharded) must open; every
// kind of inconsistency between index, shards, config and tensors must be a clear error.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/model/model_folder.h"
#include "tests/core/model/mio_test_util.h"
#include "tests/core/model/tiny_llama_folder.h"

namespace {

using miotest::contains;
using miotest::scratch;
using nlohmann::json;
using tbtest::TinyLlamaOptions;

std::string folder_error(const std::string& dir) {
    auto r = tb::open_model_folder(dir);
    return r.ok() ? "" : r.error().message;
}

// A fixed small GQA config: 2 layers, 4 heads / 2 KV heads, head_dim 8, untied.
tb::LlamaConfig small_config() {
    tb::LlamaConfig c;
    c.vocab_size = 50;
    c.hidden_size = 32;
    c.intermediate_size = 40;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 8;
    c.rope_theta = 20000.0;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

std::string write_folder(const std::string& name, const tb::LlamaConfig& cfg,
                         TinyLlamaOptions opt = {}) {
    const std::string dir = scratch(name);
    auto st = tbtest::write_tiny_llama_folder(dir, cfg, opt);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return dir;
}

TEST(ExpectedTensors, CountsAndShapes) {
    tb::LlamaConfig c = small_config();
    auto t = tb::expected_llama_tensors(c);
    EXPECT_EQ(t.size(), 2u + 2 * 9 + 1);
    EXPECT_EQ(t.at("model.embed_tokens.weight"), (std::vector<int64_t>{50, 32}));
    EXPECT_EQ(t.at("model.layers.1.self_attn.q_proj.weight"), (std::vector<int64_t>{32, 32}));
    EXPECT_EQ(t.at("model.layers.1.self_attn.k_proj.weight"), (std::vector<int64_t>{16, 32}));
    EXPECT_EQ(t.at("model.layers.1.self_attn.v_proj.weight"), (std::vector<int64_t>{16, 32}));
    EXPECT_EQ(t.at("model.layers.0.self_attn.o_proj.weight"), (std::vector<int64_t>{32, 32}));
    EXPECT_EQ(t.at("model.layers.0.mlp.gate_proj.weight"), (std::vector<int64_t>{40, 32}));
    EXPECT_EQ(t.at("model.layers.0.mlp.up_proj.weight"), (std::vector<int64_t>{40, 32}));
    EXPECT_EQ(t.at("model.layers.0.mlp.down_proj.weight"), (std::vector<int64_t>{32, 40}));
    EXPECT_EQ(t.at("model.layers.0.input_layernorm.weight"), (std::vector<int64_t>{32}));
    EXPECT_EQ(t.at("model.layers.0.post_attention_layernorm.weight"), (std::vector<int64_t>{32}));
    EXPECT_EQ(t.at("model.norm.weight"), (std::vector<int64_t>{32}));
    EXPECT_EQ(t.at("lm_head.weight"), (std::vector<int64_t>{50, 32}));

    c.head_dim = 12;  // head_dim != hidden / heads
    c.tie_word_embeddings = true;
    c.attention_bias = true;
    c.mlp_bias = true;
    t = tb::expected_llama_tensors(c);
    EXPECT_EQ(t.size(), 2u + 2 * (9 + 7));
    EXPECT_EQ(t.count("lm_head.weight"), 0u);
    EXPECT_EQ(t.at("model.layers.0.self_attn.q_proj.weight"), (std::vector<int64_t>{48, 32}));
    EXPECT_EQ(t.at("model.layers.0.self_attn.o_proj.weight"), (std::vector<int64_t>{32, 48}));
    EXPECT_EQ(t.at("model.layers.0.self_attn.q_proj.bias"), (std::vector<int64_t>{48}));
    EXPECT_EQ(t.at("model.layers.0.self_attn.k_proj.bias"), (std::vector<int64_t>{24}));
    EXPECT_EQ(t.at("model.layers.0.self_attn.o_proj.bias"), (std::vector<int64_t>{32}));
    EXPECT_EQ(t.at("model.layers.0.mlp.up_proj.bias"), (std::vector<int64_t>{40}));
    EXPECT_EQ(t.at("model.layers.0.mlp.down_proj.bias"), (std::vector<int64_t>{32}));
}

TEST(ModelFolder, RandomSmallConfigsOpenSingleAndSharded) {
    for (uint64_t seed = 0; seed < 12; ++seed) {
        const tb::LlamaConfig cfg = tbtest::random_tiny_llama_config(seed);
        TinyLlamaOptions opt;
        opt.seed = seed;
        opt.dtype = seed % 3 == 0   ? tb::StDType::F32
                    : seed % 3 == 1 ? tb::StDType::BF16
                                    : tb::StDType::F16;
        const std::string single = write_folder("folder_single", cfg, opt);
        opt.shards = 1 + static_cast<int>(seed % 4);
        const std::string sharded = write_folder("folder_sharded", cfg, opt);

        auto a = tb::open_model_folder(single);
        ASSERT_TRUE(a.ok()) << "seed " << seed << ": " << a.error().message;
        auto b = tb::open_model_folder(sharded + "/");
        ASSERT_TRUE(b.ok()) << "seed " << seed << ": " << b.error().message;
        EXPECT_EQ(a->files.size(), 1u);
        EXPECT_EQ(b->files.size(), static_cast<size_t>(opt.shards));
        EXPECT_EQ(b->dir, sharded);
        EXPECT_EQ(a->config.hidden_size, cfg.hidden_size);
        EXPECT_EQ(a->config.dtype, tbtest::dtype_config_name(opt.dtype));
        EXPECT_EQ(a->generation.eos_token_ids, cfg.eos_token_ids);

        const auto expected = tb::expected_llama_tensors(cfg);
        ASSERT_EQ(a->tensors.size(), expected.size());
        ASSERT_EQ(b->tensors.size(), expected.size());
        for (const auto& [name, shape] : expected) {
            const tb::StTensorView* va = a->tensors.at(name);
            const tb::StTensorView* vb = b->tensors.at(name);
            EXPECT_EQ(va->shape, shape);
            EXPECT_EQ(va->dtype, opt.dtype);
            // Same seed, same bytes, whichever way the folder was split.
            ASSERT_EQ(va->nbytes, vb->nbytes);
            EXPECT_EQ(std::memcmp(va->data, vb->data, va->nbytes), 0) << name;
        }
    }
}

TEST(ModelFolder, ConvertsFloatsFaithfully) {
    // Norm weights are 1 + small noise: their half/bfloat16 bytes must decode near 1.
    tb::LlamaConfig cfg = small_config();
    TinyLlamaOptions opt;
    opt.dtype = tb::StDType::BF16;
    const std::string dir = write_folder("folder_bf16", cfg, opt);
    auto f = tb::open_model_folder(dir);
    ASSERT_TRUE(f.ok()) << f.error().message;
    const tb::StTensorView* n = f->tensors.at("model.norm.weight");
    for (size_t i = 0; i < 32; ++i) {
        uint16_t h;
        std::memcpy(&h, n->data + 2 * i, 2);
        uint32_t bits = static_cast<uint32_t>(h) << 16;
        float x;
        std::memcpy(&x, &bits, 4);
        EXPECT_NEAR(x, 1.0f, 0.06f);
    }
    EXPECT_EQ(tbtest::float_to_f16(1.0f), 0x3c00);
    EXPECT_EQ(tbtest::float_to_f16(-2.0f), 0xc000);
    EXPECT_EQ(tbtest::float_to_f16(65504.0f), 0x7bff);
    EXPECT_EQ(tbtest::float_to_f16(1e6f), 0x7c00);
    EXPECT_EQ(tbtest::float_to_f16(5.9604645e-8f), 0x0001);  // smallest subnormal
    EXPECT_EQ(tbtest::float_to_bf16(1.0f), 0x3f80);
    EXPECT_EQ(tbtest::float_to_bf16(-3.0f), 0xc040);
}

TEST(ModelFolder, AcceptsTiedHeadPresentAndInvFreq) {
    tb::LlamaConfig cfg = small_config();
    cfg.tie_word_embeddings = true;
    const std::string dir = write_folder("folder_tied", cfg);
    ASSERT_TRUE(tb::open_model_folder(dir).ok());
    auto st = tbtest::rewrite_safetensors(dir + "/model.safetensors", [](auto& ts, auto&) {
        ts.push_back(
            {"lm_head.weight", tb::StDType::F32, {50, 32}, std::string(50 * 32 * 4, '\0')});
        ts.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq",
                      tb::StDType::F32,
                      {4},
                      std::string(16, '\0')});
    });
    ASSERT_TRUE(st.ok());
    auto f = tb::open_model_folder(dir);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->tensors.count("lm_head.weight"), 1u);

    // A tied head that is present must still have the head's shape.
    st = tbtest::rewrite_safetensors(dir + "/model.safetensors", [](auto& ts, auto&) {
        for (auto& t : ts)
            if (t.name == "lm_head.weight") t = {t.name, t.dtype, {32, 50}, t.data};
    });
    ASSERT_TRUE(st.ok());
    const std::string msg = folder_error(dir);
    EXPECT_TRUE(contains(msg, "'lm_head.weight'") && contains(msg, "shape [32,50]")) << msg;
}

TEST(ModelFolder, BiasesRequiredWhenConfigured) {
    tb::LlamaConfig cfg = small_config();
    cfg.attention_bias = true;
    cfg.mlp_bias = true;
    const std::string dir = write_folder("folder_bias", cfg);
    auto f = tb::open_model_folder(dir);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->tensors.at("model.layers.1.self_attn.v_proj.bias")->shape,
              std::vector<int64_t>{16});

    ASSERT_TRUE(tbtest::rewrite_safetensors(dir + "/model.safetensors", [](auto& ts, auto&) {
                    ts.erase(std::remove_if(ts.begin(), ts.end(),
                                            [](const auto& t) {
                                                return t.name == "model.layers.1.mlp.up_proj.bias";
                                            }),
                             ts.end());
                }).ok());
    const std::string msg = folder_error(dir);
    EXPECT_TRUE(contains(msg, "missing tensor 'model.layers.1.mlp.up_proj.bias'")) << msg;
}

// Writes a fresh single-file folder, applies `edit` to its tensors, returns the open error.
std::string error_after_edit(const std::string& name,
                             const std::function<void(std::vector<tb::StTensorOut>&)>& edit) {
    const std::string dir = write_folder(name, small_config());
    auto st =
        tbtest::rewrite_safetensors(dir + "/model.safetensors", [&](auto& ts, auto&) { edit(ts); });
    EXPECT_TRUE(st.ok());
    return folder_error(dir);
}

TEST(ModelFolder, TensorProblemsNameTensorAndFile) {
    auto find = [](std::vector<tb::StTensorOut>& ts, const std::string& n) -> tb::StTensorOut& {
        for (auto& t : ts)
            if (t.name == n) return t;
        throw std::runtime_error("no tensor " + n);
    };

    std::string msg = error_after_edit("folder_missing", [](auto& ts) {
        ts.erase(std::remove_if(ts.begin(), ts.end(),
                                [](const auto& t) {
                                    return t.name == "model.layers.1.self_attn.k_proj.weight";
                                }),
                 ts.end());
    });
    EXPECT_TRUE(
        contains(msg, "model.safetensors: missing tensor 'model.layers.1.self_attn.k_proj.weight'"))
        << msg;
    EXPECT_TRUE(contains(msg, "[16,32]")) << msg;

    msg = error_after_edit("folder_nohead", [](auto& ts) {
        ts.erase(std::remove_if(ts.begin(), ts.end(),
                                [](const auto& t) { return t.name == "lm_head.weight"; }),
                 ts.end());
    });
    EXPECT_TRUE(contains(msg, "missing tensor 'lm_head.weight'")) << msg;

    msg = error_after_edit("folder_shape", [&](auto& ts) {
        auto& t = find(ts, "model.layers.0.mlp.down_proj.weight");
        t.shape = {40, 32};  // transposed: same byte count
    });
    EXPECT_TRUE(
        contains(msg,
                 "model.safetensors: tensor 'model.layers.0.mlp.down_proj.weight': shape [40,32] "
                 "does not match [32,40]"))
        << msg;

    msg = error_after_edit("folder_dtype", [&](auto& ts) {
        auto& t = find(ts, "model.norm.weight");
        t.dtype = tb::StDType::I32;  // same byte count, not a float
    });
    EXPECT_TRUE(contains(msg, "'model.norm.weight': dtype I32 is not supported")) << msg;

    msg = error_after_edit("folder_f64", [&](auto& ts) {
        auto& t = find(ts, "model.norm.weight");
        t.dtype = tb::StDType::F64;
        t.shape = {16};
    });
    EXPECT_TRUE(contains(msg, "'model.norm.weight': dtype F64")) << msg;

    msg = error_after_edit("folder_extra", [](auto& ts) {
        ts.push_back({"model.layers.2.mlp.up_proj.weight", tb::StDType::F32, {1}, "abcd"});
    });
    EXPECT_TRUE(
        contains(msg, "model.safetensors: unexpected tensor 'model.layers.2.mlp.up_proj.weight'"))
        << msg;
}

TEST(ModelFolder, FolderLevelProblems) {
    EXPECT_TRUE(contains(folder_error("/nonexistent/model"),
                         "/nonexistent/model: model folder does not exist"));
    const std::string empty = scratch("folder_empty");
    EXPECT_TRUE(contains(folder_error(empty), empty + "/config.json: missing"))
        << folder_error(empty);
    EXPECT_TRUE(contains(folder_error(empty + "/x"), "does not exist"));
    miotest::write_bytes(empty + "/file", "x");
    EXPECT_TRUE(contains(folder_error(empty + "/file"), "not a directory"));

    std::string dir = write_folder("folder_noweights", small_config());
    std::filesystem::remove(dir + "/model.safetensors");
    EXPECT_TRUE(contains(folder_error(dir), "no model.safetensors or model.safetensors.index.json"))
        << folder_error(dir);

    dir = write_folder("folder_badconfig", small_config());
    json cfg = json::parse(miotest::read_bytes(dir + "/config.json"));
    cfg["num_key_value_heads"] = 3;
    miotest::write_bytes(dir + "/config.json", cfg.dump());
    EXPECT_TRUE(
        contains(folder_error(dir), dir + "/config.json: num_key_value_heads: 3 does not divide"))
        << folder_error(dir);
    miotest::write_bytes(dir + "/config.json", "{\"model_type\": \"llama\"");
    EXPECT_TRUE(contains(folder_error(dir), dir + "/config.json: invalid JSON"))
        << folder_error(dir);

    dir = write_folder("folder_badgen", small_config());
    miotest::write_bytes(dir + "/generation_config.json", "{\"top_p\": \"x\"}");
    EXPECT_TRUE(contains(folder_error(dir), dir + "/generation_config.json: top_p"))
        << folder_error(dir);
    std::filesystem::remove(dir + "/generation_config.json");
    EXPECT_EQ(folder_error(dir), "");

    // Config disagrees with the weights (e.g. a config.json from another model).
    dir = write_folder("folder_mismatch", small_config());
    cfg = json::parse(miotest::read_bytes(dir + "/config.json"));
    cfg["intermediate_size"] = 48;
    miotest::write_bytes(dir + "/config.json", cfg.dump());
    EXPECT_TRUE(
        contains(folder_error(dir), "mlp.down_proj.weight': shape [32,40] does not match [32,48]"))
        << folder_error(dir);

    dir = write_folder("folder_corrupt", small_config());
    std::string bytes = miotest::read_bytes(dir + "/model.safetensors");
    miotest::write_bytes(dir + "/model.safetensors", bytes.substr(0, bytes.size() / 2));
    EXPECT_TRUE(contains(folder_error(dir), dir + "/model.safetensors: ")) << folder_error(dir);
}

std::string sharded_folder(const std::string& name) {
    TinyLlamaOptions opt;
    opt.shards = 2;
    return write_folder(name, small_config(), opt);
}

void edit_index(const std::string& dir, const std::function<void(json&)>& f) {
    json j = json::parse(miotest::read_bytes(dir + "/model.safetensors.index.json"));
    f(j);
    miotest::write_bytes(dir + "/model.safetensors.index.json", j.dump());
}

TEST(ModelFolder, ShardedIndexProblems) {
    const std::string s1 = "model-00001-of-00002.safetensors",
                      s2 = "model-00002-of-00002.safetensors";

    std::string dir = sharded_folder("shard_missing");
    ASSERT_EQ(folder_error(dir), "");
    std::filesystem::remove(dir + "/" + s2);
    std::string msg = folder_error(dir);
    EXPECT_TRUE(contains(msg, dir + "/model.safetensors.index.json: weight_map: shard '" + s2 +
                                  "' (listed for tensor '"))
        << msg;
    EXPECT_TRUE(contains(msg, "does not exist")) << msg;

    // The index claims a tensor lives in the other shard.
    dir = sharded_folder("shard_wrong");
    edit_index(dir, [&](json& j) { j["weight_map"]["model.norm.weight"] = s1; });
    msg = folder_error(dir);
    EXPECT_TRUE(
        contains(msg, "weight_map: tensor 'model.norm.weight' is not in shard '" + s1 + "'"))
        << msg;

    // The index forgets a tensor that a shard holds.
    dir = sharded_folder("shard_unlisted");
    edit_index(dir, [&](json& j) { j["weight_map"].erase("model.norm.weight"); });
    msg = folder_error(dir);
    EXPECT_TRUE(contains(msg, s2 + ": tensor 'model.norm.weight' is not listed in")) << msg;

    // A tensor stored in two shards.
    dir = sharded_folder("shard_dup");
    ASSERT_TRUE(
        tbtest::rewrite_safetensors(dir + "/" + s1, [](auto& ts, auto&) {
            ts.push_back({"model.norm.weight", tb::StDType::F32, {32}, std::string(128, '\0')});
        }).ok());
    msg = folder_error(dir);
    EXPECT_TRUE(contains(msg, s1 + ": tensor 'model.norm.weight' is also here")) << msg;

    // A tensor missing from both the index and the shards.
    dir = sharded_folder("shard_absent");
    edit_index(dir, [&](json& j) { j["weight_map"].erase("model.norm.weight"); });
    ASSERT_TRUE(tbtest::rewrite_safetensors(dir + "/" + s2, [](auto& ts, auto&) {
                    ts.erase(
                        std::remove_if(ts.begin(), ts.end(),
                                       [](const auto& t) { return t.name == "model.norm.weight"; }),
                        ts.end());
                }).ok());
    msg = folder_error(dir);
    EXPECT_TRUE(contains(msg, "model.safetensors.index.json: missing tensor 'model.norm.weight'"))
        << msg;

    const std::vector<std::pair<std::function<void(json&)>, std::string>> bad_index = {
        {[](json& j) { j.erase("weight_map"); }, "weight_map: missing"},
        {[](json& j) { j["weight_map"] = json::array(); }, "weight_map: expected an object"},
        {[](json& j) { j["weight_map"] = json::object(); }, "weight_map: empty"},
        {[](json& j) { j["weight_map"]["model.norm.weight"] = 3; },
         "weight_map: tensor 'model.norm.weight': shard name is not a string"},
        {[](json& j) { j["weight_map"]["model.norm.weight"] = "../outside.safetensors"; },
         "is not a file name inside the model folder"},
        {[](json& j) { j = json::array(); }, "expected a JSON object"},
    };
    for (const auto& [mutate, needle] : bad_index) {
        dir = sharded_folder("shard_badindex");
        edit_index(dir, mutate);
        msg = folder_error(dir);
        EXPECT_TRUE(contains(msg, dir + "/model.safetensors.index.json: ")) << msg;
        EXPECT_TRUE(contains(msg, needle)) << msg;
    }
    dir = sharded_folder("shard_badjson");
    miotest::write_bytes(dir + "/model.safetensors.index.json", "{\"weight_map\": {");
    EXPECT_TRUE(contains(folder_error(dir), "model.safetensors.index.json: invalid JSON"))
        << folder_error(dir);

    // A corrupt shard names the shard file.
    dir = sharded_folder("shard_corrupt");
    miotest::write_bytes(dir + "/" + s1, miotest::raw_safetensors("{}", "", 99));
    EXPECT_TRUE(contains(folder_error(dir), dir + "/" + s1 + ": header length 99"))
        << folder_error(dir);
}

TEST(ModelFolder, SingleFileWinsOverIndex) {
    // transformers loads model.safetensors when both are present; so do we.
    TinyLlamaOptions opt;
    opt.shards = 2;
    const std::string dir = write_folder("folder_both", small_config(), opt);
    ASSERT_TRUE(tbtest::write_tiny_llama_folder(dir, small_config(), 5).ok());
    auto f = tb::open_model_folder(dir);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->files.size(), 1u);
    EXPECT_EQ(f->files[0]->path(), dir + "/model.safetensors");
}

}  // namespace
