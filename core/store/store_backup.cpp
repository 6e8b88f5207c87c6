// Integrity checks, online backups and restore of the experiment store (see store_backup.h).
#include "core/store/store_backup.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/store/sql.h"

namespace tb::store {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDamageMarker = "the store is damaged";
constexpr size_t kMaxProblems = 20;

// "20261202T183000.123Z" (file names) and "2026-12-02T18:30:00.123Z" (display), UTC.
std::pair<std::string, std::string> utc_stamps() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char file[64], iso[64];  // 64: g++ cannot bound %d fields of tm
    std::snprintf(file, sizeof file, "%04d%02d%02dT%02d%02d%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    std::snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return {file, iso};
}

// "20261202T183000.123Z" -> "2026-12-02T18:30:00.123Z"; "" when malformed.
std::string iso_from_file_stamp(const std::string& s) {
    if (s.size() != 20 || s[8] != 'T' || s[15] != '.' || s[19] != 'Z') return "";
    for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16, 17, 18})
        if (s[i] < '0' || s[i] > '9') return "";
    return s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2) + "T" + s.substr(9, 2) +
           ":" + s.substr(11, 2) + ":" + s.substr(13, 2) + s.substr(15);
}

std::string stem_of(const std::string& store_path) { return fs::path(store_path).stem().string(); }

// The key of a store in the per-process bookkeeping: its absolute, normalised path.
std::string key_of(const std::string& store_path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(store_path, ec), ec);
    return ec ? store_path : p.string();
}

struct ProcessState {
    std::mutex mu;
    std::set<std::string> session_checked;  // files quick-checked and backed up by this process
    std::map<std::string, int> open_stores;
};
ProcessState& state() {
    static ProcessState s;
    return s;
}

// Rows of PRAGMA quick_check / integrity_check; empty when "ok".
Result<std::vector<std::string>> run_check(sqlite3* db, const std::string& path, bool full) {
    const std::string sql = full ? "PRAGMA integrity_check" : "PRAGMA quick_check";
    detail::Stmt st(db, path, sql);
    std::vector<std::string> problems;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        const std::string msg = st.col_text(0);
        if (msg == "ok") continue;
        if (problems.size() < kMaxProblems) problems.push_back(msg);
    }
    return problems;
}

bool is_damage_code(int rc) {
    rc &= 0xff;
    return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

struct Connection {
    sqlite3* db = nullptr;
    ~Connection() {
        if (db) sqlite3_close_v2(db);
    }
};

Status fsync_path(const std::string& path, bool directory) {
    int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return make_error(path, std::string("cannot open: ") + std::strerror(errno));
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return make_error(path, std::string("fsync failed: ") + std::strerror(errno));
    return Status::Ok();
}

// Copies `src` (a database connection, "main") into a new file at `dest` with the backup API,
// leaves it in rollback-journal mode (a single self-contained file) and verifies it.
Status backup_into(sqlite3* src, const std::string& src_name, const std::string& dest) {
    Connection out;
    if (sqlite3_open_v2(dest.c_str(), &out.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK)
        return detail::sql_error(out.db, dest, "open");
    sqlite3_backup* b = sqlite3_backup_init(out.db, "main", src, "main");
    if (!b) return detail::sql_error(out.db, dest, "backup from " + src_name);
    // One step copies everything inside one read transaction of the source (a consistent
    // snapshot; WAL writers go on). BUSY/LOCKED: a writer is checkpointing, retry a while.
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < 200; ++attempt) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        return Error{dest + ": backup from " + src_name + ": " + sqlite3_errstr(rc)};
    TB_TRY_STATUS(detail::exec(out.db, dest, "PRAGMA journal_mode = DELETE"));
    TB_ASSIGN_OR_RETURN(auto problems, run_check(out.db, dest, false));
    if (!problems.empty())
        return Error{dest + ": backup fails its quick_check: " + problems.front()};
    return Status::Ok();
}

// Temporary files of backups or restores whose process is gone.
void sweep_stale_temporaries(const fs::path& dir, const std::string& prefix) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        const std::string n = it->path().filename().string();
        if (n.rfind(prefix, 0) != 0) continue;
        const long pid = std::strtol(n.c_str() + prefix.size(), nullptr, 10);
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
            std::error_code rm;
            fs::remove(it->path(), rm);
            fs::remove(it->path().string() + "-journal", rm);
        }
    }
}

// The pid of another process holding a POSIX lock on `path` (0: none). Opens a descriptor of
// its own: call only while no SQLite connection of this process has the file open (closing it
// would drop that connection's locks -- the cause of issue 10's corruption).
pid_t lock_holder(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    pid_t pid = 0;
    if (::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) pid = fl.l_pid;
    ::close(fd);
    return pid;
}

Status copy_aside(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::none, ec);
    if (ec) return make_error(to, "cannot copy " + from + ": " + ec.message());
    return fsync_path(to, false);
}

}  // namespace

std::string backup_dir(const std::string& store_path) {
    return (fs::absolute(store_path).parent_path() / "backups").string();
}

std::vector<BackupInfo> list_backups(const std::string& store_path) {
    std::vector<BackupInfo> out;
    const std::string prefix = stem_of(store_path) + "-";
    std::error_code ec;
    for (auto it = fs::directory_iterator(backup_dir(store_path), ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string n = it->path().filename().string();
        if (n.rfind(prefix, 0) != 0 || it->path().extension() != ".sqlite") continue;
        const std::string rest = n.substr(prefix.size(), n.size() - prefix.size() - 7);
        if (rest.size() < 22 || rest[20] != '-') continue;
        BackupInfo b;
        b.created_at = iso_from_file_stamp(rest.substr(0, 20));
        if (b.created_at.empty()) continue;
        b.reason = rest.substr(21);
        b.path = it->path().string();
        std::error_code sec;
        b.bytes = static_cast<int64_t>(it->file_size(sec));
        out.push_back(std::move(b));
    }
    std::sort(out.begin(), out.end(), [](const BackupInfo& a, const BackupInfo& b) {
        return a.created_at != b.created_at ? a.created_at > b.created_at : a.path > b.path;
    });
    return out;
}

Result<std::vector<std::string>> check_database_file(const std::string& path, bool full) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return make_error(path, "no such database file");
    Connection c;
    if (sqlite3_open_v2(path.c_str(), &c.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return std::vector<std::string>{detail::sql_error(c.db, path, "open").message};
    auto problems = run_check(c.db, path, full);
    if (!problems.ok()) return std::vector<std::string>{problems.error().message};
    return problems;
}

Result<StoreCheck> check_store(const std::string& store_path, bool full) {
    StoreCheck r;
    r.store_path = store_path;
    std::error_code ec;
    r.exists = fs::is_regular_file(store_path, ec);
    if (r.exists) {
        // Read-write (not read-only) so that a store in WAL mode is checked with its WAL.
        Connection c;
        if (sqlite3_open_v2(store_path.c_str(), &c.db, SQLITE_OPEN_READWRITE, nullptr) !=
            SQLITE_OK) {
            r.problems.push_back(detail::sql_error(c.db, store_path, "open").message);
        } else {
            sqlite3_busy_timeout(c.db, 10000);
            auto p = run_check(c.db, store_path, full);
            if (p.ok())
                r.problems = std::move(p.value());
            else
                r.problems.push_back(p.error().message);
        }
        r.ok = r.problems.empty();
    } else {
        r.problems.push_back(store_path + ": no such file");
    }
    r.backups = list_backups(store_path);
    for (const auto& b : r.backups) {
        auto p = check_database_file(b.path);
        if (p.ok() && p.value().empty()) {
            r.newest_good_backup = b;
            break;
        }
    }
    return r;
}

Result<BackupInfo> backup_store(sqlite3* db, const std::string& store_path,
                                const std::string& reason, int keep) {
    const fs::path dir = backup_dir(store_path);
    // One backup at a time in this process: two threads opening one store in the same
    // millisecond (GUI thread and worker) picked the same temporary and final names, and one
    // wrote into a file the other had renamed away ("attempt to write a readonly database").
    // Other processes have other pids in the temporary's name.
    static std::mutex backup_mu;
    std::lock_guard<std::mutex> one_at_a_time(backup_mu);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(dir.string(), "cannot create: " + ec.message());
    const std::string tmp_prefix = ".tmp-";
    sweep_stale_temporaries(dir, tmp_prefix);
    const auto [file_stamp, iso] = utc_stamps();
    std::string name = stem_of(store_path) + "-" + file_stamp + "-" + reason + ".sqlite";
    for (int n = 2; fs::exists(dir / name, ec); ++n)
        name = stem_of(store_path) + "-" + file_stamp + "-" + reason + "-" + std::to_string(n) +
               ".sqlite";
    const fs::path tmp = dir / (tmp_prefix + std::to_string(::getpid()) + "-" + name);
    fs::remove(tmp, ec);
    Status st = backup_into(db, store_path, tmp.string());
    if (!st.ok()) {
        fs::remove(tmp, ec);
        return st.error();
    }
    TB_TRY_STATUS(fsync_path(tmp.string(), false));
    fs::rename(tmp, dir / name, ec);
    if (ec) return make_error((dir / name).string(), "cannot rename backup: " + ec.message());
    TB_TRY_STATUS(fsync_path(dir.string(), true));
    BackupInfo b;
    b.path = (dir / name).string();
    b.created_at = iso;
    b.reason = reason;
    b.bytes = static_cast<int64_t>(fs::file_size(b.path, ec));
    // Prune the oldest beyond `keep` (this one is the newest, so it stays).
    auto all = list_backups(store_path);
    for (size_t i = static_cast<size_t>(std::max(keep, 1)); i < all.size(); ++i)
        fs::remove(all[i].path, ec);
    return b;
}

Result<BackupInfo> backup_store(const std::string& store_path, const std::string& reason,
                                int keep) {
    std::error_code ec;
    if (!fs::is_regular_file(store_path, ec)) return make_error(store_path, "no such store");
    Connection c;
    if (sqlite3_open_v2(store_path.c_str(), &c.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
        return detail::sql_error(c.db, store_path, "open");
    sqlite3_busy_timeout(c.db, 10000);
    return backup_store(c.db, store_path, reason, keep);
}

Result<RestoreOutcome> restore_store(const std::string& store_path, const std::string& backup) {
    RestoreOutcome out;
    {
        std::lock_guard<std::mutex> lock(state().mu);
        auto it = state().open_stores.find(key_of(store_path));
        if (it != state().open_stores.end() && it->second > 0)
            return make_error(store_path, "still open in this process: close it before restoring");
    }
    if (backup.empty()) {
        for (const auto& b : list_backups(store_path)) {
            auto p = check_database_file(b.path);
            if (p.ok() && p.value().empty()) {
                out.restored_from = b.path;
                break;
            }
        }
        if (out.restored_from.empty())
            return make_error(store_path, "no good backup in " + backup_dir(store_path));
    } else {
        TB_ASSIGN_OR_RETURN(auto problems, check_database_file(backup));
        if (!problems.empty()) return make_error(backup, "not a good backup: " + problems.front());
        out.restored_from = backup;
    }
    // Replacing a file under an open connection is itself a cause of corruption: refuse while
    // any other process holds a lock on the store or its -shm (a connection in WAL mode
    // always does).
    for (const std::string& f : {store_path, store_path + "-shm"})
        if (pid_t pid = lock_holder(f); pid != 0)
            return make_error(store_path, "open in process " + std::to_string(pid) +
                                              ": close that program (or stop its job) first");

    const fs::path target = fs::absolute(store_path);
    const fs::path dir = target.parent_path();
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string restore_prefix = "." + target.filename().string() + ".restore-";
    sweep_stale_temporaries(dir, restore_prefix);
    const fs::path tmp = dir / (restore_prefix + std::to_string(::getpid()));
    fs::remove(tmp, ec);
    {
        Connection src;
        if (sqlite3_open_v2(out.restored_from.c_str(), &src.db, SQLITE_OPEN_READONLY, nullptr) !=
            SQLITE_OK)
            return detail::sql_error(src.db, out.restored_from, "open");
        Status st = backup_into(src.db, out.restored_from, tmp.string());
        if (!st.ok()) {
            fs::remove(tmp, ec);
            return st.error();
        }
    }
    TB_TRY_STATUS(fsync_path(tmp.string(), false));
    // Keep what is there: the store and its WAL (which may hold the newest commits) are
    // copied aside, never deleted before the copies are on disk.
    const std::string stamp = utc_stamps().first;
    if (fs::exists(target, ec)) {
        out.damaged_copy = target.string() + ".damaged-" + stamp;
        TB_TRY_STATUS(copy_aside(target.string(), out.damaged_copy));
        if (fs::exists(target.string() + "-wal", ec))
            TB_TRY_STATUS(copy_aside(target.string() + "-wal", out.damaged_copy + "-wal"));
    }
    // The old -wal must go before the new file takes the name: SQLite would replay its frames
    // onto the restored database. -shm is only an index of that WAL.
    fs::remove(target.string() + "-wal", ec);
    fs::remove(target.string() + "-shm", ec);
    fs::rename(tmp, target, ec);
    if (ec) return make_error(target.string(), "cannot put the backup in place: " + ec.message());
    TB_TRY_STATUS(fsync_path(dir.string(), true));
    // The restored file is checked and backed up again on its next open.
    std::lock_guard<std::mutex> lock(state().mu);
    state().session_checked.erase(key_of(store_path));
    return out;
}

Error damaged_store_error(const std::string& store_path, const std::vector<std::string>& problems) {
    std::string msg = store_path + ": " + kDamageMarker;
    if (!problems.empty()) msg += " (" + problems.front() + ")";
    std::optional<BackupInfo> good;
    for (const auto& b : list_backups(store_path)) {
        auto p = check_database_file(b.path);
        if (p.ok() && p.value().empty()) {
            good = b;
            break;
        }
    }
    if (good)
        msg += "; newest good backup: " + good->path + " (" + good->created_at +
               "); restore it with `tunebench-cli store restore --store " + store_path +
               "` or the GUI's \"Restore newest backup\"";
    else
        msg += "; no good backup in " + backup_dir(store_path);
    return Error{msg};
}

bool is_damage_error(const Error& e) { return e.message.find(kDamageMarker) != std::string::npos; }

namespace detail {

Error classify_open_error(sqlite3* db, const std::string& store_path, const Error& e) {
    if (db && is_damage_code(sqlite3_extended_errcode(db)) && !is_damage_error(e))
        return damaged_store_error(store_path, {sqlite3_errmsg(db)});
    return e;
}

Status open_checks(sqlite3* db, const std::string& store_path, int user_version,
                   int target_version) {
    // Every open: a store damaged during a long GUI session is caught at its next open too.
    auto problems = run_check(db, store_path, false);
    if (!problems.ok()) return classify_open_error(db, store_path, problems.error());
    if (!problems.value().empty()) return damaged_store_error(store_path, problems.value());
    const std::string key = key_of(store_path);
    bool first = false;
    {
        std::lock_guard<std::mutex> lock(state().mu);
        first = state().session_checked.insert(key).second;
    }
    if (user_version <= 0) return Status::Ok();  // a fresh store: nothing to keep yet
    const bool migrating = user_version < target_version;
    if (!migrating && !first) return Status::Ok();
    auto b = backup_store(db, store_path,
                          migrating ? "before-v" + std::to_string(target_version) : "session");
    if (!b.ok()) {
        std::lock_guard<std::mutex> lock(state().mu);
        if (first) state().session_checked.erase(key);  // tried again at the next open
        return make_error(migrating ? "backup before migration" : "session backup",
                          b.error().message);
    }
    return Status::Ok();
}

void note_store_opened(const std::string& store_path) {
    std::lock_guard<std::mutex> lock(state().mu);
    ++state().open_stores[key_of(store_path)];
}

void note_store_closed(const std::string& store_path) {
    std::lock_guard<std::mutex> lock(state().mu);
    auto it = state().open_stores.find(key_of(store_path));
    if (it != state().open_stores.end() && --it->second <= 0) state().open_stores.erase(it);
}

std::vector<std::string> sqlite_library_objects() {
    std::vector<std::string> names;
    dl_iterate_phdr(
        [](struct dl_phdr_info* info, size_t, void* data) -> int {
            static_cast<std::vector<std::string>*>(data)->push_back(
                info->dlpi_name ? info->dlpi_name : "");
            return 0;
        },
        &names);
    // dlsym on an object's handle searches the object first, then its dependencies: an object
    // with its own exported copy resolves to itself, one linked against libsqlite3 to that.
    std::set<std::string> defining;
    for (const auto& n : names) {
        if (n.empty()) continue;  // the executable: its symbols resolve through the global scope
        void* h = dlopen(n.c_str(), RTLD_LAZY | RTLD_NOLOAD);
        if (!h) continue;
        if (void* sym = dlsym(h, "sqlite3_open_v2")) {
            Dl_info info{};
            if (dladdr(sym, &info) && info.dli_fname) defining.insert(info.dli_fname);
        }
        dlclose(h);
    }
    // The copy this library calls (may be linked statically into the executable).
    Dl_info self{};
    if (dladdr(reinterpret_cast<void*>(&sqlite3_open_v2), &self) && self.dli_fname)
        defining.insert(self.dli_fname);
    std::vector<std::string> out;
    for (const auto& d : defining) {
        std::error_code ec;
        const fs::path canon = fs::canonical(d, ec);
        out.push_back(ec ? d : canon.string());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Status require_single_sqlite_library() {
    static const Status checked = [] {
        const auto objects = sqlite_library_objects();
        if (objects.size() <= 1) return Status::Ok();
        std::string list;
        for (const auto& o : objects) list += (list.empty() ? "" : ", ") + o;
        return Status(Error{"more than one SQLite library is loaded in this process (" + list +
                            "): their locks do not see each other and would corrupt the store"});
    }();
    return checked;
}

}  // namespace detail

}  // namespace tb::store
