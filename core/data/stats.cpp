#include "core/data/stats.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace tb {

namespace {

struct Lengths {
    size_t prompt = 0, response = 0, total = 0;
};

// Smallest 1/2/5 x 10^k width that covers [0, max] with at most `bins` bins.
size_t nice_bin_width(size_t max, size_t bins) {
    bins = std::max<size_t>(bins, 1);
    size_t w = 1;
    for (;;) {
        for (size_t m : {1, 2, 5}) {
            if ((max / (w * m)) + 1 <= bins) return w * m;
        }
        w *= 10;
    }
}

LengthHistogram histogram(std::vector<size_t> v, size_t width, size_t global_max) {
    LengthHistogram h;
    h.bin_width = width;
    h.counts.assign(global_max / width + 1, 0);
    h.rows = v.size();
    if (v.empty()) return h;
    std::sort(v.begin(), v.end());
    double sum = 0.0;
    for (size_t x : v) {
        ++h.counts[x / width];
        sum += static_cast<double>(x);
    }
    h.min = v.front();
    h.max = v.back();
    h.mean = sum / static_cast<double>(v.size());
    auto rank = [&](double p) {
        size_t k = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
        return v[std::min(v.size(), std::max<size_t>(k, 1)) - 1];
    };
    h.median = rank(0.5);
    h.p95 = rank(0.95);
    return h;
}

SplitStats split_stats(const std::string& name, const std::vector<Example>& ex,
                       const std::vector<size_t>& rows, const std::vector<Lengths>& len,
                       const Lengths& width, const Lengths& max, size_t max_length) {
    SplitStats s;
    s.name = name;
    s.rows = rows.size();
    std::vector<size_t> p, r, t;
    p.reserve(rows.size()), r.reserve(rows.size()), t.reserve(rows.size());
    for (size_t i : rows) {
        ++s.categories[ex[i].category];
        if (ex[i].context.empty()) ++s.empty_context;
        if (max_length > 0 && len[i].total > max_length) ++s.over_max_length;
        p.push_back(len[i].prompt);
        r.push_back(len[i].response);
        t.push_back(len[i].total);
    }
    s.empty_context_share =
        s.rows ? static_cast<double>(s.empty_context) / static_cast<double>(s.rows) : 0.0;
    s.prompt_length = histogram(std::move(p), width.prompt, max.prompt);
    s.response_length = histogram(std::move(r), width.response, max.response);
    s.total_length = histogram(std::move(t), width.total, max.total);
    return s;
}

}  // namespace

size_t utf8_length(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

DatasetStats compute_stats(const std::vector<Example>& examples, const DatasetSplit& split,
                           const StatsOptions& options) {
    const LengthFn length = options.length ? options.length : LengthFn(utf8_length);
    const RenderFn render = options.render ? options.render : RenderFn(build_instruction_prompt);
    DatasetStats st;
    st.length_unit = !options.length_unit.empty() ? options.length_unit
                     : options.length             ? "tokens"
                                                  : "chars";
    std::vector<Lengths> len(examples.size());
    Lengths max;
    std::set<std::string> cats;
    for (size_t i = 0; i < examples.size(); ++i) {
        PromptParts parts = render(examples[i]);
        len[i].prompt = length(parts.prompt);
        len[i].response = length(parts.response);
        len[i].total = length(parts.prompt + parts.response);
        max.prompt = std::max(max.prompt, len[i].prompt);
        max.response = std::max(max.response, len[i].response);
        max.total = std::max(max.total, len[i].total);
        cats.insert(examples[i].category);
    }
    st.categories.assign(cats.begin(), cats.end());
    Lengths width{nice_bin_width(max.prompt, options.bins),
                  nice_bin_width(max.response, options.bins),
                  nice_bin_width(max.total, options.bins)};
    const std::pair<const char*, const std::vector<size_t>*> parts[] = {
        {"train", &split.train}, {"val", &split.val}, {"test", &split.test}};
    for (const auto& [name, rows] : parts)
        st.splits.push_back(
            split_stats(name, examples, *rows, len, width, max, options.max_length));
    std::vector<size_t> all(examples.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    st.all = split_stats("all", examples, all, len, width, max, options.max_length);
    return st;
}

}  // namespace tb
