// Blockwise 8-bit quantisation with a 256-entry codebook (bitsandbytes' quantize_blockwise):
// each block of `blocksize` values is scaled by its absmax and mapped onto the codebook with
// dquantize_search. Used for NF4 double quantisation (block 256, signed dynamic map) and for
// the 8-bit optimizer states (signed map for m, unsigned for v).
#pragma once

#include <torch/torch.h>

namespace tb {

struct Blockwise8 {
    at::Tensor codes;   // uint8 [n]
    at::Tensor absmax;  // float32 [ceil(n / blocksize)], max |x| per block
};

// x: any float tensor (read as flat float32). The last block may be partial; its absmax is
// taken over its real values only. Values are normalised as x * (1 / absmax) (float32
// reciprocal, then a multiply: kQuantizeBlockwise's arithmetic). An all-zero block maps to
// code 0 and dequantises to 0 whatever code 0 is. Runs with torch ops on x's device.
Blockwise8 quantize_blockwise8(const at::Tensor& x, const at::Tensor& code, int64_t blocksize);

// Inverse: code[codes] * absmax[block] as flat float32 [n] on codes' device.
at::Tensor dequantize_blockwise8(const at::Tensor& codes, const at::Tensor& absmax,
                                 const at::Tensor& code, int64_t blocksize);

// Pads a flat tensor with zeros to a multiple of `blocksize` and views it as [nblocks, blocksize].
at::Tensor as_blocks(const at::Tensor& flat, int64_t blocksize);

}  // namespace tb
