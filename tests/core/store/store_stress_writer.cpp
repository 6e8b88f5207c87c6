// A child process that uses the experiment store the way the GUI process does, for the stress
// and kill -9 tests (test_store_stress.cpp spawns it and kills it at random points):
//
//   store_stress_writer <db> <ledger> <seconds> <seed> [ratings-only] [foreign-close]
//
// Two threads with a Store connection each, like the GUI thread and the worker:
//   worker  training runs (run record, training-log batches, completed / cancelled / failed),
//           evaluations (generations, per-item metrics, aggregates), JSON and CSV exports
//   gui     reads (runs, training logs, generations, summaries), ratings, CSV exports
// Every rating and every evaluation's aggregates, once committed (the call returned Ok), is
// appended to <ledger> with one write(2) (O_APPEND): a kill -9 after the commit can lose the
// ledger line, never a ledger line whose rows were not committed. The test checks that every
// ledger line is in the store afterwards.
//
// "foreign-close" reproduces issue 10's cause on purpose: now and then the process open()s and
// close()s descriptors of its own on the store, -wal and -shm, as Qt's MIME sniffing did, which
// drops every POSIX lock SQLite holds for this process. Only for demonstrating the failure by
// hand (see the store.h comment); the tests never pass it.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "core/store/store.h"

namespace {

using namespace tb::store;
namespace fs = std::filesystem;

int g_ledger = -1;

void ledger(const std::string& line) {
    const std::string l = line + "\n";
    if (::write(g_ledger, l.data(), l.size()) != static_cast<ssize_t>(l.size())) {
        std::perror("ledger");
        std::_Exit(3);
    }
}

[[noreturn]] void die(const std::string& what, const tb::Error& e) {
    std::fprintf(stderr, "store_stress_writer: %s: %s\n", what.c_str(), e.message.c_str());
    std::_Exit(2);
}

template <class R>
auto must(R r, const char* what) {
    if (!r.ok()) die(what, r.error());
    return std::move(r.value());
}
void must(const tb::Status& s, const char* what) {
    if (!s.ok()) die(what, s.error());
}

std::unique_ptr<Store> open_store(const std::string& db) { return must(Store::open(db), "open"); }

void worker(const std::string& db, const std::string& tag, std::mt19937_64 rng,
            std::atomic<bool>& stop, std::atomic<int64_t>& last_eval,
            const std::string& export_dir) {
    auto store = open_store(db);
    for (int iter = 0; !stop; ++iter) {
        // A training run: record, log batches, an ending.
        RunRecord run;
        run.kind = "train";
        run.name = tag + "/train" + std::to_string(iter);
        run.config_yaml = "training:\n  max_steps: 40\n";
        run.output_dir = "/tmp/" + tag + "/run" + std::to_string(iter);
        const int64_t run_id = must(store->add_run(run), "add_run");
        const int steps = 20 + static_cast<int>(rng() % 40);
        std::vector<TrainingLogRow> batch;
        for (int s = 1; s <= steps && !stop; ++s) {
            TrainingLogRow r;
            r.run_id = run_id;
            r.step = s;
            r.loss = 3.0 / s;
            r.learning_rate = 1e-3;
            r.grad_norm = 0.5;
            r.tokens_per_s = 1000;
            r.memory_bytes = 1 << 20;
            r.elapsed_s = 0.01 * s;
            if (s % 10 == 0) r.eval_loss = 2.0 / s;
            batch.push_back(r);
            if (batch.size() == 8) {
                must(store->append_training_log(batch), "append_training_log");
                batch.clear();
            }
        }
        must(store->append_training_log(batch), "append_training_log");
        const char* endings[] = {"completed", "cancelled", "failed"};
        must(store->finish_run(run_id, endings[rng() % 3]), "finish_run");

        // An evaluation of two models over a few items.
        RunRecord ev;
        ev.kind = "eval";
        ev.name = tag + "/eval" + std::to_string(iter);
        const int64_t eval_id = must(store->add_run(ev), "add_run eval");
        const int items = 4 + static_cast<int>(rng() % 8);
        std::vector<GenerationRow> gens;
        std::vector<MetricItemRow> mitems;
        for (const char* model : {"base", "adapter"})
            for (int i = 0; i < items; ++i) {
                GenerationRow g;
                g.eval_id = eval_id;
                g.model = model;
                g.item_id = "item" + std::to_string(i);
                g.prompt = "Explain " + std::to_string(i) + std::string(200, 'p');
                g.output = std::string(100 + rng() % 400, 'o');
                g.reference = "reference " + std::to_string(i);
                g.category = i % 2 ? "qa" : "summarization";
                g.tokens = 50;
                g.seconds = 0.1;
                gens.push_back(g);
                mitems.push_back({eval_id, model, "bleu", g.item_id, double(rng() % 100)});
            }
        must(store->add_generations(gens), "add_generations");
        must(store->add_metric_items(mitems), "add_metric_items");
        std::vector<MetricAggregateRow> aggs;
        double sum = 0;
        for (const char* model : {"base", "adapter"}) {
            MetricAggregateRow a;
            a.eval_id = eval_id;
            a.model = model;
            a.metric = "bleu";
            a.value = double(rng() % 10000) / 100.0;
            a.ci_lo = a.value - 1;
            a.ci_hi = a.value + 1;
            a.n_items = items;
            sum += a.value;
            aggs.push_back(a);
        }
        must(store->replace_metric_aggregates(eval_id, aggs), "replace_metric_aggregates");
        char line[128];
        std::snprintf(line, sizeof line, "A %lld %zu %.17g", static_cast<long long>(eval_id),
                      aggs.size(), sum);
        ledger(line);
        last_eval = eval_id;
        must(store->finish_run(eval_id, "completed"), "finish_run eval");
        if (iter % 3 == 0) {
            must(store->export_evaluation_json(eval_id, export_dir), "export_evaluation_json");
            must(store->export_csv("training_log", export_dir + "/training_log-" + tag + ".csv"),
                 "export_csv");
        }
    }
}

void gui(const std::string& db, const std::string& tag, std::mt19937_64 rng,
         std::atomic<bool>& stop, std::atomic<int64_t>& last_eval, const std::string& export_dir,
         bool ratings_only) {
    auto store = open_store(db);
    for (int n = 0; !stop; ++n) {
        if (!ratings_only) {
            auto runs = must(store->list_runs(), "list_runs");
            if (!runs.empty()) {
                const auto& r = runs[rng() % runs.size()];
                (void)must(store->training_log(r.id), "training_log");
                (void)must(store->generations(r.id), "generations");
                (void)must(store->metric_aggregates(r.id), "metric_aggregates");
            }
            if (n % 20 == 0) (void)must(store->ratings_summary(), "ratings_summary");
            if (n % 25 == 0)
                must(store->export_csv("ratings", export_dir + "/ratings-" + tag + ".csv"), "csv");
        }
        // A rating of a new (item, model): keys never repeat, so the ledger line is the row.
        RatingRow rt;
        rt.rater = tag;
        rt.eval_id = ratings_only ? 0 : last_eval.load();
        rt.item_id = "rated" + std::to_string(n);
        rt.model = n % 2 ? "base" : "adapter";
        rt.relevance = 1 + static_cast<int>(rng() % 5);
        rt.coherence = 1 + static_cast<int>(rng() % 5);
        rt.fluency = 1 + static_cast<int>(rng() % 5);
        rt.completeness = 1 + static_cast<int>(rng() % 5);
        rt.notes = "note " + std::to_string(n);
        must(store->upsert_rating(rt), "upsert_rating");
        char line[256];
        std::snprintf(line, sizeof line, "R %s %lld %s %s %d %d %d %d", rt.rater.c_str(),
                      static_cast<long long>(rt.eval_id), rt.item_id.c_str(), rt.model.c_str(),
                      rt.relevance, rt.coherence, rt.fluency, rt.completeness);
        ledger(line);
        if (!ratings_only) std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 5));
    }
}

// Issue 10's mechanism, on purpose: a descriptor of our own on each store file, closed again.
void foreign_closer(const std::string& db, std::atomic<bool>& stop) {
    while (!stop) {
        for (const std::string& f : {db, db + "-wal", db + "-shm"}) {
            int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                char buf[64];
                const ssize_t n =
                    ::read(fd, buf, sizeof buf);  // the read is the point, not its bytes
                (void)n;
                ::close(fd);
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr,
                     "usage: store_stress_writer DB LEDGER SECONDS SEED [ratings-only] "
                     "[foreign-close]\n");
        return 2;
    }
    const std::string db = argv[1];
    g_ledger = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_ledger < 0) {
        std::perror(argv[2]);
        return 2;
    }
    const double seconds = std::atof(argv[3]);
    const uint64_t seed = std::strtoull(argv[4], nullptr, 10);
    bool ratings_only = false, foreign_close = false;
    for (int i = 5; i < argc; ++i) {
        ratings_only |= std::string(argv[i]) == "ratings-only";
        foreign_close |= std::string(argv[i]) == "foreign-close";
    }
    const std::string tag = "w" + std::to_string(::getpid());
    // One folder shared by every writer (a killed writer cannot clean up after itself).
    const std::string export_dir = (fs::path(argv[2]).parent_path() / "exports").string();
    fs::create_directories(export_dir);
    std::atomic<bool> stop{false};
    std::atomic<int64_t> last_eval{0};
    std::mt19937_64 rng(seed);
    std::thread w, f;
    if (!ratings_only)
        w = std::thread(worker, db, tag, std::mt19937_64(rng()), std::ref(stop),
                        std::ref(last_eval), export_dir);
    if (foreign_close) f = std::thread(foreign_closer, db, std::ref(stop));
    std::thread g(gui, db, tag, std::mt19937_64(rng()), std::ref(stop), std::ref(last_eval),
                  export_dir, ratings_only);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    g.join();
    if (w.joinable()) w.join();
    if (f.joinable()) f.join();
    return 0;
}
