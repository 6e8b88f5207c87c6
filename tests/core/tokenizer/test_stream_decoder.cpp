// StreamDecoder: chunks are always valid UTF-8 and concatenate to Tokenizer::decode().
#include <gtest/gtest.h>

#include <random>

#include "core/tokenizer/stream_decoder.h"
#include "tests/core/tokenizer/tokenizer_test_util.h"

using Ids = std::vector<int64_t>;

namespace {

struct Streamed {
    std::vector<std::string> chunks;
    std::string text;
};

Streamed stream(std::shared_ptr<const tb::Tokenizer> tok, const Ids& ids, bool skip) {
    tb::StreamDecoder sd(tok, skip);
    Streamed s;
    for (auto id : ids) s.chunks.push_back(sd.push(id));
    s.chunks.push_back(sd.flush());
    for (const auto& c : s.chunks) s.text += c;
    EXPECT_EQ(sd.text(), s.text);
    return s;
}

void expect_consistent(std::shared_ptr<const tb::Tokenizer> tok, const Ids& ids) {
    for (bool skip : {true, false}) {
        Streamed s = stream(tok, ids, skip);
        for (const auto& c : s.chunks) EXPECT_TRUE(tbtest::is_valid_utf8(c)) << "broken chunk";
        EXPECT_EQ(s.text, tok->decode(ids, skip)) << "skip=" << skip;
    }
}

}  // namespace

TEST(StreamDecoder, EmojiCjkAndAccentsMatchDecode) {
    auto tok = tbtest::load_llama("stream_texts");
    ASSERT_TRUE(tok);
    const std::vector<std::string> texts = {
        "Hello world",
        "emoji \xF0\x9F\x98\x80\xF0\x9F\x8E\x89 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD family "
        "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3"
        "\x83\x88"
        "\xE3\x80\x82\xE4\xB8\xAD\xE6\x96\x87\xE6\xB5\x8B\xE8\xAF\x95",
        "caf\xC3\xA9 \xC3\x85ngstr\xC3\xB6m \xF0\x9D\x94\x98\xF0\x9D\x94\xAB",
        "  leading spaces\nand\ttabs  ",
        "with </s> eos and <s> bos",
    };
    for (const auto& t : texts) {
        SCOPED_TRACE(t);
        Ids ids = tok->encode(t, true);
        expect_consistent(tok, ids);
        EXPECT_EQ(stream(tok, tok->encode(t, false), false).text, t.substr(t[0] == ' ' ? 1 : 0));
    }
}

TEST(StreamDecoder, HoldsIncompleteCharacters) {
    auto tok = tbtest::load_llama("stream_bytes");
    ASSERT_TRUE(tok);
    tb::StreamDecoder sd(tok);
    // F0 9F 98 80 = U+1F600, as byte-fallback ids (byte + 3), then "▁Hello".
    EXPECT_EQ(sd.push(243), "");
    EXPECT_EQ(sd.push(162), "");
    EXPECT_EQ(sd.push(155), "");
    EXPECT_TRUE(sd.pending());
    EXPECT_EQ(sd.push(131), "");  // complete, but the run could still continue
    EXPECT_EQ(sd.push(15043), "\xF0\x9F\x98\x80 Hello");
    EXPECT_FALSE(sd.pending());
    EXPECT_EQ(sd.flush(), "");
    EXPECT_EQ(sd.text(), tok->decode({243, 162, 155, 131, 15043}));
}

TEST(StreamDecoder, InvalidRunsBecomeReplacementCharacters) {
    auto tok = tbtest::load_llama("stream_invalid");
    ASSERT_TRUE(tok);
    tb::StreamDecoder sd(tok);
    EXPECT_EQ(sd.push(15043), "Hello");
    EXPECT_EQ(sd.push(243), "");
    EXPECT_EQ(sd.push(162), "");
    EXPECT_EQ(sd.flush(),
              "\xEF\xBF\xBD\xEF\xBF\xBD");  // unfinished at the end: one U+FFFD per byte
    EXPECT_EQ(sd.text(), tok->decode({15043, 243, 162}));
    // Run ended by a normal token, not valid UTF-8: the whole run is replaced (HF semantics),
    // including the complete "€" (E2 82 AC) before the stray E2.
    expect_consistent(tok, {229, 133, 175, 229, 15043});
    EXPECT_EQ(tok->decode({229, 133, 175, 229, 15043}),
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD Hello");
}

TEST(StreamDecoder, LeadingSpaceRuleMatchesDecode) {
    auto tok = tbtest::load_llama("stream_space");
    ASSERT_TRUE(tok);
    tb::StreamDecoder sd(tok);
    EXPECT_EQ(sd.push(1), "");      // <s> skipped
    EXPECT_EQ(sd.push(29871), "");  // "▁" -> " " -> the one stripped leading space
    EXPECT_EQ(sd.push(15043), " Hello");
    EXPECT_EQ(sd.text(), tok->decode({1, 29871, 15043}, true));
    expect_consistent(tok, {29871, 29871, 15043});
    expect_consistent(tok, {1, 15043, 2, 3186});
    expect_consistent(tok, {2, 15043});
}

TEST(StreamDecoder, SkippedSpecialTokensDoNotSplitByteRuns) {
    auto tok = tbtest::load_llama("stream_special");
    ASSERT_TRUE(tok);
    Ids ids = {243, 162, 2, 155, 131};
    EXPECT_EQ(tok->decode(ids, true), "\xF0\x9F\x98\x80");
    EXPECT_EQ(tok->decode(ids, false), "\xEF\xBF\xBD\xEF\xBF\xBD</s>\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_consistent(tok, ids);
}

TEST(StreamDecoder, RandomSequences) {
    auto tok = tbtest::load_llama("stream_random");
    ASSERT_TRUE(tok);
    std::mt19937 rng(1234);
    // Mostly byte tokens of multi-byte sequences, some pieces, specials and junk ids.
    const Ids pool = {243,   162,   155,  131, 229, 133, 175, 198,   172,   3 + 0x41,
                      29871, 15043, 3186, 13,  0,   1,   2,   31999, 32000, -1};
    for (int trial = 0; trial < 300; ++trial) {
        Ids ids(static_cast<size_t>(rng() % 12));
        for (auto& id : ids) id = pool[rng() % pool.size()];
        SCOPED_TRACE(trial);
        expect_consistent(tok, ids);
    }
}

TEST(StreamDecoder, ResetStartsOver) {
    auto tok = tbtest::load_llama("stream_reset");
    ASSERT_TRUE(tok);
    tb::StreamDecoder sd(tok);
    sd.push(15043);
    sd.push(243);
    sd.reset();
    EXPECT_FALSE(sd.pending());
    EXPECT_EQ(sd.text(), "");
    EXPECT_EQ(sd.push(15043), "Hello");
}
