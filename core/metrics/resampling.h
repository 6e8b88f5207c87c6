// Resampling statistics for corpus metrics: seeded bootstrap confidence intervals, paired
// bootstrap and paired approximate-randomisation (permutation) tests between two systems, and
// a per-category breakdown.
//
// Every metric is expressed as additive per-item sufficient statistics plus a finaliser, so a
// resample is "sum the rows of the drawn items, then finalise". For BLEU the rows are the
// segment statistics (lengths, n-gram matches and totals) and the finaliser is sacrebleu's
// compute_bleu, so a resampled corpus BLEU is recomputed from summed statistics exactly as
// sacrebleu does, never averaged from sentence scores. For per-item metrics (ROUGE F values)
// the rows are (value, 1) and the finaliser is the mean.
//
// Reproducibility: all randomness comes from SplitMix64 (below) seeded with the caller's seed;
// the draw order is documented per function, so the same inputs and seed give bit-identical
// results on every platform.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/splitmix64.h"
#include "core/metrics/bleu.h"

namespace tb::metrics {

// Resampling draws from tb::SplitMix64 (core/common/splitmix64.h), the generator of the data
// split, so one seeded generator serves the whole project.
using tb::SplitMix64;

// A corpus metric as additive per-item rows of `dim` statistics plus a finaliser that turns the
// column sums into the metric value.
struct AdditiveMetric {
    size_t dim = 0;
    std::vector<double> rows;  // n_items * dim, row-major; counts are exact up to 2^53
    std::function<double(const double* sums, size_t n_items)> finalize;

    size_t n_items() const { return dim == 0 ? 0 : rows.size() / dim; }
    // The metric over the items in `indices` (repetitions count repeatedly).
    double value_on(const std::vector<size_t>& indices) const;
    // The metric over all items.
    double value() const;
};

// Mean of per-item values (rows: (value)).
AdditiveMetric mean_metric(const std::vector<double>& per_item);
// Corpus BLEU (0-100) from per-item statistics, finalised with `options`
// (default: sacrebleu corpus_bleu's 'exp' smoothing without effective order).
AdditiveMetric bleu_metric(const std::vector<BleuStats>& per_item,
                           const BleuComputeOptions& options = {});
// The rows of `m` for the items in `indices` (for breakdowns).
AdditiveMetric subset(const AdditiveMetric& m, const std::vector<size_t>& indices);

// Upper bound on resamples: every replicate is kept (8 bytes each) and costs a pass over the
// items, so 1e9 would need 8 GB before the first draw; at 1e6 the Monte Carlo error of an
// interval's ends is already negligible next to the sampling error the interval measures.
constexpr int kMaxResamples = 1000000;

struct BootstrapOptions {
    int resamples = 1000;      // replicates / permutation trials, in [1, kMaxResamples]
    uint64_t seed = 12345;     // SplitMix64 seed
    double confidence = 0.95;  // central interval mass for bootstrap_ci, in (0, 1)
};

struct ConfidenceInterval {
    double value = 0.0;  // metric on the full sample
    double lower = 0.0;
    double upper = 0.0;
};

// Percentile bootstrap. Replicate b = 0..B-1 draws n item indices (n = n_items) with
// rng.below(n), in order, and finalises the summed rows. lower/upper are the
// (1-confidence)/2 and (1+confidence)/2 quantiles of the B sorted replicates with linear
// interpolation between order statistics (numpy.percentile's default "linear" method:
// position q*(B-1)). Error if there are no items or the options are out of range.
Result<ConfidenceInterval> bootstrap_ci(const AdditiveMetric& m, const BootstrapOptions& options);

struct PairedTestResult {
    double value_a = 0.0;
    double value_b = 0.0;
    double delta = 0.0;               // value_a - value_b on the full sample
    int64_t at_least_as_extreme = 0;  // trials counted for the p-value (see the tests)
    int trials = 0;
    double p_value = 1.0;  // (at_least_as_extreme + 1) / (trials + 1)
};

// Paired bootstrap test (Koehn 2004; two-sided, null-centred as in Berg-Kirkpatrick et al.
// 2012). Each trial draws n indices with rng.below(n) (the same indices for both systems),
// computes delta* = A* - B*, and counts it when |delta* - delta| >= |delta| (the resampled delta
// deviates from the observed one at least as much as the observed one deviates from 0).
// p = (count + 1) / (trials + 1). Identical systems give delta = 0 and p = 1.
// `a` and `b` must describe the same items (same n_items).
Result<PairedTestResult> paired_bootstrap_test(const AdditiveMetric& a, const AdditiveMetric& b,
                                               const BootstrapOptions& options);

// Paired approximate randomisation (permutation) test (Noreen 1989; Riezler & Maxwell 2005).
// Each trial swaps the two systems' rows of item i when (rng.next() >> 63) == 1, for i = 0..n-1
// in order, finalises both pseudo-systems and counts the trial when |delta'| >= |delta| (with a
// relative tolerance of 1e-12 so that rounding of re-summed statistics cannot hide ties).
// p = (count + 1) / (trials + 1). Identical systems give p = 1.
Result<PairedTestResult> paired_permutation_test(const AdditiveMetric& a, const AdditiveMetric& b,
                                                 const BootstrapOptions& options);

struct CategoryResult {
    std::string category;
    size_t n_items = 0;
    ConfidenceInterval ci;  // metric on the category's items with its bootstrap CI
};

// Splits the items by `labels` (one per item), sorted by label, and runs bootstrap_ci on each
// subset with the same options (so each category's result is reproducible on its own).
Result<std::vector<CategoryResult>> per_category(const AdditiveMetric& m,
                                                 const std::vector<std::string>& labels,
                                                 const BootstrapOptions& options);

}  // namespace tb::metrics
