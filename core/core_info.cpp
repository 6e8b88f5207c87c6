#include "core/core_info.h"

#include <torch/version.h>

#include "core/common/torch_compat.h"

namespace tb {

CoreInfo core_info() {
    CoreInfo info;
    info.version = TUNEBENCH_VERSION;
    info.torch_version = TORCH_VERSION;
#ifdef TUNEBENCH_WITH_CUDA
    info.cuda_compiled = true;
#endif
    return info;
}

bool cuda_device_available() { return compat::cuda_available(); }

}  // namespace tb
