#include "core/metrics/resampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace tb::metrics {

double AdditiveMetric::value_on(const std::vector<size_t>& indices) const {
    std::vector<double> sums(dim, 0.0);
    for (size_t i : indices) {
        const double* row = rows.data() + i * dim;
        for (size_t k = 0; k < dim; ++k) sums[k] += row[k];
    }
    return finalize(sums.data(), indices.size());
}

double AdditiveMetric::value() const {
    std::vector<size_t> all(n_items());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return value_on(all);
}

AdditiveMetric mean_metric(const std::vector<double>& per_item) {
    AdditiveMetric m;
    m.dim = 1;
    m.rows = per_item;
    m.finalize = [](const double* sums, size_t n) {
        return n == 0 ? 0.0 : sums[0] / static_cast<double>(n);
    };
    return m;
}

AdditiveMetric bleu_metric(const std::vector<BleuStats>& per_item,
                           const BleuComputeOptions& options) {
    constexpr size_t kDim = 2 + 2 * kBleuMaxOrder;
    AdditiveMetric m;
    m.dim = kDim;
    m.rows.reserve(per_item.size() * kDim);
    for (const BleuStats& s : per_item) {
        m.rows.push_back(static_cast<double>(s.sys_len));
        m.rows.push_back(static_cast<double>(s.ref_len));
        for (int n = 0; n < kBleuMaxOrder; ++n) m.rows.push_back(static_cast<double>(s.correct[n]));
        for (int n = 0; n < kBleuMaxOrder; ++n) m.rows.push_back(static_cast<double>(s.total[n]));
    }
    m.finalize = [options](const double* sums, size_t) {
        BleuStats s;
        s.sys_len = static_cast<int64_t>(sums[0]);
        s.ref_len = static_cast<int64_t>(sums[1]);
        for (int n = 0; n < kBleuMaxOrder; ++n) {
            s.correct[n] = static_cast<int64_t>(sums[2 + n]);
            s.total[n] = static_cast<int64_t>(sums[2 + kBleuMaxOrder + n]);
        }
        return bleu_from_stats(s, options).score;
    };
    return m;
}

AdditiveMetric subset(const AdditiveMetric& m, const std::vector<size_t>& indices) {
    AdditiveMetric out;
    out.dim = m.dim;
    out.finalize = m.finalize;
    out.rows.reserve(indices.size() * m.dim);
    for (size_t i : indices)
        out.rows.insert(out.rows.end(), m.rows.begin() + i * m.dim,
                        m.rows.begin() + (i + 1) * m.dim);
    return out;
}

namespace {

Status check_options(const BootstrapOptions& o, bool needs_confidence) {
    if (o.resamples < 1 || o.resamples > kMaxResamples)
        return Error{"bootstrap: resamples must be in [1, " + std::to_string(kMaxResamples) + "]"};
    if (needs_confidence && !(o.confidence > 0.0 && o.confidence < 1.0))
        return Error{"bootstrap: confidence must be in (0, 1)"};
    return Status::Ok();
}

Status check_metric(const AdditiveMetric& m, const char* what) {
    if (m.dim == 0 || !m.finalize || m.rows.size() % m.dim != 0)
        return Error{std::string(what) + ": malformed metric"};
    if (m.n_items() == 0) return Error{std::string(what) + ": no items"};
    return Status::Ok();
}

// numpy.percentile(values, 100*q) with the default linear interpolation; values sorted.
double quantile_sorted(const std::vector<double>& v, double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return v[lo] + (v[hi] - v[lo]) * frac;
}

}  // namespace

Result<ConfidenceInterval> bootstrap_ci(const AdditiveMetric& m, const BootstrapOptions& options) {
    TB_TRY_STATUS(check_options(options, true));
    TB_TRY_STATUS(check_metric(m, "bootstrap_ci"));
    const size_t n = m.n_items();
    SplitMix64 rng(options.seed);
    std::vector<double> reps;
    reps.reserve(static_cast<size_t>(options.resamples));
    std::vector<double> sums(m.dim);
    for (int b = 0; b < options.resamples; ++b) {
        std::fill(sums.begin(), sums.end(), 0.0);
        for (size_t j = 0; j < n; ++j) {
            const double* row = m.rows.data() + rng.below(n) * m.dim;
            for (size_t k = 0; k < m.dim; ++k) sums[k] += row[k];
        }
        reps.push_back(m.finalize(sums.data(), n));
    }
    std::sort(reps.begin(), reps.end());
    ConfidenceInterval ci;
    ci.value = m.value();
    const double alpha = 1.0 - options.confidence;
    ci.lower = quantile_sorted(reps, alpha / 2.0);
    ci.upper = quantile_sorted(reps, 1.0 - alpha / 2.0);
    return ci;
}

namespace {

Status check_pair(const AdditiveMetric& a, const AdditiveMetric& b, const char* what) {
    TB_TRY_STATUS(check_metric(a, what));
    TB_TRY_STATUS(check_metric(b, what));
    if (a.dim != b.dim || a.n_items() != b.n_items())
        return Error{std::string(what) + ": the two systems have different items (" +
                     std::to_string(a.n_items()) + " vs " + std::to_string(b.n_items()) + ")"};
    return Status::Ok();
}

PairedTestResult observed(const AdditiveMetric& a, const AdditiveMetric& b) {
    PairedTestResult r;
    r.value_a = a.value();
    r.value_b = b.value();
    r.delta = r.value_a - r.value_b;
    return r;
}

void finish(PairedTestResult* r, int trials) {
    r->trials = trials;
    r->p_value =
        (static_cast<double>(r->at_least_as_extreme) + 1.0) / (static_cast<double>(trials) + 1.0);
}

}  // namespace

Result<PairedTestResult> paired_bootstrap_test(const AdditiveMetric& a, const AdditiveMetric& b,
                                               const BootstrapOptions& options) {
    TB_TRY_STATUS(check_options(options, false));
    TB_TRY_STATUS(check_pair(a, b, "paired_bootstrap_test"));
    const size_t n = a.n_items();
    const size_t dim = a.dim;
    PairedTestResult r = observed(a, b);
    SplitMix64 rng(options.seed);
    std::vector<double> sa(dim), sb(dim);
    const double abs_delta = std::fabs(r.delta);
    for (int t = 0; t < options.resamples; ++t) {
        std::fill(sa.begin(), sa.end(), 0.0);
        std::fill(sb.begin(), sb.end(), 0.0);
        for (size_t j = 0; j < n; ++j) {
            const size_t i = rng.below(n);
            const double* ra = a.rows.data() + i * dim;
            const double* rb = b.rows.data() + i * dim;
            for (size_t k = 0; k < dim; ++k) {
                sa[k] += ra[k];
                sb[k] += rb[k];
            }
        }
        const double d = a.finalize(sa.data(), n) - b.finalize(sb.data(), n);
        if (std::fabs(d - r.delta) >= abs_delta) ++r.at_least_as_extreme;
    }
    finish(&r, options.resamples);
    return r;
}

Result<PairedTestResult> paired_permutation_test(const AdditiveMetric& a, const AdditiveMetric& b,
                                                 const BootstrapOptions& options) {
    TB_TRY_STATUS(check_options(options, false));
    TB_TRY_STATUS(check_pair(a, b, "paired_permutation_test"));
    const size_t n = a.n_items();
    const size_t dim = a.dim;
    PairedTestResult r = observed(a, b);
    SplitMix64 rng(options.seed);
    std::vector<double> sa(dim), sb(dim);
    const double abs_delta = std::fabs(r.delta);
    const double tol = 1e-12 * std::max(1.0, abs_delta);
    for (int t = 0; t < options.resamples; ++t) {
        std::fill(sa.begin(), sa.end(), 0.0);
        std::fill(sb.begin(), sb.end(), 0.0);
        for (size_t i = 0; i < n; ++i) {
            const bool swap = (rng.next() >> 63) == 1;
            const double* ra = (swap ? b : a).rows.data() + i * dim;
            const double* rb = (swap ? a : b).rows.data() + i * dim;
            for (size_t k = 0; k < dim; ++k) {
                sa[k] += ra[k];
                sb[k] += rb[k];
            }
        }
        const double d = a.finalize(sa.data(), n) - b.finalize(sb.data(), n);
        if (std::fabs(d) >= abs_delta - tol) ++r.at_least_as_extreme;
    }
    finish(&r, options.resamples);
    return r;
}

Result<std::vector<CategoryResult>> per_category(const AdditiveMetric& m,
                                                 const std::vector<std::string>& labels,
                                                 const BootstrapOptions& options) {
    TB_TRY_STATUS(check_metric(m, "per_category"));
    if (labels.size() != m.n_items())
        return Error{"per_category: " + std::to_string(labels.size()) + " labels for " +
                     std::to_string(m.n_items()) + " items"};
    std::map<std::string, std::vector<size_t>> groups;
    for (size_t i = 0; i < labels.size(); ++i) groups[labels[i]].push_back(i);
    std::vector<CategoryResult> out;
    for (const auto& [label, idx] : groups) {
        auto ci = bootstrap_ci(subset(m, idx), options);
        if (!ci.ok()) return make_error("category '" + label + "'", ci.error().message);
        out.push_back(CategoryResult{label, idx.size(), *ci});
    }
    return out;
}

}  // namespace tb::metrics
