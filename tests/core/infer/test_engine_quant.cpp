// The quant engine (core/infer/engine_quant.cpp) and its Q8_0 pieces (core/quant/q8_0.h,
// q8_0_cpu.h), fp32 on the CPU:
// - Q8_0 quantisation follows ggml's quantize_row_q8_0_ref exactly: known blocks (ties round
//   away from zero, a zero block, the fp16 rounding of d), and the scalar row quantiser, the
//   parallel CPU path and the torch-op path (the one CUDA takes) give the same bytes;
// - the AVX2 dot kernel equals the scalar one exactly (int32 block sums and the final float),
//   and the scalar dot equals a long-double reference within a bound derived from its
//   arithmetic;
// - q8_0_linear: decode and prefill row counts (activation quantised) within the activation's
//   quantisation error of the dequantised product;
// - the engine: greedy tokens on a small random model agree with the eager engine's (printed),
//   also with a PEFT adapter applied without merging; weight_bytes is 34/32 bytes per
//   quantised weight; nf4 runs too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

#include "core/infer/inference.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/quant/q8_0.h"
#include "core/quant/q8_0_cpu.h"
#include "tests/test_paths.h"

using namespace tb;
using namespace tb::infer;

namespace {

uint16_t half_bits(at::Half h) {
    uint16_t b;
    std::memcpy(&b, &h, 2);
    return b;
}

// ggml's rule, written out here from its definition (q8_0.h) with the C library's roundf.
void ggml_rule(const float* x, int8_t* q, float* d_out, uint16_t* d_bits) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const at::Half dh(d);
    *d_bits = half_bits(dh);
    *d_out = static_cast<float>(dh);
    for (int j = 0; j < 32; ++j) q[j] = static_cast<int8_t>(::roundf(x[j] * id));
}

Q8_0Weight quantize_or_die(const at::Tensor& w, bool torch_ops = false) {
    Q8_0Options o;
    o.torch_ops = torch_ops;
    auto q = quantize_q8_0(w, o);
    if (!q.ok()) throw std::runtime_error(q.error().message);
    return std::move(q).value();
}

}  // namespace

TEST(Q8_0, KnownBlocksFollowGgml) {
    // Block 0: amax 127, so d = 1 and id = 1: the codes are roundf of the values themselves,
    // halves away from zero (round-half-even would give 126, 2, 4, -2 for the ties below).
    // Block 1: all zeros: d = 0, codes 0. Block 2: amax 1: d = fp32(1/127) stored as fp16
    // 0x2008 (2^-7 * (1 + 8/1024) = 0.00787353515625).
    std::vector<float> x(96, 0.0f);
    const float b0[] = {127.0f,  0.5f, -0.5f, 1.5f,        2.5f,         -2.5f, 126.5f,
                        -126.5f, 3.5f, 4.5f,  0.49999997f, -0.49999997f, 1.0f,  -127.0f};
    const int8_t q0[] = {127, 1, -1, 2, 3, -3, 127, -127, 4, 5, 0, 0, 1, -127};
    std::copy(std::begin(b0), std::end(b0), x.begin());
    x[64] = 1.0f;
    x[65] = -1.0f;
    x[66] = 0.25f;  // 0.25 * fp32(127.0000...) = 31.75... -> 32
    const at::Tensor w = at::from_blob(x.data(), {1, 96}, at::kFloat).clone();
    for (bool torch_ops : {false, true}) {
        SCOPED_TRACE(torch_ops ? "torch ops" : "scalar rows");
        const Q8_0Weight q = quantize_or_die(w, torch_ops);
        ASSERT_EQ(q.qs.sizes(), (std::vector<int64_t>{1, 96}));
        ASSERT_EQ(q.d.sizes(), (std::vector<int64_t>{1, 3}));
        const int8_t* qs = q.qs.data_ptr<int8_t>();
        const at::Half* d = q.d.data_ptr<at::Half>();
        EXPECT_EQ(half_bits(d[0]), 0x3C00);  // 1.0
        for (size_t j = 0; j < std::size(q0); ++j) EXPECT_EQ(qs[j], q0[j]) << "element " << j;
        for (int j = 14; j < 32; ++j) EXPECT_EQ(qs[j], 0);
        EXPECT_EQ(half_bits(d[1]), 0);
        for (int j = 32; j < 64; ++j) EXPECT_EQ(qs[j], 0);
        EXPECT_EQ(half_bits(d[2]), 0x2008);
        EXPECT_EQ(qs[64], 127);
        EXPECT_EQ(qs[65], -127);
        EXPECT_EQ(qs[66], 32);
        const at::Tensor back = q.dequantize(at::kFloat, at::kCPU);
        EXPECT_EQ(back[0][6].item<float>(), 127.0f);
        EXPECT_EQ(back[0][40].item<float>(), 0.0f);
        EXPECT_EQ(back[0][64].item<float>(), 127.0f * 0.00787353515625f);
        EXPECT_EQ(back[0][66].item<float>(), 32.0f * 0.00787353515625f);
    }
    EXPECT_EQ(quantize_or_die(w).bytes(), 96 + 3 * 2);  // 34 bytes per 32 weights
}

TEST(Q8_0, EveryPathMatchesTheRuleOnRandomRows) {
    // Rows with scales over several decades, and ties made on purpose: k * d / 2 values.
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const int64_t rows = 37, cols = 256;
    std::vector<float> x(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const float scale = std::pow(10.0f, static_cast<float>(r % 9) - 6.0f);
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(r * cols + c)] = nd(rng) * scale;
        if (r % 3 == 0)  // amax 127 * 2^-3: d = 2^-3 exactly, values on half steps are ties
            for (int64_t c = 0; c < cols; ++c)
                x[static_cast<size_t>(r * cols + c)] =
                    (c % 32 == 0) ? 127.0f / 8 : static_cast<float>((c * 37) % 255 - 127) / 16;
    }
    const at::Tensor w = at::from_blob(x.data(), {rows, cols}, at::kFloat).clone();
    const Q8_0Weight a = quantize_or_die(w, false), b = quantize_or_die(w, true);
    EXPECT_TRUE(at::equal(a.qs, b.qs));
    EXPECT_TRUE(at::equal(a.d.view(at::kShort), b.d.view(at::kShort)));
    std::vector<int8_t> q(32), q2(cols);
    std::vector<at::Half> d2(cols / 32);
    for (int64_t r = 0; r < rows; ++r) {
        q8cpu::quantize_row(x.data() + r * cols, cols, q2.data(), d2.data());
        for (int64_t blk = 0; blk < cols / 32; ++blk) {
            float dv;
            uint16_t bits;
            ggml_rule(x.data() + r * cols + blk * 32, q.data(), &dv, &bits);
            ASSERT_EQ(half_bits(a.d[r][blk].item<at::Half>()), bits) << r << "," << blk;
            ASSERT_EQ(half_bits(d2[static_cast<size_t>(blk)]), bits);
            for (int j = 0; j < 32; ++j) {
                ASSERT_EQ(a.qs[r][blk * 32 + j].item<int8_t>(), q[static_cast<size_t>(j)])
                    << r << "," << blk << "," << j;
                ASSERT_EQ(q2[static_cast<size_t>(blk * 32 + j)], q[static_cast<size_t>(j)]);
            }
        }
    }
    // bf16 weights quantise like their exact fp32 widening.
    const at::Tensor wb = w.to(at::kBFloat16);
    const Q8_0Weight c = quantize_or_die(wb), e = quantize_or_die(wb.to(at::kFloat));
    EXPECT_TRUE(at::equal(c.qs, e.qs));
    EXPECT_EQ(c.dtype, at::kBFloat16);
    // Rows that do not split into blocks of 32 are refused with a message.
    auto bad = quantize_q8_0(at::zeros({4, 48}));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("multiple of 32"), std::string::npos);
}

TEST(Q8_0, Avx2DotEqualsScalarDotAndScalarIsWithinItsBound) {
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> code(-127, 127);
    std::uniform_real_distribution<float> scale(1e-4f, 1e-1f);
    const bool avx2 = q8cpu::kernel_supported(q8cpu::Kernel::Avx2);
    std::printf("[ info ] Q8_0 kernel on this CPU: %s\n", q8cpu::kernel_name(q8cpu::best_kernel()));
    const double u = std::ldexp(1.0, -24);
    for (int64_t nb : {1, 7, 8, 9, 16, 64, 176}) {
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<int8_t> a(static_cast<size_t>(nb * 32)), b(a.size());
            for (size_t i = 0; i < a.size(); ++i) {
                // Trial 0: the extreme codes everywhere (largest int32 sums, saturation check).
                a[i] = static_cast<int8_t>(trial == 0 ? 127 : code(rng));
                b[i] = static_cast<int8_t>(trial == 0 ? (i % 2 ? -127 : 127) : code(rng));
            }
            std::vector<at::Half> wd(static_cast<size_t>(nb));
            std::vector<float> ad(static_cast<size_t>(nb));
            for (int64_t i = 0; i < nb; ++i) {
                wd[static_cast<size_t>(i)] = at::Half(scale(rng));
                ad[static_cast<size_t>(i)] = static_cast<float>(at::Half(scale(rng)));
            }
            std::vector<int32_t> s_scalar(static_cast<size_t>(nb)), s_avx(s_scalar.size());
            q8cpu::block_sums(q8cpu::Kernel::Scalar, a.data(), b.data(), nb, s_scalar.data());
            const float f_scalar =
                q8cpu::vec_dot(q8cpu::Kernel::Scalar, a.data(), wd.data(), b.data(), ad.data(), nb);
            // Reference: exact int sums, products and sum in long double (64-bit mantissa:
            // the products' rounding is far below the float bound).
            long double ref = 0, abs_sum = 0;
            for (int64_t i = 0; i < nb; ++i) {
                int64_t s = 0;
                for (int j = 0; j < 32; ++j)
                    s += int64_t{a[static_cast<size_t>(i * 32 + j)]} *
                         b[static_cast<size_t>(i * 32 + j)];
                ASSERT_EQ(s_scalar[static_cast<size_t>(i)], s);
                const long double t = static_cast<long double>(s) *
                                      static_cast<float>(wd[static_cast<size_t>(i)]) *
                                      ad[static_cast<size_t>(i)];
                ref += t;
                abs_sum += std::fabs(t);
            }
            // Each term: float(s) exact, d_w * d_a and the product with s rounded once each;
            // a lane adds at most ceil(nb / 8) terms, the lanes meet in three more adds. So
            // every term carries at most k = 2 + ceil(nb / 8) + 3 roundings:
            // |error| <= gamma_k * sum |t|, gamma_k = k u / (1 - k u).
            const double k = 5.0 + static_cast<double>((nb + 7) / 8);
            const double bound = k * u / (1 - k * u) * static_cast<double>(abs_sum);
            EXPECT_LE(std::fabs(static_cast<double>(f_scalar - ref)), bound)
                << "nb " << nb << " trial " << trial;
            if (!avx2) continue;
            q8cpu::block_sums(q8cpu::Kernel::Avx2, a.data(), b.data(), nb, s_avx.data());
            EXPECT_EQ(s_avx, s_scalar) << "nb " << nb;
            const float f_avx =
                q8cpu::vec_dot(q8cpu::Kernel::Avx2, a.data(), wd.data(), b.data(), ad.data(), nb);
            uint32_t x1, x2;
            std::memcpy(&x1, &f_scalar, 4);
            std::memcpy(&x2, &f_avx, 4);
            EXPECT_EQ(x1, x2) << "nb " << nb << ": " << f_scalar << " vs " << f_avx;
        }
    }
    if (!avx2) GTEST_SKIP() << "no AVX2 + F16C here: only the scalar kernel was checked";
}

TEST(Q8_0, LinearDecodeAndPrefillPaths) {
    torch::manual_seed(5);
    const int64_t K = 320, N = 70;
    const at::Tensor w = at::randn({N, K}) * 0.05;
    const Q8_0Weight q = quantize_or_die(w);
    const at::Tensor wd = q.dequantize(at::kFloat, at::kCPU);  // what the kernels multiply by
    const double u = std::ldexp(1.0, -24);
    // Every row count, decode steps (1, 3, 8 rows) and prefill (18) alike, quantises x per row
    // and runs the int8 dots (q8_0.h), so y differs from x wd^T by at most
    // sum_k |wd[n,k]| * d_x(block of k) / 2 (plus float rounding of the sums; the bias adds
    // one rounding).
    const auto bound_of = [&](const at::Tensor& x2, const at::Tensor& b) {
        const int64_t M = x2.size(0);
        const at::Tensor dx = x2.view({M, K / 32, 32}).abs().amax(-1) / 127;  // ~ d per block
        const at::Tensor half_step = dx.repeat_interleave(32, 1).to(at::kDouble) * 0.5 * 1.001;
        at::Tensor bound =
            at::matmul(half_step, wd.abs().t().to(at::kDouble)) +
            at::matmul(x2.abs().to(at::kDouble), wd.abs().t().to(at::kDouble)) * (20 * u);
        if (b.defined()) bound = bound + b.abs().to(at::kDouble) * (2 * u);
        return bound;
    };
    for (int64_t M : {int64_t{1}, int64_t{3}, kQ8DotMaxRows, int64_t{18}}) {
        const at::Tensor x = at::randn({M, K});
        const at::Tensor y = q8_0_linear(x, q);
        const at::Tensor exact = at::linear(x.to(at::kDouble), wd.to(at::kDouble));
        EXPECT_TRUE(((y.to(at::kDouble) - exact).abs() <= bound_of(x, {})).all().item<bool>())
            << "M " << M;
        // ... and it is not the exact product (the activation was really quantised).
        EXPECT_GT((y.to(at::kDouble) - exact).abs().max().item<double>(), 0.0);
    }
    // A prefill-shaped input [2, 9, K] with a bias.
    const at::Tensor x = at::randn({2, 9, K});
    const at::Tensor b = at::randn({N});
    const at::Tensor y = q8_0_linear(x, q, b);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 9, N}));
    const at::Tensor exact = at::linear(x.to(at::kDouble), wd.to(at::kDouble), b.to(at::kDouble));
    EXPECT_TRUE(((y.to(at::kDouble) - exact).abs().view({18, N}) <= bound_of(x.view({18, K}), b))
                    .all()
                    .item<bool>());
}

namespace {

LlamaConfig quant_shape() {
    LlamaConfig c;
    c.vocab_size = 512;
    c.hidden_size = 128;
    c.intermediate_size = 256;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 32;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 256;
    c.eos_token_ids = {2};
    return c;
}

EngineParams params(const std::string& engine, const std::string& quant = "q8_0") {
    EngineParams p;
    p.engine = engine;
    p.quant = quant;
    p.random_shape = quant_shape();
    p.seed = 3;
    p.device = "cpu";
    p.dtype = "fp32";
    return p;
}

std::unique_ptr<InferenceEngine> load_or_die(const EngineParams& p) {
    auto e = InferenceEngine::load(p);
    if (!e.ok()) throw std::runtime_error(e.error().message);
    return std::move(e).value();
}

std::vector<Request> prompts(int64_t n_new, const std::string& adapter = "") {
    std::vector<Request> reqs;
    std::mt19937 rng(21);
    std::uniform_int_distribution<int64_t> tok(3, 511);
    for (int64_t len : {5, 12, 1, 30, 17, 8, 3, 22, 11, 2, 26, 14}) {
        Request r;
        for (int64_t i = 0; i < len; ++i) r.prompt_ids.push_back(tok(rng));
        r.max_new_tokens = n_new;
        r.min_new_tokens = n_new;
        r.adapter = adapter;
        reqs.push_back(r);
    }
    return reqs;
}

std::vector<std::vector<int64_t>> run(InferenceEngine& e, const std::vector<Request>& reqs) {
    auto r = e.generate(reqs);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    std::vector<std::vector<int64_t>> out;
    for (auto& c : r.value()) out.push_back(c.ids);
    return out;
}

// Mean over rows of the share of new tokens before the first difference (bench infer's
// agreement figure), and the share of equal positions.
std::pair<double, double> agreement(const std::vector<std::vector<int64_t>>& a,
                                    const std::vector<std::vector<int64_t>>& b) {
    double prefix = 0, pos = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        size_t k = 0;
        while (k < a[i].size() && a[i][k] == b[i][k]) ++k;
        prefix += static_cast<double>(k) / static_cast<double>(a[i].size());
        size_t same = 0;
        for (size_t j = 0; j < a[i].size(); ++j) same += a[i][j] == b[i][j];
        pos += static_cast<double>(same) / static_cast<double>(a[i].size());
    }
    return {prefix / static_cast<double>(a.size()), pos / static_cast<double>(a.size())};
}

// Next-token agreement under the eager engine's own prefixes (teacher forcing): for every
// row and position k, the quant engine's greedy token after prompt + eager[:k] against
// eager[k]. Unlike the free-running figure, one flipped near-tie does not decide the rest of
// the row. (These are one-token requests: the prefill path.)
double forced_agreement(InferenceEngine& quant, const std::vector<Request>& reqs,
                        const std::vector<std::vector<int64_t>>& eager_ids) {
    std::vector<Request> forced;
    std::vector<int64_t> expect;
    for (size_t i = 0; i < reqs.size(); ++i)
        for (size_t k = 0; k < eager_ids[i].size(); ++k) {
            Request r = reqs[i];
            r.prompt_ids.insert(r.prompt_ids.end(), eager_ids[i].begin(),
                                eager_ids[i].begin() + static_cast<std::ptrdiff_t>(k));
            r.max_new_tokens = r.min_new_tokens = 1;
            forced.push_back(r);
            expect.push_back(eager_ids[i][k]);
        }
    const auto got = run(quant, forced);
    size_t same = 0;
    for (size_t i = 0; i < got.size(); ++i) same += got[i][0] == expect[i];
    return static_cast<double>(same) / static_cast<double>(got.size());
}

// Required agreement with the eager engine's greedy tokens. Q8_0 perturbs each weight by at
// most d/2 (~0.4% of a block's largest weight) and each decode activation likewise; on this
// random model (init std 0.02, flat logits) that flips a near-tie now and then. Teacher-forced,
// that is a few positions in a hundred; free-running, a flip ends the row's agreement, so
// the share before the first difference is lower and noisier. A wrong kernel or a dropped
// adapter agrees on ~1/512 of the tokens.
constexpr double kMinForcedAgreement = 0.95;
constexpr double kMinPrefixAgreement = 0.5;

}  // namespace

TEST(QuantEngine, RegisteredAndValidated) {
    const auto names = available_engines();
    EXPECT_NE(std::find(names.begin(), names.end(), "quant"), names.end());
    auto bad = InferenceEngine::load(params("quant", "q4_k"));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("q4_k"), std::string::npos) << bad.error().message;
}

TEST(QuantEngine, Q8GreedyTokensAgreeWithEagerAndBytesAre34Per32) {
    auto eager = load_or_die(params("eager"));
    auto quant = load_or_die(params("quant"));
    const auto reqs = prompts(24);
    const auto te = run(*eager, reqs);
    const auto tq = run(*quant, reqs);
    const auto [prefix, pos] = agreement(te, tq);
    const double forced = forced_agreement(*quant, reqs, te);
    std::printf(
        "[ info ] q8_0 vs eager greedy agreement: %.3f (prefix share), %.3f (positions), "
        "%.3f (teacher-forced)\n",
        prefix, pos, forced);
    EXPECT_GE(prefix, kMinPrefixAgreement);
    EXPECT_GE(forced, kMinForcedAgreement);

    // weight_bytes: the eager engine's fp32 bytes, with every projection weight and the (untied)
    // lm_head at 34/32 bytes instead of 4.
    const LlamaConfig c = quant_shape();
    const int64_t H = c.hidden_size, I = c.intermediate_size;
    const int64_t per_layer = H * c.num_attention_heads * c.head_dim * 2 +
                              H * c.num_key_value_heads * c.head_dim * 2 + 3 * H * I;
    const int64_t P = per_layer * c.num_hidden_layers + c.vocab_size * H;
    const int64_t expect = eager->load_report().weight_bytes - 4 * P + P * 34 / 32;
    EXPECT_EQ(quant->load_report().weight_bytes, expect);
    std::printf("[ info ] weight bytes: eager %lld, quant q8_0 %lld (%lld Q8_0 weights)\n",
                static_cast<long long>(eager->load_report().weight_bytes),
                static_cast<long long>(quant->load_report().weight_bytes),
                static_cast<long long>(P));
}

TEST(QuantEngine, AdapterWithoutMergingAgreesWithEager) {
    // A random PEFT adapter for the random model, saved as a folder.
    LoadOptions lo;
    LlamaModel m = init_llama(quant_shape(), 3, 0.02, lo);
    LoraSettings ls;
    ls.r = 8;
    ls.alpha = 16;
    ls.target_modules = {"q_proj", "v_proj", "o_proj", "up_proj", "down_proj"};
    torch::manual_seed(9);
    for (auto& L : m.layers)
        for (const auto& name : ls.target_modules) {
            LoraLinear* lin = L.projection(name);
            lin->lora.A = at::randn({ls.r, lin->in_features()}) * 0.1;
            lin->lora.B = at::randn({lin->out_features(), ls.r}) * 0.1;
            lin->lora.scale = lora_scale(ls, ls.r, ls.alpha);
        }
    const std::string dir = tbtest::scratch_dir("quant_adapter");
    ASSERT_TRUE(save_peft_adapter(m, ls, dir).ok());

    auto eager = load_or_die(params("eager"));
    auto quant = load_or_die(params("quant"));
    ASSERT_TRUE(eager->load_adapter("a", dir).ok());
    auto st = quant->load_adapter("a", dir);
    ASSERT_TRUE(st.ok()) << st.error().message;
    const auto te = run(*eager, prompts(24, "a"));
    const auto tq = run(*quant, prompts(24, "a"));
    const auto tq_base = run(*quant, prompts(24));
    const auto [prefix, pos] = agreement(te, tq);
    const double forced = forced_agreement(*quant, prompts(24, "a"), te);
    std::printf(
        "[ info ] q8_0 + adapter vs eager + adapter: %.3f (prefix share), %.3f "
        "(positions), %.3f (teacher-forced)\n",
        prefix, pos, forced);
    EXPECT_GE(prefix, kMinPrefixAgreement);
    EXPECT_GE(forced, kMinForcedAgreement);
    // The adapter changes what the quant engine generates (it is really applied).
    EXPECT_LT(agreement(tq, tq_base).second, 0.5);
    // The quantised weights were not changed by the adapter: base rows still match eager.
    const auto te_base = run(*eager, prompts(24));
    EXPECT_GE(agreement(te_base, tq_base).first, kMinPrefixAgreement);
    EXPECT_GE(forced_agreement(*quant, prompts(24), te_base), kMinForcedAgreement);
}

TEST(QuantEngine, Nf4Runs) {
    // NF4 on the CPU (torch-op decode per step): 4-bit weights perturb a random model far more
    // than Q8_0, so only a looser agreement is asked of it; the point is that the path runs and
    // holds 4.13 bits per projection weight.
    auto eager = load_or_die(params("eager"));
    auto quant = load_or_die(params("quant", "nf4"));
    const auto reqs = prompts(12);
    const auto [prefix, pos] = agreement(run(*eager, reqs), run(*quant, reqs));
    std::printf("[ info ] nf4 vs eager greedy agreement: %.3f (prefix share), %.3f (positions)\n",
                prefix, pos);
    EXPECT_GT(pos, 0.1);  // far above chance (1/512)
    const int64_t eager_b = eager->load_report().weight_bytes;
    const int64_t quant_b = quant->load_report().weight_bytes;
    EXPECT_LT(quant_b, eager_b);
}
