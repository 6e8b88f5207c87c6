// chrF / chrF++ / TER building blocks on cases small enough to count by hand; the comparison
// with sacrebleu itself is test_chrf_ter_fixtures.cpp.
#include <gtest/gtest.h>

#include "core/metrics/chrf.h"
#include "core/metrics/py_lower.h"
#include "core/metrics/ter.h"

using namespace tb::metrics;

TEST(PyLower, MatchesPythonOnSpecialCases) {
    EXPECT_EQ(py_lower_utf8("ABC xyz 123"), "abc xyz 123");
    EXPECT_EQ(py_lower_utf8("\xC3\x89"
                            "COLE"),
              "\xC3\xA9"
              "cole");                                     // École
    EXPECT_EQ(py_lower_utf8("\xC4\xB0"), "i\xCC\x87");     // İ -> i + U+0307
    EXPECT_EQ(py_lower_utf8("\xE1\xBA\x9E"), "\xC3\x9F");  // ẞ -> ß
    // Final sigma: ΟΔΟΣ -> οδος (ς), a lone Σ stays σ, Σ before a letter is σ.
    EXPECT_EQ(py_lower_utf8("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3"),
              "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82");
    EXPECT_EQ(py_lower_utf8("\xCE\xA3"), "\xCF\x83");
    EXPECT_EQ(py_lower_utf8("\xCE\xA3"
                            "A"),
              "\xCF\x83"
              "a");
    // A case-ignorable mark between the letter and Σ is skipped: AͅΣ -> aͅς.
    EXPECT_EQ(py_lower_utf8("A\xCD\x85\xCE\xA3"), "a\xCD\x85\xCF\x82");
    EXPECT_EQ(py_lower_utf8(""), "");
}

TEST(Chrf, IdenticalDisjointAndHandCountedScores) {
    EXPECT_DOUBLE_EQ(*sentence_chrf("the cat", {"the cat"}), 100.0);
    EXPECT_DOUBLE_EQ(*sentence_chrf("abc", {"xyz"}), 0.0);
    EXPECT_DOUBLE_EQ(*sentence_chrf("", {"xyz"}), 0.0);
    EXPECT_DOUBLE_EQ(*sentence_chrf("xyz", {""}), 0.0);
    // "ab" vs "abc": unigrams P=2/2 R=2/3, bigrams P=1/1 R=1/2; orders 3..6 have no hypothesis
    // n-gram and drop out (effective order 2): P=1, R=7/12, F2 = 5PR/(4P+R).
    const double p = 1.0, r = (2.0 / 3 + 1.0 / 2) / 2;
    EXPECT_NEAR(*sentence_chrf("ab", {"abc"}), 100 * 5 * p * r / (4 * p + r), 1e-12);
    // Whitespace is removed before character n-grams.
    EXPECT_DOUBLE_EQ(*sentence_chrf("a b", {"ab"}), 100.0);
    // The best reference decides, and its statistics are the segment's.
    auto st = chrf_segment_stats("ab", {"zz", "ab"});
    ASSERT_TRUE(st.ok());
    EXPECT_DOUBLE_EQ(chrf_from_stats(*st), 100.0);
    EXPECT_FALSE(sentence_chrf("a", {}).ok());
}

TEST(Chrf, PlusPlusSplitsPunctuationOffWords) {
    const ChrfOptions pp = ChrfOptions::chrf_plus_plus();
    auto st = chrf_segment_stats("(hi) there,", {"(hi) there,"}, pp);
    ASSERT_TRUE(st.ok());
    ASSERT_EQ(st->counts.size(), 3u * 8);
    // Words: "(hi" ")" "there" "," -> 4 unigrams, 3 bigrams, all matched.
    EXPECT_EQ(st->counts[18], 4);
    EXPECT_EQ(st->counts[20], 4);
    EXPECT_EQ(st->counts[21], 3);
    EXPECT_EQ(st->counts[23], 3);
}

TEST(Ter, HandCountedEdits) {
    auto words = [](std::initializer_list<const char*> w) {
        return std::vector<std::string>(w.begin(), w.end());
    };
    EXPECT_EQ(*translation_edit_rate(words({"a", "b", "c"}), words({"a", "b", "c"})), 0);
    EXPECT_EQ(*translation_edit_rate(words({"a", "b", "c"}), words({"a", "b", "c", "d"})), 1);
    EXPECT_EQ(*translation_edit_rate(words({}), words({"a", "b"})), 2);
    EXPECT_EQ(*translation_edit_rate(words({"a", "b"}), words({})), 2);
    // One block shift instead of four substitutions.
    EXPECT_EQ(*translation_edit_rate(words({"c", "d", "a", "b"}), words({"a", "b", "c", "d"})), 1);
    // Case-insensitive, trailing whitespace ignored; corpus = total edits / total ref length.
    EXPECT_DOUBLE_EQ(*sentence_ter("A B C  \n", {"a b c"}), 0.0);
    EXPECT_DOUBLE_EQ(*sentence_ter("x", {""}), 100.0);
    EXPECT_DOUBLE_EQ(*sentence_ter("", {""}), 0.0);
    EXPECT_DOUBLE_EQ(*corpus_ter({"a b c", "x y"}, {{"a b c d"}, {"x y z w"}}), 100.0 * 3 / 8);
    // Multiple references: fewest edits, mean reference length.
    auto st = ter_segment_stats("a b c", {"a b c d", "q"});
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->edits, 1);
    EXPECT_DOUBLE_EQ(st->ref_length, 2.5);
    EXPECT_FALSE(sentence_ter("a", {}).ok());
}
