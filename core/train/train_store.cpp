#include "core/train/train_store.h"

#include <cmath>
#include <filesystem>
#include <sstream>

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
    // An error return of run_training: keep what was logged, mark the run failed. Best effort:
    // a store that cannot be written has already reported its error.
    if (error_.ok()) (void)flush();
    (void)store_->finish_run(run_id_, "failed");
}

Status TrainStoreLog::open(const std::string& store_path) {
    if (store_path.empty()) return Status::Ok();
    auto st = store::Store::open(store_path);
    if (!st.ok()) return make_error("store", st.error().message);
    store_ = std::move(st.value());
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
        auto id = store_->add_run(run);
        if (!id.ok()) return make_error("store", id.error().message);
        run_id_ = id.value();
    } else {
        auto st = store_->finish_run(run_id_, "running");
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
    auto st = store_->replace_training_log(run_id_, rows);
    if (!st.ok()) return make_error("store", st.error().message);
    if (!rows.empty()) last_flushed_ = rows.back();
    return Status::Ok();
}

void TrainStoreLog::record(const json& j) {
    if (!store_ || run_id_ == 0 || !error_.ok()) return;
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
    if (pending_.size() >= kBatchRows || since >= kBatchSeconds) (void)flush();
}

Status TrainStoreLog::flush() {
    last_flush_ = std::chrono::steady_clock::now();
    if (!store_ || pending_.empty() || !error_.ok()) return error_;
    Status st = store_->append_training_log(pending_);
    if (!st.ok()) {
        fail(st);
        return error_;
    }
    last_flushed_ = pending_.back();
    pending_.clear();
    return Status::Ok();
}

Status TrainStoreLog::finish(const std::string& status) {
    if (!store_ || run_id_ == 0) return Status::Ok();
    TB_TRY_STATUS(flush());
    Status st = store_->finish_run(run_id_, status);
    if (!st.ok()) {
        fail(st);
        return error_;
    }
    finished_ = true;
    return Status::Ok();
}

void TrainStoreLog::fail(const Status& s) {
    if (error_.ok() && !s.ok()) error_ = make_error("store", s.error().message);
}

}  // namespace tb
