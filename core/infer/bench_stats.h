// The summary statistics of the inference benchmarks (infer_bench.cpp, server_bench.cpp): one
// definition, so that engine rows and server rows are summarised the same way.
#pragma once

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace tb::infer::bench_stats {

// numpy.percentile's default (linear interpolation between closest ranks); 0 for no values.
inline double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// {median, min, max} of one figure over the timed runs (per_run non-empty).
inline nlohmann::json figure(const std::vector<double>& per_run) {
    return {{"median", percentile(per_run, 50)},
            {"min", *std::min_element(per_run.begin(), per_run.end())},
            {"max", *std::max_element(per_run.begin(), per_run.end())}};
}

}  // namespace tb::infer::bench_stats
