// The reference trainer on CUDA (label gpu; exits 77 without a CUDA device): PEFT parity of
// loss and gradients in fp32, gradient checkpointing replaying the CUDA generator (dropout),
// CUDA fp32 training losses against the CPU run, and cancel + resume on CUDA in bf16.
#include <gtest/gtest.h>

#include "core/common/torch_compat.h"
#include "core/infer/peft_adapter.h"
#include "core/train/checkpointing.h"
#include "core/train/lora_injection.h"
#include "train_test_util.h"

namespace {

const at::Device kCuda(at::kCUDA, 0);

at::Tensor rows_tensor(const nlohmann::json& j) {
    auto rows = j.get<std::vector<std::vector<int64_t>>>();
    at::Tensor t = at::empty(
        {static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())}, at::kLong);
    for (size_t i = 0; i < rows.size(); ++i)
        for (size_t k = 0; k < rows[i].size(); ++k)
            t[static_cast<int64_t>(i)][static_cast<int64_t>(k)] = rows[i][k];
    return t;
}

TEST(TrainGpu, PeftParityFp32OnCuda) {
    const std::string dir = tbtest::fixtures_dir() + "/peft_train";
    const auto exp = tbtest::load_json(dir + "/expected.json");
    const auto batch = tbtest::load_json(dir + "/batch.json");
    tb::LoadOptions lo;
    lo.device = kCuda;
    auto m = tb::load_llama_model(dir + "/base", lo);
    ASSERT_TRUE(m.ok()) << m.error().message;
    ASSERT_TRUE(tb::apply_peft_adapter(m.value(), dir + "/lora/adapter_init").ok());
    tb::make_lora_trainable(m.value());
    at::Tensor ids = rows_tensor(batch["input_ids"]).to(kCuda);
    at::Tensor mask = rows_tensor(batch["attention_mask"]).to(kCuda);
    at::Tensor labels = rows_tensor(batch["labels"]).to(kCuda);
    const int64_t T = ids.size(1);
    at::Tensor pos = at::arange(T, at::TensorOptions().dtype(at::kLong).device(kCuda))
                         .unsqueeze(0)
                         .expand({ids.size(0), T});
    const double n = (labels.slice(1, 1) != -100).sum().item<double>();
    at::Tensor loss = tb::micro_batch_loss(m.value(), ids, pos, mask, labels, n, true, false);
    loss.backward();
    const double dl = std::abs(loss.item<double>() - exp["lora"]["losses"][0].get<double>());
    auto grads = tbtest::load_safetensors(dir + "/lora/grads.safetensors");
    double worst = 0;
    for (const auto& p : tb::lora_parameters(m.value()))
        worst =
            std::max(worst, (p.tensor.grad().cpu() - grads.at(p.name)).abs().max().item<double>());
    std::printf("CUDA fp32 vs PEFT (CPU): |loss diff| %.3g, max |grad diff| %.3g\n", dl, worst);
    EXPECT_LT(dl, 1e-4);
    EXPECT_LT(worst, 1e-4);
}

TEST(TrainGpu, CheckpointingReplaysCudaDropout) {
    for (at::ScalarType dt : {at::kFloat, at::kBFloat16}) {
        tb::LlamaConfig c;
        c.vocab_size = 120;
        c.hidden_size = 64;
        c.intermediate_size = 128;
        c.num_hidden_layers = 3;
        c.num_attention_heads = 4;
        c.num_key_value_heads = 2;
        c.head_dim = 16;
        c.max_position_embeddings = 64;
        tb::LoadOptions lo;
        lo.device = kCuda;
        lo.dtype = dt;
        auto m = tb::init_llama(c, 3, 0.08, lo);
        tb::LoraSettings s;
        s.r = 8;
        s.alpha = 16;
        s.dropout = 0.3;
        s.target_modules = {"q_proj", "v_proj", "o_proj", "down_proj"};
        ASSERT_TRUE(tb::inject_lora(m, s, 1).ok());
        auto ps = tb::lora_parameters(m);
        {
            torch::NoGradGuard ng;
            for (auto& p : ps) p.tensor.normal_(0, 0.05);
        }
        auto opts = at::TensorOptions().dtype(at::kLong).device(kCuda);
        at::Tensor ids = at::randint(3, 120, {2, 24}, opts);
        at::Tensor pos = at::arange(24, opts).unsqueeze(0).expand({2, 24});
        std::vector<at::Tensor> g[2];
        double l[2];
        for (int ck = 0; ck < 2; ++ck) {
            torch::manual_seed(9);
            at::Tensor loss = tb::micro_batch_loss(m, ids, pos, {}, ids, 46, true, ck == 1);
            loss.backward();
            l[ck] = loss.item<double>();
            for (auto& p : ps) {
                g[ck].push_back(p.tensor.grad().clone());
                p.tensor.mutable_grad() = at::Tensor();
            }
        }
        EXPECT_EQ(l[0], l[1]);
        double worst = 0;
        for (size_t i = 0; i < ps.size(); ++i)
            worst = std::max(worst, (g[0][i] - g[1][i]).abs().max().item<double>());
        std::printf("CUDA %s: checkpointed vs plain grads max |diff| %.3g\n",
                    dt == at::kFloat ? "fp32" : "bf16", worst);
        EXPECT_EQ(worst, 0.0);
    }
}

TEST(TrainGpu, TrainingOnCudaMatchesCpuAndResumes) {
    const std::string model = tbtest::make_tiny_model_dir("gpu_model");
    auto params = [&](const std::string& run, const char* device, const char* dtype) {
        tb::TrainParams p = tbtest::tiny_params(model, run);
        p.device = device;
        p.dtype = dtype;
        p.lora.dropout = 0.0;  // CPU and CUDA generators differ; compare the maths only
        p.eval_on_start = false;
        return p;
    };
    tbtest::LossRecorder cpu, gpu;
    tb::CancelToken c;
    ASSERT_TRUE(
        tb::run_training(params(tbtest::scratch("g_cpu"), "cpu", "float32"), cpu.callback(), c)
            .ok());
    auto r =
        tb::run_training(params(tbtest::scratch("g_gpu"), "cuda", "float32"), gpu.callback(), c);
    ASSERT_TRUE(r.ok()) << r.error().message;
    double worst = 0;
    for (auto& [s, l] : cpu.losses) worst = std::max(worst, std::abs(l - gpu.losses.at(s)));
    std::printf("CUDA fp32 vs CPU fp32 training losses (8 steps): max |diff| %.3g\n", worst);
    EXPECT_LT(worst, 1e-4);

    // bf16 on CUDA with dropout: cancel at 5, resume, compare with the uninterrupted run.
    auto bf = [&](const std::string& run) {
        tb::TrainParams p = params(run, "cuda", "bfloat16");
        p.lora.dropout = 0.1;
        p.gradient_checkpointing = true;
        return p;
    };
    tbtest::LossRecorder ref, res;
    ASSERT_TRUE(tb::run_training(bf(tbtest::scratch("g_bf_ref")), ref.callback(), c).ok());
    const std::string run = tbtest::scratch("g_bf_cancel");
    tb::CancelToken c2;
    auto cb = [&](const tb::TrainProgress& p) {
        if (p.phase == tb::TrainPhase::Training && p.step == 5) c2.cancel();
    };
    auto b = tb::run_training(bf(run), cb, c2);
    ASSERT_TRUE(b.ok() && b.value().cancelled);
    tb::TrainParams pr = bf("");
    pr.resume_from = run;
    auto rr = tb::run_training(pr, res.callback(), c);
    ASSERT_TRUE(rr.ok()) << rr.error().message;
    double d = 0;
    for (auto& [s, l] : res.losses) d = std::max(d, std::abs(l - ref.losses.at(s)));
    std::printf("CUDA bf16 resume: steps 6-8 max |loss diff| vs uninterrupted %.3g\n", d);
    EXPECT_LT(d, 2e-2);
}

}  // namespace

int main(int argc, char** argv) {
    if (!tb::compat::cuda_available()) {
        std::printf("no CUDA device: skipping GPU training tests\n");
        return 77;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
