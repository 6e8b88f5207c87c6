// Parity with HF transformers (+ PEFT) on random-weight Llama models of several shapes.
// Fixtures: tests/fixtures/llama/<case>/ made by tests/fixtures/gen/gen_llama_fixtures.py on
// the GPU machine. On CPU fp32 (and CUDA fp32 in the gpu build): logits within 1e-4, identical
// greedy tokens. bf16 on CUDA: logits within a measured tolerance (see kBf16Tolerance).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/torch_compat.h"
#include "core/infer/generate.h"
#include "core/infer/peft_adapter.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

#ifdef TB_TEST_CUDA
const at::Device kDevice(at::kCUDA);
#else
const at::Device kDevice(at::kCPU);
#endif
constexpr double kFp32Tolerance = 1e-4;
// bf16 end-to-end vs HF's own bf16 run on the same GPU; measured max |diff| is printed by
// the test; on an H200 (torch 2.11) the worst case was 0.031 (tied_llama3_headdim), the
// bound keeps 2x headroom.
constexpr double kBf16Tolerance = 0.0625;

std::vector<std::string> cases() {
    std::vector<std::string> out;
    const fs::path root = fs::path(tbtest::fixtures_dir()) / "llama";
    if (!fs::exists(root)) return out;
    for (auto& e : fs::directory_iterator(root))
        if (fs::exists(e.path() / "expected.json")) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

json load_expected(const std::string& c) {
    std::ifstream in(fs::path(tbtest::fixtures_dir()) / "llama" / c / "expected.json");
    return json::parse(in);
}

at::Tensor logits_of(const tb::LlamaModel& m, const std::vector<int64_t>& ids) {
    torch::NoGradGuard g;
    const int64_t T = static_cast<int64_t>(ids.size());
    at::Tensor x = at::tensor(ids, at::kLong).view({1, T}).to(m.device);
    at::Tensor pos = at::arange(T, at::kLong).view({1, T}).to(m.device);
    return m.forward(x, pos, at::Tensor(), nullptr)[0].to(at::kFloat).cpu();
}

// Max |ours - theirs| over HF's top-k entries and the logsumexp, per position.
double compare_topk(const at::Tensor& ours, const json& ref, bool check_argmax,
                    const std::string& what) {
    double worst = 0;
    for (size_t t = 0; t < ref.size(); ++t) {
        const auto& r = ref[t];
        auto ids = r["top_ids"].get<std::vector<int64_t>>();
        auto vals = r["top_logits"].get<std::vector<double>>();
        for (size_t j = 0; j < ids.size(); ++j)
            worst = std::max(worst, std::abs(ours[t][ids[j]].item<double>() - vals[j]));
        worst = std::max(
            worst, std::abs(ours[t].logsumexp(0).item<double>() - r["logsumexp"].get<double>()));
        if (check_argmax && vals.size() > 1 && vals[0] - vals[1] > 1e-3) {
            EXPECT_EQ(ours[t].argmax().item<int64_t>(), ids[0]) << what << " position " << t;
        }
    }
    return worst;
}

tb::LlamaModel load(const std::string& c, at::ScalarType dt) {
    auto m = tb::load_llama_model((fs::path(tbtest::fixtures_dir()) / "llama" / c).string(),
                                  {dt, kDevice});
    if (!m.ok()) throw std::runtime_error(m.error().message);
    return std::move(m).value();
}

std::vector<int64_t> greedy(const tb::LlamaModel& m,
                            const std::vector<std::vector<int64_t>>& prompts, int64_t n,
                            size_t row = 0, double rep = 1.0) {
    tb::GenerateParams p;
    p.max_new_tokens = n;
    p.min_new_tokens = n;
    p.eos_token_ids = {2};
    p.sampling.repetition_penalty = rep;
    auto r = tb::generate(m, prompts, p);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return r->new_ids[row];
}

TEST(LlamaHfParity, FixturesPresent) {
    ASSERT_GE(cases().size(), 3u)
        << "missing HF fixtures under " << tbtest::fixtures_dir()
        << "/llama (run tests/fixtures/gen/gen_llama_fixtures.py on the GPU machine)";
}

TEST(LlamaHfParity, Fp32LogitsAndGreedy) {
    for (const auto& c : cases()) {
        SCOPED_TRACE(c);
        json e = load_expected(c);
        auto ids = e["input_ids"].get<std::vector<int64_t>>();
        auto m = load(c, at::kFloat);
        const json& ref =
            kDevice.is_cuda() && e.contains("cuda_fp32") ? e["cuda_fp32"] : e["cpu_fp32"];
        double worst = compare_topk(logits_of(m, ids), ref, true, c);
        std::printf("[parity] %s fp32 %s max|dlogit| = %.3g\n", c.c_str(), kDevice.str().c_str(),
                    worst);
        EXPECT_LT(worst, kFp32Tolerance);
        // also against the CPU reference when on CUDA: same bound
        if (kDevice.is_cuda()) {
            EXPECT_LT(compare_topk(logits_of(m, ids), e["cpu_fp32"], false, c), kFp32Tolerance);
        }
        EXPECT_EQ(greedy(m, {ids}, 32), e["greedy32"].get<std::vector<int64_t>>());
        auto prompts = e["batch_prompts"].get<std::vector<std::vector<int64_t>>>();
        auto batch = e["batch_greedy12"].get<std::vector<std::vector<int64_t>>>();
        for (size_t r = 0; r < prompts.size(); ++r)
            EXPECT_EQ(greedy(m, prompts, 12, r), batch[r]) << "batch row " << r;
        EXPECT_EQ(greedy(m, {ids}, 16, 0, 1.3),
                  e["greedy16_reppen1.3"].get<std::vector<int64_t>>());
    }
}

TEST(LlamaHfParity, PeftAdapterAndMerge) {
    bool any = false;
    for (const auto& c : cases()) {
        json e = load_expected(c);
        if (!e.contains("adapter_cpu_fp32")) continue;
        any = true;
        SCOPED_TRACE(c);
        auto ids = e["input_ids"].get<std::vector<int64_t>>();
        auto m = load(c, at::kFloat);
        auto st = tb::apply_peft_adapter(
            m, (fs::path(tbtest::fixtures_dir()) / "llama" / (c + "_adapter")).string());
        ASSERT_TRUE(st.ok()) << st.error().message;
        double worst = compare_topk(logits_of(m, ids), e["adapter_cpu_fp32"], true, c);
        std::printf("[parity] %s adapter fp32 max|dlogit| = %.3g\n", c.c_str(), worst);
        EXPECT_LT(worst, kFp32Tolerance);
        EXPECT_EQ(greedy(m, {ids}, 16), e["adapter_greedy16"].get<std::vector<int64_t>>());
        tb::merge_lora_into_base(m);
        double wm = compare_topk(logits_of(m, ids), e["merged_cpu_fp32"], true, c);
        EXPECT_LT(wm, kFp32Tolerance);
    }
    EXPECT_TRUE(any) << "no adapter fixture found";
}

#ifdef TB_TEST_CUDA
TEST(LlamaHfParity, CudaBf16WithinMeasuredTolerance) {
    for (const auto& c : cases()) {
        json e = load_expected(c);
        if (!e.contains("cuda_bf16")) continue;
        SCOPED_TRACE(c);
        auto ids = e["input_ids"].get<std::vector<int64_t>>();
        auto m = load(c, at::kBFloat16);
        at::Tensor ours = logits_of(m, ids);
        double vs_hf_bf16 = compare_topk(ours, e["cuda_bf16"], false, c);
        double vs_fp32 = compare_topk(ours, e["cpu_fp32"], false, c);
        std::printf("[parity] %s bf16 cuda: max|dlogit| vs HF bf16 = %.3g, vs HF fp32 = %.3g\n",
                    c.c_str(), vs_hf_bf16, vs_fp32);
        EXPECT_LT(vs_hf_bf16, kBf16Tolerance);
        auto g = greedy(m, {ids}, 32);
        auto hf = e["cuda_bf16_greedy32"].get<std::vector<int64_t>>();
        size_t same = 0;
        while (same < g.size() && same < hf.size() && g[same] == hf[same]) ++same;
        std::printf("[parity] %s bf16 greedy: first %zu/32 tokens equal HF bf16\n", c.c_str(),
                    same);
    }
}
#endif

}  // namespace

#ifdef TB_TEST_CUDA
int main(int argc, char** argv) {
    if (!tb::compat::cuda_available()) {
        std::printf("no CUDA device: skipping GPU parity tests\n");
        return 77;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
#endif
