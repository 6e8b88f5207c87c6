#include "core/infer/kv_cache.h"

#include <stdexcept>

namespace tb {

KvCache::KvCache(int64_t layers, int64_t batch, int64_t kv_heads, int64_t capacity,
                 int64_t head_dim, at::ScalarType dtype, at::Device device)
    : capacity_(capacity) {
    auto opts = at::TensorOptions().dtype(dtype).device(device);
    k_.reserve(layers);
    v_.reserve(layers);
    for (int64_t i = 0; i < layers; ++i) {
        k_.push_back(at::zeros({batch, kv_heads, capacity, head_dim}, opts));
        v_.push_back(at::zeros({batch, kv_heads, capacity, head_dim}, opts));
    }
}

std::pair<at::Tensor, at::Tensor> KvCache::append(int64_t layer, const at::Tensor& k,
                                                  const at::Tensor& v) {
    const int64_t t_new = k.size(2);
    if (length_ + t_new > capacity_)
        throw std::runtime_error("KvCache overflow: capacity " + std::to_string(capacity_));
    k_[layer].narrow(2, length_, t_new).copy_(k);
    v_[layer].narrow(2, length_, t_new).copy_(v);
    return {k_[layer].narrow(2, 0, length_ + t_new), v_[layer].narrow(2, 0, length_ + t_new)};
}

void KvCache::reserve(int64_t capacity) {
    if (capacity <= capacity_) return;
    auto grow = [&](at::Tensor& t) {
        std::vector<int64_t> shape = t.sizes().vec();
        shape[2] = capacity;
        at::Tensor bigger = at::zeros(shape, t.options());
        bigger.narrow(2, 0, length_).copy_(t.narrow(2, 0, length_));
        t = bigger;
    };
    for (auto& t : k_) grow(t);
    for (auto& t : v_) grow(t);
    capacity_ = capacity;
}

void KvCache::select_batch(const at::Tensor& index) {
    for (auto& t : k_) t = t.index_select(0, index);
    for (auto& t : v_) t = t.index_select(0, index);
}

int64_t KvCache::bytes() const {
    int64_t b = 0;
    for (const auto& t : k_) b += t.numel() * t.element_size();
    for (const auto& t : v_) b += t.numel() * t.element_size();
    return b;
}

}  // namespace tb
