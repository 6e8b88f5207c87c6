#include "core/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace tb {

namespace {

constexpr uint64_t kPpb = 1000000000ULL;  // ratios in parts per billion

// round(n * ppb / 1e9), half up, exact in 128-bit integers.
size_t scaled_round(size_t n, uint64_t ppb) {
    unsigned __int128 x = static_cast<unsigned __int128>(n) * ppb + kPpb / 2;
    return static_cast<size_t>(x / kPpb);
}

}  // namespace

uint64_t SplitMix64::next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t bound) {
    // Lemire, "Fast Random Integer Generation in an Interval" (2019).
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < bound) {
        const uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            m = static_cast<unsigned __int128>(next()) * bound;
            low = static_cast<uint64_t>(m);
        }
    }
    return static_cast<uint64_t>(m >> 64);
}

void shuffle_indices(std::vector<size_t>& v, SplitMix64& rng) {
    for (size_t i = v.size(); i > 1; --i) {
        size_t j = static_cast<size_t>(rng.below(i));
        std::swap(v[i - 1], v[j]);
    }
}

Result<SplitCounts> split_counts(size_t n, const SplitRatios& r) {
    const std::pair<const char*, double> parts[] = {
        {"data.train_ratio", r.train}, {"data.val_ratio", r.val}, {"data.test_ratio", r.test}};
    for (const auto& [key, v] : parts)
        if (!(v >= 0.0 && v <= 1.0))
            return make_error(key, std::to_string(v) + " is out of range (allowed: [0, 1])");
    if (std::fabs(r.train + r.val + r.test - 1.0) > 1e-6)
        return make_error("data.train_ratio + data.val_ratio + data.test_ratio",
                          "ratios sum to " + std::to_string(r.train + r.val + r.test) +
                              ", they must sum to 1");
    const uint64_t t = static_cast<uint64_t>(std::llround(r.train * 1e9));
    const uint64_t v = static_cast<uint64_t>(std::llround(r.val * 1e9));
    const size_t cut1 = std::min(n, scaled_round(n, std::min(t, kPpb)));
    const size_t cut2 = std::max(cut1, std::min(n, scaled_round(n, std::min(t + v, kPpb))));
    return SplitCounts{cut1, cut2 - cut1, n - cut2};
}

Result<DatasetSplit> split_dataset(const std::vector<Example>& examples,
                                   const SplitOptions& options) {
    const size_t n = examples.size();
    TB_ASSIGN_OR_RETURN(SplitCounts total, split_counts(n, options.ratios));
    SplitMix64 rng(options.seed);
    DatasetSplit out;
    if (!options.stratify) {
        std::vector<size_t> order(n);
        for (size_t i = 0; i < n; ++i) order[i] = i;
        shuffle_indices(order, rng);
        out.train.assign(order.begin(), order.begin() + total.train);
        out.val.assign(order.begin() + total.train, order.begin() + total.train + total.val);
        out.test.assign(order.begin() + total.train + total.val, order.end());
        return out;
    }

    // Stratified. Categories in name order (std::map) so the result does not depend on file
    // order beyond the rows themselves.
    std::map<std::string, std::vector<size_t>> strata;
    for (size_t i = 0; i < n; ++i) strata[examples[i].category].push_back(i);
    struct Stratum {
        std::vector<size_t>* rows;
        size_t val = 0, test = 0;
    };
    std::vector<Stratum> s;
    for (auto& [cat, rows] : strata) s.push_back({&rows});

    // Quotas per split by largest remainder (Hamilton): each category gets floor(n_c * T / n)
    // and the rows still missing to reach T go to the largest fractional parts (ties: category
    // order). Validation first, then test from what is left, so a category never gives more
    // rows than it has; train takes the rest and therefore also hits its total exactly.
    auto allocate = [&](size_t target, size_t Stratum::*field) {
        std::vector<std::pair<uint64_t, size_t>> rema;  // (remainder, stratum)
        size_t given = 0;
        for (size_t k = 0; k < s.size(); ++k) {
            const size_t nc = s[k].rows->size();
            const unsigned __int128 num = static_cast<unsigned __int128>(nc) * target;
            size_t q = static_cast<size_t>(num / n);
            const size_t room = nc - s[k].val - s[k].test;
            q = std::min(q, room);
            s[k].*field = q;
            given += q;
            rema.emplace_back(static_cast<uint64_t>(num % n), k);
        }
        std::stable_sort(rema.begin(), rema.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        // Hand out the missing rows; strata with no room left are passed over (they are never
        // all full because val + test <= n).
        while (given < target) {
            bool progressed = false;
            for (const auto& [rem, k] : rema) {
                if (given == target) break;
                if (s[k].val + s[k].test < s[k].rows->size()) {
                    ++(s[k].*field);
                    ++given;
                    progressed = true;
                }
            }
            if (!progressed) break;
        }
    };
    allocate(total.val, &Stratum::val);
    allocate(total.test, &Stratum::test);

    for (Stratum& st : s) {
        std::vector<size_t>& rows = *st.rows;
        shuffle_indices(rows, rng);
        const size_t train_c = rows.size() - st.val - st.test;
        out.train.insert(out.train.end(), rows.begin(), rows.begin() + train_c);
        out.val.insert(out.val.end(), rows.begin() + train_c, rows.begin() + train_c + st.val);
        out.test.insert(out.test.end(), rows.begin() + train_c + st.val, rows.end());
    }
    // Mix the categories inside each split (they were appended category by category).
    shuffle_indices(out.train, rng);
    shuffle_indices(out.val, rng);
    shuffle_indices(out.test, rng);
    return out;
}

}  // namespace tb
