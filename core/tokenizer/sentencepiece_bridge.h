// Access to the sentencepiece library from a process that also holds libtorch.
//
// Why a bridge: Debian's libsentencepiece bundles its own protobuf-lite 3.14 and exports
// those symbols, while libtorch loads the system libprotobuf 3.21. In one global symbol
// scope the two interpose on each other and the process dies during static initialisation
// (or with protobuf's version-check abort). So sentencepiece lives in a small shared library
// (libtunebench_spm.so) that we dlopen with RTLD_LOCAL | RTLD_DEEPBIND: its protobuf calls
// bind to its own copy, and nothing it exports leaks into libtorch's scope.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb {

// The vocabulary of a SentencePiece model, as the library reports it.
struct SpmVocab {
    std::vector<std::string> pieces;  // id -> piece
    std::vector<float> scores;        // id -> score
    std::vector<int> types;           // id -> sentencepiece::ModelProto::SentencePiece::Type
                                      //   (1 normal, 2 unknown, 3 control, 4 user-defined,
                                      //    5 unused, 6 byte)
    int64_t unk_id = 0;
    int64_t bos_id = -1;
    int64_t eos_id = -1;
    int64_t pad_id = -1;
    bool add_dummy_prefix = true;  // normalizer_spec.add_dummy_prefix
    bool byte_fallback = false;    // trainer_spec.byte_fallback
    int model_type = 0;            // trainer_spec.model_type (1 unigram, 2 bpe, ...)
};

// Loads tokenizer.model through the sentencepiece library. Errors name the path.
Result<SpmVocab> spm_load_vocab(const std::string& model_path);

// sentencepiece's own encoder, for diagnostics and tests (not used for HF-exact ids).
Result<std::vector<int>> spm_encode(const std::string& model_path, const std::string& text);

// Runs SentencePieceTrainer::Train with a command-line style argument string.
Status spm_train(const std::string& args);

}  // namespace tb
