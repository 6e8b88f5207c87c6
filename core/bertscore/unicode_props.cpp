#include "core/bertscore/unicode_props.h"

#include <algorithm>
#include <iterator>

namespace tb::bertscore {
namespace {

struct CpRange {
    char32_t lo, hi;
};
struct CpMap {
    char32_t cp;
    char32_t to[3];
};
struct CpDecomp {
    char32_t cp;
    char32_t to[4];
};

#include "core/bertscore/unicode_tables.inc"

template <size_t N>
bool in_ranges(const CpRange (&table)[N], char32_t cp) {
    const CpRange* end = table + N;
    const CpRange* it =
        std::upper_bound(table, end, cp, [](char32_t c, const CpRange& r) { return c < r.lo; });
    return it != table && cp <= (it - 1)->hi;
}

template <class T, size_t N>
const T* find_cp(const T (&table)[N], char32_t cp) {
    const T* end = table + N;
    const T* it = std::lower_bound(table, end, cp, [](const T& e, char32_t c) { return e.cp < c; });
    return it != end && it->cp == cp ? it : nullptr;
}

}  // namespace

std::u32string utf8_to_u32(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        int n = 0;
        char32_t cp = 0;
        if (c < 0x80) {
            n = 1, cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, cp = c & 0x07;
        }
        bool ok = n > 0 && i + n <= s.size();
        for (int k = 1; ok && k < n; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            ok = (b & 0xC0) == 0x80;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (!ok) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        out.push_back(cp);
        i += n;
    }
    return out;
}

void append_utf8(char32_t cp, std::string* out) {
    if (cp < 0x80) {
        out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string u32_to_utf8(std::u32string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char32_t cp : s) append_utf8(cp, &out);
    return out;
}

bool is_letter(char32_t cp) { return in_ranges(kLetter, cp); }
bool is_number(char32_t cp) { return in_ranges(kNumber, cp); }
bool is_white_space(char32_t cp) { return in_ranges(kWhiteSpace, cp); }
bool is_punct_category(char32_t cp) { return in_ranges(kPunct, cp); }
bool is_nonspacing_mark(char32_t cp) { return in_ranges(kMarkNonspacing, cp); }
bool is_control_or_format(char32_t cp) { return in_ranges(kControlFormat, cp); }
bool is_space_separator(char32_t cp) { return in_ranges(kSpaceSeparator, cp); }

void append_lower(char32_t cp, std::u32string* out) {
    if (const CpMap* m = find_cp(kLower, cp)) {
        for (char32_t c : m->to)
            if (c) out->push_back(c);
        return;
    }
    out->push_back(cp);
}

void append_nfd(char32_t cp, std::u32string* out) {
    // Hangul syllables: the Unicode algorithm (L V [T] jamo), as unicodedata does.
    constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
    constexpr char32_t kTCount = 28, kNCount = 21 * 28, kSCount = 19 * 21 * 28;
    if (cp >= kSBase && cp < kSBase + kSCount) {
        const char32_t s = cp - kSBase;
        out->push_back(kLBase + s / kNCount);
        out->push_back(kVBase + (s % kNCount) / kTCount);
        if (s % kTCount) out->push_back(kTBase + s % kTCount);
        return;
    }
    if (const CpDecomp* d = find_cp(kNfd, cp)) {
        for (char32_t c : d->to)
            if (c) out->push_back(c);
        return;
    }
    out->push_back(cp);
}

}  // namespace tb::bertscore
