// Store: opening, schema migrations and the row-level API (runs, training log, generations,
// metrics, benchmarks). Ratings are in ratings.cpp, exports in store_export.cpp.
#include "core/store/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/store/sql.h"
#include "core/store/store_backup.h"

namespace tb::store {

using detail::exec;
using detail::kNow;
using detail::Stmt;
using detail::Transaction;

namespace {

// Ordered migrations: kMigrations[v] takes the schema from version v to v + 1. Never edit a
// released entry; add a new one (the tests rebuild every earlier version by hand).
const char* const kMigrations[] = {
    // v0 -> v1
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('train', 'eval', 'bench')),
  name TEXT NOT NULL DEFAULT '',
  config_yaml TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'running',
  started_at TEXT NOT NULL,
  finished_at TEXT,
  output_dir TEXT NOT NULL DEFAULT ''
);
CREATE TABLE training_log (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  loss REAL NOT NULL,
  learning_rate REAL NOT NULL,
  grad_norm REAL NOT NULL,
  tokens_per_s REAL NOT NULL,
  memory_bytes INTEGER NOT NULL,
  eval_loss REAL,
  elapsed_s REAL NOT NULL,
  PRIMARY KEY (run_id, step)
);
CREATE TABLE generations (
  eval_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  item_id TEXT NOT NULL,
  prompt TEXT NOT NULL,
  output TEXT NOT NULL,
  reference TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  tokens INTEGER NOT NULL,
  seconds REAL NOT NULL,
  UNIQUE (eval_id, model, item_id)
);
CREATE TABLE metrics_item (
  eval_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  metric TEXT NOT NULL,
  item_id TEXT NOT NULL,
  value REAL NOT NULL,
  UNIQUE (eval_id, model, metric, item_id)
);
CREATE TABLE metrics_aggregate (
  eval_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  metric TEXT NOT NULL,
  category TEXT,
  value REAL NOT NULL,
  ci_lo REAL NOT NULL,
  ci_hi REAL NOT NULL,
  p_value REAL
);
CREATE TABLE benchmarks (
  id INTEGER PRIMARY KEY,
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  engine TEXT NOT NULL,
  model TEXT NOT NULL,
  latency_s REAL NOT NULL,
  tokens_per_s REAL NOT NULL,
  memory_bytes INTEGER NOT NULL,
  load_time_s REAL NOT NULL,
  config_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
);
CREATE TABLE ratings (
  rater TEXT NOT NULL,
  item_id TEXT NOT NULL,
  model TEXT NOT NULL,
  relevance INTEGER NOT NULL CHECK (relevance BETWEEN 1 AND 5),
  coherence INTEGER NOT NULL CHECK (coherence BETWEEN 1 AND 5),
  fluency INTEGER NOT NULL CHECK (fluency BETWEEN 1 AND 5),
  completeness INTEGER NOT NULL CHECK (completeness BETWEEN 1 AND 5),
  rated_at TEXT NOT NULL,
  UNIQUE (rater, item_id, model)
);
)sql",
    // v1 -> v2: raters' free-text notes; the item count behind each aggregate (so exports and
    // the GUI can show "n"); an index for the evaluator's resume query and per-model listings.
    R"sql(
ALTER TABLE ratings ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE metrics_aggregate ADD COLUMN n_items INTEGER NOT NULL DEFAULT 0;
CREATE INDEX idx_generations_eval_model ON generations(eval_id, model);
CREATE INDEX idx_metrics_aggregate_eval ON metrics_aggregate(eval_id, model, metric);
)sql",
    // v2 -> v3: a rating belongs to the evaluation whose generations were rated, so eval_id
    // joins the key (the same item and model can be rated in several evaluations). SQLite
    // cannot change a UNIQUE constraint in place: the table is rebuilt, columns kept in order
    // (eval_id last, so CSV exports only gain a column). Earlier ratings get the evaluation
    // whose generations hold their (item, model) when exactly one does, else 0 (unknown).
    // Deleting an evaluation run deletes its ratings (eval_id is not a foreign key: 0 is legal).
    R"sql(
CREATE TABLE ratings_v3 (
  rater TEXT NOT NULL,
  item_id TEXT NOT NULL,
  model TEXT NOT NULL,
  relevance INTEGER NOT NULL CHECK (relevance BETWEEN 1 AND 5),
  coherence INTEGER NOT NULL CHECK (coherence BETWEEN 1 AND 5),
  fluency INTEGER NOT NULL CHECK (fluency BETWEEN 1 AND 5),
  completeness INTEGER NOT NULL CHECK (completeness BETWEEN 1 AND 5),
  rated_at TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  eval_id INTEGER NOT NULL DEFAULT 0,
  UNIQUE (rater, eval_id, item_id, model)
);
INSERT INTO ratings_v3 (rater, item_id, model, relevance, coherence, fluency, completeness,
                        rated_at, notes, eval_id)
  SELECT r.rater, r.item_id, r.model, r.relevance, r.coherence, r.fluency, r.completeness,
         r.rated_at, r.notes,
         COALESCE((SELECT MIN(g.eval_id) FROM generations g
                   WHERE g.item_id = r.item_id AND g.model = r.model
                   HAVING COUNT(DISTINCT g.eval_id) = 1), 0)
  FROM ratings r ORDER BY r.rowid;
DROP TABLE ratings;
ALTER TABLE ratings_v3 RENAME TO ratings;
CREATE INDEX idx_ratings_eval ON ratings(eval_id, model);
CREATE TRIGGER runs_delete_ratings AFTER DELETE ON runs
  BEGIN DELETE FROM ratings WHERE eval_id = OLD.id; END;
)sql",
    // v3 -> v4: blind rating that stays blind and is auditable. rating_orders keeps each
    // rater's per-item presentation order (position 0 is "A") and the seed it was drawn
    // from, so a reopened session shows the same order and the analysis can test position
    // bias; rating_reveals records when a rater unblinded an evaluation; preferences holds the
    // pairwise A / B / tie question with both models resolved (one answer per unordered pair,
    // hence the expression index); ratings.blind says whether a score was given blind (NULL:
    // before v4, unknown). eval_user_messages keeps the user's message of each item (the
    // instruction and context as written, not the rendered chat template) for the raters.
    R"sql(
ALTER TABLE ratings ADD COLUMN blind INTEGER CHECK (blind IN (0, 1));
CREATE TABLE rating_orders (
  rater TEXT NOT NULL,
  eval_id INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  position INTEGER NOT NULL CHECK (position >= 0),
  model TEXT NOT NULL,
  seed INTEGER NOT NULL,
  assigned_at TEXT NOT NULL,
  PRIMARY KEY (rater, eval_id, item_id, position),
  UNIQUE (rater, eval_id, item_id, model)
);
CREATE TABLE rating_reveals (
  rater TEXT NOT NULL,
  eval_id INTEGER NOT NULL,
  revealed_at TEXT NOT NULL,
  PRIMARY KEY (rater, eval_id)
);
CREATE TABLE preferences (
  rater TEXT NOT NULL,
  eval_id INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  model_a TEXT NOT NULL,
  model_b TEXT NOT NULL,
  choice TEXT NOT NULL CHECK (choice IN ('a', 'b', 'tie')),
  blind INTEGER CHECK (blind IN (0, 1)),
  rated_at TEXT NOT NULL,
  CHECK (model_a <> model_b)
);
CREATE UNIQUE INDEX idx_preferences_pair
  ON preferences(rater, eval_id, item_id, min(model_a, model_b), max(model_a, model_b));
CREATE TABLE eval_user_messages (
  eval_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  item_id TEXT NOT NULL,
  instruction TEXT NOT NULL,
  context TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (eval_id, item_id)
);
CREATE TRIGGER runs_delete_rating_v4 AFTER DELETE ON runs BEGIN
  DELETE FROM rating_orders WHERE eval_id = OLD.id;
  DELETE FROM rating_reveals WHERE eval_id = OLD.id;
  DELETE FROM preferences WHERE eval_id = OLD.id;
END;
)sql",
    // v4 -> v5: chat playground conversations (widgets/chat_panel.h). A conversation is one
    // system prompt and its user turns, answered by several columns (column 0 the base model,
    // column k the adapter adapters_json[k - 1]); every column keeps its own replies, so each
    // model sees its own earlier answers. User messages have column -1. settings_json holds
    // the sampling settings and engine as the GUI chose them (opaque to the store).
    R"sql(
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  system_prompt TEXT NOT NULL DEFAULT '',
  model_dir TEXT NOT NULL DEFAULT '',
  adapters_json TEXT NOT NULL DEFAULT '[]',
  settings_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE conversation_messages (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  turn INTEGER NOT NULL CHECK (turn >= 0),
  column_index INTEGER NOT NULL CHECK (column_index >= -1),
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content TEXT NOT NULL,
  tokens INTEGER NOT NULL DEFAULT 0,
  seconds REAL NOT NULL DEFAULT 0,
  finish_reason TEXT NOT NULL DEFAULT '',
  CHECK ((role = 'user') = (column_index = -1)),
  PRIMARY KEY (conversation_id, turn, column_index)
);
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion,
              "one migration per schema version");

Result<int> read_user_version(sqlite3* db, const std::string& path) {
    Stmt st(db, path, "PRAGMA user_version");
    TB_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Error{path + ": PRAGMA user_version: no result"};
    return static_cast<int>(st.col_int(0));
}

Status migrate(sqlite3* db, const std::string& path) {
    TB_ASSIGN_OR_RETURN(int v, read_user_version(db, path));
    if (v > kSchemaVersion)
        return Error{path + ": schema version " + std::to_string(v) +
                     " is newer than this build supports (" + std::to_string(kSchemaVersion) + ")"};
    for (; v < kSchemaVersion; ++v) {
        Transaction tx(db, path);
        TB_TRY_STATUS(tx.begun());
        // Re-read inside the write lock: another process may have migrated meanwhile.
        TB_ASSIGN_OR_RETURN(int now, read_user_version(db, path));
        if (now > v) {
            v = now - 1;
            continue;
        }
        TB_TRY_STATUS(exec(db, path, kMigrations[v]));
        TB_TRY_STATUS(exec(db, path, "PRAGMA user_version = " + std::to_string(v + 1)));
        TB_TRY_STATUS(tx.commit());
    }
    return Status::Ok();
}

RunRecord read_run(const Stmt& st) {
    RunRecord r;
    r.id = st.col_int(0);
    r.kind = st.col_text(1);
    r.name = st.col_text(2);
    r.config_yaml = st.col_text(3);
    r.status = st.col_text(4);
    r.started_at = st.col_text(5);
    r.finished_at = st.col_text(6);
    r.output_dir = st.col_text(7);
    return r;
}

const char* kRunColumns =
    "SELECT id, kind, name, config_yaml, status, started_at, finished_at, output_dir FROM runs";

}  // namespace

Store::~Store() {
    if (db_) sqlite3_close_v2(db_);
    detail::note_store_closed(path_);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
    std::unique_ptr<Store> s(new Store());
    s->path_ = path;
    detail::note_store_opened(path);  // until ~Store (restore_store refuses meanwhile)
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    TB_TRY_STATUS(detail::require_single_sqlite_library());
    int rc = sqlite3_open_v2(path.c_str(), &s->db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) return detail::sql_error(s->db_, path, "open");
    sqlite3_extended_result_codes(s->db_, 1);
    sqlite3_busy_timeout(s->db_, 10000);
    // A read first: it validates the file header (so "file is not a database" surfaces here with
    // the path), waits on busy_timeout like any read, and puts the connection in WAL mode when
    // the file already is (WAL is a property of the file). Then PRAGMA journal_mode = WAL is a
    // no-op and takes no lock.
    if (Status read = exec(s->db_, path, "SELECT count(*) FROM sqlite_master"); !read.ok())
        return detail::classify_open_error(s->db_, path, read.error());
    // Converting a fresh file needs an exclusive lock, and SQLite does not run the busy handler
    // for this pragma: two threads or processes opening one new store at once got "database is
    // locked" at once (the GUI thread and the worker do this). Retry within busy_timeout's budget.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int attempt = 0;; ++attempt) {
        Status wal = exec(s->db_, path, "PRAGMA journal_mode = WAL");
        if (wal.ok()) break;
        if ((sqlite3_errcode(s->db_) & 0xff) != SQLITE_BUSY ||
            std::chrono::steady_clock::now() > give_up)
            return detail::classify_open_error(s->db_, path, wal.error());
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2 + 2 * attempt, 50)));
    }
    {
        Stmt st(s->db_, path, "PRAGMA journal_mode");
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row || st.col_text(0) != "wal")
            return Error{path + ": PRAGMA journal_mode = WAL: not supported by this file system"};
    }
    TB_TRY_STATUS(exec(s->db_, path, "PRAGMA synchronous = FULL"));
    TB_TRY_STATUS(exec(s->db_, path, "PRAGMA foreign_keys = ON"));
    // quick_check and a backup at the first open by this process, a backup before migrating
    // (store_backup.h).
    TB_ASSIGN_OR_RETURN(int version, read_user_version(s->db_, path));
    TB_TRY_STATUS(detail::open_checks(s->db_, path, version, kSchemaVersion));
    TB_TRY_STATUS(migrate(s->db_, path));
    return s;
}

int Store::schema_version() const {
    auto v = read_user_version(db_, path_);
    return v.ok() ? *v : -1;
}

// --- runs --------------------------------------------------------------------------------

Result<int64_t> Store::add_run(const RunRecord& run) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_,
            std::string("INSERT INTO runs (kind, name, config_yaml, status, started_at, "
                        "finished_at, output_dir) VALUES (?1, ?2, ?3, ?4, COALESCE(?5, ") +
                kNow + "), ?6, ?7)");
    st.bind(1, run.kind).bind(2, run.name).bind(3, run.config_yaml);
    st.bind(4, run.status.empty() ? std::string("running") : run.status);
    if (run.started_at.empty())
        st.bind_null(5);
    else
        st.bind(5, run.started_at);
    if (run.finished_at.empty())
        st.bind_null(6);
    else
        st.bind(6, run.finished_at);
    st.bind(7, run.output_dir);
    TB_TRY_STATUS(st.run());
    int64_t id = sqlite3_last_insert_rowid(db_);
    TB_TRY_STATUS(tx.commit());
    return id;
}

Status Store::finish_run(int64_t run_id, const std::string& status) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_,
            std::string("UPDATE runs SET status = ?1, finished_at = CASE WHEN ?1 = 'running' "
                        "THEN NULL ELSE ") +
                kNow + " END WHERE id = ?2");
    st.bind(1, status).bind(2, run_id);
    TB_TRY_STATUS(st.run());
    if (sqlite3_changes(db_) == 0)
        return Error{path_ + ": runs: no run with id " + std::to_string(run_id)};
    return tx.commit();
}

Result<std::optional<RunRecord>> Store::get_run(int64_t run_id) const {
    Stmt st(db_, path_, std::string(kRunColumns) + " WHERE id = ?1");
    st.bind(1, run_id);
    TB_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return std::optional<RunRecord>();
    return std::optional<RunRecord>(read_run(st));
}

Result<std::vector<RunRecord>> Store::list_runs(const std::string& kind) const {
    Stmt st(db_, path_, std::string(kRunColumns) + " WHERE ?1 = '' OR kind = ?1 ORDER BY id");
    st.bind(1, kind);
    std::vector<RunRecord> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        out.push_back(read_run(st));
    }
    return out;
}

Status Store::rename_run(int64_t run_id, const std::string& name) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_, "UPDATE runs SET name = ?1 WHERE id = ?2");
    st.bind(1, name).bind(2, run_id);
    TB_TRY_STATUS(st.run());
    if (sqlite3_changes(db_) == 0)
        return Error{path_ + ": runs: no run with id " + std::to_string(run_id)};
    return tx.commit();
}

Status Store::delete_run(int64_t run_id) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_, "DELETE FROM runs WHERE id = ?1");
    st.bind(1, run_id);
    TB_TRY_STATUS(st.run());
    if (sqlite3_changes(db_) == 0)
        return Error{path_ + ": runs: no run with id " + std::to_string(run_id)};
    return tx.commit();
}

// --- training log ------------------------------------------------------------------------

namespace {

// Inserts (or replaces) training-log rows inside the caller's transaction.
Status insert_training_rows(sqlite3* db, const std::string& path,
                            const std::vector<TrainingLogRow>& rows) {
    // A resumed run re-logs the steps after its checkpoint: the later row wins.
    Stmt st(db, path,
            "INSERT OR REPLACE INTO training_log (run_id, step, loss, learning_rate, grad_norm, "
            "tokens_per_s, memory_bytes, eval_loss, elapsed_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
            "?7, ?8, ?9)");
    for (const auto& r : rows) {
        st.bind(1, r.run_id).bind(2, r.step).bind(3, r.loss).bind(4, r.learning_rate);
        st.bind(5, r.grad_norm).bind(6, r.tokens_per_s).bind(7, r.memory_bytes);
        st.bind(8, r.eval_loss).bind(9, r.elapsed_s);
        TB_TRY_STATUS(st.run());
    }
    return Status::Ok();
}

}  // namespace

Status Store::append_training_log(const std::vector<TrainingLogRow>& rows) {
    if (rows.empty()) return Status::Ok();
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    TB_TRY_STATUS(insert_training_rows(db_, path_, rows));
    return tx.commit();
}

Status Store::replace_training_log(int64_t run_id, const std::vector<TrainingLogRow>& rows) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    {
        Stmt del(db_, path_, "DELETE FROM training_log WHERE run_id = ?1");
        del.bind(1, run_id);
        TB_TRY_STATUS(del.run());
    }
    for (const auto& r : rows)
        if (r.run_id != run_id)
            return Error{path_ + ": training_log: row for run " + std::to_string(r.run_id) +
                         " passed to replace run " + std::to_string(run_id)};
    TB_TRY_STATUS(insert_training_rows(db_, path_, rows));
    return tx.commit();
}

Result<std::vector<TrainingLogRow>> Store::training_log(int64_t run_id) const {
    Stmt st(db_, path_,
            "SELECT run_id, step, loss, learning_rate, grad_norm, tokens_per_s, memory_bytes, "
            "eval_loss, elapsed_s FROM training_log WHERE run_id = ?1 ORDER BY step");
    st.bind(1, run_id);
    std::vector<TrainingLogRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        TrainingLogRow r;
        r.run_id = st.col_int(0);
        r.step = st.col_int(1);
        r.loss = st.col_double(2);
        r.learning_rate = st.col_double(3);
        r.grad_norm = st.col_double(4);
        r.tokens_per_s = st.col_double(5);
        r.memory_bytes = st.col_int(6);
        r.eval_loss = st.col_opt_double(7);
        r.elapsed_s = st.col_double(8);
        out.push_back(r);
    }
    return out;
}

Result<std::vector<TrainRunSummary>> Store::train_run_summaries() const {
    // One pass over training_log grouped by run; the last row's values and the last eval come
    // from correlated lookups on the (run_id, step) primary key.
    Stmt st(db_, path_,
            "SELECT r.id, COUNT(t.step), COALESCE(MAX(t.step), 0), "
            "(SELECT loss FROM training_log WHERE run_id = r.id ORDER BY step DESC LIMIT 1), "
            "(SELECT eval_loss FROM training_log WHERE run_id = r.id AND eval_loss IS NOT NULL "
            " ORDER BY step DESC LIMIT 1), "
            "MIN(t.eval_loss), "
            "(SELECT tokens_per_s FROM training_log WHERE run_id = r.id ORDER BY step DESC "
            " LIMIT 1), "
            "(SELECT elapsed_s FROM training_log WHERE run_id = r.id ORDER BY step DESC LIMIT 1), "
            "COALESCE(MAX(t.memory_bytes), 0) "
            "FROM runs r LEFT JOIN training_log t ON t.run_id = r.id WHERE r.kind = 'train' "
            "GROUP BY r.id ORDER BY r.id");
    std::vector<TrainRunSummary> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        TrainRunSummary s;
        s.run_id = st.col_int(0);
        s.logged_steps = st.col_int(1);
        s.last_step = st.col_int(2);
        s.final_loss = st.col_opt_double(3);
        s.last_eval_loss = st.col_opt_double(4);
        s.best_eval_loss = st.col_opt_double(5);
        s.tokens_per_s = st.col_opt_double(6).value_or(0.0);
        s.elapsed_s = st.col_opt_double(7).value_or(0.0);
        s.peak_memory_bytes = st.col_int(8);
        out.push_back(s);
    }
    return out;
}

// --- generations and metrics -------------------------------------------------------------

Status Store::add_generations(const std::vector<GenerationRow>& rows) {
    if (rows.empty()) return Status::Ok();
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_,
            "INSERT OR REPLACE INTO generations (eval_id, model, item_id, prompt, output, "
            "reference, category, tokens, seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (const auto& r : rows) {
        st.bind(1, r.eval_id).bind(2, r.model).bind(3, r.item_id).bind(4, r.prompt);
        st.bind(5, r.output).bind(6, r.reference).bind(7, r.category).bind(8, r.tokens);
        st.bind(9, r.seconds);
        TB_TRY_STATUS(st.run());
    }
    return tx.commit();
}

Result<std::vector<GenerationRow>> Store::generations(int64_t eval_id,
                                                      const std::string& model) const {
    Stmt st(db_, path_,
            "SELECT eval_id, model, item_id, prompt, output, reference, category, tokens, "
            "seconds FROM generations WHERE eval_id = ?1 AND (?2 = '' OR model = ?2) "
            "ORDER BY model, rowid");
    st.bind(1, eval_id).bind(2, model);
    std::vector<GenerationRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        GenerationRow r;
        r.eval_id = st.col_int(0);
        r.model = st.col_text(1);
        r.item_id = st.col_text(2);
        r.prompt = st.col_text(3);
        r.output = st.col_text(4);
        r.reference = st.col_text(5);
        r.category = st.col_text(6);
        r.tokens = st.col_int(7);
        r.seconds = st.col_double(8);
        out.push_back(std::move(r));
    }
    return out;
}

Result<std::vector<std::string>> Store::generated_item_ids(int64_t eval_id,
                                                           const std::string& model) const {
    Stmt st(db_, path_,
            "SELECT item_id FROM generations WHERE eval_id = ?1 AND model = ?2 ORDER BY rowid");
    st.bind(1, eval_id).bind(2, model);
    std::vector<std::string> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        out.push_back(st.col_text(0));
    }
    return out;
}

Status Store::add_metric_items(const std::vector<MetricItemRow>& rows) {
    if (rows.empty()) return Status::Ok();
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_,
            "INSERT INTO metrics_item (eval_id, model, metric, item_id, value) VALUES (?1, ?2, "
            "?3, ?4, ?5) ON CONFLICT (eval_id, model, metric, item_id) DO UPDATE SET value = "
            "excluded.value");
    for (const auto& r : rows) {
        st.bind(1, r.eval_id).bind(2, r.model).bind(3, r.metric).bind(4, r.item_id);
        st.bind(5, r.value);
        TB_TRY_STATUS(st.run());
    }
    return tx.commit();
}

Result<std::vector<MetricItemRow>> Store::metric_items(int64_t eval_id) const {
    Stmt st(db_, path_,
            "SELECT eval_id, model, metric, item_id, value FROM metrics_item WHERE eval_id = ?1 "
            "ORDER BY model, metric, rowid");
    st.bind(1, eval_id);
    std::vector<MetricItemRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        out.push_back(
            {st.col_int(0), st.col_text(1), st.col_text(2), st.col_text(3), st.col_double(4)});
    }
    return out;
}

Status Store::replace_metric_aggregates(int64_t eval_id,
                                        const std::vector<MetricAggregateRow>& rows) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    {
        Stmt del(db_, path_, "DELETE FROM metrics_aggregate WHERE eval_id = ?1");
        del.bind(1, eval_id);
        TB_TRY_STATUS(del.run());
    }
    Stmt st(db_, path_,
            "INSERT INTO metrics_aggregate (eval_id, model, metric, category, value, ci_lo, "
            "ci_hi, p_value, n_items) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (const auto& r : rows) {
        if (r.eval_id != eval_id)
            return Error{path_ + ": metrics_aggregate: row for eval " + std::to_string(r.eval_id) +
                         " passed to replace eval " + std::to_string(eval_id)};
        st.bind(1, r.eval_id).bind(2, r.model).bind(3, r.metric).bind(4, r.category);
        st.bind(5, r.value).bind(6, r.ci_lo).bind(7, r.ci_hi).bind(8, r.p_value);
        st.bind(9, r.n_items);
        TB_TRY_STATUS(st.run());
    }
    return tx.commit();
}

Result<std::vector<MetricAggregateRow>> Store::metric_aggregates(int64_t eval_id) const {
    Stmt st(db_, path_,
            "SELECT eval_id, model, metric, category, value, ci_lo, ci_hi, p_value, n_items FROM "
            "metrics_aggregate WHERE eval_id = ?1 ORDER BY rowid");
    st.bind(1, eval_id);
    std::vector<MetricAggregateRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        MetricAggregateRow r;
        r.eval_id = st.col_int(0);
        r.model = st.col_text(1);
        r.metric = st.col_text(2);
        r.category = st.col_opt_text(3);
        r.value = st.col_double(4);
        r.ci_lo = st.col_double(5);
        r.ci_hi = st.col_double(6);
        r.p_value = st.col_opt_double(7);
        r.n_items = st.col_int(8);
        out.push_back(std::move(r));
    }
    return out;
}

// --- benchmarks --------------------------------------------------------------------------

Result<int64_t> Store::add_benchmark(const BenchmarkRow& row) {
    Transaction tx(db_, path_);
    TB_TRY_STATUS(tx.begun());
    Stmt st(db_, path_,
            std::string("INSERT INTO benchmarks (run_id, engine, model, latency_s, tokens_per_s, "
                        "memory_bytes, load_time_s, config_json, created_at) VALUES (?1, ?2, ?3, "
                        "?4, ?5, ?6, ?7, ?8, ") +
                kNow + ")");
    st.bind(1, row.run_id).bind(2, row.engine).bind(3, row.model).bind(4, row.latency_s);
    st.bind(5, row.tokens_per_s).bind(6, row.memory_bytes).bind(7, row.load_time_s);
    st.bind(8, row.config_json);
    TB_TRY_STATUS(st.run());
    int64_t id = sqlite3_last_insert_rowid(db_);
    TB_TRY_STATUS(tx.commit());
    return id;
}

Result<std::vector<BenchmarkRow>> Store::benchmarks() const {
    Stmt st(db_, path_,
            "SELECT id, run_id, engine, model, latency_s, tokens_per_s, memory_bytes, "
            "load_time_s, config_json, created_at FROM benchmarks ORDER BY id");
    std::vector<BenchmarkRow> out;
    while (true) {
        TB_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        BenchmarkRow r;
        r.id = st.col_int(0);
        r.run_id = st.col_opt_int(1);
        r.engine = st.col_text(2);
        r.model = st.col_text(3);
        r.latency_s = st.col_double(4);
        r.tokens_per_s = st.col_double(5);
        r.memory_bytes = st.col_int(6);
        r.load_time_s = st.col_double(7);
        r.config_json = st.col_text(8);
        r.created_at = st.col_text(9);
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace tb::store
