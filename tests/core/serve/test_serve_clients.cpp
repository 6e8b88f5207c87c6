// `serve` against the real client libraries (issue 12: "tested with clients' real request
// shapes (the openai and ollama libraries' JSON)"): tests/interop/serve_clients.mjs drives the
// official `openai` JavaScript library and `ollama` (ollama-js) - model lists, completions with
// text and token-id prompts, chat (plain and streamed with include_usage), a refused model,
// Ollama generate/chat streamed and not - against the HTTP layer over a stand-in Batcher
// (fake_batcher.h), over loopback with an API key. Every answer must be the text the Batcher
// produced for the request the library sent, and the requests must carry what the calls asked
// for (max tokens, stop, seed, prompt form).
//
// Label interop: skipped (GTEST_SKIP) without node or the two packages. TB_NODE_CLIENTS_DIR:
// the folder whose node_modules holds them (default /work/node-clients; `npm install openai@6
// ollama` there).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/serve/http_server.h"
#include "tests/core/serve/fake_batcher.h"

namespace tb::serve {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::FakeBatcher;

std::string clients_dir() {
    const char* e = std::getenv("TB_NODE_CLIENTS_DIR");
    return e ? e : "/work/node-clients";
}

std::string run(const std::string& cmd, int* status) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    *status = ::pclose(p);
    return out;
}

TEST(ServeClients, OpenAIAndOllamaLibraries) {
    if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node not found";
    for (const char* pkg : {"openai", "ollama"})
        if (!fs::exists(clients_dir() + "/node_modules/" + pkg + "/package.json"))
            GTEST_SKIP() << pkg << " not installed in " << clients_dir();
    auto batcher = std::make_shared<FakeBatcher>();
    ServeParams p;
    p.port = 0;
    p.max_connections = 16;
    p.api_key = "sekrit";
    auto server = HttpServer::start(batcher, p);
    ASSERT_TRUE(server.ok()) << server.error().message;
    int status = 0;
    const std::string out = run("NODE_CLIENTS_DIR='" + clients_dir() + "' node '" +
                                    TB_INTEROP_SCRIPT "' '" + (*server)->url() + "' tiny sekrit",
                                &status);
    ASSERT_EQ(status, 0) << out;
    const json r = json::parse(out);
    std::printf("%s\n", r.dump(1).c_str());
    const auto sub = batcher->submitted();
    ASSERT_EQ(sub.size(), 8u);  // every generation call but the refused one
    auto text = [&](size_t i) { return FakeBatcher::text_for(sub[i], 1000); };

    EXPECT_EQ(r["openai_models"], json({"tiny", "sql"}));
    EXPECT_EQ(r["ollama_models"], json({"tiny:latest", "sql:latest"}));

    // completions.create(prompt, max_tokens 7, temperature 0, seed 3, stop ["\n"])
    EXPECT_EQ(sub[0].prompt_text.value_or(""), "Say this is a test");
    EXPECT_EQ(sub[0].max_new_tokens, 7);
    EXPECT_TRUE(sub[0].sampling.greedy);
    EXPECT_EQ(sub[0].sampling.seed, 3u);
    EXPECT_EQ(sub[0].stop, std::vector<std::string>{"\n"});
    EXPECT_EQ(r["completion"]["text"], text(0));
    EXPECT_EQ(r["completion"]["object"], "text_completion");
    EXPECT_EQ(r["completion"]["finish_reason"], "length");
    EXPECT_EQ(r["completion"]["usage"]["completion_tokens"], 7);
    // A token-id prompt, streamed.
    EXPECT_EQ(sub[1].prompt_ids, (std::vector<int64_t>{1, 45, 783}));
    EXPECT_EQ(sub[1].max_new_tokens, 5);
    EXPECT_EQ(r["completion_ids_stream"]["text"], text(1));
    // chat.completions.create(system + user, max_completion_tokens 6)
    ASSERT_EQ(sub[2].messages.size(), 2u);
    EXPECT_EQ(sub[2].messages[0].role, "system");
    EXPECT_EQ(sub[2].messages[1].content, "Name a colour.");
    EXPECT_EQ(sub[2].max_new_tokens, 6);
    EXPECT_EQ(r["chat"]["text"], text(2));
    EXPECT_EQ(r["chat"]["role"], "assistant");
    EXPECT_EQ(r["chat"]["usage"]["completion_tokens"], 6);
    // Streamed with stream_options.include_usage: the role first, then the text, the usage last.
    EXPECT_EQ(sub[3].max_new_tokens, 8);
    EXPECT_EQ(r["chat_stream"]["text"], text(3));
    EXPECT_EQ(r["chat_stream"]["roles"], json({"assistant"}));
    EXPECT_EQ(r["chat_stream"]["usage"]["completion_tokens"], 8);
    // The library surfaces the 404 with the server's error object.
    EXPECT_EQ(r["unknown_model"]["status"], 404);
    EXPECT_NE(r["unknown_model"]["message"].get<std::string>().find("no-such-model"),
              std::string::npos);
    // ollama.generate, not streamed, with options.num_predict and temperature 0.
    EXPECT_EQ(sub[4].prompt_text.value_or(""), "Why is the sky blue?");  // no chat template
    EXPECT_EQ(sub[4].max_new_tokens, 6);
    EXPECT_TRUE(sub[4].sampling.greedy);
    EXPECT_EQ(r["ollama_generate"]["text"], text(4));
    EXPECT_EQ(r["ollama_generate"]["done"], true);
    EXPECT_EQ(r["ollama_generate"]["eval_count"], 6);
    // Streamed raw generate, streamed chat, plain chat.
    EXPECT_EQ(sub[5].prompt_text.value_or(""), "Once upon a time");
    EXPECT_EQ(r["ollama_generate_stream"]["text"], text(5));
    EXPECT_EQ(r["ollama_generate_stream"]["eval_count"], 5);
    ASSERT_EQ(sub[6].messages.size(), 1u);
    EXPECT_EQ(sub[6].max_new_tokens, 4);
    EXPECT_EQ(r["ollama_chat_stream"]["text"], text(6));
    EXPECT_EQ(r["ollama_chat_stream"]["done"], true);
    EXPECT_EQ(sub[7].max_new_tokens, 3);
    EXPECT_EQ(r["ollama_chat"]["text"], text(7));
    EXPECT_EQ(r["ollama_chat"]["role"], "assistant");
    EXPECT_EQ(r["ollama_chat"]["eval_count"], 3);
    const ServerStats s = (*server)->stats();
    EXPECT_EQ(s.requests_served, 8);
    EXPECT_EQ(s.requests_cancelled, 0);
    (*server)->stop(1);
}

}  // namespace
}  // namespace tb::serve
