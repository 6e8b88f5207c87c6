// Experiment store: schema and migrations from every earlier version, crash safety of a killed
// writer, ratings upsert and summary statistics, Krippendorff's alpha, exports.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/common/file_io.h"
#include "core/store/store.h"
#include "core/store/store_backup.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using namespace tb::store;

namespace {

// The v1 schema written out by hand (as released), independent of the store's migration text.
const char* kV1Ddl = R"sql(
CREATE TABLE runs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('train','eval','bench')),
  name TEXT NOT NULL DEFAULT '', config_yaml TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'running',
  started_at TEXT NOT NULL, finished_at TEXT, output_dir TEXT NOT NULL DEFAULT '');
CREATE TABLE training_log (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,
  loss REAL NOT NULL, learning_rate REAL NOT NULL, grad_norm REAL NOT NULL, tokens_per_s REAL NOT NULL,
  memory_bytes INTEGER NOT NULL, eval_loss REAL, elapsed_s REAL NOT NULL, PRIMARY KEY (run_id, step));
CREATE TABLE generations (eval_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, model TEXT NOT NULL,
  item_id TEXT NOT NULL, prompt TEXT NOT NULL, output TEXT NOT NULL, reference TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '', tokens INTEGER NOT NULL, seconds REAL NOT NULL, UNIQUE (eval_id, model, item_id));
CREATE TABLE metrics_item (eval_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, model TEXT NOT NULL,
  metric TEXT NOT NULL, item_id TEXT NOT NULL, value REAL NOT NULL, UNIQUE (eval_id, model, metric, item_id));
CREATE TABLE metrics_aggregate (eval_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, model TEXT NOT NULL,
  metric TEXT NOT NULL, category TEXT, value REAL NOT NULL, ci_lo REAL NOT NULL, ci_hi REAL NOT NULL, p_value REAL);
CREATE TABLE benchmarks (id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  engine TEXT NOT NULL, model TEXT NOT NULL, latency_s REAL NOT NULL, tokens_per_s REAL NOT NULL,
  memory_bytes INTEGER NOT NULL, load_time_s REAL NOT NULL, config_json TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL);
CREATE TABLE ratings (rater TEXT NOT NULL, item_id TEXT NOT NULL, model TEXT NOT NULL,
  relevance INTEGER NOT NULL CHECK (relevance BETWEEN 1 AND 5), coherence INTEGER NOT NULL CHECK (coherence BETWEEN 1 AND 5),
  fluency INTEGER NOT NULL CHECK (fluency BETWEEN 1 AND 5), completeness INTEGER NOT NULL CHECK (completeness BETWEEN 1 AND 5),
  rated_at TEXT NOT NULL, UNIQUE (rater, item_id, model));
PRAGMA user_version = 1;
)sql";

void raw_exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
}

std::string query_text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

// One value from a database file (its own read-only connection).
std::string query_text_of(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    const std::string out = query_text(db, sql);
    sqlite3_close(db);
    return out;
}

std::unique_ptr<Store> open_store(const std::string& path) {
    auto s = Store::open(path);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s.value()) : nullptr;
}

}  // namespace

TEST(Store, FreshDatabaseHasCurrentSchemaAndPragmas) {
    auto dir = tbtest::scratch_dir("store_fresh");
    auto s = open_store(dir + "/ws/tunebench.sqlite");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    EXPECT_EQ(query_text(s->handle(), "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query_text(s->handle(), "PRAGMA foreign_keys"), "1");
    EXPECT_EQ(query_text(s->handle(), "PRAGMA synchronous"), "2");  // FULL
    // v2 objects exist.
    EXPECT_EQ(query_text(s->handle(),
                         "SELECT count(*) FROM pragma_table_info('ratings') "
                         "WHERE name = 'notes'"),
              "1");
    EXPECT_EQ(query_text(s->handle(),
                         "SELECT count(*) FROM sqlite_master WHERE name = "
                         "'idx_generations_eval_model'"),
              "1");
    // Reopening is a no-op.
    s.reset();
    s = open_store(dir + "/ws/tunebench.sqlite");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
}

TEST(Store, MigratesFromVersion0EmptyFile) {
    auto dir = tbtest::scratch_dir("store_v0");
    const std::string path = dir + "/db.sqlite";
    raw_exec(path, "PRAGMA user_version = 0");  // an existing, empty database
    auto s = open_store(path);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
}

TEST(Store, MigratesFromVersion1KeepingData) {
    auto dir = tbtest::scratch_dir("store_v1");
    const std::string path = dir + "/db.sqlite";
    raw_exec(path, kV1Ddl);
    raw_exec(
        path,
        "INSERT INTO runs (id, kind, name, started_at) VALUES (7, 'eval', 'old', '2024-01-01');"
        "INSERT INTO ratings VALUES ('ann', 'i1', 'base', 4, 3, 5, 2, '2024-01-02');"
        "INSERT INTO metrics_aggregate VALUES (7, 'base', 'bleu', NULL, 4.3, 4.0, 4.6, NULL);"
        "INSERT INTO generations VALUES (7, 'base', 'i1', 'p', 'o', 'r', 'qa', 3, 0.5);");
    auto s = open_store(path);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    // The version-1 file was backed up before the migration (store_backup.h), verified.
    const auto backups = tb::store::list_backups(path);
    ASSERT_EQ(backups.size(), 1u);
    EXPECT_EQ(backups[0].reason, "before-v" + std::to_string(kSchemaVersion));
    EXPECT_EQ(query_text_of(backups[0].path, "PRAGMA user_version"), "1");
    EXPECT_EQ(query_text_of(backups[0].path, "SELECT fluency FROM ratings"), "5");
    auto run = s->get_run(7);
    ASSERT_TRUE(run.ok() && run->has_value());
    EXPECT_EQ((*run)->name, "old");
    auto ratings = s->list_ratings();
    ASSERT_TRUE(ratings.ok());
    ASSERT_EQ(ratings->size(), 1u);
    EXPECT_EQ((*ratings)[0].fluency, 5);
    EXPECT_EQ((*ratings)[0].notes, "");  // new column, default
    auto aggs = s->metric_aggregates(7);
    ASSERT_TRUE(aggs.ok());
    ASSERT_EQ(aggs->size(), 1u);
    EXPECT_DOUBLE_EQ((*aggs)[0].value, 4.3);
    EXPECT_EQ((*aggs)[0].n_items, 0);
    EXPECT_FALSE((*aggs)[0].category.has_value());
    auto gens = s->generations(7);
    ASSERT_TRUE(gens.ok());
    ASSERT_EQ(gens->size(), 1u);
    EXPECT_EQ((*gens)[0].category, "qa");
    // New v2 functionality works on the migrated file.
    RatingRow r{"bob", "i1", "base", 2, 2, 2, 2, "short", "", 0, std::nullopt};
    ASSERT_TRUE(s->upsert_rating(r).ok());
}

TEST(Store, MigratesFromVersion2TyingRatingsToEvaluations) {
    auto dir = tbtest::scratch_dir("store_v2");
    const std::string path = dir + "/db.sqlite";
    // v2 as released: v1 plus its migration, written out by hand.
    raw_exec(path, kV1Ddl);
    raw_exec(path,
             "ALTER TABLE ratings ADD COLUMN notes TEXT NOT NULL DEFAULT '';"
             "ALTER TABLE metrics_aggregate ADD COLUMN n_items INTEGER NOT NULL DEFAULT 0;"
             "CREATE INDEX idx_generations_eval_model ON generations(eval_id, model);"
             "CREATE INDEX idx_metrics_aggregate_eval ON metrics_aggregate(eval_id, model, "
             "metric);"
             "PRAGMA user_version = 2;");
    raw_exec(path,
             "INSERT INTO runs (id, kind, started_at) VALUES (3, 'eval', '2024-01-01');"
             "INSERT INTO runs (id, kind, started_at) VALUES (4, 'eval', '2024-01-02');"
             // i1/base only in eval 3; i2/base in evals 3 and 4 (ambiguous); i9 in none.
             "INSERT INTO generations VALUES (3, 'base', 'i1', 'p', 'o', 'r', 'qa', 3, 0.5);"
             "INSERT INTO generations VALUES (3, 'base', 'i2', 'p', 'o', 'r', 'qa', 3, 0.5);"
             "INSERT INTO generations VALUES (4, 'base', 'i2', 'p', 'o', 'r', 'qa', 3, 0.5);"
             "INSERT INTO ratings VALUES ('ann', 'i1', 'base', 4, 3, 5, 2, '2024-01-03', 'n1');"
             "INSERT INTO ratings VALUES ('ann', 'i2', 'base', 1, 2, 3, 4, '2024-01-03', '');"
             "INSERT INTO ratings VALUES ('ann', 'i9', 'base', 5, 5, 5, 5, '2024-01-03', '');");
    auto s = open_store(path);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    auto all = s->list_ratings();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 3u);
    std::map<std::string, RatingRow> by_item;
    for (const auto& r : all.value()) by_item[r.item_id] = r;
    EXPECT_EQ(by_item["i1"].eval_id, 3);  // the one evaluation with that output
    EXPECT_EQ(by_item["i2"].eval_id, 0);  // ambiguous: unknown
    EXPECT_EQ(by_item["i9"].eval_id, 0);
    EXPECT_EQ(by_item["i1"].notes, "n1");
    EXPECT_EQ(by_item["i1"].fluency, 5);
    EXPECT_EQ(by_item["i1"].rated_at, "2024-01-03");
    // The CSV column order only gained eval_id at the end (v3), then blind (v4).
    EXPECT_EQ(
        query_text(s->handle(), "SELECT group_concat(name, ',') FROM pragma_table_info('ratings')"),
        "rater,item_id,model,relevance,coherence,fluency,completeness,rated_at,notes,"
        "eval_id,blind");
    // The same item and model rated in another evaluation is another rating.
    RatingRow r{"ann", "i1", "base", 1, 1, 1, 1, "", "", 4, std::nullopt};
    ASSERT_TRUE(s->upsert_rating(r).ok());
    r.relevance = 2;
    ASSERT_TRUE(s->upsert_rating(r).ok());  // upsert within eval 4
    auto e4 = s->list_ratings("", 4);
    ASSERT_TRUE(e4.ok());
    ASSERT_EQ(e4->size(), 1u);
    EXPECT_EQ((*e4)[0].relevance, 2);
    auto e3 = s->list_ratings("base", 3);
    ASSERT_EQ(e3->size(), 1u);
    EXPECT_EQ((*e3)[0].relevance, 4);
    auto sum = s->ratings_summary(3);
    ASSERT_TRUE(sum.ok());
    ASSERT_EQ(sum->models.size(), 1u);
    EXPECT_EQ(sum->models[0].criteria[0].n, 1);
    EXPECT_EQ(s->ratings_summary()->models[0].criteria[0].n, 4);
    // Deleting an evaluation run takes its ratings with it.
    raw_exec(path, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = 4;");
    EXPECT_EQ(s->list_ratings("", 4)->size(), 0u);
    EXPECT_EQ(s->list_ratings()->size(), 3u);
}

TEST(Store, MigratesFromVersion3AddingBlindRatingTables) {
    auto dir = tbtest::scratch_dir("store_v3");
    const std::string path = dir + "/db.sqlite";
    // v3 as released: v1, its v2 migration and the v3 ratings rebuild, written out by hand.
    raw_exec(path, kV1Ddl);
    raw_exec(path,
             "ALTER TABLE ratings ADD COLUMN notes TEXT NOT NULL DEFAULT '';"
             "ALTER TABLE metrics_aggregate ADD COLUMN n_items INTEGER NOT NULL DEFAULT 0;"
             "CREATE INDEX idx_generations_eval_model ON generations(eval_id, model);"
             "CREATE INDEX idx_metrics_aggregate_eval ON metrics_aggregate(eval_id, model, "
             "metric);"
             "DROP TABLE ratings;"
             "CREATE TABLE ratings (rater TEXT NOT NULL, item_id TEXT NOT NULL, model TEXT NOT "
             "NULL, relevance INTEGER NOT NULL CHECK (relevance BETWEEN 1 AND 5), coherence "
             "INTEGER NOT NULL CHECK (coherence BETWEEN 1 AND 5), fluency INTEGER NOT NULL "
             "CHECK (fluency BETWEEN 1 AND 5), completeness INTEGER NOT NULL CHECK "
             "(completeness BETWEEN 1 AND 5), rated_at TEXT NOT NULL, notes TEXT NOT NULL "
             "DEFAULT '', eval_id INTEGER NOT NULL DEFAULT 0, UNIQUE (rater, eval_id, item_id, "
             "model));"
             "CREATE INDEX idx_ratings_eval ON ratings(eval_id, model);"
             "CREATE TRIGGER runs_delete_ratings AFTER DELETE ON runs BEGIN DELETE FROM ratings "
             "WHERE eval_id = OLD.id; END;"
             "PRAGMA user_version = 3;");
    raw_exec(path,
             "INSERT INTO runs (id, kind, started_at) VALUES (5, 'eval', '2024-01-01');"
             "INSERT INTO generations VALUES (5, 'base', 'i1', '<s><|user|>\nq</s>', 'o', 'r', "
             "'qa', 3, 0.5);"
             "INSERT INTO ratings VALUES ('ann', 'i1', 'base', 4, 3, 5, 2, '2024-01-03', 'n', "
             "5);");
    auto s = open_store(path);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    // Old ratings keep every value; whether they were blind is unknown.
    auto rows = s->list_ratings();
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].eval_id, 5);
    EXPECT_EQ((*rows)[0].notes, "n");
    EXPECT_EQ((*rows)[0].completeness, 2);
    EXPECT_FALSE((*rows)[0].blind.has_value());
    // An evaluation run before v4 has no user messages: the GUI falls back to the prompt.
    EXPECT_TRUE(s->user_messages(5)->empty());
    // The new tables work on the migrated file, and deleting the run takes their rows along.
    ASSERT_TRUE(
        s->add_rating_orders({{"ann", 5, "i1", 0, "ft", 9, ""}, {"ann", 5, "i1", 1, "base", 9, ""}})
            .ok());
    ASSERT_TRUE(s->upsert_preference({"ann", 5, "i1", "ft", "base", "a", true, ""}).ok());
    ASSERT_TRUE(s->reveal_ratings("ann", 5).ok());
    ASSERT_TRUE(s->add_user_messages({{5, "i1", "q", ""}}).ok());
    RatingRow blind{"ann", "i1", "ft", 2, 2, 2, 2, "", "", 5, true};
    ASSERT_TRUE(s->upsert_rating(blind).ok());
    EXPECT_EQ(s->list_ratings("ft")->at(0).blind, std::optional<bool>(true));
    raw_exec(path, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = 5;");
    for (const char* table :
         {"rating_orders", "rating_reveals", "preferences", "eval_user_messages", "ratings"})
        EXPECT_EQ(query_text(s->handle(), std::string("SELECT count(*) FROM ") + table), "0")
            << table;
}

TEST(Store, RatingOrdersAreStoredOnceAndRevealsKept) {
    auto dir = tbtest::scratch_dir("store_orders");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->add_rating_orders({{"ann", 1, "i2", 0, "ft", 7, ""},
                                      {"ann", 1, "i2", 1, "base", 7, ""},
                                      {"ann", 1, "i1", 0, "base", 7, ""},
                                      {"ann", 1, "i1", 1, "ft", 7, ""}})
                    .ok());
    // A second draw for i1 (another session) is ignored: the first order stays; i3 is new.
    ASSERT_TRUE(s->add_rating_orders({{"ann", 1, "i1", 0, "ft", 8, ""},
                                      {"ann", 1, "i1", 1, "base", 8, ""},
                                      {"ann", 1, "i3", 1, "base", 8, ""},
                                      {"ann", 1, "i3", 0, "ft", 8, ""}})
                    .ok());
    auto o = s->rating_orders("ann", 1);
    ASSERT_TRUE(o.ok());
    ASSERT_EQ(o->size(), 6u);
    const std::vector<std::tuple<std::string, int, std::string, uint32_t>> expected = {
        {"i2", 0, "ft", 7}, {"i2", 1, "base", 7}, {"i1", 0, "base", 7},
        {"i1", 1, "ft", 7}, {"i3", 0, "ft", 8},   {"i3", 1, "base", 8}};
    for (size_t k = 0; k < expected.size(); ++k) {
        const auto& r = (*o)[k];
        EXPECT_EQ(std::make_tuple(r.item_id, r.position, r.model, r.seed), expected[k]) << k;
        EXPECT_FALSE(r.assigned_at.empty());
    }
    EXPECT_TRUE(s->rating_orders("bob", 1)->empty());  // per rater
    EXPECT_TRUE(s->rating_orders("ann", 2)->empty());  // per evaluation
    // A model twice in one item's order is refused by the table (all of the call rolls back).
    EXPECT_FALSE(
        s->add_rating_orders({{"ann", 1, "i4", 0, "ft", 1, ""}, {"ann", 1, "i4", 1, "ft", 1, ""}})
            .ok());
    EXPECT_EQ(s->rating_orders("ann", 1)->size(), 6u);

    EXPECT_FALSE(s->ratings_revealed_at("ann", 1)->has_value());
    ASSERT_TRUE(s->reveal_ratings("ann", 1).ok());
    const auto at = s->ratings_revealed_at("ann", 1).value();
    ASSERT_TRUE(at.has_value());
    ASSERT_TRUE(s->reveal_ratings("ann", 1).ok());  // idempotent, keeps the first time
    EXPECT_EQ(s->ratings_revealed_at("ann", 1).value(), at);
    EXPECT_FALSE(s->ratings_revealed_at("bob", 1)->has_value());
    EXPECT_FALSE(s->reveal_ratings("", 1).ok());
}

TEST(Store, PreferencesUpsertPerUnorderedPairAndSummary) {
    auto dir = tbtest::scratch_dir("store_prefs");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    auto bad = s->upsert_preference({"ann", 1, "i1", "ft", "base", "left", true, ""});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("preferences.choice"), std::string::npos);
    EXPECT_FALSE(s->upsert_preference({"ann", 1, "i1", "ft", "ft", "a", true, ""}).ok());
    EXPECT_FALSE(s->upsert_preference({"", 1, "i1", "ft", "base", "a", true, ""}).ok());

    // The same pair answered again, shown the other way round, replaces the answer.
    ASSERT_TRUE(s->upsert_preference({"ann", 1, "i1", "ft", "base", "a", true, ""}).ok());
    ASSERT_TRUE(s->upsert_preference({"ann", 1, "i1", "base", "ft", "tie", false, ""}).ok());
    auto rows = s->list_preferences(1);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].model_a, "base");
    EXPECT_EQ((*rows)[0].choice, "tie");
    EXPECT_EQ((*rows)[0].blind, std::optional<bool>(false));

    // ft vs base over 11 items: ft preferred 8 times (5 shown first, 3 second), base twice
    // (both shown first), one tie.
    for (int i = 2; i <= 11; ++i) {
        const bool ftFirst = i <= 8;
        const bool ftWins = i <= 6 || i == 9 || i == 10 || i == 11;
        const std::string first = ftFirst ? "ft" : "base", second = ftFirst ? "base" : "ft";
        const std::string choice = (ftWins == ftFirst) ? "a" : "b";
        ASSERT_TRUE(s->upsert_preference(
                         {"ann", 1, "i" + std::to_string(i), first, second, choice, true, ""})
                        .ok());
    }
    // Another evaluation is separate.
    ASSERT_TRUE(s->upsert_preference({"ann", 2, "i1", "ft", "base", "a", true, ""}).ok());
    auto sum = s->preference_summary(1);
    ASSERT_TRUE(sum.ok());
    ASSERT_EQ(sum->size(), 1u);
    const PreferenceSummary& p = (*sum)[0];
    EXPECT_EQ(p.model_x, "base");
    EXPECT_EQ(p.model_y, "ft");
    EXPECT_EQ(p.x_wins, 2);  // i7, i8: ft first, base chosen
    EXPECT_EQ(p.y_wins, 8);
    EXPECT_EQ(p.ties, 1);
    EXPECT_EQ(p.first_wins, 5 + 0);   // ft first and chosen: i2..i6
    EXPECT_EQ(p.second_wins, 2 + 3);  // base second chosen: i7, i8; ft second chosen: i9..i11
    // Sign test, 8 vs 2: 2 * (C(10,0) + C(10,1) + C(10,2)) / 2^10 = 112 / 1024.
    ASSERT_TRUE(p.p_value.has_value());
    EXPECT_NEAR(*p.p_value, 112.0 / 1024.0, 1e-12);
    EXPECT_EQ(s->preference_summary()->at(0).y_wins, 9);  // every evaluation
    EXPECT_DOUBLE_EQ(Store::sign_test_p(5, 5), 1.0);
    EXPECT_DOUBLE_EQ(Store::sign_test_p(0, 0), 1.0);
    EXPECT_NEAR(Store::sign_test_p(0, 6), 2.0 / 64.0, 1e-15);
    // Large n stays finite and symmetric.
    EXPECT_NEAR(Store::sign_test_p(600, 400), Store::sign_test_p(400, 600), 1e-15);
    EXPECT_LT(Store::sign_test_p(600, 400), 1e-9);
    // The raw answers export for analyses elsewhere, both models resolved.
    const std::string csv = dir + "/preferences.csv";
    ASSERT_TRUE(s->export_csv("preferences", csv).ok());
    std::ifstream in(csv);
    std::string header;
    std::getline(in, header);
    EXPECT_EQ(header, "rater,eval_id,item_id,model_a,model_b,choice,blind,rated_at\r");
    std::string first;
    std::getline(in, first);
    EXPECT_EQ(first.rfind("ann,1,i1,base,ft,tie,0,", 0), 0u) << first;
    EXPECT_TRUE(s->export_csv("rating_orders", dir + "/orders.csv").ok());
}

TEST(Store, UserMessagesRoundTrip) {
    auto dir = tbtest::scratch_dir("store_messages");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    RunRecord run;
    run.kind = "eval";
    const int64_t id = s->add_run(run).value();
    ASSERT_TRUE(s->add_user_messages({{id, "3", "Name a fruit.", ""},
                                      {id, "1", "Summarise.", "user: earlier turn"}})
                    .ok());
    ASSERT_TRUE(s->add_user_messages({{id, "3", "Name a red fruit.", ""}}).ok());  // upsert
    auto m = s->user_messages(id);
    ASSERT_TRUE(m.ok());
    ASSERT_EQ(m->size(), 2u);
    EXPECT_EQ((*m)[0].item_id, "1");
    EXPECT_EQ((*m)[0].context, "user: earlier turn");
    EXPECT_EQ((*m)[1].instruction, "Name a red fruit.");
    EXPECT_FALSE(s->add_user_messages({{id + 100, "1", "x", ""}}).ok());  // no such run
}

TEST(Store, MigratesFromVersion4AddingConversations) {
    auto dir = tbtest::scratch_dir("store_v4");
    const std::string path = dir + "/db.sqlite";
    {
        auto s = open_store(path);
        ASSERT_TRUE(s);
        RunRecord run;
        run.kind = "train";
        run.name = "kept";
        ASSERT_TRUE(s->add_run(run).ok());
    }
    // v5 only adds the two conversation tables: without them and at user_version 4 the file
    // is exactly a v4 store.
    raw_exec(path,
             "DROP TABLE conversation_messages; DROP TABLE conversations; "
             "PRAGMA user_version = 4;");
    EXPECT_EQ(query_text_of(path,
                            "SELECT count(*) FROM sqlite_master WHERE name LIKE "
                            "'conversation%'"),
              "0");
    auto s = open_store(path);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    EXPECT_EQ(s->list_runs()->at(0).name, "kept");
    EXPECT_TRUE(s->list_conversations()->empty());
    ConversationRecord rec;
    rec.title = "t";
    EXPECT_TRUE(s->save_conversation(rec, {}).ok());
}

TEST(Store, ConversationsRoundTripReplaceAndDelete) {
    auto dir = tbtest::scratch_dir("store_conversations");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    ConversationRecord rec;
    rec.title = "Capitals";
    rec.system_prompt = "Answer briefly.";
    rec.model_dir = "/m";
    rec.adapters = {"/runs/a/adapter", "/runs/b \"q\"/adapter"};
    rec.settings_json = R"({"greedy":true})";
    std::vector<ConversationMessage> msgs = {
        {0, -1, "user", "Capital of Peru?", 0, 0, ""},
        {0, 0, "assistant", "Lima.", 3, 0.25, "eos"},
        {0, 1, "assistant", "Lima", 2, 0.5, "eos"},
        {0, 2, "assistant", "Cusco", 4, 0.75, "length"},
        {1, -1, "user", "And Chile?", 0, 0, ""},
        {1, 0, "assistant", "Santiago.", 3, 0.125, "cancelled"},
    };
    auto id = s->save_conversation(rec, msgs);
    ASSERT_TRUE(id.ok()) << id.error().message;
    EXPECT_GT(*id, 0);
    auto c = s->load_conversation(*id);
    ASSERT_TRUE(c.ok() && c->has_value());
    const Conversation& conv = **c;
    EXPECT_EQ(conv.record.title, "Capitals");
    EXPECT_EQ(conv.record.system_prompt, "Answer briefly.");
    EXPECT_EQ(conv.record.adapters, rec.adapters);
    EXPECT_EQ(conv.record.settings_json, rec.settings_json);
    EXPECT_FALSE(conv.record.created_at.empty());
    ASSERT_EQ(conv.messages.size(), msgs.size());
    for (size_t i = 0; i < msgs.size(); ++i) {
        EXPECT_EQ(conv.messages[i].turn, msgs[i].turn) << i;
        EXPECT_EQ(conv.messages[i].column, msgs[i].column) << i;
        EXPECT_EQ(conv.messages[i].role, msgs[i].role) << i;
        EXPECT_EQ(conv.messages[i].content, msgs[i].content) << i;
        EXPECT_EQ(conv.messages[i].tokens, msgs[i].tokens) << i;
        EXPECT_EQ(conv.messages[i].seconds, msgs[i].seconds) << i;  // binary fractions: exact
        EXPECT_EQ(conv.messages[i].finish_reason, msgs[i].finish_reason) << i;
    }
    // Saving again under the id replaces the messages (a turn removed, the title changed).
    ConversationRecord again = conv.record;
    again.title = "Capitals of South America";
    msgs.resize(4);
    ASSERT_EQ(s->save_conversation(again, msgs).value(), *id);
    auto c2 = s->load_conversation(*id);
    EXPECT_EQ((*c2)->messages.size(), 4u);
    EXPECT_EQ((*c2)->record.title, "Capitals of South America");
    // A second conversation is listed first (most recently updated).
    ConversationRecord other;
    other.title = "Second";
    const int64_t id2 = s->save_conversation(other, {{0, -1, "user", "hi", 0, 0, ""}}).value();
    auto list = s->list_conversations();
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].id, id2);
    EXPECT_EQ((*list)[1].adapters.size(), 2u);
    // Bad messages are refused with the field named, and nothing is written.
    auto bad = s->save_conversation(other, {{0, 1, "assistant", "x", 0, 0, ""}});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("column outside [-1, 0]"), std::string::npos);
    EXPECT_FALSE(s->save_conversation(other, {{0, 0, "user", "x", 0, 0, ""}}).ok());
    ConversationRecord missing;
    missing.id = 999;
    EXPECT_FALSE(s->save_conversation(missing, {}).ok());
    EXPECT_EQ(s->list_conversations()->size(), 2u);
    // Delete takes the messages along.
    ASSERT_TRUE(s->delete_conversation(*id).ok());
    EXPECT_FALSE(s->load_conversation(*id)->has_value());
    EXPECT_EQ(query_text(s->handle(), "SELECT count(*) FROM conversation_messages"), "1");
    EXPECT_FALSE(s->delete_conversation(*id).ok());
    // The tables export as CSV like the others.
    ASSERT_TRUE(s->export_csv("conversation_messages", dir + "/m.csv").ok());
}

TEST(Store, RejectsNewerSchemaAndNonDatabase) {
    auto dir = tbtest::scratch_dir("store_bad");
    raw_exec(dir + "/new.sqlite", "PRAGMA user_version = 99");
    auto s = Store::open(dir + "/new.sqlite");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("new.sqlite"), std::string::npos);
    EXPECT_NE(s.error().message.find("newer"), std::string::npos);
    ASSERT_TRUE(tb::write_file_atomic(dir + "/junk.sqlite", std::string(4096, 'x')).ok());
    auto j = Store::open(dir + "/junk.sqlite");
    ASSERT_FALSE(j.ok());
    EXPECT_NE(j.error().message.find("junk.sqlite"), std::string::npos);
}

// The GUI thread and the worker open one new store at the same moment. Converting a fresh file
// to WAL needs an exclusive lock and SQLite runs no busy handler for that pragma, so without a
// retry one of the opens failed at once with "database is locked" (clean-clone CI, issue 10's
// kill test). Eight threads open each of 20 fresh files together; every open must succeed.
TEST(Store, ConcurrentFirstOpensOfOneNewFileAllSucceed) {
    auto dir = tbtest::scratch_dir("store_concurrent_open");
    constexpr int kThreads = 8;
    for (int round = 0; round < 20; ++round) {
        const std::string db = dir + "/r" + std::to_string(round) + ".sqlite";
        std::atomic<int> ready{0};
        std::vector<std::string> errors(kThreads);
        std::vector<std::thread> ts;
        for (int t = 0; t < kThreads; ++t)
            ts.emplace_back([&, t] {
                ++ready;
                while (ready.load() < kThreads) std::this_thread::yield();
                auto s = Store::open(db);
                if (!s.ok()) errors[t] = s.error().message;
            });
        for (auto& t : ts) t.join();
        for (int t = 0; t < kThreads; ++t)
            ASSERT_EQ(errors[t], "") << "round " << round << ", thread " << t;
    }
}

TEST(Store, ErrorsNameFileAndStatement) {
    auto dir = tbtest::scratch_dir("store_err");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    // Foreign key: a training log row for a run that does not exist.
    TrainingLogRow row;
    row.run_id = 12345;
    auto st = s->append_training_log({row});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("db.sqlite"), std::string::npos);
    EXPECT_NE(st.error().message.find("INSERT OR REPLACE INTO training_log"), std::string::npos);
    EXPECT_NE(st.error().message.find("FOREIGN KEY"), std::string::npos) << st.error().message;
}

TEST(Store, RunsTrainingLogGenerationsMetricsRoundTrip) {
    auto dir = tbtest::scratch_dir("store_rt");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    RunRecord run;
    run.kind = "train";
    run.config_yaml = "model:\n  name: x\n";
    run.output_dir = "outputs/reference/1";
    auto id = s->add_run(run);
    ASSERT_TRUE(id.ok());
    std::vector<TrainingLogRow> rows;
    for (int i = 1; i <= 5; ++i) {
        TrainingLogRow r;
        r.run_id = *id;
        r.step = i * 10;
        r.loss = 3.0 / i;
        r.learning_rate = 2e-4;
        r.grad_norm = 0.5;
        r.tokens_per_s = 100;
        r.memory_bytes = 1 << 20;
        if (i == 5) r.eval_loss = 1.25;
        r.elapsed_s = i;
        rows.push_back(r);
    }
    ASSERT_TRUE(s->append_training_log(rows).ok());
    auto log = s->training_log(*id);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->size(), 5u);
    EXPECT_DOUBLE_EQ((*log)[2].loss, 1.0);
    EXPECT_FALSE((*log)[0].eval_loss.has_value());
    EXPECT_DOUBLE_EQ(*(*log)[4].eval_loss, 1.25);
    ASSERT_TRUE(s->finish_run(*id, "completed").ok());
    auto got = s->get_run(*id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->status, "completed");
    EXPECT_FALSE((*got)->finished_at.empty());
    EXPECT_FALSE(s->finish_run(999, "completed").ok());

    // Generation upsert replaces the row for the same (eval, model, item).
    auto eval = s->add_run({0, "eval", "e", "", "", "", "", ""});
    ASSERT_TRUE(eval.ok());
    GenerationRow g{*eval, "base", "3", "p", "first", "ref", "qa", 4, 0.1};
    ASSERT_TRUE(s->add_generation(g).ok());
    g.output = "second";
    ASSERT_TRUE(s->add_generation(g).ok());
    auto gens = s->generations(*eval, "base");
    ASSERT_TRUE(gens.ok());
    ASSERT_EQ(gens->size(), 1u);
    EXPECT_EQ((*gens)[0].output, "second");

    // Deleting a run cascades.
    raw_exec(dir + "/db.sqlite",
             "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = " + std::to_string(*id));
    log = s->training_log(*id);
    ASSERT_TRUE(log.ok());
    EXPECT_TRUE(log->empty());
}

// The runs view's queries: summaries computed from the log rows, rename, delete with cascade.
TEST(Store, TrainRunSummariesRenameAndDelete) {
    auto dir = tbtest::scratch_dir("store_runs_view");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    const int64_t a = s->add_run({0, "train", "first", "", "", "", "", "out/a"}).value();
    const int64_t empty = s->add_run({0, "train", "", "", "", "", "", "out/b"}).value();
    const int64_t ev = s->add_run({0, "eval", "e", "", "", "", "", ""}).value();
    std::vector<TrainingLogRow> rows;
    // Eval losses at steps 2 (0.9) and 4 (1.1): last eval 1.1, best 0.9; memory peaks at step 3.
    const double losses[] = {2.0, 1.5, 1.25, 1.0};
    for (int i = 1; i <= 4; ++i) {
        TrainingLogRow r;
        r.run_id = a;
        r.step = i;
        r.loss = losses[i - 1];
        r.tokens_per_s = 10.0 * i;
        r.memory_bytes = i == 3 ? 900 : 100 * i;
        r.elapsed_s = 0.5 * i;
        if (i == 2) r.eval_loss = 0.9;
        if (i == 4) r.eval_loss = 1.1;
        rows.push_back(r);
    }
    // Appended out of order: the summary follows the step, not the insertion order.
    std::swap(rows[0], rows[3]);
    ASSERT_TRUE(s->append_training_log(rows).ok());
    auto sums = s->train_run_summaries();
    ASSERT_TRUE(sums.ok()) << sums.error().message;
    ASSERT_EQ(sums->size(), 2u);  // train runs only
    const auto& x = (*sums)[0];
    EXPECT_EQ(x.run_id, a);
    EXPECT_EQ(x.logged_steps, 4);
    EXPECT_EQ(x.last_step, 4);
    ASSERT_TRUE(x.final_loss && x.last_eval_loss && x.best_eval_loss);
    EXPECT_DOUBLE_EQ(*x.final_loss, 1.0);
    EXPECT_DOUBLE_EQ(*x.last_eval_loss, 1.1);
    EXPECT_DOUBLE_EQ(*x.best_eval_loss, 0.9);
    EXPECT_DOUBLE_EQ(x.tokens_per_s, 40.0);
    EXPECT_DOUBLE_EQ(x.elapsed_s, 2.0);
    EXPECT_EQ(x.peak_memory_bytes, 900);
    const auto& y = (*sums)[1];
    EXPECT_EQ(y.run_id, empty);
    EXPECT_EQ(y.logged_steps, 0);
    EXPECT_FALSE(y.final_loss.has_value());
    EXPECT_FALSE(y.best_eval_loss.has_value());

    ASSERT_TRUE(s->rename_run(a, "renamed").ok());
    EXPECT_EQ(s->get_run(a).value()->name, "renamed");
    auto bad = s->rename_run(9999, "x");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("9999"), std::string::npos);

    ASSERT_TRUE(s->delete_run(a).ok());
    EXPECT_FALSE(s->get_run(a).value().has_value());
    EXPECT_TRUE(s->training_log(a).value().empty());
    EXPECT_TRUE(s->get_run(ev).value().has_value());
    EXPECT_FALSE(s->delete_run(a).ok());  // already gone
    ASSERT_EQ(s->train_run_summaries().value().size(), 1u);
}

// A child process commits one batch, then starts a second, large transaction and is SIGKILLed
// in the middle of it. The parent must find an intact database with exactly the first batch.
TEST(Store, KilledWriterLosesOnlyTheBatchInFlight) {
    auto dir = tbtest::scratch_dir("store_crash");
    const std::string path = dir + "/db.sqlite";
    int64_t run_id = 0;
    {
        auto s = open_store(path);
        ASSERT_TRUE(s);
        auto id = s->add_run({0, "train", "", "", "", "", "", ""});
        ASSERT_TRUE(id.ok());
        run_id = *id;
    }
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        auto s = Store::open(path);
        if (!s.ok()) _exit(3);
        std::vector<TrainingLogRow> batch(1000);
        for (size_t i = 0; i < batch.size(); ++i) {
            batch[i].run_id = run_id;
            batch[i].step = static_cast<int64_t>(i);
        }
        if (!(*s)->append_training_log(batch).ok()) _exit(4);
        char one = '1';
        if (write(fds[1], &one, 1) != 1) _exit(5);
        // Second batch: big enough to take seconds and to spill pages into the WAL.
        std::vector<TrainingLogRow> big(3000000);
        for (size_t i = 0; i < big.size(); ++i) {
            big[i].run_id = run_id;
            big[i].step = static_cast<int64_t>(1000 + i);
            big[i].loss = 1.0;
        }
        (void)(*s)->append_training_log(big);
        _exit(0);
    }
    close(fds[1]);
    char c = 0;
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    close(fds[0]);
    // Wait until the uncommitted transaction has written pages to the WAL, then kill.
    const std::string wal = path + "-wal";
    std::error_code ec;
    const auto committed_size = fs::file_size(wal, ec);
    bool spilled = false;
    for (int i = 0; i < 2000 && !spilled; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        spilled = fs::file_size(wal, ec) > committed_size + 4 * 1024 * 1024;
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child finished before it was killed";
    EXPECT_TRUE(spilled);

    auto s = open_store(path);
    ASSERT_TRUE(s);
    EXPECT_EQ(query_text(s->handle(), "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(query_text(s->handle(), "PRAGMA foreign_key_check"), "");
    auto log = s->training_log(run_id);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->size(), 1000u);
    EXPECT_EQ(log->back().step, 999);
    // And the database accepts writes again.
    ASSERT_TRUE(s->append_training_log({TrainingLogRow{run_id, 5000, 1, 1, 1, 1, 1, {}, 1}}).ok());
}

TEST(Store, RatingsUpsertValidationAndSummary) {
    auto dir = tbtest::scratch_dir("store_ratings");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    // Invalid value: error names the criterion.
    auto bad = s->upsert_rating({"ann", "1", "base", 0, 3, 3, 3, "", "", 0, std::nullopt});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("relevance"), std::string::npos);
    EXPECT_FALSE(s->upsert_rating({"ann", "1", "base", 3, 3, 6, 3, "", "", 0, std::nullopt}).ok());
    // The CHECK constraint backs the validation up for direct writes.
    sqlite3* db = s->handle();
    EXPECT_NE(sqlite3_exec(db,
                           "INSERT INTO ratings (rater,item_id,model,relevance,coherence,fluency,"
                           "completeness,rated_at) VALUES ('x','1','m',9,1,1,1,'t')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);

    ASSERT_TRUE(
        s->upsert_rating({"ann", "1", "base", 1, 1, 1, 1, "first", "", 0, std::nullopt}).ok());
    ASSERT_TRUE(s->upsert_rating({"ann", "1", "base", 4, 3, 5, 2, "changed", "", 0, std::nullopt})
                    .ok());  // upsert
    ASSERT_TRUE(s->upsert_rating({"bob", "1", "base", 5, 3, 4, 2, "", "", 0, std::nullopt}).ok());
    ASSERT_TRUE(s->upsert_rating({"ann", "2", "base", 3, 4, 4, 3, "", "", 0, std::nullopt}).ok());
    ASSERT_TRUE(s->upsert_rating({"bob", "2", "base", 2, 4, 5, 4, "", "", 0, std::nullopt}).ok());
    ASSERT_TRUE(s->upsert_rating({"ann", "1", "ft", 2, 2, 2, 2, "", "", 0, std::nullopt}).ok());
    auto all = s->list_ratings("base");
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 4u);
    EXPECT_EQ((*all)[0].rater, "ann");
    EXPECT_EQ((*all)[0].relevance, 4);
    EXPECT_EQ((*all)[0].notes, "changed");

    auto sum = s->ratings_summary();
    ASSERT_TRUE(sum.ok());
    ASSERT_EQ(sum->models.size(), 2u);
    const auto& base = sum->models[0];
    EXPECT_EQ(base.model, "base");
    // relevance of base: 4, 5, 3, 2 -> mean 3.5, sd = sqrt(5/3), t_{0.975,3} = 3.182446305
    const auto& rel = base.criteria[0];
    EXPECT_EQ(rel.criterion, "relevance");
    EXPECT_EQ(rel.n, 4);
    EXPECT_DOUBLE_EQ(rel.mean, 3.5);
    const double half = 3.182446305284263 * std::sqrt(5.0 / 3.0) / 2.0;
    EXPECT_NEAR(rel.ci_lo, 3.5 - half, 1e-9);
    EXPECT_NEAR(rel.ci_hi, 3.5 + half, 1e-9);
    // One rating: interval collapses to the mean.
    EXPECT_EQ(sum->models[1].criteria[0].n, 1);
    EXPECT_DOUBLE_EQ(sum->models[1].criteria[0].ci_lo, 2.0);
    // Agreement on coherence: units (1,base) = {3,3}, (2,base) = {4,4}, (1,ft) = {2}: perfect.
    ASSERT_EQ(sum->agreement.size(), 4u);
    EXPECT_EQ(sum->agreement[1].criterion, "coherence");
    EXPECT_EQ(sum->agreement[1].pairable_units, 2);
    ASSERT_TRUE(sum->agreement[1].alpha_interval.has_value());
    EXPECT_DOUBLE_EQ(*sum->agreement[1].alpha_interval, 1.0);
    // Relevance: units {4,5}, {3,2}. Values 2,3,4,5 each once; n = 4.
    // o: (4,5),(5,4),(3,2),(2,3) = 1 each. Interval: D_o sum = 4 * 1 = 4;
    // sum_c sum_k n_c n_k (c-k)^2 = 2 * (1+4+9+1+4+1) = 40; alpha = 1 - 3 * 4 / 40 = 0.7.
    EXPECT_NEAR(*sum->agreement[0].alpha_interval, 0.7, 1e-12);
    // Ordinal: delta(c,k) = (sum_{g=c..k} n_g - (n_c+n_k)/2)^2 with all n_g = 1: adjacent 1,
    // distance 2 -> 4, distance 3 -> 9: the same numbers as interval here.
    EXPECT_NEAR(*sum->agreement[0].alpha_ordinal, 0.7, 1e-12);
}

TEST(Store, StudentTQuantileKnownValues) {
    EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706204736174707, 1e-8);
    EXPECT_NEAR(student_t_quantile(0.975, 3), 3.182446305284263, 1e-9);
    EXPECT_NEAR(student_t_quantile(0.975, 30), 2.0422724563012373, 1e-9);
    EXPECT_NEAR(student_t_quantile(0.025, 10), -2.2281388519649385, 1e-9);
}

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
// twelve units, values 1..5 with missing data. Published: nominal 0.743, ordinal 0.815,
// interval 0.849.
TEST(Store, KrippendorffAlphaTextbookExample) {
    const double M = NAN;
    const double data[4][12] = {{1, 2, 3, 3, 2, 1, 4, 1, 2, M, M, M},
                                {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, M, 3},
                                {M, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, M},
                                {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, M}};
    std::vector<std::vector<double>> units(12);
    for (int u = 0; u < 12; ++u)
        for (int o = 0; o < 4; ++o)
            if (!std::isnan(data[o][u])) units[u].push_back(data[o][u]);
    EXPECT_NEAR(*krippendorff_alpha(units, AlphaMetric::Nominal), 0.743, 5e-4);
    EXPECT_NEAR(*krippendorff_alpha(units, AlphaMetric::Ordinal), 0.815, 5e-4);
    EXPECT_NEAR(*krippendorff_alpha(units, AlphaMetric::Interval), 0.849, 5e-4);
    // No pairable unit: undefined.
    EXPECT_FALSE(krippendorff_alpha({{1}, {2}}, AlphaMetric::Interval).has_value());
}

namespace {
// Minimal RFC 4180 reader for the round trip.
std::vector<std::vector<std::string>> parse_csv(const std::string& s) {
    std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
    bool quoted = false;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quoted) {
            if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
                rows.back().back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                rows.back().back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().emplace_back();
        } else if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
            ++i;
            rows.emplace_back(1);
        } else {
            rows.back().back() += c;
        }
    }
    if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
    return rows;
}
}  // namespace

TEST(Store, ExportsParse) {
    auto dir = tbtest::scratch_dir("store_export");
    auto s = open_store(dir + "/db.sqlite");
    ASSERT_TRUE(s);
    auto eval = s->add_run({0, "eval", "study", "", "", "", "", ""});
    ASSERT_TRUE(eval.ok());
    const std::string tricky = "line1\nhe said \"hi\", then left";
    ASSERT_TRUE(s->add_generations({{*eval, "base", "0", "p0", tricky, "r0", "qa", 3, 0.1},
                                    {*eval, "/runs/a/adapter", "0", "p0", "o", "r0", "qa", 2, 0.2}})
                    .ok());
    ASSERT_TRUE(s->add_metric_items({{*eval, "base", "bleu", "0", 12.5}}).ok());
    ASSERT_TRUE(
        s->replace_metric_aggregates(
             *eval, {{*eval, "base", "bleu", std::nullopt, 12.5, 10, 15, std::nullopt, 1},
                     {*eval, "/runs/a/adapter", "bleu", std::nullopt, 14, 11, 16, 0.03, 1},
                     {*eval, "base", "bleu", std::string("qa"), 12.5, 10, 15, std::nullopt, 1}})
            .ok());
    BenchmarkRow b;
    b.engine = "tunebench";
    b.model = "tiny";
    b.latency_s = 0.5;
    b.tokens_per_s = 200;
    b.config_json = R"({"batch":1})";
    ASSERT_TRUE(s->add_benchmark(b).ok());

    auto files = s->export_evaluation_json(*eval, dir + "/results");
    ASSERT_TRUE(files.ok()) << files.error().message;
    ASSERT_EQ(files->size(), 2u);
    auto text =
        tb::read_file(dir + "/results/evaluation/eval_" + std::to_string(*eval) + "_base.json");
    ASSERT_TRUE(text.ok());
    auto j = nlohmann::json::parse(*text);
    EXPECT_DOUBLE_EQ(j["metrics"]["bleu"]["value"].get<double>(), 12.5);
    EXPECT_TRUE(j["metrics"]["bleu"]["p_value_vs_base"].is_null());
    EXPECT_DOUBLE_EQ(j["by_category"]["qa"]["bleu"]["ci95"][1].get<double>(), 15);
    EXPECT_EQ(j["samples"][0]["output"], tricky);
    EXPECT_DOUBLE_EQ(j["samples"][0]["metrics"]["bleu"].get<double>(), 12.5);
    auto t2 =
        tb::read_file(dir + "/results/evaluation/eval_" + std::to_string(*eval) + "_adapter.json");
    ASSERT_TRUE(t2.ok());
    EXPECT_DOUBLE_EQ(nlohmann::json::parse(*t2)["metrics"]["bleu"]["p_value_vs_base"].get<double>(),
                     0.03);

    auto bfiles = s->export_benchmarks_json(dir + "/results");
    ASSERT_TRUE(bfiles.ok());
    ASSERT_EQ(bfiles->size(), 1u);
    auto bj = nlohmann::json::parse(*tb::read_file((*bfiles)[0]));
    EXPECT_EQ(bj["config"]["batch"], 1);
    EXPECT_DOUBLE_EQ(bj["tokens_per_s"].get<double>(), 200);

    ASSERT_TRUE(s->export_csv("generations", dir + "/gen.csv").ok());
    auto csv = tb::read_file(dir + "/gen.csv");
    ASSERT_TRUE(csv.ok());
    auto rows = parse_csv(*csv);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0][0], "eval_id");
    EXPECT_EQ(rows[0].size(), rows[1].size());
    EXPECT_EQ(rows[1][4], tricky);
    EXPECT_EQ(rows[2][1], "/runs/a/adapter");
    EXPECT_FALSE(s->export_csv("sqlite_master", dir + "/x.csv").ok());
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("plain"), "plain");
    EXPECT_EQ(csv_field("q\""), "\"q\"\"\"");
}
