// Helpers of the store's crash and stress tests: spawning processes (the writer child, outside
// `sqlite3` readers), kill -9, and the check that every committed row of the writers' ledger
// is in the store.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace tbtest {

// Starts argv[0] (searched in PATH) with stdout/stderr appended to `log`; returns the pid.
inline pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

// Exit status of a finished child (-signal when killed).
inline int wait_child(pid_t pid) {
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) return -1000;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

// true when the child has ended (its status in *status).
inline bool try_wait(pid_t pid, int* status) {
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) != pid) return false;
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    return true;
}

inline bool in_path(const std::string& exe) {
    std::istringstream path(getenv("PATH") ? getenv("PATH") : "");
    std::string d;
    while (std::getline(path, d, ':'))
        if (!d.empty() && access((d + "/" + exe).c_str(), X_OK) == 0) return true;
    return false;
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct LedgerCheck {
    size_t ratings = 0;  // ledger lines checked
    size_t evaluations = 0;
    std::vector<std::string> missing;  // ledger lines not (or not equally) in the store
    std::string integrity;             // PRAGMA integrity_check's first row
};

// PRAGMA integrity_check of `db` and every ledger line looked up (own connection, read only).
inline LedgerCheck check_ledger(const std::string& db, const std::string& ledger) {
    LedgerCheck out;
    sqlite3* c = nullptr;
    if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        out.integrity = std::string("open failed: ") + sqlite3_errmsg(c);
        sqlite3_close(c);
        return out;
    }
    sqlite3_busy_timeout(c, 10000);
    auto first_text = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        std::string r = "(no row)";
        if (sqlite3_prepare_v2(c, sql, -1, &st, nullptr) != SQLITE_OK)
            return std::string(sqlite3_errmsg(c));
        if (sqlite3_step(st) == SQLITE_ROW)
            r = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        else
            r = sqlite3_errmsg(c);
        sqlite3_finalize(st);
        return r;
    };
    out.integrity = first_text("PRAGMA integrity_check");
    sqlite3_stmt* rq = nullptr;
    sqlite3_prepare_v2(c,
                       "SELECT relevance, coherence, fluency, completeness FROM ratings WHERE "
                       "rater = ?1 AND eval_id = ?2 AND item_id = ?3 AND model = ?4",
                       -1, &rq, nullptr);
    sqlite3_stmt* aq = nullptr;
    sqlite3_prepare_v2(c, "SELECT count(*), total(value) FROM metrics_aggregate WHERE eval_id = ?1",
                       -1, &aq, nullptr);
    std::ifstream in(ledger);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string kind;
        ls >> kind;
        if (kind == "R") {
            std::string rater, item, model;
            long long eval = 0;
            int v[4];
            if (!(ls >> rater >> eval >> item >> model >> v[0] >> v[1] >> v[2] >> v[3])) continue;
            ++out.ratings;
            sqlite3_reset(rq);
            sqlite3_bind_text(rq, 1, rater.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(rq, 2, eval);
            sqlite3_bind_text(rq, 3, item.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(rq, 4, model.c_str(), -1, SQLITE_TRANSIENT);
            bool ok = sqlite3_step(rq) == SQLITE_ROW;
            for (int i = 0; ok && i < 4; ++i) ok = sqlite3_column_int(rq, i) == v[i];
            if (!ok) out.missing.push_back(line);
        } else if (kind == "A") {
            long long eval = 0;
            size_t n = 0;
            double sum = 0;
            if (!(ls >> eval >> n >> sum)) continue;
            ++out.evaluations;
            sqlite3_reset(aq);
            sqlite3_bind_int64(aq, 1, eval);
            bool ok = sqlite3_step(aq) == SQLITE_ROW;
            // The sum of the same doubles in the same rows: exact up to summation order
            // (2 terms of <= 100 each: one rounding, well inside 1e-12 relative).
            ok = ok && static_cast<size_t>(sqlite3_column_int64(aq, 0)) == n &&
                 std::fabs(sqlite3_column_double(aq, 1) - sum) <= 1e-12 * std::max(1.0, sum);
            if (!ok) out.missing.push_back(line);
        }
    }
    sqlite3_finalize(rq);
    sqlite3_finalize(aq);
    sqlite3_close(c);
    return out;
}

}  // namespace tbtest
