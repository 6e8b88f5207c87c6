#include "core/train/rank_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
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
    std::vector<std::string> last_progress(ranks.size());
    int64_t last_seq = 0;  // rank 0's reports delivered (data_parallel.h: kProgressHistory)
    auto last_poll = Clock::now();
    auto parse = [](const std::string& v, TrainProgress& p, int64_t* seq) {
        if (v.empty()) return false;
        try {
            auto j = nlohmann::json::parse(v);
            p.phase = static_cast<TrainPhase>(j.value("phase", 0));
            p.step = j.value("step", int64_t{0});
            p.total_steps = j.value("total_steps", int64_t{0});
            p.epoch = j.value("epoch", 0.0);
            p.loss = j.value("loss", 0.0);
            p.lr = j.value("lr", 0.0);
            p.grad_norm = j.value("grad_norm", 0.0);
            p.tokens_per_s = j.value("tokens_per_s", 0.0);
            p.samples_per_s = j.value("samples_per_s", 0.0);
            p.memory_bytes = j.value("memory_bytes", int64_t{0});
            p.peak_memory_bytes = j.value("peak_memory_bytes", int64_t{0});
            p.elapsed_s = j.value("elapsed_s", 0.0);
            p.eta_s = j.value("eta_s", 0.0);
            if (j["eval_loss"].is_number()) p.eval_loss = j["eval_loss"].get<double>();
            if (j["eval_ppl"].is_number()) p.eval_ppl = j["eval_ppl"].get<double>();
            p.message = j.value("message", std::string());
            if (seq) *seq = j.value("seq", int64_t{-1});
            return true;
        } catch (const std::exception&) {
            return false;  // a value from another writer: ignored
        }
    };
    auto poll_progress = [&] {
        if (!o.on_progress) return;
        bool changed = false;
        std::vector<TrainProgress> all(ranks.size());
        for (size_t i = 0; i < ranks.size(); ++i) {
            std::string v = store->peek(prefix, "progress/" + std::to_string(i));
            if (v != last_progress[i]) changed = true;
            last_progress[i] = v;
            parse(v, all[i], nullptr);
        }
        // Rank 0's reports since the last poll, in order, each merged with the other ranks'
        // latest: every step's loss and every evaluation reach the front end, however fast
        // the steps (up to kProgressHistory per poll).
        const std::string sv = store->peek(prefix, "progress/0/seq");
        const int64_t seq = sv.empty() ? 0 : std::atoll(sv.c_str());
        bool delivered = false;
        for (int64_t n = std::max(last_seq + 1, seq - kProgressHistory + 1); n <= seq; ++n) {
            TrainProgress p;
            int64_t got = -1;
            const std::string v =
                store->peek(prefix, "progress/0/" + std::to_string(n % kProgressHistory));
            if (!parse(v, p, &got) || got != n) continue;  // overwritten since: skipped
            all[0] = p;
            o.on_progress(all);
            delivered = true;
        }
        last_seq = std::max(last_seq, seq);
        if (changed && !delivered) o.on_progress(all);
    };
    while (alive_count() > 0) {
        if (Clock::now() - last_poll > std::chrono::milliseconds(200)) {
            poll_progress();
            last_poll = Clock::now();
        }
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

    poll_progress();
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

Result<TrainResult> run_training_ranks(const TrainParams& params, const std::string& cli,
                                       const ProgressCallback& progress,
                                       const CancelToken& cancel) {
    namespace fs = std::filesystem;
    TB_ASSIGN_OR_RETURN(AppConfig cfg, parse_app_config(params.config_yaml, "run config"));
    cfg.model.name = fs::absolute(params.model_dir).string();
    cfg.data.path = fs::absolute(params.data_path).string();
    cfg.training.output_dir = fs::absolute(params.output_dir).string();
    std::error_code ec;
    fs::create_directories(cfg.training.output_dir, ec);
    const std::string config =
        (fs::path(cfg.training.output_dir) / (".ranks-" + std::to_string(::getpid()) + ".yaml"))
            .string();
    {
        std::ofstream f(config);
        f << app_config_to_yaml(cfg);
        if (!f) return make_error(config, "cannot write the run config for the ranks");
    }
    RankLaunchOptions o;
    o.exe = cli;
    o.args = {"train", "--config", config, "--nproc-per-node",
              std::to_string(params.nproc_per_node)};
    if (params.store_path.empty())
        o.args.push_back("--no-store");
    else
        o.args.insert(o.args.end(), {"--store", params.store_path});
    if (!params.resume_from.empty()) o.args.insert(o.args.end(), {"--resume", params.resume_from});
    o.nproc = params.nproc_per_node;
    o.timeout_s = params.dist.timeout_s;
    o.on_progress = [&](const std::vector<TrainProgress>& all) {
        if (progress) progress(merge_rank_progress(all));
    };
    RankLauncher launcher;
    std::atomic<bool> done{false};
    std::thread watch([&] {
        while (!done.load()) {
            if (cancel.cancelled()) {
                launcher.request_stop();
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    auto r = launcher.run(o);
    done = true;
    watch.join();
    fs::remove(config, ec);
    if (!r.ok()) return r.error();
    if (r.value().failed_rank >= 0) return Error{r.value().message};
    TrainResult res;
    res.run_dir = r.value().run_dir;
    res.last_checkpoint = r.value().last_checkpoint;
    res.cancelled = r.value().exit_code == 130;
    const fs::path stats = fs::path(res.run_dir) / "training_stats.json";
    if (!res.cancelled && !res.run_dir.empty() && fs::exists(stats, ec)) {
        res.stats_path = stats.string();
        res.adapter_dir = (fs::path(res.run_dir) / "adapter").string();
        if (fs::exists(fs::path(res.run_dir) / "merged_model", ec))
            res.merged_dir = (fs::path(res.run_dir) / "merged_model").string();
        std::ifstream in(stats);
        try {
            auto j = nlohmann::json::parse(in);
            res.steps = j.value("total_steps", int64_t{0});
            res.total_steps = res.steps;
            res.final_loss = j.value("final_loss", 0.0);
            res.train_loss = j.value("train_loss", 0.0);
            if (j["final_eval_loss"].is_number())
                res.final_eval_loss = j["final_eval_loss"].get<double>();
            res.train_seconds = j.value("training_time_this_session_seconds", 0.0);
            res.total_seconds = j.value("total_time_seconds", 0.0);
        } catch (const std::exception& e) {
            return make_error(stats.string(), e.what());
        }
    } else if (!res.cancelled && r.value().exit_code != 0) {
        return Error{"the ranks ended with exit code " + std::to_string(r.value().exit_code)};
    }
    return res;
}

TrainProgress merge_rank_progress(const std::vector<TrainProgress>& ranks) {
    if (ranks.empty()) return {};
    TrainProgress m = ranks.front();
    std::string who;
    for (size_t i = 0; i < ranks.size(); ++i) {
        const TrainProgress& p = ranks[i];
        if (i > 0) {
            m.step = std::min(m.step, p.step);
            m.memory_bytes = std::max(m.memory_bytes, p.memory_bytes);
            m.peak_memory_bytes = std::max(m.peak_memory_bytes, p.peak_memory_bytes);
        }
        who += (i ? ", " : "") + std::string("rank ") + std::to_string(i) + ": " +
               train_phase_name(p.phase) + " " + std::to_string(p.step);
    }
    m.message =
        (ranks.front().message.empty() ? std::string() : ranks.front().message + "; ") + who;
    return m;
}

}  // namespace tb
