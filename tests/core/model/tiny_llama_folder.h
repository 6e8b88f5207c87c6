// Test helper: writes a small random-weight Llama model as a Hugging Face folder
// (config.json, generation_config.json, model.safetensors or shards + index). Header-only so
// any test target linking tb_model_io can use it. Deterministic for a seed on every platform
// (mt19937_64 bits only, no std::*_distribution).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/file_io.h"
#include "core/model/model_config.h"
#include "core/model/model_folder.h"
#include "core/model/safetensors.h"

namespace tbtest {

struct TinyLlamaOptions {
    uint64_t seed = 0;
    tb::StDType dtype = tb::StDType::F32;  // F32, F16 or BF16; config.json's dtype follows it
    int shards = 0;  // 0: one model.safetensors; N >= 1: N shards + index.json
    bool write_generation_config = true;
    float weight_scale = 0.05f;  // weights uniform in [-s, s], norm weights 1 + [-s, s]
};

// Round-to-nearest-even conversions from fp32 (NaN stays NaN, overflow becomes inf).
inline uint16_t float_to_bf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40);
    x += 0x7fffu + ((x >> 16) & 1u);
    return static_cast<uint16_t>(x >> 16);
}

inline uint16_t float_to_f16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t exp = (x >> 23) & 0xffu;
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xffu) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));
    const int32_t e = static_cast<int32_t>(exp) - 127 + 15;
    if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
    if (e <= 0) {  // subnormal half (or zero)
        if (e < -10) return static_cast<uint16_t>(sign);
        mant |= 0x800000u;
        const int shift = 14 - e;
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1u), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (h & 1u))) ++h;
        return static_cast<uint16_t>(sign | h);
    }
    uint32_t h = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry correctly bumps the exponent
    return static_cast<uint16_t>(sign | h);
}

// Little-endian bytes of `v` in dtype `dt` (F32, F16 or BF16).
inline std::string float_bytes(const std::vector<float>& v, tb::StDType dt) {
    std::string out;
    if (dt == tb::StDType::F32) {
        out.resize(v.size() * 4);
        for (size_t i = 0; i < v.size(); ++i) {
            uint32_t x;
            std::memcpy(&x, &v[i], 4);
            for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<char>(x >> (8 * b));
        }
        return out;
    }
    out.resize(v.size() * 2);
    for (size_t i = 0; i < v.size(); ++i) {
        const uint16_t h = dt == tb::StDType::BF16 ? float_to_bf16(v[i]) : float_to_f16(v[i]);
        out[i * 2] = static_cast<char>(h & 0xff);
        out[i * 2 + 1] = static_cast<char>(h >> 8);
    }
    return out;
}

// Uniform in [-1, 1) from the top 53 bits of a 64-bit draw.
inline double unit_uniform(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

// A small valid Llama config chosen by `seed`: sometimes GQA, tied head, head_dim that is not
// hidden/heads, llama3 RoPE, biases; always tiny (a few thousand parameters).
inline tb::LlamaConfig random_tiny_llama_config(uint64_t seed) {
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 17);
    auto pick = [&](std::vector<int64_t> xs) { return xs[rng() % xs.size()]; };
    tb::LlamaConfig c;
    c.num_key_value_heads = pick({1, 2});
    c.num_attention_heads = c.num_key_value_heads * pick({1, 2, 4});
    c.head_dim = pick({4, 8});
    // Half the time head_dim != hidden / heads; hidden stays a multiple of the head count
    // because transformers 5's LlamaConfig validation insists on it.
    c.hidden_size = c.num_attention_heads * ((rng() % 2) ? c.head_dim : pick({3, 5, 6}));
    c.intermediate_size = pick({16, 28, 40});
    c.vocab_size = pick({40, 64, 97});
    c.num_hidden_layers = pick({1, 2, 3});
    c.tie_word_embeddings = rng() % 2;
    c.rope_theta = static_cast<double>(pick({10000, 500000, 12345}));
    c.rms_norm_eps = (rng() % 2) ? 1e-5 : 1e-6;
    c.max_position_embeddings = pick({64, 128, 256});
    if (rng() % 3 == 0) {
        c.rope_scaling.type = "llama3";
        c.rope_scaling.factor = 8.0;
        c.rope_scaling.low_freq_factor = 1.0;
        c.rope_scaling.high_freq_factor = 4.0;
        c.rope_scaling.original_max_position_embeddings = 32;
    }
    c.attention_bias = rng() % 4 == 0;
    c.mlp_bias = rng() % 4 == 0;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

// Random tensors (name-sorted generation order, so single-file and sharded folders written
// with the same seed hold identical bytes) for every tensor `cfg` implies.
inline std::vector<tb::StTensorOut> tiny_llama_tensors(const tb::LlamaConfig& cfg,
                                                       const TinyLlamaOptions& opt) {
    std::mt19937_64 rng(opt.seed);
    std::vector<tb::StTensorOut> out;
    for (const auto& [name, shape] : tb::expected_llama_tensors(cfg)) {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        const bool is_norm = name.find("norm") != std::string::npos;
        std::vector<float> v(static_cast<size_t>(n));
        for (float& x : v)
            x = static_cast<float>((is_norm ? 1.0 : 0.0) + opt.weight_scale * unit_uniform(rng));
        out.push_back({name, opt.dtype, shape, float_bytes(v, opt.dtype)});
    }
    return out;
}

inline const char* dtype_config_name(tb::StDType dt) {
    return dt == tb::StDType::BF16 ? "bfloat16" : dt == tb::StDType::F16 ? "float16" : "float32";
}

// Writes the folder (creating nothing but files: `dir` must exist).
inline tb::Status write_tiny_llama_folder(const std::string& dir, const tb::LlamaConfig& cfg_in,
                                          const TinyLlamaOptions& opt) {
    tb::LlamaConfig cfg = cfg_in;
    cfg.dtype = dtype_config_name(opt.dtype);
    TB_TRY_STATUS(tb::write_file_atomic(dir + "/config.json", tb::llama_config_to_json(cfg)));
    if (opt.write_generation_config) {
        tb::GenerationDefaults g;
        g.bos_token_id = cfg.bos_token_id;
        g.eos_token_ids = cfg.eos_token_ids;
        TB_TRY_STATUS(tb::write_file_atomic(dir + "/generation_config.json",
                                            tb::generation_defaults_to_json(g)));
    }
    std::vector<tb::StTensorOut> tensors = tiny_llama_tensors(cfg, opt);
    const std::map<std::string, std::string> meta = {{"format", "pt"}};
    if (opt.shards <= 0) return tb::write_safetensors(dir + "/model.safetensors", tensors, meta);

    // Contiguous runs of the name-sorted tensors, like save_pretrained's size-based split.
    const size_t n_shards = static_cast<size_t>(opt.shards);
    nlohmann::json weight_map = nlohmann::json::object();
    uint64_t total = 0;
    for (size_t s = 0; s < n_shards; ++s) {
        const size_t lo = tensors.size() * s / n_shards, hi = tensors.size() * (s + 1) / n_shards;
        char name[64];
        std::snprintf(name, sizeof(name), "model-%05zu-of-%05zu.safetensors", s + 1, n_shards);
        std::vector<tb::StTensorOut> part(tensors.begin() + static_cast<std::ptrdiff_t>(lo),
                                          tensors.begin() + static_cast<std::ptrdiff_t>(hi));
        for (const auto& t : part) {
            weight_map[t.name] = name;
            total += t.data.size();
        }
        TB_TRY_STATUS(tb::write_safetensors(dir + "/" + name, part, meta));
    }
    nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    return tb::write_file_atomic(dir + "/model.safetensors.index.json", index.dump(2) + "\n");
}

inline tb::Status write_tiny_llama_folder(const std::string& dir, const tb::LlamaConfig& cfg,
                                          uint64_t seed) {
    TinyLlamaOptions opt;
    opt.seed = seed;
    return write_tiny_llama_folder(dir, cfg, opt);
}

// Reads a safetensors file, lets `edit` change the tensor list (drop, rename, reshape, ...)
// and metadata, and writes it back. For building malformed folders in tests.
inline tb::Status rewrite_safetensors(
    const std::string& path,
    const std::function<void(std::vector<tb::StTensorOut>&, std::map<std::string, std::string>&)>&
        edit) {
    std::vector<tb::StTensorOut> tensors;
    std::map<std::string, std::string> meta;
    {
        auto f = tb::SafetensorsFile::open(path);
        if (!f.ok()) return f.error();
        for (const auto& [name, v] : (*f)->tensors())
            tensors.push_back({name, v.dtype, v.shape,
                               std::string(reinterpret_cast<const char*>(v.data), v.nbytes)});
        meta = (*f)->metadata();
    }
    edit(tensors, meta);
    return tb::write_safetensors(path, tensors, meta);
}

}  // namespace tbtest
