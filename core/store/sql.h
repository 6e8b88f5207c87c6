// Internal SQLite helpers of the store: a prepared-statement wrapper whose errors name the
// database file and the statement, and a transaction guard that rolls back unless committed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/common/error.h"

namespace tb::store::detail {

// SQL for the current UTC time with milliseconds, the store's timestamp format.
inline constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

inline Error sql_error(sqlite3* db, const std::string& path, const std::string& sql) {
    return Error{path + ": " + sql + ": " + (db ? sqlite3_errmsg(db) : "out of memory")};
}

// Executes one or more statements without results.
inline Status exec(sqlite3* db, const std::string& path, const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
        std::string m = msg ? msg : sqlite3_errmsg(db);
        sqlite3_free(msg);
        return Error{path + ": " + sql + ": " + m};
    }
    return Status::Ok();
}

class Stmt {
  public:
    Stmt(sqlite3* db, const std::string& path, std::string sql)
        : db_(db), path_(path), sql_(std::move(sql)) {
        if (sqlite3_prepare_v2(db_, sql_.c_str(), -1, &st_, nullptr) != SQLITE_OK) {
            err_ = sql_error(db_, path_, sql_);
            st_ = nullptr;
        }
    }
    ~Stmt() { sqlite3_finalize(st_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    bool ok() const { return !err_.has_value(); }
    const Error& error() const { return *err_; }

    // Binders take 1-based indices; they record the first failure.
    Stmt& bind(int i, int64_t v) { return check(sqlite3_bind_int64(st_, i, v)); }
    Stmt& bind(int i, int v) { return check(sqlite3_bind_int64(st_, i, v)); }
    Stmt& bind(int i, double v) { return check(sqlite3_bind_double(st_, i, v)); }
    Stmt& bind(int i, const std::string& v) {
        return check(
            sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    Stmt& bind_null(int i) { return check(sqlite3_bind_null(st_, i)); }
    template <class T>
    Stmt& bind(int i, const std::optional<T>& v) {
        return v ? bind(i, *v) : bind_null(i);
    }

    // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> error.
    Result<bool> step() {
        if (err_) return *err_;
        int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        return sql_error(db_, path_, sql_);
    }
    // Runs a statement without results and resets it for the next bind/run.
    Status run() {
        auto r = step();
        if (!r.ok()) return r.error();
        sqlite3_reset(st_);
        sqlite3_clear_bindings(st_);
        return Status::Ok();
    }

    int64_t col_int(int i) const { return sqlite3_column_int64(st_, i); }
    double col_double(int i) const { return sqlite3_column_double(st_, i); }
    bool col_null(int i) const { return sqlite3_column_type(st_, i) == SQLITE_NULL; }
    std::string col_text(int i) const {
        const unsigned char* p = sqlite3_column_text(st_, i);
        return p ? std::string(reinterpret_cast<const char*>(p),
                               static_cast<size_t>(sqlite3_column_bytes(st_, i)))
                 : std::string();
    }
    std::optional<double> col_opt_double(int i) const {
        return col_null(i) ? std::nullopt : std::optional<double>(col_double(i));
    }
    std::optional<int64_t> col_opt_int(int i) const {
        return col_null(i) ? std::nullopt : std::optional<int64_t>(col_int(i));
    }
    std::optional<std::string> col_opt_text(int i) const {
        return col_null(i) ? std::nullopt : std::optional<std::string>(col_text(i));
    }
    sqlite3_stmt* raw() const { return st_; }

  private:
    Stmt& check(int rc) {
        if (rc != SQLITE_OK && !err_) err_ = sql_error(db_, path_, sql_);
        return *this;
    }
    sqlite3* db_;
    const std::string& path_;
    std::string sql_;
    sqlite3_stmt* st_ = nullptr;
    std::optional<Error> err_;
};

// BEGIN IMMEDIATE (take the write lock up front so a concurrent writer waits on busy_timeout
// instead of failing at the first write); rolls back in the destructor unless committed.
class Transaction {
  public:
    Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {
        status_ = exec(db_, path_, "BEGIN IMMEDIATE");
        open_ = status_.ok();
    }
    ~Transaction() {
        if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    const Status& begun() const { return status_; }
    Status commit() {
        Status s = exec(db_, path_, "COMMIT");
        if (s.ok()) open_ = false;
        return s;
    }

  private:
    sqlite3* db_;
    const std::string& path_;
    Status status_;
    bool open_ = false;
};

}  // namespace tb::store::detail
