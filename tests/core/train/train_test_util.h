// Shared helpers for the core/train tests: tiny random Llama folders with the real Llama-2
// tokenizer (from ../shared, copied into the scratch folder only), safetensors loading, and
// training parameters over the real Dolly sample.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/common/file_io.h"
#include "core/infer/llama_io.h"
#include "core/model/safetensors.h"
#include "core/train/batching.h"
#include "core/train/lora_injection.h"
#include "core/train/optimizer.h"
#include "core/train/trainer.h"
#include "tests/test_paths.h"

namespace tbtest {

// name -> fp32 CPU tensor (copied out of the mapping).
inline std::map<std::string, at::Tensor> load_safetensors(const std::string& path) {
    auto f = tb::SafetensorsFile::open(path);
    EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
    std::map<std::string, at::Tensor> out;
    if (!f.ok()) return out;
    for (const auto& [name, v] : f.value()->tensors()) {
        at::ScalarType st = v.dtype == tb::StDType::F32    ? at::kFloat
                            : v.dtype == tb::StDType::BF16 ? at::kBFloat16
                            : v.dtype == tb::StDType::U8   ? at::kByte
                                                           : at::kHalf;
        out[name] = at::from_blob(const_cast<uint8_t*>(v.data), v.shape, st).clone();
    }
    return out;
}

inline nlohmann::json load_json(const std::string& path) {
    auto text = tb::read_file(path);
    EXPECT_TRUE(text.ok()) << path;
    return text.ok() ? nlohmann::json::parse(text.value()) : nlohmann::json();
}

// scratch_dir() prefixed with the test binary's name: the train test binaries share one build
// folder and may run in parallel (ctest -j).
inline std::string scratch(const std::string& name) {
    static const std::string exe =
        std::filesystem::read_symlink("/proc/self/exe").filename().string();
    return scratch_dir(exe + "_" + name);
}

inline std::string tokenizer_model_path() { return shared_dir() + "/data/llama2-tokenizer.model"; }
inline std::string dolly_path() { return shared_dir() + "/data/dolly-sample.jsonl"; }

// TinyLlama's tokenizer_config.json (with its Zephyr-style chat template), as recorded by the
// tokenizer fixtures from HF.
inline std::string tinyllama_tokenizer_config() {
    nlohmann::json doc = load_json(fixtures_dir() + "/tokenizer/plain_legacy_false.json");
    return doc.at("tokenizer_config").dump(1);
}

// A Llama-architecture model with the Llama-2 vocabulary (32000) but tiny dimensions, random
// weights, in an HF folder with the real tokenizer. Returns the folder.
inline std::string make_tiny_model_dir(const std::string& name, uint64_t seed = 11,
                                       int64_t hidden = 32, int64_t intermediate = 64) {
    const std::string dir = scratch(name);
    tb::LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = hidden;
    c.intermediate_size = intermediate;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = hidden / 4;
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 10000;
    c.max_position_embeddings = 512;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    c.pad_token_id = 2;
    tb::LlamaModel m = tb::init_llama(c, seed, 0.05, {});
    tb::Status st = tb::save_llama_model(m, dir, at::kFloat);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    std::filesystem::copy_file(tokenizer_model_path(), dir + "/tokenizer.model");
    std::ofstream(dir + "/tokenizer_config.json") << tinyllama_tokenizer_config();
    return dir;
}

// Small but real training settings over the Dolly sample (270 train / 15 val rows).
inline tb::TrainParams tiny_params(const std::string& model_dir, const std::string& run_dir) {
    tb::TrainParams p;
    p.model_dir = model_dir;
    p.data_path = dolly_path();
    p.read_options.format = tb::DataFormat::Dolly;
    p.max_length = 64;
    p.lora.r = 4;
    p.lora.alpha = 8;
    p.lora.dropout = 0.1;  // exercises the generator state in resume tests
    p.lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
    p.epochs = 1;
    p.batch_size = 2;
    p.gradient_accumulation_steps = 2;
    p.learning_rate = 5e-3;
    p.adamw.weight_decay = 0.01;
    p.schedule = tb::ScheduleKind::Cosine;
    p.warmup_steps = 2;
    p.max_steps = 8;
    p.device = "cpu";
    p.dtype = "float32";
    p.eval_steps = 4;
    p.eval_on_start = true;
    p.eval_batch_size = 8;
    p.save_steps = 3;
    p.logging_steps = 1;
    p.run_dir = run_dir;
    p.save_merged_model = false;
    return p;
}

// Step losses of a run as the progress callback reports them (index = step - 1 ... keyed).
struct LossRecorder {
    std::map<int64_t, double> losses;
    tb::ProgressCallback callback() {
        return [this](const tb::TrainProgress& p) {
            if (p.phase == tb::TrainPhase::Training) losses[p.step] = p.loss;
        };
    }
};

}  // namespace tbtest
