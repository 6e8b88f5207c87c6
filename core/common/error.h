// Error values for predictable failures (bad files, bad config, bad arguments).
//
// Why not exceptions everywhere: a malformed model folder or YAML file is an expected
// condition in a desktop tool; the message must name the file, line and field and reach
// the user as one line. Exceptions remain for programming errors and are caught at the
// thread / CLI boundary.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tb {

struct Error {
    std::string message;  // one line: "<file>:<line>: <field>: <what went wrong>"
};

// Builds "<where>: <what>" without the caller caring whether `where` is empty.
inline Error make_error(const std::string& where, const std::string& what) {
    return Error{where.empty() ? what : where + ": " + what};
}

// Result<T>: either a value or an Error. Deliberately tiny (no monadic helpers).
template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

// Status: success or an Error.
class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(Error e) : err_(std::move(e)) {}
    static Status Ok() { return Status(); }

    bool ok() const { return !err_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *err_; }

  private:
    std::optional<Error> err_;
};

}  // namespace tb

// Propagate an error from an expression returning Status or Result<T>.
#define TB_TRY_STATUS(expr)                                 \
    do {                                                    \
        auto _tb_s = (expr);                                \
        if (!_tb_s.ok()) return ::tb::Error(_tb_s.error()); \
    } while (0)

#define TB_CONCAT_INNER(a, b) a##b
#define TB_CONCAT(a, b) TB_CONCAT_INNER(a, b)
// TB_ASSIGN_OR_RETURN(auto x, f());
#define TB_ASSIGN_OR_RETURN(lhs, expr) \
    TB_ASSIGN_OR_RETURN_IMPL(TB_CONCAT(_tb_r_, __LINE__), lhs, expr)
#define TB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)    \
    auto tmp = (expr);                              \
    if (!tmp.ok()) return ::tb::Error(tmp.error()); \
    lhs = std::move(tmp).value()
