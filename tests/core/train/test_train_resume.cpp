// Whole training runs on a tiny random Llama with the real Llama-2 tokenizer and the Dolly
// sample: the study's output layout, cancel + resume reproduces the uninterrupted losses bit
// for bit (CPU), changed settings are refused, interrupted or corrupted checkpoints fall back
// to the previous usable one.
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "core/common/file_io.h"
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
    // train_loss: the mean step loss of the run, summed in step order.
    double sum = 0;
    for (const auto& [step, loss] : ref_) sum += loss;
    EXPECT_EQ(stats.at("train_loss").get<double>(), sum / 8);
    EXPECT_EQ(stats.at("train_loss_steps").get<int64_t>(), 8);
    // The run's identity, recorded in every checkpoint (resume finds its folder by it).
    auto run_file = tbtest::load_json(run + "/run.json");
    const std::string run_id = run_file.at("run_id").get<std::string>();
    EXPECT_EQ(run_id.size(), 16u);
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
    auto state = tbtest::load_json(cks[1] + "/trainer_state.json");
    EXPECT_EQ(state.at("run_id").get<std::string>(), run_id);
    EXPECT_TRUE(fs::equivalent(state.at("run_dir").get<std::string>(), run));
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
    const tb::TrainResult a = resume_and_compare(run, 6);
    EXPECT_TRUE(fs::equivalent(a.run_dir, run)) << a.run_dir;
    // A copied run folder continues in the copy (the folder around the checkpoint has the
    // checkpoint's run id), not in the folder the checkpoint was written in.
    const tb::TrainResult b = resume_and_compare(copy + "/checkpoints/step-000003", 4);
    EXPECT_TRUE(fs::equivalent(b.run_dir, copy)) << b.run_dir;
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
    //    resume falls back to step-3, says so, and still reproduces the reference losses.
    //    Temporaries of killed writers (write_file_atomic's <name>.tmp.<pid>) are removed;
    //    one of a live process (pid 1) is left alone.
    const std::string opt = ck + "/step-000005/optimizer.safetensors";
    const auto size = fs::file_size(opt);
    fs::resize_file(opt, size / 2);
    std::ofstream(ck + "/latest", std::ios::trunc) << "\x01garbage";
    const pid_t dead = ::fork();
    ASSERT_GE(dead, 0);
    if (dead == 0) ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    const std::string sfx = ".tmp." + std::to_string(dead);
    std::ofstream(ck + "/latest" + sfx) << "step-000005\n";
    std::ofstream(run + "/training_stats.json" + sfx) << "{";
    std::ofstream(run + "/training_log.jsonl.tmp.1") << "";
    const tb::TrainResult r = resume_and_compare(run, 4);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("step-000005 (" + opt), std::string::npos) << r.warnings[0];
    EXPECT_NE(r.warnings[0].find("resuming from step-000003"), std::string::npos) << r.warnings[0];
    // The next save cleaned up the leftover temp dir and the dead writers' temporaries.
    EXPECT_FALSE(fs::exists(ck + "/.tmp-step-000006-4242"));
    EXPECT_FALSE(fs::exists(ck + "/latest" + sfx));
    EXPECT_FALSE(fs::exists(run + "/training_stats.json" + sfx));
    EXPECT_TRUE(fs::exists(run + "/training_log.jsonl.tmp.1"));
}

// No run-folder state is derived from the typed path: `--resume DIR/` (tab completion) once
// wrote adapter/, merged_model/ and a partial log inside checkpoints/.
TEST_F(Resume, TrailingSlashResumesIntoTheRunFolder) {
    const std::string run = tbtest::scratch("resume_slash");
    run_and_cancel(run, 2);
    const tb::TrainResult r = resume_and_compare(run + "/checkpoints/step-000002/", 3);
    EXPECT_TRUE(fs::equivalent(r.run_dir, run)) << r.run_dir;
    EXPECT_TRUE(fs::exists(run + "/adapter/adapter_model.safetensors"));
    for (const char* f : {"adapter", "merged_model", "training_log.jsonl", "training_stats.json"})
        EXPECT_FALSE(fs::exists(run + "/checkpoints/" + f)) << f;
    // The run folder itself with trailing slashes.
    const std::string run2 = tbtest::scratch("resume_slash2");
    run_and_cancel(run2, 3);
    const tb::TrainResult r2 = resume_and_compare(run2 + "//", 4);
    EXPECT_TRUE(fs::equivalent(r2.run_dir, run2)) << r2.run_dir;
    EXPECT_FALSE(fs::exists(run2 + "/checkpoints/adapter"));
}

// A checkpoint copied out of its run folder continues in the run folder it records; the
// folder it was copied into (whose grandparent holds other outputs) is never written.
TEST_F(Resume, CheckpointKeptElsewhereContinuesInItsRunFolder) {
    const std::string run = tbtest::scratch("resume_elsewhere_run");
    run_and_cancel(run, 2);
    const std::string other = tbtest::scratch("resume_elsewhere_other");
    fs::create_directories(other + "/adapter");
    fs::create_directories(other + "/kept");
    std::ofstream(other + "/adapter/mine.txt") << "not the run's";
    fs::copy(run + "/checkpoints/step-000002", other + "/kept/step-000002",
             fs::copy_options::recursive);
    const tb::TrainResult r = resume_and_compare(other + "/kept/step-000002", 3);
    EXPECT_TRUE(fs::equivalent(r.run_dir, run)) << r.run_dir;
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_EQ(tb::read_file(other + "/adapter/mine.txt").value(), "not the run's");
    EXPECT_FALSE(fs::exists(other + "/adapter/adapter_model.safetensors"));
    EXPECT_FALSE(fs::exists(other + "/merged_model"));
    EXPECT_FALSE(fs::exists(other + "/training_log.jsonl"));
    EXPECT_FALSE(fs::exists(other + "/kept/adapter"));
    EXPECT_FALSE(fs::exists(other + "/kept/checkpoints"));
}

// When the recorded run folder is gone, or now holds another run, the checkpoint continues in
// a new run folder (named as a fresh run's), with a warning; nothing else is written.
TEST_F(Resume, CheckpointWhoseRunFolderIsGoneContinuesInANewRunFolder) {
    const std::string base = tbtest::scratch("resume_orphan");
    const std::string run = base + "/run";
    run_and_cancel(run, 2);
    fs::create_directories(base + "/kept");
    fs::copy(run + "/checkpoints/step-000002", base + "/kept/step-000002",
             fs::copy_options::recursive);

    // 1. The run folder now holds another run (its run.json has another id).
    std::ofstream(run + "/run.json", std::ios::trunc)
        << R"({"format": "tunebench-run", "version": 1, "run_id": "0123456789abcdef"})";
    ASSERT_FALSE(tb::remove_tree(run + "/checkpoints"));  // not fs::remove_all: file_io.h
    tb::TrainParams p = tbtest::tiny_params(model_dir_, "");
    p.output_dir = base + "/outputs";
    const tb::TrainResult a = resume_and_compare(base + "/kept/step-000002", 3, p);
    EXPECT_EQ(fs::path(a.run_dir).parent_path(), fs::path(base + "/outputs/reference"));
    ASSERT_EQ(a.warnings.size(), 1u);
    EXPECT_NE(a.warnings[0].find("new run folder"), std::string::npos) << a.warnings[0];
    EXPECT_FALSE(fs::exists(run + "/adapter"));
    EXPECT_FALSE(fs::exists(base + "/adapter"));
    EXPECT_FALSE(fs::exists(base + "/kept/adapter"));
    // The new folder is a run of its own: its checkpoints resume in it.
    auto state = tbtest::load_json(a.run_dir + "/checkpoints/step-000006/trainer_state.json");
    EXPECT_EQ(state.at("run_id"), tbtest::load_json(a.run_dir + "/run.json").at("run_id"));

    // 2. The run folder is gone.
    ASSERT_FALSE(tb::remove_tree(run));
    p.output_dir = base + "/outputs2";
    const tb::TrainResult b = resume_and_compare(base + "/kept/step-000002", 3, p);
    EXPECT_EQ(fs::path(b.run_dir).parent_path(), fs::path(base + "/outputs2/reference"));
    EXPECT_EQ(b.warnings.size(), 1u);
    EXPECT_FALSE(fs::exists(run));
    EXPECT_FALSE(fs::exists(base + "/kept/adapter"));
}

// A run cancelled (or killed) before its first checkpoint: no step-000000 checkpoint is made,
// and resuming the run folder restarts it from step 0 in that folder, bit for bit, after
// checking the settings against run.json.
TEST_F(Resume, RunWithoutCheckpointResumesFromStepZeroInItsFolder) {
    const std::string run = tbtest::scratch("resume_nockpt");
    {
        tb::CancelToken cancel;
        auto cb = [&](const tb::TrainProgress& p) {
            if (p.phase == tb::TrainPhase::Evaluating && p.step == 0) cancel.cancel();
        };
        auto r = tb::run_training(tbtest::tiny_params(model_dir_, run), cb, cancel);
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_TRUE(r.value().cancelled);
        EXPECT_EQ(r.value().steps, 0);
        EXPECT_TRUE(r.value().last_checkpoint.empty());
        EXPECT_TRUE(tb::list_checkpoint_dirs(run + "/checkpoints").empty());
        EXPECT_TRUE(fs::exists(run + "/run.json"));
    }
    {
        tb::TrainParams p = tbtest::tiny_params(model_dir_, "");
        p.resume_from = run;
        p.lora.r = 8;
        tb::CancelToken cancel;
        auto r = tb::run_training(p, nullptr, cancel);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("fingerprint.lora_r"), std::string::npos)
            << r.error().message;
    }
    const tb::TrainResult r = resume_and_compare(run + "/", 1);
    EXPECT_TRUE(fs::equivalent(r.run_dir, run)) << r.run_dir;

    // A run that finished before its first save is not trained again by a resume.
    const std::string short_run = tbtest::scratch("resume_nockpt_finished");
    tb::TrainParams p = tbtest::tiny_params(model_dir_, short_run);
    p.max_steps = 2;
    tb::CancelToken cancel;
    ASSERT_TRUE(tb::run_training(p, nullptr, cancel).ok());
    ASSERT_TRUE(tb::list_checkpoint_dirs(short_run + "/checkpoints").empty());
    p.run_dir.clear();
    p.resume_from = short_run;
    auto again = tb::run_training(p, nullptr, cancel);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("the run has finished"), std::string::npos)
        << again.error().message;
}

}  // namespace
