#include "core/metrics/tokenizer_13a.h"

#include "core/metrics/py_text.h"

namespace tb::metrics {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Character class of the first regex: [\{-\~\[-\` -\&\(-\+\:-\@\/]
bool is_split_punct(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 0x7B && u <= 0x7E) ||  // { | } ~
           (u >= 0x5B && u <= 0x60) ||  // [ \ ] ^ _ `
           (u >= 0x20 && u <= 0x26) ||  // space ! " # $ % &
           (u >= 0x28 && u <= 0x2B) ||  // ( ) * +
           (u >= 0x3A && u <= 0x40) ||  // : ; < = > ? @
           u == 0x2F;                   // /
}

bool is_period_comma(char c) { return c == '.' || c == ','; }

// re.sub with a fixed two-character pattern (first, second) on bytes. Operating on bytes is
// equivalent to operating on code points here: every class that must match an exact character
// is ASCII, and the negated class [^0-9] only ever stands next to an ASCII '.' or ',' (so a
// multibyte code point can only be matched through its last byte when it comes first, or through
// its first byte when it comes second, and in both cases the inserted spaces land on code point
// boundaries; its remaining bytes cannot start a match).
template <class First, class Second, class Emit>
std::string sub_pairs(const std::string& s, First first, Second second, Emit emit) {
    std::string out;
    out.reserve(s.size() + s.size() / 4);
    size_t i = 0;
    while (i < s.size()) {
        if (i + 1 < s.size() && first(s[i]) && second(s[i + 1])) {
            emit(out, s[i], s[i + 1]);
            i += 2;
        } else {
            out.push_back(s[i]);
            ++i;
        }
    }
    return out;
}

}  // namespace

std::string tokenize_13a(std::string_view input) {
    std::string line = py_replace(input, "<skipped>", "");
    line = py_replace(line, "-\n", "");
    line = py_replace(line, "\n", " ");
    line = py_replace(line, "&quot;", "\"");
    line = py_replace(line, "&amp;", "&");
    line = py_replace(line, "&lt;", "<");
    line = py_replace(line, "&gt;", ">");
    line = " " + line + " ";

    // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
    std::string a;
    a.reserve(line.size() * 2);
    for (char c : line) {
        if (is_split_punct(c)) {
            a.push_back(' ');
            a.push_back(c);
            a.push_back(' ');
        } else {
            a.push_back(c);
        }
    }
    auto not_digit = [](char c) { return !is_digit(c); };
    // ([^0-9])([\.,]) -> "\1 \2 "
    std::string b = sub_pairs(a, not_digit, is_period_comma, [](std::string& o, char x, char y) {
        o.push_back(x);
        o.push_back(' ');
        o.push_back(y);
        o.push_back(' ');
    });
    // ([\.,])([^0-9]) -> " \1 \2"
    std::string c = sub_pairs(b, is_period_comma, not_digit, [](std::string& o, char x, char y) {
        o.push_back(' ');
        o.push_back(x);
        o.push_back(' ');
        o.push_back(y);
    });
    // ([0-9])(-) -> "\1 \2 "
    std::string d = sub_pairs(
        c, is_digit, [](char ch) { return ch == '-'; },
        [](std::string& o, char x, char y) {
            o.push_back(x);
            o.push_back(' ');
            o.push_back(y);
            o.push_back(' ');
        });

    std::string out;
    out.reserve(d.size());
    for (std::string_view tok : py_split(py_strip(d))) {
        if (!out.empty()) out.push_back(' ');
        out.append(tok);
    }
    return out;
}

}  // namespace tb::metrics
