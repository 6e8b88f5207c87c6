#include "core/infer/engine_choice.h"

#include <algorithm>

#include "core/common/torch_compat.h"
#include "core/infer/inference.h"

namespace tb::infer {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
    return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

const std::vector<std::string>& engine_names() {
    static const std::vector<std::string> names = {"eager", "graph", "quant", "paged"};
    return names;
}

std::string engine_unavailable_reason(const std::string& name) {
    if (contains(available_engines(), name)) return "";
    if (!contains(engine_names(), name)) return "unknown engine";
    // graph replays the decode step as a captured CUDA graph: there is nothing to capture on
    // a CPU, so that is the first reason to give when no CUDA device is present.
    if (name == "graph" && !compat::cuda_available())
        return "needs CUDA (the decode step is replayed as a CUDA graph) and no CUDA device is "
               "available";
    return "not built into this tunebench build";
}

Status check_engine(const std::string& name, const std::string& field) {
    const std::vector<std::string> available = available_engines();
    if (contains(available, name)) return Status::Ok();
    if (!contains(engine_names(), name))
        return make_error(field, "unknown engine '" + name + "' (engines: " + join(engine_names()) +
                                     "; available here: " + join(available) + ")");
    return make_error(field, "engine '" + name +
                                 "' is not available here: " + engine_unavailable_reason(name) +
                                 " (available: " + join(available) + ")");
}

const std::vector<std::string>& quant_format_names() {
    static const std::vector<std::string> names{"q8_0", "nf4"};
    return names;
}

bool is_quant_format_name(const std::string& name) {
    for (const auto& n : quant_format_names())
        if (n == name) return true;
    return false;
}

}  // namespace tb::infer
