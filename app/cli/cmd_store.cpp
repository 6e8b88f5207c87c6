// tunebench-cli store: integrity check, backup and restore of a workspace's experiment store
// (core/store/store_backup.h does the work; this file only parses and prints).
//
//   store check   [--store F | --workspace DIR] [--full]   quick_check (--full: integrity_check),
//                                                           lists the backups; exit 2 if damaged
//   store backup  [--store F | --workspace DIR]             an online backup now
//   store restore [--store F | --workspace DIR] [--backup FILE]
//                 restores FILE or the newest good backup; the damaged file is kept aside
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "core/store/store_backup.h"

namespace tbcli {
namespace {

namespace fs = std::filesystem;

struct StoreArgs {
    std::string store;
    std::string workspace;
    std::string backup;
    bool full = false;
};

tb::Result<std::string> store_path(const StoreArgs& a) {
    if (!a.store.empty() && !a.workspace.empty())
        return tb::Error{"--store and --workspace: give one of them"};
    if (!a.store.empty()) return a.store;
    const std::string ws = a.workspace.empty() ? "." : a.workspace;
    std::error_code ec;
    if (!fs::is_directory(ws, ec)) return tb::make_error(ws, "--workspace: not a folder");
    return (fs::path(ws) / "tunebench.sqlite").string();
}

std::string size_text(int64_t bytes) {
    char buf[32];
    if (bytes >= (1 << 20))
        std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1 << 20));
    else
        std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
    return buf;
}

int run_check(const StoreArgs& a) {
    auto path = store_path(a);
    if (!path) return fail(path.error());
    auto r = tb::store::check_store(*path, a.full);
    if (!r) return fail(r.error());
    const char* what = a.full ? "integrity_check" : "quick_check";
    if (r->ok)
        std::printf("%s: %s ok\n", path->c_str(), what);
    else
        for (const auto& p : r->problems)
            std::printf("%s: %s: %s\n", path->c_str(), what, p.c_str());
    std::printf("backups in %s: %zu\n", tb::store::backup_dir(*path).c_str(), r->backups.size());
    for (const auto& b : r->backups) {
        const bool newest_good = r->newest_good_backup && r->newest_good_backup->path == b.path;
        std::printf("  %s  %-14s %10s  %s%s\n", b.created_at.c_str(), b.reason.c_str(),
                    size_text(b.bytes).c_str(), b.path.c_str(),
                    newest_good ? "  (newest good)" : "");
    }
    if (r->ok) return kExitOk;
    if (!r->exists) return fail(*path + ": no such store");
    return fail(tb::store::damaged_store_error(*path, r->problems));
}

int run_backup(const StoreArgs& a) {
    auto path = store_path(a);
    if (!path) return fail(path.error());
    auto b = tb::store::backup_store(*path, "manual");
    if (!b) return fail(b.error());
    std::printf("backup %s (%s)\n", b->path.c_str(), size_text(b->bytes).c_str());
    return kExitOk;
}

int run_restore(const StoreArgs& a) {
    auto path = store_path(a);
    if (!path) return fail(path.error());
    auto r = tb::store::restore_store(*path, a.backup);
    if (!r) return fail(r.error());
    if (!r->damaged_copy.empty())
        std::printf("previous store kept as %s\n", r->damaged_copy.c_str());
    std::printf("restored %s from %s\n", path->c_str(), r->restored_from.c_str());
    return kExitOk;
}

void add_location(CLI::App* sub, StoreArgs* a) {
    sub->add_option("--store", a->store, "SQLite store file");
    sub->add_option("--workspace", a->workspace,
                    "Workspace folder (its tunebench.sqlite; default: the current folder)");
}

CommandRegistrar register_store("store", [](CLI::App& app) {
    app.description("Check, back up and restore a workspace's experiment store");
    app.require_subcommand(1);
    auto a = std::make_shared<StoreArgs>();
    CLI::App* check = app.add_subcommand("check", "PRAGMA quick_check and the list of backups");
    add_location(check, a.get());
    check->add_flag("--full", a->full, "PRAGMA integrity_check (slower, checks indexes too)");
    CLI::App* backup = app.add_subcommand("backup", "Online backup into <workspace>/backups");
    add_location(backup, a.get());
    CLI::App* restore = app.add_subcommand(
        "restore", "Restore the newest good backup (the current file is kept aside)");
    add_location(restore, a.get());
    restore->add_option("--backup", a->backup, "Backup file to restore (default: newest good)");
    return [a, check, backup, restore] {
        if (check->parsed()) return run_check(*a);
        if (backup->parsed()) return run_backup(*a);
        if (restore->parsed()) return run_restore(*a);
        return fail("store: choose check, backup or restore");
    };
});

}  // namespace
}  // namespace tbcli
