// Protection of the experiment store against damage: integrity checks, online backups with
// SQLite's backup API, and restore of the newest good backup. The one core entry point for
// Store::open (checks and backups at session start / before migrations), the CLI's `store
// check|backup|restore` and the GUI's "Restore newest backup".
//
// Backups live in <store folder>/backups/ as <stem>-<UTC time>-<reason>.sqlite, e.g.
// backups/tunebench-20261202T183000.123Z-session.sqlite (plain rollback-journal files, so
// `sqlite3 FILE` opens them without -wal/-shm). Each is written under a temporary name,
// verified with PRAGMA quick_check and renamed into place: a kill at any moment leaves only
// complete, verified backups (plus a temporary file the next backup sweeps). The newest
// kKeepBackups are kept.
//
// A restore never deletes data: the damaged file (and its -wal) is first copied aside as
// <store>.damaged-<UTC time>[-wal]. The store is then replaced by a verified copy of the backup
// -- but only while no connection of any process has it open (a replaced file under an open
// connection is itself a cause of corruption): the caller closes its own Store objects, and
// other processes are detected by their POSIX locks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"

struct sqlite3;

namespace tb::store {

constexpr int kKeepBackups = 5;

struct BackupInfo {
    std::string path;
    std::string created_at;  // UTC, "2026-12-02T18:30:00.123Z" (from the file name)
    std::string reason;      // "session", "before-v4", "manual", "before-restore", ...
    int64_t bytes = 0;
};

struct StoreCheck {
    std::string store_path;
    bool exists = false;
    bool ok = false;                    // the check said "ok"
    std::vector<std::string> problems;  // the check's messages (at most 20), or the open error
    std::vector<BackupInfo> backups;    // newest first
    std::optional<BackupInfo> newest_good_backup;  // newest backup whose quick_check is ok
};

// PRAGMA quick_check (full: integrity_check) of the store on a connection of its own, plus
// its backups (each backup is quick-checked until the newest good one is found). A damaged
// store is a result (ok = false), not an error; errors are for unusable arguments.
Result<StoreCheck> check_store(const std::string& store_path, bool full = false);

// "<folder of store>/backups".
std::string backup_dir(const std::string& store_path);

// Backups of the store, newest first (files that do not follow the naming are ignored).
std::vector<BackupInfo> list_backups(const std::string& store_path);

// Problems reported by quick_check / integrity_check of a database file; empty = ok.
// Opens the file read-only (never creates it).
Result<std::vector<std::string>> check_database_file(const std::string& path, bool full = false);

// Online backup of the open connection `db` (whose file is `store_path`) into backups/, then
// prunes to `keep`. Readers and writers of other connections go on meanwhile (WAL).
Result<BackupInfo> backup_store(sqlite3* db, const std::string& store_path,
                                const std::string& reason, int keep = kKeepBackups);
// The same on a connection of its own (CLI `store backup`).
Result<BackupInfo> backup_store(const std::string& store_path, const std::string& reason,
                                int keep = kKeepBackups);

struct RestoreOutcome {
    std::string restored_from;  // the backup file
    std::string damaged_copy;   // where the previous store file was copied ("" if none)
};

// Replaces the store by `backup_path` ("" = the newest good backup). Errors, and leaves the
// store untouched, when the backup fails its quick_check, when a Store of this path is open
// in this process, or when another process holds a lock on the file (named by pid).
Result<RestoreOutcome> restore_store(const std::string& store_path,
                                     const std::string& backup_path = "");

// The error Store::open returns for a damaged store: names the file, what the check said,
// the newest good backup and how to restore it. `is_damage_error` recognises it.
Error damaged_store_error(const std::string& store_path, const std::vector<std::string>& problems);
bool is_damage_error(const Error& e);

namespace detail {
// Store::open's checks, after the connection is open in WAL mode: PRAGMA quick_check on every
// open (damage -> damaged_store_error); the first open of a file by this process takes a
// "session" backup, an open that is about to migrate from `user_version` (> 0) a
// "before-v<target>" backup instead. Fresh (empty) stores are not backed up.
Status open_checks(sqlite3* db, const std::string& store_path, int user_version,
                   int target_version);
// SQLITE_NOTADB / SQLITE_CORRUPT from `db` turns `e` into damaged_store_error.
Error classify_open_error(sqlite3* db, const std::string& store_path, const Error& e);
// Bookkeeping of open Store objects per file (restore refuses while any is open).
void note_store_opened(const std::string& store_path);
void note_store_closed(const std::string& store_path);
// Exactly one SQLite library in this process (two copies do not see each other's POSIX locks
// and break each other's locking: "How To Corrupt An SQLite Database File", 2.2). Checked
// once per process with dl_iterate_phdr: every loaded object that exports sqlite3_open_v2.
Status require_single_sqlite_library();
std::vector<std::string> sqlite_library_objects();
}  // namespace detail

}  // namespace tb::store
