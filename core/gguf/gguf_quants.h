// GGML tensor types and their row (de)quantisers, written to give the same bytes as ggml's
// reference quantisers (ggml-quants.c quantize_row_*_ref, ggml.c fp16/bf16 conversions).
//
// Matched against llama.cpp release v0.5.0 as bundled by node-llama-cpp 3.22.1 (source read
// at ggml-org/llama.cpp commit 01243c587feceaa5d6a6c2305535ef2f549c48b8, ggml/src/
// ggml-quants.c); the interop test calls that release's libggml-base.so on the same inputs.
// llama-quantize without an importance matrix calls exactly these *_ref functions
// (quantize_q4_K(..., quant_weights = NULL) -> quantize_row_q4_K_ref), so a file written here
// holds the bytes llama-quantize would write from the same float32 weights.
//
// Bytes depend on float rounding order, so this file's .cpp is built with -ffp-contract=off
// (no fused multiply-add), which is what ggml-base gets on a generic x86-64 target.
//
// Q8_0's rule lives in core/quant/q8_0.h (the quant engine's); gguf_export.cpp reuses it
// (q8cpu::quantize_row) and only interleaves its planes into ggml blocks. This module stays
// torch-free, so it has Q8_0's dequantiser and layout but not its quantiser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/common/error.h"

namespace tb::gguf {

// ggml_type values (ggml.h) for the types tunebench reads and writes.
enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q5_0 = 6,  // llama-quantize's fallback for Q4_K rows not a multiple of 256
    Q8_0 = 8,
    Q4_K = 12,
    Q6_K = 14,
    BF16 = 30,
};

constexpr int64_t kQK_K = 256;  // super-block of the K quants
constexpr int64_t kQK8_0 = 32;
constexpr int64_t kQK5_0 = 32;

// Block bytes (ggml_type_size): Q8_0 {fp16 d; int8 qs[32]} = 34; Q5_0 {fp16 d; u8 qh[4];
// u8 qs[16]} = 22; Q4_K {fp16 d, dmin; u8 scales[12]; u8 qs[128]} = 144; Q6_K {u8 ql[128];
// u8 qh[64]; int8 scales[16]; fp16 d} = 210.
bool type_known(uint32_t t);
const char* type_name(GgmlType t);
int64_t block_size(GgmlType t);  // values per block (1 for F32/F16/BF16)
int64_t type_size(GgmlType t);   // bytes per block
// Bytes of a row of n values (n a multiple of block_size), -1 otherwise.
int64_t row_bytes(GgmlType t, int64_t n);
// Parses "f32", "f16", "bf16", "q8_0", "q4_k", "q6_k", "q5_0" (any case).
Result<GgmlType> parse_type(const std::string& name);

// ggml_compute_fp32_to_fp16 (round to nearest even; F16C's _cvtss_sh does the same) and back.
uint16_t fp32_to_fp16(float f);
float fp16_to_fp32(uint16_t h);
// ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet (| 64).
uint16_t fp32_to_bf16(float f);
float bf16_to_fp32(uint16_t h);

// Quantises one row of n float32 values into `out` (row_bytes(t, n) bytes). F32, F16, BF16,
// Q5_0, Q4_K, Q6_K; Q8_0 is refused here (see the top: it is gguf_export's, via core/quant).
// Errors: n not a multiple of the block size, or Q8_0.
Status quantize_row(GgmlType t, const float* x, int64_t n, uint8_t* out);

// The reference quantisers themselves (ggml names), n a multiple of the block size.
void quantize_row_q5_0_ref(const float* x, uint8_t* y, int64_t n);
void quantize_row_q4_K_ref(const float* x, uint8_t* y, int64_t n);
void quantize_row_q6_K_ref(const float* x, uint8_t* y, int64_t n);

// Dequantises n values of type t from `in` (row_bytes(t, n) bytes) into y. All types above.
Status dequantize_row(GgmlType t, const uint8_t* in, int64_t n, float* y);

}  // namespace tb::gguf
