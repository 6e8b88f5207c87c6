#include "core/metrics/py_text.h"

namespace tb::metrics {

char32_t utf8_decode(std::string_view s, size_t pos, size_t* len) {
    const auto b0 = static_cast<unsigned char>(s[pos]);
    auto cont = [&](size_t k) -> int {
        if (pos + k >= s.size()) return -1;
        const auto b = static_cast<unsigned char>(s[pos + k]);
        return (b & 0xC0) == 0x80 ? (b & 0x3F) : -1;
    };
    if (b0 < 0x80) {
        *len = 1;
        return b0;
    }
    int need = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        need = 1, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        need = 2, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        need = 3, cp = b0 & 0x07, min = 0x10000;
    } else {
        *len = 1;
        return 0xFFFD;
    }
    for (int k = 1; k <= need; ++k) {
        const int c = cont(static_cast<size_t>(k));
        if (c < 0) {
            *len = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | static_cast<char32_t>(c);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *len = 1;
        return 0xFFFD;
    }
    *len = static_cast<size_t>(need) + 1;
    return cp;
}

std::u32string utf8_to_codepoints(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        size_t len = 1;
        out.push_back(utf8_decode(s, i, &len));
        i += len;
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

bool py_isspace(char32_t cp) {
    if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
    switch (cp) {
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

namespace {

// Byte length of the whitespace code point at pos, or 0 if the code point there is not space.
size_t space_len_at(std::string_view s, size_t pos) {
    size_t len = 1;
    const char32_t cp = utf8_decode(s, pos, &len);
    return py_isspace(cp) ? len : 0;
}

}  // namespace

std::vector<std::string_view> py_split(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    size_t start = std::string_view::npos;
    while (i < s.size()) {
        size_t len = 1;
        const char32_t cp = utf8_decode(s, i, &len);
        if (py_isspace(cp)) {
            if (start != std::string_view::npos) {
                out.push_back(s.substr(start, i - start));
                start = std::string_view::npos;
            }
        } else if (start == std::string_view::npos) {
            start = i;
        }
        i += len;
    }
    if (start != std::string_view::npos) out.push_back(s.substr(start));
    return out;
}

std::string_view py_rstrip(std::string_view s) {
    // Walk forward remembering the end of the last non-space code point: decoding backwards
    // would need its own validation rules.
    size_t end = 0;
    size_t i = 0;
    while (i < s.size()) {
        size_t len = 1;
        const char32_t cp = utf8_decode(s, i, &len);
        i += len;
        if (!py_isspace(cp)) end = i;
    }
    return s.substr(0, end);
}

std::string_view py_strip(std::string_view s) {
    size_t begin = 0;
    while (begin < s.size()) {
        const size_t len = space_len_at(s, begin);
        if (len == 0) break;
        begin += len;
    }
    return py_rstrip(s.substr(begin));
}

std::string py_replace(std::string_view s, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(s.size());
    size_t pos = 0;
    while (true) {
        const size_t hit = s.find(from, pos);
        if (hit == std::string_view::npos) break;
        out.append(s.substr(pos, hit - pos));
        out.append(to);
        pos = hit + from.size();
    }
    out.append(s.substr(pos));
    return out;
}

}  // namespace tb::metrics
