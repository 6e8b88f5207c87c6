// The table of functions libtunebench_spm.so exports. Both sides are compiled from this tree
// with the same libstdc++, so std::string/std::vector cross the boundary safely; only
// protobuf symbols must not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tb {

constexpr int kSpmBridgeAbiVersion = 1;

struct SpmVocabRaw {
    std::vector<std::string> pieces;
    std::vector<float> scores;
    std::vector<int> types;
    int64_t unk_id = 0, bos_id = -1, eos_id = -1, pad_id = -1;
    bool add_dummy_prefix = true;
    bool byte_fallback = false;
    int model_type = 0;
};

struct SpmBridgeV1 {
    int abi_version;
    bool (*load_vocab)(const std::string& path, SpmVocabRaw* out, std::string* err);
    bool (*encode)(const std::string& path, const std::string& text, std::vector<int>* ids,
                   std::string* err);
    bool (*train)(const std::string& args, std::string* err);
};

}  // namespace tb
