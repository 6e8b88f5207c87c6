// Seeded train/validation/test split, optionally stratified by category.
//
// Determinism across machines: the shuffle uses our own generator (SplitMix64), our own
// bounded draw and Fisher-Yates, and the split sizes are computed in integer arithmetic.
// std::shuffle / std::uniform_int_distribution are avoided on purpose: their outputs differ
// between standard-library implementations and versions.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/common/error.h"
#include "core/common/splitmix64.h"
#include "core/data/example.h"

namespace tb {

// Fisher-Yates shuffle driven by `rng` (same sequence on every platform).
void shuffle_indices(std::vector<size_t>& v, SplitMix64& rng);

struct SplitRatios {
    double train = 0.90;
    double val = 0.05;
    double test = 0.05;
};

struct SplitCounts {
    size_t train = 0;
    size_t val = 0;
    size_t test = 0;
};

// Split sizes for n rows. Rule: the two cut points are the cumulative ratios times n, rounded
// half up (train = round(n*r_train), train+val = round(n*(r_train+r_val)), test = the rest).
// Ratios are first fixed to integer parts per billion so no floating-point rounding differs
// between machines. 15,011 rows at 0.90/0.05/0.05: cuts at round(13509.9)=13510 and
// round(14260.45)=14260, i.e. 13,510 / 750 / 751 like the study; 300 rows: 270 / 15 / 15.
// Error when a ratio is outside [0, 1] or they do not sum to 1 (within 1e-6).
Result<SplitCounts> split_counts(size_t n, const SplitRatios& ratios);

struct SplitOptions {
    SplitRatios ratios;
    uint64_t seed = 42;
    // Stratified: every category gets its proportional share of each split rounded down or up
    // (controlled_rounding) while the split totals stay exactly those of split_counts().
    bool stratify = false;
};

// Indices into the example vector, each split in shuffled order.
struct DatasetSplit {
    std::vector<size_t> train;
    std::vector<size_t> val;
    std::vector<size_t> test;
};

// Rows of each stratum per split (train, val, test) for strata of `sizes` rows and split
// totals `totals` (summing to the rows): every cell is the floor or the ceiling of its exact
// proportional share sizes[c] * totals[s] / n, and all row and column sums are kept.
std::vector<std::array<size_t, 3>> controlled_rounding(const std::vector<size_t>& sizes,
                                                       const std::array<size_t, 3>& totals);

Result<DatasetSplit> split_dataset(const std::vector<Example>& examples,
                                   const SplitOptions& options);

}  // namespace tb
