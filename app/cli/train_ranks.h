// tunebench-cli train's data-parallel side (issue 15): --nproc-per-node N starts and supervises
// N ranks on this machine (core/train/rank_launcher.h); --dry-run prints the per-rank
// memory/time estimate (core/train/resource_estimate.h) without training.
#pragma once

#include <cstdint>

#include "core/config/app_config.h"

namespace tbcli {

// Re-runs this very command line as `nproc` ranks (the torchrun environment set for each) and
// waits for them; returns the exit code (0, 130 when cancelled, else the failure's) after
// printing one line naming the failed rank.
int launch_train_ranks(int64_t nproc);

// Prints the estimate for `nproc` ranks on stdout; 0, or 2 with a one-line error.
int print_train_dry_run(const tb::AppConfig& cfg, int64_t nproc);

}  // namespace tbcli
