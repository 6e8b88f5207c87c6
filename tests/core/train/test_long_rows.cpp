// Rows far beyond max_length are cut before encoding (issue 10: a 50 MB row kept
// `train --max-steps 1` busy for 13 minutes) with a note naming the row, and the kept tokens
// and labels are exactly those of the whole row. Reference: the same row tokenized with
// max_length 0 (no truncation, so no cut), then its first max_length ids and labels.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/train/batching.h"
#include "tests/core/train/train_test_util.h"

namespace {

std::shared_ptr<tb::Tokenizer> llama_tokenizer() {
    static std::shared_ptr<tb::Tokenizer> tok = [] {
        const std::string dir = tbtest::scratch("long_rows_tok");
        std::filesystem::copy_file(tbtest::tokenizer_model_path(), dir + "/tokenizer.model");
        std::ofstream(dir + "/tokenizer_config.json") << tbtest::tinyllama_tokenizer_config();
        auto t = tb::Tokenizer::load(dir);
        EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
        return t.ok() ? t.value() : nullptr;
    }();
    return tok;
}

std::string sentence_text(size_t bytes, const std::string& unit) {
    std::string s;
    s.reserve(bytes + unit.size());
    while (s.size() < bytes) s += unit;
    return s;
}

// The whole row tokenized without truncation, then cut to max_length as training does.
tb::TokenizedRow reference(const tb::Example& ex, const tb::Tokenizer& tok,
                           tb::TokenizeOptions opts) {
    const int64_t max_length = opts.max_length;
    opts.max_length = 0;
    auto r = tb::tokenize_example(ex, tok, opts);
    EXPECT_TRUE(r.ok());
    tb::TokenizedRow row = r.value();
    EXPECT_EQ(row.cut_from_bytes, 0u);
    if (static_cast<int64_t>(row.ids.size()) > max_length) {
        row.ids.resize(static_cast<size_t>(max_length));
        row.labels.resize(static_cast<size_t>(max_length));
        row.truncated = true;
    }
    return row;
}

}  // namespace

TEST(LongRows, CutBeforeEncodingKeepsTheSameTokensAndLabels) {
    auto tok = llama_tokenizer();
    ASSERT_TRUE(tok);
    struct Case {
        const char* what;
        tb::Example ex;
        tb::PromptTemplate tmpl;
    };
    const std::string words = "Zebras graze near the river at dawn; caf\xC3\xA9 \xE6\x97\xA5 42. ";
    const std::string big = sentence_text(1 << 20, words);  // 1 MB, multi-byte characters
    const std::vector<Case> cases = {
        {"huge response, instruction template",
         {"Summarise this.", "", big, "", {}, 3},
         tb::PromptTemplate::Instruction},
        {"huge response, chat template",
         {"Summarise this.", "", big, "", {}, 4},
         tb::PromptTemplate::Chat},
        // The prompt alone is past the cut: every kept label is the prompt's, the row has no
        // loss token, as it has without the cut.
        {"huge instruction",
         {big, "", "Short answer.", "", {}, 5},
         tb::PromptTemplate::Instruction},
        {"huge context", {"Q?", big, "Short answer.", "", {}, 6}, tb::PromptTemplate::Chat},
        {"spaces only",
         {"Q?", "", std::string(1 << 20, ' ') + "end", "", {}, 7},
         tb::PromptTemplate::Instruction},
    };
    for (const Case& c : cases) {
        for (int64_t max_length : {16, 64, 512}) {
            tb::TokenizeOptions opts;
            opts.max_length = max_length;
            opts.prompt_template = c.tmpl;
            auto r = tb::tokenize_example(c.ex, *tok, opts);
            ASSERT_TRUE(r.ok()) << c.what << ": " << r.error().message;
            const tb::TokenizedRow& row = r.value();
            // 16 spaces make one Llama token, so 32 bytes a token of spaces give only twice
            // max_length tokens: with max_length 16 that is short of the margin and the
            // whole row is encoded (the fallback); every other case takes the cut.
            const bool expect_cut = !(c.ex.response[0] == ' ' && max_length == 16);
            if (expect_cut) {
                EXPECT_GT(row.cut_from_bytes, row.cut_to_bytes) << c.what << " " << max_length;
                EXPECT_LE(row.cut_to_bytes, static_cast<size_t>(max_length * tb::kCutBytesPerToken))
                    << c.what;
            } else {
                EXPECT_EQ(row.cut_from_bytes, 0u) << c.what << " " << max_length;
            }
            const tb::TokenizedRow ref = reference(c.ex, *tok, opts);
            EXPECT_TRUE(row.ids == ref.ids) << c.what << " max_length " << max_length;
            EXPECT_TRUE(row.labels == ref.labels) << c.what << " max_length " << max_length;
            EXPECT_TRUE(row.truncated) << c.what;
        }
    }
}

TEST(LongRows, RowsWithinTwiceTheCutAreEncodedWhole) {
    auto tok = llama_tokenizer();
    ASSERT_TRUE(tok);
    tb::TokenizeOptions opts;
    opts.max_length = 64;
    opts.prompt_template = tb::PromptTemplate::Instruction;
    const size_t limit = 2 * static_cast<size_t>(opts.max_length * tb::kCutBytesPerToken);
    // Long enough to be truncated to max_length, short enough to be encoded whole.
    tb::Example ex{"Q?", "", sentence_text(limit - 200, "Rivers run. "), "", {}, 9};
    auto r = tb::tokenize_example(ex, *tok, opts);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().cut_from_bytes, 0u);
    EXPECT_TRUE(r.value().truncated);
    EXPECT_TRUE(r.value().ids == reference(ex, *tok, opts).ids);
}

TEST(LongRows, NoteNamesFileAndLineAndTheRowIsKept) {
    auto tok = llama_tokenizer();
    ASSERT_TRUE(tok);
    std::vector<tb::Example> examples = {
        {"Short?", "", "Short.", "", {}, 1},
        {"Long?", "", sentence_text(4 << 20, "Long rows are cut before encoding. "), "", {}, 2},
    };
    tb::TokenizeOptions opts;
    opts.max_length = 128;
    opts.prompt_template = tb::PromptTemplate::Instruction;
    opts.source = "data/train.jsonl";
    auto r = tb::tokenize_examples(examples, {0, 1}, *tok, opts);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const tb::TokenizedSet& set = r.value();
    ASSERT_EQ(set.rows.size(), 2u);
    EXPECT_EQ(set.truncated, 1u);
    ASSERT_EQ(set.notes.size(), 1u);
    EXPECT_EQ(set.notes[0].rfind("data/train.jsonl:2: row of ", 0), 0u) << set.notes[0];
    EXPECT_NE(set.notes[0].find("max_length 128"), std::string::npos) << set.notes[0];
    EXPECT_EQ(set.rows[1].ids.size(), 128u);
}
