// Build facts of the engine, for `--version`, the feature summary and bug reports.
#pragma once

#include <string>

namespace tb {

struct CoreInfo {
    std::string version;         // project version
    std::string torch_version;   // libtorch the core was compiled against
    bool cuda_compiled = false;  // built with TUNEBENCH_WITH_CUDA
};

CoreInfo core_info();

// Whether libtorch sees a CUDA device now (compat::cuda_available), for torch-free callers such
// as widgets/ that decide what "auto" means without parsing libtorch's headers.
bool cuda_device_available();

}  // namespace tb
