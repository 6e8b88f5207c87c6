// The three chat-template families, rendered through the tokenizer exactly as HF
// apply_chat_template(..., tokenize=False) renders them. Expected strings are derived by hand
// from the template sources and jinja2's trim_blocks/lstrip_blocks rules (see comments).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/tokenizer/tokenizer.h"
#include "tests/core/tokenizer/tokenizer_test_util.h"

using tb::ChatMessage;
using Msgs = std::vector<ChatMessage>;

namespace {

// meta-llama/Llama-2-7b-chat-hf tokenizer_config.json chat_template (JSON-decoded: the
// Jinja source has backslash-n escapes inside the string literals).
const char* kLlama2Template =
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}"
    "{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}"
    "{% endif %}{% endfor %}";

// ChatML as in the transformers chat-templating documentation.
const char* kChatMLTemplate =
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

std::string render(const tb::Tokenizer& tok, const Msgs& msgs, bool gen) {
    auto r = tok.apply_chat_template(msgs, gen);
    return r.ok() ? r.value() : "ERROR: " + r.error().message;
}

std::string render_with(const tb::Tokenizer& tok, const char* tmpl, const Msgs& msgs, bool gen) {
    auto r = tok.render_chat_template(tmpl, msgs, gen);
    return r.ok() ? r.value() : "ERROR: " + r.error().message;
}

}  // namespace

// TinyLlama (Zephyr): every block tag sits on its own line; trim_blocks eats the newline after
// each block tag, while the newline after each {{ ... }} line survives. So a message renders
// as "<|role|>\n" + content + eos + "\n", and the generation prompt as "<|assistant|>\n".
TEST(ChatTemplates, TinyLlama) {
    auto tok = tbtest::load_llama("chat_tinyllama");
    ASSERT_TRUE(tok);
    EXPECT_EQ(render(*tok, {{"user", "Hello"}}, true), "<|user|>\nHello</s>\n<|assistant|>\n");
    EXPECT_EQ(render(*tok, {{"user", "Hello"}}, false), "<|user|>\nHello</s>\n");
    EXPECT_EQ(render(*tok, {{"system", "Be nice."}, {"user", "Hi"}}, true),
              "<|system|>\nBe nice.</s>\n<|user|>\nHi</s>\n<|assistant|>\n");
    EXPECT_EQ(render(*tok, {{"user", "Hi"}, {"assistant", "Yo"}, {"user", "Q?"}}, true),
              "<|user|>\nHi</s>\n<|assistant|>\nYo</s>\n<|user|>\nQ?</s>\n<|assistant|>\n");
    // Content is not stripped; unknown roles render nothing but still allow the prompt.
    EXPECT_EQ(render(*tok, {{"user", "  x  "}}, true), "<|user|>\n  x  </s>\n<|assistant|>\n");
    EXPECT_EQ(render(*tok, {{"tool", "ignored"}}, true), "<|assistant|>\n");
    EXPECT_EQ(render(*tok, {}, true), "");
}

TEST(ChatTemplates, TinyLlamaTokenizedLikeHf) {
    // apply_chat_template(tokenize=True) encodes the rendered text without adding a bos.
    auto tok = tbtest::load_llama("chat_tinyllama_ids");
    ASSERT_TRUE(tok);
    auto ids = tok->encode_chat({{"user", "Hello"}}, true);
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    EXPECT_EQ(ids.value(), tok->encode("<|user|>\nHello</s>\n<|assistant|>\n", false));
    ASSERT_FALSE(ids.value().empty());
    EXPECT_NE(ids.value().front(), tok->bos_id());
    // "</s>" in the rendered text is the eos id, not the pieces of the string.
    EXPECT_EQ(std::count(ids.value().begin(), ids.value().end(), 2), 1);
    EXPECT_EQ(tok->decode(ids.value()), "<|user|>\nHello</s>\n<|assistant|>\n");
    // A literal "</s>" typed by the user also becomes the eos id (HF does the same).
    auto ids2 = tok->encode_chat({{"user", "say </s> now"}}, true);
    ASSERT_TRUE(ids2.ok());
    EXPECT_EQ(std::count(ids2.value().begin(), ids2.value().end(), 2), 2);
}

// Llama-2-chat: no block tag ends a line, so trim/lstrip never apply. bos_token + "[INST] " +
// stripped content + " [/INST]"; assistant turns " " + stripped content + " " + eos. The
// system message is folded into the first user turn inside <<SYS>> markers.
TEST(ChatTemplates, Llama2Chat) {
    auto tok = tbtest::load_llama("chat_llama2");
    ASSERT_TRUE(tok);
    EXPECT_EQ(render_with(*tok, kLlama2Template, {{"user", "Hello"}}, true),
              "<s>[INST] Hello [/INST]");
    EXPECT_EQ(render_with(*tok, kLlama2Template, {{"system", "Be brief."}, {"user", "Hi"}}, true),
              "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]");
    EXPECT_EQ(render_with(*tok, kLlama2Template,
                          {{"user", " A "}, {"assistant", " B "}, {"user", "C"}}, false),
              "<s>[INST] A [/INST] B </s><s>[INST] C [/INST]");
    // .strip() applies to the combined system+user content only at its ends.
    EXPECT_EQ(render_with(*tok, kLlama2Template, {{"system", "  S  "}, {"user", "  U  "}}, true),
              "<s>[INST] <<SYS>>\n  S  \n<</SYS>>\n\n  U [/INST]");
    auto bad = tok->render_chat_template(kLlama2Template, {{"user", "a"}, {"user", "b"}}, true);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find(
                  "Conversation roles must alternate user/assistant/user/assistant/..."),
              std::string::npos)
        << bad.error().message;
    // The rendered "<s>" becomes the bos id when tokenized.
    auto r = tok->render_chat_template(kLlama2Template, {{"user", "Hello"}}, true);
    ASSERT_TRUE(r.ok());
    auto ids = tok->encode(r.value(), false);
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids.front(), 1);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 1), 1);
}

TEST(ChatTemplates, ChatML) {
    auto tok = tbtest::load_llama("chat_chatml");
    ASSERT_TRUE(tok);
    EXPECT_EQ(render_with(*tok, kChatMLTemplate, {{"system", "S"}, {"user", "U"}}, true),
              "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n"
              "<|im_start|>assistant\n");
    EXPECT_EQ(render_with(*tok, kChatMLTemplate, {{"user", "U"}}, false),
              "<|im_start|>user\nU<|im_end|>\n");
}
