// Launchers of the hand-written NF4 CUDA kernels (nf4_kernels.cu). Torch-free on purpose: the
// .cu file compiles with nvcc alone (fast, no libtorch headers), and nf4.cpp passes raw device
// pointers and the current stream. Only built when TUNEBENCH_WITH_CUDA.
#pragma once

#include <cstdint>
#include <string>

namespace tb::nf4cuda {

enum class FloatType { F32 = 0, BF16 = 1, F16 = 2 };

// x: n contiguous values of `type` on the device. Writes packed[ceil(n/2)] (first element in
// the high nibble) and absmax[ceil(n/blocksize)]. blocksize: power of two in [64, 4096].
// Returns "" on success, otherwise the CUDA error text.
std::string quantize(const void* x, FloatType type, int64_t n, int64_t blocksize, uint8_t* packed,
                     float* absmax, void* stream);

// Decodes n elements into `out` (contiguous, `out_type`). Block scales come either from
// `absmax` (float32 [nblocks], plain) or, when `absmax_q` is non-null, from
// code8[absmax_q[b]] * absmax2[b / nested_blocksize] + offset. code8: 256 floats on device.
// `packed` must be 4-byte aligned. Returns "" on success, otherwise the CUDA error text.
std::string dequantize(const uint8_t* packed, int64_t n, int64_t blocksize, const float* absmax,
                       const uint8_t* absmax_q, const float* absmax2, const float* code8,
                       float offset, int64_t nested_blocksize, void* out, FloatType out_type,
                       void* stream);

}  // namespace tb::nf4cuda
