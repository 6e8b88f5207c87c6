// tunebench-cli train: LoRA fine-tuning from a run config, with a one-line progress bar on
// stderr. Ctrl-C (SIGINT/SIGTERM) cancels at any point: while loading nothing is written;
// during training the current step finishes, a checkpoint is written and the command exits
// with 130, printing how to resume; a second Ctrl-C exits at once. On success the run folder
// is printed on stdout.
//
// The run and its per-step log are recorded in the workspace's experiment store, like
// `evaluate` does: <config folder>/tunebench.sqlite unless --store FILE or --no-store.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/progress_printer.h"
#include "app/cli/train_ranks.h"
#include "core/config/app_config.h"
#include "core/train/trainer.h"

namespace tbcli {
namespace {

struct TrainArgs {
    std::string config;
    std::string backend;
    std::string resume;
    std::string device;
    std::string store;
    bool no_store = false;
    int64_t max_steps = 0;
    int64_t nproc_per_node = 0;  // 0: training.nproc_per_node
    bool dry_run = false;
};

tb::CancelToken* g_token = nullptr;

void on_interrupt(int) {
    if (g_token && g_token->cancelled()) ::_exit(130);  // second Ctrl-C: stop now
    if (g_token) g_token->cancel();
}

std::string hms(double s) {
    if (!(s >= 0) || s > 360000) return "--:--:--";
    const long t = static_cast<long>(s + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    return buf;
}

// One line, redrawn in place on a terminal; on a pipe/file one line per logged update
// (ProgressPrinter decides which).
class ProgressBar {
  public:
    explicit ProgressBar(int64_t log_every) : every_(log_every) {}

    void update(const tb::TrainProgress& p) {
        std::string line;
        char buf[256];
        if (p.phase == tb::TrainPhase::Training) {
            const int width = 24;
            const double frac =
                p.total_steps > 0 ? static_cast<double>(p.step) / static_cast<double>(p.total_steps)
                                  : 0.0;
            const int fill = static_cast<int>(frac * width);
            std::string bar(static_cast<size_t>(fill), '=');
            if (fill < width) bar += '>';
            bar.resize(width, ' ');
            std::snprintf(buf, sizeof buf, "[%s] %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %s",
                          bar.c_str(), static_cast<long long>(p.step),
                          static_cast<long long>(p.total_steps), p.loss, p.lr, p.tokens_per_s,
                          hms(p.eta_s).c_str());
            line = buf;
            if (p.eval_loss) {
                std::snprintf(buf, sizeof buf, "  eval %.4f (ppl %.2f)", *p.eval_loss,
                              p.eval_ppl ? *p.eval_ppl : 0.0);
                line += buf;
                last_eval_ = buf;
            } else {
                line += last_eval_;
            }
            if (!printer_.tty() && p.step % every_ != 0 && p.step != p.total_steps && !p.eval_loss)
                return;
        } else {
            line = std::string(tb::train_phase_name(p.phase)) +
                   (p.message.empty() ? "" : ": " + p.message);
        }
        printer_.update(line);
    }

    void finish() { printer_.finish(); }

  private:
    ProgressPrinter printer_;
    int64_t every_;
    std::string last_eval_;
};

int run_train(const TrainArgs& a) {
    auto cfg = tb::load_app_config(a.config);
    if (!cfg) return fail(cfg.error());
    if (!a.backend.empty()) cfg->training.backend = a.backend;
    if (a.max_steps > 0) cfg->training.max_steps = a.max_steps;
    if (!a.device.empty()) cfg->model.device = a.device;
    // Data parallel (issue 15): under torchrun (or our own launcher) this process is one rank;
    // otherwise N > 1 ranks are started here and supervised.
    auto dist = tb::distributed_settings_from_env();
    if (!dist) return fail(dist.error());
    const int64_t nproc = a.nproc_per_node > 0 ? a.nproc_per_node : cfg->training.nproc_per_node;
    if (a.dry_run)
        return print_train_dry_run(*cfg, dist->has_value() ? (*dist)->world_size : nproc);
    if (!dist->has_value() && nproc > 1) return launch_train_ranks(nproc);
    auto params = tb::train_params_from_config(*cfg);
    if (!params) return fail(params.error());
    if (dist->has_value()) params->dist = **dist;
    const bool lead = params->dist.rank == 0;  // ranks > 0 print errors only
    params->resume_from = a.resume;
    if (!a.no_store) {
        const std::string workspace = cfg->base_dir.empty() ? "." : cfg->base_dir;
        params->store_path = a.store.empty()
                                 ? (std::filesystem::path(workspace) / "tunebench.sqlite").string()
                                 : a.store;
    }

    tb::CancelToken& token = interrupt_token();  // installs the default handlers first
    g_token = &token;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);

    ProgressBar bar(params->logging_steps);
    auto result = tb::run_training(
        *params,
        [&](const tb::TrainProgress& p) {
            if (lead) bar.update(p);
        },
        token);
    bar.finish();
    if (!result) return fail(result.error());
    for (const auto& w : result->warnings) std::cerr << "tunebench-cli: warning: " << w << "\n";
    if (!lead) return result->cancelled ? 130 : kExitOk;
    if (result->cancelled) {
        if (result->run_dir.empty()) {
            // Cancelled while loading a fresh run: no run folder, no store record.
            std::cerr << "tunebench-cli: cancelled before training started; nothing was written"
                      << std::endl;
            return 130;
        }
        std::cerr << "tunebench-cli: cancelled after step " << result->steps;
        if (result->total_steps > 0) std::cerr << "/" << result->total_steps;
        if (result->last_checkpoint.empty())
            std::cerr << "; no checkpoint (the run restarts from step 0)";
        else
            std::cerr << "; checkpoint " << result->last_checkpoint;
        std::cerr << "\ntunebench-cli: resume with: tunebench-cli train --config " << a.config
                  << " --resume " << result->run_dir << std::endl;
        std::cout << result->run_dir << std::endl;
        return 130;
    }
    std::cerr << "done: " << result->steps << " steps, final loss " << result->final_loss;
    if (result->final_eval_loss) std::cerr << ", eval loss " << *result->final_eval_loss;
    std::cerr << ", " << result->train_seconds << " s training" << std::endl;
    std::cout << result->run_dir << std::endl;
    return kExitOk;
}

CommandRegistrar register_train("train", [](CLI::App& app) {
    app.description("Fine-tune a LoRA adapter from a run config (outputs/<backend>/<time>/)");
    auto args = std::make_shared<TrainArgs>();
    app.add_option("--config", args->config, "Run config (YAML)")->required();
    app.add_option("--backend", args->backend, "Override training.backend")
        ->check(CLI::IsMember({"reference", "fused"}));
    app.add_option("--resume", args->resume,
                   "Resume from a checkpoint folder or a run folder (its latest checkpoint)");
    app.add_option("--max-steps", args->max_steps, "Override training.max_steps");
    app.add_option("--device", args->device, "Override model.device (cpu, cuda, cuda:N)");
    app.add_option("--nproc-per-node", args->nproc_per_node,
                   "Data-parallel ranks on this machine (GPUs; Gloo processes on CPU); "
                   "overrides training.nproc_per_node")
        ->check(CLI::Range(1, 1024));
    app.add_flag("--dry-run", args->dry_run,
                 "Print the per-rank memory/time estimate and exit without training");
    auto* store = app.add_option("--store", args->store,
                                 "Experiment store to record the run in (default: "
                                 "<config folder>/tunebench.sqlite)");
    app.add_flag("--no-store", args->no_store, "Do not record the run in an experiment store")
        ->excludes(store);
    return [args] { return run_train(*args); };
});

}  // namespace
}  // namespace tbcli
