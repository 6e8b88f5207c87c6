// No rating and no evaluation is lost to a crash of the app (issue 10): a writer process that
// rates and evaluates the way the GUI does is killed with SIGKILL at random points; afterwards
// PRAGMA integrity_check is "ok" and every rating and aggregate whose commit had returned is in
// the store. The settings that make a commit survive a machine crash too (WAL +
// synchronous=FULL: every commit is fsync'ed before it returns) are checked on the connection.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <random>
#include <thread>

#include "core/store/store.h"
#include "core/store/store_backup.h"
#include "tests/core/store/store_stress_util.h"
#include "tests/test_paths.h"

namespace {

std::string pragma_text(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::string r;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        r = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return r;
}

TEST(StoreDurability, EveryCommitIsSyncedInWalMode) {
    const std::string dir = tbtest::scratch_dir("store_durability_settings");
    auto s = tb::store::Store::open(dir + "/tunebench.sqlite");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(pragma_text(s.value()->handle(), "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(pragma_text(s.value()->handle(), "PRAGMA synchronous"), "2");  // FULL
}

// Kills the writer `rounds` times, each after a random delay in [lo_ms, hi_ms].
void kill_rounds(const std::string& dir, bool ratings_only, int rounds, int lo_ms, int hi_ms,
                 uint64_t seed) {
    const std::string db = dir + "/tunebench.sqlite";
    const std::string ledger = dir + "/ledger.txt";
    std::mt19937_64 rng(seed);
    int killed = 0;
    for (int i = 0; i < rounds; ++i) {
        std::vector<std::string> args = {TB_STORE_STRESS_WRITER, db, ledger, "30",
                                         std::to_string(rng())};
        if (ratings_only) args.push_back("ratings-only");
        const pid_t pid = tbtest::spawn(args, dir + "/writer.log");
        ASSERT_GT(pid, 0);
        std::this_thread::sleep_for(
            std::chrono::milliseconds(lo_ms + static_cast<int>(rng() % (hi_ms - lo_ms))));
        ::kill(pid, SIGKILL);
        const int st = tbtest::wait_child(pid);
        ASSERT_EQ(st, -SIGKILL) << "the writer ended on its own (" << st
                                << "): " << tbtest::read_text(dir + "/writer.log");
        ++killed;
    }
    const auto check = tbtest::check_ledger(db, ledger);
    EXPECT_EQ(check.integrity, "ok");
    // Enough committed rows to mean something: every round commits (the first delay is far
    // longer than one open + commit, a few ms).
    EXPECT_GE(check.ratings, static_cast<size_t>(rounds));
    EXPECT_TRUE(check.missing.empty())
        << check.missing.size() << " committed rows lost, first: " << check.missing.front();
    EXPECT_EQ(killed, rounds);
    // Every automatic backup that a killed writer finished is complete and verified.
    for (const auto& b : tb::store::list_backups(db)) {
        auto p = tb::store::check_database_file(b.path);
        ASSERT_TRUE(p.ok()) << p.error().message;
        EXPECT_TRUE(p.value().empty()) << b.path << ": " << p.value().front();
    }
}

TEST(StoreDurability, KillNineWhileRatingKeepsEveryCommittedRating) {
    kill_rounds(tbtest::scratch_dir("store_kill_ratings"), /*ratings_only=*/true, 12, 150, 600,
                20261202);
}

TEST(StoreDurability, KillNineInTheGuiWorkloadKeepsEveryCommittedRow) {
    kill_rounds(tbtest::scratch_dir("store_kill_workload"), /*ratings_only=*/false, 8, 200, 1200,
                7);
}

}  // namespace
