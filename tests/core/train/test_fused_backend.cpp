// The fused backend against the reference backend (plain autograd): every hand-written
// backward against autograd on the reference op sequence, the whole model's loss and LoRA
// gradients (with dropout, GQA, padding, checkpointing), and whole training runs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "core/infer/llama_io.h"
#include "core/quant/qlora.h"
#include "core/train/batching.h"
#include "core/train/checkpointing.h"
#include "core/infer/cuda_graph_step.h"
#include "core/train/fused_forward.h"
#include "core/train/fused_ops.h"
#include "core/train/lora_injection.h"
#include "train_test_util.h"

namespace {

// Largest |a - b| relative to max |b| (gradients span orders of magnitude across tensors).
double rel_diff(const at::Tensor& a, const at::Tensor& b) {
    const double scale = std::max(b.abs().max().item<double>(), 1e-30);
    return (a - b).abs().max().item<double>() / scale;
}

at::Tensor randn(std::vector<int64_t> shape, bool grad = false) {
    return torch::randn(shape, torch::kFloat).requires_grad_(grad);
}

tb::LoraLinear make_lora_linear(int64_t out, int64_t in, int64_t r, double dropout) {
    tb::LoraLinear l;
    l.weight = randn({out, in}) * 0.2;
    l.lora.A = randn({r, in}, true);
    l.lora.B = (randn({out, r}) * 0.3).requires_grad_(true);  // non-zero: B's gradient path
    l.lora.scale = 2.0;
    l.lora.dropout = dropout;
    return l;
}

TEST(FusedOps, RmsNormForwardEqualsReferenceAndBackwardEqualsAutograd) {
    torch::manual_seed(1);
    at::Tensor x = randn({2, 5, 32}, true), w = randn({32}) + 1.0;
    at::Tensor dy = randn({2, 5, 32});
    const double eps = 1e-5;
    // LlamaModel::rms_norm's sequence
    at::Tensor xf = x.to(at::kFloat);
    at::Tensor ref = w * (xf * at::rsqrt(xf.pow(2).mean(-1, true) + eps)).to(x.scalar_type());
    at::Tensor gref = torch::autograd::grad({ref}, {x}, {dy})[0];
    at::Tensor y = tb::fused::rms_norm(x, w, eps);
    EXPECT_TRUE(at::equal(y, ref));
    at::Tensor g = torch::autograd::grad({y}, {x}, {dy})[0];
    EXPECT_LT(rel_diff(g, gref), 1e-5);
}

TEST(FusedOps, RopeMatchesRotateHalfAndItsAutogradBackward) {
    torch::manual_seed(2);
    tb::LlamaConfig c;
    c.vocab_size = 50;
    c.hidden_size = 32;
    c.intermediate_size = 48;
    c.num_hidden_layers = 1;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 4;
    c.head_dim = 8;
    c.rope_theta = 500;
    tb::LlamaModel m = tb::init_llama(c, 3, 0.05, {});
    at::Tensor pos =
        at::arange(0, 6).view({1, 6}).repeat({2, 1}) + at::tensor({0L, 3L}).view({2, 1});
    tb::RopeTables ref_t = m.rope(pos);  // [B, 1, T, hd]
    at::Tensor x = randn({2, 6, 4, 8}, true), dy = randn({2, 6, 4, 8});
    // Reference: [B, nh, T, hd] layout, q*cos + rotate_half(q)*sin.
    at::Tensor xt = x.transpose(1, 2);
    at::Tensor rh = at::cat({-xt.slice(-1, 4), xt.slice(-1, 0, 4)}, -1);
    at::Tensor ref = (xt * ref_t.cos + rh * ref_t.sin).transpose(1, 2);
    at::Tensor gref = torch::autograd::grad({ref}, {x}, {dy})[0];
    at::Tensor y = tb::fused::rope(x, tb::fused::rope_tables(m, pos));
    EXPECT_TRUE(at::equal(y, ref));
    at::Tensor g = torch::autograd::grad({y}, {x}, {dy})[0];
    EXPECT_LT(rel_diff(g, gref), 1e-6);
}

TEST(FusedOps, LoraLinearWithDropoutEqualsLoraLinearForward) {
    torch::manual_seed(3);
    tb::LoraLinear l = make_lora_linear(24, 32, 4, 0.25);
    at::Tensor x = randn({3, 7, 32}, true), dy = randn({3, 7, 24});
    torch::manual_seed(10);
    at::Tensor ref = l.forward(x, true);
    auto gref = torch::autograd::grad({ref}, {x, l.lora.A, l.lora.B}, {dy});
    torch::manual_seed(10);
    at::Tensor y = tb::fused::lora_linear(x, l, true);
    EXPECT_TRUE(at::equal(y, ref)) << "same dropout masks, same ops";
    auto g = torch::autograd::grad({y}, {x, l.lora.A, l.lora.B}, {dy});
    for (int i = 0; i < 3; ++i) EXPECT_LT(rel_diff(g[i], gref[i]), 1e-5) << "grad " << i;
}

TEST(FusedOps, NormQkvEqualsNormThenProjectionsWithLoraOnSome) {
    // q and v carry LoRA with dropout, k is a plain frozen linear (GQA-sized): forward equal
    // bit for bit to rms_norm + three projections (same dropout draws, same ops), gradients
    // of h and of every LoRA tensor equal autograd's on that sequence.
    torch::manual_seed(5);
    tb::LoraLinear q = make_lora_linear(32, 32, 4, 0.2);
    tb::LoraLinear k = make_lora_linear(16, 32, 4, 0.0);
    k.lora = tb::LoraBranch{};
    tb::LoraLinear v = make_lora_linear(16, 32, 2, 0.3);
    at::Tensor w = randn({32}) * 0.2 + 1.0;
    at::Tensor h = randn({2, 6, 32}, true);
    at::Tensor dq = randn({2, 6, 32}), dk = randn({2, 6, 16}), dv = randn({2, 6, 16});
    const std::vector<at::Tensor> wrt{h, q.lora.A, q.lora.B, v.lora.A, v.lora.B};
    torch::manual_seed(30);
    at::Tensor x = tb::fused::rms_norm(h, w, 1e-5);
    std::vector<at::Tensor> ref{q.forward(x, true), k.forward(x, true), v.forward(x, true)};
    auto gref = torch::autograd::grad(ref, wrt, {dq, dk, dv});
    torch::manual_seed(30);
    std::vector<at::Tensor> out = tb::fused::norm_qkv(h, w, 1e-5, q, k, v, true);
    ASSERT_EQ(out.size(), 3u);
    for (int j = 0; j < 3; ++j) {
        EXPECT_EQ(out[j].sizes(), ref[j].sizes());
        EXPECT_TRUE(at::equal(out[j], ref[j])) << "projection " << j;
    }
    auto g = torch::autograd::grad(out, wrt, {dq, dk, dv});
    for (size_t i = 0; i < wrt.size(); ++i)
        EXPECT_LT(rel_diff(g[i], gref[i]), 1e-5) << "grad " << i;
    // Only k's output used: h still gets its gradient, through the frozen k alone.
    at::Tensor gk =
        torch::autograd::grad({tb::fused::norm_qkv(h, w, 1e-5, q, k, v, true)[1]}, {h}, {dk})[0];
    at::Tensor gk_ref =
        torch::autograd::grad({k.forward(tb::fused::rms_norm(h, w, 1e-5), true)}, {h}, {dk})[0];
    EXPECT_LT(rel_diff(gk, gk_ref), 1e-5);
}

TEST(FusedOps, SwigluMlpEqualsReferenceWithLoraOnSomeProjections) {
    for (bool lora_on_up : {true, false}) {
        torch::manual_seed(4);
        tb::LoraLinear gate = make_lora_linear(40, 16, 4, 0.1);
        tb::LoraLinear up = make_lora_linear(40, 16, 4, 0.1);
        tb::LoraLinear down = make_lora_linear(16, 40, 2, 0.3);
        if (!lora_on_up) up.lora = tb::LoraBranch{};
        at::Tensor y = randn({2, 5, 16}, true), dy = randn({2, 5, 16});
        std::vector<at::Tensor> wrt{y, gate.lora.A, gate.lora.B, down.lora.A, down.lora.B};
        if (lora_on_up) wrt.insert(wrt.end(), {up.lora.A, up.lora.B});
        torch::manual_seed(20);
        at::Tensor gt = gate.forward(y, true);
        at::Tensor ut = up.forward(y, true);
        at::Tensor ref = down.forward(at::silu(gt) * ut, true);
        auto gref = torch::autograd::grad({ref}, wrt, {dy});
        torch::manual_seed(20);
        at::Tensor out = tb::fused::swiglu_mlp(y, gate, up, down, true);
        EXPECT_TRUE(at::equal(out, ref));
        auto g = torch::autograd::grad({out}, wrt, {dy});
        for (size_t i = 0; i < wrt.size(); ++i)
            EXPECT_LT(rel_diff(g[i], gref[i]), 1e-5)
                << "grad " << i << " lora_on_up " << lora_on_up;
    }
}

TEST(FusedOps, ChunkedCrossEntropyEqualsFullLogitsLossAndGradient) {
    torch::manual_seed(5);
    at::Tensor h = randn({11, 16}, true), W = randn({50, 16});
    at::Tensor labels = at::randint(0, 50, {11}, at::kLong);
    labels[2] = -100;
    labels[7] = -100;
    const double divisor = 6.5;
    at::Tensor ref =
        at::cross_entropy_loss(at::linear(h, W), labels, {}, at::Reduction::Sum, -100) / divisor;
    at::Tensor gref = torch::autograd::grad({ref}, {h})[0];
    for (int64_t chunk : {1, 3, 4, 0}) {
        at::Tensor loss = tb::fused::linear_cross_entropy_sum(h, W, labels, divisor, chunk);
        EXPECT_NEAR(loss.item<double>(), ref.item<double>(), 1e-5 * ref.item<double>()) << chunk;
        at::Tensor g = torch::autograd::grad({loss}, {h})[0];
        EXPECT_LT(rel_diff(g, gref), 1e-5) << "chunk " << chunk;
        EXPECT_TRUE(at::equal(g[2], at::zeros({16}))) << "ignored row has no gradient";
    }
    // Evaluation (no grad mode) gives the same loss.
    at::NoGradGuard no_grad;
    EXPECT_NEAR(tb::fused::linear_cross_entropy_sum(h, W, labels, divisor, 4).item<double>(),
                ref.item<double>(), 1e-5 * ref.item<double>());
}

// all_rows (the host-sync-free form CUDA graphs need) equals the gathered form.
TEST(FusedOps, AllRowsCrossEntropyEqualsLabelledRowsForm) {
    torch::manual_seed(6);
    at::Tensor h = randn({13, 16}, true), W = randn({50, 16});
    at::Tensor labels = at::randint(0, 50, {13}, at::kLong);
    labels.slice(0, 3, 6).fill_(-100);
    labels[12] = -100;
    for (int64_t chunk : {1, 4, 0}) {
        at::Tensor a = tb::fused::linear_cross_entropy_sum(h, W, labels, 3.0, chunk, false);
        at::Tensor b = tb::fused::linear_cross_entropy_sum(h, W, labels, 3.0, chunk, true);
        EXPECT_NEAR(b.item<double>(), a.item<double>(), 1e-6 * a.item<double>()) << chunk;
        at::Tensor ga = torch::autograd::grad({a}, {h})[0];
        at::Tensor gb = torch::autograd::grad({b}, {h})[0];
        EXPECT_LT(rel_diff(gb, ga), 1e-6) << chunk;
        EXPECT_TRUE(at::equal(gb[4], at::zeros({16}))) << "ignored row has no gradient";
    }
}

TEST(FusedOps, AllLabelsIgnoredGivesZeroLossAndGradient) {
    at::Tensor h = randn({4, 8}, true), W = randn({10, 8});
    at::Tensor labels = at::full({4}, -100, at::kLong);
    at::Tensor loss = tb::fused::linear_cross_entropy_sum(h, W, labels, 1.0);
    EXPECT_EQ(loss.item<double>(), 0.0);
    EXPECT_EQ(torch::autograd::grad({loss}, {h})[0].abs().sum().item<double>(), 0.0);
}

// A tiny GQA model with LoRA (dropout) on every projection and a right-padded batch.
struct ModelCase {
    tb::LlamaModel model;
    tb::Batch batch;
    std::vector<tb::NamedParameter> params;
};

ModelCase make_case(int64_t pad_rows_left) {
    tb::LlamaConfig c;
    c.vocab_size = 97;
    c.hidden_size = 32;
    c.intermediate_size = 56;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 8;
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 10000;
    c.max_position_embeddings = 64;
    ModelCase mc{tb::init_llama(c, 7, 0.08, {}), {}, {}};
    tb::LoraSettings s;
    s.r = 4;
    s.alpha = 8;
    s.dropout = 0.1;
    s.target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                        "gate_proj", "up_proj", "down_proj"};
    EXPECT_TRUE(tb::inject_lora(mc.model, s, 9).ok());
    mc.params = tb::lora_parameters(mc.model);
    // B is zero after PEFT's init; perturb it so every gradient path is exercised.
    torch::manual_seed(8);
    {
        at::NoGradGuard ng;
        for (auto& p : mc.params)
            if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0, 0.05);
    }
    const int64_t B = 3, T = 9;
    at::Tensor ids = at::randint(3, 97, {B, T}, at::kLong);
    at::Tensor mask = at::ones({B, T}, at::kLong);
    mask[1].slice(0, 6).fill_(0);                                        // row 1: 6 real tokens
    mask[2].slice(0, 4).fill_(0);                                        // row 2: 4 real tokens
    if (pad_rows_left > 0) mask[0].slice(0, 0, pad_rows_left).fill_(0);  // left padding
    at::Tensor labels = ids.masked_fill(mask.eq(0), -100);
    labels[0].slice(0, 0, 3).fill_(-100);  // a prompt without loss
    mc.batch.input_ids = ids;
    mc.batch.attention_mask = mask;
    mc.batch.labels = labels;
    mc.batch.position_ids = (mask.cumsum(1) - 1).clamp_min(0);
    return mc;
}

void compare_backends(ModelCase& mc, bool checkpointing, double grad_tol) {
    const auto& b = mc.batch;
    torch::manual_seed(30);
    at::Tensor ref = tb::micro_batch_loss(mc.model, b.input_ids, b.position_ids, b.attention_mask,
                                          b.labels, 17.0, true, false);
    ref.backward();
    std::vector<at::Tensor> gref;
    for (auto& p : mc.params) {
        gref.push_back(p.tensor.grad().clone());
        p.tensor.mutable_grad().zero_();
    }
    torch::manual_seed(30);
    at::Tensor loss =
        tb::fused_micro_batch_loss(mc.model, b.input_ids, b.position_ids, b.attention_mask,
                                   b.labels, 17.0, true, checkpointing);
    loss.backward();
    EXPECT_NEAR(loss.item<double>(), ref.item<double>(), 2e-6 * std::abs(ref.item<double>()));
    double worst = 0;
    for (size_t i = 0; i < mc.params.size(); ++i) {
        const double d = rel_diff(mc.params[i].tensor.grad(), gref[i]);
        worst = std::max(worst, d);
        EXPECT_LT(d, grad_tol) << mc.params[i].name;
        mc.params[i].tensor.mutable_grad().zero_();
    }
    std::printf(
        "fused vs reference (checkpointing %d): loss %.9g vs %.9g, worst grad rel diff %.2e "
        "over %zu LoRA tensors\n",
        checkpointing, loss.item<double>(), ref.item<double>(), worst, mc.params.size());
}

TEST(FusedModel, LossAndLoraGradientsMatchReferenceBackend) {
    ModelCase mc = make_case(0);
    compare_backends(mc, false, 1e-4);
    compare_backends(mc, true, 1e-4);
}

// Runs `loss_of(variant)` for variants false and true with backward, and expects the same
// loss (1e-6 relative) and LoRA gradients (1e-5 relative) from both.
void expect_same_loss_and_grads(ModelCase& mc, const std::function<at::Tensor(bool)>& loss_of) {
    std::vector<double> losses;
    std::vector<std::vector<at::Tensor>> grads;
    for (bool variant : {false, true}) {
        at::Tensor loss = loss_of(variant);
        loss.backward();
        losses.push_back(loss.item<double>());
        grads.emplace_back();
        for (auto& p : mc.params) {
            grads.back().push_back(p.tensor.grad().clone());
            p.tensor.mutable_grad().zero_();
        }
    }
    EXPECT_NEAR(losses[1], losses[0], 1e-6 * std::abs(losses[0]));
    for (size_t i = 0; i < grads[0].size(); ++i)
        EXPECT_LT(rel_diff(grads[1][i], grads[0][i]), 1e-5) << mc.params[i].name;
}

// host_sync_free (CUDA graph capture) changes nothing but how the loss rows are chosen.
TEST(FusedModel, HostSyncFreeLossEqualsDefault) {
    ModelCase mc = make_case(0);
    const auto& b = mc.batch;
    expect_same_loss_and_grads(mc, [&](bool sync_free) {
        torch::manual_seed(31);
        return tb::fused_micro_batch_loss(mc.model, b.input_ids, b.position_ids, b.attention_mask,
                                          b.labels, 17.0, true, false, at::Tensor(), sync_free);
    });
}

#if !defined(TUNEBENCH_WITH_CUDA)
TEST(CudaGraphStep, RefusedWithoutCudaNamingTheCause) {
    tb::CudaGraphStep g;
    bool ran = false;
    tb::Status st = g.capture([&] { ran = true; }, nullptr, 1);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("no CUDA"), std::string::npos) << st.error().message;
    EXPECT_FALSE(ran);
    EXPECT_FALSE(g.captured());
}
#endif

TEST(FusedModel, QloraBaseMatchesReferenceBackend) {
    ModelCase mc = make_case(0);
    tb::QuantOptions qo;
    auto rep = tb::quantize_model_base(mc.model, qo);
    ASSERT_TRUE(rep.ok()) << rep.error().message;
    ASSERT_TRUE(mc.model.layers[0].q_proj.is_packed());
    compare_backends(mc, false, 1e-4);
    compare_backends(mc, true, 1e-4);
}

TEST(FusedModel, LeftPaddedBatchFallsBackToTheExplicitMask) {
    ModelCase mc = make_case(2);
    compare_backends(mc, false, 1e-4);
}

// Packing isolates examples: a packed row's loss is the sum of its examples' own losses, in
// both backends (positions restart, attention is block-diagonal, the boundary label is
// ignored).
TEST(Packing, PackedRowLossEqualsSumOfSeparateLosses) {
    ModelCase mc = make_case(0);
    torch::manual_seed(40);
    std::vector<tb::TokenizedRow> rows(3);
    const int64_t lens[3] = {7, 4, 9};
    for (int i = 0; i < 3; ++i) {
        at::Tensor ids = at::randint(3, 97, {lens[i]}, at::kLong);
        rows[i].ids.assign(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + lens[i]);
        rows[i].ids[0] = 1;  // bos
        rows[i].labels = rows[i].ids;
        rows[i].labels[0] = -100;
        rows[i].labels[1] = -100;  // a one-token "prompt"
    }
    auto packed = tb::pack_rows(rows, 32);
    ASSERT_EQ(packed.size(), 1u);
    EXPECT_EQ(packed[0].segment_starts, (std::vector<int64_t>{7, 11}));
    tb::Batch pb = tb::collate({&packed[0]}, 0, at::kCPU);
    ASSERT_TRUE(pb.segment_ids.defined());
    EXPECT_EQ(pb.position_ids[0][7].item<int64_t>(), 0);
    EXPECT_EQ(pb.position_ids[0][12].item<int64_t>(), 1);
    EXPECT_EQ(pb.segment_ids[0][11].item<int64_t>(), 2);
    int64_t separate_tokens = 0;
    for (const auto& r : rows) separate_tokens += tb::loss_tokens(r);
    EXPECT_EQ(pb.loss_tokens, separate_tokens);
    at::NoGradGuard no_grad;
    for (bool fused : {false, true}) {
        auto loss = [&](const tb::Batch& b) {
            return (fused ? tb::fused_micro_batch_loss(mc.model, b.input_ids, b.position_ids,
                                                       b.attention_mask, b.labels, 1.0, false,
                                                       false, b.segment_ids)
                          : tb::micro_batch_loss(mc.model, b.input_ids, b.position_ids,
                                                 b.attention_mask, b.labels, 1.0, false, false,
                                                 b.segment_ids))
                .item<double>();
        };
        double sum = 0;
        for (const auto& r : rows) sum += loss(tb::collate({&r}, 0, at::kCPU));
        const double p = loss(pb);
        EXPECT_NEAR(p, sum, 1e-5 * sum) << (fused ? "fused" : "reference");
        // Without the isolation (plain causal mask, running positions) the loss differs.
        tb::Batch leaky = pb;
        leaky.segment_ids = at::Tensor();
        leaky.position_ids = at::arange(pb.input_ids.size(1)).unsqueeze(0);
        EXPECT_GT(std::abs(loss(leaky) - sum), 1e-3) << "the test would not see a leak";
    }
}

TEST(FusedTraining, RunMatchesReferenceRunAndRefusesDora) {
    const std::string model = tbtest::make_tiny_model_dir("fused_model");
    std::map<int64_t, double> losses[2];
    std::optional<double> eval[2];
    int i = 0;
    for (const char* backend : {"reference", "fused"}) {
        tb::TrainParams p =
            tbtest::tiny_params(model, tbtest::scratch(std::string("fused_run_") + backend));
        p.backend = backend;
        p.max_steps = 4;
        p.lora.target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                 "gate_proj", "up_proj", "down_proj"};
        tbtest::LossRecorder rec;
        tb::CancelToken cancel;
        auto r = tb::run_training(p, rec.callback(), cancel);
        ASSERT_TRUE(r.ok()) << r.error().message;
        losses[i] = rec.losses;
        eval[i] = r.value().final_eval_loss;
        ++i;
    }
    ASSERT_EQ(losses[0].size(), 4u);
    ASSERT_EQ(losses[1].size(), 4u);
    for (const auto& [step, l] : losses[0]) {
        EXPECT_NEAR(losses[1].at(step), l, 1e-5 * l) << "step " << step;
        std::printf("step %lld: reference %.9f fused %.9f\n", static_cast<long long>(step), l,
                    losses[1].at(step));
    }
    ASSERT_TRUE(eval[0] && eval[1]);
    EXPECT_NEAR(*eval[1], *eval[0], 1e-5 * *eval[0]);

    tb::TrainParams p = tbtest::tiny_params(model, tbtest::scratch("fused_dora"));
    p.backend = "fused";
    p.lora.use_dora = true;
    tb::CancelToken cancel;
    auto r = tb::run_training(p, nullptr, cancel);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("use_dora"), std::string::npos) << r.error().message;
}

// training.cuda_graphs: refused with the field named where it cannot run (the capture itself
// is checked on the GPU machine, test_fused_gpu.cpp).
TEST(FusedTraining, CudaGraphsRefusedWhereTheyCannotRun) {
    const std::string model = tbtest::make_tiny_model_dir("fused_model");
    auto run = [&](const std::function<void(tb::TrainParams&)>& edit) {
        tb::TrainParams p = tbtest::tiny_params(model, tbtest::scratch("fused_graphs"));
        p.backend = "fused";
        p.cuda_graphs = true;
        edit(p);
        tb::CancelToken cancel;
        auto r = tb::run_training(p, nullptr, cancel);
        EXPECT_FALSE(r.ok());
        return r.ok() ? std::string() : r.error().message;
    };
    std::string m = run([](tb::TrainParams& p) { p.backend = "reference"; });
    EXPECT_NE(m.find("training.cuda_graphs: needs backend: fused"), std::string::npos) << m;
    m = run([](tb::TrainParams& p) { p.packing = true; });
    EXPECT_NE(m.find("data.packing"), std::string::npos) << m;
    m = run([](tb::TrainParams&) {});  // device cpu
    EXPECT_NE(m.find("training.cuda_graphs: needs a CUDA device"), std::string::npos) << m;
}

// The fixed [batch_size, max_length] shape of CUDA graph mode (extra padding rows and columns)
// leaves the loss and every LoRA gradient as they are.
TEST(FusedTraining, FixedShapeBatchKeepsLossAndGradients) {
    ModelCase mc = make_case(0);
    tb::TokenizedRow a, b;
    a.ids = {5, 9, 14, 20, 33, 41};
    a.labels = {-100, -100, 14, 20, 33, 41};
    b.ids = {7, 8, 9};
    b.labels = {-100, 8, 9};
    std::vector<const tb::TokenizedRow*> rows{&a, &b};
    expect_same_loss_and_grads(mc, [&](bool fixed) {
        tb::Batch bt =
            fixed ? tb::collate(rows, 0, at::kCPU, 4, 16) : tb::collate(rows, 0, at::kCPU);
        if (fixed) {
            EXPECT_EQ(bt.input_ids.sizes(), (std::vector<int64_t>{4, 16}));
            EXPECT_EQ(bt.rows, 2);
            EXPECT_EQ(bt.tokens, 9);
        }
        return tb::fused_micro_batch_loss(mc.model, bt.input_ids, bt.position_ids,
                                          bt.attention_mask, bt.labels, 1.0, false, false,
                                          at::Tensor(), fixed);
    });
}

}  // namespace
