#include "core/train/train_store.h"

#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <thread>

#include "core/common/file_io.h"
#include "core/train/trainer.h"

namespace tb {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string absolute_path(const std::string& p) {
    std::error_code ec;
    fs::path a = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return ec ? p : a.string();
}

double number(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : std::nan("");
}

}  // namespace

TrainStoreLog::~TrainStoreLog() {
    if (!store_ || run_id_ == 0 || finished_) return;
    // An error return of run_training: keep what was logged, mark the run failed. Best effort
    // (the error being returned is the one that matters).
    constexpr double kSeconds = 10.0;
    if (!pending_.empty())
        (void)with_retries([&] { return store_->append_training_log(pending_); }, kSeconds);
    (void)with_retries([&] { return store_->finish_run(run_id_, "failed"); }, kSeconds);
}

Status TrainStoreLog::open(const std::string& store_path) {
    if (store_path.empty()) return Status::Ok();
    auto st = store::Store::open(store_path);
    if (!st.ok()) return make_error("store", st.error().message);
    store_ = std::move(st.value());
    // Our own connection: its lock waits are ours to choose (short during training).
    sqlite3_busy_timeout(store_->handle(), kFlushWaitMs);
    return Status::Ok();
}

bool TrainStoreLog::row_from_record(const json& j, store::TrainingLogRow& row) {
    if (!j.is_object() || !j.contains("loss") || !j.contains("step")) return false;
    row.step = j.value("step", int64_t{0});
    row.loss = number(j, "loss");
    row.learning_rate = number(j, "lr");
    row.grad_norm = number(j, "grad_norm");
    row.tokens_per_s = number(j, "tokens_per_s");
    row.memory_bytes = j.value("memory_bytes", int64_t{0});
    row.elapsed_s = number(j, "elapsed_s");
    row.eval_loss.reset();
    // SQLite stores NaN as NULL, which the NOT NULL columns refuse: a diverged step stays in
    // the JSONL log only.
    for (double v : {row.loss, row.learning_rate, row.grad_norm, row.tokens_per_s, row.elapsed_s})
        if (std::isnan(v)) return false;
    return row.step > 0;
}

Status TrainStoreLog::begin(const TrainParams& params, const std::string& run_dir,
                            const std::string& log_path, bool resumed) {
    if (!store_) return Status::Ok();
    const std::string dir = absolute_path(run_dir);
    if (resumed) {
        auto runs = store_->list_runs("train");
        if (!runs.ok()) return make_error("store", runs.error().message);
        for (const auto& r : runs.value())
            if (r.output_dir == dir) run_id_ = r.id;  // the newest record of this folder
    }
    if (run_id_ == 0) {
        store::RunRecord run;
        run.kind = "train";
        run.name = params.backend + "/" + fs::path(dir).filename().string();
        run.config_yaml = params.config_yaml;
        run.status = "running";
        run.output_dir = dir;
        int64_t id = 0;
        Status st = with_retries(
            [&]() -> Status {
                auto r = store_->add_run(run);
                if (!r.ok()) return r.error();
                id = r.value();
                return Status::Ok();
            },
            kFinalWaitSeconds);
        if (!st.ok()) return make_error("store", st.error().message);
        run_id_ = id;
    } else {
        Status st =
            with_retries([&] { return store_->finish_run(run_id_, "running"); }, kFinalWaitSeconds);
        if (!st.ok()) return make_error("store", st.error().message);
    }
    if (!resumed) return Status::Ok();
    // The store follows the (trimmed) JSONL log exactly.
    std::vector<store::TrainingLogRow> rows;
    std::error_code ec;
    if (fs::exists(log_path, ec)) {
        TB_ASSIGN_OR_RETURN(std::string text, read_file(log_path));
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
            store::TrainingLogRow row;
            row.run_id = run_id_;
            if (row_from_record(j, row)) {
                rows.push_back(row);
            } else if (j.is_object() && j.contains("eval_loss") && !rows.empty() &&
                       rows.back().step == j.value("step", int64_t{-1})) {
                const double e = number(j, "eval_loss");
                if (!std::isnan(e)) rows.back().eval_loss = e;
            }
        }
    }
    Status st = with_retries([&] { return store_->replace_training_log(run_id_, rows); },
                             kFinalWaitSeconds);
    if (!st.ok()) return make_error("store", st.error().message);
    if (!rows.empty()) last_flushed_ = rows.back();
    return Status::Ok();
}

void TrainStoreLog::record(const json& j) {
    if (!store_ || run_id_ == 0) return;
    store::TrainingLogRow row;
    row.run_id = run_id_;
    if (row_from_record(j, row)) {
        pending_.push_back(row);
    } else if (j.is_object() && j.contains("eval_loss")) {
        const int64_t step = j.value("step", int64_t{-1});
        const double e = number(j, "eval_loss");
        if (std::isnan(e)) return;
        if (!pending_.empty() && pending_.back().step == step) {
            pending_.back().eval_loss = e;
        } else if (last_flushed_.step > 0 && last_flushed_.step == step) {
            // Its row is already in the store: written again (the insert replaces it).
            store::TrainingLogRow again = last_flushed_;
            again.eval_loss = e;
            pending_.push_back(again);
        }
        return;  // an eval outside a logged step (before the first one) has no row
    } else {
        return;
    }
    const double since =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush_).count();
    // After a refusal, the next attempt waits for another batch of rows or kBatchSeconds.
    const size_t due_rows = refused_ ? retry_at_rows_ : kBatchRows;
    if (pending_.size() >= due_rows || since >= kBatchSeconds) (void)flush();
}

bool TrainStoreLog::flush() {
    last_flush_ = std::chrono::steady_clock::now();
    if (!store_ || pending_.empty()) return true;
    Status st = store_->append_training_log(pending_);
    if (!st.ok()) {
        retry_at_rows_ = pending_.size() + kBatchRows;
        if (!refused_)
            warn("the store refused the training log (" + st.error().message + "); " +
                 std::to_string(pending_.size()) +
                 " rows stay queued and are retried (training goes on)");
        refused_ = true;
        return false;
    }
    if (refused_) warn("the store accepted the queued training log rows again");
    refused_ = false;
    last_flushed_ = pending_.back();
    pending_.clear();
    return true;
}

Status TrainStoreLog::finish(const std::string& status) {
    if (!store_ || run_id_ == 0) return Status::Ok();
    Status st = with_retries(
        [&]() -> Status {
            if (!flush()) return Error{"training log rows still queued"};
            return store_->finish_run(run_id_, status);
        },
        kFinalWaitSeconds);
    // The outcome of the training does not depend on its log: never an error from here.
    finished_ = true;
    if (!st.ok())
        warn("the store stayed unwritable for " + std::to_string(int(kFinalWaitSeconds)) + " s (" +
             st.error().message + "): run #" + std::to_string(run_id_) +
             " keeps status "
             "'running' there and " +
             std::to_string(pending_.size()) +
             " rows are missing; training_log.jsonl has them all");
    return Status::Ok();
}

Status TrainStoreLog::with_retries(const std::function<Status()>& write, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(seconds));
    // Longer lock waits here: these calls run outside the training loop.
    sqlite3_busy_timeout(store_->handle(), 1000);
    Status st = write();
    while (!st.ok() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        st = write();
    }
    sqlite3_busy_timeout(store_->handle(), kFlushWaitMs);
    return st;
}

void TrainStoreLog::warn(const std::string& w) {
    warnings_.push_back("store: " + w);
    if (on_warning) on_warning(warnings_.back());
}

}  // namespace tb
