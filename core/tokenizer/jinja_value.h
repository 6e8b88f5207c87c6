// Values of the Jinja interpreter (core/tokenizer/jinja_template.h), with Python semantics.
//
// Why Python semantics: HF transformers renders chat templates with jinja2 on Python objects,
// so `str(x)`, `==`, truthiness, `len`, slicing and `str.strip()` must behave like Python's
// for the rendered prompt to be byte-identical. Strings are UTF-8; length, indexing and
// slicing count code points as Python does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tb::jinja {

class Value;
using ValueList = std::vector<Value>;
using KwArgs = std::vector<std::pair<std::string, Value>>;

// Insertion-ordered string-keyed dictionary (Python dicts keep insertion order; chat
// messages are tiny, so linear lookup is fine).
struct Dict {
    std::vector<std::pair<std::string, Value>> items;
    bool is_namespace = false;  // created by namespace(): `{% set ns.x = ... %}` allowed

    const Value* find(const std::string& key) const;
    void set(const std::string& key, Value v);
};

// A callable: global function (raise_exception, namespace, range), bound string/dict
// method, or loop.cycle. Errors are reported by throwing jinja::RuntimeError (see below).
using Function = std::function<Value(const ValueList& args, const KwArgs& kwargs)>;

class Value {
  public:
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Function };

    Value() = default;  // Undefined
    static Value undefined(std::string hint = {});
    static Value none();
    static Value boolean(bool b);
    static Value integer(int64_t i);
    static Value floating(double f);
    static Value string(std::string s);
    static Value list(ValueList items = {});
    static Value dict(Dict d = {});
    static Value function(std::string name, Function fn);

    Kind kind() const { return kind_; }
    bool is_undefined() const { return kind_ == Kind::Undefined; }
    bool is_none() const { return kind_ == Kind::None; }
    bool is_bool() const { return kind_ == Kind::Bool; }
    bool is_int() const { return kind_ == Kind::Int; }
    bool is_float() const { return kind_ == Kind::Float; }
    bool is_number() const {
        return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool;
    }
    bool is_string() const { return kind_ == Kind::String; }
    bool is_list() const { return kind_ == Kind::List; }
    bool is_dict() const { return kind_ == Kind::Dict; }
    bool is_function() const { return kind_ == Kind::Function; }

    bool as_bool() const { return b_; }
    int64_t as_int() const { return kind_ == Kind::Bool ? (b_ ? 1 : 0) : i_; }
    double as_float() const;                             // Int/Bool/Float -> double
    const std::string& as_string() const { return s_; }  // also the Undefined hint / fn name
    const ValueList& as_list() const { return *list_; }
    ValueList& as_list() { return *list_; }
    const Dict& as_dict() const { return *dict_; }
    Dict& as_dict() { return *dict_; }
    const Function& as_function() const { return *fn_; }

    // Python truthiness (Undefined is false, as in jinja2).
    bool truthy() const;
    // Python type name for error messages ("str", "int", "list", "dict", "NoneType", ...).
    std::string type_name() const;

  private:
    Kind kind_ = Kind::Undefined;
    bool b_ = false;
    int64_t i_ = 0;
    double f_ = 0.0;
    std::string s_;
    std::shared_ptr<ValueList> list_;
    std::shared_ptr<Dict> dict_;
    std::shared_ptr<Function> fn_;
};

// Error raised while evaluating; the interpreter adds template line/column.
struct RuntimeError {
    std::string message;
};
[[noreturn]] void throw_error(const std::string& message);

// ---- Python semantics -------------------------------------------------------------------

std::string py_str(const Value& v);   // str(v); Undefined -> ""
std::string py_repr(const Value& v);  // repr(v), used inside list/dict str()
bool py_equal(const Value& a, const Value& b);
// a < b; throws for unorderable types (TypeError in Python).
bool py_less(const Value& a, const Value& b);
// len(v); throws for values without a length.
int64_t py_len(const Value& v);
// Items iterated by `for` / filters: list items, dict keys, string characters; Undefined and
// None(error) handled by the caller.
ValueList py_iter(const Value& v);
// JSON text as HF's `tojson` filter writes it (json.dumps, ensure_ascii=False).
std::string to_json(const Value& v, int indent, int level = 0);

// ---- UTF-8 helpers (code-point semantics of Python str) ----------------------------------

// Splits UTF-8 into code points (invalid bytes become single-byte units, never dropped).
std::vector<std::string> utf8_chars(const std::string& s);
bool is_py_space(const std::string& ch);  // str.isspace() for one code point
std::string py_strip(const std::string& s, bool left, bool right, const Value& chars);
std::string ascii_upper(std::string s);
std::string ascii_lower(std::string s);
std::string py_title(const std::string& s);       // str.title()
std::string py_capitalize(const std::string& s);  // str.capitalize()

}  // namespace tb::jinja
