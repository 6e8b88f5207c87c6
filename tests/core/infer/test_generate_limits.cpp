// Generation's guards against bad input: the one validation of sampling and generation
// settings (NaN and infinities refused, max_new_tokens bounded by the model's context), buffers
// that grow with the tokens actually generated (a generous bound allocates nothing up front),
// and non-finite logits reported with their step instead of decoded as token 0.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "core/infer/generate.h"
#include "core/infer/llama_io.h"
#include "tests/core/model/tiny_llama_folder.h"
#include "tests/test_paths.h"

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

tb::LlamaConfig tiny_config(int64_t context) {
    tb::LlamaConfig c;
    c.vocab_size = 97;
    c.hidden_size = 16;
    c.intermediate_size = 32;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 4;
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 10000;
    c.max_position_embeddings = context;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

TEST(GenerateLimits, SamplingSettingsAreValidatedInOnePlace) {
    tb::SamplingParams ok;
    EXPECT_TRUE(tb::validate_sampling_params(ok).ok());
    ok.greedy = true;
    ok.temperature = 0;  // unused by greedy decoding: allowed
    EXPECT_TRUE(tb::validate_sampling_params(ok).ok());
    // ... but NaN and infinities are refused even where greedy decoding would not use them.
    for (auto set : std::vector<std::function<void(tb::SamplingParams&)>>{
             [](auto& p) { p.temperature = kNaN; }, [](auto& p) { p.top_p = kNaN; },
             [](auto& p) { p.top_p = kInf; }, [](auto& p) { p.repetition_penalty = kNaN; }}) {
        tb::SamplingParams g;
        g.greedy = true;
        set(g);
        EXPECT_FALSE(tb::validate_sampling_params(g).ok());
    }

    struct Probe {
        const char* field;
        std::function<void(tb::SamplingParams&)> set;
    };
    const std::vector<Probe> probes = {
        {"temperature", [](auto& p) { p.temperature = kNaN; }},
        {"temperature", [](auto& p) { p.temperature = kInf; }},
        {"temperature", [](auto& p) { p.temperature = -1; }},
        {"top_p", [](auto& p) { p.top_p = kNaN; }},
        {"top_p", [](auto& p) { p.top_p = 1.5; }},
        {"top_p", [](auto& p) { p.top_p = 0; }},
        {"top_k", [](auto& p) { p.top_k = -1; }},
        {"repetition_penalty", [](auto& p) { p.repetition_penalty = kNaN; }},
        {"repetition_penalty", [](auto& p) { p.repetition_penalty = -kInf; }},
        {"repetition_penalty", [](auto& p) { p.repetition_penalty = 0; }},
    };
    for (const auto& probe : probes) {
        tb::SamplingParams p;
        p.greedy = false;
        probe.set(p);
        tb::Status st = tb::validate_sampling_params(p);
        ASSERT_FALSE(st.ok()) << probe.field;
        EXPECT_EQ(st.error().message.rfind(std::string(probe.field) + ": ", 0), 0u)
            << st.error().message;
    }
}

TEST(GenerateLimits, MaxNewTokensIsBoundedByTheContext) {
    const tb::LlamaConfig c = tiny_config(512);
    tb::GenerateParams p;
    p.max_new_tokens = 512;
    EXPECT_TRUE(tb::validate_generate_params(p, c).ok());
    for (int64_t bad :
         {int64_t{513}, int64_t{1000000000}, std::numeric_limits<int64_t>::max(), int64_t{-1}}) {
        p.max_new_tokens = bad;
        tb::Status st = tb::validate_generate_params(p, c);
        ASSERT_FALSE(st.ok()) << bad;
        EXPECT_NE(st.error().message.find("max_new_tokens: must be in [0, 512]"), std::string::npos)
            << st.error().message;
    }
    p.max_new_tokens = 8;
    p.min_new_tokens = 9;
    EXPECT_FALSE(tb::validate_generate_params(p, c).ok());
    p.min_new_tokens = 0;
    p.sampling.temperature = kNaN;
    EXPECT_FALSE(tb::validate_generate_params(p, c).ok());

    // generate() runs the same validation before any forward step.
    tb::LlamaModel m = tb::init_llama(c, 3, 0.05, {});
    p.sampling.temperature = 1.0;
    p.max_new_tokens = 1000000000;
    auto r = tb::generate(m, {{1, 5, 7}}, p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("max_new_tokens", 0), 0u) << r.error().message;
}

// A grown cache holds exactly what a cache allocated at full size holds.
TEST(GenerateLimits, KvCacheReserveKeepsTheStoredTokens) {
    at::manual_seed(0);
    tb::KvCache small(2, 2, 3, 4, 8, at::kFloat, at::kCPU),
        big(2, 2, 3, 64, 8, at::kFloat, at::kCPU);
    auto feed = [&](int64_t t) {
        at::Tensor k = at::randn({2, 3, t, 8}), v = at::randn({2, 3, t, 8});
        for (int64_t l = 0; l < 2; ++l) {
            auto a = small.append(l, k, v);
            auto b = big.append(l, k, v);
            EXPECT_TRUE(at::equal(a.first, b.first));
            EXPECT_TRUE(at::equal(a.second, b.second));
        }
        small.advance(t);
        big.advance(t);
    };
    feed(3);
    small.reserve(8);
    EXPECT_EQ(small.capacity(), 8);
    feed(1);
    feed(4);
    small.reserve(20);
    for (int i = 0; i < 5; ++i) feed(1);
    EXPECT_EQ(small.length(), 13);
    small.reserve(4);  // never shrinks
    EXPECT_EQ(small.capacity(), 20);
}

// Past the initial buffers (prompt + 256 new tokens) the generated tokens are still the greedy
// tokens of the model: each one is the argmax of a full, uncached forward over the sequence, to
// within fp32 rounding of the logits (a cached step and the full forward sum in other orders;
// logits here are O(1), so 1e-4 is ~1000 ulp of slack and far below any real margin).
TEST(GenerateLimits, BuffersGrowPastTheInitialCapacity) {
    const tb::LlamaConfig c = tiny_config(512);
    tb::LlamaModel m = tb::init_llama(c, 5, 0.5, {});
    tb::GenerateParams p;
    p.max_new_tokens = 300;
    const std::vector<int64_t> prompt = {1, 17, 33, 4};
    auto r = tb::generate(m, {prompt}, p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& gen = r.value().new_ids[0];
    ASSERT_GT(gen.size(), 260u) << "ended early (" << r.value().finish_reason[0]
                                << "): the growth path was not reached";
    std::vector<int64_t> all = prompt;
    all.insert(all.end(), gen.begin(), gen.end());
    const int64_t T = static_cast<int64_t>(all.size());
    torch::NoGradGuard ng;
    at::Tensor ids = at::tensor(all, at::kLong).view({1, T});
    at::Tensor pos = at::arange(T, at::kLong).view({1, T});
    at::Tensor logits = m.forward(ids, pos, at::Tensor(), nullptr).to(at::kFloat)[0];
    int64_t worst_step = -1;
    double worst = 0;
    for (size_t i = 0; i < gen.size(); ++i) {
        at::Tensor row = logits[static_cast<int64_t>(prompt.size() + i) - 1];
        const double gap = row.max().item<double>() - row[gen[i]].item<double>();
        if (gap > worst) {
            worst = gap;
            worst_step = static_cast<int64_t>(i);
        }
    }
    EXPECT_LE(worst, 1e-4) << "token " << worst_step << " is not the model's greedy choice";
}

// A model whose context allows 2^26 new tokens: the old code allocated the key mask (512 MB)
// and the KV cache (8 GB) for all of them before the first step. Cancelled after 5 tokens.
TEST(GenerateLimits, AHugeBoundAllocatesNothingUpFront) {
    const tb::LlamaConfig c = tiny_config(int64_t{1} << 26);
    tb::LlamaModel m = tb::init_llama(c, 7, 0.05, {});
    tb::CancelToken cancel;
    tb::GenerateParams p;
    p.max_new_tokens = int64_t{1} << 26;
    p.cancel = &cancel;
    int64_t seen = 0;
    p.on_token = [&](int64_t, int64_t) {
        if (++seen == 5) cancel.cancel();
    };
    auto r = tb::generate(m, {{1, 2, 3}}, p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().finish_reason[0], "cancelled");
    EXPECT_EQ(r.value().new_ids[0].size(), 5u);
}

TEST(GenerateLimits, NonFiniteLogitsAreAnErrorNamingTheStep) {
    const std::string dir = tbtest::scratch_dir("generate_nan_model");
    tbtest::TinyLlamaOptions opt;
    opt.weight_scale = std::numeric_limits<float>::quiet_NaN();
    ASSERT_TRUE(tbtest::write_tiny_llama_folder(dir, tiny_config(64), opt).ok());
    auto m = tb::load_llama_model(dir);
    ASSERT_TRUE(m.ok()) << m.error().message;
    tb::GenerateParams p;
    p.max_new_tokens = 8;
    auto r = tb::generate(m.value(), {{1, 5, 9}, {1, 6}}, p);
    ASSERT_FALSE(r.ok()) << "decoded " << r.value().new_ids[0].size() << " tokens of NaN";
    EXPECT_NE(r.error().message.find("new token 1, prompt 0"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("not finite"), std::string::npos) << r.error().message;

    // Finite weights but one row of the head infinite (as an fp16 overflow would leave it).
    tb::LlamaModel ok = tb::init_llama(tiny_config(64), 1, 0.05, {});
    ok.lm_head = ok.lm_head.clone();
    ok.lm_head[40].fill_(std::numeric_limits<float>::infinity());
    auto r2 = tb::generate(ok, {{1, 5, 9}}, p);
    ASSERT_FALSE(r2.ok());
    EXPECT_NE(r2.error().message.find("new token 1"), std::string::npos) << r2.error().message;
}

}  // namespace
