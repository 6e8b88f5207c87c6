// See train_ranks.h.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "app/cli/cli_common.h"
#include "app/cli/train_ranks.h"
#include "core/common/torch_compat.h"
#include "core/data/data_config.h"
#include "core/data/split.h"
#include "core/model/model_config.h"
#include "core/train/rank_launcher.h"
#include "core/train/resource_estimate.h"

namespace tbcli {

namespace {

tb::RankLauncher* g_launcher = nullptr;

void on_launcher_interrupt(int) {
    if (g_launcher) g_launcher->request_stop();
}

// argv of this process (/proc/self/cmdline: NUL-separated).
std::vector<std::string> own_args() {
    std::ifstream f("/proc/self/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::string> out;
    std::string cur;
    for (char c : all) {
        if (c == '\0') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

}  // namespace

int launch_train_ranks(int64_t nproc) {
    tb::RankLaunchOptions o;
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return fail("cannot find this program (/proc/self/exe) to start the ranks");
    exe[n] = '\0';
    o.exe = exe;
    auto args = own_args();
    if (args.empty()) return fail("cannot read this command line (/proc/self/cmdline)");
    o.args.assign(args.begin() + 1, args.end());
    o.nproc = nproc;
    if (const char* t = std::getenv("TUNEBENCH_DIST_TIMEOUT")) o.timeout_s = std::atof(t);
    if (!(o.timeout_s > 0)) o.timeout_s = 120;
    std::vector<tb::TrainProgress> last;
    o.on_progress = [&](const std::vector<tb::TrainProgress>& all) { last = all; };
    tb::RankLauncher launcher;
    g_launcher = &launcher;
    std::signal(SIGINT, on_launcher_interrupt);
    std::signal(SIGTERM, on_launcher_interrupt);
    std::cerr << "tunebench-cli: starting " << nproc << " ranks on this machine" << std::endl;
    auto r = launcher.run(o);
    g_launcher = nullptr;
    if (!r) return fail(r.error());
    if (!last.empty())
        std::cerr << "tunebench-cli: " << tb::merge_rank_progress(last).message << std::endl;
    if (r->failed_rank >= 0) {
        std::cerr << "tunebench-cli: " << r->message << std::endl;
        if (!r->run_dir.empty() && !r->last_checkpoint.empty())
            std::cerr << "tunebench-cli: resume with: --resume " << r->run_dir << std::endl;
    }
    return r->exit_code;
}

int print_train_dry_run(const tb::AppConfig& cfg, int64_t nproc) {
    const std::string model_dir = tb::resolve_model_path(cfg);
    auto mc = tb::load_llama_config(model_dir + "/config.json");
    if (!mc) return fail(mc.error());
    int64_t rows = 0;
    if (!cfg.data.path.empty()) {
        auto ds = tb::load_dataset_from_config(cfg);
        if (!ds) return fail(ds.error());
        auto split = tb::split_dataset(ds->examples, tb::split_options_from_config(cfg.data));
        if (!split) return fail(split.error());
        rows = static_cast<int64_t>(split->train.size());
    }
    const std::string& dev = cfg.model.device;
    const bool cuda = dev.rfind("cuda", 0) == 0 || (dev == "auto" && tb::compat::cuda_available());
    const tb::ResourceEstimate e = tb::estimate_resources(cfg, *mc, rows, cuda, nproc);
    std::cout << "dry run: " << (cuda ? "CUDA" : "CPU") << ", " << rows << " train rows, "
              << "global micro-batch " << cfg.training.batch_size * e.world_size << " rows\n"
              << tb::format_resource_estimate(e);
    return kExitOk;
}

}  // namespace tbcli
