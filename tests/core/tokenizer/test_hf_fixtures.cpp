// Compares the tokenizer with HF transformers on the real TinyLlama / Llama-2 tokenizer:
// fixtures written by tests/fixtures/gen/gen_tokenizer_fixtures.py on the GPU machine into
// tests/fixtures/tokenizer/ (plain_<variant>.json, chat.json).
//
// The fixture directory and model can be redirected with TB_TOKENIZER_FIXTURE_DIR and
// TB_TOKENIZER_FIXTURE_MODEL (used to check the comparison itself against fixtures of a
// small SentencePiece model). A missing fixture directory is a failure, not a skip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tokenizer/stream_decoder.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string fixture_dir() {
    const char* e = std::getenv("TB_TOKENIZER_FIXTURE_DIR");
    return e ? e : tbtest::fixtures_dir() + "/tokenizer";
}

std::string model_path() {
    const char* e = std::getenv("TB_TOKENIZER_FIXTURE_MODEL");
    return e ? e : tbtest::shared_dir() + "/data/llama2-tokenizer.model";
}

json read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) return json();
    return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::vector<int64_t> ids_of(const json& j) { return j.get<std::vector<int64_t>>(); }

std::string show(const std::string& s) { return json(s).dump(); }

// Loads the tokenizer of one plain_<variant>.json: the fixture's tokenizer_config.json is
// written to a scratch directory and combined with the shared SentencePiece model (the model
// itself is never copied).
std::shared_ptr<tb::Tokenizer> tokenizer_for(const json& doc, const std::string& variant) {
    std::string dir = tbtest::scratch_dir("hf_fixture_" + variant);
    std::string cfg = dir + "/tokenizer_config.json";
    std::ofstream(cfg) << doc.at("tokenizer_config").dump(1);
    auto tok = tb::Tokenizer::load_files(model_path(), cfg);
    if (!tok.ok()) {
        ADD_FAILURE() << variant << ": " << tok.error().message;
        return nullptr;
    }
    return tok.value();
}

void expect_no_generator_errors(const json& doc, const std::string& file) {
    if (!doc.contains("errors")) return;
    for (const auto& e : doc["errors"])
        ADD_FAILURE() << file << ": the fixture generator recorded an error: "
                      << e.value("error", std::string("?"));
}

}  // namespace

TEST(HfFixtures, DirectoryAndModelExist) {
    ASSERT_TRUE(fs::is_directory(fixture_dir()))
        << fixture_dir() << " is missing: run tests/fixtures/gen/gen_tokenizer_fixtures.py "
        << "<llama2-tokenizer.model> tests/fixtures/tokenizer on the GPU machine and commit "
        << "its output (see notes/tokenizer_fixture_ready.txt)";
    ASSERT_TRUE(fs::is_regular_file(model_path())) << model_path() << " is missing";
    ASSERT_TRUE(fs::is_regular_file(fixture_dir() + "/plain_legacy_false.json"));
    ASSERT_TRUE(fs::is_regular_file(fixture_dir() + "/chat.json"));
}

class PlainFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(PlainFixture, EncodeDecodeMatchHf) {
    const std::string variant = GetParam();
    const std::string file = fixture_dir() + "/plain_" + variant + ".json";
    ASSERT_TRUE(fs::is_regular_file(file)) << file << " is missing";
    json doc = read_json(file);
    ASSERT_TRUE(doc.is_object()) << file << ": not valid JSON";
    expect_no_generator_errors(doc, file);
    ASSERT_TRUE(doc.contains("cases")) << file << ": no cases (generator failed?)";
    auto tok = tokenizer_for(doc, variant);
    ASSERT_TRUE(tok);

    int compared = 0;
    for (const auto& c : doc["cases"]) {
        const std::string text = c.at("text").get<std::string>();
        SCOPED_TRACE(variant + " text=" + show(text));
        if (c.contains("error")) {
            ADD_FAILURE() << "HF failed on this case: " << c["error"];
            continue;
        }
        auto ids = ids_of(c.at("ids"));
        auto ids_plain = ids_of(c.at("ids_no_special"));
        EXPECT_EQ(tok->encode(text, true), ids);
        EXPECT_EQ(tok->encode(text, false), ids_plain);
        std::vector<std::string> pieces;
        for (auto id : ids) pieces.push_back(tok->id_to_piece(id));
        EXPECT_EQ(pieces, c.at("tokens").get<std::vector<std::string>>());
        EXPECT_EQ(show(tok->decode(ids, false)), show(c.at("decode").get<std::string>()));
        EXPECT_EQ(show(tok->decode(ids, true)),
                  show(c.at("decode_skip_special").get<std::string>()));
        EXPECT_EQ(show(tok->decode(ids_plain, false)),
                  show(c.at("decode_no_special").get<std::string>()));
        // Streaming the HF ids reproduces the full decode.
        tb::StreamDecoder sd(tok, true);
        std::string streamed;
        for (auto id : ids) streamed += sd.push(id);
        streamed += sd.flush();
        EXPECT_EQ(show(streamed), show(c.at("decode_skip_special").get<std::string>()));
        ++compared;
    }
    EXPECT_GT(compared, 20);

    for (const auto& c : doc.value("decode_cases", json::array())) {
        SCOPED_TRACE(variant + " decode case " + c.value("name", std::string()));
        if (c.contains("error")) {
            ADD_FAILURE() << "HF failed on this case: " << c["error"];
            continue;
        }
        auto ids = ids_of(c.at("ids"));
        EXPECT_EQ(show(tok->decode(ids, false)), show(c.at("decode").get<std::string>()));
        EXPECT_EQ(show(tok->decode(ids, true)),
                  show(c.at("decode_skip_special").get<std::string>()));
        const auto& prefixes = c.at("prefix_decodes");
        for (size_t k = 0; k < prefixes.size(); ++k) {
            std::vector<int64_t> prefix(ids.begin(), ids.begin() + static_cast<long>(k));
            EXPECT_EQ(show(tok->decode(prefix, true)), show(prefixes[k].get<std::string>()))
                << "prefix length " << k;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Variants, PlainFixture,
                         ::testing::Values("legacy_false", "legacy_true", "added_tokens"));

TEST(HfFixtures, ChatTemplatesMatchHf) {
    const std::string file = fixture_dir() + "/chat.json";
    ASSERT_TRUE(fs::is_regular_file(file)) << file << " is missing";
    json doc = read_json(file);
    ASSERT_TRUE(doc.is_object()) << file << ": not valid JSON";
    expect_no_generator_errors(doc, file);
    const json& templates = doc.at("templates");
    int compared = 0;
    for (const std::string variant : {"legacy_false", "added_tokens"}) {
        ASSERT_TRUE(doc.contains("cases_" + variant)) << file << ": no cases_" << variant;
        json plain = read_json(fixture_dir() + "/plain_" + variant + ".json");
        ASSERT_TRUE(plain.is_object());
        auto tok = tokenizer_for(plain, variant);
        ASSERT_TRUE(tok);
        for (const auto& c : doc["cases_" + variant]) {
            const std::string tname = c.at("template").get<std::string>();
            const bool agp = c.at("add_generation_prompt").get<bool>();
            SCOPED_TRACE(variant + " " + tname + "/" + c.at("case").get<std::string>() +
                         (agp ? " +gen" : ""));
            std::vector<tb::ChatMessage> msgs;
            for (const auto& m : c.at("messages"))
                msgs.push_back(
                    {m.at("role").get<std::string>(), m.at("content").get<std::string>()});
            auto rendered =
                tok->render_chat_template(templates.at(tname).get<std::string>(), msgs, agp);
            if (c.contains("render_error")) {
                ASSERT_FALSE(rendered.ok()) << "HF raised: " << c["render_error"];
                std::string hf = c["render_error"].get<std::string>();
                std::string msg = hf.substr(hf.find(": ") + 2);
                EXPECT_NE(rendered.error().message.find(msg), std::string::npos)
                    << rendered.error().message;
                continue;
            }
            ASSERT_TRUE(rendered.ok()) << rendered.error().message;
            EXPECT_EQ(show(rendered.value()), show(c.at("rendered").get<std::string>()));
            if (c.contains("ids_error")) {
                ADD_FAILURE() << "HF failed to tokenize: " << c["ids_error"];
                continue;
            }
            // apply_chat_template(tokenize=True) == encode(rendered, add_special_tokens=False)
            EXPECT_EQ(tok->encode(rendered.value(), false), ids_of(c.at("ids")));
            EXPECT_EQ(tok->encode(rendered.value(), true),
                      ids_of(c.at("encode_rendered_with_special")));
            if (tname == "tinyllama" && variant == "legacy_false") {
                // The model's own template (tokenizer_config.json) through encode_chat.
                auto ids = tok->encode_chat(msgs, agp);
                ASSERT_TRUE(ids.ok()) << ids.error().message;
                EXPECT_EQ(ids.value(), ids_of(c.at("ids")));
            }
            ++compared;
        }
    }
    EXPECT_GT(compared, 30);
}
