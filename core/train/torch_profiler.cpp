#include "core/train/torch_profiler.h"

#include <torch/version.h>

#include <exception>
#include <set>

#include "core/common/torch_compat.h"

// Kineto's headers (and libkineto's own) ship with PyTorch 2.x; Debian's 1.13 lacks them.
#if TB_TORCH_AT_LEAST(2, 0)
#define TB_HAVE_KINETO_PROFILER 1
#include <torch/csrc/autograd/profiler_kineto.h>
#endif

namespace tb {

#if defined(TB_HAVE_KINETO_PROFILER)

namespace {
namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;
}  // namespace

Status start_torch_profiler(bool cuda) {
    try {
        impl::ProfilerConfig config(impl::ProfilerState::KINETO);
        std::set<impl::ActivityType> activities{impl::ActivityType::CPU};
        if (cuda) activities.insert(impl::ActivityType::CUDA);
        prof::prepareProfiler(config, activities);
        prof::enableProfiler(config, activities);
    } catch (const std::exception& e) {
        return make_error("profiler", std::string("cannot start: ") + e.what());
    }
    return Status::Ok();
}

Status stop_torch_profiler(const std::string& path) {
    try {
        auto result = prof::disableProfiler();
        if (!result) return make_error("profiler", "no result (was it started?)");
        result->save(path);
    } catch (const std::exception& e) {
        return make_error(path, std::string("cannot write the profile: ") + e.what());
    }
    return Status::Ok();
}

#else

Status start_torch_profiler(bool) {
    return make_error("profiler", "needs libtorch >= 2.0 with Kineto (this build has " +
                                      std::string(TORCH_VERSION) + ")");
}

Status stop_torch_profiler(const std::string&) {
    return make_error("profiler", "not available in this build");
}

#endif

}  // namespace tb
