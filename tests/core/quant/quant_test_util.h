// Shared helpers of the core/quant tests: the device under test (CPU, or CUDA in the gpu
// build) and a small random Llama.
#pragma once

#include <torch/torch.h>

#include "core/infer/llama_io.h"

namespace qtest {

#ifdef TB_TEST_CUDA
inline at::Device device() { return at::Device(at::kCUDA); }
#else
inline at::Device device() { return at::Device(at::kCPU); }
#endif

inline tb::LlamaConfig small_llama(int64_t hidden = 64, int64_t inter = 160, int64_t layers = 2) {
    tb::LlamaConfig c;
    c.vocab_size = 101;
    c.hidden_size = hidden;
    c.intermediate_size = inter;
    c.num_hidden_layers = layers;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = hidden / 4;
    c.max_position_embeddings = 256;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

inline double rel_err(const at::Tensor& a, const at::Tensor& ref) {
    const at::Tensor r = ref.to(at::kDouble).cpu();
    return ((a.to(at::kDouble).cpu() - r).norm() / r.norm()).item<double>();
}

}  // namespace qtest
