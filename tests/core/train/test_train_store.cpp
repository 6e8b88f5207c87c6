// Training runs recorded in the workspace's experiment store: the run record (kind, status,
// folder, config) and one training_log row per logged step equal to training_log.jsonl; a
// cancelled and resumed run keeps one record and exactly one row per step; rows left behind
// by a killed process are re-synced from the trimmed log; store errors are error values.
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "core/store/store.h"
#include "core/train/train_store.h"
#include "train_test_util.h"

namespace fs = std::filesystem;

namespace {

class TrainStore : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { model_dir_ = tbtest::make_tiny_model_dir("store_model"); }

    static tb::TrainParams params(const std::string& run_dir, const std::string& store) {
        tb::TrainParams p = tbtest::tiny_params(model_dir_, run_dir);
        p.store_path = store;
        p.config_yaml = "training:\n  max_steps: 8\n";
        return p;
    }

    static std::unique_ptr<tb::store::Store> open(const std::string& path) {
        auto st = tb::store::Store::open(path);
        EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
        return st.ok() ? std::move(st.value()) : nullptr;
    }

    // step -> (loss, eval_loss or NaN) from training_log.jsonl.
    static std::map<int64_t, std::pair<double, double>> jsonl(const std::string& run_dir) {
        std::map<int64_t, std::pair<double, double>> out;
        auto text = tb::read_file(run_dir + "/training_log.jsonl");
        EXPECT_TRUE(text.ok());
        std::istringstream in(text.ok() ? text.value() : "");
        std::string line;
        while (std::getline(in, line)) {
            auto j = nlohmann::json::parse(line);
            const int64_t s = j.at("step").get<int64_t>();
            if (j.contains("loss")) out[s] = {j.at("loss").get<double>(), std::nan("")};
            if (j.contains("eval_loss") && out.count(s))
                out[s].second = j.at("eval_loss").get<double>();
        }
        return out;
    }

    static void expect_rows_match_log(tb::store::Store& store, int64_t run_id,
                                      const std::string& run_dir, size_t steps) {
        auto rows = store.training_log(run_id);
        ASSERT_TRUE(rows.ok()) << rows.error().message;
        auto log = jsonl(run_dir);
        ASSERT_EQ(log.size(), steps);
        ASSERT_EQ(rows.value().size(), steps);
        for (const auto& r : rows.value()) {
            ASSERT_TRUE(log.count(r.step)) << "step " << r.step;
            EXPECT_EQ(r.loss, log[r.step].first) << "step " << r.step;
            const double ev = log[r.step].second;
            EXPECT_EQ(r.eval_loss.has_value(), !std::isnan(ev)) << "step " << r.step;
            if (r.eval_loss && !std::isnan(ev)) {
                EXPECT_EQ(*r.eval_loss, ev);
            }
            EXPECT_GE(r.learning_rate, 0);  // warmup starts at 0
            EXPECT_GT(r.tokens_per_s, 0);
            EXPECT_GT(r.memory_bytes, 0);
        }
    }

    static std::string model_dir_;
};

std::string TrainStore::model_dir_;

TEST_F(TrainStore, RunFillsTheStore) {
    const std::string dir = tbtest::scratch("store_full");
    const std::string db = dir + "/tunebench.sqlite";
    tb::CancelToken cancel;
    auto r = tb::run_training(params(dir + "/run", db), nullptr, cancel);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto store = open(db);
    ASSERT_TRUE(store);
    auto runs = store->list_runs();
    ASSERT_TRUE(runs.ok());
    ASSERT_EQ(runs.value().size(), 1u);
    const auto& run = runs.value()[0];
    EXPECT_EQ(run.kind, "train");
    EXPECT_EQ(run.status, "completed");
    EXPECT_FALSE(run.started_at.empty());
    EXPECT_FALSE(run.finished_at.empty());
    EXPECT_EQ(fs::path(run.output_dir), fs::weakly_canonical(r.value().run_dir));
    EXPECT_TRUE(fs::exists(run.output_dir + "/adapter/adapter_config.json"));
    EXPECT_EQ(run.config_yaml, "training:\n  max_steps: 8\n");
    EXPECT_EQ(run.name, "reference/run");
    // Steps 1..8 (logging_steps 1); eval losses at 4 and 8 (the one before step 1 has no row).
    expect_rows_match_log(*store, run.id, r.value().run_dir, 8);
    auto rows = store->training_log(run.id).value();
    EXPECT_TRUE(rows[3].eval_loss && rows[7].eval_loss);
    EXPECT_EQ(*rows[7].eval_loss, *r.value().final_eval_loss);
}

TEST_F(TrainStore, CancelledThenResumedRunHasOneRowPerStep) {
    const std::string dir = tbtest::scratch("store_resume");
    const std::string db = dir + "/tunebench.sqlite";
    const std::string run_dir = dir + "/run";
    {
        tb::CancelToken cancel;
        auto cb = [&](const tb::TrainProgress& p) {
            if (p.phase == tb::TrainPhase::Training && p.step == 5) cancel.cancel();
        };
        auto r = tb::run_training(params(run_dir, db), cb, cancel);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_TRUE(r.value().cancelled);
    }
    auto store = open(db);
    ASSERT_TRUE(store);
    auto runs = store->list_runs("train").value();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, "cancelled");
    EXPECT_FALSE(runs[0].finished_at.empty());
    const int64_t id = runs[0].id;
    expect_rows_match_log(*store, id, run_dir, 5);

    // A process killed after logging step 6 without a checkpoint would leave a row the resumed
    // run must not keep twice (it is rewritten), and a lost batch must come back: simulate both.
    auto logged = store->training_log(id);
    ASSERT_TRUE(logged.ok() && !logged.value().empty());
    tb::store::TrainingLogRow stray = logged.value().back();
    stray.step = 6;
    stray.loss = 123.0;
    ASSERT_TRUE(store->append_training_log({stray}).ok());

    tb::TrainParams p = params("", db);
    p.resume_from = run_dir;
    tb::CancelToken cancel;
    std::vector<int64_t> steps_seen_running;
    auto cb = [&](const tb::TrainProgress& pr) {
        if (pr.phase == tb::TrainPhase::Training && pr.step == 7) {
            // While the resumed run trains, the record is the same one, back to running.
            auto again = open(db);
            auto rs = again->list_runs("train").value();
            if (rs.size() == 1 && rs[0].status == "running") steps_seen_running.push_back(7);
        }
    };
    auto r = tb::run_training(p, cb, cancel);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r.value().cancelled);
    EXPECT_EQ(steps_seen_running, std::vector<int64_t>{7});
    runs = store->list_runs("train").value();
    ASSERT_EQ(runs.size(), 1u) << "a resumed run reuses its record";
    EXPECT_EQ(runs[0].id, id);
    EXPECT_EQ(runs[0].status, "completed");
    expect_rows_match_log(*store, id, run_dir, 8);
    auto final_rows = store->training_log(id);
    ASSERT_TRUE(final_rows.ok());
    for (const auto& row : final_rows.value()) EXPECT_NE(row.loss, 123.0);
}

TEST_F(TrainStore, RowsLostWithAKilledProcessComeBackOnResume) {
    const std::string dir = tbtest::scratch("store_lost");
    const std::string db = dir + "/tunebench.sqlite";
    const std::string run_dir = dir + "/run";
    tb::CancelToken cancel;
    auto cb = [&](const tb::TrainProgress& p) {
        if (p.phase == tb::TrainPhase::Training && p.step == 3) cancel.cancel();
    };
    ASSERT_TRUE(tb::run_training(params(run_dir, db), cb, cancel).ok());
    auto store = open(db);
    const int64_t id = store->list_runs("train").value().at(0).id;
    // The batch in flight when the process died never reached the store.
    ASSERT_TRUE(store->replace_training_log(id, {}).ok());
    tb::TrainParams p = params("", db);
    p.resume_from = run_dir;
    tb::CancelToken c2;
    ASSERT_TRUE(tb::run_training(p, nullptr, c2).ok());
    expect_rows_match_log(*store, id, run_dir, 8);
}

TEST_F(TrainStore, StoreErrorsAreErrorValues) {
    const std::string dir = tbtest::scratch("store_errors");
    // Not a database: refused before any work, naming the store file.
    std::ofstream(dir + "/bad.sqlite") << std::string(4096, 'x');
    tb::CancelToken cancel;
    int progress_calls = 0;
    auto r = tb::run_training(
        params(dir + "/run", dir + "/bad.sqlite"),
        [&](const tb::TrainProgress&) { ++progress_calls; }, cancel);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("bad.sqlite"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.rfind("store: ", 0), 0u) << r.error().message;
    EXPECT_EQ(progress_calls, 0);

    // A run that fails after it was recorded is marked failed (here: merged_model/ cannot be
    // written because a file of that name is in the way).
    const std::string db = dir + "/tunebench.sqlite";
    const std::string run_dir = dir + "/run2";
    fs::create_directories(run_dir);
    std::ofstream(run_dir + "/merged_model") << "in the way";
    tb::TrainParams p = params(run_dir, db);
    p.max_steps = 2;
    p.save_merged_model = true;
    auto failed = tb::run_training(p, nullptr, cancel);
    ASSERT_FALSE(failed.ok());
    auto store = open(db);
    auto runs = store->list_runs("train").value();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, "failed");
    EXPECT_EQ(store->training_log(runs[0].id).value().size(), 2u);
}

// Holds the store's write lock from another connection (another process's writer) until
// release() or destruction.
class WriteLockHolder {
  public:
    explicit WriteLockHolder(const std::string& db) {
        EXPECT_EQ(sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    }
    void release() {
        if (db_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
        sqlite3_close(db_);
        db_ = nullptr;
    }
    ~WriteLockHolder() { release(); }

  private:
    sqlite3* db_ = nullptr;
};

nlohmann::json train_record(int64_t step) {
    return {{"step", step},           {"loss", 2.0},         {"lr", 1e-3},
            {"grad_norm", 0.5},       {"tokens_per_s", 9.0}, {"memory_bytes", 1},
            {"elapsed_s", 0.1 * step}};
}

// Issue 10: a store lock held longer than the busy timeout used to fail the run. Now the rows
// wait in memory: each refused flush costs at most kFlushWaitMs, a warning says so, and the
// next flush after the lock is gone writes them all.
TEST_F(TrainStore, LockedStoreQueuesTheRowsAndRetries) {
    const std::string dir = tbtest::scratch("store_locked_unit");
    const std::string db = dir + "/tunebench.sqlite";
    tb::TrainStoreLog log;
    std::vector<std::string> seen;
    log.on_warning = [&](const std::string& w) { seen.push_back(w); };
    ASSERT_TRUE(log.open(db).ok());
    fs::create_directories(dir + "/run");
    ASSERT_TRUE(log.begin(params(dir + "/run", db), dir + "/run", "", false).ok());
    const int64_t n = 2 * static_cast<int64_t>(tb::TrainStoreLog::kBatchRows) + 20;
    {
        WriteLockHolder lock(db);
        const auto t0 = std::chrono::steady_clock::now();
        for (int64_t s = 1; s <= n; ++s) log.record(train_record(s));
        const double took =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // Two refused flushes (at kBatchRows and 2 * kBatchRows rows), each waiting
        // kFlushWaitMs for the lock: the training loop is not stalled for the busy timeout.
        EXPECT_LT(took, 2 * tb::TrainStoreLog::kFlushWaitMs / 1000.0 + 1.0);
        EXPECT_EQ(log.queued_rows(), static_cast<size_t>(n));
        ASSERT_EQ(seen.size(), 1u);  // one warning per refusal episode, not per attempt
        EXPECT_NE(seen[0].find("rows stay queued"), std::string::npos) << seen[0];
    }
    // Lock gone: the next batch boundary flushes everything.
    int64_t s = n;
    while (log.queued_rows() > 0 && s < n + static_cast<int64_t>(tb::TrainStoreLog::kBatchRows) + 1)
        log.record(train_record(++s));
    EXPECT_EQ(log.queued_rows(), 0u);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_NE(seen[1].find("accepted"), std::string::npos) << seen[1];
    ASSERT_TRUE(log.finish("completed").ok());
    auto store = open(db);
    auto runs = store->list_runs("train").value();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, "completed");
    auto rows = store->training_log(runs[0].id).value();
    ASSERT_EQ(rows.size(), static_cast<size_t>(s));
    for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].step, static_cast<int64_t>(i + 1));
}

// The whole run: another connection takes the write lock at the first training step and keeps
// it for longer than the store's 10 s busy timeout. The run completes (finish() waits for the
// lock), says so on the progress channel, and every step's row arrives.
TEST_F(TrainStore, RunOutlivesALockLongerThanTheBusyTimeout) {
    const std::string dir = tbtest::scratch("store_locked_run");
    const std::string db = dir + "/tunebench.sqlite";
    const std::string run_dir = dir + "/run";
    std::thread holder;
    std::vector<std::string> warnings;
    auto cb = [&](const tb::TrainProgress& p) {
        if (p.message.rfind("warning: store:", 0) == 0) warnings.push_back(p.message);
        if (p.phase != tb::TrainPhase::Training || p.step != 1 || holder.joinable()) return;
        std::promise<void> locked;
        auto got = locked.get_future();
        holder = std::thread([&db, locked = std::move(locked)]() mutable {
            WriteLockHolder lock(db);
            locked.set_value();
            std::this_thread::sleep_for(std::chrono::seconds(11));
        });
        got.wait();
    };
    tb::TrainParams p = params(run_dir, db);
    p.max_steps = 8;
    tb::CancelToken cancel;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = tb::run_training(p, cb, cancel);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (holder.joinable()) holder.join();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_GT(took, 10.0);  // it did wait for the lock (held 11 s from step 1)
    EXPECT_FALSE(warnings.empty());
    auto store = open(db);
    auto runs = store->list_runs("train").value();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, "completed");
    expect_rows_match_log(*store, runs[0].id, run_dir, 8);
}

TEST(TrainStoreRecords, RowsFromLogRecords) {
    tb::store::TrainingLogRow row;
    EXPECT_TRUE(tb::TrainStoreLog::row_from_record(nlohmann::json{{"step", 3},
                                                                  {"loss", 2.5},
                                                                  {"lr", 1e-3},
                                                                  {"grad_norm", 0.7},
                                                                  {"tokens_per_s", 10.0},
                                                                  {"memory_bytes", 5},
                                                                  {"elapsed_s", 1.5}},
                                                   row));
    EXPECT_EQ(row.step, 3);
    EXPECT_EQ(row.loss, 2.5);
    EXPECT_EQ(row.memory_bytes, 5);
    EXPECT_EQ(row.elapsed_s, 1.5);
    // Eval records and a diverged step (NaN, written as null by the JSONL log) are not rows.
    EXPECT_FALSE(
        tb::TrainStoreLog::row_from_record(nlohmann::json{{"step", 4}, {"eval_loss", 2.0}}, row));
    EXPECT_FALSE(tb::TrainStoreLog::row_from_record(nlohmann::json{{"step", 4},
                                                                   {"loss", nullptr},
                                                                   {"lr", 1e-3},
                                                                   {"grad_norm", 0.7},
                                                                   {"tokens_per_s", 10.0},
                                                                   {"memory_bytes", 5},
                                                                   {"elapsed_s", 1.5}},
                                                    row));
}

}  // namespace
