// Shared by the GUI tests that need a model: a Llama-architecture model with the Llama-2
// vocabulary but tiny random weights, written as an HF folder with the real tokenizer and
// TinyLlama's tokenizer_config (chat template included).
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/infer/llama_io.h"
#include "tests/test_paths.h"

namespace guitest {

inline std::string dolly_path() { return tbtest::shared_dir() + "/data/dolly-sample.jsonl"; }

// Returns "" on success, else the error.
inline std::string make_tiny_model_dir(const std::string& dir) {
    tb::LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 32;
    c.intermediate_size = 64;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 8;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 512;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    c.pad_token_id = 2;
    tb::LlamaModel m = tb::init_llama(c, 11, 0.05, {});
    tb::Status st = tb::save_llama_model(m, dir, at::kFloat);
    if (!st.ok()) return st.error().message;
    std::filesystem::copy_file(tbtest::shared_dir() + "/data/llama2-tokenizer.model",
                               dir + "/tokenizer.model",
                               std::filesystem::copy_options::overwrite_existing);
    std::ifstream in(tbtest::fixtures_dir() + "/tokenizer/plain_legacy_false.json");
    const nlohmann::json doc = nlohmann::json::parse(in);
    std::ofstream(dir + "/tokenizer_config.json") << doc.at("tokenizer_config").dump(1);
    return {};
}

}  // namespace guitest
