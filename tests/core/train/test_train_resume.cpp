// Whole training runs on a tiny random Llama with the real Llama-2 tokenizer and the Dolly
// sample: cancel + resume reproduces the uninterrupted losses bit for bit (CPU), interrupted
// or corrupted checkpoints fall back to the previous usable one, and a child training process
// killed with SIGKILL at a random moment resumes from what it left on disk.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "core/train/run_checkpoint.h"
#include "train_test_util.h"

extern char** environ;

namespace fs = std::filesystem;

namespace {

class Resume : public ::testing::Test {
protected:
    // One uninterrupted reference run shared by all tests of the suite.
    static void SetUpTestSuite() {
        model_dir_ = tbtest::make_tiny_model_dir("resume_model");
        tbtest::LossRecorder rec;
        tb::CancelToken cancel;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = tb::run_training(tbtest::tiny_params(model_dir_, tbtest::scratch_dir("resume_ref")),
                                  rec.callback(), cancel);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ref_ = rec.losses;
        ref_result_ = r.value();
        ref_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("reference run: %lld steps in %.2f s (train %.2f s), final loss %.6f, "
                    "truncated %lld, dropped %lld\n",
                    static_cast<long long>(r.value().steps), ref_seconds_, r.value().train_seconds,
                    r.value().final_loss, static_cast<long long>(r.value().truncated_rows),
                    static_cast<long long>(r.value().dropped_rows));
    }

    // Runs until `stop_at` steps are done, then cancels (-> checkpoint at stop_at).
    static tb::TrainResult run_and_cancel(const std::string& run_dir, int64_t stop_at) {
        tb::CancelToken cancel;
        auto cb = [&](const tb::TrainProgress& p) {
            if (p.phase == tb::TrainPhase::Training && p.step == stop_at) cancel.cancel();
        };
        auto r = tb::run_training(tbtest::tiny_params(model_dir_, run_dir), cb, cancel);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? r.value() : tb::TrainResult{};
    }

    // Resumes from `from` and checks every step after `first_step - 1` against the reference.
    static void resume_and_compare(const std::string& from, int64_t first_step) {
        tb::TrainParams p = tbtest::tiny_params(model_dir_, "");
        p.resume_from = from;
        tbtest::LossRecorder rec;
        tb::CancelToken cancel;
        auto r = tb::run_training(p, rec.callback(), cancel);
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_FALSE(r.value().cancelled);
        EXPECT_EQ(r.value().steps, 8);
        ASSERT_EQ(rec.losses.begin()->first, first_step) << "resumed from the wrong checkpoint";
        for (const auto& [step, loss] : rec.losses) EXPECT_EQ(loss, ref_.at(step)) << "step " << step;
        // Final adapters are bit-identical too.
        auto a = tbtest::load_safetensors(ref_result_.adapter_dir + "/adapter_model.safetensors");
        auto b = tbtest::load_safetensors(r.value().adapter_dir + "/adapter_model.safetensors");
        ASSERT_EQ(a.size(), b.size());
        for (const auto& [name, t] : a) EXPECT_TRUE(at::equal(t, b.at(name))) << name;
    }

    static std::string model_dir_;
    static std::map<int64_t, double> ref_;
    static tb::TrainResult ref_result_;
    static double ref_seconds_;
};

std::string Resume::model_dir_;
std::map<int64_t, double> Resume::ref_;
tb::TrainResult Resume::ref_result_;
double Resume::ref_seconds_ = 0;

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
    const std::string run = tbtest::scratch_dir("resume_cancel");
    tb::TrainResult r = run_and_cancel(run, 5);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.steps, 5);
    EXPECT_EQ(fs::path(r.last_checkpoint).filename(), "step-000005");
    // A copy to resume from the older checkpoint (step 3) independently.
    const std::string copy = tbtest::scratch_dir("resume_cancel_copy");
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

TEST_F(Resume, ChangedSettingsAreRefused) {
    const std::string run = tbtest::scratch_dir("resume_changed");
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
    const std::string run = tbtest::scratch_dir("resume_atomic");
    run_and_cancel(run, 5);  // checkpoints step-3 and step-5, latest = step-5
    const std::string ck = run + "/checkpoints";

    // 1. A save killed half-way: a temp dir with a truncated file. Ignored; latest is used.
    fs::create_directories(ck + "/.tmp-step-000006-4242/adapter");
    std::ofstream(ck + "/.tmp-step-000006-4242/adapter/adapter_model.safetensors") << "\x10\x00\x00";
    auto v = [](const std::string& d) -> tb::Status { return tb::Status::Ok(); };
    auto got = tb::resolve_checkpoint(run, v);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(fs::path(got.value()).filename(), "step-000005");

    // 2. A write whose filling fails leaves everything as it was and no step dir behind.
    auto failed = tb::write_checkpoint_dir(
        ck, 7, [](const std::string& d) -> tb::Status {
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

// Runs inside the child process of SigkillAtRandomMomentThenResume (skipped otherwise).
TEST(TrainKillChild, Run) {
    const char* run = std::getenv("TB_TRAIN_KILL_RUN_DIR");
    const char* model = std::getenv("TB_TRAIN_KILL_MODEL_DIR");
    if (!run || !model) GTEST_SKIP() << "helper process of Resume.SigkillAtRandomMomentThenResume";
    tb::TrainParams p = tbtest::tiny_params(model, run);
    p.save_steps = 1;  // a checkpoint write is in progress much of the time
    if (fs::exists(std::string(run) + "/checkpoints")) p.resume_from = run;
    tb::CancelToken cancel;
    auto r = tb::run_training(p, nullptr, cancel);
    ASSERT_TRUE(r.ok()) << r.error().message;
}

TEST_F(Resume, SigkillAtRandomMomentThenResume) {
    const std::string run = tbtest::scratch_dir("resume_sigkill");
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e) env_store.push_back(*e);
    env_store.push_back("TB_TRAIN_KILL_RUN_DIR=" + run);
    env_store.push_back("TB_TRAIN_KILL_MODEL_DIR=" + model_dir_);
    std::vector<char*> envp;
    for (auto& s : env_store) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=TrainKillChild.Run";
    std::string child_log = run + "/../resume_sigkill_child.log";
    char* argv[] = {exe.data(), filter.data(), nullptr};

    std::random_device rd;
    std::mt19937 gen(rd());
    // Kill somewhere in the ~8 steps (the child also loads and tokenizes before step 1).
    std::uniform_int_distribution<int> delay_ms(0, std::max(1, static_cast<int>(ref_seconds_ * 1000)));
    int kills = 0;
    for (int attempt = 0; attempt < 2; ++attempt) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int fd = ::open(child_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execve(exe.c_str(), argv, envp.data());
            ::_exit(127);
        }
        // Wait for the first checkpoint so there is something to resume from, then a random
        // moment later kill it (during a step, a save, an eval, or after it finished).
        const auto t0 = std::chrono::steady_clock::now();
        int status = 0;
        bool exited = false;
        while (!fs::exists(run + "/checkpoints/latest")) {
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                exited = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(120));
        }
        ASSERT_FALSE(exited) << "child ended before its first checkpoint; see " << child_log;
        const int d = delay_ms(gen);
        std::this_thread::sleep_for(std::chrono::milliseconds(d));
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        kills += killed;
        auto latest = tb::read_file(run + "/checkpoints/latest");
        std::printf("attempt %d: SIGKILL after %d ms -> %s, latest %s", attempt, d,
                    killed ? "killed" : "had already finished",
                    latest.ok() ? latest.value().c_str() : "(none)\n");
    }
    EXPECT_GE(kills, 1);
    // Resume from whatever is on disk; every step after the checkpoint matches the reference.
    tb::TrainParams p = tbtest::tiny_params(model_dir_, "");
    p.resume_from = run;
    tbtest::LossRecorder rec;
    tb::CancelToken cancel;
    auto r = tb::run_training(p, rec.callback(), cancel);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().steps, 8);
    for (const auto& [step, loss] : rec.losses) EXPECT_EQ(loss, ref_.at(step)) << "step " << step;
}

}  // namespace
