// The NCCL path of data-parallel training (issue 15) on one GPU (label gpu; exits 77 without a
// CUDA device): a process group of one rank (as a single torchrun process has) joined through
// a TCPStore on a free port, every collective of the step loop (stop vote, gradient buckets
// from the backward hooks, step scalars, evaluation sums) run by ProcessGroupNCCL, against the
// plain single-process run. A SUM all-reduce over one rank returns its input, so the losses
// agree to CUDA's run-to-run noise; 1e-5 relative bounds it with room. The fused backend with
// CUDA graphs checks that the all-reduce runs outside the captured graph.
#include "core/common/torch_compat.h"
#include "train_test_util.h"

namespace {

tb::TrainParams gpu_params(const std::string& model, const std::string& run) {
    tb::TrainParams p = tbtest::tiny_params(model, run);
    p.device = "cuda";
    p.dtype = "float32";
    return p;
}

void expect_close(const std::map<int64_t, double>& a, const std::map<int64_t, double>& b,
                  const char* what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    double worst = 0;
    for (const auto& [s, l] : b) {
        const double r = std::abs(a.at(s) - l) / std::abs(l);
        EXPECT_LE(r, 1e-5) << what << " step " << s;
        worst = std::max(worst, r);
    }
    std::printf("%s: largest relative loss difference %.3g\n", what, worst);
}

class DdpGpu : public ::testing::TestWithParam<std::string> {};

TEST_P(DdpGpu, NcclGroupOfOneEqualsThePlainRun) {
    const std::string mode = GetParam();  // reference | fused | fused+graphs
    const std::string model = tbtest::make_tiny_model_dir("ddp_gpu_model");
    auto make = [&](const std::string& run) {
        tb::TrainParams p = gpu_params(model, run);
        p.backend = mode == "reference" ? "reference" : "fused";
        p.cuda_graphs = mode == "fused+graphs";
        return p;
    };
    tbtest::LossRecorder plain, grouped;
    tb::CancelToken c1, c2;
    auto a = tb::run_training(make(tbtest::scratch("ddp_gpu_plain_" + mode)), plain.callback(), c1);
    ASSERT_TRUE(a.ok()) << a.error().message;
    tb::TrainParams p = make(tbtest::scratch("ddp_gpu_group_" + mode));
    p.dist.group = true;
    p.dist.world_size = 1;
    p.dist.rank = 0;
    p.dist.local_rank = 0;
    p.dist.master_port = 0;  // rank 0 hosts the store: any free port
    p.dist.timeout_s = 60;
    auto b = tb::run_training(p, grouped.callback(), c2);
    ASSERT_TRUE(b.ok()) << b.error().message;
    expect_close(grouped.losses, plain.losses, mode.c_str());
    auto stats = tbtest::load_json(b.value().stats_path);
    EXPECT_EQ(stats.at("dist_backend").get<std::string>(), "nccl");
    EXPECT_EQ(stats.at("world_size").get<int64_t>(), 1);
    ASSERT_TRUE(b.value().final_eval_loss && a.value().final_eval_loss);
    EXPECT_NEAR(*b.value().final_eval_loss, *a.value().final_eval_loss,
                1e-5 * std::abs(*a.value().final_eval_loss));
}

INSTANTIATE_TEST_SUITE_P(Backends, DdpGpu, ::testing::Values("reference", "fused", "fused+graphs"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n)
                                 if (c == '+') c = '_';
                             return n;
                         });

}  // namespace

int main(int argc, char** argv) {
    if (!tb::compat::cuda_available()) {
        std::printf("no CUDA device: skipped\n");
        return 77;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
