// Crash and QLoRA runs: a child training process killed with SIGKILL at a random moment
// resumes from what it left on disk with the uninterrupted run's losses; QLoRA (NF4 base) with
// the 8-bit AdamW trains, merges into a dense HF folder and resumes bit for bit.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "resume_fixture.h"

extern char** environ;

namespace fs = std::filesystem;

namespace {

using tbtest::Resume;

TEST_F(Resume, QloraWith8bitAdamWTrainsMergesAndResumesBitExact) {
    // Wider than the shared tiny model so that LoRA tensors reach the 8-bit optimizer's
    // 4096-element threshold (q_proj A is [32, 128]); NF4 blocks of 64 over 128-wide rows.
    static const std::string model = tbtest::make_tiny_model_dir("qlora_model", 5, 128, 256);
    auto make = [&](const std::string& run) {
        tb::TrainParams p = tbtest::tiny_params(model, run);
        p.load_in_4bit = true;
        p.optimizer = "adamw_8bit";
        p.lora.r = 32;
        p.lora.alpha = 32;
        p.lora.target_modules = {"q_proj", "v_proj"};
        p.max_steps = 6;
        p.eval_steps = 6;
        p.save_steps = 2;
        return p;
    };
    tbtest::LossRecorder ref;
    tb::CancelToken c1;
    tb::TrainParams pa = make(tbtest::scratch("qlora_ref"));
    pa.save_merged_model = true;
    auto a = tb::run_training(pa, ref.callback(), c1);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_EQ(ref.losses.size(), 6u);
    auto stats = tbtest::load_json(a.value().stats_path);
    EXPECT_TRUE(stats.at("quantization").is_string());
    std::printf("QLoRA run: %s; optimizer state %lld bytes; final loss %.5f, eval %.5f\n",
                stats.at("quantization").get<std::string>().c_str(),
                static_cast<long long>(stats.at("optimizer_state_bytes").get<int64_t>()),
                a.value().final_loss, *a.value().final_eval_loss);
    // The merged model is a dense HF folder with the tokenizer files.
    auto merged = tb::load_llama_model(a.value().merged_dir);
    ASSERT_TRUE(merged.ok()) << merged.error().message;
    EXPECT_TRUE(fs::exists(a.value().merged_dir + "/tokenizer.model"));
    EXPECT_TRUE(fs::exists(a.value().merged_dir + "/tokenizer_config.json"));

    const std::string run = tbtest::scratch("qlora_cancel");
    tb::CancelToken c2;
    auto cb = [&](const tb::TrainProgress& p) {
        if (p.phase == tb::TrainPhase::Training && p.step == 3) c2.cancel();
    };
    auto b = tb::run_training(make(run), cb, c2);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_TRUE(b.value().cancelled);
    tb::TrainParams pc = make("");
    pc.resume_from = run;
    tbtest::LossRecorder rec;
    tb::CancelToken c3;
    auto c = tb::run_training(pc, rec.callback(), c3);
    ASSERT_TRUE(c.ok()) << c.error().message;
    ASSERT_EQ(rec.losses.begin()->first, 4);
    for (const auto& [step, loss] : rec.losses) EXPECT_EQ(loss, ref.losses.at(step)) << step;
}

// Runs inside the child process of SigkillAtRandomMomentThenResume (skipped otherwise). Each
// finished step is appended to TB_TRAIN_KILL_PROGRESS so the parent can aim its kill at the
// middle of the run on machines of any speed.
TEST(TrainKillChild, Run) {
    const char* run = std::getenv("TB_TRAIN_KILL_RUN_DIR");
    const char* model = std::getenv("TB_TRAIN_KILL_MODEL_DIR");
    const char* progress = std::getenv("TB_TRAIN_KILL_PROGRESS");
    if (!run || !model || !progress)
        GTEST_SKIP() << "helper process of Resume.SigkillAtRandomMomentThenResume";
    tb::TrainParams p = tbtest::tiny_params(model, run);
    p.save_steps = 1;  // a checkpoint write is in progress much of the time
    if (fs::exists(std::string(run) + "/checkpoints")) p.resume_from = run;
    tb::CancelToken cancel;
    auto cb = [&](const tb::TrainProgress& pr) {
        if (pr.phase != tb::TrainPhase::Training) return;
        std::FILE* f = std::fopen(progress, "a");
        if (!f) return;
        std::fprintf(f, "%lld\n", static_cast<long long>(pr.step));
        std::fclose(f);
    };
    auto r = tb::run_training(p, cb, cancel);
    ASSERT_TRUE(r.ok()) << r.error().message;
}

// Highest step the child has reported, 0 before the first.
int64_t reported_step(const std::string& progress) {
    std::FILE* f = std::fopen(progress.c_str(), "r");
    if (!f) return 0;
    long long v = 0, best = 0;
    while (std::fscanf(f, "%lld", &v) == 1) best = std::max(best, v);
    std::fclose(f);
    return best;
}

TEST_F(Resume, SigkillAtRandomMomentThenResume) {
    const std::string run = tbtest::scratch("resume_sigkill");
    const std::string progress = run + "_progress.txt";
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e) env_store.push_back(*e);
    env_store.push_back("TB_TRAIN_KILL_RUN_DIR=" + run);
    env_store.push_back("TB_TRAIN_KILL_MODEL_DIR=" + model_dir_);
    env_store.push_back("TB_TRAIN_KILL_PROGRESS=" + progress);
    std::vector<char*> envp;
    for (auto& s : env_store) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=TrainKillChild.Run";
    std::string child_log = run + "_child.log";
    char* argv[] = {exe.data(), filter.data(), nullptr};

    std::random_device rd;
    std::mt19937 gen(rd());
    // The kill lands after a random step in 1..5 of 8 plus a random fraction of one step's time,
    // i.e. during a step, a checkpoint write or an eval. Aiming by reported step rather than by
    // wall time keeps it inside the run whether the machine is fast or loaded.
    const int step_ms = std::max(1, static_cast<int>(ref_result_.train_seconds * 1000 / 8));
    std::uniform_int_distribution<int> after_step(1, 5);
    std::uniform_int_distribution<int> delay_ms(0, step_ms);
    bool killed = false;
    for (int attempt = 0; attempt < 6 && !killed; ++attempt) {
        // A fresh run each attempt: an attempt that finished before the kill proves nothing.
        (void)tb::remove_tree(run);
        fs::remove(progress);
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
        const int k = after_step(gen);
        const auto t0 = std::chrono::steady_clock::now();
        int status = 0;
        bool exited = false;
        while (reported_step(progress) < k || !fs::exists(run + "/checkpoints/latest")) {
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                exited = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(120));
        }
        ASSERT_FALSE(exited) << "child ended before step " << k << "; see " << child_log;
        const int d = delay_ms(gen);
        std::this_thread::sleep_for(std::chrono::milliseconds(d));
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        auto latest = tb::read_file(run + "/checkpoints/latest");
        std::printf("attempt %d: SIGKILL %d ms after step %d -> %s, latest %s", attempt, d, k,
                    killed ? "killed" : "had already finished",
                    latest.ok() ? latest.value().c_str() : "(none)\n");
    }
    ASSERT_TRUE(killed) << "six children all finished before the kill";
    // Resume from whatever is on disk; every step after the checkpoint matches the reference.
    tb::TrainParams p = tbtest::tiny_params(model_dir_, "");
    p.resume_from = run;
    tbtest::LossRecorder rec;
    tb::CancelToken cancel;
    auto r = tb::run_training(p, rec.callback(), cancel);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().steps, 8);
    ASSERT_FALSE(rec.losses.empty()) << "nothing left to train after the kill";
    for (const auto& [step, loss] : rec.losses) EXPECT_EQ(loss, ref_.at(step)) << "step " << step;
}

}  // namespace
