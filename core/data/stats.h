// Dataset statistics for `tunebench-cli data` and the dataset browser: rows and categories per
// split, empty-context share, and length histograms of prompt, response and whole sequence.
//
// Lengths come from a pluggable function: characters (Unicode code points) by default, tokens
// when the caller passes its tokenizer (e.g. [&](const std::string& s) { return
// tok.encode(s).size(); }). The text measured comes from a pluggable renderer: the instruction
// template by default, the chat-template rendering when the caller has one.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/data/example.h"
#include "core/data/prompt.h"
#include "core/data/split.h"

namespace tb {

using LengthFn = std::function<size_t(const std::string&)>;
using RenderFn = std::function<PromptParts(const Example&)>;

// Number of Unicode code points (UTF-8 continuation bytes are not counted).
size_t utf8_length(const std::string& s);

// Histogram with equal-width bins starting at 0: counts[i] = rows with length in
// [i * bin_width, (i + 1) * bin_width). All splits share the bin width of a measure so that
// they can be drawn on one axis.
struct LengthHistogram {
    size_t bin_width = 1;
    std::vector<size_t> counts;
    size_t rows = 0;
    size_t min = 0, max = 0;
    double mean = 0.0;
    size_t median = 0;  // nearest-rank percentiles
    size_t p95 = 0;
};

struct SplitStats {
    std::string name;  // "train", "val", "test" or "all"
    size_t rows = 0;
    std::map<std::string, size_t> categories;  // category ("" = none) -> rows
    size_t empty_context = 0;                  // rows whose context is empty
    double empty_context_share = 0.0;          // empty_context / rows (0 for no rows)
    size_t over_max_length = 0;                // rows whose total length > max_length
    LengthHistogram prompt_length;             // rendered prompt
    LengthHistogram response_length;           // response
    LengthHistogram total_length;              // prompt + response
};

struct StatsOptions {
    LengthFn length;          // empty: utf8_length
    std::string length_unit;  // shown in reports; empty: "chars" (or "tokens" if you pass one)
    RenderFn render;          // empty: build_instruction_prompt
    size_t max_length = 0;    // > 0: count rows longer than this (truncated in training)
    size_t bins = 20;         // about this many bins (bin widths are 1, 2 or 5 x 10^k)
};

struct DatasetStats {
    std::string length_unit;
    std::vector<std::string> categories;  // sorted; "" = rows without a category
    std::vector<SplitStats> splits;       // train, val, test
    SplitStats all;                       // the whole dataset
};

DatasetStats compute_stats(const std::vector<Example>& examples, const DatasetSplit& split,
                           const StatsOptions& options = {});

}  // namespace tb
