#include "core/config/yaml_values.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace tb::config_detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Checks the YAML 1.2 core-schema float/int syntax; from_chars does the conversion.
bool is_yaml_number_syntax(const std::string& s) {
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t int_digits = 0, frac_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++int_digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && is_digit(s[i])) ++i, ++frac_digits;
    }
    if (int_digits + frac_digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        size_t exp_digits = 0;
        while (i < s.size() && is_digit(s[i])) ++i, ++exp_digits;
        if (exp_digits == 0) return false;
    }
    return i == s.size();
}

}  // namespace

std::optional<int64_t> parse_int(const std::string& s) {
    if (s.empty()) return std::nullopt;
    size_t start = (s[0] == '+') ? 1 : 0;  // from_chars rejects a leading '+'
    if (start == s.size() || s[start] == '+') return std::nullopt;
    int64_t v = 0;
    const char* first = s.data() + start;
    const char* last = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(first, last, v);
    if (ec != std::errc() || ptr != last) return std::nullopt;
    return v;
}

std::optional<double> parse_number(const std::string& s) {
    if (!is_yaml_number_syntax(s)) return std::nullopt;
    size_t start = (s[0] == '+') ? 1 : 0;
    double v = 0.0;
    const char* last = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data() + start, last, v);
    if (ec != std::errc() || ptr != last || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<bool> parse_bool(const std::string& s) {
    static const char* const kTrue[] = {"true", "True", "TRUE", "yes", "Yes",
                                        "YES",  "on",   "On",   "ON"};
    static const char* const kFalse[] = {"false", "False", "FALSE", "no", "No",
                                         "NO",    "off",   "Off",   "OFF"};
    for (const char* t : kTrue)
        if (s == t) return true;
    for (const char* f : kFalse)
        if (s == f) return false;
    return std::nullopt;
}

std::string format_number(double v) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
    std::string out(buf, ec == std::errc() ? ptr : buf);
    // YAML 1.1 (PyYAML) needs a '.' in the mantissa to read a float: "2e-04" -> "2.0e-04",
    // "32" -> "32.0".
    size_t e = out.find_first_of("eE");
    std::string mantissa = out.substr(0, e == std::string::npos ? out.size() : e);
    if (mantissa.find('.') == std::string::npos && out.find_first_of("ni") == std::string::npos) {
        mantissa += ".0";
        out = mantissa + (e == std::string::npos ? "" : out.substr(e));
    }
    return out;
}

std::string quote_string(const std::string& s) {
    // Plain (unquoted) only for identifier-like text that YAML would not read as a number,
    // bool or null: letters, digits and _ . / - (model ids, file names, choice values).
    bool plain = !s.empty();
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
                  c == '.' || c == '/' || c == '-';
        if (!ok) plain = false;
    }
    if (plain && (s[0] == '-' || s[0] == '.')) plain = false;  // "-x" list item, ".inf"
    if (plain && (parse_number(s) || parse_bool(s) || s == "null" || s == "Null" || s == "NULL" ||
                  s == "y" || s == "n" || s == "Y" || s == "N"))
        plain = false;
    if (plain) return s;
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (c < 0x20) {
                    char b[8];
                    std::snprintf(b, sizeof(b), "\\x%02x", c);
                    out += b;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += "\"";
    return out;
}

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace tb::config_detail
