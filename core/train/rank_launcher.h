// Starts N training ranks on this machine and supervises them (what torchrun's agent does for
// one node): a TCPStore server in this process (it outlives the ranks, so their heartbeats
// stay readable when one dies), one child process per rank running the same command with the
// torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT,
// TORCHELASTIC_USE_AGENT_STORE=True), each in its own process group.
//
// Faults: when a rank dies (killed by a signal or exits non-zero) or hangs (another rank's
// collective timed out behind it), every other rank is sent SIGTERM and, after `grace_s`,
// SIGKILL; the outcome names the rank that failed (a rank killed by a signal first, else one
// whose heartbeat is behind, else the first to fail) and the run's last complete checkpoint.
// Checkpoints are written to a temporary folder and renamed (run_checkpoint.h), so a kill never
// leaves a half-written one where resume looks.
//
// Interrupts: request_stop() (the CLI's SIGINT/SIGTERM) forwards SIGTERM to every rank: the
// ranks agree to stop at the next step boundary and rank 0 writes a checkpoint (a second
// request makes them exit at once, as a second Ctrl-C does in a single-process run).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/train/trainer.h"

namespace tb {

struct RankLaunchOptions {
    std::string exe;                // the program each rank runs (argv[0] is set to it)
    std::vector<std::string> args;  // its arguments (argv[1..])
    int64_t nproc = 2;
    double timeout_s = 120.0;       // collectives and rendezvous (TUNEBENCH_DIST_TIMEOUT)
    double grace_s = 10.0;          // SIGTERM -> SIGKILL for the surviving ranks of a failed run
    bool quiet_other_ranks = true;  // ranks > 0: stdout to /dev/null (stderr kept)
    // Every rank's latest progress (index = rank; published by each rank's session into the
    // store), polled about every 200 ms and delivered when one changed; merge_rank_progress
    // makes one report of them.
    std::function<void(const std::vector<TrainProgress>&)> on_progress;
};

// One report for the run from every rank's: rank 0's loss, lr, grad norm, throughput and
// evaluation (all-reduced: the run's), the slowest rank's step, the largest memory, and
// "rank r: step s" of every rank in the message.
TrainProgress merge_rank_progress(const std::vector<TrainProgress>& ranks);

// A front-end's N-rank run (params.nproc_per_node > 1): the run config (params.config_yaml
// with the resolved model, data and output paths) written beside the outputs, `cli` (the
// tunebench-cli executable) started as the ranks with `train --config`, the merged progress
// reported, `cancel` forwarded (the ranks stop at a step boundary, rank 0 checkpoints). The
// result is rank 0's run folder and training_stats.json; a failed rank is the error (its
// message names the rank).
Result<TrainResult> run_training_ranks(const TrainParams& params, const std::string& cli,
                                       const ProgressCallback& progress,
                                       const CancelToken& cancel);

struct RankLaunchOutcome {
    int exit_code = 0;            // 0 all ranks finished; 130 cancelled; else the failure's
    int failed_rank = -1;         // -1 when no rank failed
    std::string message;          // one line for the user ("" on success)
    std::string run_dir;          // rank 0's run folder (published through the store), may be ""
    std::string last_checkpoint;  // newest complete checkpoint of run_dir, may be ""
};

class RankLauncher {
  public:
    // Blocks until every rank has ended. Errors: the store or a fork failed (nothing runs).
    Result<RankLaunchOutcome> run(const RankLaunchOptions& opts);
    // Async-signal-safe: may be called from a signal handler.
    void request_stop() { stops_.fetch_add(1, std::memory_order_relaxed); }

  private:
    std::atomic<int> stops_{0};
};

}  // namespace tb
