// The graph engine (core/infer/engine_eager.cpp, graph mode) on CUDA: a decode step recorded
// once as a CUDA graph and replayed must give the eager engine's tokens.
// - fp32: HF's greedy tokens from the fixtures (tests/fixtures/llama), left-padded batches,
//   a PEFT adapter without merging and back to the base model (the recording is dropped when
//   the LoRA branches change), equal to eager on a batch padded to its bucket (3 -> 4 rows),
//   on a second submission that replays the recorded step, and with the repetition penalty;
// - bf16: token agreement with the fp32 run, printed (bf16 rounding may flip near ties of a
//   random model, so it is a measure, with a loose floor).
// Exits 77 (skipped) without a CUDA device.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/torch_compat.h"
#include "core/infer/inference.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace tb::infer;

namespace {

std::unique_ptr<InferenceEngine> load_or_die(const EngineParams& p) {
    auto e = InferenceEngine::load(p);
    if (!e.ok()) throw std::runtime_error(e.error().message);
    return std::move(e).value();
}

std::vector<Completion> run_or_die(InferenceEngine& e, const std::vector<Request>& reqs) {
    auto r = e.generate(reqs);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return std::move(r).value();
}

Request greedy(const std::vector<int64_t>& ids, int64_t n, double rep = 1.0) {
    Request r;
    r.prompt_ids = ids;
    r.max_new_tokens = n;
    r.min_new_tokens = n;
    r.sampling.repetition_penalty = rep;
    return r;
}

std::vector<std::string> cases() {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(fs::path(tbtest::fixtures_dir()) / "llama"))
        if (fs::exists(e.path() / "expected.json")) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(GraphEngine, GreedyEqualsHfFixturesFp32) {
    ASSERT_GE(cases().size(), 3u);
    for (const auto& c : cases()) {
        SCOPED_TRACE(c);
        std::ifstream in(fs::path(tbtest::fixtures_dir()) / "llama" / c / "expected.json");
        const json e = json::parse(in);
        EngineParams p;
        p.engine = "graph";
        p.model_dir = (fs::path(tbtest::fixtures_dir()) / "llama" / c).string();
        p.device = "cuda";
        p.dtype = "fp32";
        auto eng = load_or_die(p);
        const auto ids = e["input_ids"].get<std::vector<int64_t>>();
        const auto want32 = e["greedy32"].get<std::vector<int64_t>>();
        EXPECT_EQ(run_or_die(*eng, {greedy(ids, 32)})[0].ids, want32);
        // Again: the recorded step is replayed for a new batch of the same bucket.
        EXPECT_EQ(run_or_die(*eng, {greedy(ids, 32)})[0].ids, want32);
        auto prompts = e["batch_prompts"].get<std::vector<std::vector<int64_t>>>();
        auto expect = e["batch_greedy12"].get<std::vector<std::vector<int64_t>>>();
        std::vector<Request> reqs;
        for (const auto& pr : prompts) reqs.push_back(greedy(pr, 12));
        auto out = run_or_die(*eng, reqs);
        for (size_t r = 0; r < prompts.size(); ++r) EXPECT_EQ(out[r].ids, expect[r]) << "row " << r;
        EXPECT_EQ(run_or_die(*eng, {greedy(ids, 16, 1.3)})[0].ids,
                  e["greedy16_reppen1.3"].get<std::vector<int64_t>>());
        if (e.contains("adapter_greedy16")) {
            auto st = eng->load_adapter(
                "a", (fs::path(tbtest::fixtures_dir()) / "llama" / (c + "_adapter")).string());
            ASSERT_TRUE(st.ok()) << st.error().message;
            Request r = greedy(ids, 16);
            r.adapter = "a";
            EXPECT_EQ(run_or_die(*eng, {r})[0].ids,
                      e["adapter_greedy16"].get<std::vector<int64_t>>());
            // Back to the base weights: a recording made with the adapter must not be reused.
            EXPECT_EQ(run_or_die(*eng, {greedy(ids, 32)})[0].ids, want32);
        }
    }
}

tb::LlamaConfig shape() {
    tb::LlamaConfig c;
    c.vocab_size = 512;
    c.hidden_size = 128;
    c.intermediate_size = 256;
    c.num_hidden_layers = 3;
    c.num_attention_heads = 8;
    c.num_key_value_heads = 2;
    c.head_dim = 16;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 1024;
    c.eos_token_ids = {2};
    return c;
}

std::vector<Request> three_rows(int64_t n) {
    // Different lengths (left padding) and three rows (a bucket of 4: one dummy row).
    return {greedy({1, 17, 300, 42, 9, 77, 5}, n), greedy({1, 250}, n),
            greedy({1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, n)};
}

TEST(GraphEngine, EqualsEagerOnABucketPaddedBatch) {
    EngineParams p;
    p.random_shape = shape();
    p.seed = 5;
    p.device = "cuda";
    p.dtype = "fp32";
    auto eager = load_or_die(p);
    p.engine = "graph";
    auto graph = load_or_die(p);
    // 300 new tokens: the capacity crosses a 256 step (another recorded graph).
    for (int64_t n : {40, 300}) {
        auto want = run_or_die(*eager, three_rows(n));
        auto got = run_or_die(*graph, three_rows(n));
        auto again = run_or_die(*graph, three_rows(n));
        for (size_t r = 0; r < 3; ++r) {
            EXPECT_EQ(got[r].ids, want[r].ids) << "n " << n << " row " << r;
            EXPECT_EQ(again[r].ids, want[r].ids) << "n " << n << " row " << r;
        }
    }
}

TEST(GraphEngine, Bf16AgreementWithFp32) {
    EngineParams p;
    p.random_shape = shape();
    p.seed = 5;
    p.device = "cuda";
    p.engine = "graph";
    p.dtype = "fp32";
    auto f32 = load_or_die(p);
    p.dtype = "bf16";
    auto b16 = load_or_die(p);
    auto want = run_or_die(*f32, three_rows(64));
    auto got = run_or_die(*b16, three_rows(64));
    // Agreement = the common prefix (after a flip the rows diverge).
    size_t same = 0, total = 0;
    for (size_t r = 0; r < 3; ++r) {
        size_t k = 0;
        while (k < want[r].ids.size() && got[r].ids[k] == want[r].ids[k]) ++k;
        same += k;
        total += want[r].ids.size();
    }
    std::printf("graph bf16 vs fp32: common prefix %zu of %zu tokens (%.1f%%)\n", same, total,
                100.0 * static_cast<double>(same) / static_cast<double>(total));
    EXPECT_GT(same, 0u);
}

// The decode kernels (core/infer/decode_kernels.h) at Llama's head_dim 64: TB_DECODE_KERNELS=1
// makes their use required, so these rows are known to run on them. Batches 1, 3 (bucket 4,
// left padded) and 8 use the GEMV kernels; 12 (bucket 16) cuBLAS plus the attention kernel.
tb::LlamaConfig shape_hd64() {
    tb::LlamaConfig c = shape();
    c.vocab_size = 1000;
    c.hidden_size = 256;
    c.intermediate_size = 704;  // a multiple of 64: NF4 blocks of down_proj's rows
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 64;
    return c;
}

std::vector<Request> rows_of(int64_t rows, int64_t n) {
    std::vector<Request> out;
    for (int64_t r = 0; r < rows; ++r) {
        std::vector<int64_t> ids{1};
        for (int64_t j = 0; j < 3 + (r * 5) % 11; ++j) ids.push_back(3 + (r * 131 + j * 17) % 990);
        out.push_back(greedy(ids, n));
    }
    return out;
}

struct KernelMode {
    explicit KernelMode(const char* v) { setenv("TB_DECODE_KERNELS", v, 1); }
    ~KernelMode() { unsetenv("TB_DECODE_KERNELS"); }
};

TEST(GraphEngine, DecodeKernelsEqualEagerFp32) {
    EngineParams p;
    p.random_shape = shape_hd64();
    p.seed = 7;
    p.device = "cuda";
    p.dtype = "fp32";
    auto eager = load_or_die(p);
    p.engine = "graph";
    KernelMode required("1");
    auto graph = load_or_die(p);
    for (int64_t rows : {1, 3, 8}) {
        const int64_t n = rows == 3 ? 300 : 48;  // 300: past a capacity step
        auto want = run_or_die(*eager, rows_of(rows, n));
        // Three times: eager prefill, then the prefill recorded (unpadded batch 1), then
        // replayed; the decode step is recorded on the first and replayed after.
        for (int pass = 0; pass < 3; ++pass) {
            auto got = run_or_die(*graph, rows_of(rows, n));
            for (size_t r = 0; r < want.size(); ++r)
                EXPECT_EQ(got[r].ids, want[r].ids)
                    << "batch " << rows << " row " << r << " pass " << pass;
        }
    }
    // An unpadded batch of 8 (one prompt length): its prefill is recorded too.
    std::vector<Request> same;
    for (int64_t r = 0; r < 8; ++r) same.push_back(greedy({1, 5 + r, 77, 300 + r, 9}, 40));
    auto want = run_or_die(*eager, same);
    for (int pass = 0; pass < 3; ++pass) {
        auto got = run_or_die(*graph, same);
        for (size_t r = 0; r < want.size(); ++r)
            EXPECT_EQ(got[r].ids, want[r].ids) << "unpadded row " << r << " pass " << pass;
    }
}

TEST(GraphEngine, DecodeKernelsBf16AgreeWithTorchOps) {
    EngineParams p;
    p.random_shape = shape_hd64();
    p.seed = 7;
    p.device = "cuda";
    p.engine = "graph";
    p.dtype = "fp32";
    std::vector<Completion> f32;
    {
        KernelMode off("0");
        f32 = run_or_die(*load_or_die(p), rows_of(4, 64));
    }
    p.dtype = "bf16";
    std::vector<Completion> ops, ker;
    {
        KernelMode off("0");
        ops = run_or_die(*load_or_die(p), rows_of(4, 64));
    }
    {
        KernelMode on("1");
        ker = run_or_die(*load_or_die(p), rows_of(4, 64));
    }
    auto prefix = [](const std::vector<Completion>& a, const std::vector<Completion>& b) {
        size_t same = 0, total = 0;
        for (size_t r = 0; r < a.size(); ++r) {
            size_t k = 0;
            while (k < a[r].ids.size() && a[r].ids[k] == b[r].ids[k]) ++k;
            same += k;
            total += a[r].ids.size();
        }
        return std::make_pair(same, total);
    };
    auto [s1, t1] = prefix(ops, ker);
    auto [s2, t2] = prefix(f32, ker);
    auto [s3, t3] = prefix(f32, ops);
    std::printf("bf16 kernels vs bf16 torch ops: common prefix %zu of %zu\n", s1, t1);
    std::printf("bf16 kernels vs fp32: %zu of %zu; bf16 torch ops vs fp32: %zu of %zu\n", s2, t2,
                s3, t3);
    // Both bf16 paths round at the same places; a flip needs a near-tie of a random model.
    EXPECT_GT(s1, t1 / 2);
}

// The quant engine's NF4 decode kernels (gemv_nf4 inside the recorded step) against its eager
// step (weights decoded per call) in fp32: the same products nf4[code] * absmax in fp32, so
// greedy tokens agree up to summation order; the agreement is printed and must be high.
TEST(GraphEngine, Nf4DecodeKernelsAgreeWithEagerNf4Fp32) {
    EngineParams p;
    p.random_shape = shape_hd64();
    p.seed = 7;
    p.device = "cuda";
    p.dtype = "fp32";
    p.engine = "quant";
    p.quant = "nf4";
    std::vector<Completion> eager, ker;
    {
        KernelMode off("0");
        eager = run_or_die(*load_or_die(p), rows_of(4, 64));
    }
    {
        KernelMode on("1");
        auto eng = load_or_die(p);
        ker = run_or_die(*eng, rows_of(4, 64));
        auto again = run_or_die(*eng, rows_of(4, 64));  // replayed
        for (size_t r = 0; r < ker.size(); ++r) EXPECT_EQ(again[r].ids, ker[r].ids) << r;
    }
    size_t same = 0, total = 0;
    for (size_t r = 0; r < ker.size(); ++r) {
        size_t k = 0;
        while (k < ker[r].ids.size() && ker[r].ids[k] == eager[r].ids[k]) ++k;
        same += k;
        total += ker[r].ids.size();
    }
    std::printf("nf4 kernels vs nf4 eager (fp32): common prefix %zu of %zu\n", same, total);
    EXPECT_GE(same * 10, total * 9);
}

}  // namespace

int main(int argc, char** argv) {
    if (!tb::compat::cuda_available()) {
        std::printf("no CUDA device: skipping graph engine tests\n");
        return 77;
    }
    // Every GEMV instantiation (up to 8 rows) is exercised, not only the default crossover's.
    setenv("TB_DECODE_GEMV_MAX_BATCH", "8", 0);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
