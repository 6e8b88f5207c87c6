// Python's str.lower() on UTF-8 text, for metrics whose reference lower-cases with it (sacrebleu's
// TER tokenizer, case-insensitive by default).
//
// Why a table of our own: str.lower() maps some code points to several (U+0130 -> "i" U+0307)
// and lowers U+03A3 (capital sigma) by context (final sigma). Both rules come from the running
// Python in gen_py_lower_table.py (py_lower_table.inc records the Python/Unicode version), so
// no ICU dependency is needed. Code points newer than the table's Unicode version stay as they
// are (as in the Python that made the table).
#pragma once

#include <string>
#include <string_view>

namespace tb::metrics {

// Python `s.lower()` on code points, final-sigma rule included (CPython handle_capital_sigma).
std::u32string py_lower(std::u32string_view s);
// The same on UTF-8 (malformed bytes decode as U+FFFD, see py_text.h).
std::string py_lower_utf8(std::string_view s);

}  // namespace tb::metrics
