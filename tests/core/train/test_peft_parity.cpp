// PEFT parity: the fixtures in tests/fixtures/peft_train were made on the GPU machine with
// transformers + PEFT + torch.optim.AdamW on the CPU in fp32 (gen_peft_train_fixtures.py).
// Same base weights, same initial LoRA weights, same batch -> the loss, every LoRA gradient
// and three AdamW steps must match PEFT's within 1e-5; the schedules must equal transformers'.
#include <gtest/gtest.h>

#include "core/infer/peft_adapter.h"
#include "core/train/checkpointing.h"
#include "core/train/lora_injection.h"
#include "core/train/optimizer.h"
#include "train_test_util.h"

namespace {

const std::string kDir = tbtest::fixtures_dir() + "/peft_train";

at::Tensor batch_tensor(const nlohmann::json& batch, const char* key) {
    std::vector<std::vector<int64_t>> rows = batch.at(key).get<std::vector<std::vector<int64_t>>>();
    const int64_t B = static_cast<int64_t>(rows.size()), T = static_cast<int64_t>(rows[0].size());
    at::Tensor t = at::empty({B, T}, at::kLong);
    for (int64_t i = 0; i < B; ++i)
        for (int64_t j = 0; j < T; ++j)
            t[i][j] = rows[static_cast<size_t>(i)][static_cast<size_t>(j)];
    return t;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

void run_case(const std::string& name) {
    const nlohmann::json exp = tbtest::load_json(kDir + "/expected.json");
    ASSERT_FALSE(exp.at("errors").contains(name)) << exp["errors"][name];
    const nlohmann::json& c = exp.at(name);
    const nlohmann::json batch = tbtest::load_json(kDir + "/batch.json");

    auto model_r = tb::load_llama_model(kDir + "/base");
    ASSERT_TRUE(model_r.ok()) << model_r.error().message;
    tb::LlamaModel model = std::move(model_r).value();
    tb::Status st = tb::apply_peft_adapter(model, kDir + "/" + name + "/adapter_init");
    ASSERT_TRUE(st.ok()) << st.error().message;
    tb::make_lora_trainable(model);
    std::vector<tb::NamedParameter> params = tb::lora_parameters(model);

    // Same trainable tensors as PEFT, in any order.
    std::set<std::string> ours, theirs;
    for (const auto& p : params) ours.insert(p.name);
    for (const auto& n : c.at("trainable")) theirs.insert(n.get<std::string>());
    ASSERT_EQ(ours, theirs);

    at::Tensor ids = batch_tensor(batch, "input_ids");
    at::Tensor mask = batch_tensor(batch, "attention_mask");
    at::Tensor labels = batch_tensor(batch, "labels");
    const int64_t T = ids.size(1);
    at::Tensor pos = at::arange(T, at::kLong).unsqueeze(0).expand({ids.size(0), T});
    const double n_tokens = (labels.slice(1, 1) != -100).sum().item<double>();

    tb::AdamWOptions o;
    o.weight_decay = exp.at("weight_decay").get<double>();
    o.beta1 = exp.at("betas")[0].get<double>();
    o.beta2 = exp.at("betas")[1].get<double>();
    o.eps = exp.at("eps").get<double>();
    tb::AdamW opt(params, o);
    const double lr = exp.at("lr").get<double>();
    const int steps = exp.at("steps").get<int>();
    double worst_grad = 0, worst_weight = 0, worst_loss = 0;
    for (int step = 0; step <= steps; ++step) {
        at::Tensor loss = tb::micro_batch_loss(model, ids, pos, mask, labels, n_tokens,
                                               /*training=*/true, /*checkpointing=*/false);
        const double want_loss = c.at("losses")[static_cast<size_t>(step)].get<double>();
        EXPECT_NEAR(loss.item<double>(), want_loss, 1e-5) << name << " loss before step " << step;
        worst_loss = std::max(worst_loss, std::abs(loss.item<double>() - want_loss));
        if (step == steps) break;
        loss.backward();
        if (step == 0) {
            auto grads = tbtest::load_safetensors(kDir + "/" + name + "/grads.safetensors");
            ASSERT_EQ(grads.size(), params.size());
            for (const auto& p : params) {
                ASSERT_TRUE(p.tensor.grad().defined()) << p.name;
                const double d = max_abs_diff(p.tensor.grad(), grads.at(p.name));
                worst_grad = std::max(worst_grad, d);
                EXPECT_LE(d, 1e-5) << name << " grad " << p.name;
            }
        }
        const double norm = tb::clip_grad_norm(params, 0.0);  // measures only
        const double want_norm = c.at("grad_total_norms")[static_cast<size_t>(step)].get<double>();
        EXPECT_NEAR(norm, want_norm, 1e-5 * want_norm) << name << " grad norm step " << step;
        ASSERT_TRUE(opt.step(lr).ok());
        opt.zero_grad();
        auto want = tbtest::load_safetensors(kDir + "/" + name + "/step" +
                                             std::to_string(step + 1) + ".safetensors");
        for (const auto& p : params) {
            const double d = max_abs_diff(p.tensor.detach(), want.at(p.name));
            worst_weight = std::max(worst_weight, d);
            EXPECT_LE(d, 1e-5) << name << " weight after step " << step + 1 << " " << p.name;
        }
    }
    std::printf(
        "[%s] max |loss - PEFT| %.3g, max |grad - PEFT| %.3g, max |weight - torch AdamW| %.3g\n",
        name.c_str(), worst_loss, worst_grad, worst_weight);
}

TEST(PeftParity, LoraLossGradsAndAdamW) { run_case("lora"); }

TEST(PeftParity, DoraLossGradsAndAdamW) { run_case("dora"); }

TEST(PeftParity, SchedulesEqualTransformers) {
    const nlohmann::json exp = tbtest::load_json(kDir + "/expected.json");
    ASSERT_TRUE(exp.contains("schedules"));
    int checked = 0;
    for (const auto& [key, s] : exp.at("schedules").items()) {
        if (!s.is_object()) continue;
        tb::Schedule sch;
        const std::string kind = key.substr(0, key.find('_'));
        auto k = tb::parse_schedule(kind);
        ASSERT_TRUE(k.ok()) << key;
        sch.kind = k.value();
        sch.base_lr = s.at("base_lr").get<double>();
        sch.warmup_steps = s.at("warmup").get<int64_t>();
        sch.total_steps = s.at("total").get<int64_t>();
        const auto lrs = s.at("lrs").get<std::vector<double>>();
        for (size_t i = 0; i < lrs.size(); ++i) {
            EXPECT_NEAR(sch.lr(static_cast<int64_t>(i)), lrs[i], 1e-15 + 1e-12 * lrs[i])
                << key << " step " << i;
            ++checked;
        }
    }
    EXPECT_GT(checked, 50);
    EXPECT_EQ(tb::warmup_steps_for(0, 0.03, 1000),
              exp.at("schedules").at("warmup_ratio_0.03_t1000").get<int64_t>());
}

}  // namespace
