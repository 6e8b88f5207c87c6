// Cancelling a training run at every stage (SIGTERM / Ctrl-C in the CLI, the GUI's cancel
// button): while loading nothing is written (no run folder, no store record); after the run
// folder exists but before the first step no checkpoint is written and the store's run is
// marked cancelled. The token is set from the progress callback at each stage, so the check
// that stops the run is the one inside or right after that stage.
#include <set>

#include "core/store/store.h"
#include "core/train/run_checkpoint.h"
#include "train_test_util.h"

namespace fs = std::filesystem;

namespace {

class TrainCancel : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { model_dir_ = tbtest::make_tiny_model_dir("cancel_model"); }

    struct Outcome {
        tb::TrainResult result;
        std::vector<std::string> after_cancel;  // phase: message reported after the cancel
    };

    // Cancels when the callback sees `phase` with a message starting with `message`.
    static Outcome cancel_at(tb::TrainParams p, tb::TrainPhase phase, const std::string& message) {
        tb::CancelToken cancel;
        Outcome o;
        bool seen = false;
        auto cb = [&](const tb::TrainProgress& pr) {
            if (seen) {
                o.after_cancel.push_back(std::string(tb::train_phase_name(pr.phase)) + ": " +
                                         pr.message);
                return;
            }
            if (pr.phase == phase && pr.message.rfind(message, 0) == 0) {
                cancel.cancel();
                seen = true;
            }
        };
        auto r = tb::run_training(p, cb, cancel);
        EXPECT_TRUE(seen) << "the run never reported " << tb::train_phase_name(phase) << ": "
                          << message;
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        if (r.ok()) o.result = r.value();
        return o;
    }

    static std::vector<tb::store::RunRecord> runs(const std::string& db) {
        if (!fs::exists(db)) return {};
        auto st = tb::store::Store::open(db);
        EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
        if (!st.ok()) return {};
        auto r = st.value()->list_runs("train");
        EXPECT_TRUE(r.ok());
        return r.ok() ? r.value() : std::vector<tb::store::RunRecord>{};
    }

    inline static std::string model_dir_;
};

TEST_F(TrainCancel, WhileLoadingNothingIsWritten) {
    // Each stage of loading, in order; "tokenizing" and "loading model" are stopped by the checks
    // inside tokenize_examples (per row) and load_llama_model (per layer).
    for (const char* stage : {"resolving device", "loading tokenizer", "loading dataset",
                              "tokenizing", "loading model"}) {
        SCOPED_TRACE(stage);
        const std::string dir = tbtest::scratch(std::string("cancel_load_") + stage);
        tb::TrainParams p = tbtest::tiny_params(model_dir_, dir + "/run");
        p.store_path = dir + "/tunebench.sqlite";
        Outcome o = cancel_at(p, tb::TrainPhase::Loading, stage);
        EXPECT_TRUE(o.result.cancelled);
        EXPECT_EQ(o.result.steps, 0);
        EXPECT_TRUE(o.result.run_dir.empty());
        EXPECT_TRUE(o.result.last_checkpoint.empty());
        EXPECT_FALSE(fs::exists(dir + "/run"));
        EXPECT_TRUE(runs(p.store_path).empty());
        // Nothing else was loaded after the cancel: the only report is the cancellation.
        std::string reports;
        for (const auto& a : o.after_cancel) reports += "[" + a + "] ";
        ASSERT_EQ(o.after_cancel.size(), 1u) << reports;
        EXPECT_EQ(o.after_cancel[0], "cancelled: cancelled while loading; nothing was written");
    }
}

TEST_F(TrainCancel, BeforeTheFirstStepNoCheckpointAndTheRunIsMarkedCancelled) {
    // Cancelled during the evaluation before step 1 (the run folder and store record exist).
    const std::string dir = tbtest::scratch("cancel_step0");
    tb::TrainParams p = tbtest::tiny_params(model_dir_, dir + "/run");
    p.store_path = dir + "/tunebench.sqlite";
    Outcome o = cancel_at(p, tb::TrainPhase::Evaluating, "");
    EXPECT_TRUE(o.result.cancelled);
    EXPECT_EQ(o.result.steps, 0);
    EXPECT_TRUE(o.result.last_checkpoint.empty());
    EXPECT_FALSE(o.result.run_dir.empty());
    EXPECT_TRUE(tb::list_checkpoint_dirs(dir + "/run/checkpoints").empty());
    EXPECT_FALSE(fs::exists(dir + "/run/adapter"));
    EXPECT_FALSE(fs::exists(dir + "/run/training_stats.json"));
    // No evaluation record from the interrupted evaluation.
    EXPECT_EQ(tb::read_file(dir + "/run/training_log.jsonl").value(), "");
    auto rs = runs(p.store_path);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, "cancelled");
    ASSERT_EQ(o.after_cancel.size(), 1u);
    EXPECT_EQ(o.after_cancel[0].rfind("cancelled", 0), 0u) << o.after_cancel[0];
}

TEST_F(TrainCancel, ResumedRunCancelledWhileLoadingKeepsItsCheckpoint) {
    const std::string dir = tbtest::scratch("cancel_resume_load");
    tb::TrainParams p = tbtest::tiny_params(model_dir_, dir + "/run");
    {
        tb::CancelToken cancel;
        auto cb = [&](const tb::TrainProgress& pr) {
            if (pr.phase == tb::TrainPhase::Training && pr.step == 2) cancel.cancel();
        };
        auto r = tb::run_training(p, cb, cancel);
        ASSERT_TRUE(r.ok()) << r.error().message;
    }
    const std::string log_before = tb::read_file(dir + "/run/training_log.jsonl").value();
    tb::TrainParams q = tbtest::tiny_params(model_dir_, "");
    q.resume_from = dir + "/run";
    Outcome o = cancel_at(q, tb::TrainPhase::Loading, "loading model");
    EXPECT_TRUE(o.result.cancelled);
    EXPECT_EQ(o.result.steps, 2);
    EXPECT_TRUE(fs::equivalent(o.result.run_dir, dir + "/run"));
    EXPECT_EQ(fs::path(o.result.last_checkpoint).filename(), "step-000002");
    // The run is as it was: its log not trimmed or rewritten, its checkpoint in place.
    EXPECT_EQ(tb::read_file(dir + "/run/training_log.jsonl").value(), log_before);
    EXPECT_EQ(tb::list_checkpoint_dirs(dir + "/run/checkpoints").size(), 1u);
}

TEST(TrainCancelUnits, TokenizingAndModelLoadingPollTheToken) {
    const std::string model = tbtest::make_tiny_model_dir("cancel_units_model");
    tb::CancelToken cancel;
    cancel.cancel();
    tb::LoadOptions lo;
    lo.cancel = &cancel;
    auto m = tb::load_llama_model(model, lo);
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("cancelled"), std::string::npos) << m.error().message;
    lo.cancel = nullptr;
    EXPECT_TRUE(tb::load_llama_model(model, lo).ok());

    auto tok = tb::Tokenizer::load(model);
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    tb::ReadOptions ro;
    ro.format = tb::DataFormat::Dolly;
    auto ds = tb::load_dataset(tbtest::dolly_path(), ro);
    ASSERT_TRUE(ds.ok()) << ds.error().message;
    std::vector<size_t> idx = {0, 1, 2};
    tb::TokenizeOptions topt;
    auto t = tb::tokenize_examples(ds.value().examples, idx, *tok.value(), topt, &cancel);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().message, "tokenizing: cancelled");
    cancel.reset();
    auto t2 = tb::tokenize_examples(ds.value().examples, idx, *tok.value(), topt, &cancel);
    ASSERT_TRUE(t2.ok()) << t2.error().message;
    EXPECT_EQ(t2.value().rows.size() + t2.value().dropped_no_target, 3u);
}

}  // namespace
