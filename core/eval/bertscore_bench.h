// BERTScore throughput: tunebench's BERTScore (core/bertscore) beside a Python computation of
// the same pairs in the same run (resources/bench/bertscore_bench.py: the bert_score package
// when importable, else the same algorithm written with torch + transformers), per device.
//
// The encoder is a random-weight BERT of the chosen shape ("base": BERT-base, 12 layers,
// hidden 768, 12 heads, FFN 3072, 512 positions, vocab 30522; "tiny" for tests) written as a
// Hugging Face folder (config.json, model.safetensors, vocab.txt, tokenizer_config.json), so
// no download is needed; the WordPiece vocabulary is built from the benchmark's own texts
// (characters, ##characters, then the most frequent words), so tokens per text are realistic.
// Pairs: candidate = response k mod n, reference = response (7k + 3) mod n of the data file.
//
// Timing: every timed run is one full score() call as a user makes it (model and tokenizer
// load included, as bert_score.score() does); load time is measured separately on both sides
// so that scoring-only pairs/s can be reported too. CUDA work is synchronised before a clock
// stops. The F1 values of both sides are compared (largest absolute difference).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"

namespace tb::eval {

struct BertScoreBenchParams {
    std::string data_path;  // JSONL with a "response" (or "output") string per line
    int64_t pairs = 1000;
    std::string model_dir;       // an encoder folder to use; empty: write a random one
    std::string shape = "base";  // random encoder shape: base | tiny
    std::string work_dir;        // where the random encoder and the pairs file are written
    int num_layers = -1;         // -1: 9 for base (bert_score's bert-base-uncased), else last
    int batch_size = 64;
    bool idf = false;
    std::vector<std::string> devices = {"cpu"};
    int warmup = 0;   // untimed calls per device and side
    int repeats = 1;  // timed calls per device and side (median reported)
    bool python = true;
    std::string python_exe = "python3";
    std::string script;  // resources/bench/bertscore_bench.py
    uint64_t seed = 1234;
    const CancelToken* cancel = nullptr;
    std::function<void(const std::string&)> on_progress;
};

// Runs the benchmark; the JSON holds "config", "tokens" (per side of the pairs) and one entry
// per device under "devices" with "tunebench" and "python" figures, "ratio" and
// "max_abs_f1_diff". A Python failure is recorded in its entry, not returned as an error.
Result<nlohmann::json> run_bertscore_bench(const BertScoreBenchParams& params);

// Human-readable table of run_bertscore_bench's JSON.
std::string format_bertscore_bench(const nlohmann::json& result);

}  // namespace tb::eval
