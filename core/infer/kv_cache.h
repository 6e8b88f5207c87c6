// Key/value cache for incremental decoding. One preallocated buffer per layer so that a
// decode step appends in place instead of concatenating (which would copy the whole cache
// every token: O(T^2) memory traffic).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace tb {

class KvCache {
  public:
    // batch: B; kv_heads: n_kv; capacity: max total tokens (prompt + new); head_dim: hd.
    KvCache(int64_t layers, int64_t batch, int64_t kv_heads, int64_t capacity, int64_t head_dim,
            at::ScalarType dtype, at::Device device);

    int64_t length() const { return length_; }  // tokens stored so far
    int64_t capacity() const { return capacity_; }

    // Appends k/v ([B, n_kv, T_new, hd]) for `layer` at positions [length, length+T_new) and
    // returns views [B, n_kv, length+T_new, hd] over everything stored for that layer.
    // advance() must be called once per forward after all layers appended.
    std::pair<at::Tensor, at::Tensor> append(int64_t layer, const at::Tensor& k,
                                             const at::Tensor& v);
    void advance(int64_t t_new) { length_ += t_new; }

    // Forgets the stored tokens, keeping the buffers (and their addresses: a recorded CUDA
    // graph that writes into them stays valid for the next batch of the same shape).
    void clear() { length_ = 0; }

    // The whole buffers of `layer`, [B, n_kv, capacity, hd] each, for writers that place
    // tokens themselves (the graph engine's decode step writes at a device-side slot).
    std::pair<at::Tensor, at::Tensor> buffers(int64_t layer) const {
        return {k_[static_cast<size_t>(layer)], v_[static_cast<size_t>(layer)]};
    }

    // Grows the buffers to `capacity` tokens (the stored ones are kept); never shrinks.
    void reserve(int64_t capacity);

    // Keeps only the rows in `index` (finished sequences dropped from a batch).
    void select_batch(const at::Tensor& index);

    int64_t bytes() const;

  private:
    std::vector<at::Tensor> k_;  // per layer [B, n_kv, capacity, hd]
    std::vector<at::Tensor> v_;  // per layer [B, n_kv, capacity, hd]
    int64_t capacity_ = 0;
    int64_t length_ = 0;
};

}  // namespace tb
