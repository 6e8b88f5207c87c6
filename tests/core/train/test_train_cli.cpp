// `tunebench-cli train` and SIGTERM while loading (issue 10: the signal was ignored until
// loading and tokenizing finished, then an untrained step-000000 checkpoint was written). The
// dataset is large enough that tokenizing takes seconds; the signal is sent as soon as the
// command reports that it is tokenizing, and the command must stop at once with exit 130,
// having written no run folder.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "train_test_util.h"

namespace fs = std::filesystem;

namespace {

TEST(TrainCli, SigtermWhileTokenizingStopsAtOnceAndWritesNothing) {
    const std::string dir = tbtest::scratch("train_cli_sigterm");
    const std::string model = tbtest::make_tiny_model_dir("train_cli_model");
    // 60 copies of the Dolly sample (about 18k rows).
    const std::string data = dir + "/big.jsonl";
    {
        auto text = tb::read_file(tbtest::dolly_path());
        ASSERT_TRUE(text.ok());
        std::ofstream out(data);
        for (int i = 0; i < 60; ++i) out << text.value();
    }
    const std::string config = dir + "/config.yaml";
    std::ofstream(config) << "model:\n  name: " << model
                          << "\n  max_length: 64\n  dtype: float32\n  device: cpu\n"
                          << "quant:\n  load_in_4bit: false\n"
                          << "training:\n  max_steps: 2\n  optimizer: adamw\n  output_dir: " << dir
                          << "/outputs\n"
                          << "data:\n  path: " << data << "\n  format: dolly\n";

    int err_pipe[2];
    ASSERT_EQ(::pipe(err_pipe), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::dup2(err_pipe[1], 2);
        ::close(err_pipe[0]);
        ::close(err_pipe[1]);
        std::string cfg_arg = config;
        ::execl(TB_CLI_PATH, TB_CLI_PATH, "train", "--config", cfg_arg.c_str(), "--no-store",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(err_pipe[1]);
    FILE* err = ::fdopen(err_pipe[0], "r");
    ASSERT_NE(err, nullptr);
    std::string all;
    char line[4096];
    bool signalled = false;
    std::chrono::steady_clock::time_point t_signal;
    while (std::fgets(line, sizeof line, err)) {
        all += line;
        if (!signalled && std::string(line).find("loading: tokenizing") != std::string::npos) {
            ::kill(pid, SIGTERM);
            t_signal = std::chrono::steady_clock::now();
            signalled = true;
        }
    }
    std::fclose(err);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(signalled) << "never reported tokenizing:\n" << all;
    const double after_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_signal).count();
    ASSERT_TRUE(WIFEXITED(status)) << all;
    EXPECT_EQ(WEXITSTATUS(status), 130) << all;
    EXPECT_NE(all.find("cancelled before training started; nothing was written"), std::string::npos)
        << all;
    EXPECT_EQ(all.find("loading: loading model"), std::string::npos) << all;
    EXPECT_FALSE(fs::exists(dir + "/outputs")) << "a run folder was written";
    // Tokenizing the whole file takes seconds on this machine; stopping took:
    std::printf("exit %.3f s after SIGTERM\n", after_s);
    EXPECT_LT(after_s, 2.0);
}

}  // namespace
