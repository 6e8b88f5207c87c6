// The serving core's paged engine (core/serve/batcher.h) on CUDA:
// - fp32: greedy answers of concurrent requests (mixed adapters, chunked prefill, prefix
//   sharing, a pool small enough to preempt) equal the same requests submitted one at a time,
//   and equal the eager engine's answers on CUDA;
// - the decode-attention seam (paged_decode_attention) in bf16 against fp32 on the same
//   (bf16-rounded) inputs, within the bound that bf16 rounding of the result allows; a CUDA
//   paged-attention kernel dropped into the seam must pass the same check;
// - bf16 end to end: token agreement with the fp32 run, printed (bf16 rounding may flip near
//   ties of a random model, so it is a measure with a loose floor).
// Exits 77 (skipped) without a CUDA device.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "core/common/torch_compat.h"
#include "core/infer/inference.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/serve/batcher.h"
#include "core/serve/paged_model.h"
#include "tests/test_paths.h"

using namespace tb::infer;
using tb::LlamaConfig;
using tb::serve::Batcher;
using tb::serve::BatcherParams;
using tb::serve::StreamEvent;

namespace {

LlamaConfig shape() {
    LlamaConfig c;
    c.vocab_size = 4096;
    c.hidden_size = 256;
    c.intermediate_size = 512;
    c.num_hidden_layers = 4;
    c.num_attention_heads = 8;
    c.num_key_value_heads = 2;
    c.head_dim = 32;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 1024;
    c.eos_token_ids = {2};
    return c;
}

EngineParams params(const std::string& dtype) {
    EngineParams p;
    p.random_shape = shape();
    p.seed = 5;
    p.device = "cuda";
    p.dtype = dtype;
    return p;
}

Request greedy(const std::vector<int64_t>& ids, int64_t n, const std::string& adapter = "") {
    Request r;
    r.prompt_ids = ids;
    r.max_new_tokens = n;
    r.min_new_tokens = n;
    r.adapter = adapter;
    return r;
}

std::vector<int64_t> prompt(int64_t len, int64_t salt) {
    std::vector<int64_t> p = {1};
    for (int64_t i = 1; i < len; ++i) p.push_back(3 + (salt * 7919 + i * 104729) % 4090);
    return p;
}

std::vector<std::vector<int64_t>> run_all(Batcher& b, const std::vector<Request>& reqs) {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::vector<int64_t>> out(reqs.size());
    size_t open = reqs.size();
    for (size_t i = 0; i < reqs.size(); ++i) {
        auto id = b.submit(reqs[i], [&, i](const StreamEvent& e) {
            std::lock_guard<std::mutex> lk(mu);
            if (e.finished) {
                EXPECT_NE(e.finish_reason, "error") << e.error;
                --open;
                cv.notify_all();
            } else {
                out[i].push_back(e.token);
            }
        });
        if (!id.ok()) throw std::runtime_error(id.error().message);
    }
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return open == 0; });
    return out;
}

std::string make_adapter(const std::string& name, std::vector<std::string> targets, uint64_t seed) {
    tb::LoadOptions lo;
    tb::LlamaModel m = tb::init_llama(shape(), 5, 0.02, lo);
    tb::LoraSettings ls;
    ls.r = 8;
    ls.alpha = 16;
    ls.target_modules = targets;
    torch::manual_seed(seed);
    for (auto& L : m.layers)
        for (const auto& t : targets) {
            tb::LoraLinear* lin = L.projection(t);
            lin->lora.A = at::randn({ls.r, lin->in_features()}) * 0.1;
            lin->lora.B = at::randn({lin->out_features(), ls.r}) * 0.1;
            lin->lora.scale = tb::lora_scale(ls, ls.r, ls.alpha);
        }
    const std::string dir = tbtest::scratch_dir("batcher_gpu_adapter_" + name);
    EXPECT_TRUE(tb::save_peft_adapter(m, ls, dir).ok());
    return dir;
}

struct Workload {
    std::vector<Request> reqs;
    std::vector<std::pair<std::string, std::string>> adapters;
};

Workload workload() {
    Workload w;
    w.adapters = {{"a", make_adapter("a", {"q_proj", "v_proj", "down_proj"}, 1)},
                  {"b", make_adapter("b", {"k_proj", "o_proj", "up_proj"}, 2)}};
    const auto system = prompt(40, 99);  // a shared prefix (prefix sharing)
    const char* names[] = {"", "a", "b"};
    for (int i = 0; i < 24; ++i) {
        std::vector<int64_t> p = i % 4 == 0 ? system : std::vector<int64_t>{1};
        const auto q = prompt(3 + (i * 37) % 150, i);
        p.insert(p.end(), q.begin() + 1, q.end());
        w.reqs.push_back(greedy(p, 24 + i % 5, names[i % 3]));
    }
    return w;
}

TEST(BatcherGpu, Fp32ConcurrentEqualsSingleEqualsEager) {
    const Workload w = workload();
    BatcherParams bp;
    bp.engine = params("fp32");
    bp.adapters = w.adapters;
    bp.block_size = 16;
    bp.max_prefill_tokens = 96;  // the longer prompts are chunked
    // 60 blocks of 16: fewer than the 24 requests need together (preemption happens).
    bp.kv_cache_bytes = 60 * tb::serve::PagedModel::block_bytes(shape(), 16, at::kFloat);
    auto b = Batcher::start(bp);
    ASSERT_TRUE(b.ok()) << b.error().message;
    const auto together = run_all(**b, w.reqs);
    std::printf("[ info ] preemptions %lld, prefix tokens reused %lld, steps %lld\n",
                static_cast<long long>((*b)->stats().preemptions),
                static_cast<long long>((*b)->stats().prefix_tokens_reused),
                static_cast<long long>((*b)->stats().steps));
    auto eager = InferenceEngine::load(params("fp32"));
    ASSERT_TRUE(eager.ok()) << eager.error().message;
    for (const auto& [name, dir] : w.adapters) ASSERT_TRUE((*eager)->load_adapter(name, dir).ok());
    for (size_t i = 0; i < w.reqs.size(); ++i) {
        SCOPED_TRACE("request " + std::to_string(i));
        const auto alone = run_all(**b, {w.reqs[i]});
        EXPECT_EQ(together[i], alone[0]);
        auto e = (*eager)->generate({w.reqs[i]});
        ASSERT_TRUE(e.ok()) << e.error().message;
        EXPECT_EQ(together[i], e.value()[0].ids);
    }
}

TEST(BatcherGpu, DecodeAttentionSeamBf16AgreesWithFp32) {
    torch::manual_seed(3);
    const int64_t D = 37, nh = 8, nkv = 2, hd = 64, bs = 16, NB = 200;
    const auto cuda = at::TensorOptions().device(at::kCUDA);
    // Inputs rounded to bf16 once, so both runs see the same numbers.
    at::Tensor q = at::randn({D, nh, hd}, cuda).to(at::kBFloat16);
    at::Tensor kp = at::randn({NB, bs, nkv, hd}, cuda).to(at::kBFloat16);
    at::Tensor vp = at::randn({NB, bs, nkv, hd}, cuda).to(at::kBFloat16);
    std::vector<int64_t> lens;
    int64_t max_len = 0;
    for (int64_t d = 0; d < D; ++d) {
        lens.push_back(1 + (d * 97) % 700);
        max_len = std::max(max_len, lens.back());
    }
    const int64_t width = (max_len + bs - 1) / bs;
    // Scattered, shared and repeated blocks: a table is any list of block ids.
    at::Tensor tables =
        at::randint(0, NB, {D, width}, at::TensorOptions().dtype(at::kLong)).to(at::kCUDA);
    at::Tensor ctx = at::tensor(lens, at::kLong).to(at::kCUDA);
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    at::Tensor lo = tb::serve::paged_decode_attention(q, kp, vp, tables, ctx, max_len, scale, true)
                        .to(at::kFloat);
    at::Tensor hi = tb::serve::paged_decode_attention(
        q.to(at::kFloat), kp.to(at::kFloat), vp.to(at::kFloat), tables, ctx, max_len, scale, true);
    // The output is a convex combination of V rows: |out| <= max|v|. bf16 keeps 8 significant
    // bits (relative error u = 2^-9 per rounding). Rounding a score s moves exp(s) by a factor
    // of at most exp(|s| u), so the probabilities by ~2 |s|max u relative; rounding them and
    // the output adds 2 u more: |diff| <= (2 smax + 2) u max|v|, with smax bounded by
    // Cauchy-Schwarz (max |q| max |k| scale).
    const double u = std::ldexp(1.0, -9);
    const double smax = q.to(at::kFloat).norm(2, {-1}).max().item<double>() *
                        kp.to(at::kFloat).norm(2, {-1}).max().item<double>() * scale;
    const double bound = (2 * smax + 2) * u * vp.abs().max().to(at::kFloat).item<double>();
    const double err = (lo - hi).abs().max().item<double>();
    std::printf("[ info ] seam bf16 vs fp32: max abs diff %.5f (bound %.5f)\n", err, bound);
    EXPECT_LE(err, bound);
}

TEST(BatcherGpu, Bf16AgreesWithFp32) {
    const Workload w = workload();
    std::vector<std::vector<int64_t>> runs[2];
    for (int k = 0; k < 2; ++k) {
        BatcherParams bp;
        bp.engine = params(k == 0 ? "fp32" : "bf16");
        bp.adapters = w.adapters;
        bp.kv_cache_bytes = 256 << 20;
        auto b = Batcher::start(bp);
        ASSERT_TRUE(b.ok()) << b.error().message;
        runs[k] = run_all(**b, w.reqs);
    }
    double share = 0;
    for (size_t i = 0; i < w.reqs.size(); ++i) {
        size_t same = 0;
        while (same < runs[0][i].size() && runs[0][i][same] == runs[1][i][same]) ++same;
        share += static_cast<double>(same) / static_cast<double>(runs[0][i].size());
    }
    share /= static_cast<double>(w.reqs.size());
    std::printf("[ info ] bf16 vs fp32 greedy agreement (prefix share): %.3f\n", share);
    EXPECT_GE(share, 0.3);
}

}  // namespace

int main(int argc, char** argv) {
    if (!tb::compat::cuda_available()) {
        std::fprintf(stderr, "no CUDA device: skipped\n");
        return 77;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
