#include "core/tokenizer/jinja_value.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tb::jinja {

// ---- Dict / Value -----------------------------------------------------------------------

const Value* Dict::find(const std::string& key) const {
    for (const auto& kv : items)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

void Dict::set(const std::string& key, Value v) {
    for (auto& kv : items)
        if (kv.first == key) {
            kv.second = std::move(v);
            return;
        }
    items.emplace_back(key, std::move(v));
}

Value Value::undefined(std::string hint) {
    Value v;
    v.s_ = std::move(hint);
    return v;
}
Value Value::none() {
    Value v;
    v.kind_ = Kind::None;
    return v;
}
Value Value::boolean(bool b) {
    Value v;
    v.kind_ = Kind::Bool;
    v.b_ = b;
    return v;
}
Value Value::integer(int64_t i) {
    Value v;
    v.kind_ = Kind::Int;
    v.i_ = i;
    return v;
}
Value Value::floating(double f) {
    Value v;
    v.kind_ = Kind::Float;
    v.f_ = f;
    return v;
}
Value Value::string(std::string s) {
    Value v;
    v.kind_ = Kind::String;
    v.s_ = std::move(s);
    return v;
}
Value Value::list(ValueList items) {
    Value v;
    v.kind_ = Kind::List;
    v.list_ = std::make_shared<ValueList>(std::move(items));
    return v;
}
Value Value::dict(Dict d) {
    Value v;
    v.kind_ = Kind::Dict;
    v.dict_ = std::make_shared<Dict>(std::move(d));
    return v;
}
Value Value::function(std::string name, Function fn) {
    Value v;
    v.kind_ = Kind::Function;
    v.s_ = std::move(name);
    v.fn_ = std::make_shared<Function>(std::move(fn));
    return v;
}

double Value::as_float() const {
    switch (kind_) {
        case Kind::Float:
            return f_;
        case Kind::Int:
            return static_cast<double>(i_);
        case Kind::Bool:
            return b_ ? 1.0 : 0.0;
        default:
            return 0.0;
    }
}

bool Value::truthy() const {
    switch (kind_) {
        case Kind::Undefined:
        case Kind::None:
            return false;
        case Kind::Bool:
            return b_;
        case Kind::Int:
            return i_ != 0;
        case Kind::Float:
            return f_ != 0.0;
        case Kind::String:
            return !s_.empty();
        case Kind::List:
            return !list_->empty();
        case Kind::Dict:
            return !dict_->items.empty();
        case Kind::Function:
            return true;
    }
    return false;
}

std::string Value::type_name() const {
    switch (kind_) {
        case Kind::Undefined:
            return "Undefined";
        case Kind::None:
            return "NoneType";
        case Kind::Bool:
            return "bool";
        case Kind::Int:
            return "int";
        case Kind::Float:
            return "float";
        case Kind::String:
            return "str";
        case Kind::List:
            return "list";
        case Kind::Dict:
            return dict_->is_namespace ? "Namespace" : "dict";
        case Kind::Function:
            return "function";
    }
    return "?";
}

void throw_error(const std::string& message) { throw RuntimeError{message}; }

// ---- str / repr -------------------------------------------------------------------------

// Python's float repr: shortest digits that round-trip; fixed notation when the decimal
// exponent is in [-4, 16), otherwise scientific with a two-digit minimum exponent.
static std::string float_repr(double f) {
    if (std::isnan(f)) return "nan";
    if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
    if (f == 0.0) return std::signbit(f) ? "-0.0" : "0.0";
    char buf[64];
    int prec = 1;
    for (; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
        if (std::strtod(buf, nullptr) == f) break;
    }
    // buf = "-d.ddde+XX"
    std::string s(buf);
    bool neg = s[0] == '-';
    if (neg) s.erase(0, 1);
    size_t epos = s.find('e');
    int exp10 = std::atoi(s.c_str() + epos + 1);
    std::string digits;
    for (size_t i = 0; i < epos; ++i)
        if (s[i] != '.') digits += s[i];
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    int decpt = exp10 + 1;  // position of the decimal point relative to digits
    std::string out;
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out = "0." + std::string(-decpt, '0') + digits;
        } else if (decpt >= static_cast<int>(digits.size())) {
            out = digits + std::string(decpt - digits.size(), '0') + ".0";
        } else {
            out = digits.substr(0, decpt) + "." + digits.substr(decpt);
        }
    } else {
        out = digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char e[16];
        std::snprintf(e, sizeof e, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
        out += e;
    }
    return neg ? "-" + out : out;
}

static std::string string_repr(const std::string& s) {
    bool has_single = s.find('\'') != std::string::npos;
    bool has_double = s.find('"') != std::string::npos;
    char q = (has_single && !has_double) ? '"' : '\'';
    std::string out(1, q);
    for (unsigned char c : s) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == static_cast<unsigned char>(q)) {
            out += '\\';
            out += q;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += q;
    return out;
}

std::string py_str(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Undefined:
            return "";
        case Value::Kind::String:
            return v.as_string();
        default:
            return py_repr(v);
    }
}

std::string py_repr(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Undefined:
            return "";
        case Value::Kind::None:
            return "None";
        case Value::Kind::Bool:
            return v.as_bool() ? "True" : "False";
        case Value::Kind::Int:
            return std::to_string(v.as_int());
        case Value::Kind::Float:
            return float_repr(v.as_float());
        case Value::Kind::String:
            return string_repr(v.as_string());
        case Value::Kind::List: {
            std::string out = "[";
            bool first = true;
            for (const auto& item : v.as_list()) {
                if (!first) out += ", ";
                first = false;
                out += py_repr(item);
            }
            return out + "]";
        }
        case Value::Kind::Dict: {
            if (v.as_dict().is_namespace) {
                std::string out = "<Namespace {";
                bool first = true;
                for (const auto& kv : v.as_dict().items) {
                    if (!first) out += ", ";
                    first = false;
                    out += string_repr(kv.first) + ": " + py_repr(kv.second);
                }
                return out + "}>";
            }
            std::string out = "{";
            bool first = true;
            for (const auto& kv : v.as_dict().items) {
                if (!first) out += ", ";
                first = false;
                out += string_repr(kv.first) + ": " + py_repr(kv.second);
            }
            return out + "}";
        }
        case Value::Kind::Function:
            return "<function " + v.as_string() + ">";
    }
    return "";
}

// ---- comparisons ------------------------------------------------------------------------

bool py_equal(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) {
        if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
        return a.as_int() == b.as_int();
    }
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case Value::Kind::Undefined:
        case Value::Kind::None:
            return true;
        case Value::Kind::String:
            return a.as_string() == b.as_string();
        case Value::Kind::List: {
            const auto& x = a.as_list();
            const auto& y = b.as_list();
            if (x.size() != y.size()) return false;
            for (size_t i = 0; i < x.size(); ++i)
                if (!py_equal(x[i], y[i])) return false;
            return true;
        }
        case Value::Kind::Dict: {
            const auto& x = a.as_dict().items;
            const auto& y = b.as_dict();
            if (x.size() != y.items.size()) return false;
            for (const auto& kv : x) {
                const Value* o = y.find(kv.first);
                if (!o || !py_equal(kv.second, *o)) return false;
            }
            return true;
        }
        case Value::Kind::Function:
            return &a.as_function() == &b.as_function();
        default:
            return false;
    }
}

bool py_less(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) {
        if (a.is_float() || b.is_float()) return a.as_float() < b.as_float();
        return a.as_int() < b.as_int();
    }
    if (a.is_string() && b.is_string())
        return a.as_string() < b.as_string();  // UTF-8 order = code point order
    if (a.is_list() && b.is_list()) {
        const auto& x = a.as_list();
        const auto& y = b.as_list();
        for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
            if (py_equal(x[i], y[i])) continue;
            return py_less(x[i], y[i]);
        }
        return x.size() < y.size();
    }
    throw_error("'<' not supported between instances of '" + a.type_name() + "' and '" +
                b.type_name() + "'");
}

int64_t py_len(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::String:
            return static_cast<int64_t>(utf8_chars(v.as_string()).size());
        case Value::Kind::List:
            return static_cast<int64_t>(v.as_list().size());
        case Value::Kind::Dict:
            return static_cast<int64_t>(v.as_dict().items.size());
        case Value::Kind::Undefined:
            return 0;
        default:
            throw_error("object of type '" + v.type_name() + "' has no len()");
    }
}

ValueList py_iter(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::List:
            return v.as_list();
        case Value::Kind::Dict: {
            ValueList keys;
            for (const auto& kv : v.as_dict().items) keys.push_back(Value::string(kv.first));
            return keys;
        }
        case Value::Kind::String: {
            ValueList chars;
            for (auto& c : utf8_chars(v.as_string())) chars.push_back(Value::string(c));
            return chars;
        }
        case Value::Kind::Undefined:
            return {};
        default:
            throw_error("'" + v.type_name() + "' object is not iterable");
    }
}

// ---- JSON (tojson) -------------------------------------------------------------------------

static std::string json_string(const std::string& s) {
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
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20) {
                    char b[8];
                    std::snprintf(b, sizeof b, "\\u%04x", c);
                    out += b;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string to_json(const Value& v, int indent, int level) {
    auto newline = [&](int lvl) {
        return indent < 0 ? std::string() : "\n" + std::string(indent * lvl, ' ');
    };
    const char* item_sep = indent < 0 ? ", " : ",";
    switch (v.kind()) {
        case Value::Kind::None:
            return "null";
        case Value::Kind::Bool:
            return v.as_bool() ? "true" : "false";
        case Value::Kind::Int:
            return std::to_string(v.as_int());
        case Value::Kind::Float: {
            double f = v.as_float();
            if (std::isnan(f)) return "NaN";
            if (std::isinf(f)) return f > 0 ? "Infinity" : "-Infinity";
            return float_repr(f);
        }
        case Value::Kind::String:
            return json_string(v.as_string());
        case Value::Kind::List: {
            if (v.as_list().empty()) return "[]";
            std::string out = "[";
            bool first = true;
            for (const auto& item : v.as_list()) {
                if (!first) out += item_sep;
                first = false;
                out += newline(level + 1) + to_json(item, indent, level + 1);
            }
            return out + newline(level) + "]";
        }
        case Value::Kind::Dict: {
            if (v.as_dict().items.empty()) return "{}";
            std::string out = "{";
            bool first = true;
            for (const auto& kv : v.as_dict().items) {
                if (!first) out += item_sep;
                first = false;
                out += newline(level + 1) + json_string(kv.first) + ": " +
                       to_json(kv.second, indent, level + 1);
            }
            return out + newline(level) + "}";
        }
        default:
            throw_error("Object of type " + v.type_name() + " is not JSON serializable");
    }
}

// ---- UTF-8 ------------------------------------------------------------------------------

std::vector<std::string> utf8_chars(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = 1;
        if (c >= 0xF0 && c < 0xF8)
            n = 4;
        else if (c >= 0xE0)
            n = c < 0xF0 ? 3 : 1;
        else if (c >= 0xC0)
            n = 2;
        if (i + n > s.size()) n = 1;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
                n = 1;
                break;
            }
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

static uint32_t code_point(const std::string& ch) {
    const auto* p = reinterpret_cast<const unsigned char*>(ch.data());
    switch (ch.size()) {
        case 1:
            return p[0];
        case 2:
            return ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
        case 3:
            return ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        case 4:
            return ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) |
                   (p[3] & 0x3F);
        default:
            return 0xFFFD;
    }
}

bool is_py_space(const std::string& ch) {
    // Python's str.isspace(): bidi classes WS/B/S or category Zs.
    uint32_t c = code_point(ch);
    if (ch.size() == 1 && static_cast<unsigned char>(ch[0]) >= 0x80) return false;  // stray byte
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string py_strip(const std::string& s, bool left, bool right, const Value& chars) {
    auto cs = utf8_chars(s);
    std::vector<std::string> set;
    bool use_set = chars.is_string();
    if (use_set) set = utf8_chars(chars.as_string());
    auto strip_me = [&](const std::string& c) {
        if (!use_set) return is_py_space(c);
        for (const auto& x : set)
            if (x == c) return true;
        return false;
    };
    size_t b = 0, e = cs.size();
    if (left)
        while (b < e && strip_me(cs[b])) ++b;
    if (right)
        while (e > b && strip_me(cs[e - 1])) --e;
    std::string out;
    for (size_t i = b; i < e; ++i) out += cs[i];
    return out;
}

std::string ascii_upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

std::string ascii_lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

static bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string py_title(const std::string& s) {
    // str.title(): a letter following a cased letter is lowered, otherwise uppered.
    std::string out = s;
    bool prev_cased = false;
    for (char& c : out) {
        if (ascii_alpha(c)) {
            c = prev_cased ? ascii_lower(std::string(1, c))[0] : ascii_upper(std::string(1, c))[0];
            prev_cased = true;
        } else {
            prev_cased = false;
        }
    }
    return out;
}

std::string py_capitalize(const std::string& s) {
    std::string out = ascii_lower(s);
    if (!out.empty()) out[0] = ascii_upper(out.substr(0, 1))[0];
    return out;
}

}  // namespace tb::jinja
