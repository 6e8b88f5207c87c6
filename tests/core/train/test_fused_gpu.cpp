// The fused backend's CUDA kernels (label gpu; exits 77 without a CUDA device): each op's
// forward and backward on CUDA against the same op on CPU (fp32: within 1e-5; bf16: within
// bf16 rounding), the whole fused model on CUDA fp32 against the reference backend on CPU, and
// fused vs reference training runs on CUDA in bf16.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "core/common/torch_compat.h"
#include "core/infer/llama_io.h"
#include "core/train/checkpointing.h"
#include "core/train/fused_forward.h"
#include "core/train/fused_ops.h"
#include "core/train/lora_injection.h"
#include "train_test_util.h"

namespace {

const at::Device kCuda(at::kCUDA, 0);

double rel_diff(const at::Tensor& a, const at::Tensor& b) {
    at::Tensor af = a.detach().cpu().to(at::kFloat), bf = b.detach().cpu().to(at::kFloat);
    return (af - bf).abs().max().item<double>() / std::max(bf.abs().max().item<double>(), 1e-30);
}

// Runs f on CPU fp32 inputs and on CUDA inputs of dtype dt; compares outputs and input grads.
template <typename F>
void compare_op(const char* name, std::vector<at::Tensor> inputs, const at::Tensor& dy_cpu,
                at::ScalarType dt, double tol, F f) {
    std::vector<at::Tensor> cpu, gpu;
    for (auto& t : inputs) {
        // Inputs rounded to dt first, so both sides see the same values.
        // detach(): with dt == fp32 the casts return t itself, and a clone of a tensor that
        // requires grad would be a non-leaf whose .grad() stays undefined.
        at::Tensor r = t.detach().to(dt).to(at::kFloat);
        cpu.push_back(r.clone().requires_grad_(t.requires_grad()));
        gpu.push_back(r.to(kCuda).to(dt).requires_grad_(t.requires_grad()));
    }
    at::Tensor yc = f(cpu, at::kCPU), yg = f(gpu, kCuda);
    const double dy_diff = rel_diff(yg, yc);
    yc.backward(dy_cpu);
    yg.backward(dy_cpu.to(kCuda).to(yg.scalar_type()));
    double worst = 0;
    for (size_t i = 0; i < cpu.size(); ++i)
        if (cpu[i].requires_grad()) worst = std::max(worst, rel_diff(gpu[i].grad(), cpu[i].grad()));
    std::printf("%-14s %-8s forward rel diff %.2e, grad rel diff %.2e\n", name,
                dt == at::kFloat ? "fp32" : "bf16", dy_diff, worst);
    EXPECT_LT(dy_diff, tol) << name;
    EXPECT_LT(worst, tol * 4) << name;
}

tb::LoraLinear lora_linear_on(at::Device dev, at::ScalarType dt, int64_t out, int64_t in,
                              uint64_t seed) {
    torch::manual_seed(seed);
    tb::LoraLinear l;
    l.weight = (torch::randn({out, in}) * 0.1).to(dt).to(dev);
    l.lora.A = (torch::randn({8, in}) * 0.1).to(dev).requires_grad_(true);
    l.lora.B = (torch::randn({out, 8}) * 0.1).to(dev).requires_grad_(true);
    l.lora.scale = 2.0;
    return l;
}

TEST(FusedGpu, KernelsMatchCpuOps) {
    for (at::ScalarType dt : {at::kFloat, at::kBFloat16}) {
        const double tol = dt == at::kFloat ? 1e-5 : 2e-2;
        torch::manual_seed(1);
        at::Tensor w = torch::randn({256}) * 0.5 + 1.0;
        compare_op("rms_norm", {torch::randn({3, 17, 256}).requires_grad_(true)},
                   torch::randn({3, 17, 256}), dt, tol,
                   [&](std::vector<at::Tensor>& in, at::Device d) {
                       return tb::fused::rms_norm(in[0], w.to(in[0].scalar_type()).to(d), 1e-5);
                   });
        // RoPE: tables from a model on each device (CPU: activation-dtype tables; CUDA: fp32).
        tb::LlamaConfig c;
        c.vocab_size = 50;
        c.hidden_size = 64;
        c.intermediate_size = 96;
        c.num_hidden_layers = 1;
        c.num_attention_heads = 4;
        c.num_key_value_heads = 2;
        c.head_dim = 16;
        tb::LoadOptions lc, lg;
        lg.device = kCuda;
        tb::LlamaModel mc = tb::init_llama(c, 3, 0.05, lc), mg = tb::init_llama(c, 3, 0.05, lg);
        at::Tensor pos = at::arange(0, 9).view({1, 9}).repeat({2, 1}) + 5;
        compare_op("rope", {torch::randn({2, 9, 4, 16}).requires_grad_(true)},
                   torch::randn({2, 9, 4, 16}), dt, tol,
                   [&](std::vector<at::Tensor>& in, at::Device d) {
                       const tb::LlamaModel& m = d.is_cuda() ? mg : mc;
                       at::Tensor p = pos.to(d);
                       return tb::fused::rope(in[0], tb::fused::rope_tables(m, p));
                   });
        // MLP (no dropout: CUDA and CPU generators differ).
        tb::LoraLinear gc = lora_linear_on(at::kCPU, at::kFloat, 96, 64, 4),
                       uc = lora_linear_on(at::kCPU, at::kFloat, 96, 64, 5),
                       dc = lora_linear_on(at::kCPU, at::kFloat, 64, 96, 6);
        tb::LoraLinear gg = lora_linear_on(kCuda, dt, 96, 64, 4),
                       ug = lora_linear_on(kCuda, dt, 96, 64, 5),
                       dg = lora_linear_on(kCuda, dt, 64, 96, 6);
        for (tb::LoraLinear* l : {&gc, &uc, &dc}) l->weight = l->weight.to(dt).to(at::kFloat);
        compare_op("swiglu_mlp", {torch::randn({2, 7, 64}).requires_grad_(true)},
                   torch::randn({2, 7, 64}), dt, dt == at::kFloat ? 1e-5 : 4e-2,
                   [&](std::vector<at::Tensor>& in, at::Device d) {
                       return d.is_cuda() ? tb::fused::swiglu_mlp(in[0], gg, ug, dg, true)
                                          : tb::fused::swiglu_mlp(in[0], gc, uc, dc, true);
                   });
        at::Tensor W = torch::randn({1000, 64}) * 0.2;
        at::Tensor labels = at::randint(0, 1000, {37}, at::kLong);
        labels.slice(0, 5, 9).fill_(-100);
        compare_op("cross_entropy", {torch::randn({37, 64}).requires_grad_(true)}, torch::ones({}),
                   dt, dt == at::kFloat ? 1e-5 : 1e-2,
                   [&](std::vector<at::Tensor>& in, at::Device d) {
                       return tb::fused::linear_cross_entropy_sum(
                           in[0], W.to(in[0].scalar_type()).to(d), labels.to(d), 30.0, 8);
                   });
    }
}

// The seeded dropout mask: a pure function of the seed, dropping close to p of the values, and
// the fused LoRA linear's forward and gradients equal plain autograd ops under that same mask.
TEST(FusedGpu, SeededDropoutMaskIsReproducibleAndLoraUsesIt) {
    const double p = 0.3;
    at::Tensor x = torch::randn({1001, 513}).to(kCuda).to(at::kBFloat16);  // odd count: tail
    at::Tensor seed = at::full({1}, 1234567, at::TensorOptions().dtype(at::kLong).device(kCuda));
    at::Tensor a = tb::fused::seeded_dropout(x, seed, p), b = tb::fused::seeded_dropout(x, seed, p);
    EXPECT_TRUE(at::equal(a, b));
    at::Tensor kept = a.ne(0);
    const double frac_dropped = 1.0 - kept.to(at::kFloat).mean().item<double>();
    const double sigma = std::sqrt(p * (1 - p) / static_cast<double>(x.numel()));
    std::printf("seeded dropout p=%.2f: dropped %.5f (sigma %.5f)\n", p, frac_dropped, sigma);
    EXPECT_NEAR(frac_dropped, p, 5 * sigma);
    // Kept values are x / (1 - p) rounded once.
    at::Tensor want = (x.to(at::kFloat) / (1 - p)).to(at::kBFloat16);
    EXPECT_TRUE(at::equal(a.masked_select(kept), want.masked_select(kept)));
    // Another seed, another mask; masks of neighbouring rows are not shifted copies.
    at::Tensor c = tb::fused::seeded_dropout(x, seed + 1, p);
    EXPECT_GT(c.ne(0).ne(kept).to(at::kFloat).mean().item<double>(), 0.2);
    EXPECT_GT(kept.slice(0, 1).ne(kept.slice(0, 0, -1)).to(at::kFloat).mean().item<double>(), 0.2);

    // lora_linear draws its seed as the first CUDA random op: replay it and rebuild the mask.
    for (at::ScalarType dt : {at::kFloat, at::kBFloat16}) {
        tb::LoraLinear l = lora_linear_on(kCuda, dt, 48, 64, 7);
        l.lora.dropout = p;
        at::Tensor xi = torch::randn({5, 9, 64}).to(kCuda).to(dt).requires_grad_(true);
        at::Tensor dy = torch::randn({5, 9, 48}).to(kCuda).to(dt);
        torch::manual_seed(42);
        at::Tensor y = tb::fused::lora_linear(xi, l, true);
        auto g = torch::autograd::grad({y}, {xi, l.lora.A, l.lora.B}, {dy});
        torch::manual_seed(42);
        at::Tensor s = at::randint(0, std::numeric_limits<int64_t>::max(), {1},
                                   at::TensorOptions().dtype(at::kLong).device(kCuda));
        at::Tensor mask = tb::fused::seeded_dropout(at::ones({45, 64}, xi.options()), s, p)
                              .ne(0)
                              .view({5, 9, 64});
        at::Tensor xd = xi * mask.to(dt) * (1.0 / (1 - p));
        at::Tensor ref =
            at::linear(xi, l.weight) +
            at::linear(at::linear(xd, l.lora.A.to(dt)), l.lora.B.to(dt)) * l.lora.scale;
        auto gr = torch::autograd::grad({ref}, {xi, l.lora.A, l.lora.B}, {dy});
        const double tol = dt == at::kFloat ? 1e-5 : 3e-2;
        std::printf("seeded-dropout LoRA %s: forward rel diff %.2e\n",
                    dt == at::kFloat ? "fp32" : "bf16", rel_diff(y, ref));
        EXPECT_LT(rel_diff(y, ref), tol);
        for (int i = 0; i < 3; ++i) EXPECT_LT(rel_diff(g[i], gr[i]), 4 * tol) << "grad " << i;
    }
}

tb::LlamaModel tiny_model(at::Device dev, at::ScalarType dt) {
    tb::LlamaConfig c;
    c.vocab_size = 300;
    c.hidden_size = 64;
    c.intermediate_size = 160;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 16;
    c.max_position_embeddings = 128;
    tb::LoadOptions lo;
    lo.device = dev;
    lo.dtype = dt;
    tb::LlamaModel m = tb::init_llama(c, 5, 0.08, lo);
    tb::LoraSettings s;
    s.r = 8;
    s.alpha = 16;
    s.dropout = 0.0;
    s.target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                        "gate_proj", "up_proj", "down_proj"};
    EXPECT_TRUE(tb::inject_lora(m, s, 9).ok());
    torch::manual_seed(8);
    at::NoGradGuard ng;
    for (auto& p : tb::lora_parameters(m))
        if (p.name.find("lora_B") != std::string::npos)
            p.tensor.copy_(torch::randn(p.tensor.sizes()) * 0.05);
    return m;
}

TEST(FusedGpu, ModelOnCudaMatchesReferenceBackend) {
    torch::manual_seed(3);
    at::Tensor ids = at::randint(3, 300, {3, 40}, at::kLong);
    at::Tensor mask = at::ones({3, 40}, at::kLong);
    mask[1].slice(0, 30).fill_(0);
    at::Tensor labels = ids.masked_fill(mask.eq(0), -100);
    at::Tensor pos = at::arange(0, 40).view({1, 40}).repeat({3, 1});
    // Reference on CPU fp32.
    tb::LlamaModel ref = tiny_model(at::kCPU, at::kFloat);
    at::Tensor lr = tb::micro_batch_loss(ref, ids, pos, mask, labels, 50.0, true, false);
    lr.backward();
    for (at::ScalarType dt : {at::kFloat, at::kBFloat16}) {
        for (bool ckpt : {false, true}) {
            tb::LlamaModel m = tiny_model(kCuda, dt);
            at::Tensor l =
                tb::fused_micro_batch_loss(m, ids.to(kCuda), pos.to(kCuda), mask.to(kCuda),
                                           labels.to(kCuda), 50.0, true, ckpt);
            l.backward();
            auto pr = tb::lora_parameters(ref), pm = tb::lora_parameters(m);
            double worst = 0;
            for (size_t i = 0; i < pr.size(); ++i)
                worst = std::max(worst, rel_diff(pm[i].tensor.grad(), pr[i].tensor.grad()));
            const double dl = std::abs(l.item<double>() - lr.item<double>()) / lr.item<double>();
            std::printf(
                "fused CUDA %s ckpt %d vs reference CPU fp32: loss rel diff %.2e, worst "
                "LoRA grad rel diff %.2e\n",
                dt == at::kFloat ? "fp32" : "bf16", ckpt, dl, worst);
            EXPECT_LT(dl, dt == at::kFloat ? 1e-5 : 1e-2);
            EXPECT_LT(worst, dt == at::kFloat ? 1e-4 : 1e-1);
        }
    }
}

// The per-micro-batch LoRA inputs (one cast buffer, one seed with a salt per branch): the cast
// views equal per-call casts, salts are distinct, and a dropout run is deterministic under
// the same generator seed and changes with another. Without dropout the non-checkpointed run
// (which uses them) equals the checkpointed one (which casts per call) exactly.
TEST(FusedGpu, LoraMicroBatchInputsAreExactAndDeterministic) {
    tb::LlamaModel m = tiny_model(kCuda, at::kBFloat16);
    tb::fused::LoraMicroBatch mb = tb::fused::prepare_lora_micro_batch(m, at::kBFloat16, true);
    EXPECT_EQ(mb.branches.size(), m.layers.size() * 7);
    EXPECT_FALSE(mb.seed.defined()) << "no branch has dropout";
    std::set<int64_t> salts;
    for (const auto& [b, e] : mb.branches) {
        EXPECT_TRUE(at::equal(e.A, b->A.to(at::kBFloat16)));
        EXPECT_TRUE(at::equal(e.B, b->B.to(at::kBFloat16)));
        salts.insert(e.salt);
    }
    EXPECT_EQ(salts.size(), mb.branches.size());

    torch::manual_seed(3);
    auto opts = at::TensorOptions().dtype(at::kLong).device(kCuda);
    at::Tensor ids = at::randint(3, 300, {2, 33}, opts);
    at::Tensor pos = at::arange(0, 33, opts).view({1, 33}).repeat({2, 1});
    at::Tensor mask = at::ones({2, 33}, opts);
    auto ps = tb::lora_parameters(m);
    auto run = [&](uint64_t seed, bool ckpt) {
        torch::manual_seed(seed);
        at::Tensor l = tb::fused_micro_batch_loss(m, ids, pos, mask, ids, 40.0, true, ckpt);
        l.backward();
        std::vector<at::Tensor> g{l.detach().to(at::kFloat)};
        for (auto& p : ps) {
            g.push_back(p.tensor.grad().clone());
            p.tensor.mutable_grad() = at::Tensor();
        }
        return g;
    };
    // Losses exactly; gradients within bf16 noise (the attention backward accumulates with
    // atomics, so even two identical runs may differ in the last bits).
    auto same = [](const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
        if (!at::equal(a[0], b[0])) return false;
        double worst = 0;
        for (size_t i = 1; i < a.size(); ++i) worst = std::max(worst, rel_diff(a[i], b[i]));
        std::printf("  loss %.6f, worst LoRA grad rel diff %.2e\n", a[0].item<double>(), worst);
        return worst < 2e-2;
    };
    EXPECT_TRUE(same(run(1, false), run(1, true))) << "no dropout: shared casts change nothing";
    for (auto& L : m.layers)
        for (tb::LoraLinear* p :
             {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
            p->lora.dropout = 0.2;
    auto a = run(7, false), b = run(7, false), c = run(8, false);
    EXPECT_TRUE(same(a, b)) << "same generator seed, same masks";
    EXPECT_NE(a[0].item<double>(), c[0].item<double>()) << "dropout is active";
    std::printf("micro-batch dropout: loss %.5f (seed 7) vs %.5f (seed 8)\n", a[0].item<double>(),
                c[0].item<double>());
}

TEST(FusedGpu, TrainingRunOnCudaBf16MatchesReferenceRun) {
    const std::string model = tbtest::make_tiny_model_dir("fused_gpu_model", 11, 64, 128);
    std::map<int64_t, double> losses[2];
    int i = 0;
    for (const char* backend : {"reference", "fused"}) {
        tb::TrainParams p =
            tbtest::tiny_params(model, tbtest::scratch(std::string("fused_gpu_") + backend));
        p.backend = backend;
        p.device = "cuda";
        p.dtype = "bfloat16";
        p.lora.dropout = 0.0;
        p.max_steps = 6;
        tbtest::LossRecorder rec;
        tb::CancelToken cancel;
        auto r = tb::run_training(p, rec.callback(), cancel);
        ASSERT_TRUE(r.ok()) << r.error().message;
        losses[i++] = rec.losses;
    }
    for (const auto& [step, l] : losses[0]) {
        std::printf("step %lld: reference %.5f fused %.5f\n", static_cast<long long>(step), l,
                    losses[1].at(step));
        EXPECT_NEAR(losses[1].at(step), l, 2e-2 * l) << "step " << step;
    }
}

// training.cuda_graphs: the replayed run follows the eager fused run step for step (fp32,
// no dropout: same maths, only the padding to batch_size x max_length and the point where the
// 1/tokens scale is applied differ), with and without checkpointing, and resumes.
TEST(FusedGpu, CudaGraphTrainingMatchesEagerRun) {
    const std::string model = tbtest::make_tiny_model_dir("fused_gpu_model", 11, 64, 128);
    for (bool ckpt : {false, true}) {
        std::map<int64_t, double> losses[2];
        for (int graphs = 0; graphs < 2; ++graphs) {
            tb::TrainParams p = tbtest::tiny_params(
                model, tbtest::scratch("fused_graphs_" + std::to_string(graphs) + "_" +
                                       std::to_string(ckpt)));
            p.backend = "fused";
            p.device = "cuda";
            p.dtype = "float32";
            p.lora.dropout = 0.0;
            p.gradient_checkpointing = ckpt;
            p.cuda_graphs = graphs == 1;
            tbtest::LossRecorder rec;
            tb::CancelToken cancel;
            auto r = tb::run_training(p, rec.callback(), cancel);
            ASSERT_TRUE(r.ok()) << r.error().message;
            losses[graphs] = rec.losses;
        }
        ASSERT_EQ(losses[0].size(), losses[1].size());
        for (const auto& [step, l] : losses[0]) {
            std::printf("ckpt %d step %lld: eager %.6f graphs %.6f\n", ckpt,
                        static_cast<long long>(step), l, losses[1].at(step));
            EXPECT_NEAR(losses[1].at(step), l, 1e-4 * l) << "step " << step;
        }
    }
    // bf16 with dropout: trains (loss falls) and a cancelled run resumes.
    auto bf = [&](const std::string& run) {
        tb::TrainParams p = tbtest::tiny_params(model, run);
        p.backend = "fused";
        p.device = "cuda";
        p.dtype = "bfloat16";
        p.cuda_graphs = true;
        return p;
    };
    const std::string run = tbtest::scratch("fused_graphs_cancel");
    tb::CancelToken c;
    auto cb = [&](const tb::TrainProgress& pr) {
        if (pr.phase == tb::TrainPhase::Training && pr.step == 5) c.cancel();
    };
    auto b = tb::run_training(bf(run), cb, c);
    ASSERT_TRUE(b.ok()) << b.error().message;
    ASSERT_TRUE(b.value().cancelled);
    tb::TrainParams pr = bf("");
    pr.resume_from = run;
    tbtest::LossRecorder rec;
    tb::CancelToken c2;
    auto rr = tb::run_training(pr, rec.callback(), c2);
    ASSERT_TRUE(rr.ok()) << rr.error().message;
    EXPECT_EQ(rr.value().steps, 8);
}

}  // namespace

int main(int argc, char** argv) {
    if (!tb::compat::cuda_available()) {
        std::printf("no CUDA device: skipped\n");
        return 77;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
