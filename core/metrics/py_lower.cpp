#include "core/metrics/py_lower.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "core/metrics/py_text.h"

namespace tb::metrics {

namespace {

struct PyLowerEntry {
    char32_t cp;
    char32_t lower[3];  // 0-terminated when shorter than 3
};
struct PyCpRange {
    char32_t lo, hi;
};

#include "core/metrics/py_lower_table.inc"

template <size_t N>
bool in_ranges(const PyCpRange (&table)[N], char32_t cp) {
    const PyCpRange* end = table + N;
    const PyCpRange* it =
        std::upper_bound(table, end, cp, [](char32_t c, const PyCpRange& r) { return c < r.lo; });
    return it != table && cp <= std::prev(it)->hi;
}

bool case_ignorable(char32_t cp) { return in_ranges(kPyCaseIgnorable, cp); }
bool cased(char32_t cp) { return in_ranges(kPyCasedNotIgnorable, cp); }

// CPython's Final_Sigma context: a cased letter before position i and none after it, skipping
// case-ignorable characters on both sides.
bool final_sigma(std::u32string_view s, size_t i) {
    size_t j = i;
    while (j > 0 && case_ignorable(s[j - 1])) --j;
    if (j == 0 || !cased(s[j - 1])) return false;
    size_t k = i + 1;
    while (k < s.size() && case_ignorable(s[k])) ++k;
    return k == s.size() || !cased(s[k]);
}

}  // namespace

std::u32string py_lower(std::u32string_view s) {
    std::u32string out;
    out.reserve(s.size());
    const PyLowerEntry* begin = kPyLower;
    const PyLowerEntry* end = kPyLower + std::size(kPyLower);
    for (size_t i = 0; i < s.size(); ++i) {
        const char32_t cp = s[i];
        if (cp < 0x80) {
            out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
            continue;
        }
        if (cp == 0x3A3) {
            out.push_back(final_sigma(s, i) ? 0x3C2 : 0x3C3);
            continue;
        }
        const PyLowerEntry* it = std::lower_bound(
            begin, end, cp, [](const PyLowerEntry& e, char32_t c) { return e.cp < c; });
        if (it == end || it->cp != cp) {
            out.push_back(cp);
            continue;
        }
        for (char32_t c : it->lower) {
            if (c == 0) break;
            out.push_back(c);
        }
    }
    return out;
}

std::string py_lower_utf8(std::string_view s) {
    const std::u32string low = py_lower(utf8_to_codepoints(s));
    std::string out;
    out.reserve(s.size());
    for (char32_t cp : low) append_utf8(cp, &out);
    return out;
}

}  // namespace tb::metrics
