// Scalar conversions between YAML text and C++ values for the config loader (internal).
//
// Why not YAML::Node::as<T>(): yaml-cpp converts through iostreams (locale-dependent, accepts
// trailing garbage in some versions, and "1e3" for integers), and PyYAML-style YAML 1.1 readers
// treat `2e-4` as a string. We accept the YAML 1.2 core-schema number syntax, which includes
// `2e-4`, parse it locale-independently with std::from_chars, and write numbers back so that
// both YAML 1.1 and 1.2 readers see numbers ("2.0e-04").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tb::config_detail {

// Decimal integer with optional sign ("16", "-1", "+3"). nullopt on syntax error or overflow.
std::optional<int64_t> parse_int(const std::string& s);
// YAML 1.2 core float: [-+]? ( .digits | digits[.digits*] ) ([eE][-+]?digits)?; also accepts
// integers. Rejects .inf/.nan (no config field wants them). nullopt on syntax error.
std::optional<double> parse_number(const std::string& s);
// true/false, plus the YAML 1.1 spellings yes/no/on/off in lower, Title and UPPER case.
std::optional<bool> parse_bool(const std::string& s);

// Shortest text that reads back to exactly `v`, always with a '.' so YAML 1.1 sees a float.
std::string format_number(double v);
// Plain scalar when that reads back as the same string, else a double-quoted YAML string.
std::string quote_string(const std::string& s);

// Levenshtein distance (for "did you mean ...?").
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace tb::config_detail
