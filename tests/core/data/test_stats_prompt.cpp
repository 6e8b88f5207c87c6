// Statistics (counts, histograms, pluggable length) and prompt building.
#include <gtest/gtest.h>

#include <numeric>
#include <sstream>

#include "core/data/dataset_reader.h"
#include "core/data/prompt.h"
#include "core/data/split.h"
#include "core/data/stats.h"
#include "tests/test_paths.h"

namespace {

tb::Dataset sample() {
    auto r = tb::load_dataset(tbtest::shared_dir() + "/data/dolly-sample.jsonl", {});
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r.value() : tb::Dataset{};
}

size_t sum(const std::vector<size_t>& v) { return std::accumulate(v.begin(), v.end(), size_t{0}); }

TEST(Prompt, InstructionTemplateWithAndWithoutContext) {
    tb::Example ex;
    ex.instruction = "Summarise.";
    ex.context = "Some text.";
    ex.response = "Short.";
    tb::PromptParts p = tb::build_instruction_prompt(ex);
    EXPECT_EQ(p.prompt,
              "### Instruction:\nSummarise.\n\n### Context:\nSome text.\n\n### Response:\n");
    EXPECT_EQ(p.response, "Short.");
    ex.context.clear();
    EXPECT_EQ(tb::build_instruction_prompt(ex).prompt,
              "### Instruction:\nSummarise.\n\n### Response:\n");
}

TEST(Prompt, MessagesForTheChatTemplate) {
    tb::Example ex;
    ex.instruction = "Q";
    ex.context = "C";
    ex.response = "A";
    auto m = tb::example_messages(ex);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].role, "user");
    EXPECT_EQ(m[0].content, "Q\n\nContext:\nC");
    EXPECT_EQ(m[1].role, "assistant");
    EXPECT_EQ(m[1].content, "A");
    ex.context.clear();
    EXPECT_EQ(tb::example_messages(ex)[0].content, "Q");
    ex.turns = {{"system", "S"}, {"user", "Q"}, {"assistant", "A"}};
    EXPECT_EQ(tb::example_messages(ex).size(), 3u);
}

TEST(Prompt, SplitRenderedChat) {
    auto p = tb::split_rendered_chat("<|user|>\nQ</s>\n<|assistant|>\n",
                                     "<|user|>\nQ</s>\n<|assistant|>\nA</s>\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->prompt, "<|user|>\nQ</s>\n<|assistant|>\n");
    EXPECT_EQ(p->response, "A</s>\n");
    auto bad = tb::split_rendered_chat("<|user|>\nX", "<|user|>\nQ A");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("does not start with the rendered prompt"),
              std::string::npos);
    EXPECT_FALSE(tb::split_rendered_chat("long prompt", "short").ok());
}

TEST(Stats, CountsPerSplitAndCategory) {
    tb::Dataset ds = sample();
    auto split = tb::split_dataset(ds.examples, {});
    ASSERT_TRUE(split.ok());
    tb::DatasetStats st = tb::compute_stats(ds.examples, split.value());
    EXPECT_EQ(st.length_unit, "chars");
    ASSERT_EQ(st.categories.size(), 8u);
    ASSERT_EQ(st.splits.size(), 3u);
    EXPECT_EQ(st.splits[0].name, "train");
    EXPECT_EQ(st.splits[0].rows, 270u);
    EXPECT_EQ(st.splits[1].rows, 15u);
    EXPECT_EQ(st.splits[2].rows, 15u);
    EXPECT_EQ(st.all.rows, 300u);
    // Per-category counts add up across splits to the whole-dataset counts.
    for (const auto& cat : st.categories) {
        size_t across = 0;
        for (const auto& s : st.splits) {
            auto it = s.categories.find(cat);
            across += it == s.categories.end() ? 0 : it->second;
        }
        EXPECT_EQ(across, st.all.categories.at(cat)) << cat;
    }
    size_t empty_ctx = 0;
    for (const auto& e : ds.examples) empty_ctx += e.context.empty();
    EXPECT_EQ(st.all.empty_context, empty_ctx);
    EXPECT_GT(empty_ctx, 0u);
    EXPECT_LT(empty_ctx, 300u);
    EXPECT_DOUBLE_EQ(st.all.empty_context_share, static_cast<double>(empty_ctx) / 300.0);
    EXPECT_EQ(st.splits[0].empty_context + st.splits[1].empty_context + st.splits[2].empty_context,
              empty_ctx);
}

TEST(Stats, HistogramsShareBinsAndCountEveryRow) {
    tb::Dataset ds = sample();
    auto split = tb::split_dataset(ds.examples, {});
    tb::StatsOptions o;
    o.bins = 10;
    tb::DatasetStats st = tb::compute_stats(ds.examples, split.value(), o);
    for (const auto* h : {&st.all.total_length, &st.all.prompt_length, &st.all.response_length}) {
        EXPECT_EQ(sum(h->counts), 300u);
        EXPECT_LE(h->counts.size(), 11u);
        EXPECT_LE(h->min, h->median);
        EXPECT_LE(h->median, h->p95);
        EXPECT_LE(h->p95, h->max);
        // Width is 1, 2 or 5 x 10^k.
        size_t w = h->bin_width;
        while (w % 10 == 0) w /= 10;
        EXPECT_TRUE(w == 1 || w == 2 || w == 5) << h->bin_width;
    }
    for (const auto& s : st.splits) {
        EXPECT_EQ(s.total_length.bin_width, st.all.total_length.bin_width);
        EXPECT_EQ(s.total_length.counts.size(), st.all.total_length.counts.size());
        EXPECT_EQ(sum(s.total_length.counts), s.rows);
    }
    // Direct check of the first row's total length (instruction template, code points).
    tb::PromptParts p = tb::build_instruction_prompt(ds.examples[0]);
    size_t want = tb::utf8_length(p.prompt + p.response);
    EXPECT_GE(st.all.total_length.max, want);
    EXPECT_EQ(tb::utf8_length("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), 9u);
}

TEST(Stats, PluggableLengthAndMaxLength) {
    std::vector<tb::Example> ex(4);
    const char* words[] = {"one", "one two", "one two three", "one two three four five six"};
    for (size_t i = 0; i < 4; ++i) {
        ex[i].instruction = "q";
        ex[i].response = words[i];
        ex[i].category = i % 2 ? "b" : "a";
    }
    ex[0].context = "ctx";
    tb::DatasetSplit split;
    split.train = {0, 1, 2};
    split.test = {3};
    // A fake tokenizer: words separated by spaces.
    tb::StatsOptions o;
    o.length = [](const std::string& s) {
        std::istringstream in(s);
        std::string w;
        size_t n = 0;
        while (in >> w) ++n;
        return n;
    };
    o.render = [](const tb::Example& e) { return tb::PromptParts{e.instruction, e.response}; };
    o.max_length = 3;
    tb::DatasetStats st = tb::compute_stats(ex, split, o);
    EXPECT_EQ(st.length_unit, "tokens");
    // Response lengths in words: 1, 2, 3, 6.
    EXPECT_EQ(st.all.response_length.min, 1u);
    EXPECT_EQ(st.all.response_length.max, 6u);
    EXPECT_DOUBLE_EQ(st.all.response_length.mean, 3.0);
    EXPECT_EQ(st.all.response_length.median, 2u);
    // "q" + "one two three" renders as "qone two three" (3 words); only row 3 is longer than 3.
    EXPECT_EQ(st.all.over_max_length, 1u);
    EXPECT_EQ(st.splits[2].over_max_length, 1u);
    EXPECT_EQ(st.splits[0].over_max_length, 0u);
    EXPECT_EQ(st.splits[1].rows, 0u);
    EXPECT_EQ(st.splits[1].empty_context_share, 0.0);
    EXPECT_EQ(st.splits[0].empty_context, 2u);
    EXPECT_EQ(st.splits[0].categories.at("a"), 2u);
    EXPECT_EQ(st.splits[0].categories.at("b"), 1u);
}

// 15,011 Dolly-like rows (the size of Dolly 15k) load, validate, split and summarise with the
// study's split sizes. Timing lives in bench_data, not here.
TEST(Stats, FullSizeSyntheticDollyLoadsAndSplits) {
    std::string text;
    tb::SplitMix64 rng(3);
    static const char* cats[] = {"open_qa",       "general_qa",      "classification",
                                 "closed_qa",     "brainstorming",   "information_extraction",
                                 "summarization", "creative_writing"};
    for (size_t i = 0; i < 15011; ++i) {
        std::string ctx = rng.below(3) == 0 ? std::string(200 + rng.below(800), 'c') : "";
        text += R"({"instruction": "Question )" + std::to_string(i) +
                R"( about \"things\"?", "context": ")" + ctx + R"(", "response": ")" +
                std::string(20 + rng.below(600), 'r') + R"(", "category": ")" + cats[rng.below(8)] +
                "\"}\n";
    }
    auto ds = tb::parse_dataset(text, "synthetic.jsonl", {});
    ASSERT_TRUE(ds.ok()) << ds.error().message;
    ASSERT_EQ(ds->examples.size(), 15011u);
    EXPECT_EQ(ds->examples[15010].source_line, 15011u);
    EXPECT_EQ(ds->examples[5].instruction, "Question 5 about \"things\"?");
    auto split = tb::split_dataset(ds->examples, {});
    ASSERT_TRUE(split.ok());
    EXPECT_EQ(split->train.size(), 13510u);
    EXPECT_EQ(split->val.size(), 750u);
    EXPECT_EQ(split->test.size(), 751u);
    tb::DatasetStats st = tb::compute_stats(ds->examples, split.value());
    EXPECT_EQ(st.categories.size(), 8u);
    EXPECT_EQ(sum(st.all.total_length.counts), 15011u);
}

}  // namespace
