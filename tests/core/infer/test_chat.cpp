// Multi-turn chat on the inference core (core/infer/chat.h): what each column sees (system
// prompt, its own earlier replies, the chat template or the plain transcript), answers equal
// the engine's own completions of those messages, the oldest turns leave when the context is
// full, and the one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/infer/chat.h"
#include "core/infer/llama_io.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using namespace tb::infer;

namespace {

// A tiny random Llama with the Llama-2 vocabulary, as an HF folder with the real tokenizer
// and TinyLlama's tokenizer_config (chat template included); context of 256 positions.
std::string model_dir() {
    static const std::string dir = [] {
        const std::string d = tbtest::scratch_dir("chat_model");
        tb::LlamaConfig c;
        c.vocab_size = 32000;
        c.hidden_size = 32;
        c.intermediate_size = 64;
        c.num_hidden_layers = 2;
        c.num_attention_heads = 4;
        c.num_key_value_heads = 2;
        c.head_dim = 8;
        c.rms_norm_eps = 1e-5;
        c.max_position_embeddings = 256;
        c.bos_token_id = 1;
        c.eos_token_ids = {2};
        c.pad_token_id = 2;
        tb::LlamaModel m = tb::init_llama(c, 11, 0.05, {});
        if (!tb::save_llama_model(m, d, at::kFloat).ok()) throw std::runtime_error("save");
        fs::copy_file(tbtest::shared_dir() + "/data/llama2-tokenizer.model", d + "/tokenizer.model",
                      fs::copy_options::overwrite_existing);
        std::ifstream in(tbtest::fixtures_dir() + "/tokenizer/plain_legacy_false.json");
        const auto doc = nlohmann::json::parse(in);
        std::ofstream(d + "/tokenizer_config.json") << doc.at("tokenizer_config").dump(1);
        return d;
    }();
    return dir;
}

std::unique_ptr<InferenceEngine> load(bool with_template) {
    EngineParams p;
    p.model_dir = model_dir();
    // The bare .model file has no tokenizer_config: no chat template.
    p.tokenizer = with_template ? model_dir() : model_dir() + "/tokenizer.model";
    p.device = "cpu";
    p.dtype = "fp32";
    auto e = InferenceEngine::load(p);
    if (!e.ok()) throw std::runtime_error(e.error().message);
    return std::move(e).value();
}

ChatTurnRequest two_turns() {
    ChatTurnRequest r;
    r.system_prompt = "You are terse.";
    r.user_turns = {"What is the capital of France?", "And of Spain?"};
    r.columns = {{"", {"Paris."}}, {"", {"Lyon, I believe, though I am not sure."}}};
    r.max_new_tokens = 12;
    return r;
}

}  // namespace

TEST(Chat, MessagesPerColumnWithSystemAndDrop) {
    const ChatTurnRequest r = two_turns();
    const auto m = chat_messages(r, 1);
    ASSERT_EQ(m.size(), 4u);
    EXPECT_EQ(m[0].role, "system");
    EXPECT_EQ(m[1].content, "What is the capital of France?");
    EXPECT_EQ(m[2].role, "assistant");
    EXPECT_EQ(m[2].content, "Lyon, I believe, though I am not sure.");
    EXPECT_EQ(m[3].content, "And of Spain?");
    const auto dropped = chat_messages(r, 0, 1);
    ASSERT_EQ(dropped.size(), 2u);
    EXPECT_EQ(dropped[0].role, "system");
    EXPECT_EQ(dropped[1].content, "And of Spain?");
    ChatTurnRequest no_system = r;
    no_system.system_prompt.clear();
    EXPECT_EQ(chat_messages(no_system, 0).front().role, "user");
    EXPECT_EQ(plain_transcript({{"system", "S"}, {"user", "U"}, {"assistant", "A"}}),
              "System: S\n\nUser: U\n\nAssistant: A\n\nAssistant:");
}

TEST(Chat, EachColumnIsTheEnginesCompletionOfItsOwnHistory) {
    auto eng = load(true);
    const ChatTurnRequest r = two_turns();
    std::vector<std::string> streamed(2);
    GenerateOptions o;
    o.on_token = [&](const TokenEvent& e) { streamed.at(e.request) += e.text; };
    auto out = chat_turn(*eng, r, o);
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(out->completions.size(), 2u);
    EXPECT_EQ(out->dropped_turns, (std::vector<int64_t>{0, 0}));
    for (size_t c = 0; c < 2; ++c) {
        Request req;
        req.messages = chat_messages(r, c);
        req.max_new_tokens = r.max_new_tokens;
        auto direct = eng->generate({req});
        ASSERT_TRUE(direct.ok());
        EXPECT_EQ(out->completions[c].prompt_ids,
                  eng->tokenizer()->encode_chat(req.messages, true).value())
            << "the chat template with the generation prompt";
        EXPECT_EQ(out->completions[c].ids, direct->front().ids) << c;
        EXPECT_EQ(streamed[c], out->completions[c].text) << c;
    }
    // The columns saw different histories, so their prompts differ.
    EXPECT_NE(out->completions[0].prompt_ids, out->completions[1].prompt_ids);
}

TEST(Chat, WithoutTemplateThePlainTranscriptIsEncoded) {
    auto eng = load(false);
    ASSERT_TRUE(eng->tokenizer()->chat_template().empty());
    const ChatTurnRequest r = two_turns();
    auto out = chat_turn(*eng, r);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->completions[0].prompt_ids,
              eng->tokenizer()->encode(plain_transcript(chat_messages(r, 0)), true));
}

TEST(Chat, OldestTurnsLeaveWhenTheContextIsFull) {
    auto eng = load(true);
    ChatTurnRequest r;
    std::string longer;
    for (int i = 0; i < 30; ++i) longer += "word ";  // ~30 tokens a message
    r.system_prompt = "Keep me.";
    for (int t = 0; t < 6; ++t) r.user_turns.push_back(std::to_string(t) + " " + longer);
    r.columns = {{"", {}}};
    for (int t = 0; t < 5; ++t) r.columns[0].replies.push_back(longer);
    r.max_new_tokens = 20;
    const int64_t context = eng->config().max_position_embeddings;
    auto full = eng->encode(chat_request(*eng, r, 0));
    ASSERT_TRUE(full.ok());
    ASSERT_GT(static_cast<int64_t>(full->size()) + r.max_new_tokens, context)
        << "the test needs a history longer than the context";
    auto out = chat_turn(*eng, r);
    ASSERT_TRUE(out.ok()) << out.error().message;
    const int64_t drop = out->dropped_turns.at(0);
    ASSERT_GT(drop, 0);
    const auto& prompt = out->completions[0].prompt_ids;
    EXPECT_LE(static_cast<int64_t>(prompt.size()) + r.max_new_tokens, context);
    EXPECT_EQ(prompt, eng->encode(chat_request(*eng, r, 0, static_cast<size_t>(drop))).value());
    // The fewest turns left out: one fewer would not fit.
    auto one_more = eng->encode(chat_request(*eng, r, 0, static_cast<size_t>(drop - 1)));
    EXPECT_GT(static_cast<int64_t>(one_more->size()) + r.max_new_tokens, context);
    // The system prompt and the last message stay.
    const auto kept = chat_messages(r, 0, static_cast<size_t>(drop));
    EXPECT_EQ(kept.front().content, "Keep me.");
    EXPECT_EQ(kept.back().content, r.user_turns.back());
}

TEST(Chat, Errors) {
    auto eng = load(true);
    ChatTurnRequest r = two_turns();
    r.columns[1].replies.clear();
    auto bad = chat_turn(*eng, r);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "chat: column 1 has 0 replies for 2 user turns (needs 1)");
    ChatTurnRequest none = two_turns();
    none.columns.clear();
    EXPECT_FALSE(chat_turn(*eng, none).ok());
    ChatTurnRequest huge;
    huge.user_turns = {std::string(4000, 'x')};
    huge.columns = {{"", {}}};
    auto too_long = chat_turn(*eng, huge);
    ASSERT_FALSE(too_long.ok());
    EXPECT_NE(too_long.error().message.find("exceeds the model's context of 256 tokens"),
              std::string::npos)
        << too_long.error().message;
    ChatTurnRequest unknown = two_turns();
    unknown.columns[0].adapter = "nope";
    EXPECT_FALSE(chat_turn(*eng, unknown).ok());
}
