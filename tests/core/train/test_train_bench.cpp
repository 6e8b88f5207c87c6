// The training benchmark engine behind `tunebench-cli bench train`: both backends run the
// same steps on the same random model and batch (same losses), the numbers it reports are
// filled, the steps really train, and bad settings are errors naming the flag.
#include <gtest/gtest.h>

#include "core/train/train_bench.h"

namespace {

tb::TrainBenchParams small() {
    tb::TrainBenchParams p;
    p.shape = tb::tinyllama_shape();
    p.shape.vocab_size = 1000;
    p.shape.hidden_size = 64;
    p.shape.intermediate_size = 160;
    p.shape.num_hidden_layers = 2;
    p.shape.num_attention_heads = 4;
    p.shape.num_key_value_heads = 2;
    p.shape.head_dim = 16;
    p.batch_size = 2;
    p.seq_len = 48;
    p.warmup_steps = 1;
    p.steps = 6;
    p.learning_rate = 1e-2;  // visible progress on a repeated batch within a few steps
    p.device = "cpu";
    return p;
}

TEST(TrainBench, BackendsAgreeAndTrain) {
    tb::CancelToken cancel;
    double first[2] = {0, 0}, last[2] = {0, 0};
    int i = 0;
    for (const char* backend : {"reference", "fused"}) {
        for (bool ckpt : {false, true}) {
            tb::TrainBenchParams p = small();
            p.backend = backend;
            p.gradient_checkpointing = ckpt;
            auto r = tb::run_train_bench(p, cancel);
            ASSERT_TRUE(r.ok()) << r.error().message;
            const auto& v = r.value();
            EXPECT_EQ(v.tokens_per_step, 96);
            EXPECT_GT(v.tokens_per_s, 0.0);
            EXPECT_GT(v.step_ms, 0.0);
            EXPECT_GT(v.peak_bytes, 0);
            EXPECT_EQ(v.peak_kind, "cpu_peak_rss");
            EXPECT_GT(v.trainable_params, 0);
            EXPECT_LT(v.last_loss, v.first_loss - 0.01) << backend << " does not train";
            std::printf("%s ckpt %d: %.0f tokens/s, loss %.5f -> %.5f\n", backend, ckpt,
                        v.tokens_per_s, v.first_loss, v.last_loss);
            if (!ckpt) {
                first[i] = v.first_loss;
                last[i] = v.last_loss;
            }
        }
        ++i;
    }
    EXPECT_NEAR(first[1], first[0], 1e-5 * first[0]);
    EXPECT_NEAR(last[1], last[0], 1e-4 * last[0]);
}

TEST(TrainBench, QloraRunsAndStoresTheBaseInFourBits) {
    tb::TrainBenchParams p = small();
    p.shape.hidden_size = 128;  // NF4 blocks of 64 over the rows
    p.shape.intermediate_size = 256;
    p.shape.head_dim = 32;
    p.steps = 2;
    tb::CancelToken cancel;
    auto dense = tb::run_train_bench(p, cancel);
    p.load_in_4bit = true;
    auto q = tb::run_train_bench(p, cancel);
    ASSERT_TRUE(dense.ok() && q.ok());
    EXPECT_LT(q.value().weight_bytes, dense.value().weight_bytes);
    EXPECT_GT(q.value().tokens_per_s, 0.0);
}

TEST(TrainBench, BadSettingsNameTheFlag) {
    tb::CancelToken cancel;
    tb::TrainBenchParams p = small();
    p.backend = "turbo";
    auto r = tb::run_train_bench(p, cancel);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("--backend"), std::string::npos);
    p = small();
    p.seq_len = 100000;
    r = tb::run_train_bench(p, cancel);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("--seq"), std::string::npos);
    p = small();
    p.cuda_graphs = true;
    p.backend = "reference";
    r = tb::run_train_bench(p, cancel);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("needs the fused backend"), std::string::npos);
    p.backend = "fused";
    p.device = "cpu";
    r = tb::run_train_bench(p, cancel);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("--cuda-graphs: needs a CUDA device"), std::string::npos)
        << r.error().message;
}

}  // namespace
