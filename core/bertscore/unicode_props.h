// Unicode character classes and mappings used by the BERTScore tokenizers.
//
// Why tables: the GPT-2 pre-tokenization regex needs \p{L}, \p{N} and \s, and BERT's basic
// tokenizer needs Python's str.lower(), NFD accent stripping and the categories P*, Mn, Cc/Cf,
// Zs. The data is generated from Python's `regex`/`unicodedata` modules by
// gen_unicode_tables.py (unicode_tables.inc), so no ICU dependency is needed.
// Limits: characters newer than the table's Unicode version count as "other"; str.lower()'s
// context rule for final sigma is not applied (Σ always lowers to σ).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tb::bertscore {

// Strict enough UTF-8 decoding for tokenizer input: malformed bytes decode as U+FFFD.
std::u32string utf8_to_u32(std::string_view s);
std::string u32_to_utf8(std::u32string_view s);
void append_utf8(char32_t cp, std::string* out);

bool is_letter(char32_t cp);             // \p{L}
bool is_number(char32_t cp);             // \p{N}
bool is_white_space(char32_t cp);        // \s of the `regex` module (Unicode White_Space)
bool is_punct_category(char32_t cp);     // \p{P}
bool is_nonspacing_mark(char32_t cp);    // \p{Mn}
bool is_control_or_format(char32_t cp);  // \p{Cc} or \p{Cf}
bool is_space_separator(char32_t cp);    // \p{Zs}

// Python str.lower() of one code point (1 to 3 code points), without the final-sigma rule.
void append_lower(char32_t cp, std::u32string* out);
// Full canonical decomposition (NFD) of one code point, Hangul syllables included.
void append_nfd(char32_t cp, std::u32string* out);

}  // namespace tb::bertscore
