// A training run as seen by the workspace's experiment store (core/store): the run record
// (kind "train", config, status, times, run folder) and one training_log row per logged step,
// built from the same records the trainer appends to training_log.jsonl.
//
//   open     the store is opened before any work starts, so a bad store path fails the run at
//            once with the store's message; an empty path disables recording (no-op calls)
//   begin    registers the run once its folder exists. A resumed run reuses the record with the
//            same run folder (or adds one if the store has none) and replaces its rows with the
//            records of the trimmed training_log.jsonl: the rows after the checkpoint vanish,
//            rows lost with a killed process come back, and nothing is duplicated
//   record   a JSONL record: a train record becomes a row, an eval record sets the eval_loss of
//            its step's row (an eval before the first step has no row to carry it: skipped).
//            Rows are written in batches (every kBatchRows rows or kBatchSeconds), never per step
//   finish   flushes and sets the final status ("completed" | "cancelled")
//   ~        a run that was begun and never finished (an error return) is marked "failed"
//
// Training never dies of its log (issue 10: a store lock held longer than the busy timeout
// used to fail the run and lose the steps since the last checkpoint). A flush that the store
// refuses (locked by another process, busy, full disk, ...) keeps its rows queued in memory,
// reports a warning and is retried at the next flush (after kBatchRows more rows or
// kBatchSeconds), waiting only kFlushWaitMs so the training loop is not stalled; finish()
// retries for up to kFinalWaitSeconds. If the store still refuses, the run ends normally with a
// warning: training_log.jsonl holds every row, and a resume re-syncs the store from it.
// begin() waits up to kFinalWaitSeconds too (the run needs its record); it fails the run only
// when the store cannot record the run at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/store/store.h"

namespace tb {

struct TrainParams;

class TrainStoreLog {
  public:
    static constexpr size_t kBatchRows = 50;
    static constexpr double kBatchSeconds = 5.0;
    static constexpr int kFlushWaitMs = 200;
    static constexpr double kFinalWaitSeconds = 60.0;

    TrainStoreLog() = default;
    ~TrainStoreLog();
    TrainStoreLog(const TrainStoreLog&) = delete;
    TrainStoreLog& operator=(const TrainStoreLog&) = delete;

    // Empty path: recording off.
    Status open(const std::string& store_path);
    bool enabled() const { return store_ != nullptr; }

    // `log_path` is the run's training_log.jsonl (already trimmed when `resumed`).
    Status begin(const TrainParams& params, const std::string& run_dir, const std::string& log_path,
                 bool resumed);
    void record(const nlohmann::json& j);
    // One attempt (waiting at most kFlushWaitMs for the lock); false: the rows stay queued.
    bool flush();
    // Flushes (retrying up to kFinalWaitSeconds) and sets the status. Never an error: a store
    // that stays unwritable leaves a warning.
    Status finish(const std::string& status);
    int64_t run_id() const { return run_id_; }
    // Rows waiting for the store.
    size_t queued_rows() const { return pending_.size(); }
    // Warnings so far ("store busy: N rows queued ..."); each is also passed to on_warning.
    const std::vector<std::string>& warnings() const { return warnings_; }
    std::function<void(const std::string&)> on_warning;

    // A training_log.jsonl record as a store row (false: not a train record, or not storable).
    static bool row_from_record(const nlohmann::json& j, store::TrainingLogRow& row);

  private:
    void warn(const std::string& w);
    // Runs `write` until it succeeds or `seconds` pass (busy waits of 1 s each).
    Status with_retries(const std::function<Status()>& write, double seconds);

    std::unique_ptr<store::Store> store_;
    int64_t run_id_ = 0;
    bool finished_ = false;
    bool refused_ = false;      // the last flush was refused (warn once per episode)
    size_t retry_at_rows_ = 0;  // after a refusal: next attempt at this many queued rows
    std::vector<std::string> warnings_;
    std::vector<store::TrainingLogRow> pending_;
    store::TrainingLogRow last_flushed_;  // step 0 = none
    std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

}  // namespace tb
