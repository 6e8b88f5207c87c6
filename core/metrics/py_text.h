// Python str semantics that the reference metric packages rely on, on UTF-8 byte strings.
//
// Why: sacrebleu and rouge-score operate on Python `str` (code points). Their results depend on
// exactly which code points str.split()/str.strip() treat as whitespace and on what str.lower()
// maps to ASCII. These helpers reproduce those rules on UTF-8 so that the C++ metrics give the
// same token sequences.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tb::metrics {

// Decodes the code point starting at s[pos]; sets `len` to its byte length (>= 1). Malformed
// bytes decode as one code point 0xFFFD of length 1 (Python strings cannot hold them; our inputs
// come from JSON, which the parser already validated).
char32_t utf8_decode(std::string_view s, size_t pos, size_t* len);

// UTF-8 -> code points with utf8_decode's rules, and one code point appended as UTF-8.
std::u32string utf8_to_codepoints(std::string_view s);
void append_utf8(char32_t cp, std::string* out);

// True for the 29 code points for which Python's str.isspace() is true (what str.split() with
// no argument and str.strip()/rstrip() use): U+0009..U+000D, U+001C..U+0020, U+0085, U+00A0,
// U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool py_isspace(char32_t cp);

// Python `s.split()`: runs of non-whitespace, as views into `s`.
std::vector<std::string_view> py_split(std::string_view s);

// Python `s.rstrip()` and `s.strip()` (Unicode whitespace as above).
std::string_view py_rstrip(std::string_view s);
std::string_view py_strip(std::string_view s);

// Python `s.replace(from, to)` (non-overlapping, left to right; `from` must be non-empty).
std::string py_replace(std::string_view s, std::string_view from, std::string_view to);

}  // namespace tb::metrics
