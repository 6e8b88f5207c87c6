// ROUGE on small cases counted by hand, following rouge-score's rouge_scorer.py.
#include <gtest/gtest.h>

#include "core/metrics/rouge.h"

using namespace tb::metrics;

using Tokens = std::vector<std::string>;

TEST(RougeTokenize, LowercasesAndSplitsOnNonAlnum) {
    EXPECT_EQ(rouge_tokenize("The quick-brown FOX, 42!", false),
              (Tokens{"the", "quick", "brown", "fox", "42"}));
    EXPECT_EQ(rouge_tokenize("caf\u00e9 na\u00efve \u4e2d\u6587 x\U0001F600y", false),
              (Tokens{"caf", "na", "ve", "x", "y"}));
    EXPECT_EQ(rouge_tokenize("", false), Tokens{});
    EXPECT_EQ(rouge_tokenize("...", false), Tokens{});
}

TEST(RougeTokenize, PythonLowerMapsTwoCodePointsToAscii) {
    // "\u0130".lower() == "i\u0307"; "\u212a" (Kelvin) lowers to "k".
    EXPECT_EQ(rouge_tokenize("\u0130stanbul", false), (Tokens{"i", "stanbul"}));
    EXPECT_EQ(rouge_tokenize("\u212aelvin", false), (Tokens{"kelvin"}));
}

TEST(RougeTokenize, StemsOnlyTokensLongerThanThree) {
    EXPECT_EQ(rouge_tokenize("running dogs ran cats", true), (Tokens{"run", "dog", "ran", "cat"}));
    EXPECT_EQ(rouge_tokenize("ties", true), (Tokens{"tie"}));
    EXPECT_EQ(rouge_tokenize("lies", true), (Tokens{"lie"}));
}

TEST(Rouge, NgramAndLcsScores) {
    auto s = rouge_score("the cat sat on the mat", "the cat on the mat");
    // unigrams: 5 of 5 predicted match, 5 of 6 target
    EXPECT_DOUBLE_EQ(s.rouge1.precision, 1.0);
    EXPECT_DOUBLE_EQ(s.rouge1.recall, 5.0 / 6);
    EXPECT_DOUBLE_EQ(s.rouge1.fmeasure, 2 * 1.0 * (5.0 / 6) / (1.0 + 5.0 / 6));
    // bigrams: {the cat, on the, the mat} of 4 predicted / 5 target
    EXPECT_DOUBLE_EQ(s.rouge2.precision, 0.75);
    EXPECT_DOUBLE_EQ(s.rouge2.recall, 0.6);
    // LCS "the cat on the mat" = 5
    EXPECT_DOUBLE_EQ(s.rougeL.precision, 1.0);
    EXPECT_DOUBLE_EQ(s.rougeL.recall, 5.0 / 6);
    // single line: rougeLsum equals rougeL
    EXPECT_DOUBLE_EQ(s.rougeLsum.fmeasure, s.rougeL.fmeasure);
}

TEST(Rouge, EmptySidesScoreZero) {
    auto s = rouge_score("some words", "");
    EXPECT_EQ(s.rouge1.fmeasure, 0.0);
    EXPECT_EQ(s.rougeL.fmeasure, 0.0);
    EXPECT_EQ(s.rougeLsum.fmeasure, 0.0);
    auto t = rouge_score("", "");
    EXPECT_EQ(t.rouge2.fmeasure, 0.0);
    // one-token texts have no bigrams: precision = recall = 0 / max(0, 1)
    EXPECT_EQ(rouge_score("a", "a").rouge2.fmeasure, 0.0);
    EXPECT_EQ(rouge_score("a", "a").rouge1.fmeasure, 1.0);
}

TEST(Rouge, LsumUnionLcsOverNewlineSentences) {
    // target [a b c] [d e], prediction [a c] [d x e]: union LCS hits a, c and d, e -> 4 of 5/5.
    auto s = rouge_score("a b c\nd e", "a c\nd x e");
    EXPECT_DOUBLE_EQ(s.rougeLsum.precision, 0.8);
    EXPECT_DOUBLE_EQ(s.rougeLsum.recall, 0.8);
    // rougeL ignores the newlines: LCS of "a b c d e" and "a c d x e" = a c d e = 4
    EXPECT_DOUBLE_EQ(s.rougeL.recall, 0.8);
}

TEST(Rouge, LsumGuardsAgainstDoubleCounting) {
    // target "a b" twice, prediction once: the second target sentence finds its union LCS but
    // the prediction's tokens are used up -> hits 2, recall 2/4, precision 2/2.
    auto s = rouge_score("a b\na b", "a b");
    EXPECT_DOUBLE_EQ(s.rougeLsum.recall, 0.5);
    EXPECT_DOUBLE_EQ(s.rougeLsum.precision, 1.0);
    // "a a" vs "a\na": both prediction sentences align to target index 1 -> union {1}, 1 hit.
    auto t = rouge_score("a a", "a\na");
    EXPECT_DOUBLE_EQ(t.rougeLsum.fmeasure, 0.5);
    // empty pieces are dropped; a whitespace-only line is a sentence without tokens
    auto u = rouge_score("x y\n\n \n", "x\ny");
    EXPECT_DOUBLE_EQ(u.rougeLsum.fmeasure, 1.0);
}

TEST(Rouge, StemmerOption) {
    EXPECT_EQ(rouge_score("run dog", "running dogs").rouge1.fmeasure, 0.0);
    EXPECT_EQ(rouge_score("run dog", "running dogs", RougeOptions{true}).rouge1.fmeasure, 1.0);
}

TEST(Rouge, MultiReferencePicksBestPerType) {
    // ref 1 wins on rouge1 (all words present, order scrambled); ref 2 wins on rouge2 / L.
    auto m = rouge_score_multi({"c b a", "a b x y"}, "a b c");
    ASSERT_TRUE(m.ok());
    EXPECT_DOUBLE_EQ(m->rouge1.fmeasure, 1.0);
    EXPECT_DOUBLE_EQ(m->rouge2.fmeasure, rouge_score("a b x y", "a b c").rouge2.fmeasure);
    EXPECT_GT(m->rouge2.fmeasure, 0.0);
    EXPECT_FALSE(rouge_score_multi({}, "x").ok());
}
