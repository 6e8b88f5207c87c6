#include <gtest/gtest.h>

#include "core/metrics/bleu.h"
#include "core/metrics/resampling.h"

using namespace tb::metrics;

TEST(SplitMix64, ReferenceSequence) {
    // Published first output of SplitMix64 seeded with 0.
    SplitMix64 r(0);
    EXPECT_EQ(r.next(), 0xE220A8397B1DCDAFULL);
    SplitMix64 a(7), b(7);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(a.below(10), b.below(10));
    SplitMix64 c(1);
    for (int i = 0; i < 1000; ++i) EXPECT_LT(c.below(3), 3u);
}

namespace {

// Per-item values with a planted difference: b = a - 0.1 plus small deterministic noise.
std::vector<double> noisy(size_t n, uint64_t seed, double offset) {
    SplitMix64 r(seed);
    std::vector<double> v(n);
    for (auto& x : v) x = offset + static_cast<double>(r.below(1000)) / 2000.0;
    return v;
}

}  // namespace

TEST(Bootstrap, DeterministicForSeedAndCoversValue) {
    auto m = mean_metric(noisy(200, 1, 0.2));
    BootstrapOptions o;
    o.resamples = 500;
    o.seed = 99;
    auto a = bootstrap_ci(m, o);
    auto b = bootstrap_ci(m, o);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->lower, b->lower);
    EXPECT_EQ(a->upper, b->upper);
    EXPECT_LT(a->lower, a->value);
    EXPECT_GT(a->upper, a->value);
    o.seed = 100;
    auto c = bootstrap_ci(m, o);
    ASSERT_TRUE(c.ok());
    EXPECT_NE(a->lower, c->lower);
    EXPECT_EQ(a->value, c->value);
}

TEST(Bootstrap, ConstantMetricHasDegenerateInterval) {
    auto m = mean_metric(std::vector<double>(50, 0.25));
    auto ci = bootstrap_ci(m, {});
    ASSERT_TRUE(ci.ok());
    EXPECT_DOUBLE_EQ(ci->lower, 0.25);
    EXPECT_DOUBLE_EQ(ci->upper, 0.25);
}

TEST(Bootstrap, RejectsBadInput) {
    EXPECT_FALSE(bootstrap_ci(mean_metric({}), {}).ok());
    BootstrapOptions o;
    o.resamples = 0;
    EXPECT_FALSE(bootstrap_ci(mean_metric({1.0}), o).ok());
    o.resamples = 10;
    o.confidence = 1.0;
    EXPECT_FALSE(bootstrap_ci(mean_metric({1.0}), o).ok());
    EXPECT_FALSE(paired_bootstrap_test(mean_metric({1.0}), mean_metric({1.0, 2.0}), {}).ok());
}

TEST(Bootstrap, BleuMetricRecomputesFromSummedStatistics) {
    const std::vector<std::string> hyps = {"the cat sat on the mat", "a dog barked", "hello there",
                                           "one two three four five"};
    const std::vector<std::vector<std::string>> refs = {{"the cat sat on a mat"},
                                                        {"the dog barked loudly"},
                                                        {"hello there friend"},
                                                        {"one two three four"}};
    std::vector<BleuStats> stats;
    for (size_t i = 0; i < hyps.size(); ++i) stats.push_back(*bleu_segment_stats(hyps[i], refs[i]));
    auto m = bleu_metric(stats);
    auto corpus = corpus_bleu(hyps, refs);
    ASSERT_TRUE(corpus.ok());
    EXPECT_DOUBLE_EQ(m.value(), corpus->score);
    // a resample that repeats item 0 equals corpus BLEU of the repeated corpus
    auto rep = corpus_bleu({hyps[0], hyps[0], hyps[2]}, {refs[0], refs[0], refs[2]});
    EXPECT_DOUBLE_EQ(m.value_on({0, 0, 2}), rep->score);
    auto ci = bootstrap_ci(m, {});
    ASSERT_TRUE(ci.ok());
    EXPECT_LE(ci->lower, ci->upper);
}

TEST(PairedTests, PlantedDifferenceGivesSmallP) {
    const auto a = noisy(300, 5, 0.3);
    auto b = a;
    SplitMix64 r(8);
    for (auto& x : b) x = x - 0.1 + static_cast<double>(r.below(100)) / 2000.0;  // mean -0.075
    BootstrapOptions o;
    o.resamples = 1000;
    auto boot = paired_bootstrap_test(mean_metric(a), mean_metric(b), o);
    auto perm = paired_permutation_test(mean_metric(a), mean_metric(b), o);
    ASSERT_TRUE(boot.ok() && perm.ok());
    EXPECT_GT(boot->delta, 0.05);
    EXPECT_LT(boot->p_value, 0.01);
    EXPECT_LT(perm->p_value, 0.01);
    EXPECT_DOUBLE_EQ(perm->p_value, (perm->at_least_as_extreme + 1.0) / 1001.0);
}

TEST(PairedTests, IdenticalSystemsGivePOne) {
    const auto a = noisy(120, 3, 0.4);
    auto boot = paired_bootstrap_test(mean_metric(a), mean_metric(a), {});
    auto perm = paired_permutation_test(mean_metric(a), mean_metric(a), {});
    ASSERT_TRUE(boot.ok() && perm.ok());
    EXPECT_DOUBLE_EQ(boot->p_value, 1.0);
    EXPECT_DOUBLE_EQ(perm->p_value, 1.0);
    EXPECT_EQ(perm->delta, 0.0);
}

TEST(PairedTests, NoRealDifferenceGivesLargeP) {
    // Same distribution, independent noise: the tests should not reject at 0.05 here.
    const auto a = noisy(300, 11, 0.3);
    const auto b = noisy(300, 12, 0.3);
    auto perm = paired_permutation_test(mean_metric(a), mean_metric(b), {});
    auto boot = paired_bootstrap_test(mean_metric(a), mean_metric(b), {});
    ASSERT_TRUE(perm.ok() && boot.ok());
    EXPECT_GT(perm->p_value, 0.05);
    EXPECT_GT(boot->p_value, 0.05);
}

TEST(PerCategory, SplitsSortedByLabel) {
    std::vector<double> v = {1, 2, 3, 4, 5, 6};
    std::vector<std::string> labels = {"b", "a", "b", "a", "c", "b"};
    auto r = per_category(mean_metric(v), labels, {});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0].category, "a");
    EXPECT_EQ((*r)[0].n_items, 2u);
    EXPECT_DOUBLE_EQ((*r)[0].ci.value, 3.0);
    EXPECT_DOUBLE_EQ((*r)[1].ci.value, 10.0 / 3);
    EXPECT_DOUBLE_EQ((*r)[2].ci.value, 5.0);
    EXPECT_FALSE(per_category(mean_metric(v), {"a"}, {}).ok());
}
