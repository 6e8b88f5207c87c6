#include "core/data/split.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace tb {

namespace {

constexpr uint64_t kPpb = 1000000000ULL;  // ratios in parts per billion

// round(n * ppb / 1e9), half up, exact in 128-bit integers.
size_t scaled_round(size_t n, uint64_t ppb) {
    unsigned __int128 x = static_cast<unsigned __int128>(n) * ppb + kPpb / 2;
    return static_cast<size_t>(x / kPpb);
}

// Max flow on a dense graph of a handful of nodes (Edmonds-Karp); used on the 9-node graph of
// controlled_rounding, so simplicity wins over asymptotics.
int64_t tiny_max_flow(std::vector<std::vector<int64_t>>& cap, size_t src, size_t dst) {
    const size_t v = cap.size();
    int64_t flow = 0;
    for (;;) {
        std::vector<long> prev(v, -1);
        prev[src] = static_cast<long>(src);
        std::vector<size_t> queue{src};
        for (size_t qi = 0; qi < queue.size() && prev[dst] < 0; ++qi)
            for (size_t w = 0; w < v; ++w)
                if (prev[w] < 0 && cap[queue[qi]][w] > 0) {
                    prev[w] = static_cast<long>(queue[qi]);
                    queue.push_back(w);
                }
        if (prev[dst] < 0) return flow;
        int64_t push = INT64_MAX;
        for (size_t w = dst; w != src; w = static_cast<size_t>(prev[w]))
            push = std::min(push, cap[static_cast<size_t>(prev[w])][w]);
        for (size_t w = dst; w != src; w = static_cast<size_t>(prev[w])) {
            cap[static_cast<size_t>(prev[w])][w] -= push;
            cap[w][static_cast<size_t>(prev[w])] += push;
        }
        flow += push;
    }
}

}  // namespace

std::vector<std::array<size_t, 3>> controlled_rounding(const std::vector<size_t>& sizes,
                                                       const std::array<size_t, 3>& totals) {
    // Exact shares e[c][s] = n_c * T_s / n have integer row sums (n_c) and column sums (T_s),
    // so a rounding exists with every cell at floor or ceil and all sums kept (controlled
    // rounding, Bacharach 1966). Construction for three columns:
    //  * start from the floors; stratum c still owes r_c = n_c - sum_s floor in {0, 1, 2}
    //    rows, column s is short d_s = T_s - sum_c floor;
    //  * a stratum with r_c = 2 has all three fractions > 0 and rounds up all columns but one
    //    ("skips" one): choose how many skip each column (k_s);
    //  * a stratum with r_c = 1 has >= 2 non-zero fractions and rounds up one of them: a
    //    transportation problem from its fraction pattern to the columns, solved as a max flow
    //    over the 4 possible patterns. It is feasible exactly when 0 <= d_s - A + k_s <= (number
    //    of r_c = 1 strata that can round up s) for every s (Hall's condition), which is how
    //    k_s is chosen.
    const size_t m = sizes.size();
    size_t n = 0;
    for (size_t nc : sizes) n += nc;
    std::vector<std::array<size_t, 3>> cell(m, {0, 0, 0});
    if (n == 0) return cell;
    std::vector<std::array<uint64_t, 3>> rem(m);
    std::vector<int> owed(m, 0);
    std::array<int64_t, 3> short_by{};
    for (size_t s = 0; s < 3; ++s) short_by[s] = static_cast<int64_t>(totals[s]);
    for (size_t c = 0; c < m; ++c) {
        size_t floors = 0;
        for (size_t s = 0; s < 3; ++s) {
            unsigned __int128 num = static_cast<unsigned __int128>(sizes[c]) * totals[s];
            cell[c][s] = static_cast<size_t>(num / n);
            rem[c][s] = static_cast<uint64_t>(num % n);
            floors += cell[c][s];
            short_by[s] -= static_cast<int64_t>(cell[c][s]);
        }
        owed[c] = static_cast<int>(sizes[c] - floors);
    }
    auto mask_of = [&](size_t c) {
        int mask = 0;
        for (size_t s = 0; s < 3; ++s)
            if (rem[c][s] > 0) mask |= 1 << s;
        return mask;
    };
    int64_t a = 0;                    // strata owing 2
    std::array<int64_t, 3> can_up{};  // strata owing 1 that may round up column s
    std::array<int64_t, 8> pattern{};
    for (size_t c = 0; c < m; ++c) {
        if (owed[c] == 2) ++a;
        if (owed[c] != 1) continue;
        ++pattern[mask_of(c)];
        for (size_t s = 0; s < 3; ++s)
            if (rem[c][s] > 0) ++can_up[s];
    }
    // k_s within [max(0, A - d_s), min(A, can_up_s + A - d_s)], summing to A.
    std::array<int64_t, 3> skip{}, hi{};
    int64_t left = a;
    for (size_t s = 0; s < 3; ++s) {
        skip[s] = std::max<int64_t>(0, a - short_by[s]);
        hi[s] = std::min<int64_t>(a, can_up[s] + a - short_by[s]);
        left -= skip[s];
    }
    for (size_t s = 0; s < 3 && left > 0; ++s) {
        int64_t add = std::min(left, hi[s] - skip[s]);
        skip[s] += add;
        left -= add;
    }
    // Flow: source 0 -> pattern nodes 1..7 -> column nodes 8..10 -> sink 11.
    std::vector<std::vector<int64_t>> cap(12, std::vector<int64_t>(12, 0));
    int64_t owing_one = 0;
    for (int mask = 1; mask < 8; ++mask) {
        cap[0][mask] = pattern[mask];
        owing_one += pattern[mask];
        for (size_t s = 0; s < 3; ++s)
            if (mask & (1 << s)) cap[mask][8 + s] = pattern[mask];
    }
    for (size_t s = 0; s < 3; ++s) cap[8 + s][11] = std::max<int64_t>(0, short_by[s] - a + skip[s]);
    std::vector<std::vector<int64_t>> residual = cap;
    if (left != 0 || tiny_max_flow(residual, 0, 11) != owing_one)
        throw std::logic_error("controlled_rounding: no feasible rounding (bug)");
    // quota[mask][s]: strata of that pattern that round up column s.
    std::array<std::array<int64_t, 3>, 8> quota{};
    for (int mask = 1; mask < 8; ++mask)
        for (size_t s = 0; s < 3; ++s)
            if (mask & (1 << s)) quota[mask][s] = cap[mask][8 + s] - residual[mask][8 + s];

    // Hand out the choices; within the freedom left, round up where the fraction is largest.
    for (size_t c = 0; c < m; ++c) {
        if (owed[c] == 2) {
            size_t best = 3;
            for (size_t s = 0; s < 3; ++s)
                if (skip[s] > 0 && (best == 3 || rem[c][s] < rem[c][best])) best = s;
            --skip[best];
            for (size_t s = 0; s < 3; ++s)
                if (s != best) ++cell[c][s];
        } else if (owed[c] == 1) {
            auto& q = quota[mask_of(c)];
            size_t best = 3;
            for (size_t s = 0; s < 3; ++s)
                if (q[s] > 0 && (best == 3 || rem[c][s] > rem[c][best])) best = s;
            --q[best];
            ++cell[c][best];
        }
    }
    return cell;
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
        return make_error(
            "data.train_ratio + data.val_ratio + data.test_ratio",
            "ratios sum to " + std::to_string(r.train + r.val + r.test) + ", they must sum to 1");
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
    std::vector<size_t> sizes;
    for (const auto& [cat, rows] : strata) sizes.push_back(rows.size());
    const auto cells = controlled_rounding(sizes, {total.train, total.val, total.test});

    size_t k = 0;
    for (auto& [cat, rows] : strata) {
        shuffle_indices(rows, rng);
        const size_t tr = cells[k][0], va = cells[k][1];
        ++k;
        out.train.insert(out.train.end(), rows.begin(), rows.begin() + tr);
        out.val.insert(out.val.end(), rows.begin() + tr, rows.begin() + tr + va);
        out.test.insert(out.test.end(), rows.begin() + tr + va, rows.end());
    }
    // Mix the categories inside each split (they were appended category by category).
    shuffle_indices(out.train, rng);
    shuffle_indices(out.val, rng);
    shuffle_indices(out.test, rng);
    return out;
}

}  // namespace tb
