// Issue 10's stress test: what the GUI does to the store, for a bounded time, while outside
// `sqlite3` processes read it and kill -9 hits writer processes at random points; then PRAGMA
// integrity_check must be "ok" and every committed rating and evaluation still present.
//
//   up to 2 writer processes at a time (store_stress_writer: a GUI-thread connection that reads
//     and rates, a worker connection that trains, evaluates, cancels, fails and exports), each
//     killed with SIGKILL after a random 0.2-3 s or ending by itself
//   this process: a long-lived Store connection reading all along (a GUI panel)
//   outside readers: `sqlite3 -cmd ".timeout 5000" DB "SELECT ..."` every ~100 ms
//
// TB_STORE_STRESS_MINUTES sets the duration (default 0.75: the ctest run, label slow); e.g.
// TB_STORE_STRESS_MINUTES=10 for a long run by hand. TB_STORE_STRESS_FOREIGN_CLOSE=1 makes the
// writers open() and close() the store files themselves, as Qt's MIME sniffing did (issue 10's
// cause): by hand only, to see this test catch the damage that causes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "core/store/store.h"
#include "core/store/store_backup.h"
#include "tests/core/store/store_stress_util.h"
#include "tests/test_paths.h"

namespace {

using Clock = std::chrono::steady_clock;

TEST(StoreStress, GuiWorkloadWithOutsideReadersAndKills) {
    ASSERT_TRUE(tbtest::in_path("sqlite3"))
        << "the sqlite3 command-line tool is needed (packaging/debian-packages.txt)";
    double minutes = 0.75;
    if (const char* e = std::getenv("TB_STORE_STRESS_MINUTES")) minutes = std::atof(e);
    ASSERT_GT(minutes, 0);
    const bool foreign_close = std::getenv("TB_STORE_STRESS_FOREIGN_CLOSE") != nullptr;
    const std::string dir = tbtest::scratch_dir("store_stress");
    const std::string db = dir + "/tunebench.sqlite";
    const std::string ledger = dir + "/ledger.txt";
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(minutes * 60));
    // The store exists before the readers start (as in a workspace).
    { ASSERT_TRUE(tb::store::Store::open(db).ok()); }

    std::atomic<bool> stop{false};
    std::atomic<int> reader_runs{0}, panel_reads{0};
    std::thread readers([&] {
        while (!stop) {
            const pid_t pid = tbtest::spawn(
                {"sqlite3", "-cmd", ".timeout 5000", db,
                 "SELECT count(*) FROM ratings; SELECT count(*), max(step) FROM training_log; "
                 "SELECT model, count(*) FROM generations GROUP BY model;"},
                dir + "/readers.log");
            if (pid > 0) {
                tbtest::wait_child(pid);
                ++reader_runs;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    std::string panel_error;
    std::thread panel([&] {
        auto st = tb::store::Store::open(db);
        if (!st.ok()) {
            panel_error = st.error().message;
            return;
        }
        auto& s = *st.value();
        while (!stop) {
            auto runs = s.list_runs();
            auto summary = s.ratings_summary();
            if (!runs.ok() || !summary.ok()) {
                panel_error = runs.ok() ? summary.error().message : runs.error().message;
                return;
            }
            ++panel_reads;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });

    std::mt19937_64 rng(42);
    struct Writer {
        pid_t pid;
        Clock::time_point kill_at;
    };
    std::vector<Writer> writers;
    int started = 0, killed = 0, ended = 0;
    std::vector<std::string> bad_exits;
    while (Clock::now() < deadline) {
        while (writers.size() < 2) {
            // Most are killed; about one in five runs out its own time (a clean exit).
            const double own_seconds = 0.3 + double(rng() % 3000) / 1000.0;
            const double kill_after = 0.2 + double(rng() % 2800) / 1000.0;
            std::vector<std::string> args = {TB_STORE_STRESS_WRITER, db, ledger,
                                             std::to_string(own_seconds), std::to_string(rng())};
            if (foreign_close) args.push_back("foreign-close");
            const pid_t pid = tbtest::spawn(args, dir + "/writers.log");
            ASSERT_GT(pid, 0);
            ++started;
            writers.push_back({pid, Clock::now() + std::chrono::milliseconds(
                                                       static_cast<int>(kill_after * 1000))});
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        for (size_t i = 0; i < writers.size();) {
            int status = 0;
            if (tbtest::try_wait(writers[i].pid, &status)) {
                if (status == 0)
                    ++ended;
                else
                    bad_exits.push_back("writer exit " + std::to_string(status));
                writers.erase(writers.begin() + static_cast<long>(i));
            } else if (Clock::now() >= writers[i].kill_at) {
                ::kill(writers[i].pid, SIGKILL);
                tbtest::wait_child(writers[i].pid);
                ++killed;
                writers.erase(writers.begin() + static_cast<long>(i));
            } else {
                ++i;
            }
        }
    }
    for (const auto& w : writers) {
        ::kill(w.pid, SIGKILL);
        tbtest::wait_child(w.pid);
        ++killed;
    }
    stop = true;
    readers.join();
    panel.join();

    const auto check = tbtest::check_ledger(db, ledger);
    std::printf(
        "stress: %.2f min, %d writers (%d killed, %d ended), %d sqlite3 readers, %d panel "
        "reads, %zu ratings and %zu evaluations committed\n",
        minutes, started, killed, ended, reader_runs.load(), panel_reads.load(), check.ratings,
        check.evaluations);
    EXPECT_TRUE(bad_exits.empty()) << bad_exits.front() << "\n"
                                   << tbtest::read_text(dir + "/writers.log");
    EXPECT_TRUE(panel_error.empty()) << panel_error;
    EXPECT_EQ(check.integrity, "ok");
    EXPECT_TRUE(check.missing.empty())
        << check.missing.size() << " committed rows lost, first: " << check.missing.front();
    EXPECT_GT(killed, 0);
    EXPECT_GT(reader_runs.load(), 0);
    EXPECT_GT(check.ratings, 0u);
    EXPECT_GT(check.evaluations, 0u);
    // Outside readers never saw a damaged file.
    const std::string rlog = tbtest::read_text(dir + "/readers.log");
    for (const char* bad : {"malformed", "not a database", "corrupt"})
        EXPECT_EQ(rlog.find(bad), std::string::npos) << "sqlite3 reader said: " << bad;
    // And a Store opens it (quick_check) with every automatic backup verified.
    auto s = tb::store::Store::open(db);
    EXPECT_TRUE(s.ok()) << s.error().message;
    for (const auto& b : tb::store::list_backups(db)) {
        auto p = tb::store::check_database_file(b.path);
        ASSERT_TRUE(p.ok()) << p.error().message;
        EXPECT_TRUE(p.value().empty()) << b.path;
    }
}

}  // namespace
