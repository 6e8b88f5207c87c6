// Split: sizes (the study's 13,510 / 750 / 751), determinism, recorded permutations from an
// independent reference, stratification.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/data/dataset_reader.h"
#include "core/data/split.h"
#include "tests/test_paths.h"

namespace {

const std::vector<tb::Example>& sample() {
    static const std::vector<tb::Example> ex = [] {
        tb::ReadOptions o;
        auto r = tb::load_dataset(tbtest::shared_dir() + "/data/dolly-sample.jsonl", o);
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.ok() ? r.value().examples : std::vector<tb::Example>{};
    }();
    return ex;
}

// n rows over 8 categories with uneven sizes (like Dolly's).
std::vector<tb::Example> synthetic(size_t n) {
    static const char* cats[] = {"open_qa",       "general_qa",      "classification",
                                 "closed_qa",     "brainstorming",   "information_extraction",
                                 "summarization", "creative_writing"};
    static const size_t weights[] = {25, 15, 14, 12, 12, 10, 8, 4};  // percent
    std::vector<tb::Example> ex(n);
    tb::SplitMix64 rng(7);
    for (size_t i = 0; i < n; ++i) {
        size_t r = rng.below(100), c = 0, acc = weights[0];
        while (r >= acc) acc += weights[++c];
        ex[i].category = cats[c];
        ex[i].instruction = "q" + std::to_string(i);
        ex[i].response = "a";
    }
    return ex;
}

void expect_partition(const tb::DatasetSplit& s, size_t n) {
    std::vector<size_t> all;
    for (const auto* v : {&s.train, &s.val, &s.test}) all.insert(all.end(), v->begin(), v->end());
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(all[i], i);
}

TEST(SplitMix64, MatchesTheReferenceSequence) {
    // Published SplitMix64 outputs for seed 1234567 (reference C implementation by Vigna).
    tb::SplitMix64 r(1234567);
    EXPECT_EQ(r.next(), 6457827717110365317ULL);
    EXPECT_EQ(r.next(), 3203168211198807973ULL);
    EXPECT_EQ(r.next(), 9817491932198370423ULL);
}

TEST(SplitMix64, BelowStaysInRangeAndCoversIt) {
    tb::SplitMix64 r(1);
    std::vector<int> hits(7, 0);
    for (int i = 0; i < 7000; ++i) {
        uint64_t v = r.below(7);
        ASSERT_LT(v, 7u);
        ++hits[v];
    }
    for (int h : hits) EXPECT_GT(h, 800);  // expected 1000 each
    EXPECT_EQ(r.below(1), 0u);
}

TEST(SplitCounts, StudyNumbersAndRoundingRule) {
    auto c = tb::split_counts(15011, {});
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->train, 13510u);
    EXPECT_EQ(c->val, 750u);
    EXPECT_EQ(c->test, 751u);
    c = tb::split_counts(300, {});
    EXPECT_EQ(c->train, 270u);
    EXPECT_EQ(c->val, 15u);
    EXPECT_EQ(c->test, 15u);
    // Cuts at round(n * 0.9) and round(n * 0.95), half up.
    for (size_t n : {0, 1, 2, 7, 10, 19, 21, 99, 101, 1000, 12345}) {
        c = tb::split_counts(n, {});
        ASSERT_TRUE(c.ok());
        size_t cut1 = static_cast<size_t>(std::floor(n * 0.9 + 0.5 + 1e-9));
        size_t cut2 = static_cast<size_t>(std::floor(n * 0.95 + 0.5 + 1e-9));
        EXPECT_EQ(c->train, cut1) << n;
        EXPECT_EQ(c->val, cut2 - cut1) << n;
        EXPECT_EQ(c->train + c->val + c->test, n);
    }
    c = tb::split_counts(10, {0.8, 0.2, 0.0});
    EXPECT_EQ(c->train, 8u);
    EXPECT_EQ(c->val, 2u);
    EXPECT_EQ(c->test, 0u);
}

TEST(SplitCounts, BadRatiosAreErrors) {
    auto c = tb::split_counts(100, {0.9, 0.05, 0.1});
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("must sum to 1"), std::string::npos);
    c = tb::split_counts(100, {1.2, -0.1, -0.1});
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().message.rfind("data.train_ratio: ", 0), 0u);
}

TEST(Split, DollySampleIsDeterministicAndMatchesTheReference) {
    const auto& ex = sample();
    ASSERT_EQ(ex.size(), 300u);
    auto s = tb::split_dataset(ex, {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->train.size(), 270u);
    EXPECT_EQ(s->val.size(), 15u);
    EXPECT_EQ(s->test.size(), 15u);
    expect_partition(s.value(), 300);
    // Computed once with an independent Python model of SplitMix64 + Lemire's bounded draw +
    // Fisher-Yates (seed 42); any change of the algorithm changes these.
    EXPECT_EQ(std::vector<size_t>(s->train.begin(), s->train.begin() + 10),
              (std::vector<size_t>{168, 279, 219, 82, 78, 223, 293, 227, 116, 197}));
    EXPECT_EQ(s->val, (std::vector<size_t>{188, 294, 214, 203, 76, 278, 171, 166, 20, 268, 193, 26,
                                           140, 29, 57}));
    EXPECT_EQ(s->test, (std::vector<size_t>{190, 149, 147, 142, 59, 179, 99, 234, 64, 256, 11, 102,
                                            83, 47, 222}));
    auto again = tb::split_dataset(ex, {});
    EXPECT_EQ(again->train, s->train);
    EXPECT_EQ(again->test, s->test);

    tb::SplitOptions other;
    other.seed = 7;
    auto s7 = tb::split_dataset(ex, other);
    EXPECT_EQ(std::vector<size_t>(s7->train.begin(), s7->train.begin() + 10),
              (std::vector<size_t>{168, 279, 93, 145, 25, 202, 256, 248, 144, 52}));
    EXPECT_NE(s7->test, s->test);
}

TEST(Split, StudySizeOn15011Rows) {
    auto ex = synthetic(15011);
    for (bool strat : {false, true}) {
        tb::SplitOptions o;
        o.stratify = strat;
        auto s = tb::split_dataset(ex, o);
        ASSERT_TRUE(s.ok());
        EXPECT_EQ(s->train.size(), 13510u) << strat;
        EXPECT_EQ(s->val.size(), 750u) << strat;
        EXPECT_EQ(s->test.size(), 751u) << strat;
        expect_partition(s.value(), ex.size());
    }
}

// Every category's share of each split is within one row of its exact proportional share.
void expect_proportional(const std::vector<tb::Example>& ex, const tb::DatasetSplit& s) {
    std::map<std::string, size_t> total;
    for (const auto& e : ex) ++total[e.category];
    const double n = static_cast<double>(ex.size());
    for (const auto* part : {&s.train, &s.val, &s.test}) {
        std::map<std::string, size_t> got;
        for (size_t i : *part) ++got[ex[i].category];
        for (const auto& [cat, nc] : total) {
            double exact = static_cast<double>(nc) * static_cast<double>(part->size()) / n;
            EXPECT_LT(std::fabs(static_cast<double>(got[cat]) - exact), 1.0 + 1e-9)
                << cat << " got " << got[cat] << " exact " << exact;
        }
    }
}

TEST(Split, StratifiedKeepsCategoryProportions) {
    tb::SplitOptions o;
    o.stratify = true;
    const auto& ex = sample();
    auto s = tb::split_dataset(ex, o);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->train.size(), 270u);
    EXPECT_EQ(s->val.size(), 15u);
    EXPECT_EQ(s->test.size(), 15u);
    expect_partition(s.value(), ex.size());
    expect_proportional(ex, s.value());
    auto again = tb::split_dataset(ex, o);
    EXPECT_EQ(again->val, s->val);

    auto big = synthetic(15011);
    auto sb = tb::split_dataset(big, o);
    expect_proportional(big, sb.value());

    // Other ratios (bigger val/test, more rounding in play) keep the proportions too.
    o.ratios = {0.6, 0.2, 0.2};
    auto s2 = tb::split_dataset(ex, o);
    expect_proportional(ex, s2.value());
}

// Many random tables: every cell is floor or ceil of its exact share, margins are kept.
TEST(Split, ControlledRoundingOnRandomTables) {
    tb::SplitMix64 rng(11);
    for (int trial = 0; trial < 3000; ++trial) {
        std::vector<size_t> sizes(1 + rng.below(trial % 3 == 0 ? 60 : 9));
        size_t n = 0;
        for (auto& v : sizes) n += (v = rng.below(trial % 2 ? 5 : 400));
        if (n == 0) continue;
        tb::SplitRatios r;
        r.val = static_cast<double>(rng.below(300)) / 1000.0;
        r.test = static_cast<double>(rng.below(300)) / 1000.0;
        r.train = 1.0 - r.val - r.test;
        auto t = tb::split_counts(n, r);
        ASSERT_TRUE(t.ok());
        const std::array<size_t, 3> totals = {t->train, t->val, t->test};
        auto cells = tb::controlled_rounding(sizes, totals);
        std::array<size_t, 3> col{};
        for (size_t c = 0; c < sizes.size(); ++c) {
            size_t row = 0;
            for (size_t s = 0; s < 3; ++s) {
                const size_t num = sizes[c] * totals[s];
                ASSERT_TRUE(cells[c][s] == num / n || (num % n != 0 && cells[c][s] == num / n + 1))
                    << "trial " << trial << " cell " << c << "," << s;
                row += cells[c][s];
                col[s] += cells[c][s];
            }
            ASSERT_EQ(row, sizes[c]) << "trial " << trial;
        }
        ASSERT_EQ(col, totals) << "trial " << trial;
    }
}

TEST(Split, TinyAndDegenerateInputs) {
    std::vector<tb::Example> one(1);
    tb::SplitOptions o;
    auto s = tb::split_dataset(one, o);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->train.size(), 1u);
    o.stratify = true;
    s = tb::split_dataset(one, o);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->train.size() + s->val.size() + s->test.size(), 1u);
    // Many singleton categories: quotas must never exceed a category's rows.
    std::vector<tb::Example> singles(40);
    for (size_t i = 0; i < singles.size(); ++i) singles[i].category = "c" + std::to_string(i);
    o.ratios = {0.5, 0.25, 0.25};
    s = tb::split_dataset(singles, o);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->train.size(), 20u);
    EXPECT_EQ(s->val.size(), 10u);
    EXPECT_EQ(s->test.size(), 10u);
    expect_partition(s.value(), singles.size());
    auto e = tb::split_dataset(singles, tb::SplitOptions{{0.5, 0.5, 0.5}, 1, false});
    EXPECT_FALSE(e.ok());
}

}  // namespace
