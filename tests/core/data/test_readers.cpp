// Dataset readers: the real Dolly sample, every format, and broken files (errors name file,
// line and field; skip_bad_rows reports what it skipped).
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/config/app_config.h"
#include "core/data/data_config.h"
#include "core/data/dataset_reader.h"
#include "tests/test_paths.h"

namespace {

std::string sample_path() { return tbtest::shared_dir() + "/data/dolly-sample.jsonl"; }

tb::ReadOptions opts(tb::DataFormat f, bool skip = false) {
    tb::ReadOptions o;
    o.format = f;
    o.skip_bad_rows = skip;
    return o;
}

// Writes `text` to a scratch file and loads it.
tb::Result<tb::Dataset> load_text(const std::string& name, const std::string& text,
                                  const tb::ReadOptions& o, std::string* path_out = nullptr) {
    static const std::string dir = tbtest::scratch_dir("readers");
    std::string path = dir + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    if (path_out) *path_out = path;
    return tb::load_dataset(path, o);
}

// The error message with the scratch folder removed ("name.jsonl:3: ...").
std::string error_of(const std::string& name, const std::string& text, const tb::ReadOptions& o) {
    std::string path;
    auto r = load_text(name, text, o, &path);
    if (r.ok()) return "";
    std::string m = r.error().message;
    const std::string dir = path.substr(0, path.size() - name.size());
    for (size_t p; (p = m.find(dir)) != std::string::npos;) m.erase(p, dir.size());
    return m;
}

TEST(DollyReader, RealSampleLoads) {
    auto r = tb::load_dataset(sample_path(), opts(tb::DataFormat::Dolly));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const tb::Dataset& ds = r.value();
    ASSERT_EQ(ds.examples.size(), 300u);
    EXPECT_TRUE(ds.bad_rows.empty());
    std::set<std::string> cats;
    for (size_t i = 0; i < ds.examples.size(); ++i) {
        cats.insert(ds.examples[i].category);
        EXPECT_EQ(ds.examples[i].source_line, i + 1);
        EXPECT_TRUE(ds.examples[i].turns.empty());
    }
    EXPECT_EQ(cats, (std::set<std::string>{"brainstorming", "classification", "closed_qa",
                                           "creative_writing", "general_qa",
                                           "information_extraction", "open_qa", "summarization"}));
    const tb::Example& first = ds.examples[0];
    EXPECT_EQ(first.instruction, "When did Virgin Australia start operating?");
    EXPECT_EQ(first.category, "closed_qa");
    EXPECT_EQ(first.context.rfind("Virgin Australia, the trading name of", 0), 0u);
    EXPECT_EQ(first.response,
              "Virgin Australia commenced services on 31 August 2000 as Virgin Blue, with two "
              "aircraft on a single route.");
    EXPECT_EQ(ds.examples[1].context, "");
    // JSON escapes are decoded (\u2019 in row 4).
    EXPECT_NE(ds.examples[3].instruction.find("what\xE2\x80\x99s"), std::string::npos);
}

TEST(DollyReader, LoadsThroughTheConfig) {
    std::string dir = tbtest::scratch_dir("cfg_load");
    std::ofstream(dir + "/run.yaml") << "data:\n  path: " << sample_path() << "\n";
    auto cfg = tb::load_app_config(dir + "/run.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto ds = tb::load_dataset_from_config(cfg.value());
    ASSERT_TRUE(ds.ok()) << ds.error().message;
    EXPECT_EQ(ds->examples.size(), 300u);
    tb::AppConfig none;
    auto e = tb::load_dataset_from_config(none);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().message, "data.path: no dataset file set in the config");
}

const char* kGood =
    R"({"instruction": "a", "context": "", "response": "b", "category": "open_qa"})";

TEST(DollyReader, BadJsonLineNamesLine) {
    std::string text =
        std::string(kGood) + "\n" + kGood + "\n{\"instruction\": \"x\", \n" + kGood + "\n";
    std::string e = error_of("badjson.jsonl", text, opts(tb::DataFormat::Dolly));
    EXPECT_EQ(e.rfind("badjson.jsonl:3: invalid JSON: ", 0), 0u) << e;
}

TEST(DollyReader, MissingFieldNamesLineAndField) {
    std::string text = std::string(kGood) + "\n\n" +
                       R"({"instruction": "a", "context": "", "category": "x"})" + "\n";
    EXPECT_EQ(error_of("missing.jsonl", text, opts(tb::DataFormat::Dolly)),
              "missing.jsonl:3: response: missing field");
}

TEST(DollyReader, WrongTypeNamesLineAndField) {
    std::string text =
        std::string(kGood) + "\n" + R"({"instruction": "a", "context": 5, "response": "b"})" + "\n";
    EXPECT_EQ(error_of("wrongtype.jsonl", text, opts(tb::DataFormat::Dolly)),
              "wrongtype.jsonl:2: context: expected a string, got a number");
    text = R"({"instruction": ["a"], "response": "b"})";
    EXPECT_EQ(error_of("wrongtype2.jsonl", text, opts(tb::DataFormat::Dolly)),
              "wrongtype2.jsonl:1: instruction: expected a string, got an array");
    text = "[1, 2]\n";  // a JSON array of non-objects
    EXPECT_EQ(error_of("wrongtype3.jsonl", text, opts(tb::DataFormat::Dolly)),
              "wrongtype3.jsonl:1: expected a JSON object, got a number (and 1 more bad rows; "
              "data.skip_bad_rows: true skips them)");
}

TEST(DollyReader, EmptyResponseIsBad) {
    std::string text = R"({"instruction": "a", "context": "", "response": "  \n"})";
    EXPECT_EQ(error_of("emptyresp.jsonl", text, opts(tb::DataFormat::Dolly)),
              "emptyresp.jsonl:1: response: is empty");
}

TEST(DollyReader, EmptyFileIsAnError) {
    EXPECT_EQ(error_of("empty.jsonl", "", opts(tb::DataFormat::Dolly)),
              "empty.jsonl: empty file (no rows)");
    EXPECT_EQ(error_of("blank.jsonl", "\n  \n\n", opts(tb::DataFormat::Dolly)),
              "blank.jsonl: empty file (no rows)");
    EXPECT_EQ(error_of("emptyarr.json", "[ ]", opts(tb::DataFormat::Dolly)),
              "emptyarr.json: no rows");
    auto r = tb::load_dataset("/nonexistent/x.jsonl", opts(tb::DataFormat::Dolly));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/nonexistent/x.jsonl"), std::string::npos);
}

// Issue 10: a dataset path that is a folder said "empty file (no rows)".
TEST(DollyReader, DirectoryIsNamedAsOne) {
    const std::string dir = tbtest::scratch_dir("readers_dir_as_data");
    for (tb::DataFormat f : {tb::DataFormat::Dolly, tb::DataFormat::Csv}) {
        auto r = tb::load_dataset(dir, opts(f));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().message, dir + ": is a directory, not a file");
    }
}

TEST(DollyReader, SkipBadRowsReportsThem) {
    std::string text = std::string(kGood) + "\n" +                        // 1 ok
                       "{not json}\n" +                                   // 2 bad
                       R"({"instruction": "a", "context": ""})" + "\n" +  // 3 bad
                       "\r\n" +                                           // 4 blank
                       kGood + "\r\n" +                                   // 5 ok (CRLF)
                       R"({"instruction": 3, "response": "b"})" + "\n" +  // 6 bad
                       kGood;                                             // 7 ok, no newline
    auto r = load_text("skip.jsonl", text, opts(tb::DataFormat::Dolly, true));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const tb::Dataset& ds = r.value();
    ASSERT_EQ(ds.examples.size(), 3u);
    EXPECT_EQ(ds.examples[0].source_line, 1u);
    EXPECT_EQ(ds.examples[1].source_line, 5u);
    EXPECT_EQ(ds.examples[2].source_line, 7u);
    ASSERT_EQ(ds.bad_rows.size(), 3u);
    EXPECT_EQ(ds.bad_rows[0].line, 2u);
    EXPECT_EQ(ds.bad_rows[0].field, "");
    EXPECT_EQ(ds.bad_rows[0].reason.rfind("invalid JSON: ", 0), 0u);
    EXPECT_EQ(ds.bad_rows[1].line, 3u);
    EXPECT_EQ(ds.bad_rows[1].field, "response");
    EXPECT_EQ(ds.bad_rows[1].reason, "missing field");
    EXPECT_EQ(ds.bad_rows[2].line, 6u);
    EXPECT_EQ(ds.bad_rows[2].field, "instruction");
    EXPECT_EQ(tb::format_bad_row("f.jsonl", ds.bad_rows[2]),
              "f.jsonl:6: instruction: expected a string, got a number");

    // Without the option the first bad row is the error, with a count of the others.
    std::string e = error_of("skip.jsonl", text, opts(tb::DataFormat::Dolly));
    EXPECT_EQ(e.rfind("skip.jsonl:2: invalid JSON: ", 0), 0u) << e;
    EXPECT_NE(e.find("(and 2 more bad rows; data.skip_bad_rows: true skips them)"),
              std::string::npos)
        << e;
}

TEST(DollyReader, AllRowsBadIsAnErrorEvenWhenSkipping) {
    std::string e = error_of("allbad.jsonl", "{}\n{}\n", opts(tb::DataFormat::Dolly, true));
    EXPECT_EQ(e,
              "allbad.jsonl: no valid rows (2 bad rows, first: allbad.jsonl:1: instruction: "
              "missing field)");
}

TEST(AlpacaReader, JsonArrayWithElementLines) {
    const char* text = R"([
  {"instruction": "Give three tips.", "input": "", "output": "1. Eat. 2. Sleep. 3. Move."},
  {
    "instruction": "Translate",
    "input": "Hola",
    "output": "Hello"
  },
  {"instruction": "x [y] {z} \"q\"", "output": "ok"}
]
)";
    auto r = load_text("alpaca.json", text, opts(tb::DataFormat::Alpaca));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& ex = r->examples;
    ASSERT_EQ(ex.size(), 3u);
    EXPECT_EQ(ex[0].source_line, 2u);
    EXPECT_EQ(ex[1].source_line, 3u);
    EXPECT_EQ(ex[2].source_line, 8u);
    EXPECT_EQ(ex[1].instruction, "Translate");
    EXPECT_EQ(ex[1].context, "Hola");
    EXPECT_EQ(ex[1].response, "Hello");
    EXPECT_EQ(ex[2].context, "");
    EXPECT_EQ(ex[2].instruction, "x [y] {z} \"q\"");

    // A bad element names the line where it starts.
    std::string bad =
        "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n\n  {\"instruction\": "
        "\"a\",\n   \"output\": null}\n]";
    EXPECT_EQ(error_of("alpaca_bad.json", bad, opts(tb::DataFormat::Alpaca)),
              "alpaca_bad.json:4: output: is null");
    // A JSON array that does not parse is a file error with the line of the problem.
    std::string broken =
        "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n  {\"instruction\": "
        "\"a\" \"output\": \"b\"}\n]";
    std::string e = error_of("alpaca_broken.json", broken, opts(tb::DataFormat::Alpaca));
    EXPECT_EQ(e.rfind("alpaca_broken.json:3: invalid JSON array: ", 0), 0u) << e;
}

// A number beyond double's range is nlohmann's out_of_range (406), not a parse_error: found by
// fuzz_readers on a faster CPU, where it ended the process. It is a bad row / file error too.
TEST(DollyReader, NumberOverflowIsABadRowNotACrash) {
    std::string text = std::string(R"({"instruction": "a", "context": "", "response": "b", )") +
                       R"("category": "qa"})" + "\n" + R"({"instruction": 1e400})" + "\n";
    auto r = load_text("overflow.jsonl", text, opts(tb::DataFormat::Dolly, true));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r.value().bad_rows.size(), 1u);
    EXPECT_EQ(r.value().bad_rows[0].line, 2u);
    EXPECT_EQ(r.value().bad_rows[0].reason.rfind("invalid JSON: ", 0), 0u);
    std::string e =
        error_of("overflow.json", "[{\"instruction\": 1e400}]", opts(tb::DataFormat::Alpaca));
    EXPECT_EQ(e.rfind("overflow.json: invalid JSON array: ", 0), 0u) << e;
}

TEST(AlpacaReader, JsonLines) {
    std::string text = R"({"instruction": "i1", "input": "c1", "output": "o1"})"
                       "\n"
                       R"({"instruction": "i2", "output": "o2"})";
    auto r = load_text("alpaca.jsonl", text, opts(tb::DataFormat::Alpaca));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->examples.size(), 2u);
    EXPECT_EQ(r->examples[0].context, "c1");
    EXPECT_EQ(r->examples[1].response, "o2");
    EXPECT_EQ(error_of("alpaca_miss.jsonl", R"({"instruction": "i", "response": "o"})",
                       opts(tb::DataFormat::Alpaca)),
              "alpaca_miss.jsonl:1: output: missing field");
}

TEST(ChatReader, MessagesBecomeTurnsAndFlatFields) {
    std::string text =
        R"({"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}], "category": "open_qa"})"
        "\n"
        R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}, {"role": "user", "content": "times 3?"}, {"role": "assistant", "content": "12"}]})";
    auto r = load_text("chat.jsonl", text, opts(tb::DataFormat::Chat));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& ex = r->examples;
    ASSERT_EQ(ex.size(), 2u);
    EXPECT_EQ(ex[0].instruction, "Hi?");
    EXPECT_EQ(ex[0].response, "Hello.");
    EXPECT_EQ(ex[0].context, "");
    EXPECT_EQ(ex[0].category, "open_qa");
    ASSERT_EQ(ex[1].turns.size(), 5u);
    EXPECT_EQ(ex[1].turns[0].role, "system");
    EXPECT_EQ(ex[1].instruction, "times 3?");
    EXPECT_EQ(ex[1].response, "12");
    EXPECT_EQ(ex[1].context, "system: Be brief.\nuser: 2+2?\nassistant: 4");
}

TEST(ChatReader, BadConversationsNameTheMessage) {
    EXPECT_EQ(
        error_of(
            "chat_role.jsonl",
            R"({"messages": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}]})",
            opts(tb::DataFormat::Chat)),
        "chat_role.jsonl:1: messages[1].role: expected one of system, user, assistant, got 'bot'");
    EXPECT_EQ(
        error_of(
            "chat_end.jsonl",
            "\n"
            R"({"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]})",
            opts(tb::DataFormat::Chat)),
        "chat_end.jsonl:2: messages[1]: the conversation must end with an assistant message (the "
        "response), got 'user'");
    EXPECT_EQ(
        error_of(
            "chat_nouser.jsonl",
            R"({"messages": [{"role": "system", "content": "s"}, {"role": "assistant", "content": "b"}]})",
            opts(tb::DataFormat::Chat)),
        "chat_nouser.jsonl:1: messages: no user message before the final assistant message");
    EXPECT_EQ(error_of("chat_type.jsonl", R"({"messages": "hello"})", opts(tb::DataFormat::Chat)),
              "chat_type.jsonl:1: messages: expected an array, got a string");
    EXPECT_EQ(error_of("chat_content.jsonl",
                       R"({"messages": [{"role": "user"}, {"role": "assistant", "content": "b"}]})",
                       opts(tb::DataFormat::Chat)),
              "chat_content.jsonl:1: messages[0].content: missing field");
}

TEST(ShareGptReader, ConversationsMapRoles) {
    std::string text =
        R"([{"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}])";
    auto r = load_text("sharegpt.json", text, opts(tb::DataFormat::ShareGPT));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->examples.size(), 1u);
    const tb::Example& ex = r->examples[0];
    ASSERT_EQ(ex.turns.size(), 3u);
    EXPECT_EQ(ex.turns[1].role, "user");
    EXPECT_EQ(ex.turns[2].role, "assistant");
    EXPECT_EQ(ex.instruction, "Q");
    EXPECT_EQ(ex.response, "A");
    EXPECT_EQ(ex.context, "system: S");
    EXPECT_EQ(
        error_of(
            "sharegpt_bad.jsonl",
            R"({"conversations": [{"from": "human", "value": "Q"}, {"from": "robot", "value": "A"}]})",
            opts(tb::DataFormat::ShareGPT)),
        "sharegpt_bad.jsonl:1: conversations[1].from: expected one of human, gpt, system, got "
        "'robot'");
}

TEST(CsvReader, Rfc4180QuotingAndColumnMapping) {
    // Quoted commas, doubled quotes, a newline inside quotes, CRLF records, a BOM, extra
    // columns and a custom column mapping.
    std::string text =
        "\xEF\xBB\xBFid,question,answer,kind,notes\r\n"
        "1,\"Say \"\"hi\"\", please\",\"hi, there\",open_qa,x\r\n"
        "2,\"Two\nlines\",ok,brainstorming,\r\n"
        "\r\n"
        "3,plain,text,,\"\"\r\n";
    tb::ReadOptions o = opts(tb::DataFormat::Csv);
    o.csv.instruction = "question";
    o.csv.response = "answer";
    o.csv.category = "kind";
    o.csv.context = "background";  // absent: context stays empty, with a warning
    auto r = load_text("data.csv", text, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& ex = r->examples;
    ASSERT_EQ(ex.size(), 3u);
    EXPECT_EQ(ex[0].instruction, "Say \"hi\", please");
    EXPECT_EQ(ex[0].response, "hi, there");
    EXPECT_EQ(ex[0].category, "open_qa");
    EXPECT_EQ(ex[0].source_line, 2u);
    EXPECT_EQ(ex[1].instruction, "Two\nlines");
    EXPECT_EQ(ex[1].source_line, 3u);
    EXPECT_EQ(ex[2].source_line, 6u);
    EXPECT_EQ(ex[2].category, "");
    EXPECT_EQ(ex[2].context, "");
    ASSERT_EQ(r->warnings.size(), 1u);
    EXPECT_NE(r->warnings[0].find("data.context_column: no column 'background'"),
              std::string::npos);
}

TEST(CsvReader, UnbalancedQuoteNamesTheLineItOpened) {
    std::string text =
        "instruction,context,response,category\n"
        "a,,b,c\n"
        "\"never closed,,b,c\n"
        "d,,e,f\n";
    EXPECT_EQ(
        error_of("unbalanced.csv", text, opts(tb::DataFormat::Csv, true)),
        "unbalanced.csv:3: column 1: unterminated quoted field (the quote opened on line 3 is "
        "never closed)");
}

TEST(CsvReader, MalformedRowsAreBadRows) {
    std::string text =
        "instruction,context,response,category\n"  // 1
        "a,,b,c\n"                                 // 2 ok
        "\"x\"y,,b,c\n"                            // 3 text after closing quote
        "a,,b\n"                                   // 4 too few fields
        "a b\"c,,b,c\n"                            // 5 quote inside unquoted field
        ",,b,c\n"                                  // 6 empty instruction
        "a,,\xFF\xFE,c\n"                          // 7 invalid UTF-8
        "g,,h,i\n";                                // 8 ok
    auto r = load_text("malformed.csv", text, opts(tb::DataFormat::Csv, true));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->examples.size(), 2u);
    EXPECT_EQ(r->examples[1].source_line, 8u);
    ASSERT_EQ(r->bad_rows.size(), 5u);
    EXPECT_EQ(r->bad_rows[0].line, 3u);
    EXPECT_EQ(r->bad_rows[0].reason, "column 1: unexpected character after a closing quote");
    EXPECT_EQ(r->bad_rows[1].line, 4u);
    EXPECT_EQ(r->bad_rows[1].reason, "expected 4 fields like the header, got 3");
    EXPECT_EQ(r->bad_rows[2].line, 5u);
    EXPECT_EQ(r->bad_rows[2].reason.rfind("column 1: quote inside an unquoted field", 0), 0u);
    EXPECT_EQ(r->bad_rows[3].line, 6u);
    EXPECT_EQ(r->bad_rows[3].field, "instruction");
    EXPECT_EQ(r->bad_rows[3].reason, "is empty");
    EXPECT_EQ(r->bad_rows[4].line, 7u);
    EXPECT_EQ(r->bad_rows[4].field, "response");
    EXPECT_EQ(r->bad_rows[4].reason, "invalid UTF-8");

    EXPECT_EQ(
        error_of("malformed.csv", text, opts(tb::DataFormat::Csv)),
        "malformed.csv:3: column 1: unexpected character after a closing quote (and 4 more bad "
        "rows; data.skip_bad_rows: true skips them)");
}

TEST(CsvReader, HeaderProblemsAreFileErrors) {
    EXPECT_EQ(error_of("nocol.csv", "prompt,response\na,b\n", opts(tb::DataFormat::Csv)),
              "nocol.csv:1: data.instruction_column: no column 'instruction' in the header "
              "(columns: prompt, response)");
    EXPECT_EQ(
        error_of("dup.csv", "instruction,response,response\na,b,c\n", opts(tb::DataFormat::Csv)),
        "dup.csv:1: header: column 'response' appears twice");
    EXPECT_EQ(error_of("onlyheader.csv", "instruction,response\n", opts(tb::DataFormat::Csv)),
              "onlyheader.csv: no rows");
}

TEST(DataFormat, NamesRoundTrip) {
    for (const char* n : {"dolly", "alpaca", "chat", "sharegpt", "csv"}) {
        auto f = tb::parse_data_format(n);
        ASSERT_TRUE(f.ok());
        EXPECT_STREQ(tb::data_format_name(f.value()), n);
    }
    auto bad = tb::parse_data_format("parquet");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message,
              "data.format: 'parquet' is not one of dolly, alpaca, chat, sharegpt, csv");
}

}  // namespace
