#include "core/train/data_parallel.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/common/torch_compat.h"

#if TB_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if TB_WITH_NCCL
#include <c10/cuda/CUDAFunctions.h>

#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace tb {

namespace {

std::chrono::milliseconds ms(double s) {
    return std::chrono::milliseconds(static_cast<int64_t>(s * 1000.0));
}

std::string as_string(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }
std::vector<uint8_t> as_bytes(const std::string& s) { return {s.begin(), s.end()}; }

bool is_loopback(const std::string& host) {
    return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Store server (the launcher's)

struct StoreServer::Impl {
    c10::intrusive_ptr<c10d::TCPStore> store;
};

Result<std::unique_ptr<StoreServer>> StoreServer::start(const std::string& host, int port,
                                                        double timeout_s) {
    std::unique_ptr<StoreServer> s(new StoreServer);
    s->impl_ = std::make_unique<Impl>();
    try {
        c10d::TCPStoreOptions o;
        o.port = static_cast<std::uint16_t>(port);
        o.isServer = true;
        o.waitWorkers = false;
        o.timeout = ms(timeout_s);
        s->impl_->store = c10::make_intrusive<c10d::TCPStore>(host, o);
    } catch (const std::exception& e) {
        return make_error("TCPStore " + host + ":" + std::to_string(port),
                          std::string("cannot start: ") + e.what());
    }
    return s;
}

StoreServer::~StoreServer() = default;

int StoreServer::port() const { return impl_->store->getPort(); }

std::string StoreServer::peek(const std::string& prefix, const std::string& key) const {
    try {
        const std::string k = prefix + "/" + key;
        if (!impl_->store->check({k})) return "";
        return as_string(impl_->store->get(k));
    } catch (const std::exception&) {
        return "";
    }
}

// ---------------------------------------------------------------------------------------
// Group

struct DataParallel::Group {
    c10::intrusive_ptr<c10d::Store> store;  // prefixed
    c10::intrusive_ptr<TB_C10D_BACKEND_BASE> pg;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;  // per bucket, while in flight
    double timeout_s = 120.0;
};

Result<std::unique_ptr<DataParallel>> DataParallel::connect(const DistributedSettings& s,
                                                            at::Device device) {
    std::unique_ptr<DataParallel> dp(new DataParallel);
    dp->g_ = std::make_unique<Group>();
    dp->rank_ = s.rank;
    dp->world_ = s.world_size;
    dp->device_ = device;
    dp->g_->timeout_s = s.timeout_s;
    const std::string where = "rank " + std::to_string(s.rank) + "/" +
                              std::to_string(s.world_size) + " (" + s.master_addr + ":" +
                              std::to_string(s.master_port) + ")";
    try {
        c10d::TCPStoreOptions o;
        o.port = static_cast<std::uint16_t>(s.master_port);
        o.isServer = !s.external_store && s.rank == 0;
        o.numWorkers = static_cast<size_t>(s.world_size);
        o.waitWorkers = false;
        o.timeout = ms(s.timeout_s);
        auto tcp = c10::make_intrusive<c10d::TCPStore>(s.master_addr, o);
        dp->g_->store = c10::make_intrusive<c10d::PrefixStore>(s.store_prefix, tcp);
        if (device.is_cuda()) {
#if TB_WITH_NCCL
            c10::cuda::set_device(static_cast<c10::DeviceIndex>(device.index()));
            auto opts = c10d::ProcessGroupNCCL::Options::create();
            opts->timeout = ms(s.timeout_s);
            dp->g_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(
                dp->g_->store, static_cast<int>(s.rank), static_cast<int>(s.world_size), opts);
            dp->nccl_ = true;
#else
            return make_error(where,
                              "this build has no NCCL (c10d ProcessGroupNCCL); train on "
                              "the CPU with Gloo or rebuild against a libtorch with NCCL");
#endif
        } else {
#if TB_WITH_GLOO
            auto opts = c10d::ProcessGroupGloo::Options::create(ms(s.timeout_s));
            // Loopback rendezvous (one machine): the loopback device; otherwise the interface
            // named by GLOO_SOCKET_IFNAME, else the one the host name resolves to (as torch).
            if (is_loopback(s.master_addr))
                opts->devices.push_back(
                    c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            else if (const char* ifn = std::getenv("GLOO_SOCKET_IFNAME"); ifn && *ifn)
                opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifn));
            else
                opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            opts->threads = 2;
            dp->g_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(
                dp->g_->store, static_cast<int>(s.rank), static_cast<int>(s.world_size), opts);
#else
            return make_error(where,
                              "this build has no Gloo (c10d ProcessGroupGloo; Debian: "
                              "libgloo-dev); CPU ranks need it");
#endif
        }
    } catch (const std::exception& e) {
        return make_error(where, std::string("cannot join the process group: ") + e.what());
    }
    return dp;
}

bool DataParallel::has_gloo() {
#if TB_WITH_GLOO
    return true;
#else
    return false;
#endif
}

DataParallel::~DataParallel() { detach(); }

// ---------------------------------------------------------------------------------------
// Gradient buckets

void DataParallel::attach(const std::vector<at::Tensor>& params, int64_t bucket_bytes) {
    detach();
    params_ = params;
    buckets_.clear();
    where_.assign(params_.size(), {0, 0});
    // Reverse model order: backward produces the last layers' gradients first.
    Bucket cur;
    int64_t cur_bytes = 0;
    for (size_t k = params_.size(); k-- > 0;) {
        const at::Tensor& p = params_[k];
        if (!cur.params.empty() && (cur_bytes >= bucket_bytes ||
                                    params_[cur.params.front()].scalar_type() != p.scalar_type())) {
            buckets_.push_back(std::move(cur));
            cur = Bucket();
            cur_bytes = 0;
        }
        where_[k] = {buckets_.size(), cur.params.size()};
        cur.params.push_back(k);
        cur.numel += p.numel();
        cur_bytes += p.numel() * static_cast<int64_t>(p.element_size());
    }
    if (!cur.params.empty()) buckets_.push_back(std::move(cur));
    for (auto& b : buckets_) b.pending.resize(b.params.size());
    g_->works.assign(buckets_.size(), {});
    hook_ids_.clear();
    for (size_t k = 0; k < params_.size(); ++k)
        hook_ids_.push_back(
            params_[k].register_hook([this, k](const at::Tensor& grad) { on_grad(k, grad); }));
}

void DataParallel::detach() {
    for (size_t k = 0; k < hook_ids_.size() && k < params_.size(); ++k)
        params_[k].remove_hook(hook_ids_[k]);
    hook_ids_.clear();
}

// Autograd calls this with the gradient of this backward pass before adding it to .grad (which
// holds the earlier micro-batches' sum): the bucket's slot gets their total.
void DataParallel::on_grad(size_t param, const at::Tensor& incoming) {
    if (!armed_) return;
    auto [bi, slot] = where_[param];
    Bucket& b = buckets_[bi];
    // One gradient per parameter and backward (LoRA tensors are used once per forward); a
    // second one would arrive after its bucket may have left.
    TORCH_CHECK(!b.pending[slot].defined() && !b.launched,
                "data parallel: a second gradient for one parameter in one backward");
    const at::Tensor& prev = params_[param].grad();
    b.pending[slot] = prev.defined() ? prev + incoming : incoming;
    if (++b.ready == b.params.size()) launch_ready_in_order();
}

// Buckets leave in index order on every rank (collectives are matched by order).
void DataParallel::launch_ready_in_order() {
    while (next_launch_ < buckets_.size() &&
           buckets_[next_launch_].ready == buckets_[next_launch_].params.size()) {
        launch(buckets_[next_launch_]);
        ++next_launch_;
    }
}

void DataParallel::launch(Bucket& b) {
    std::vector<at::Tensor> parts;
    parts.reserve(b.params.size());
    for (size_t i = 0; i < b.params.size(); ++i) {
        at::Tensor g = b.pending[i];
        if (!g.defined()) {
            // No armed backward reached it: the accumulated .grad (or zero for a rank that had
            // no rows in this step).
            const at::Tensor& p = params_[b.params[i]];
            g = p.grad().defined() ? p.grad() : at::zeros_like(p);
        }
        parts.push_back(g.reshape({-1}));
        b.pending[i] = at::Tensor();
    }
    b.flat = at::cat(parts);
    std::vector<at::Tensor> t{b.flat};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    g_->works[static_cast<size_t>(&b - buckets_.data())] = g_->pg->allreduce(t, o);
    b.launched = true;
}

Status DataParallel::finish_gradients(const std::string& what) {
    armed_ = false;
    overlapped_ = static_cast<int64_t>(next_launch_);  // the hooks launched these
    beat();
    try {
        // Whatever the hooks did not launch leaves now, still in bucket order.
        for (; next_launch_ < buckets_.size(); ++next_launch_) launch(buckets_[next_launch_]);
        for (size_t i = 0; i < buckets_.size(); ++i) {
            Bucket& b = buckets_[i];
            g_->works[i]->wait(ms(g_->timeout_s));
            g_->works[i].reset();
            int64_t off = 0;
            for (size_t k : b.params) {
                at::Tensor& p = params_[k];
                at::Tensor v = b.flat.narrow(0, off, p.numel()).view_as(p);
                off += p.numel();
                if (p.grad().defined())
                    p.mutable_grad().copy_(v);
                else
                    p.mutable_grad() = v.clone();
            }
            b.flat = at::Tensor();
            b.ready = 0;
            b.launched = false;
        }
        next_launch_ = 0;
    } catch (const std::exception& e) {
        return fail(what, e);
    }
    return Status::Ok();
}

Status DataParallel::sum(std::vector<double>& values, const std::string& what) {
    beat();
    try {
        at::Tensor t = at::tensor(values, at::TensorOptions().dtype(at::kDouble)).to(device_);
        std::vector<at::Tensor> ts{t};
        c10d::AllreduceOptions o;
        o.reduceOp = c10d::ReduceOp::SUM;
        g_->pg->allreduce(ts, o)->wait(ms(g_->timeout_s));
        at::Tensor c = ts[0].to(at::kCPU);
        for (size_t i = 0; i < values.size(); ++i)
            values[i] = c[static_cast<int64_t>(i)].item<double>();
    } catch (const std::exception& e) {
        return fail(what, e);
    }
    return Status::Ok();
}

// "<collectives entered> <step>": the rank with the lowest count is the one the others wait
// for (a hung rank stops counting; two healthy ranks count the same collectives).
void DataParallel::heartbeat(int64_t step) {
    last_step_ = step;
    beat();
}

void DataParallel::beat() {
    ++seq_;
    publish("hb/" + std::to_string(rank_), std::to_string(seq_) + " " + std::to_string(last_step_));
}

void DataParallel::publish(const std::string& key, const std::string& value) {
    try {
        g_->store->set(key, as_bytes(value));
    } catch (const std::exception&) {
        // The store went away with its host: the collective that follows reports it.
    }
}

// "rank 1 (last began step 3)" for every rank whose heartbeat is behind this rank's, or that
// never sent one; "" when none is (or the store is unreachable).
std::string DataParallel::peers_behind() const {
    std::string out;
    try {
        for (int64_t r = 0; r < world_; ++r) {
            if (r == rank_) continue;
            const std::string k = "hb/" + std::to_string(r);
            const std::string v = g_->store->check({k}) ? as_string(g_->store->get(k)) : "";
            long long seq = -1, step = -1;
            if (!v.empty()) std::sscanf(v.c_str(), "%lld %lld", &seq, &step);
            if (seq >= seq_) continue;
            out += (out.empty() ? "" : ", ") + std::string("rank ") + std::to_string(r) +
                   (v.empty() ? " (no heartbeat)"
                              : " (at step " + std::to_string(step + 1) + ", " +
                                    std::to_string(seq_ - seq) + " collective(s) behind)");
        }
    } catch (const std::exception&) {
        return "";
    }
    return out;
}

Error DataParallel::fail(const std::string& what, const std::exception& e) const {
    std::string m = e.what();
    // c10::Error carries a C++ backtrace after the first line: the first line is the message.
    if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
    const std::string behind = peers_behind();
    return Error{"rank " + std::to_string(rank_) + ": " + what + " failed (" + backend_name() +
                 "): " + m +
                 (behind.empty() ? std::string()
                                 : "; behind: " + behind + " (dead or hung; step " +
                                       std::to_string(last_step_ + 1) + " here)")};
}

}  // namespace tb
