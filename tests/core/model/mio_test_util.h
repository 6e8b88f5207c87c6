// Shared helpers for the model-io tests (plain and ASan/UBSan executables).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/test_paths.h"

// The plain and the sanitizer executable live in one build folder; give each its own scratch
// space so `ctest -j` cannot make them delete each other's files.
#ifndef TB_MIO_VARIANT
#define TB_MIO_VARIANT "plain"
#endif

namespace miotest {

inline std::string scratch(const std::string& name) {
    return tbtest::scratch_dir(std::string("mio_") + TB_MIO_VARIANT + "_" + name);
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string le_u64(uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    return s;
}

// A hand-made safetensors file: length prefix (of `header`, unless `claimed_len` is given),
// header text, data bytes. Lets tests write headers that lie.
inline std::string raw_safetensors(const std::string& header, const std::string& data,
                                   int64_t claimed_len = -1) {
    const uint64_t n = claimed_len >= 0 ? static_cast<uint64_t>(claimed_len) : header.size();
    return le_u64(n) + header + data;
}

inline bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

}  // namespace miotest
