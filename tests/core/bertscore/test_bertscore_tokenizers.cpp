// Hand-made tokenizer cases. Expected GPT-2 splits were produced with Python's `regex` module
// and the GPT-2 pattern; BERT cases follow transformers' BasicTokenizer/WordpieceTokenizer.
#include <gtest/gtest.h>

#include <fstream>

#include "core/bertscore/sentence_encoder.h"
#include "core/bertscore/text_tokenizers.h"
#include "core/bertscore/unicode_props.h"
#include "tests/test_paths.h"

using namespace tb::bertscore;
using Strings = std::vector<std::string>;

TEST(Gpt2Pretokenize, MatchesRegexOnHandCases) {
    EXPECT_EQ(gpt2_pretokenize("Hello world"), (Strings{"Hello", " world"}));
    EXPECT_EQ(gpt2_pretokenize(" Hello  world "), (Strings{" Hello", " ", " world", " "}));
    EXPECT_EQ(gpt2_pretokenize("it's we're they've I'm you'll he'd 'quoted'"),
              (Strings{"it", "'s", " we", "'re", " they", "'ve", " I", "'m", " you", "'ll", " he",
                       "'d", " '", "quoted", "'"}));
    EXPECT_EQ(gpt2_pretokenize("abc123def 456"), (Strings{"abc", "123", "def", " 456"}));
    EXPECT_EQ(gpt2_pretokenize("a\tb\nc\r\nd"),
              (Strings{"a", "\t", "b", "\n", "c", "\r", "\n", "d"}));
    EXPECT_EQ(gpt2_pretokenize("trailing spaces   "), (Strings{"trailing", " spaces", "   "}));
    EXPECT_EQ(gpt2_pretokenize("x  \n  y"), (Strings{"x", "  \n ", " y"}));
    EXPECT_EQ(gpt2_pretokenize("'s's'S"), (Strings{"'s", "'s", "'", "S"}));
    EXPECT_EQ(gpt2_pretokenize("don't DON'T"), (Strings{"don", "'t", " DON", "'", "T"}));
    EXPECT_EQ(gpt2_pretokenize("caf\u00e9 \u4e2d\u6587 \U0001F600!"),
              (Strings{"caf\u00e9", " \u4e2d\u6587", " \U0001F600!"}));
    EXPECT_EQ(gpt2_pretokenize("\u0663\u0664 \u00b2\u00b3"),
              (Strings{"\u0663\u0664", " \u00b2\u00b3"}));
    EXPECT_EQ(gpt2_pretokenize("...!!! ?"), (Strings{"...!!!", " ?"}));
    EXPECT_TRUE(gpt2_pretokenize("").empty());
}

TEST(Gpt2Bytes, BytesToUnicodeTable) {
    EXPECT_EQ(gpt2_byte_to_unicode(0x00), 0x100u);
    EXPECT_EQ(gpt2_byte_to_unicode(0x20), 0x120u);  // 'Ġ'
    EXPECT_EQ(gpt2_byte_to_unicode(0x0A), 0x10Au);  // 'Ċ'
    EXPECT_EQ(gpt2_byte_to_unicode(0x7F), 0x121u);
    EXPECT_EQ(gpt2_byte_to_unicode(0xA0), 0x142u);
    EXPECT_EQ(gpt2_byte_to_unicode(0xAD), 0x143u);
    EXPECT_EQ(gpt2_byte_to_unicode(0x21), 0x21u);
    EXPECT_EQ(gpt2_byte_to_unicode(0xFF), 0xFFu);
    // all 256 stand-ins are distinct
    std::set<char32_t> seen;
    for (int b = 0; b < 256; ++b) seen.insert(gpt2_byte_to_unicode(static_cast<uint8_t>(b)));
    EXPECT_EQ(seen.size(), 256u);
    EXPECT_EQ(gpt2_byte_encode(" caf\u00e9"), "\u0120caf\u00c3\u00a9");
}

namespace {

void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST(ByteLevelBpe, AppliesMergesByRank) {
    const std::string dir = tbtest::scratch_dir("bpe_hand");
    // Merges: "l o" (rank 0), "lo w" (1), "\u0120 lo" would be rank 2 but "\u0120 low" needs
    // "lo w" first; ranks decide the order.
    write(dir + "/merges.txt", "#version: 0.2\nl o\nlo w\n\u0120 low\ne r\n");
    write(dir + "/vocab.json",
          R"({"<s>":0,"<pad>":1,"</s>":2,"<unk>":3,"l":4,"o":5,"w":6,"e":7,"r":8,)"
          R"("lo":9,"low":10,"\u0120low":11,"er":12,"\u0120":13})");
    auto bpe = ByteLevelBpe::load(dir + "/vocab.json", dir + "/merges.txt");
    ASSERT_TRUE(bpe.ok()) << bpe.error().message;
    EXPECT_EQ(bpe->bpe(gpt2_byte_encode(" lower")), (Strings{"\u0120low", "er"}));
    EXPECT_EQ(bpe->bpe("lolo"), (Strings{"lo", "lo"}));
    EXPECT_EQ(bpe->encode("lower", /*add_prefix_space=*/true), (std::vector<int64_t>{11, 12}));
    EXPECT_EQ(bpe->encode("lower", /*add_prefix_space=*/false), (std::vector<int64_t>{10, 12}));
    // a byte with no vocabulary entry maps to <unk>
    EXPECT_EQ(bpe->encode("z", false), (std::vector<int64_t>{3}));
}

TEST(ByteLevelBpe, BadMergesLineIsAnError) {
    const std::string dir = tbtest::scratch_dir("bpe_bad");
    write(dir + "/merges.txt", "#version: 0.2\nl o\nlow\n");
    write(dir + "/vocab.json", R"({"l":0})");
    auto bpe = ByteLevelBpe::load(dir + "/vocab.json", dir + "/merges.txt");
    ASSERT_FALSE(bpe.ok());
    EXPECT_NE(bpe.error().message.find("merges.txt:3"), std::string::npos) << bpe.error().message;
}

TEST(BertBasicTokenizer, LowerStripAccentsPunctuationCjk) {
    EXPECT_EQ(bert_basic_tokenize("H\u00e9llo, WORLD!", true),
              (Strings{"hello", ",", "world", "!"}));
    EXPECT_EQ(bert_basic_tokenize("H\u00e9llo, WORLD!", false),
              (Strings{"H\u00e9llo", ",", "WORLD", "!"}));
    EXPECT_EQ(bert_basic_tokenize("\u00c5ngstr\u00f6m \u00c9COLE stra\u00dfe", true),
              (Strings{"angstrom", "ecole", "stra\u00dfe"}));
    EXPECT_EQ(bert_basic_tokenize("\u4e2d\u6587abc", true), (Strings{"\u4e2d", "\u6587", "abc"}));
    // control characters vanish, NBSP/ideographic space separate, U+2028 splits (str.split)
    EXPECT_EQ(bert_basic_tokenize("a\x01"
                                  "b\u00a0c\u3000d\u2028e\u200bf",
                                  true),
              (Strings{"ab", "c", "d", "ef"}));  // U+200B is Cf: removed
    // Hangul decomposes into jamo under NFD (no Mn to strip)
    EXPECT_EQ(bert_basic_tokenize("\ud55c", true), (Strings{"\u1112\u1161\u11ab"}));
    EXPECT_EQ(bert_basic_tokenize("\u0130x \u03a9mega", true), (Strings{"ix", "\u03c9mega"}));
    EXPECT_EQ(bert_basic_tokenize("don't 3.14$", true),
              (Strings{"don", "'", "t", "3", ".", "14", "$"}));
    EXPECT_EQ(bert_basic_tokenize("em\u2014dash \u201cq\u201d", true),
              (Strings{"em", "\u2014", "dash", "\u201c", "q", "\u201d"}));
}

TEST(WordPiece, GreedyLongestMatchFirst) {
    const std::string dir = tbtest::scratch_dir("wordpiece_hand");
    write(dir + "/vocab.txt",
          "[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\nwant\n##ed\n,\nrunning\n##s\nu\n##n\n");
    auto wp = WordPiece::load(dir + "/vocab.txt", true);
    ASSERT_TRUE(wp.ok()) << wp.error().message;
    EXPECT_EQ(wp->wordpiece("unaffable"), (Strings{"un", "##aff", "##able"}));
    EXPECT_EQ(wp->wordpiece("unwanted"), (Strings{"[UNK]"}));  // "##want" is not in the vocab
    EXPECT_EQ(wp->wordpiece("wanted"), (Strings{"want", "##ed"}));
    EXPECT_EQ(wp->wordpiece(std::string(101, 'u')), (Strings{"[UNK]"}));
    EXPECT_EQ(wp->encode("UNwanted, running"), (std::vector<int64_t>{1, 9, 10}));
    EXPECT_EQ(wp->encode("Un\u00e1ffable"), (std::vector<int64_t>{4, 5, 6}));

    // sent_encode: strip, specials, truncation to model_max_length
    write(dir + "/tokenizer_config.json", R"({"model_max_length": 4, "do_lower_case": true})");
    auto enc = SentenceEncoder::load(dir);
    ASSERT_TRUE(enc.ok()) << enc.error().message;
    EXPECT_EQ((*enc)->sent_encode("  \n"), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ((*enc)->sent_encode(" wanted "), (std::vector<int64_t>{2, 7, 8, 3}));
    EXPECT_EQ((*enc)->sent_encode("wanted running"), (std::vector<int64_t>{2, 7, 8, 3}));
}

TEST(SentenceEncoder, MissingFolderIsAnError) {
    auto enc = SentenceEncoder::load(tbtest::scratch_dir("no_tokenizer"));
    ASSERT_FALSE(enc.ok());
    EXPECT_NE(enc.error().message.find("no tokenizer files"), std::string::npos);
}
