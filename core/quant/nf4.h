// NF4 weight quantisation as in the QLoRA paper and bitsandbytes (quantize_4bit with
// quant_type="nf4", compress_statistics=True):
//
//   1. blocks of `blocksize` (64) consecutive elements of the flattened weight; absmax per block
//      in float32 (the last block may be partial);
//   2. each element normalised as x * (1 / absmax) and mapped to the NF4 code by bitsandbytes'
//      dQuantizeNF4 split points (codebook.h); two 4-bit codes per byte, the FIRST element in
//      the HIGH nibble; an odd element count leaves the last low nibble holding the code of a
//      padding 0 (bitsandbytes does the same);
//   3. double quantisation of the absmax values: offset = mean(absmax) (computed in float64
//      and rounded to float32; bitsandbytes uses a float32 device mean, equal up to summation
//      order), then absmax - offset quantised blockwise (block 256) to 8 bits with the signed
//      dynamic map (quantize_blockwise's default code). Stored: absmax_q uint8 [nblocks],
//      absmax2 float32 [ceil(nblocks / 256)], offset.
//   Dequantisation: absmax' = dyn[absmax_q] * absmax2[b / 256] + offset (two float32 roundings,
//   no fma), w = nf4[code] * absmax' in float32, then cast to the requested dtype.
//
// Memory per weight element: 0.5 byte codes + 1/64 byte absmax_q + 4/(64*256) byte absmax2
// = 0.5157 bytes (4.13 bits), against 2 bytes in bf16 and 4 in fp32.
//
// CPU: torch ops (vectorised). CUDA: hand-written kernels (nf4_kernels.cu) for the NF4 stage;
// the absmax stage (1/64 of the data) uses the same torch ops as the CPU.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/common/error.h"

namespace tb {

struct Nf4Options {
    int64_t blocksize = 64;          // NF4 block; a power of two in [64, 4096] (bitsandbytes' set)
    bool double_quant = true;        // quantise the absmax values again (QLoRA's double quant)
    int64_t nested_blocksize = 256;  // block of the 8-bit absmax quantisation
    // CUDA tensors: use the hand-written kernels (false: the torch-op path, for cross-checks).
    bool use_cuda_kernel = true;
};

struct QuantizedWeight {
    at::Tensor packed;    // uint8 [ceil(numel / 2)] NF4 codes, first element in the high nibble
    at::Tensor absmax_q;  // uint8 [nblocks] 8-bit absmax codes (double quant; else undefined)
    at::Tensor absmax2;   // float32 [ceil(nblocks / nested_blocksize)] (double quant)
    at::Tensor absmax;    // float32 [nblocks] plain absmax (only when double quant is off)
    float offset = 0.0f;  // mean absmax subtracted before the 8-bit quantisation
    std::vector<int64_t> shape;         // shape of the original tensor
    at::ScalarType dtype = at::kFloat;  // dtype of the original tensor
    int64_t blocksize = 64;
    int64_t nested_blocksize = 256;

    bool double_quant() const { return absmax_q.defined(); }
    int64_t numel() const;
    int64_t nblocks() const { return (numel() + blocksize - 1) / blocksize; }
    at::Device device() const { return packed.device(); }

    // The per-block absmax as float32 [nblocks] (decoded when double-quantised).
    at::Tensor absmax_values() const;
    // The unpacked NF4 codes, uint8 [numel] (tests and debugging).
    at::Tensor codes() const;
    // The dense weight with the original shape in `dtype` on `device`. Decoding runs on the
    // storage device (CUDA kernel there) unless `device` differs, in which case the packed data
    // (small) moves first. Never cached.
    at::Tensor dequantize(at::ScalarType dtype, at::Device device) const;
    at::Tensor dequantize() const { return dequantize(dtype, device()); }
    // Bytes held: codes + absmax data (+ 4 for the offset when double-quantised).
    int64_t bytes() const;
    // A copy with every tensor on `device`.
    QuantizedWeight to(at::Device device) const;
};

// Quantises a floating-point tensor (fp32/bf16/fp16, any shape, on CPU or CUDA) on its device.
// Errors: non-float dtype, empty tensor, unsupported block sizes.
Result<QuantizedWeight> quantize_nf4(const at::Tensor& w, const Nf4Options& opts = {});

// Largest gap between neighbouring NF4 values (0.3038, between -1.0 and -0.6962): an element of
// a block with absmax a is reconstructed within half of it times a (before double quantisation).
double nf4_max_gap();

}  // namespace tb
