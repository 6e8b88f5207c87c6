// Data-parallel LoRA training over c10d, the engine PyTorch's DDP stands on, from the libtorch
// we link: ProcessGroupGloo on CPU, ProcessGroupNCCL on CUDA, rendezvous through a TCPStore
// (hosted by rank 0, or by the launcher / torchrun's agent). No transport of our own.
//
// Semantics (what TrainingSession does with it):
//   data       every rank tokenizes the whole train split and draws the same seeded epoch
//              permutation; the global micro-batch is world_size x batch_size rows and rank r
//              takes its positions r, r + N, r + 2N, ... (torch's DistributedSampler with
//              shuffle and set_epoch: indices[rank::world_size]), without padding, so every
//              row is seen once per epoch and a short last micro-batch may leave a rank empty.
//   loss       each micro-batch's summed token loss is divided by the loss tokens of the
//              whole global step (every rank can count them: all rows are known to all), and
//              the gradients are SUM-all-reduced: N ranks x batch b give one rank x batch N*b's
//              gradients (up to fp32 summation order), so the loss curve is the same too.
//   overlap    LoRA gradients are all-reduced in buckets (~bucket_bytes each, in reverse
//              parameter order: the order backward produces them) launched from autograd hooks
//              during the step's last backward, as DDP's Reducer does; buckets are launched in
//              a fixed order on every rank. With CUDA graphs (hooks do not run inside a replay)
//              every bucket is all-reduced after the replay, outside the captured graph.
//   scalars    step loss, token and row counts, eval loss sums and the stop (cancel) flag are
//              all-reduced in fp64; every rank takes the same decisions.
//   faults     Gloo/NCCL report a dead peer (closed connection) at once and a hung one after
//              `timeout_s`; the error names the ranks whose heartbeat (the step each rank last
//              started, kept in the store) is behind, so the message says which rank failed.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/train/trainer.h"

namespace c10d {
class Store;
}

namespace tb {

// Rank 0's progress reports in the store, for the launcher that shows them (rank_launcher.h):
// "progress/0/seq" counts them and report n is kept under "progress/0/<n % kProgressHistory>",
// so a launcher that polls every 200 ms gets every step and evaluation, not only the latest
// (up to kProgressHistory reports between two polls). Every rank's latest report is
// "progress/<rank>".
constexpr int64_t kProgressHistory = 64;

// The TCPStore server side, for a launcher that supervises the ranks (tunebench-cli train
// --nproc-per-node): it outlives every rank, so heartbeats stay readable when one dies.
class StoreServer {
  public:
    // port 0: a free port is chosen (port()).
    static Result<std::unique_ptr<StoreServer>> start(const std::string& host, int port,
                                                      double timeout_s);
    ~StoreServer();
    int port() const;
    // The value of `key` under `prefix`, "" when absent (never blocks).
    std::string peek(const std::string& prefix, const std::string& key) const;

  private:
    StoreServer() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

class DataParallel {
  public:
    // Joins the group (blocks until every rank has arrived, at most timeout_s). CUDA devices
    // use NCCL (in builds that have it), CPU devices Gloo.
    static Result<std::unique_ptr<DataParallel>> connect(const DistributedSettings& s,
                                                         at::Device device);
    ~DataParallel();
    DataParallel(const DataParallel&) = delete;
    DataParallel& operator=(const DataParallel&) = delete;

    int64_t rank() const { return rank_; }
    int64_t world_size() const { return world_; }
    const char* backend_name() const { return nccl_ ? "nccl" : "gloo"; }
    // Whether this build can form CPU groups: c10d's Gloo needs Gloo's headers at build time
    // (Debian's libgloo-dev; pip's libtorch ships none), so a build without them refuses CPU
    // ranks with an error naming the package.
    static bool has_gloo();

    // Registers a gradient hook on every tensor (LoRA parameters, in model order) and builds
    // the buckets. The tensors must outlive this object or detach() must be called.
    void attach(const std::vector<at::Tensor>& params, int64_t bucket_bytes = 25 << 20);
    void detach();

    // Arms the hooks for the next backward pass (the step's last micro-batch): each bucket is
    // all-reduced as soon as its gradients are complete.
    void arm_overlap() { armed_ = true; }

    // Ends the step's gradient exchange: launches the buckets not yet launched (all of them
    // when the step ran no armed backward), waits for all and writes the summed gradients into
    // the parameters' .grad (defined afterwards on every rank).
    Status finish_gradients(const std::string& what);

    // SUM-all-reduces `values` in fp64 (in place).
    Status sum(std::vector<double>& values, const std::string& what);

    // The step this rank starts (heartbeat in the store, read when a collective fails).
    void heartbeat(int64_t step);
    // Publishes / reads a string for the other ranks and the launcher (e.g. the run folder).
    void publish(const std::string& key, const std::string& value);

    // Buckets launched from hooks during the last armed backward (the overlap that happened).
    int64_t overlapped_buckets() const { return overlapped_; }
    int64_t buckets() const { return static_cast<int64_t>(buckets_.size()); }

  private:
    DataParallel() = default;
    struct Group;  // the c10d objects (hides their headers from includers)
    struct Bucket {
        std::vector<size_t> params;  // indices into params_
        int64_t numel = 0;
        size_t ready = 0;
        bool launched = false;
        at::Tensor flat;
        std::vector<at::Tensor> pending;  // the hook's incoming grads, by position in `params`
    };

    void beat();
    void on_grad(size_t param, const at::Tensor& incoming);
    void launch_ready_in_order();
    void launch(Bucket& b);
    Error fail(const std::string& what, const std::exception& e) const;
    std::string peers_behind() const;

    std::unique_ptr<Group> g_;
    int64_t rank_ = 0, world_ = 1;
    bool nccl_ = false;
    at::Device device_{at::kCPU};
    std::vector<at::Tensor> params_;
    std::vector<std::pair<size_t, size_t>> where_;  // param -> (bucket, slot)
    std::vector<unsigned> hook_ids_;
    std::vector<Bucket> buckets_;
    size_t next_launch_ = 0;
    bool armed_ = false;
    int64_t overlapped_ = 0;
    int64_t last_step_ = 0;
    int64_t seq_ = 0;  // collectives entered (heartbeat)
};

}  // namespace tb
