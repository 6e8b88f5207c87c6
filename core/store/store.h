// The experiment store: one SQLite file per workspace (e.g. <workspace>/tunebench.sqlite)
// holding runs, training logs, generations, per-item and aggregate metrics, benchmark results
// and human ratings. Torch-free.
//
// Durability (why these settings):
//   journal_mode=WAL   readers (GUI) never block the writer (trainer / evaluator), and a killed
//                      writer leaves the database at its last commit: the uncommitted WAL tail
//                      is ignored on the next open.
//   synchronous=FULL   WAL+NORMAL is already safe against a killed process, but after a power
//                      loss it may roll back the last few commits. The issue promises that a
//                      crash loses at most the batch in flight, so every commit is fsync'ed.
//                      Our commits are per batch (a few per second at most), so the fsync cost
//                      is negligible.
//   foreign_keys=ON    rows of a deleted run go with it (ON DELETE CASCADE), no orphans.
//   busy_timeout       a second process (GUI + CLI) waits for the write lock instead of failing.
// Every write method runs in its own transaction (BEGIN IMMEDIATE ... COMMIT), so a kill at
// any moment leaves either all of that call's rows or none of them.
//
// The corruption of issue 10 (deleted -wal/-shm still open in the app, then page 1 overwritten
// by a b-tree page: "file is not a database"), and why nothing outside SQLite may open these
// files. SQLite's locks are POSIX fcntl locks, owned by the process: close() of ANY descriptor
// on a file drops all of the process's locks on it. Qt's widget file dialog (and GTK's, when
// used in-process) fills its Type column by content sniffing -- QAbstractFileIconProvider::type
// -> QMimeDatabase::mimeTypeForFile opens, reads and closes every file whose name matches no
// MIME glob: tunebench.sqlite (shared-mime-info knows *.sqlite3, not *.sqlite), -wal, -shm.
// Evidence (strace -k of a QFileDialog over an open store): openat(...tunebench.sqlite-wal,
// O_RDONLY) + close() from QFileInfoGatherer::getInfo; /proc/locks: the shm DMS read lock and
// the db SHARED lock gone; the next outside `sqlite3` read saw no other connection, checkpointed
// and unlinked -wal and -shm, and the app's fds pointed at "(deleted)" files -- the issue's
// state. tests/core/store/test_store_stress.cpp with TB_STORE_STRESS_FOREIGN_CLOSE=1 (writers
// doing that open/close) ends in "file is not a database" with page 1 starting 0a 00 00 00
// (a b-tree leaf index page), the bytes; without it, minutes of kill -9 and outside
// readers stay "ok". Fix: every GUI dialog is widgets/store_safe_file_dialog.h (type by name
// only, never opens); tests/widgets/test_gui_store_recovery.cpp shows Qt's dialog dropping
// the locks and ours keeping them. The other causes in "How To Corrupt An SQLite Database
// File", ruled out: two SQLite copies (of ~300 objects the GUI and CLI load, only
// libsqlite3.so.0 exports sqlite3_open_v2; Qt's libqsqlite plugin links that same library and
// is never loaded; Store::open refuses a process with two, store_backup.h); deleting or
// renaming the file or WAL while open (no code unlinks or renames store files: demo init
// renames its staging folder before any store exists; restore_store replaces the file only
// when no connection of any process has it, found by locks); a connection carried across
// fork() (the app never forks with one; SQLite's fds are O_CLOEXEC); mmap, NFS (not used);
// missing fsync (WAL + synchronous=FULL). Protection against whatever else: PRAGMA quick_check
// at every open, verified backups at each session start and before migrations, restore of the
// newest good one (store_backup.h).
//
// Schema versions live in PRAGMA user_version and are applied in order by open():
//   v1  runs, training_log, generations, metrics_item, metrics_aggregate, benchmarks, ratings
//   v2  ratings.notes, metrics_aggregate.n_items, index generations(eval_id, model)
//   v3  ratings.eval_id (part of the key: ratings belong to an evaluation's generations)
//   v4  blind rating: rating_orders, rating_reveals, preferences, ratings.blind;
//       eval_user_messages (the user's message of each evaluated item)
//   v5  conversations, conversation_messages (the chat playground; conversations.cpp)
// Each migration runs in one transaction together with its user_version bump.
//
// Errors name the database file and the failing statement: "<db>: <sql>: <sqlite message>".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"

struct sqlite3;

namespace tb::store {

constexpr int kSchemaVersion = 5;

struct RunRecord {
    int64_t id = 0;           // assigned by add_run
    std::string kind;         // "train" | "eval" | "bench"
    std::string name;         // free label ("" allowed)
    std::string config_yaml;  // the run's AppConfig as YAML
    std::string status;       // "running" | "completed" | "failed" | "cancelled"
    std::string started_at;   // ISO-8601 UTC; "" = now (add_run)
    std::string finished_at;  // "" while running
    std::string output_dir;
};

struct TrainingLogRow {
    int64_t run_id = 0;
    int64_t step = 0;
    double loss = 0;
    double learning_rate = 0;
    double grad_norm = 0;
    double tokens_per_s = 0;
    int64_t memory_bytes = 0;
    std::optional<double> eval_loss;  // only on evaluation steps
    double elapsed_s = 0;             // seconds since the run started
};

// What a runs table shows of a training run without reading its whole log (one query).
struct TrainRunSummary {
    int64_t run_id = 0;
    int64_t logged_steps = 0;              // training_log rows
    int64_t last_step = 0;                 // highest logged step (0: none)
    std::optional<double> final_loss;      // loss at last_step
    std::optional<double> last_eval_loss;  // eval loss of the highest step that has one
    std::optional<double> best_eval_loss;  // lowest eval loss
    double tokens_per_s = 0;               // at last_step
    double elapsed_s = 0;                  // at last_step
    int64_t peak_memory_bytes = 0;         // highest memory_bytes logged
};

struct GenerationRow {
    int64_t eval_id = 0;  // runs.id of the evaluation run
    std::string model;    // model label ("base" or the adapter folder)
    std::string item_id;  // stable id of the test item (its source line / index)
    std::string prompt;
    std::string output;
    std::string reference;
    std::string category;
    int64_t tokens = 0;  // generated tokens
    double seconds = 0;  // share of the batch's generation time
};

struct MetricItemRow {
    int64_t eval_id = 0;
    std::string model;
    std::string metric;
    std::string item_id;
    double value = 0;
};

struct MetricAggregateRow {
    int64_t eval_id = 0;
    std::string model;
    std::string metric;
    std::optional<std::string> category;  // nullopt = the whole test set
    double value = 0;
    double ci_lo = 0;
    double ci_hi = 0;
    std::optional<double> p_value;  // paired test against the base model (nullopt for base)
    int64_t n_items = 0;
};

struct BenchmarkRow {
    int64_t id = 0;
    std::optional<int64_t> run_id;  // the bench run it belongs to, if any
    std::string engine;             // "tunebench", "transformers", "vllm", ...
    std::string model;
    double latency_s = 0;
    double tokens_per_s = 0;
    int64_t memory_bytes = 0;
    double load_time_s = 0;
    std::string config_json = "{}";
    std::string created_at;  // set by the store
};

// Human rating of one model's answer to one item of one evaluation; criteria are integers
// 1..5. Unique per (rater, eval_id, item_id, model).
struct RatingRow {
    std::string rater;
    std::string item_id;
    std::string model;
    int relevance = 0;
    int coherence = 0;
    int fluency = 0;
    int completeness = 0;
    std::string notes;
    std::string rated_at;  // set by the store on every upsert
    int64_t eval_id = 0;   // runs.id of the evaluation whose generation was rated; 0: unknown
                           // (ratings given before schema v3 that matched no single evaluation)
    std::optional<bool> blind;  // given without knowing the model; nullopt: before v4, unknown
};

// Where one rater saw one model's output of one item: position 0 is "A", 1 is "B", ...
// Drawn once (at random, `seed` recorded) and never changed, so a reopened session shows the
// same order and position bias can be measured.
struct RatingOrderRow {
    std::string rater;
    int64_t eval_id = 0;
    std::string item_id;
    int position = 0;
    std::string model;
    uint32_t seed = 0;
    std::string assigned_at;  // set by the store
};

// The pairwise question "which output is better?" for two outputs of one item. `model_a` is
// the model shown first ("A" of the pair), `model_b` the other; choice "a", "b" or "tie".
// Unique per (rater, eval_id, item_id, unordered model pair).
struct PreferenceRow {
    std::string rater;
    int64_t eval_id = 0;
    std::string item_id;
    std::string model_a;
    std::string model_b;
    std::string choice;
    std::optional<bool> blind;
    std::string rated_at;  // set by the store on every upsert
};

// Preferences between two models over the items of an evaluation (model_x < model_y).
struct PreferenceSummary {
    std::string model_x;
    std::string model_y;
    int64_t x_wins = 0;
    int64_t ties = 0;
    int64_t y_wins = 0;
    // Position: how often the output shown first (A) / second (B) was preferred.
    int64_t first_wins = 0;
    int64_t second_wins = 0;
    // Exact two-sided sign test of x_wins vs y_wins (ties left out); nullopt when every
    // answer is a tie.
    std::optional<double> p_value;
};

// The user's message of one evaluated item, as the dataset row holds it (for chat rows:
// instruction = the last user message, context = the earlier turns as "role: content" lines).
struct UserMessageRow {
    int64_t eval_id = 0;
    std::string item_id;
    std::string instruction;
    std::string context;
};

// A chat playground conversation (schema v5). Column 0 answers with the base model, column k
// with the adapter `adapters[k - 1]`.
struct ConversationRecord {
    int64_t id = 0;  // 0: not stored yet (save_conversation assigns it)
    std::string title;
    std::string system_prompt;
    std::string model_dir;
    std::vector<std::string> adapters;
    std::string settings_json = "{}";  // sampling and engine, as the front end chose them
    std::string created_at;            // set by the store
    std::string updated_at;            // set by the store at every save
};

struct ConversationMessage {
    int64_t turn = 0;   // 0-based user turn
    int column = -1;    // -1: the user's message of the turn; else the answering column
    std::string role;   // "user" (column -1) | "assistant"
    std::string content;
    int64_t tokens = 0;  // generated tokens (assistant)
    double seconds = 0;
    std::string finish_reason;  // "eos" | "length" | "stop" | "cancelled" (assistant)
};

struct Conversation {
    ConversationRecord record;
    std::vector<ConversationMessage> messages;  // by turn, user first, then columns ascending
};

struct CriterionSummary {
    std::string criterion;  // "relevance", "coherence", "fluency", "completeness"
    int64_t n = 0;          // ratings
    double mean = 0;
    double ci_lo = 0;  // Student-t 95% interval of the mean (equal to mean when n < 2)
    double ci_hi = 0;
};

struct ModelRatingSummary {
    std::string model;
    std::vector<CriterionSummary> criteria;  // in the order above
};

struct AgreementSummary {
    std::string criterion;
    std::optional<double> alpha_interval;  // nullopt when undefined (no pairable values or
    std::optional<double> alpha_ordinal;   // no disagreement expected by chance)
    int64_t pairable_units = 0;            // (item, model) units rated by >= 2 raters
};

struct RatingsSummary {
    std::vector<ModelRatingSummary> models;   // sorted by model
    std::vector<AgreementSummary> agreement;  // one per criterion; units are (item, model)
};

// Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").
// `units[u]` holds the values given to unit u (missing values simply absent); units with fewer
// than two values are not pairable and are ignored. alpha = 1 - D_o / D_e with the coincidence
// matrix o_ck = sum_u sum_{i != j} [v_ui = c][v_uj = k] / (m_u - 1).
enum class AlphaMetric { Nominal, Ordinal, Interval };
std::optional<double> krippendorff_alpha(const std::vector<std::vector<double>>& units,
                                         AlphaMetric metric);

// Two-sided Student-t quantile t_{p, df} (p in (0, 1), df >= 1), for the rating intervals.
double student_t_quantile(double p, double df);

class Store {
  public:
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Opens (creating when absent) the database and migrates it to kSchemaVersion. Error when
    // the file is not a database, is newer than this build, or a migration fails (the file is
    // left at its previous version).
    static Result<std::unique_ptr<Store>> open(const std::string& path);

    const std::string& path() const { return path_; }
    int schema_version() const;

    // --- runs ----------------------------------------------------------------------------
    Result<int64_t> add_run(const RunRecord& run);
    // Sets status and, for anything but "running", finished_at = now.
    Status finish_run(int64_t run_id, const std::string& status);
    Result<std::optional<RunRecord>> get_run(int64_t run_id) const;
    Result<std::vector<RunRecord>> list_runs(const std::string& kind = "") const;
    // Sets the run's free label. Error when no run has that id.
    Status rename_run(int64_t run_id, const std::string& name);
    // Deletes the run and, by ON DELETE CASCADE, every row that belongs to it (training log,
    // generations, metrics, ratings of an evaluation, bench rows). Its files are the caller's.
    // Error when no run has that id.
    Status delete_run(int64_t run_id);

    // --- training ------------------------------------------------------------------------
    // All rows in one transaction (loggers batch rows and flush every N steps).
    Status append_training_log(const std::vector<TrainingLogRow>& rows);
    Result<std::vector<TrainingLogRow>> training_log(int64_t run_id) const;
    // Replaces every row of `run_id` by `rows` in one transaction (a resumed run re-syncs the
    // store with its trimmed training_log.jsonl, so rows after the checkpoint disappear).
    Status replace_training_log(int64_t run_id, const std::vector<TrainingLogRow>& rows);
    // Summaries of every run of kind "train" (runs without logged steps included, zeros),
    // in run id order.
    Result<std::vector<TrainRunSummary>> train_run_summaries() const;

    // --- evaluation ----------------------------------------------------------------------
    // A batch of generations in one transaction; a row for an existing (eval_id, model,
    // item_id) replaces it.
    Status add_generations(const std::vector<GenerationRow>& rows);
    Status add_generation(const GenerationRow& row) { return add_generations({row}); }
    // Sorted by model, then item_id in insertion order (rowid).
    Result<std::vector<GenerationRow>> generations(int64_t eval_id,
                                                   const std::string& model = "") const;
    Result<std::vector<std::string>> generated_item_ids(int64_t eval_id,
                                                        const std::string& model) const;

    // Per-item values (upsert on (eval_id, model, metric, item_id)).
    Status add_metric_items(const std::vector<MetricItemRow>& rows);
    Result<std::vector<MetricItemRow>> metric_items(int64_t eval_id) const;
    // Replaces every aggregate of the eval id by `rows` in one transaction (so a rescoring
    // never leaves a mix of old and new numbers).
    Status replace_metric_aggregates(int64_t eval_id, const std::vector<MetricAggregateRow>& rows);
    Result<std::vector<MetricAggregateRow>> metric_aggregates(int64_t eval_id) const;

    // --- benchmarks ----------------------------------------------------------------------
    Result<int64_t> add_benchmark(const BenchmarkRow& row);
    Result<std::vector<BenchmarkRow>> benchmarks() const;

    // --- human ratings -------------------------------------------------------------------
    // Insert or update on (rater, eval_id, item_id, model). Error when a criterion is outside
    // 1..5 (checked here with the field name; the table's CHECK constraint backs it up).
    Status upsert_rating(const RatingRow& row);
    // `eval_id` < 0: ratings of every evaluation.
    Result<std::vector<RatingRow>> list_ratings(const std::string& model = "",
                                                int64_t eval_id = -1) const;
    // Means per model and agreement over the ratings of `eval_id` (< 0: all; agreement units
    // are then (evaluation, item, model)).
    Result<RatingsSummary> ratings_summary(int64_t eval_id = -1) const;

    // Stores the orders of items that have none yet for (rater, eval_id, item_id); an item
    // with a stored order keeps it (the rows of such an item are ignored). One transaction.
    Status add_rating_orders(const std::vector<RatingOrderRow>& rows);
    // Items in the order their orders were stored, positions ascending within an item.
    Result<std::vector<RatingOrderRow>> rating_orders(const std::string& rater,
                                                      int64_t eval_id) const;
    // The rater has seen which model wrote which output (kept: revealing cannot be undone).
    Status reveal_ratings(const std::string& rater, int64_t eval_id);
    // ISO time of the reveal, nullopt while still blind.
    Result<std::optional<std::string>> ratings_revealed_at(const std::string& rater,
                                                           int64_t eval_id) const;
    // Insert or update on (rater, eval_id, item_id, {model_a, model_b}).
    Status upsert_preference(const PreferenceRow& row);
    // `eval_id` < 0: every evaluation.
    Result<std::vector<PreferenceRow>> list_preferences(int64_t eval_id = -1) const;
    Result<std::vector<PreferenceSummary>> preference_summary(int64_t eval_id = -1) const;
    // Exact two-sided sign (binomial p = 1/2) test of `wins` against `losses`.
    static double sign_test_p(int64_t wins, int64_t losses);

    // --- what raters are shown -----------------------------------------------------------
    // Upsert on (eval_id, item_id), one transaction.
    Status add_user_messages(const std::vector<UserMessageRow>& rows);
    // Empty for evaluations run before schema v4 (their generations hold only the rendered
    // prompt).
    Result<std::vector<UserMessageRow>> user_messages(int64_t eval_id) const;

    // --- chat conversations (conversations.cpp) ------------------------------------------
    // Inserts (record.id == 0) or replaces the conversation and all its messages in one
    // transaction; returns its id. Error when record.id names no conversation, or a message
    // has a column outside [-1, adapters.size()] or a role that does not match its column.
    Result<int64_t> save_conversation(const ConversationRecord& record,
                                      const std::vector<ConversationMessage>& messages);
    // Records only (no messages), most recently updated first.
    Result<std::vector<ConversationRecord>> list_conversations() const;
    // nullopt when no conversation has that id.
    Result<std::optional<Conversation>> load_conversation(int64_t id) const;
    // Deletes it with its messages. Error when no conversation has that id.
    Status delete_conversation(int64_t id);

    // --- exports -------------------------------------------------------------------------
    // <results_dir>/evaluation/eval_<id>_<model-slug>.json, one per model (the study's
    // layout): metrics with CI and p-value vs base, per-category breakdown, generations with
    // their per-item metric values. Returns the files written.
    Result<std::vector<std::string>> export_evaluation_json(int64_t eval_id,
                                                            const std::string& results_dir) const;
    // <results_dir>/benchmarks/<engine>_<id>.json, one per benchmark row.
    Result<std::vector<std::string>> export_benchmarks_json(const std::string& results_dir) const;
    // One table as RFC 4180 CSV (header row, CRLF, quoting as needed). Tables: runs,
    // training_log, generations, metrics_item, metrics_aggregate, benchmarks, ratings,
    // rating_orders, rating_reveals, preferences, eval_user_messages, conversations,
    // conversation_messages (position-bias and preference analyses outside tunebench start
    // from these).
    Status export_csv(const std::string& table, const std::string& csv_path) const;

    // Low-level access for tests and tools (PRAGMA checks).
    sqlite3* handle() const { return db_; }

  private:
    Store() = default;
    sqlite3* db_ = nullptr;
    std::string path_;
};

// RFC 4180 field: quoted (with doubled quotes) when it contains ',', '"', CR or LF.
std::string csv_field(const std::string& s);

}  // namespace tb::store
