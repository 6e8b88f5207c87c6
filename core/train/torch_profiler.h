// A Chrome-trace recording of a stretch of libtorch work (CPU ops and CUDA kernels), through
// PyTorch's Kineto profiler: the tool for finding where a training step spends its time
// (`tunebench-cli bench train --profile FILE`). Open the file in chrome://tracing or Perfetto.
//
// Needs libtorch >= 2.0 built with Kineto (PyTorch's pip libtorch is); on Debian's 1.13 the
// calls return an error saying so.
#pragma once

#include <string>

#include "core/common/error.h"

namespace tb {

// Starts recording CPU ops and, when `cuda` is set, CUDA kernels and memcpys.
Status start_torch_profiler(bool cuda);

// Stops recording and writes the trace (Chrome JSON) to `path`.
Status stop_torch_profiler(const std::string& path);

}  // namespace tb
