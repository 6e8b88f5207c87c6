// Shared helpers for the tokenizer tests: the real Llama-2/TinyLlama SentencePiece model from
// ../shared (never copied: model folders get a symlink) and TinyLlama's tokenizer_config.json.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/tokenizer/tokenizer.h"
#include "tests/test_paths.h"

namespace tbtest {

inline std::string llama_sp_model() { return shared_dir() + "/data/llama2-tokenizer.model"; }

// TinyLlama's chat template (tokenizer_config.json of TinyLlama-1.1B-Chat-v1.0).
inline const char* tinyllama_template() {
    return "{% for message in messages %}\n"
           "{% if message['role'] == 'user' %}\n"
           "{{ '<|user|>\n' + message['content'] + eos_token }}\n"
           "{% elif message['role'] == 'system' %}\n"
           "{{ '<|system|>\n' + message['content'] + eos_token }}\n"
           "{% elif message['role'] == 'assistant' %}\n"
           "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
           "{% endif %}\n"
           "{% if loop.last and add_generation_prompt %}\n"
           "{{ '<|assistant|>' }}\n"
           "{% endif %}\n"
           "{% endfor %}";
}

inline nlohmann::json tinyllama_config(bool legacy = false) {
    auto special = [](const char* content) {
        return nlohmann::json{{"content", content}, {"lstrip", false},      {"normalized", false},
                              {"rstrip", false},    {"single_word", false}, {"special", true}};
    };
    return nlohmann::json{
        {"add_bos_token", true},
        {"add_eos_token", false},
        {"added_tokens_decoder",
         {{"0", special("<unk>")}, {"1", special("<s>")}, {"2", special("</s>")}}},
        {"bos_token", "<s>"},
        {"chat_template", tinyllama_template()},
        {"clean_up_tokenization_spaces", false},
        {"eos_token", "</s>"},
        {"legacy", legacy},
        {"model_max_length", 2048},
        {"pad_token", "</s>"},
        {"padding_side", "right"},
        {"sp_model_kwargs", nlohmann::json::object()},
        {"tokenizer_class", "LlamaTokenizer"},
        {"unk_token", "<unk>"},
        {"use_default_system_prompt", false}};
}

// A model folder in the build tree: tokenizer.model is a symlink to the shared file.
inline std::string make_model_dir(const std::string& name, const nlohmann::json& config) {
    std::string dir = scratch_dir(name);
    std::filesystem::create_symlink(llama_sp_model(), dir + "/tokenizer.model");
    std::ofstream(dir + "/tokenizer_config.json") << config.dump(2);
    return dir;
}

inline std::shared_ptr<tb::Tokenizer> load_llama(const std::string& name, bool legacy = false) {
    auto tok = tb::Tokenizer::load(make_model_dir(name, tinyllama_config(legacy)));
    if (!tok.ok()) {
        ADD_FAILURE() << tok.error().message;
        return nullptr;
    }
    return tok.value();
}

// Strict UTF-8 check for the streaming tests.
inline bool is_valid_utf8(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80                   ? 1
                     : (c >= 0xC2 && c <= 0xDF) ? 2
                     : (c >= 0xE0 && c <= 0xEF) ? 3
                     : (c >= 0xF0 && c <= 0xF4) ? 4
                                                : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

}  // namespace tbtest
