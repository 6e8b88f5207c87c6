// Internal consistency of the Llama core, independent of any reference: the KV-cache decode
// path equals the full forward, left padding does not change a row's logits, save/load round
// trips, LoRA with B = 0 is the identity, merge equals the unmerged branch.
#include <gtest/gtest.h>

#include "core/infer/generate.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "tests/test_paths.h"

namespace {

tb::LlamaConfig small_config(bool gqa, bool tied) {
    tb::LlamaConfig c;
    c.vocab_size = 97;
    c.hidden_size = 48;
    c.intermediate_size = 80;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = gqa ? 2 : 4;
    c.head_dim = 16;  // != 48/4 on purpose
    c.rope_theta = 50000;
    c.tie_word_embeddings = tied;
    c.max_position_embeddings = 128;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

at::Tensor full_logits(const tb::LlamaModel& m, const std::vector<int64_t>& ids) {
    torch::NoGradGuard g;
    const int64_t T = static_cast<int64_t>(ids.size());
    at::Tensor x = at::tensor(ids, at::kLong).view({1, T});
    return m.forward(x, at::arange(T, at::kLong).view({1, T}), at::Tensor(), nullptr)[0];
}

TEST(LlamaConsistency, KvCacheDecodeEqualsFullForward) {
    for (bool gqa : {false, true}) {
        auto m = tb::init_llama(small_config(gqa, !gqa), 5, 0.1, {});
        std::vector<int64_t> ids{1, 5, 9, 33, 12, 70, 3, 44, 8, 91};
        at::Tensor ref = full_logits(m, ids);
        torch::NoGradGuard g;
        tb::KvCache cache(2, 1, m.config.num_key_value_heads, 16, 16, at::kFloat, at::kCPU);
        // prefill 4 tokens, then one at a time
        at::Tensor x = at::tensor(std::vector<int64_t>(ids.begin(), ids.begin() + 4)).view({1, 4});
        at::Tensor l = m.forward(x, at::arange(4, at::kLong).view({1, 4}), at::Tensor(), &cache)[0];
        EXPECT_TRUE(at::allclose(l, ref.narrow(0, 0, 4), 1e-5, 1e-5));
        for (int64_t t = 4; t < 10; ++t) {
            at::Tensor xt = at::full({1, 1}, ids[t], at::kLong);
            at::Tensor lt =
                m.forward(xt, at::full({1, 1}, t, at::kLong), at::Tensor(), &cache)[0][0];
            EXPECT_LT((lt - ref[t]).abs().max().item<float>(), 1e-5) << "t=" << t << " gqa=" << gqa;
        }
    }
}

TEST(LlamaConsistency, LeftPaddingDoesNotChangeRealRows) {
    auto m = tb::init_llama(small_config(true, false), 6, 0.1, {});
    std::vector<int64_t> a{1, 4, 7, 9, 11, 13}, b{1, 20, 30};
    tb::GenerateParams p;
    p.max_new_tokens = 10;
    p.eos_token_ids = {};
    auto batch = tb::generate(m, {a, b}, p);
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    auto single_b = tb::generate(m, {b}, p);
    auto single_a = tb::generate(m, {a}, p);
    ASSERT_TRUE(single_a.ok() && single_b.ok());
    EXPECT_EQ(batch->new_ids[0], single_a->new_ids[0]);
    EXPECT_EQ(batch->new_ids[1], single_b->new_ids[0]);
    EXPECT_EQ(batch->new_ids[1].size(), 10u);
}

TEST(LlamaConsistency, SaveLoadRoundTripAndBf16) {
    auto m = tb::init_llama(small_config(true, true), 7, 0.1, {});
    const std::string dir = tbtest::scratch_dir("roundtrip");
    ASSERT_TRUE(tb::save_llama_model(m, dir, at::kFloat).ok());
    auto loaded = tb::load_llama_model(dir);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    std::vector<int64_t> ids{1, 2, 3, 50, 60};
    EXPECT_TRUE(at::equal(full_logits(m, ids), full_logits(*loaded, ids)));
    EXPECT_TRUE(loaded->config.tie_word_embeddings);

    const std::string dir16 = tbtest::scratch_dir("roundtrip_bf16");
    ASSERT_TRUE(tb::save_llama_model(m, dir16, at::kBFloat16).ok());
    auto l16 = tb::load_llama_model(dir16, {at::kBFloat16, at::kCPU});
    ASSERT_TRUE(l16.ok()) << l16.error().message;
    at::Tensor diff = (full_logits(*l16, ids).to(at::kFloat) - full_logits(m, ids)).abs().max();
    EXPECT_LT(diff.item<float>(), 0.1);  // bf16 weights + activations: coarse but close
}

TEST(LlamaConsistency, LoraZeroBIsIdentityAndMergeMatches) {
    auto m = tb::init_llama(small_config(true, false), 8, 0.1, {});
    std::vector<int64_t> ids{1, 14, 15, 92, 65};
    at::Tensor base = full_logits(m, ids);
    for (auto& L : m.layers) {
        for (auto* p : {&L.q_proj, &L.v_proj, &L.down_proj}) {
            p->lora.A = at::randn({4, p->in_features()}) * 0.1;
            p->lora.B = at::zeros({p->out_features(), 4});
            p->lora.scale = 2.0;
        }
    }
    EXPECT_TRUE(at::allclose(full_logits(m, ids), base, 1e-6, 1e-6));
    for (auto& L : m.layers)
        for (auto* p : {&L.q_proj, &L.v_proj, &L.down_proj})
            p->lora.B = at::randn({p->out_features(), 4}) * 0.1;
    at::Tensor with_lora = full_logits(m, ids);
    EXPECT_GT((with_lora - base).abs().max().item<float>(), 1e-3);

    const std::string ad = tbtest::scratch_dir("adapter");
    tb::LoraSettings s;
    s.r = 4;
    s.alpha = 8;
    s.target_modules = {"q_proj", "v_proj", "down_proj"};
    ASSERT_TRUE(tb::save_peft_adapter(m, s, ad).ok());
    auto fresh = tb::init_llama(small_config(true, false), 8, 0.1, {});
    ASSERT_TRUE(tb::apply_peft_adapter(fresh, ad).ok());
    EXPECT_TRUE(at::allclose(full_logits(fresh, ids), with_lora, 1e-5, 1e-5));

    tb::merge_lora_into_base(m);
    EXPECT_TRUE(at::allclose(full_logits(m, ids), with_lora, 1e-4, 1e-4));
}

TEST(LlamaConsistency, Llama3RopeMatchesFormula) {
    auto c = small_config(false, false);
    c.rope_theta = 500000;
    c.rope_scaling.type = "llama3";
    c.rope_scaling.factor = 8;
    c.rope_scaling.low_freq_factor = 1;
    c.rope_scaling.high_freq_factor = 4;
    c.rope_scaling.original_max_position_embeddings = 64;
    at::Tensor f = tb::rope_inv_freq(c);
    ASSERT_EQ(f.size(0), 8);
    for (int64_t j = 0; j < 8; ++j) {
        double base = 1.0 / std::pow(500000.0, (2.0 * j) / 16.0);
        double wl = 2 * M_PI / base;
        double expect;
        if (wl < 64.0 / 4)
            expect = base;
        else if (wl > 64.0 / 1)
            expect = base / 8;
        else {
            double s = (64.0 / wl - 1) / (4 - 1);
            expect = (1 - s) * base / 8 + s * base;
        }
        EXPECT_NEAR(f[j].item<float>(), expect, expect * 1e-5) << j;
    }
}

TEST(LlamaConsistency, GenerateValidatesInput) {
    auto m = tb::init_llama(small_config(true, false), 9, 0.1, {});
    tb::GenerateParams p;
    auto r = tb::generate(m, {{1, 500}}, p);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("500"), std::string::npos);
    EXPECT_FALSE(tb::generate(m, {{}}, p).ok());
    tb::CancelToken tok;
    tok.cancel();
    p.cancel = &tok;
    auto c = tb::generate(m, {{1, 5}}, p);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->finish_reason[0], "cancelled");
    EXPECT_TRUE(c->new_ids[0].empty());
}

TEST(LlamaConsistency, StopStringsAndEos) {
    auto m = tb::init_llama(small_config(true, false), 10, 0.1, {});
    tb::GenerateParams p;
    p.max_new_tokens = 12;
    auto free_run = tb::generate(m, {{1, 7, 8}}, p);
    ASSERT_TRUE(free_run.ok());
    ASSERT_EQ(free_run->new_ids[0].size(), 12u);
    // Make the 4th generated token an EOS id: generation must stop right there.
    p.eos_token_ids = {free_run->new_ids[0][3]};
    auto eos_run = tb::generate(m, {{1, 7, 8}}, p);
    ASSERT_TRUE(eos_run.ok());
    auto first =
        std::find(free_run->new_ids[0].begin(), free_run->new_ids[0].end(), p.eos_token_ids[0]);
    EXPECT_EQ(eos_run->new_ids[0].size(),
              static_cast<size_t>(first - free_run->new_ids[0].begin()) + 1);
    EXPECT_EQ(eos_run->finish_reason[0], "eos");
    // min_new_tokens forbids that EOS before 8 tokens
    p.min_new_tokens = 8;
    auto min_run = tb::generate(m, {{1, 7, 8}}, p);
    ASSERT_TRUE(min_run.ok());
    EXPECT_GE(min_run->new_ids[0].size(), 8u);
    // stop string over a toy decoder: token ids as letters
    tb::GenerateParams s;
    s.max_new_tokens = 12;
    s.decode = [](const std::vector<int64_t>& ids) {
        std::string t;
        for (auto i : ids) t += "<" + std::to_string(i) + ">";
        return t;
    };
    s.stop_strings = {"<" + std::to_string(free_run->new_ids[0][2]) + ">"};
    auto stop_run = tb::generate(m, {{1, 7, 8}}, s);
    ASSERT_TRUE(stop_run.ok());
    EXPECT_EQ(stop_run->finish_reason[0], "stop");
    EXPECT_LE(stop_run->new_ids[0].size(), 3u);
}

}  // namespace
