// 8-bit AdamW: fp32 path equals torch's AdamW; the 8-bit states converge like fp32 AdamW on a
// regression problem; ~2 bytes of state per parameter; checkpoints resume bit for bit;
// paging changes nothing numerically. CPU here; CUDA in test_quant_gpu.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/quant/adamw_8bit.h"
#include "quant_test_util.h"

namespace {

// Least squares: X [N, in] W_true [in, out] + noise; trainable W [out, in] and b [out].
struct Problem {
    at::Tensor X, Y;
    Problem(int64_t n, int64_t in, int64_t out, uint64_t seed) {
        auto gen = at::detail::createCPUGenerator(seed);
        X = at::empty({n, in}).normal_(0, 1, gen);
        at::Tensor w = at::empty({in, out}).normal_(0, 0.3, gen);
        Y = at::matmul(X, w) + at::empty({n, out}).normal_(0, 0.1, gen) + 0.5;
        X = X.to(qtest::device());
        Y = Y.to(qtest::device());
    }
    at::Tensor loss(const at::Tensor& W, const at::Tensor& b) const {
        return (at::linear(X, W, b) - Y).pow(2).mean();
    }
};

std::vector<at::Tensor> init_params(int64_t in, int64_t out) {
    auto gen = at::detail::createCPUGenerator(99);
    at::Tensor W = at::empty({out, in}).normal_(0, 0.05, gen).to(qtest::device());
    at::Tensor b = at::zeros({out}).to(qtest::device());
    return {W.requires_grad_(true), b.requires_grad_(true)};
}

std::vector<at::Tensor> grads_of(const Problem& pr, std::vector<at::Tensor>& p, double* loss) {
    for (auto& t : p) t.mutable_grad() = at::Tensor();
    at::Tensor l = pr.loss(p[0], p[1]);
    l.backward();
    if (loss) *loss = l.item<double>();
    return {p[0].grad(), p[1].grad()};
}

// Runs `steps` updates with our optimizer; returns the final loss.
double run_ours(tb::AdamW8bit& opt, const Problem& pr, std::vector<at::Tensor>& p, int steps,
                double lr, int first_step = 1) {
    double loss = 0;
    for (int s = 0; s < steps; ++s) {
        auto g = grads_of(pr, p, &loss);
        auto st = opt.step(p, g, lr, first_step + s);
        EXPECT_TRUE(st.ok()) << st.error().message;
    }
    return pr.loss(p[0], p[1]).item<double>();
}

TEST(AdamW8bit, Fp32StatesMatchTorchAdamW) {
    Problem pr(256, 64, 16, 1);
    auto a = init_params(64, 16);
    std::vector<at::Tensor> b = {a[0].detach().clone().requires_grad_(true),
                                 a[1].detach().clone().requires_grad_(true)};
    tb::AdamW8bitOptions o;
    o.min_8bit_size = int64_t{1} << 40;  // everything stays fp32
    o.weight_decay = 0.01;
    tb::AdamW8bit ours(o);
    torch::optim::AdamW ref(b, torch::optim::AdamWOptions(3e-2).weight_decay(0.01));
    for (int s = 1; s <= 50; ++s) {
        auto g = grads_of(pr, a, nullptr);
        ASSERT_TRUE(ours.step(a, g, 3e-2, s).ok());
        ref.zero_grad();
        pr.loss(b[0], b[1]).backward();
        ref.step();
    }
    EXPECT_EQ(ours.num_fp32_tensors(), 2);
    // torch's C++ AdamW uses mul_+add_ where Python (and we) use lerp_: rounding-level drift.
    EXPECT_LT(qtest::rel_err(a[0].detach(), b[0].detach()), 1e-5);
    EXPECT_LT(qtest::rel_err(a[1].detach(), b[1].detach()), 1e-5);
}

TEST(AdamW8bit, ConvergesLikeFp32AdamWWithTwoBytesPerParam) {
    const int64_t in = 256, out = 64;  // W: 16384 elements -> 8-bit; b: 64 -> fp32
    Problem pr(1024, in, out, 2);
    auto p8 = init_params(in, out);
    auto p32 = init_params(in, out);
    tb::AdamW8bitOptions o;
    o.weight_decay = 0.01;
    tb::AdamW8bit opt8(o);
    tb::AdamW8bitOptions o32 = o;
    o32.min_8bit_size = int64_t{1} << 40;
    tb::AdamW8bit opt32(o32);
    const double initial = pr.loss(p8[0], p8[1]).item<double>();
    const double l8 = run_ours(opt8, pr, p8, 300, 1e-2);
    const double l32 = run_ours(opt32, pr, p32, 300, 1e-2);
    const double wdiff = qtest::rel_err(p8[0].detach(), p32[0].detach());
    std::printf(
        "[adamw8bit] 300 steps on %s: loss %.4f -> 8-bit %.5f, fp32 %.5f; "
        "rel. weight difference %.4g\n",
        qtest::device().str().c_str(), initial, l8, l32, wdiff);
    EXPECT_LT(l8, initial * 0.05);
    EXPECT_LT(std::abs(l8 - l32), 0.05 * l32 + 1e-3);
    EXPECT_LT(wdiff, 0.05);

    EXPECT_EQ(opt8.num_8bit_tensors(), 1);
    EXPECT_EQ(opt8.num_fp32_tensors(), 1);
    const int64_t nb = in * out / 256;
    EXPECT_EQ(opt8.state_bytes(), 2 * in * out + 2 * 4 * nb + 2 * 4 * out);
    const double per_param = static_cast<double>(2 * in * out + 2 * 4 * nb) / (in * out);
    std::printf("[adamw8bit] state bytes/param (8-bit tensor): %.4f (fp32 AdamW: 8)\n", per_param);
    EXPECT_NEAR(per_param, 2.0, 0.05);
}

TEST(AdamW8bit, BlocksizeOfOlderBitsandbytes) {
    Problem pr(512, 128, 64, 3);
    auto p = init_params(128, 64);
    tb::AdamW8bitOptions o;
    o.blocksize = 2048;
    tb::AdamW8bit opt(o);
    const double initial = pr.loss(p[0], p[1]).item<double>();
    EXPECT_LT(run_ours(opt, pr, p, 200, 1e-2), initial * 0.1);
    EXPECT_EQ(opt.state_bytes(), 2 * 8192 + 2 * 4 * 4 + 2 * 4 * 64);
}

TEST(AdamW8bit, CheckpointResumesBitForBit) {
    Problem pr(256, 128, 64, 4);
    auto a = init_params(128, 64);
    tb::AdamW8bit opt;
    run_ours(opt, pr, a, 20, 1e-2);
    // A fresh directory through mkdtemp rather than tbtest::scratch_dir: on the GPU machine
    // the pip libtorch exports its own std::filesystem symbols, and remove_all from there
    // crashes when called from our binaries.
    char dir[] = "/tmp/tb_adamw8bit_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string path = std::string(dir) + "/opt.safetensors";
    ASSERT_FALSE(opt.save(path, {{"blocksize", "1"}}).ok());  // reserved key
    ASSERT_TRUE(opt.save(path, {{"step", "20"}}).ok());
    std::vector<at::Tensor> b = {a[0].detach().clone().requires_grad_(true),
                                 a[1].detach().clone().requires_grad_(true)};
    tb::AdamW8bit resumed;
    std::map<std::string, std::string> meta;
    auto st = resumed.load(path, b, &meta);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(meta["step"], "20");
    EXPECT_EQ(resumed.state_bytes(), opt.state_bytes());
    run_ours(opt, pr, a, 20, 1e-2, 21);
    run_ours(resumed, pr, b, 20, 1e-2, 21);
    EXPECT_TRUE(at::equal(a[0].detach(), b[0].detach()));
    EXPECT_TRUE(at::equal(a[1].detach(), b[1].detach()));

    // A checkpoint for other parameters or another block size is refused with a reason.
    auto other = init_params(64, 64);
    auto bad = tb::AdamW8bit().load(path, other);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("0.m"), std::string::npos) << bad.error().message;
    tb::AdamW8bitOptions o2048;
    o2048.blocksize = 2048;
    auto bad2 = tb::AdamW8bit(o2048).load(path, b);
    ASSERT_FALSE(bad2.ok());
    EXPECT_NE(bad2.error().message.find("blocksize"), std::string::npos);
    std::remove(path.c_str());
    rmdir(dir);
}

TEST(AdamW8bit, PagedGivesIdenticalResults) {
    Problem pr(256, 128, 64, 5);
    auto a = init_params(128, 64);
    std::vector<at::Tensor> b = {a[0].detach().clone().requires_grad_(true),
                                 a[1].detach().clone().requires_grad_(true)};
    tb::AdamW8bit plain;
    tb::AdamW8bitOptions po;
    po.paged = true;
    po.page_chunk_elems = 1000;  // several chunks (rounded to 768 = 3 blocks)
    tb::AdamW8bit paged(po);
    run_ours(plain, pr, a, 30, 1e-2);
    run_ours(paged, pr, b, 30, 1e-2);
    EXPECT_TRUE(at::equal(a[0].detach(), b[0].detach()));
    auto sd = paged.state_dict();
    EXPECT_TRUE(at::equal(sd["0.m"], plain.state_dict()["0.m"]));
    EXPECT_EQ(paged.state_bytes(), plain.state_bytes());
#ifdef TB_TEST_CUDA
    // On CUDA the paged states really live in host memory between steps.
    EXPECT_EQ(paged.device_state_bytes(), 0);
    EXPECT_EQ(plain.device_state_bytes(), plain.state_bytes());
#else
    EXPECT_EQ(paged.device_state_bytes(), 0);  // CPU: nothing on a device either way
#endif
}

TEST(AdamW8bit, RejectsMismatchedInputs) {
    auto p = init_params(8, 4);
    tb::AdamW8bit opt;
    auto e1 = opt.step(p, {p[0]}, 1e-3, 1);
    ASSERT_FALSE(e1.ok());
    EXPECT_NE(e1.error().message.find("2 parameters but 1 gradients"), std::string::npos);
    auto e2 = opt.step(p, {at::zeros({3}), at::zeros({4})}, 1e-3, 1);
    ASSERT_FALSE(e2.ok());
    EXPECT_NE(e2.error().message.find("gradient shape"), std::string::npos);
    auto e3 = opt.step(p, {at::zeros_like(p[0]), at::zeros_like(p[1])}, 1e-3, 0);
    EXPECT_FALSE(e3.ok());
}

}  // namespace
