// NLTK PorterStemmer (NLTK_EXTENSIONS mode): NLTK's own unit-test assertions, the paper's examples
// as NLTK stems them, and a committed word list stemmed by NLTK 3.8
// (data/porter_nltk_reference.tsv, made by data/gen_porter_reference.py).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/metrics/porter_stemmer.h"

using tb::metrics::porter_stem;

TEST(PorterStemmer, NltkUnitTestAssertions) {
    // nltk/test/unit/test_stem.py
    EXPECT_EQ(porter_stem("oed"), "o");
    EXPECT_EQ(porter_stem("On"), "on");
    EXPECT_EQ(porter_stem("I"), "i");
    EXPECT_EQ(porter_stem("Github"), "github");
}

TEST(PorterStemmer, PaperExamplesAndNltkExtensions) {
    EXPECT_EQ(porter_stem("caresses"), "caress");
    EXPECT_EQ(porter_stem("ponies"), "poni");
    EXPECT_EQ(porter_stem("ties"), "tie");  // NLTK extension: 4-letter -ies -> -ie
    EXPECT_EQ(porter_stem("cats"), "cat");
    EXPECT_EQ(porter_stem("feed"), "feed");
    EXPECT_EQ(porter_stem("agreed"), "agre");
    EXPECT_EQ(porter_stem("plastered"), "plaster");
    EXPECT_EQ(porter_stem("motoring"), "motor");
    EXPECT_EQ(porter_stem("sing"), "sing");
    EXPECT_EQ(porter_stem("hopping"), "hop");
    EXPECT_EQ(porter_stem("falling"), "fall");
    EXPECT_EQ(porter_stem("filing"), "file");
    EXPECT_EQ(porter_stem("happy"), "happi");
    EXPECT_EQ(porter_stem("sky"), "sky");
    EXPECT_EQ(porter_stem("skies"), "sky");  // irregular-forms pool
    EXPECT_EQ(porter_stem("dying"), "die");  // irregular-forms pool
    EXPECT_EQ(porter_stem("spied"), "spi");  // NLTK extension for -ied
    EXPECT_EQ(porter_stem("died"), "die");
    EXPECT_EQ(porter_stem("relational"), "relat");
    EXPECT_EQ(porter_stem("generalizations"), "gener");
    EXPECT_EQ(porter_stem("oscillators"), "oscil");
    EXPECT_EQ(porter_stem("running"), "run");
}

TEST(PorterStemmer, MatchesNltkOnReferenceWordList) {
    const std::string path = std::string(TB_METRICS_TEST_DATA) + "/porter_nltk_reference.tsv";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "cannot open " << path;
    std::string line;
    int checked = 0, wrong = 0;
    std::ostringstream first_errors;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const size_t tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos) << line;
        const std::string word = line.substr(0, tab), expected = line.substr(tab + 1);
        const std::string got = porter_stem(word);
        ++checked;
        if (got != expected && ++wrong <= 10)
            first_errors << word << ": expected " << expected << ", got " << got << "\n";
    }
    EXPECT_GT(checked, 4000);
    EXPECT_EQ(wrong, 0) << first_errors.str();
}
