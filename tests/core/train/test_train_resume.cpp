// Whole training runs on a tiny random Llama with the real Llama-2 tokenizer and the Dolly
// sample: the study's output layout, cancel + resume reproduces the uninterrupted losses bit
// for bit (CPU), changed settings are refused, interrupted or corrupted checkpoints fall back
// to the previous usable one.
#include <thread>

#include "core/train/run_checkpoint.h"
#include "resume_fixture.h"

namespace fs = std::filesystem;

namespace {

using tbtest::Resume;

TEST_F(Resume, ReferenceRunWritesTheStudyLayout) {
    ASSERT_EQ(ref_.size(), 8u);
    const std::string run = ref_result_.run_dir;
    EXPECT_TRUE(fs::exists(run + "/adapter/adapter_config.json"));
    EXPECT_TRUE(fs::exists(run + "/adapter/adapter_model.safetensors"));
    auto stats = tbtest::load_json(run + "/training_stats.json");
    EXPECT_EQ(stats.at("total_steps").get<int64_t>(), 8);
    EXPECT_EQ(stats.at("final_loss").get<double>(), ref_.at(8));
    EXPECT_GT(stats.at("samples_per_second").get<double>(), 0);
    EXPECT_GT(stats.at("peak_memory_bytes").get<int64_t>(), 0);
    EXPECT_TRUE(stats.at("final_eval_loss").is_number());
    // Per-step log: a record for every step (logging_steps 1) and the evals at 4 and 8.
    auto text = tb::read_file(run + "/training_log.jsonl");
    ASSERT_TRUE(text.ok());
    std::istringstream in(text.value());
    std::string line;
    int steps = 0;
    std::map<int64_t, double> evals;
    while (std::getline(in, line)) {
        auto j = nlohmann::json::parse(line);
        if (j.contains("loss")) {
            ++steps;
            EXPECT_EQ(j.at("loss").get<double>(), ref_.at(j.at("step").get<int64_t>()));
        }
        if (j.contains("eval_loss")) evals[j.at("step").get<int64_t>()] = j.at("eval_loss");
    }
    EXPECT_EQ(steps, 8);
    ASSERT_EQ(evals.size(), 3u);  // before the first step, at 4 and at 8
    std::printf("eval loss: start %.5f, step 4 %.5f, step 8 %.5f\n", evals.at(0), evals.at(4),
                evals.at(8));
    // Training lowers the validation loss.
    EXPECT_LT(evals.at(8), evals.at(0));
    // Checkpoints at 3 and 6 (save_steps 3), newest two kept, `latest` names step 6.
    auto cks = tb::list_checkpoint_dirs(run + "/checkpoints");
    ASSERT_EQ(cks.size(), 2u);
    EXPECT_EQ(fs::path(cks[1]).filename(), "step-000006");
    auto latest = tb::read_file(run + "/checkpoints/latest");
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest.value(), "step-000006\n");
}

TEST_F(Resume, CancelThenResumeIsBitExact) {
    const std::string run = tbtest::scratch("resume_cancel");
    tb::TrainResult r = run_and_cancel(run, 5);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.steps, 5);
    EXPECT_EQ(fs::path(r.last_checkpoint).filename(), "step-000005");
    // A copy to resume from the older checkpoint (step 3) independently.
    const std::string copy = tbtest::scratch("resume_cancel_copy");
    fs::copy(run, copy, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    resume_and_compare(run, 6);
    resume_and_compare(copy + "/checkpoints/step-000003", 4);
    // The resumed run rewrote its log: one record per step, no duplicates.
    auto text = tb::read_file(run + "/training_log.jsonl");
    ASSERT_TRUE(text.ok());
    std::istringstream in(text.value());
    std::string line;
    std::map<int64_t, int> seen;
    while (std::getline(in, line)) {
        auto j = nlohmann::json::parse(line);
        if (j.contains("loss")) ++seen[j.at("step").get<int64_t>()];
    }
    EXPECT_EQ(seen.size(), 8u);
    for (auto& [s, n] : seen) EXPECT_EQ(n, 1) << "step " << s;
}

TEST_F(Resume, PauseHoldsBetweenStepsWithoutChangingTheRun) {
    tb::PauseToken pause;
    tb::CancelToken cancel;
    std::map<int64_t, double> losses;
    bool saw_paused = false;
    std::thread resumer;
    auto cb = [&](const tb::TrainProgress& p) {
        if (p.phase == tb::TrainPhase::Paused) saw_paused = true;
        if (p.phase != tb::TrainPhase::Training) return;
        losses[p.step] = p.loss;
        if (p.step == 2) {
            pause.pause();
            resumer = std::thread([&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
                // Still at step 2 while paused.
                EXPECT_EQ(losses.rbegin()->first, 2);
                pause.resume();
            });
        }
    };
    auto r = tb::run_training(tbtest::tiny_params(model_dir_, tbtest::scratch("resume_pause")), cb,
                              cancel, &pause);
    if (resumer.joinable()) resumer.join();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(saw_paused);
    EXPECT_EQ(losses, ref_);
    // Paused time is not training time.
    EXPECT_LT(r.value().train_seconds, r.value().total_seconds - 0.25);
}

TEST_F(Resume, ChangedSettingsAreRefused) {
    const std::string run = tbtest::scratch("resume_changed");
    run_and_cancel(run, 2);
    tb::TrainParams p = tbtest::tiny_params(model_dir_, "");
    p.resume_from = run;
    p.learning_rate = 1e-3;
    tb::CancelToken cancel;
    auto r = tb::run_training(p, nullptr, cancel);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("fingerprint.learning_rate"), std::string::npos)
        << r.error().message;
}

TEST_F(Resume, InterruptedOrCorruptCheckpointFallsBack) {
    const std::string run = tbtest::scratch("resume_atomic");
    run_and_cancel(run, 5);  // checkpoints step-3 and step-5, latest = step-5
    const std::string ck = run + "/checkpoints";

    // 1. A save killed half-way: a temp dir with a truncated file. Ignored; latest is used.
    fs::create_directories(ck + "/.tmp-step-000006-4242/adapter");
    std::ofstream(ck + "/.tmp-step-000006-4242/adapter/adapter_model.safetensors")
        << "\x10\x00\x00";
    auto v = [](const std::string& d) -> tb::Status { return tb::Status::Ok(); };
    auto got = tb::resolve_checkpoint(run, v);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(fs::path(got.value()).filename(), "step-000005");

    // 2. A write whose filling fails leaves everything as it was and no step dir behind.
    auto failed = tb::write_checkpoint_dir(
        ck, 7,
        [](const std::string& d) -> tb::Status {
            std::ofstream(d + "/partial.bin") << "half";
            return tb::Error{"disk full (simulated)"};
        },
        2);
    EXPECT_FALSE(failed.ok());
    EXPECT_FALSE(fs::exists(ck + "/step-000007"));
    EXPECT_EQ(tb::read_file(ck + "/latest").value(), "step-000005\n");

    // 3. The newest checkpoint damaged (truncated optimizer state) and `latest` garbage:
    //    resume falls back to step-3 and still reproduces the reference losses.
    const std::string opt = ck + "/step-000005/optimizer.safetensors";
    const auto size = fs::file_size(opt);
    fs::resize_file(opt, size / 2);
    std::ofstream(ck + "/latest", std::ios::trunc) << "\x01garbage";
    resume_and_compare(run, 4);
    // The next save cleaned up the leftover temp dir.
    EXPECT_FALSE(fs::exists(ck + "/.tmp-step-000006-4242"));
}

}  // namespace
