// Tokenizer on the real Llama-2/TinyLlama SentencePiece model. Expected ids here are ones that
// are documented (transformers' LlamaTokenizer docstrings: "Hello this is a test", the
// legacy/non-legacy "Hello <s>." example) or follow from the vocabulary's structure (byte
// pieces <0xNN> have id NN+3, <unk>/<s>/</s> are 0/1/2). Everything else is compared against
// HF-generated fixtures in test_hf_fixtures.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "core/tokenizer/tokenizer.h"
#include "tests/core/tokenizer/tokenizer_test_util.h"

using tbtest::load_llama;
using tbtest::make_model_dir;
using tbtest::tinyllama_config;
using Ids = std::vector<int64_t>;

TEST(Tokenizer, LoadsTinyLlamaConfig) {
    auto tok = load_llama("tok_load");
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->vocab_size(), 32000);
    EXPECT_EQ(tok->bos_id(), 1);
    EXPECT_EQ(tok->eos_id(), 2);
    EXPECT_EQ(tok->unk_id(), 0);
    EXPECT_EQ(tok->pad_id(), 2);  // pad_token "</s>"
    EXPECT_EQ(tok->bos_token(), "<s>");
    EXPECT_EQ(tok->eos_token(), "</s>");
    EXPECT_TRUE(tok->add_bos_token());
    EXPECT_FALSE(tok->add_eos_token());
    EXPECT_FALSE(tok->legacy());
    EXPECT_EQ(tok->chat_template(), tbtest::tinyllama_template());
    EXPECT_TRUE(tok->is_special(0) && tok->is_special(1) && tok->is_special(2));
    EXPECT_FALSE(tok->is_special(15043));
}

TEST(Tokenizer, KnownIds) {
    auto tok = load_llama("tok_known");
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->encode("Hello"), (Ids{1, 15043}));
    EXPECT_EQ(tok->encode("Hello", false), (Ids{15043}));
    EXPECT_EQ(tok->encode("Hello world"), (Ids{1, 15043, 3186}));
    EXPECT_EQ(tok->encode("Hello this is a test"), (Ids{1, 15043, 445, 338, 263, 1243}));
    EXPECT_EQ(tok->encode(""), (Ids{1}));
    EXPECT_EQ(tok->encode("", false), (Ids{}));
    // Newline is the byte piece <0x0A> = 13, after the '▁' prefix piece 29871.
    EXPECT_EQ(tok->encode("\n", false), (Ids{29871, 13}));
    EXPECT_EQ(tok->id_to_piece(13), "<0x0A>");
    EXPECT_EQ(tok->id_to_piece(3), "<0x00>");
    EXPECT_EQ(tok->id_to_piece(15043), "\xE2\x96\x81Hello");
    EXPECT_EQ(tok->piece_to_id("\xE2\x96\x81Hello"), 15043);
    EXPECT_EQ(tok->piece_to_id("</s>"), 2);
    EXPECT_EQ(tok->piece_to_id("no-such-piece-xyz"), 0);
    EXPECT_EQ(tok->id_to_piece(32000), "");
}

TEST(Tokenizer, LeadingSpaceDoesNotDouble) {
    // HF v5 Metaspace: the '▁' prefix is only added when the text does not start with one.
    auto tok = load_llama("tok_space");
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->encode(" Hello"), tok->encode("Hello"));
    EXPECT_NE(tok->encode("  Hello"), tok->encode(" Hello"));
    EXPECT_EQ(tok->decode(tok->encode("  Hello", false)), " Hello");
}

TEST(Tokenizer, SpecialTokensInTextLegacyFalse) {
    // transformers docstring (legacy=False): "Hello <s>." -> [1, 15043, 29871, 1, 29889]
    auto tok = load_llama("tok_legacy_false", false);
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->encode("Hello <s>."), (Ids{1, 15043, 29871, 1, 29889}));
    EXPECT_EQ(tok->encode("Hello</s>"), (Ids{1, 15043, 2}));
    EXPECT_EQ(tok->encode("</s>"), (Ids{1, 2}));
    EXPECT_EQ(tok->encode("<s>", false), (Ids{1}));
    EXPECT_EQ(tok->encode("<unk>", false), (Ids{0}));
    // After a special token the next segment gets no '▁' prefix (prepend_scheme "first").
    Ids a = tok->encode("x</s>Hello", false);
    auto eos = std::find(a.begin(), a.end(), 2);
    ASSERT_NE(eos, a.end());
    ASSERT_NE(eos + 1, a.end());
    EXPECT_NE(*(eos + 1), 15043);  // "Hello", not "▁Hello"
    EXPECT_EQ(tok->decode(a), "x</s>Hello");
}

TEST(Tokenizer, SpecialTokensInTextLegacyTrue) {
    // transformers docstring (legacy=True): "Hello <s>." -> [1, 15043, 29871, 1, 869] ('▁.')
    auto tok = load_llama("tok_legacy_true", true);
    ASSERT_TRUE(tok);
    EXPECT_TRUE(tok->legacy());
    EXPECT_EQ(tok->encode("Hello <s>."), (Ids{1, 15043, 29871, 1, 869}));
    Ids a = tok->encode("x</s>Hello", false);
    ASSERT_GE(a.size(), 3u);
    EXPECT_EQ(a.back(), 15043);  // every segment gets the prefix
}

TEST(Tokenizer, DecodeRules) {
    auto tok = load_llama("tok_decode");
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->decode({1, 15043, 3186}), "<s> Hello world");
    EXPECT_EQ(tok->decode({1, 15043, 3186}, true), "Hello world");
    EXPECT_EQ(tok->decode({15043, 2, 3186}), "Hello</s> world");
    EXPECT_EQ(tok->decode({15043, 2, 3186}, true), "Hello world");
    EXPECT_EQ(tok->decode({29871, 15043}), " Hello");  // only one leading space is stripped
    // Byte fallback: ▁ + F0 9F 98 80 (U+1F600)
    EXPECT_EQ(tok->decode({29871, 243, 162, 155, 131}), "\xF0\x9F\x98\x80");
    // A byte run that is not valid UTF-8 becomes one U+FFFD per byte.
    EXPECT_EQ(tok->decode({15043, 243, 162}), "Hello\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(tok->decode({131, 15043}), "\xEF\xBF\xBD Hello");
    EXPECT_EQ(tok->decode({}), "");
    EXPECT_EQ(tok->decode({-5, 15043, 99999}), "Hello");  // out-of-range ids skipped (HF)
}

TEST(Tokenizer, RoundTrips) {
    auto tok = load_llama("tok_roundtrip");
    ASSERT_TRUE(tok);
    const std::vector<std::string> texts = {
        "Hello world",
        "caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9",
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3"
        "\x83\x88",
        "emoji \xF0\x9F\x98\x80\xF0\x9F\x8E\x89 done",
        "digits 1234567890 3.14159",
        "line1\nline2\n\n\ttabbed",
        "trailing spaces   ",
        "multiple    spaces",
        "literal </s> and <s> inside",
    };
    for (const auto& t : texts) {
        Ids ids = tok->encode(t, false);
        EXPECT_EQ(tok->decode(ids), t) << t;
        Ids with_bos = tok->encode(t, true);
        ASSERT_FALSE(with_bos.empty());
        EXPECT_EQ(with_bos[0], 1);
        EXPECT_EQ(Ids(with_bos.begin() + 1, with_bos.end()), ids) << t;
        // Llama splits digits into single pieces.
        if (t.rfind("digits", 0) == 0) {
            int digit_pieces = 0;
            for (auto id : ids)
                if (tok->id_to_piece(id).size() == 1 && std::isdigit(tok->id_to_piece(id)[0]))
                    ++digit_pieces;
            EXPECT_EQ(digit_pieces, 16);
        }
    }
}

TEST(Tokenizer, AddEosAndNoBos) {
    auto cfg = tinyllama_config();
    cfg["add_eos_token"] = true;
    cfg["add_bos_token"] = false;
    auto tok = tb::Tokenizer::load(make_model_dir("tok_eos", cfg));
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    EXPECT_EQ(tok.value()->encode("Hello"), (Ids{15043, 2}));
    EXPECT_EQ(tok.value()->encode("Hello", false), (Ids{15043}));
}

TEST(Tokenizer, AddedTokensBeyondVocabulary) {
    auto cfg = tinyllama_config();
    cfg["added_tokens_decoder"]["32000"] = {{"content", "<|im_start|>"}, {"special", true}};
    cfg["added_tokens_decoder"]["32001"] = {{"content", "<|im_end|>"}, {"special", true}};
    cfg["added_tokens_decoder"]["32002"] = {{"content", "<tool>"}, {"special", false}};
    auto r = tb::Tokenizer::load(make_model_dir("tok_added", cfg));
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto tok = r.value();
    EXPECT_EQ(tok->vocab_size(), 32003);
    Ids ids = tok->encode("<|im_start|>user\nHi<|im_end|><tool>", false);
    ASSERT_GE(ids.size(), 4u);
    EXPECT_EQ(ids.front(), 32000);
    EXPECT_EQ(ids[ids.size() - 2], 32001);
    EXPECT_EQ(ids.back(), 32002);
    EXPECT_EQ(tok->decode(ids), "<|im_start|>user\nHi<|im_end|><tool>");
    EXPECT_EQ(tok->decode(ids, true), "user\nHi<tool>");  // non-special added token stays
    EXPECT_EQ(tok->piece_to_id("<|im_end|>"), 32001);
    EXPECT_EQ(tok->id_to_piece(32000), "<|im_start|>");
}

TEST(Tokenizer, AddedTokenIdGapIsClosedLikeHf) {
    // HF appends added tokens after the vocabulary in id order; a requested id past a gap
    // gets the next free id (transformers 5 / tokenizers behaviour, checked with HF).
    auto cfg = tinyllama_config();
    cfg["added_tokens_decoder"]["32005"] = {{"content", "<gap>"}, {"special", true}};
    auto r = tb::Tokenizer::load(make_model_dir("tok_gap", cfg));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value()->vocab_size(), 32001);
    EXPECT_EQ(r.value()->piece_to_id("<gap>"), 32000);
    EXPECT_EQ(r.value()->encode("<gap>", false), (Ids{32000}));
}

TEST(Tokenizer, AddedTokenStripFlags) {
    auto cfg = tinyllama_config();
    cfg["added_tokens_decoder"]["32000"] = {
        {"content", "<sep>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}};
    auto r = tb::Tokenizer::load(make_model_dir("tok_strip", cfg));
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto tok = r.value();
    EXPECT_EQ(tok->encode("Hello  <sep>  world", false), tok->encode("Hello<sep>world", false));
}

TEST(Tokenizer, ChatTemplateSources) {
    // List form: the entry named "default" is used.
    auto cfg = tinyllama_config();
    cfg["chat_template"] = nlohmann::json::array({{{"name", "tool_use"}, {"template", "TOOLS"}},
                                                  {{"name", "default"}, {"template", "DEFAULT"}}});
    auto r = tb::Tokenizer::load(make_model_dir("tok_ct_list", cfg));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value()->chat_template(), "DEFAULT");
    // chat_template.jinja beside the config wins (as in HF).
    std::string dir = make_model_dir("tok_ct_file", tinyllama_config());
    std::ofstream(dir + "/chat_template.jinja") << "{{ messages[0]['content'] }}!";
    auto r2 = tb::Tokenizer::load(dir);
    ASSERT_TRUE(r2.ok()) << r2.error().message;
    auto text = r2.value()->apply_chat_template({{"user", "hi"}}, true);
    ASSERT_TRUE(text.ok()) << text.error().message;
    EXPECT_EQ(text.value(), "hi!");
    // No template at all: apply_chat_template is an error, encode still works.
    auto cfg3 = tinyllama_config();
    cfg3.erase("chat_template");
    auto r3 = tb::Tokenizer::load(make_model_dir("tok_ct_none", cfg3));
    ASSERT_TRUE(r3.ok()) << r3.error().message;
    EXPECT_FALSE(r3.value()->apply_chat_template({{"user", "hi"}}, true).ok());
    EXPECT_EQ(r3.value()->encode("Hello"), (Ids{1, 15043}));
}

TEST(Tokenizer, SpecialTokensMapOverridesConfig) {
    auto cfg = tinyllama_config();
    cfg.erase("pad_token");
    std::string dir = make_model_dir("tok_stm", cfg);
    std::ofstream(dir + "/special_tokens_map.json")
        << R"({"bos_token": {"content": "<s>", "lstrip": false}, "pad_token": "<unk>"})";
    auto r = tb::Tokenizer::load(dir);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value()->pad_id(), 0);
    EXPECT_EQ(r.value()->pad_token(), "<unk>");
}

TEST(Tokenizer, LoadFilesWithDefaults) {
    auto r = tb::Tokenizer::load_files(tbtest::llama_sp_model(), "");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value()->encode("Hello world"), (Ids{1, 15043, 3186}));
    EXPECT_EQ(r.value()->pad_id(), -1);
    EXPECT_EQ(r.value()->chat_template(), "");
}

TEST(Tokenizer, ErrorsNameFileAndField) {
    auto expect_error = [](const tb::Result<std::shared_ptr<tb::Tokenizer>>& r,
                           const std::string& part1, const std::string& part2) {
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find(part1), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(part2), std::string::npos) << r.error().message;
    };
    // Missing files
    std::string empty = tbtest::scratch_dir("tok_err_empty");
    expect_error(tb::Tokenizer::load(empty), "tokenizer.model", "missing");
    std::string no_cfg = tbtest::scratch_dir("tok_err_nocfg");
    std::filesystem::create_symlink(tbtest::llama_sp_model(), no_cfg + "/tokenizer.model");
    expect_error(tb::Tokenizer::load(no_cfg), "tokenizer_config.json", "missing");
    // Wrong types
    auto cfg = tinyllama_config();
    cfg["add_bos_token"] = "yes";
    expect_error(tb::Tokenizer::load(make_model_dir("tok_err_bool", cfg)),
                 "tokenizer_config.json: add_bos_token", "expected true or false");
    cfg = tinyllama_config();
    cfg["bos_token"] = 5;
    expect_error(tb::Tokenizer::load(make_model_dir("tok_err_bos", cfg)),
                 "tokenizer_config.json: bos_token", "content");
    cfg = tinyllama_config();
    cfg["added_tokens_decoder"]["abc"] = {{"content", "x"}};
    expect_error(tb::Tokenizer::load(make_model_dir("tok_err_added", cfg)),
                 "added_tokens_decoder.abc", "integer id");
    cfg = tinyllama_config();
    cfg["chat_template"] = 3;
    expect_error(tb::Tokenizer::load(make_model_dir("tok_err_ct", cfg)),
                 "tokenizer_config.json: chat_template", "expected");
    cfg = tinyllama_config();
    cfg["clean_up_tokenization_spaces"] = true;
    expect_error(tb::Tokenizer::load(make_model_dir("tok_err_cleanup", cfg)),
                 "tokenizer_config.json: clean_up_tokenization_spaces", "not supported");
    // Invalid JSON
    std::string bad = make_model_dir("tok_err_json", tinyllama_config());
    std::ofstream(bad + "/tokenizer_config.json") << "{\"bos_token\": ";
    expect_error(tb::Tokenizer::load(bad), "tokenizer_config.json", "invalid JSON");
    // Not a SentencePiece model
    std::string junk = tbtest::scratch_dir("tok_err_junk");
    std::ofstream(junk + "/tokenizer.model") << "this is not a protobuf \xff\xff\xff\xff\xff";
    std::ofstream(junk + "/tokenizer_config.json") << tinyllama_config().dump();
    expect_error(tb::Tokenizer::load(junk), "tokenizer.model", "SentencePiece");
    // Template syntax errors surface at apply time with the config field and line.
    cfg = tinyllama_config();
    cfg["chat_template"] = "line1\n{% if %}";
    auto r = tb::Tokenizer::load(make_model_dir("tok_err_tmpl", cfg));
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto text = r.value()->apply_chat_template({{"user", "x"}}, true);
    ASSERT_FALSE(text.ok());
    EXPECT_NE(text.error().message.find("tokenizer_config.json: chat_template:2:"),
              std::string::npos)
        << text.error().message;
}

// Issue 10: encoding was quadratic in the row length (an in-place replace of every space by
// U+2581 shifted the whole tail each time; 4 MB took 68 s). A 4 MB row must encode within the
// test timeout *and* give exactly the ids its repeated unit predicts: the first sentence's
// ids, then the in-context ids of " The quick brown fox." again and again.
TEST(Tokenizer, FourMegabyteRowEncodesLikeItsRepeatedUnit) {
    auto tok = load_llama("tok_long_row");
    ASSERT_TRUE(tok);
    const std::string first = "The quick brown fox jumps over the lazy dog.";
    const std::string unit = " The quick brown fox jumps over the lazy dog.";
    const Ids a = tok->encode(first, false);
    const Ids ab = tok->encode(first + unit, false);
    ASSERT_GT(ab.size(), a.size());
    ASSERT_TRUE(std::equal(a.begin(), a.end(), ab.begin()));
    const Ids b(ab.begin() + static_cast<std::ptrdiff_t>(a.size()), ab.end());
    // The unit's ids do not depend on what precedes it (checked on three units, so that the
    // 4 MB expectation below rests on a verified property, not on an assumption).
    Ids three = a;
    three.insert(three.end(), b.begin(), b.end());
    three.insert(three.end(), b.begin(), b.end());
    ASSERT_EQ(tok->encode(first + unit + unit, false), three);

    const size_t repeats = (size_t{4} << 20) / unit.size();
    std::string text = first;
    text.reserve(first.size() + repeats * unit.size());
    Ids expected = a;
    for (size_t i = 0; i < repeats; ++i) {
        text += unit;
        expected.insert(expected.end(), b.begin(), b.end());
    }
    const Ids ids = tok->encode(text, false);
    ASSERT_EQ(ids.size(), expected.size());
    EXPECT_TRUE(ids == expected);
    EXPECT_TRUE(tok->decode(ids) == text);
}
