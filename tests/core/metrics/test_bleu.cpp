// BLEU on small cases whose statistics are counted by hand; the scores follow sacrebleu's
// compute_bleu formula written out in the test.
#include <gtest/gtest.h>

#include <cmath>

#include "core/metrics/bleu.h"

using namespace tb::metrics;

TEST(Bleu, IdenticalIs100) {
    auto s = sentence_bleu("The cat sat on the mat.", {"The cat sat on the mat."});
    ASSERT_TRUE(s.ok());
    EXPECT_DOUBLE_EQ(s->score, 100.0);
    EXPECT_EQ(s->sys_len, 7);  // "." is its own token
    EXPECT_EQ(s->ref_len, 7);
    EXPECT_EQ(s->counts, (std::array<int64_t, 4>{7, 6, 5, 4}));
    EXPECT_DOUBLE_EQ(s->bp, 1.0);
}

TEST(Bleu, ClippingAndExpSmoothing) {
    // hyp: the the the the (4 tokens); ref: the cat.
    // 1-grams: 1 of 4 correct (clipped); 2-grams 0/3; 3-grams 0/2; 4-grams 0/1.
    auto c = corpus_bleu({"the the the the"}, {{"the cat"}});
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->counts, (std::array<int64_t, 4>{1, 0, 0, 0}));
    EXPECT_EQ(c->totals, (std::array<int64_t, 4>{4, 3, 2, 1}));
    const double p1 = 25.0, p2 = 100.0 / (2 * 3), p3 = 100.0 / (4 * 2), p4 = 100.0 / (8 * 1);
    EXPECT_DOUBLE_EQ(c->precisions[1], p2);
    EXPECT_DOUBLE_EQ(c->precisions[2], p3);
    EXPECT_DOUBLE_EQ(c->precisions[3], p4);
    const double expected =
        std::exp((std::log(p1) + std::log(p2) + std::log(p3) + std::log(p4)) / 4);
    EXPECT_DOUBLE_EQ(c->score, expected);
    EXPECT_NEAR(c->score, 15.97358, 1e-5);
}

TEST(Bleu, BrevityPenaltyAndEffectiveOrder) {
    // hyp "a b" vs ref "a b c d": bp = exp(1 - 4/2); no 3-grams in the hypothesis.
    auto sent = sentence_bleu("a b", {"a b c d"});
    ASSERT_TRUE(sent.ok());
    EXPECT_DOUBLE_EQ(sent->bp, std::exp(-1.0));
    EXPECT_DOUBLE_EQ(sent->score, std::exp(-1.0) * 100.0);  // effective order 2
    auto corp = corpus_bleu({"a b"}, {{"a b c d"}});
    ASSERT_TRUE(corp.ok());
    EXPECT_LT(corp->score, 1e-300);  // order 4 with zero 3/4-gram totals -> log floor
    EXPECT_DOUBLE_EQ(corp->precisions[0], 100.0);
    EXPECT_DOUBLE_EQ(corp->precisions[2], 0.0);
}

TEST(Bleu, ClosestReferenceLengthPrefersShorterOnTie) {
    // hyp has 5 tokens; refs have 3 and 7 -> both differ by 2 -> 3 is taken.
    auto s = bleu_segment_stats("a b c d e", {"a b c d e f g", "a b c"});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->ref_len, 3);
    // multi-reference clipping uses the max count per reference: "a" occurs twice in ref 2.
    auto m = bleu_segment_stats("a a a", {"a b", "a a c"});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->correct[0], 2);
    EXPECT_EQ(m->correct[1], 1);  // "a a"
}

TEST(Bleu, EmptyHypothesisAndEmptyReferences) {
    auto s = sentence_bleu("", {"a b c"});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->score, 0.0);
    EXPECT_EQ(s->bp, 0.0);
    EXPECT_EQ(s->sys_len, 0);
    // sacrebleu 2.6 keeps "" as a reference of length 0: with lengths {7, 0} a 3-token
    // hypothesis is closer to 0, so there is no brevity penalty.
    auto e = sentence_bleu("a b c", {"a b c d e f g", ""});
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->ref_len, 0);
    EXPECT_DOUBLE_EQ(e->bp, 1.0);
    auto d = bleu_segment_stats("x y", {"", "x y"});
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->ref_len, 2);
    auto only_empty = sentence_bleu("x", {""});
    ASSERT_TRUE(only_empty.ok());
    EXPECT_EQ(only_empty->score, 0.0);
    EXPECT_EQ(only_empty->ref_len, 0);
    EXPECT_FALSE(sentence_bleu("x", {}).ok());
    auto c = corpus_bleu({"a", "b"}, {{"a"}, {}});
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("item 1"), std::string::npos);
    EXPECT_FALSE(corpus_bleu({"a"}, {}).ok());
}

TEST(Bleu, CorpusSumsStatistics) {
    auto a = bleu_segment_stats("the cat sat", {"the cat sat down"});
    auto b = bleu_segment_stats("on the mat today", {"on the mat"});
    ASSERT_TRUE(a.ok() && b.ok());
    BleuStats sum = *a;
    sum += *b;
    auto c =
        corpus_bleu({"the cat sat", "on the mat today"}, {{"the cat sat down"}, {"on the mat"}});
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->sys_len, 7);
    EXPECT_EQ(c->ref_len, 7);
    EXPECT_DOUBLE_EQ(c->score, bleu_from_stats(sum).score);
    // 1-grams 6/7, 2-grams 4/5, 3-grams 2/3, 4-grams 0/1 -> exp smoothing 100/(2*1)
    EXPECT_EQ(c->counts, (std::array<int64_t, 4>{6, 4, 2, 0}));
    EXPECT_DOUBLE_EQ(c->precisions[3], 50.0);
    const double expected =
        std::exp((std::log(600.0 / 7) + std::log(80.0) + std::log(200.0 / 3) + std::log(50.0)) / 4);
    EXPECT_NEAR(c->score, expected, 1e-12);
}

TEST(Bleu, NoSmoothingGivesZeroWithMissingOrder) {
    BleuStats s;
    s.sys_len = s.ref_len = 4;
    s.correct = {4, 3, 2, 0};
    s.total = {4, 3, 2, 1};
    EXPECT_LT(bleu_from_stats(s, {BleuSmooth::kNone, false}).score, 1e-300);
    EXPECT_GT(bleu_from_stats(s, {BleuSmooth::kExp, false}).score, 1.0);
}
