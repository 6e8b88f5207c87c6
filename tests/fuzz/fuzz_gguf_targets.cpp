// The GGUF reader under fuzz (issue 13): core/gguf/gguf_file.cpp and the dequantisers, built
// with ASan/UBSan into their own binary (fuzz_gguf: the shared driver, fuzz_driver.cpp, with
// this target list). Seeds are GGUF files written by the writer (every metadata type, every
// tensor type); the driver truncates, bit-flips, deletes, duplicates and inserts ranges.
// Promises checked on every accepted input: each tensor's padded data lies inside the image and
// dequantises (every byte read, so ASan sees any view that points elsewhere); string and number
// arrays hold as many elements as their declared length; lookups by name find each tensor.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/gguf/gguf_file.h"
#include "tests/fuzz/fuzz_targets.h"

namespace tbfuzz {

namespace fs = std::filesystem;
using namespace tb::gguf;

const std::string& scratch_dir() {
    static const std::string dir = [] {
        const char* base = std::getenv("TB_FUZZ_SCRATCH");
        fs::path p = fs::path(base ? base : fs::temp_directory_path().string()) /
                     ("tb-fuzz-gguf-" + std::to_string(::getpid()));
        fs::create_directories(p);
        return p.string();
    }();
    return dir;
}

void fuzz_fail(const std::string& target, const std::string& what) {
    std::fprintf(stderr, "\nFUZZ FAILURE in %s: %s\n", target.c_str(), what.c_str());
    std::fflush(stderr);
    std::abort();
}

namespace {

std::string slurp(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fuzz_fail("seeds", "cannot read " + path);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
}

std::vector<std::string> gguf_seeds() {
    std::vector<std::string> out;
    const std::vector<GgmlType> types = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16,
                                         GgmlType::Q8_0, GgmlType::Q5_0, GgmlType::Q4_K,
                                         GgmlType::Q6_K};
    for (int variant = 0; variant < 2; ++variant) {
        Writer w;
        w.set("general.architecture", Value::str("llama"));
        w.set("llama.block_count", Value::u32(1));
        w.set("eps", Value::f32(1e-5f));
        w.set("flag", Value::boolean(variant == 0));
        w.set("tokenizer.ggml.tokens", Value::str_array({"<unk>", "<s>", "</s>",
                                                         "\xe2\x96\x81"
                                                         "a"}));
        w.set("tokenizer.ggml.scores", Value::f32_array({0, 0, 0, -1.5f}));
        w.set("tokenizer.ggml.token_type", Value::i32_array({2, 3, 3, 1}));
        if (variant == 1) w.set("general.alignment", Value::u32(64));
        std::vector<std::vector<uint8_t>> data;
        int k = 0;
        for (GgmlType t : types) {
            const int64_t n = block_size(t) == 1 ? 8 : block_size(t);
            w.add_tensor("t" + std::to_string(k++), {n, variant + 1}, t);
            std::vector<uint8_t> d(static_cast<size_t>(row_bytes(t, n) * (variant + 1)));
            for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(i * 37 + 11);
            data.push_back(std::move(d));
        }
        const std::string path = scratch_dir() + "/seed" + std::to_string(variant) + ".gguf";
        if (!w.begin(path, variant == 1 ? 64 : 32).ok()) fuzz_fail("seeds", "begin");
        for (const auto& d : data) {
            if (!w.write_tensor(d.data(), d.size()).ok()) fuzz_fail("seeds", "write");
        }
        if (!w.finish().ok()) fuzz_fail("seeds", "finish");
        out.push_back(slurp(path));
    }
    return out;
}

std::vector<std::string> gguf_dictionary() {
    auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
    auto u64 = [](uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
    return {"GGUF",
            u32(3),
            u32(2),
            u32(8),
            u32(9),
            u32(12),
            u32(14),
            u32(30),
            u32(0xFFFFFFFF),
            u64(0),
            u64(1),
            u64(32),
            u64(256),
            u64(uint64_t(1) << 62),
            "general.alignment"};
}

bool run_gguf(const uint8_t* data, size_t size) {
    auto r = Reader::parse(data, size, "fuzz");
    if (!r.ok()) {
        if (r.error().message.empty()) fuzz_fail("gguf", "error without a message");
        return false;
    }
    const Reader& g = *r.value();
    for (const auto& [k, v] : g.metadata()) {
        if (v.type == ValueType::ARRAY && v.elem_type == ValueType::STRING &&
            v.strs.size() != v.array_len) {
            fuzz_fail("gguf", k + ": string array length differs from its count");
        }
        if (v.type == ValueType::ARRAY && v.elem_type != ValueType::STRING &&
            v.elem_type != ValueType::ARRAY && v.nums.size() != v.array_len) {
            fuzz_fail("gguf", k + ": number array length differs from its count");
        }
    }
    unsigned sum = 0;
    for (const auto& t : g.tensors()) {
        if (g.tensor(t.name) != &t)
            fuzz_fail("gguf", "lookup of '" + t.name + "' finds another tensor");
        const int64_t nb = t.n_bytes();
        if (nb < 0 || g.data_offset() + t.offset + static_cast<uint64_t>(nb) > size) {
            fuzz_fail("gguf", "accepted tensor '" + t.name + "' outside the file");
        }
        const uint8_t* p = g.tensor_data(t);
        for (int64_t i = 0; i < nb; ++i) sum += p[i];
        // Dequantise small tensors entirely (large accepted shapes would only cost time).
        if (t.n_elements() <= (1 << 16)) {
            auto v = g.dequantize(t.name);
            if (!v.ok())
                fuzz_fail("gguf", "accepted tensor '" + t.name +
                                      "' does not dequantise: " + v.error().message);
        }
    }
    volatile unsigned sink = sum;
    (void)sink;
    return true;
}

}  // namespace

const std::vector<Target>& targets() {
    static const std::vector<Target> t = {{"gguf", gguf_seeds, gguf_dictionary, run_gguf, false}};
    return t;
}

const Target* find_target(const std::string& name) {
    for (const auto& t : targets()) {
        if (name == t.name) return &t;
    }
    return nullptr;
}

}  // namespace tbfuzz
