// Logits processors against HF's definitions on hand-made score vectors.
#include <gtest/gtest.h>

#include "core/infer/sampler.h"

namespace {

TEST(Sampler, RepetitionPenaltyDividesPositiveMultipliesNegative) {
    tb::SamplingParams p;
    p.repetition_penalty = 2.0;
    tb::Sampler s(p);
    at::Tensor logits = at::tensor({4.0f, -2.0f, 1.0f, 3.0f}).view({1, 4});
    at::Tensor seen = at::tensor({0L, 1L, 1L}, at::kLong).view({1, 3});
    at::Tensor out = s.process(logits, seen, {});
    EXPECT_FLOAT_EQ(out[0][0].item<float>(), 2.0f);
    EXPECT_FLOAT_EQ(out[0][1].item<float>(), -4.0f);  // applied once even if seen twice
    EXPECT_FLOAT_EQ(out[0][2].item<float>(), 1.0f);
    EXPECT_EQ(s.next(logits, seen, {}).item<int64_t>(), 3);  // 3 now beats the penalised 4
}

TEST(Sampler, SuppressAndTopKTopP) {
    tb::SamplingParams p;
    p.greedy = false;
    p.top_k = 2;
    tb::Sampler s(p);
    at::Tensor logits = at::tensor({1.0f, 5.0f, 3.0f, 4.0f}).view({1, 4});
    at::Tensor out = s.process(logits, at::Tensor(), {1});
    EXPECT_TRUE(std::isinf(out[0][1].item<float>()));
    EXPECT_TRUE(std::isinf(out[0][0].item<float>()));
    EXPECT_FLOAT_EQ(out[0][3].item<float>(), 4.0f);
    EXPECT_FLOAT_EQ(out[0][2].item<float>(), 3.0f);

    tb::SamplingParams q;
    q.greedy = false;
    q.top_k = 0;
    q.top_p = 0.5;
    tb::Sampler sp(q);
    // probs ~ [0.032, 0.644, 0.087, 0.237]: only token 1 survives top_p 0.5
    at::Tensor o2 = sp.process(logits, at::Tensor(), {});
    EXPECT_FALSE(std::isinf(o2[0][1].item<float>()));
    EXPECT_TRUE(std::isinf(o2[0][3].item<float>()));
    for (int i = 0; i < 20; ++i) EXPECT_EQ(sp.next(logits, at::Tensor(), {}).item<int64_t>(), 1);
}

TEST(Sampler, SeedIsReproducibleAndTemperatureFlattens) {
    tb::SamplingParams p;
    p.greedy = false;
    p.top_k = 0;
    p.temperature = 5.0;
    p.seed = 42;
    at::Tensor logits = at::tensor({1.0f, 2.0f, 3.0f, 2.5f}).view({1, 4});
    tb::Sampler a(p), b(p);
    std::vector<int64_t> xa, xb;
    int counts[4] = {0, 0, 0, 0};
    for (int i = 0; i < 400; ++i) {
        xa.push_back(a.next(logits, at::Tensor(), {}).item<int64_t>());
        xb.push_back(b.next(logits, at::Tensor(), {}).item<int64_t>());
        counts[xa.back()]++;
    }
    EXPECT_EQ(xa, xb);
    // at T=5 the least likely token keeps a sizeable share (~18%)
    EXPECT_GT(counts[0], 30);
}

}  // namespace
