// The embedded demo's data, written by the project itself (no download): a Dolly-format
// instruction dataset over Dolly's 8 categories and a plain-text "pretraining" corpus that
// states the same facts in prose. The base model learns the language from the prose only,
// so fine-tuning on the instruction records visibly teaches it to answer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tb::demo {

struct DollyRecord {
    std::string instruction;
    std::string context;
    std::string response;
    std::string category;  // one of Dolly's 8 categories
};

struct DemoData {
    std::vector<DollyRecord> records;  // >= 300, every category present
    std::vector<std::string> corpus;   // prose documents for pretraining / tokenizer training
};

// Deterministic for a seed on every machine (own PRNG, no std:: distributions).
DemoData make_demo_data(uint64_t seed);

// One JSON object per line with instruction/context/response/category, like Dolly 15k.
std::string to_dolly_jsonl(const std::vector<DollyRecord>& records);

}  // namespace tb::demo
