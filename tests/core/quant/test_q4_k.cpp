// Q4_K / Q6_K packed weights (core/quant/q4_k.h) against ggml's reference code in core/gguf:
// - the row decoder and the torch-op dequantiser give gguf::dequantize_row's values bit for bit;
// - the CPU linear (AVX2 and scalar decode kernels, 1..8 rows; the dequantised-tile GEMM above)
//   equals x W'^T, W' the dequantised weight, within fp32 summation error: both sides hold the
//   same float32 products' terms, so |y - y_exact| <= gamma_K * sum_i |w'_i x_i| with
//   gamma_K = K u / (1 - K u), u = 2^-24, for any summation order (Higham, 3.1), y_exact
//   computed in float64 (exact enough: its own error is ~2^-29 of the same sum).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/gguf/gguf_quants.h"
#include "core/quant/q4_k.h"

using namespace tb;

namespace {

at::Tensor weights(int64_t rows, int64_t cols, uint64_t seed) {
    at::manual_seed(seed);
    // Mixed magnitudes per super-block, some all-positive blocks (Q4_K's min), one zero row.
    at::Tensor w =
        at::randn({rows, cols}) *
        (at::rand({rows, cols / 256, 1}) * 2).expand({rows, cols / 256, 256}).reshape({rows, cols});
    w[1] = w[1].abs() + 0.5;
    w[2].zero_();
    return w;
}

gguf::GgmlType ggml(KQuantType t) {
    return t == KQuantType::Q4_K ? gguf::GgmlType::Q4_K : gguf::GgmlType::Q6_K;
}

at::Tensor reference_dequant(const KQuantWeight& w) {
    at::Tensor out = at::empty({w.rows(), w.cols});
    const uint8_t* b = w.blocks.data_ptr<uint8_t>();
    for (int64_t r = 0; r < w.rows(); ++r) {
        auto st = gguf::dequantize_row(ggml(w.type), b + r * w.row_bytes(), w.cols,
                                       out[r].data_ptr<float>());
        EXPECT_TRUE(st.ok());
    }
    return out;
}

class KQuant : public ::testing::TestWithParam<KQuantType> {};

}  // namespace

TEST_P(KQuant, LayoutAndDequantisationAreGgmls) {
    const KQuantType t = GetParam();
    const at::Tensor w = weights(12, 768, 5);
    auto q = quantize_kquant(w, t);
    ASSERT_TRUE(q.ok()) << q.error().message;
    EXPECT_EQ(q->blocks.scalar_type(), at::kByte);
    EXPECT_EQ(q->blocks.sizes(), (std::vector<int64_t>{12, 3 * kquant_block_bytes(t)}));
    EXPECT_EQ(q->bytes(), 12 * 3 * kquant_block_bytes(t));
    // The blocks are the bytes ggml's quantiser writes for each row.
    std::vector<uint8_t> row(static_cast<size_t>(q->row_bytes()));
    for (int64_t r = 0; r < 12; ++r) {
        ASSERT_TRUE(
            gguf::quantize_row(ggml(t), w[r].contiguous().data_ptr<float>(), 768, row.data()).ok());
        EXPECT_EQ(std::memcmp(row.data(), q->blocks[r].data_ptr<uint8_t>(), row.size()), 0) << r;
    }
    const at::Tensor ref = reference_dequant(*q);
    EXPECT_TRUE(at::equal(q->dequantize(at::kFloat, at::kCPU), ref));  // torch ops
    at::Tensor rows = at::empty({12, 768});
    for (int64_t r = 0; r < 12; ++r)
        kquant_dequantize_row(t, q->blocks[r].data_ptr<uint8_t>(), 768, rows[r].data_ptr<float>());
    EXPECT_TRUE(at::equal(rows, ref));  // scalar decoder
    EXPECT_TRUE(at::equal(q->dequantize_rows(4, 5), ref.narrow(0, 4, 5)));
    // The dequantised weight is close to the source (sanity of the format, not of this code).
    EXPECT_LT((ref - w).abs().max().item<float>(), 0.25f * w.abs().max().item<float>());
}

TEST_P(KQuant, LinearIsTheDequantisedMatmulWithinFp32Summation) {
    const KQuantType t = GetParam();
    const int64_t N = 40, K = 1024;
    auto q = quantize_kquant(weights(N, K, 9), t);
    ASSERT_TRUE(q.ok());
    const at::Tensor wd = reference_dequant(*q).to(at::kDouble);
    const double u = std::ldexp(1.0, -24);
    const double gamma = K * u / (1 - K * u);
    KQuantBaseWeight base(*q);
    ::setenv("TB_KQ_KERNEL", "exact", 1);  // kquant_linear's decode rows: the exact kernel
    for (int64_t M : {1, 3, 8, 9, 33}) {
        const at::Tensor x = at::randn({M, K});
        const at::Tensor xd = x.to(at::kDouble);
        const at::Tensor exact = at::mm(xd, wd.t());
        const at::Tensor bound = gamma * at::mm(xd.abs(), wd.abs().t());
        std::vector<std::pair<const char*, at::Tensor>> ys = {{"linear", base.linear(x, {})}};
        if (M <= kKQuantDotMaxRows) {
            for (bool simd : {false, true}) {
                if (simd && !kquant_cpu_has_avx2()) continue;
                at::Tensor y = at::empty({M, N});
                kquant_matmul_cpu(t, x.data_ptr<float>(), M, K, q->blocks.data_ptr<uint8_t>(), N,
                                  y.data_ptr<float>(), simd);
                ys.emplace_back(simd ? "avx2" : "scalar", y);
            }
        }
        for (const auto& [name, y] : ys) {
            ASSERT_EQ(y.sizes(), exact.sizes());
            const at::Tensor err = (y.to(at::kDouble) - exact).abs();
            EXPECT_TRUE((err <= bound).all().item<bool>())
                << kquant_name(t) << " " << name << " M=" << M
                << " worst err/bound: " << (err / bound.clamp_min(1e-300)).max().item<double>();
        }
    }
    // Batched shapes and a bias go through the same path.
    const at::Tensor x3 = at::randn({2, 3, K});
    const at::Tensor bias = at::randn({N});
    const at::Tensor y3 = base.linear(x3, bias);
    EXPECT_EQ(y3.sizes(), (std::vector<int64_t>{2, 3, N}));
    const at::Tensor ref3 = at::linear(x3.to(at::kDouble), wd, bias.to(at::kDouble));
    EXPECT_LT((y3.to(at::kDouble) - ref3).abs().max().item<double>(), 1e-3);
    EXPECT_TRUE(at::equal(base.dense(at::kFloat, at::kCPU), reference_dequant(*q)));
    ::unsetenv("TB_KQ_KERNEL");
}

namespace {

// Per weight: |d1 q| + |m1| of Q4_K (the two terms of its value, decoded from the bytes by the
// layout q4_k.h documents), |w'| for Q6_K (a single product).
at::Tensor term_magnitudes(const KQuantWeight& w, const at::Tensor& deq) {
    if (w.type == KQuantType::Q6_K) return deq.abs().to(at::kDouble);
    at::Tensor out = at::empty({w.rows(), w.cols}, at::kDouble);
    for (int64_t r = 0; r < w.rows(); ++r)
        for (int64_t b = 0; b < w.cols / 256; ++b) {
            const uint8_t* p = w.blocks[r].data_ptr<uint8_t>() + b * kQ4KBlockBytes;
            uint16_t hd, hm;
            std::memcpy(&hd, p, 2);
            std::memcpy(&hm, p + 2, 2);
            const double d = gguf::fp16_to_fp32(hd), dmin = gguf::fp16_to_fp32(hm);
            const uint8_t* s = p + 4;
            for (int i = 0; i < 256; ++i) {
                const int j = i / 32, c = i / 64, l = i % 32;
                const int sc = j < 4 ? s[j] & 63 : (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
                const int m = j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
                const int q = j % 2 == 0 ? p[16 + 32 * c + l] & 15 : p[16 + 32 * c + l] >> 4;
                out[r][b * 256 + i] = std::fabs(d * sc * q) + std::fabs(dmin * m);
            }
        }
    return out;
}

}  // namespace

// The Q8_K kernel: against x W'^T its error is the activation's rounding to Q8_K (at most
// |d8| / 2 = amax / 254 per element of each 256-block, plus a few ulps of x from the rounded
// scale), the fp32 rounding of ggml's dequantised values against the exact products
// (3 u per term) and of the kernel's float part (block scales, int32 -> float, nb + 3 adds):
//   |y - x W'^T| <= sum_i |w'_i| (|d8| / 2 (1 + 1e-5) + 4 u |x_i|)
//                   + (nb + 12) u sum_i A_i (|x_i| + |d8|),   A_i = |d1 q_i| + |m1_i|.
TEST_P(KQuant, Q8KKernelWithinActivationRounding) {
    const KQuantType t = GetParam();
    const int64_t N = 24, K = 768, nb = K / 256;
    auto q = quantize_kquant(weights(N, K, 13), t);
    ASSERT_TRUE(q.ok());
    const at::Tensor deq = reference_dequant(*q);
    const at::Tensor wd = deq.to(at::kDouble);
    const at::Tensor A = term_magnitudes(*q, deq);
    EXPECT_TRUE(at::allclose(A.ge(wd.abs() * (1 - 1e-5)), at::ones_like(A).to(at::kBool)));
    const double u = std::ldexp(1.0, -24);
    for (int64_t M : {1, 2, 8}) {
        at::Tensor x = at::randn({M, K});
        x[0].narrow(0, 256, 256).zero_();  // an all-zero block (d8 = 0)
        const at::Tensor xd = x.to(at::kDouble);
        const at::Tensor d8 =
            (xd.abs().view({M, nb, 256}).amax(-1, true) / 127).expand({M, nb, 256}).reshape({M, K});
        const at::Tensor bound = at::mm(d8 / 2 * (1 + 1e-5) + 4 * u * xd.abs(), wd.abs().t()) +
                                 (nb + 12) * u * at::mm(xd.abs() + d8, A.t());
        const at::Tensor exact = at::mm(xd, wd.t());
        for (bool simd : {false, true}) {
            if (simd && !kquant_cpu_has_avx2()) continue;
            at::Tensor y = at::empty({M, N});
            kquant_matmul_q8k_cpu(t, x.data_ptr<float>(), M, K, q->blocks.data_ptr<uint8_t>(), N,
                                  y.data_ptr<float>(), simd);
            const at::Tensor err = (y.to(at::kDouble) - exact).abs();
            std::printf("%s q8_k %s M=%ld: worst err / bound %.3f\n", kquant_name(t),
                        simd ? "avx2" : "scalar", static_cast<long>(M),
                        (err / bound.clamp_min(1e-300)).max().item<double>());
            EXPECT_TRUE((err <= bound).all().item<bool>())
                << kquant_name(t) << (simd ? " avx2" : " scalar") << " M=" << M
                << " worst err/bound " << (err / bound.clamp_min(1e-300)).max().item<double>();
        }
        if (kquant_cpu_has_avx2()) {  // the two kernels: same integer sums, float order differs
            at::Tensor ys = at::empty({M, N}), ya = at::empty({M, N});
            kquant_matmul_q8k_cpu(t, x.data_ptr<float>(), M, K, q->blocks.data_ptr<uint8_t>(), N,
                                  ys.data_ptr<float>(), false);
            kquant_matmul_q8k_cpu(t, x.data_ptr<float>(), M, K, q->blocks.data_ptr<uint8_t>(), N,
                                  ya.data_ptr<float>(), true);
            EXPECT_LE((ys - ya).abs().max().item<float>(),
                      ((nb + 12) * 2 * u * at::mm(xd.abs() + d8, A.t())).max().item<double>());
        }
    }
}

TEST_P(KQuant, RefusesRowsNotMultipleOf256) {
    auto q = quantize_kquant(at::randn({4, 320}), GetParam());
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.error().message.find("256"), std::string::npos) << q.error().message;
    std::vector<uint8_t> bytes(1000);
    EXPECT_FALSE(kquant_from_bytes(GetParam(), bytes.data(), 2, 100).ok());
}

INSTANTIATE_TEST_SUITE_P(Types, KQuant, ::testing::Values(KQuantType::Q4_K, KQuantType::Q6_K),
                         [](const auto& info) { return std::string(kquant_name(info.param)); });
