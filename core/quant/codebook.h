// Quantisation codebooks of bitsandbytes and the exact search it uses to map a value onto an
// 8-bit codebook. Shared by NF4 double quantisation (nf4.h) and the 8-bit optimizer.
//
// Why transcribe bitsandbytes bit for bit: QLoRA checkpoints and the study's numbers come from
// bitsandbytes, and fixtures generated from the same algorithm (tests/fixtures/nf4) can then be
// compared code for code instead of "roughly".
#pragma once

#include <torch/torch.h>

#include <array>

namespace tb {

// The 16 NF4 values of the QLoRA paper, as listed in bitsandbytes' get_4bit_type("nf4"),
// ascending (code 0 = -1.0, code 7 = 0.0, code 15 = 1.0), rounded to float32.
const std::array<float, 16>& nf4_values();

// The 15 split points of bitsandbytes' dQuantizeNF4 decision tree (kernels.cu), ascending:
// its decimal literals rounded to float32 through double. A normalised value x gets the code
// #{k : x > split[k]}: a value equal to a split point takes the lower code, and NaN (an
// all-zero block: 0 * 1/0) takes code 0.
const std::array<float, 15>& nf4_splits();

// bitsandbytes' create_dynamic_map(signed, max_exponent_bits=7, total_bits=8): 256 ascending
// float32 values in [-1, 1] (signed: 127 negative, 0, 127 positive, 1.0) or [0, 1] (unsigned),
// bit for bit as torch computes them (see codebook.cpp). The signed map is quantize_blockwise's
// default code, used for double quantisation and the first Adam moment; the unsigned one for
// the second moment.
const std::array<float, 256>& dynamic_map(bool is_signed);

// The tables above as float32 tensors on `device` (built once per device and cached).
at::Tensor nf4_table(at::Device device);
at::Tensor dynamic_map_table(bool is_signed, at::Device device);

// Maps x (float32, any shape, normalised to [-1, 1]) to uint8 codes of `code` (256 ascending
// float32 values on x's device) exactly like bitsandbytes' dQuantize<STOCHASTIC=0>: binary
// search from pivot 127 in seven halving steps, then rounding to the nearer neighbour through
// float32 midpoints ((a + b) * 0.5f). Vectorised (a bucketize and three gathers, see
// codebook.cpp for why that equals the search), no per-element loop. NaN maps to code 0.
at::Tensor dquantize_search(const at::Tensor& code, const at::Tensor& x);

}  // namespace tb
