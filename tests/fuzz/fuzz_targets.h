// The readers under fuzz (issue 10): safetensors files, Hugging Face model folders, PEFT
// adapters (weights and config), dataset files in every format, the YAML run config and the
// model's config.json. Each target takes one input (the bytes of the file it mutates; the other
// files of a folder stay valid), runs the real reader on it and checks what the reader promises
// when it accepts the input (views inside the file, byte counts that match the dtype, a config
// that round-trips, an adapter attached whole or not at all). A broken promise calls
// fuzz_fail(), which aborts; the driver (fuzz_driver.cpp, built with ASan/UBSan) reports an
// abort like a sanitizer finding and keeps the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tbfuzz {

struct Target {
    const char* name;
    // Valid inputs the mutations start from (made in-process: no files in the repo).
    std::vector<std::string> (*seeds)();
    // Tokens that mean something to this reader (dtype names, YAML/JSON syntax, keys).
    std::vector<std::string> (*dictionary)();
    // Runs the reader on one input. Returns true when the reader accepted it.
    bool (*run)(const uint8_t* data, size_t size);
    // The input is a safetensors file: the driver also mutates its JSON header as text and
    // fixes up the 8-byte length, so that mutations reach past the JSON parser.
    bool safetensors_layout;
};

const std::vector<Target>& targets();
const Target* find_target(const std::string& name);

// Per-process scratch folder the targets write their files into.
const std::string& scratch_dir();

// A broken reader promise: prints `what` and aborts.
[[noreturn]] void fuzz_fail(const std::string& target, const std::string& what);

}  // namespace tbfuzz
