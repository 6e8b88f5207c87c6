// Protection of the store (core/store/store_backup.h): quick_check at open with a clear error
// naming the file and the newest good backup; automatic backups (session start, verified,
// five kept); check_store; restore of the newest good backup that keeps the damaged file
// aside and refuses while the store is open (in this process, or in another one, found by its
// locks); exactly one SQLite library in the process.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/store/store.h"
#include "core/store/store_backup.h"
#include "tests/core/store/store_stress_util.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using namespace tb::store;

namespace {

std::unique_ptr<Store> open_ok(const std::string& path) {
    auto s = Store::open(path);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s.value()) : nullptr;
}

RatingRow rating(const std::string& item, int v) {
    RatingRow r;
    r.rater = "ann";
    r.item_id = item;
    r.model = "base";
    r.relevance = r.coherence = r.fluency = r.completeness = v;
    return r;
}

// A store with `n` ratings, all connections closed (the WAL checkpointed into the file).
// Built at a scratch path and copied to `path`, so that `path` is opened for the first time
// by this process afterwards (the session backup happens at a process's first open).
void make_store(const std::string& path, int n) {
    const std::string seed = path + ".seed";
    {
        auto s = open_ok(seed);
        ASSERT_TRUE(s);
        for (int i = 0; i < n; ++i)
            ASSERT_TRUE(s->upsert_rating(rating("i" + std::to_string(i), 3)).ok());
    }
    fs::copy_file(seed, path);
    fs::remove(seed);
    tb::remove_tree(fs::path(seed).parent_path().string() + "/backups");
}

// Overwrites `len` bytes at `offset` of a closed database file.
void scribble(const std::string& path, long offset, size_t len) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset);
    const std::string junk(len, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(len));
}

size_t count_ratings(const std::string& path) {
    auto s = open_ok(path);
    if (!s) return 0;
    auto r = s->list_ratings();
    return r.ok() ? r.value().size() : 0;
}

TEST(StoreBackup, FirstOpenByAProcessTakesOneVerifiedSessionBackup) {
    const std::string dir = tbtest::scratch_dir("backup_session");
    const std::string db = dir + "/tunebench.sqlite";
    make_store(db, 3);
    EXPECT_TRUE(list_backups(db).empty());
    { ASSERT_TRUE(open_ok(db)); }
    auto b = list_backups(db);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].reason, "session");
    EXPECT_EQ(fs::path(b[0].path).parent_path(), fs::path(dir) / "backups");
    EXPECT_EQ(b[0].created_at.size(), 24u) << b[0].created_at;  // 2026-12-02T18:30:00.123Z
    // A single self-contained file (rollback journal), with the data, passing quick_check.
    auto p = check_database_file(b[0].path);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(p.value().empty());
    EXPECT_EQ(count_ratings(b[0].path), 3u);
    EXPECT_FALSE(fs::exists(b[0].path + "-wal"));
    // Later opens by this process: no more backups.
    { ASSERT_TRUE(open_ok(db)); }
    EXPECT_EQ(list_backups(db).size(), 1u);
}

TEST(StoreBackup, FreshStoreIsNotBackedUp) {
    const std::string dir = tbtest::scratch_dir("backup_fresh");
    { ASSERT_TRUE(open_ok(dir + "/tunebench.sqlite")); }
    EXPECT_TRUE(list_backups(dir + "/tunebench.sqlite").empty());
}

TEST(StoreBackup, KeepsTheNewestFive) {
    const std::string dir = tbtest::scratch_dir("backup_keep");
    const std::string db = dir + "/tunebench.sqlite";
    auto s = open_ok(db);
    ASSERT_TRUE(s);
    std::vector<std::string> made;
    for (int i = 0; i < kKeepBackups + 3; ++i) {
        ASSERT_TRUE(s->upsert_rating(rating("k" + std::to_string(i), 2)).ok());
        auto b = backup_store(s->handle(), db, "manual");
        ASSERT_TRUE(b.ok()) << b.error().message;
        made.push_back(b->path);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // distinct millisecond names
    }
    auto kept = list_backups(db);
    ASSERT_EQ(kept.size(), static_cast<size_t>(kKeepBackups));
    for (int i = 0; i < kKeepBackups; ++i)  // newest first
        EXPECT_EQ(kept[static_cast<size_t>(i)].path,
                  made[made.size() - 1 - static_cast<size_t>(i)]);
    // The newest holds every rating made before it.
    EXPECT_EQ(count_ratings(kept[0].path), made.size());
}

TEST(StoreBackup, DamagedStoreIsRefusedNamingTheNewestGoodBackup) {
    const std::string dir = tbtest::scratch_dir("backup_damaged");
    const std::string db = dir + "/tunebench.sqlite";
    make_store(db, 200);
    { ASSERT_TRUE(open_ok(db)); }  // session backup
    const auto backups = list_backups(db);
    ASSERT_EQ(backups.size(), 1u);
    // A newer backup that is itself damaged must be skipped.
    fs::copy_file(backups[0].path, dir + "/backups/tunebench-29991231T235959.999Z-manual.sqlite");
    scribble(dir + "/backups/tunebench-29991231T235959.999Z-manual.sqlite", 0, 100);

    // Page 1 overwritten, as in the issue: "file is not a database".
    scribble(db, 0, 100);
    auto s = Store::open(db);
    ASSERT_FALSE(s.ok());
    const std::string& m = s.error().message;
    EXPECT_TRUE(is_damage_error(s.error())) << m;
    EXPECT_EQ(m.rfind(db + ": the store is damaged", 0), 0u) << m;
    EXPECT_NE(m.find("newest good backup: " + backups[0].path), std::string::npos) << m;
    EXPECT_NE(m.find("tunebench-cli store restore"), std::string::npos) << m;

    auto c = check_store(db);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->exists);
    EXPECT_FALSE(c->ok);
    ASSERT_FALSE(c->problems.empty());
    ASSERT_EQ(c->backups.size(), 2u);
    ASSERT_TRUE(c->newest_good_backup.has_value());
    EXPECT_EQ(c->newest_good_backup->path, backups[0].path);
}

TEST(StoreBackup, DamageInsideTheFileIsFoundByQuickCheckAtOpen) {
    const std::string dir = tbtest::scratch_dir("backup_interior");
    const std::string db = dir + "/tunebench.sqlite";
    make_store(db, 400);  // ratings span many pages
    const auto size = static_cast<long>(fs::file_size(db));
    ASSERT_GT(size, 8 * 4096);
    // The headers of the last b-tree pages (the newest ratings: table and index pages).
    for (long page = size / 4096 - 3; page < size / 4096; ++page) scribble(db, page * 4096, 12);
    auto s = Store::open(db);
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(is_damage_error(s.error())) << s.error().message;
    EXPECT_NE(s.error().message.find("no good backup in " + dir + "/backups"), std::string::npos)
        << s.error().message;
}

TEST(StoreBackup, RestoreKeepsTheDamagedFileAndBringsBackTheBackup) {
    const std::string dir = tbtest::scratch_dir("backup_restore");
    const std::string db = dir + "/tunebench.sqlite";
    make_store(db, 10);
    { ASSERT_TRUE(open_ok(db)); }  // session backup of the 10 ratings
    scribble(db, 0, 100);
    std::ifstream damaged_in(db, std::ios::binary);
    const std::string damaged((std::istreambuf_iterator<char>(damaged_in)), {});

    auto r = restore_store(db);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->restored_from, list_backups(db).at(0).path);
    ASSERT_FALSE(r->damaged_copy.empty());
    EXPECT_EQ(r->damaged_copy.rfind(db + ".damaged-", 0), 0u) << r->damaged_copy;
    EXPECT_EQ(tbtest::read_text(r->damaged_copy), damaged);  // kept byte for byte
    EXPECT_EQ(count_ratings(db), 10u);
    auto c = check_store(db, /*full=*/true);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->ok);
}

TEST(StoreBackup, RestoreRefusesWhileTheStoreIsOpen) {
    const std::string dir = tbtest::scratch_dir("backup_restore_open");
    const std::string db = dir + "/tunebench.sqlite";
    make_store(db, 2);
    auto s = open_ok(db);  // session backup; still open
    ASSERT_TRUE(s);
    auto r = restore_store(db);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("still open in this process"), std::string::npos)
        << r.error().message;
    s.reset();

    // Another process with a connection (an outside reader in the middle of a session). A
    // forked child opens its own connection through the C API (nothing is carried across the
    // fork: this process's connections are closed) and holds it until its stdin pipe closes;
    // the sqlite3 command-line tool would do the same but is not on every test machine.
    int in[2];
    ASSERT_EQ(::pipe(in), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(in[1]);
        sqlite3* c = nullptr;
        int rc = sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READWRITE, nullptr);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(c, "SELECT count(*) FROM ratings;", nullptr, nullptr, nullptr);
        char byte;
        while (::read(in[0], &byte, 1) > 0) {
        }
        sqlite3_close(c);
        ::_exit(rc == SQLITE_OK ? 0 : 3);
    }
    ::close(in[0]);
    // Wait for its connection (its lock on -shm).
    bool locked = false;
    for (int i = 0; i < 100 && !locked; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        locked = tbtest::read_text("/proc/locks").find(" " + std::to_string(pid) + " ") !=
                 std::string::npos;
    }
    ASSERT_TRUE(locked);
    r = restore_store(db);
    ::close(in[1]);  // the child closes its connection at end of input
    EXPECT_EQ(tbtest::wait_child(pid), 0);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("open in process " + std::to_string(pid)), std::string::npos)
        << r.error().message;
    // Nothing was touched: no damaged copy, the data is there.
    for (const auto& e : fs::directory_iterator(dir))
        EXPECT_EQ(e.path().filename().string().find(".damaged-"), std::string::npos);
    EXPECT_EQ(count_ratings(db), 2u);
}

TEST(StoreBackup, RestoreOfABadBackupIsRefused) {
    const std::string dir = tbtest::scratch_dir("backup_bad");
    const std::string db = dir + "/tunebench.sqlite";
    make_store(db, 2);
    std::ofstream(dir + "/junk.sqlite") << std::string(8192, 'x');
    auto r = restore_store(db, dir + "/junk.sqlite");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not a good backup"), std::string::npos) << r.error().message;
    EXPECT_EQ(count_ratings(db), 2u);
    // No backup at all: said so.
    auto none = restore_store(dir + "/other.sqlite");
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message.find("no good backup"), std::string::npos);
}

TEST(StoreBackup, ExactlyOneSqliteLibraryIsLoaded) {
    const auto objects = detail::sqlite_library_objects();
    ASSERT_EQ(objects.size(), 1u);
    EXPECT_NE(objects[0].find("sqlite3"), std::string::npos) << objects[0];
    EXPECT_TRUE(detail::require_single_sqlite_library().ok());
}

}  // namespace
