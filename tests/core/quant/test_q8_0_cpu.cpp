// The multi-row Q8_0 CPU matmul (core/quant/q8_0_cpu.h: quantize_rows + matmul_q8, the path
// of prefill and batched decode):
// - the activation rows are quantised by ggml's rule (written out here: d = amax / 127 stored
//   as fp16, q = roundf(x / d) with the float32 reciprocal) to the same codes and scales;
// - every output equals vec_dot of its weight and activation rows bit for bit (so it does not
//   depend on the row count, the tile it fell in or the row chunk), for the scalar, AVX2 and
//   AVX-512 VNNI kernels alike (those this CPU has), which therefore agree with each other;
// - every output is within the bound of its float arithmetic of a reference that takes exact
//   integer block sums and sums the scaled terms in long double;
// over row counts that leave every tile remainder (1-3 rows, an odd column), block counts with
// and without an 8-block tail, and a k large enough to need two row chunks.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/quant/q8_0.h"
#include "core/quant/q8_0_cpu.h"

using namespace tb;

namespace {

uint32_t bits(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

// ggml's quantize_row_q8_0_ref for one row (q8_0.h), scales returned widened.
void ggml_quantize(const float* x, int64_t k, int8_t* q, float* d) {
    for (int64_t b = 0; b < k / 32; ++b) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
        const float dv = amax / 127.0f;
        const float id = dv != 0.0f ? 1.0f / dv : 0.0f;
        d[b] = static_cast<float>(at::Half(dv));
        for (int j = 0; j < 32; ++j)
            q[b * 32 + j] = static_cast<int8_t>(::roundf(x[b * 32 + j] * id));
    }
}

struct Case {
    int64_t m, k, n;
};

void check_case(const Case& c, std::mt19937& rng) {
    const int64_t m = c.m, k = c.k, n = c.n, nb = k / 32;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(m * k));
    for (auto& v : x) v = normal(rng);
    // A zero block (d = 0, codes 0) and a block of exact ties: amax 127 makes d = 1 and
    // x / d = +-(j + 0.5), which roundf takes away from zero.
    std::fill(x.begin(), x.begin() + 32, 0.0f);
    if (m > 1 && nb > 1) {
        float* tb = x.data() + k + 32;
        tb[0] = 127.0f;
        for (int j = 1; j < 32; ++j)
            tb[j] = (j % 2 ? -1.0f : 1.0f) * (static_cast<float>(j) + 0.5f);
    }
    const at::Tensor w = at::randn({n, k}) * 0.05;
    auto qw = quantize_q8_0(w);
    ASSERT_TRUE(qw.ok());
    const int8_t* wq = qw->qs.data_ptr<int8_t>();
    const auto* wd = reinterpret_cast<const c10::Half*>(qw->d.data_ptr<at::Half>());

    std::vector<int8_t> aq(x.size()), rq(x.size());
    std::vector<float> ad(static_cast<size_t>(m * nb)), rd(ad.size());
    q8cpu::quantize_rows(x.data(), m, k, aq.data(), ad.data());
    for (int64_t r = 0; r < m; ++r)
        ggml_quantize(x.data() + r * k, k, rq.data() + r * k, rd.data() + r * nb);
    ASSERT_EQ(aq, rq) << "m " << m << " k " << k;
    for (size_t i = 0; i < ad.size(); ++i) ASSERT_EQ(bits(ad[i]), bits(rd[i])) << i;

    std::vector<float> ys(static_cast<size_t>(m * n));
    q8cpu::matmul_q8(q8cpu::Kernel::Scalar, aq.data(), ad.data(), m, k, wq, wd, n, ys.data());
    // Every SIMD kernel this CPU runs, through both entry points (matmul quantises itself).
    std::vector<std::vector<float>> ysimd;
    for (q8cpu::Kernel kern : {q8cpu::Kernel::Avx2, q8cpu::Kernel::Avx512Vnni}) {
        if (!q8cpu::kernel_supported(kern)) continue;
        ysimd.emplace_back(ys.size());
        q8cpu::matmul_q8(kern, aq.data(), ad.data(), m, k, wq, wd, n, ysimd.back().data());
        ysimd.emplace_back(ys.size());
        q8cpu::matmul(kern, x.data(), m, k, wq, wd, n, ysimd.back().data());
    }
    const double u = std::ldexp(1.0, -24);
    // Per output: float(s_i) exact, d_w * d_a and its product with s_i rounded once each, a
    // lane adds at most ceil(nb / 8) terms, the eight lanes meet in three adds: each term
    // carries at most K = 5 + ceil(nb / 8) roundings, |error| <= gamma_K * sum |t_i|.
    const double kr = 5.0 + static_cast<double>((nb + 7) / 8);
    const double gamma = kr * u / (1 - kr * u);
    for (int64_t r = 0; r < m; ++r)
        for (int64_t o = 0; o < n; ++o) {
            const size_t at = static_cast<size_t>(r * n + o);
            const float vd = q8cpu::vec_dot(q8cpu::Kernel::Scalar, wq + o * k, wd + o * nb,
                                            aq.data() + r * k, ad.data() + r * nb, nb);
            ASSERT_EQ(bits(ys[at]), bits(vd)) << "scalar r " << r << " o " << o;
            for (size_t v = 0; v < ysimd.size(); ++v)
                ASSERT_EQ(bits(ysimd[v][at]), bits(vd))
                    << "SIMD run " << v << " r " << r << " o " << o << " m " << m;
            long double ref = 0, abs_sum = 0;
            for (int64_t b = 0; b < nb; ++b) {
                int64_t s = 0;
                for (int j = 0; j < 32; ++j)
                    s += int64_t{wq[o * k + b * 32 + j]} *
                         rq[static_cast<size_t>(r * k + b * 32 + j)];
                const long double t = static_cast<long double>(s) *
                                      static_cast<float>(wd[o * nb + b]) *
                                      rd[static_cast<size_t>(r * nb + b)];
                ref += t;
                abs_sum += std::fabs(t);
            }
            EXPECT_LE(std::fabs(static_cast<double>(ys[at] - ref)),
                      gamma * static_cast<double>(abs_sum))
                << "r " << r << " o " << o;
        }
}

}  // namespace

TEST(Q8_0Cpu, MultiRowMatmulEqualsVecDotAndTheReference) {
    std::printf("[ info ] Q8_0 kernel on this CPU: %s (AVX2 %s, AVX-512 VNNI %s)\n",
                q8cpu::kernel_name(q8cpu::best_kernel()),
                q8cpu::kernel_supported(q8cpu::Kernel::Avx2) ? "yes" : "no",
                q8cpu::kernel_supported(q8cpu::Kernel::Avx512Vnni) ? "yes" : "no");
    torch::manual_seed(3);
    std::mt19937 rng(7);
    // m: 1..9 and 13 leave every tile remainder (4 rows x 2 columns); n odd and even; nb 1, 7,
    // 8, 9, 35 (with and without an 8-block tail).
    for (const Case& c :
         {Case{1, 32, 3}, Case{2, 224, 5}, Case{3, 256, 4}, Case{4, 288, 7}, Case{5, 288, 2},
          Case{6, 64, 1}, Case{7, 1120, 9}, Case{8, 256, 6}, Case{9, 1120, 5}, Case{13, 288, 11}})
        check_case(c, rng);
    // k = 8192: row chunks of 32 rows (256 KB of codes), so 70 rows take three chunks, the
    // last of 6 rows; two threads over the column pairs.
    const int threads = at::get_num_threads();
    at::set_num_threads(2);
    check_case(Case{70, 8192, 5}, rng);
    at::set_num_threads(threads);
    if (!q8cpu::kernel_supported(q8cpu::Kernel::Avx2))
        GTEST_SKIP() << "no AVX2 + F16C here: only the scalar kernel was checked";
    if (!q8cpu::kernel_supported(q8cpu::Kernel::Avx512Vnni))
        std::printf("[ info ] no AVX-512 VNNI here: that kernel was not checked\n");
}

TEST(Q8_0Cpu, LinearRowsDoNotDependOnTheBatch) {
    // q8_0_linear of a [2, 9, K] input (prefill-sized) gives every row the bits it gets alone
    // (a decode step), bias included.
    torch::manual_seed(4);
    const int64_t K = 320, N = 37;
    auto q = quantize_q8_0(at::randn({N, K}) * 0.05);
    ASSERT_TRUE(q.ok());
    const at::Tensor x = at::randn({2, 9, K});
    const at::Tensor bias = at::randn({N});
    const at::Tensor y = q8_0_linear(x, *q, bias);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 9, N}));
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t t = 0; t < 9; ++t) {
            const at::Tensor one = q8_0_linear(x[b][t].unsqueeze(0), *q, bias);
            EXPECT_TRUE(at::equal(one[0], y[b][t])) << b << ", " << t;
        }
}
