// `tunebench-cli demo init`: writes a self-contained workspace that makes the whole flow work
// on a laptop CPU in minutes: a Dolly-format dataset, a SentencePiece tokenizer trained on it,
// and a tiny Llama-architecture model (HF folder) briefly pretrained on the prose corpus.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/common/cancel_token.h"
#include "core/common/error.h"

namespace tb::demo {

struct DemoProgress {
    std::string stage;  // "data", "tokenizer", "pretrain", "write"
    int64_t step = 0;   // within the stage
    int64_t total = 0;
    double loss = 0;  // pretraining loss (stage "pretrain")
};

struct DemoParams {
    std::string dir = "tunebench-demo";  // workspace folder to create (must not exist or be empty)
    uint64_t seed = 1234;                // data, tokenizer and weights are a function of this
    int64_t pretrain_steps = 300;        // full-parameter AdamW steps on the prose corpus
    int threads = 2;  // fixed intra-op threads: results don't depend on the machine
    std::function<void(const DemoProgress&)> on_progress;
    const CancelToken* cancel = nullptr;
};

struct DemoResult {
    std::string dir;          // workspace root
    std::string model_dir;    // <dir>/model (HF folder with tokenizer)
    std::string data_path;    // <dir>/data/dolly-demo.jsonl
    std::string config_path;  // <dir>/config.yaml (configs/demo.yaml)
    int64_t records = 0;
    double initial_loss = 0;  // pretraining loss at step 0 and at the end
    double final_loss = 0;
    double seconds = 0;
};

// Builds the workspace in a sibling temp folder and renames it into place at the end, so an
// interrupted run never leaves a half-written workspace behind.
Result<DemoResult> create_demo_workspace(const DemoParams& params);

// The chat template the demo tokenizer ships (TinyLlama-1.1B-Chat's Zephyr-style template).
const std::string& demo_chat_template();

}  // namespace tb::demo
