// Bytes a tensor's elements take: what the memory reports of the quantised formats, the
// optimizer states and the model loaders add up. 0 for an undefined tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace tb {

inline int64_t tensor_bytes(const at::Tensor& t) {
    return t.defined() ? t.numel() * static_cast<int64_t>(t.element_size()) : 0;
}

}  // namespace tb
