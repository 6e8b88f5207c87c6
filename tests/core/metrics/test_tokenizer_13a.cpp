// sacrebleu 13a tokenizer: expected outputs derived by hand from the four regexes of
// sacrebleu/tokenizers/tokenizer_re.py and the replacements of tokenizer_13a.py.
#include <gtest/gtest.h>

#include "core/metrics/py_text.h"
#include "core/metrics/tokenizer_13a.h"

using tb::metrics::py_rstrip;
using tb::metrics::py_split;
using tb::metrics::tokenize_13a;

TEST(Tokenizer13a, SplitsAsciiPunctuation) {
    EXPECT_EQ(tokenize_13a("Hello, world!"), "Hello , world !");
    EXPECT_EQ(tokenize_13a("(a+b)*c=d?"), "( a + b ) * c = d ?");
    EXPECT_EQ(tokenize_13a("$5 at @home #1 {x} [y] ~z `q` ^ _ | \\ / % &"),
              "$ 5 at @ home # 1 { x } [ y ] ~ z ` q ` ^ _ | \\ / % &");
}

TEST(Tokenizer13a, KeepsApostropheAndPlainHyphen) {
    EXPECT_EQ(tokenize_13a("It's well-known"), "It's well-known");
    EXPECT_EQ(tokenize_13a("a - b"), "a - b");
}

TEST(Tokenizer13a, PeriodAndCommaAroundDigits) {
    EXPECT_EQ(tokenize_13a("It's 3.14, not 3,14."), "It's 3.14 , not 3,14 .");
    EXPECT_EQ(tokenize_13a("1.000,5"), "1.000,5");
    EXPECT_EQ(tokenize_13a("a.b,c"), "a . b , c");
    EXPECT_EQ(tokenize_13a("x..."), "x . . .");
    EXPECT_EQ(tokenize_13a(".5 5."), ". 5 5 .");
}

TEST(Tokenizer13a, DashAfterDigit) {
    EXPECT_EQ(tokenize_13a("3-4"), "3 - 4");
    EXPECT_EQ(tokenize_13a("2020-2021 a-b"), "2020 - 2021 a-b");
}

TEST(Tokenizer13a, ReplacementsInOrder) {
    EXPECT_EQ(tokenize_13a("&quot;hi&quot;"), "\" hi \"");
    // &amp; is unescaped before &lt;, so "&amp;lt;" becomes "<".
    EXPECT_EQ(tokenize_13a("&amp;lt; &gt;"), "< >");
    EXPECT_EQ(tokenize_13a("&apos;"), "& apos ;");
    EXPECT_EQ(tokenize_13a("<skipped>gone"), "gone");
    EXPECT_EQ(tokenize_13a("hyphen-\nated two\nlines"), "hyphenated two lines");
}

TEST(Tokenizer13a, UnicodeWhitespaceAndNonAscii) {
    // NBSP, ideographic space, line separator and NEL are whitespace for Python's str.split();
    // the zero-width space is not.
    EXPECT_EQ(tokenize_13a("a\u00a0b\u3000c\u2028d\u0085e"), "a b c d e");
    EXPECT_EQ(tokenize_13a("a\u200bb"), "a\u200bb");
    EXPECT_EQ(tokenize_13a("caf\u00e9."), "caf\u00e9 .");
    EXPECT_EQ(tokenize_13a(".\u00e9"), ". \u00e9");
    EXPECT_EQ(tokenize_13a("\u4e2d\u6587\u3002"), "\u4e2d\u6587\u3002");
    EXPECT_EQ(tokenize_13a(""), "");
    EXPECT_EQ(tokenize_13a(" \t "), "");
}

TEST(PyText, SplitAndStripFollowPythonWhitespace) {
    auto parts = py_split(
        "\x1c"
        "a\tb\u2009c\u200bd ");
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[0], "a");
    EXPECT_EQ(parts[1], "b");
    EXPECT_EQ(parts[2], "c\u200bd");
    EXPECT_EQ(py_rstrip("x y\u00a0\n"), "x y");
    EXPECT_EQ(py_rstrip("x-\n"), "x-");
}
