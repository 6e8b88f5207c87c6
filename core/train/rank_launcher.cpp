#include "core/train/rank_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "core/train/data_parallel.h"
#include "core/train/run_checkpoint.h"

extern char** environ;

namespace tb {

namespace {

using Clock = std::chrono::steady_clock;

struct Rank {
    pid_t pid = -1;
    bool alive = false;
    int status = 0;  // waitpid's
    bool signalled_by_us = false;
    Clock::time_point ended;
};

std::string describe_exit(int status) {
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* name = ::strsignal(sig);
        return "was killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
    }
    return "exited with code " + std::to_string(WEXITSTATUS(status));
}

int exit_code_of(int status) {
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

bool ok_exit(int status) {
    return WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 130);
}

// The environment of rank r: ours with the torchrun variables replaced.
std::vector<std::string> rank_env(int64_t r, int64_t n, int port, double timeout_s) {
    const std::map<std::string, std::string> set{
        {"RANK", std::to_string(r)},
        {"LOCAL_RANK", std::to_string(r)},
        {"WORLD_SIZE", std::to_string(n)},
        {"LOCAL_WORLD_SIZE", std::to_string(n)},
        {"MASTER_ADDR", "127.0.0.1"},
        {"MASTER_PORT", std::to_string(port)},
        {"TORCHELASTIC_USE_AGENT_STORE", "True"},
        {"TUNEBENCH_DIST_TIMEOUT", std::to_string(static_cast<int64_t>(timeout_s + 0.5))}};
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv = *e;
        if (!set.count(kv.substr(0, kv.find('=')))) env.push_back(kv);
    }
    for (const auto& [k, v] : set) env.push_back(k + "=" + v);
    return env;
}

}  // namespace

Result<RankLaunchOutcome> RankLauncher::run(const RankLaunchOptions& o) {
    TB_ASSIGN_OR_RETURN(std::unique_ptr<StoreServer> store,
                        StoreServer::start("127.0.0.1", 0, o.timeout_s));
    const int port = store->port();
    const std::string prefix = "tunebench";

    std::vector<Rank> ranks(static_cast<size_t>(o.nproc));
    std::vector<std::string> argv_s{o.exe};
    argv_s.insert(argv_s.end(), o.args.begin(), o.args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    auto kill_all = [&](int sig) {
        for (auto& r : ranks)
            if (r.alive) {
                if (sig == SIGKILL || sig == SIGTERM) r.signalled_by_us = true;
                ::kill(r.pid, sig);
            }
    };
    for (int64_t r = 0; r < o.nproc; ++r) {
        // Everything the child needs is built before fork (only async-signal-safe calls after).
        std::vector<std::string> env_s = rank_env(r, o.nproc, port, o.timeout_s);
        std::vector<char*> envp;
        for (auto& e : env_s) envp.push_back(e.data());
        envp.push_back(nullptr);
        const bool quiet = o.quiet_other_ranks && r > 0;
        const pid_t pid = ::fork();
        if (pid < 0) {
            kill_all(SIGKILL);
            for (auto& rk : ranks)
                if (rk.alive) ::waitpid(rk.pid, nullptr, 0);
            return make_error("launcher", std::string("fork failed: ") + std::strerror(errno));
        }
        if (pid == 0) {
            // Own process group: a terminal's Ctrl-C reaches the launcher only, which forwards
            // it once per press. Dies with the launcher.
            ::setpgid(0, 0);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(1);
            if (quiet) {
                const int fd = ::open("/dev/null", O_WRONLY);
                if (fd >= 0) ::dup2(fd, 1);
            }
            ::execve(o.exe.c_str(), argv.data(), envp.data());
            ::_exit(127);
        }
        ranks[static_cast<size_t>(r)].pid = pid;
        ranks[static_cast<size_t>(r)].alive = true;
    }

    RankLaunchOutcome out;
    int stops_seen = 0;
    int failed = -1;  // first failure seen
    Clock::time_point failed_at, kill_at;
    bool terminated = false, killed = false;
    auto alive_count = [&] {
        int n = 0;
        for (auto& r : ranks) n += r.alive;
        return n;
    };
    while (alive_count() > 0) {
        // Forward each stop request once (first: stop at a step boundary; second: now).
        const int stops = stops_.load(std::memory_order_relaxed);
        for (; stops_seen < stops; ++stops_seen)
            for (auto& r : ranks)
                if (r.alive) ::kill(r.pid, SIGTERM);
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (size_t i = 0; i < ranks.size(); ++i) {
                if (ranks[i].pid != pid) continue;
                ranks[i].alive = false;
                ranks[i].status = status;
                ranks[i].ended = Clock::now();
                if (!ok_exit(status) && failed < 0 && !ranks[i].signalled_by_us) {
                    failed = static_cast<int>(i);
                    failed_at = Clock::now();
                }
            }
            continue;
        }
        if (pid < 0 && errno == ECHILD) break;
        // After a failure: a moment for the ranks that die of it to report their own exit
        // (a rank killed by a signal is the cause, not the peers whose collective broke), then
        // SIGTERM to the rest and SIGKILL after the grace period.
        const auto now = Clock::now();
        if (failed >= 0 && !terminated && now - failed_at > std::chrono::milliseconds(500)) {
            kill_all(SIGTERM);
            terminated = true;
            kill_at = now + std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
        }
        if (terminated && !killed && now > kill_at) {
            kill_all(SIGKILL);
            killed = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    out.run_dir = store->peek(prefix, "run_dir");
    if (!out.run_dir.empty()) {
        auto cks =
            list_checkpoint_dirs((std::filesystem::path(out.run_dir) / "checkpoints").string());
        if (!cks.empty()) out.last_checkpoint = cks.back();
    }
    if (failed < 0) {
        // Every rank ended on its own: 0, or 130 when they stopped on request.
        for (auto& r : ranks) out.exit_code = std::max(out.exit_code, exit_code_of(r.status));
        return out;
    }
    // The culprit: a rank killed by a signal we did not send, else a rank whose heartbeat is
    // behind the others' (it hung), else the first to fail.
    // Heartbeats (data_parallel.cpp): "<collectives entered> <step>".
    auto hb_of = [&](size_t r, bool want_step) {
        const std::string v = store->peek(prefix, "hb/" + std::to_string(r));
        long long seq = -1, st = -1;
        if (!v.empty()) std::sscanf(v.c_str(), "%lld %lld", &seq, &st);
        return static_cast<int64_t>(want_step ? st : seq);
    };
    auto hb = [&](size_t r) { return hb_of(r, false); };
    int culprit = -1;
    for (size_t i = 0; i < ranks.size() && culprit < 0; ++i)
        if (WIFSIGNALED(ranks[i].status) && !ranks[i].signalled_by_us)
            culprit = static_cast<int>(i);
    std::string how;
    if (culprit < 0) {
        int64_t best = hb(static_cast<size_t>(failed));
        for (size_t i = 0; i < ranks.size(); ++i)
            if (hb(i) < best) {
                best = hb(i);
                culprit = static_cast<int>(i);
            }
        if (culprit >= 0)
            how = "stopped making progress (hung: " +
                  std::to_string(hb(static_cast<size_t>(failed)) - best) +
                  " collective(s) behind rank " + std::to_string(failed) +
                  ", whose wait timed out)";
    }
    if (culprit < 0) culprit = failed;
    const Rank& c = ranks[static_cast<size_t>(culprit)];
    if (how.empty()) how = describe_exit(c.status);
    const int64_t step = hb_of(static_cast<size_t>(culprit), true);
    out.failed_rank = culprit;
    out.exit_code = exit_code_of(c.status) != 0 ? exit_code_of(c.status) : 1;
    if (out.exit_code == 130) out.exit_code = 1;
    out.message =
        "rank " + std::to_string(culprit) + " (pid " + std::to_string(c.pid) + ") " + how +
        (step >= 0 ? " during step " + std::to_string(step + 1) : "") + "; stopped the other " +
        std::to_string(ranks.size() - 1) + " rank" + (ranks.size() == 2 ? "" : "s") +
        (out.last_checkpoint.empty() ? std::string("; no checkpoint was written")
                                     : "; last complete checkpoint: " + out.last_checkpoint);
    return out;
}

}  // namespace tb
