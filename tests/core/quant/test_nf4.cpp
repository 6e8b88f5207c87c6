// NF4 quantisation on the CPU path: codebooks, bit layout, error bounds, sizes, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/quant/blockwise8.h"
#include "core/quant/codebook.h"
#include "core/quant/nf4.h"

namespace {

at::Tensor randn(std::vector<int64_t> shape, double std, uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    at::Tensor t = at::empty(shape, at::kFloat);
    t.normal_(0.0, std, gen);
    return t;
}

tb::QuantizedWeight quantize(const at::Tensor& w, bool dq = true, int64_t blocksize = 64) {
    tb::Nf4Options o;
    o.double_quant = dq;
    o.blocksize = blocksize;
    auto q = tb::quantize_nf4(w, o);
    if (!q.ok()) throw std::runtime_error(q.error().message);
    return std::move(q).value();
}

// Per-element absmax of the block each element belongs to.
at::Tensor per_element(const at::Tensor& per_block, int64_t blocksize, int64_t n) {
    return per_block.repeat_interleave(blocksize).narrow(0, 0, n);
}

TEST(Nf4Codebook, PaperValuesAndSplitPoints) {
    const auto& v = tb::nf4_values();
    const double paper[16] = {-1.0,
                              -0.6961928009986877,
                              -0.5250730514526367,
                              -0.39491748809814453,
                              -0.28444138169288635,
                              -0.18477343022823334,
                              -0.09105003625154495,
                              0.0,
                              0.07958029955625534,
                              0.16093020141124725,
                              0.24611230194568634,
                              0.33791524171829224,
                              0.44070982933044434,
                              0.5626170039176941,
                              0.7229568362236023,
                              1.0};
    for (int i = 0; i < 16; ++i) EXPECT_EQ(v[i], static_cast<float>(paper[i])) << i;
    // The decision tree splits each pair of neighbours at its midpoint (as float literals:
    // within one float ulp, 6e-8 near 1).
    const auto& s = tb::nf4_splits();
    for (int i = 0; i < 15; ++i) EXPECT_NEAR(s[i], 0.5 * (paper[i] + paper[i + 1]), 6e-8) << i;
    EXPECT_NEAR(tb::nf4_max_gap(), 1.0 - 0.6961928009986877, 1e-7);
}

TEST(Nf4Codebook, DynamicMapsHaveBitsandbytesLayout) {
    const auto& s = tb::dynamic_map(true);
    const auto& u = tb::dynamic_map(false);
    for (int i = 1; i < 256; ++i) {
        EXPECT_LE(s[i - 1], s[i]) << i;
        EXPECT_LE(u[i - 1], u[i]) << i;
    }
    // signed: 127 negatives, 0 at 127, 127 positives, 1.0 at 255 (symmetric magnitudes)
    EXPECT_EQ(s[127], 0.0f);
    EXPECT_EQ(s[255], 1.0f);
    for (int i = 0; i < 127; ++i) EXPECT_EQ(s[i], -s[254 - i]) << i;
    EXPECT_FLOAT_EQ(s[254], 0.99296875f);  // midpoint of the top linspace(0.1, 1, 65) interval
    EXPECT_FLOAT_EQ(s[128], 0.55e-6f);     // 10^-6 * (0.1 + 1) / 2
    // unsigned: 0 first, 1.0 last, 254 positive values from 10^-6 up
    EXPECT_EQ(u[0], 0.0f);
    EXPECT_EQ(u[255], 1.0f);
    EXPECT_FLOAT_EQ(u[1], 0.325e-6f);
    EXPECT_GT(u[1], 0.0f);
}

// create_dynamic_map's recipe evaluated with scalar float32 arithmetic: torch.linspace(0.1, 1,
// n) midpoints scaled by 10^(i-6). The stored tables (torch's own output) may differ from it
// only in the last bits (at most 2 ulps), from torch's vectorised linspace.
TEST(Nf4Codebook, DynamicMapsFollowTheRecipe) {
    for (bool is_signed : {true, false}) {
        std::vector<float> data;
        for (int i = 0; i < 7; ++i) {
            const int n = is_signed ? (1 << i) + 1 : (1 << (i + 1)) + 1;
            const float start = 0.1f, end = 1.0f, step = (end - start) / float(n - 1);
            std::vector<float> b(n);
            for (int k = 0; k < n; ++k)
                b[k] = k < n / 2 ? start + step * float(k) : end - step * float(n - k - 1);
            const float scale = static_cast<float>(std::pow(10.0, i - 6));
            for (int k = 0; k + 1 < n; ++k) {
                const float mean = (b[k] + b[k + 1]) / 2.0f;
                data.push_back(scale * mean);
                if (is_signed) data.push_back(-scale * mean);
            }
        }
        data.push_back(0.0f);
        data.push_back(1.0f);
        std::sort(data.begin(), data.end());
        ASSERT_EQ(data.size(), 256u);
        const auto& table = tb::dynamic_map(is_signed);
        int differ = 0;
        for (int k = 0; k < 256; ++k) {
            differ += data[k] != table[k];
            const float big = std::max(std::abs(data[k]), std::abs(table[k]));
            const float ulp = std::nextafter(big, 2.0f) - big;
            EXPECT_LE(std::abs(data[k] - table[k]), 2 * ulp) << k;
        }
        std::printf(
            "[nf4] %s dynamic map: %d of 256 entries differ (<= 2 ulps) from a scalar "
            "evaluation\n",
            is_signed ? "signed" : "unsigned", differ);
    }
}

// bitsandbytes' dQuantize<0> (kernels.cu), transcribed as a plain scalar loop.
uint8_t dquantize_reference(const float* code, float x) {
    int pivot = 127, upper_pivot = 255, lower_pivot = 0;
    float lower = -1.0f, upper = 1.0f, val = code[pivot];
    for (int i = 64; i > 0; i >>= 1) {
        if (x > val) {
            lower_pivot = pivot;
            lower = val;
            pivot += i;
        } else {
            upper_pivot = pivot;
            upper = val;
            pivot -= i;
        }
        val = code[pivot];
    }
    if (upper_pivot == 255) upper = code[upper_pivot];
    if (lower_pivot == 0) lower = code[lower_pivot];
    if (x > val) return static_cast<uint8_t>(x > (upper + val) * 0.5f ? upper_pivot : pivot);
    return static_cast<uint8_t>(x < (lower + val) * 0.5f ? lower_pivot : pivot);
}

// The vectorised search equals the scalar transcription everywhere, midpoints, code values,
// out-of-range values and NaN included.
TEST(Nf4Codebook, SearchEqualsScalarDQuantize) {
    for (bool is_signed : {true, false}) {
        const auto& code = tb::dynamic_map(is_signed);
        at::Tensor c = tb::dynamic_map_table(is_signed, at::kCPU);
        auto gen = at::detail::createCPUGenerator(5);
        std::vector<at::Tensor> parts = {
            at::empty({50000}, at::kFloat).uniform_(-1.1, 1.1, gen), c,
            (c.slice(0, 1) + c.slice(0, 0, 255)) * 0.5f,  // exact float32 midpoints
            at::tensor({-2.0f, 2.0f, 0.0f, -0.0f, std::numeric_limits<float>::quiet_NaN(),
                        std::numeric_limits<float>::infinity()})};
        at::Tensor x = at::cat(parts).contiguous();
        at::Tensor q = tb::dquantize_search(c, x).contiguous();
        const float* xp = x.data_ptr<float>();
        const uint8_t* qp = q.data_ptr<uint8_t>();
        int mismatches = 0;
        for (int64_t i = 0; i < x.numel(); ++i)
            mismatches += qp[i] != dquantize_reference(code.data(), xp[i]);
        EXPECT_EQ(mismatches, 0) << "signed=" << is_signed;
    }
}

// dquantize_search equals nearest-value search except at exact midpoints (not hit by random x).
TEST(Nf4Codebook, SearchIsNearestValue) {
    for (bool is_signed : {true, false}) {
        at::Tensor code = tb::dynamic_map_table(is_signed, at::kCPU);
        auto gen = at::detail::createCPUGenerator(3);
        at::Tensor x = at::empty({20000}, at::kFloat).uniform_(is_signed ? -1.0 : 0.0, 1.0, gen);
        // include the extremes and exact code values
        x = at::cat({x, code, at::tensor({-1.0f, 1.0f, 0.0f})});
        at::Tensor q = tb::dquantize_search(code, x).to(at::kLong);
        at::Tensor nearest = (x.unsqueeze(1) - code.unsqueeze(0)).abs().argmin(1);
        at::Tensor d_q = (x - code.index_select(0, q)).abs();
        at::Tensor d_n = (x - code.index_select(0, nearest)).abs();
        EXPECT_EQ((d_q > d_n).sum().item<int64_t>(), 0) << "signed=" << is_signed;
    }
}

TEST(Nf4, NibbleOrderAndExactCodes) {
    // One block holding every codebook value times 2 (absmax 2): codes 0..15 exactly, then 48
    // zeros (code 7). Bytes: 0x01, 0x23, ..., 0xEF, then 0x77.
    std::vector<float> vals;
    for (float v : tb::nf4_values()) vals.push_back(2.0f * v);
    vals.resize(64, 0.0f);
    at::Tensor w = at::tensor(vals).view({4, 16});
    auto q = quantize(w, /*dq=*/false);
    ASSERT_EQ(q.packed.numel(), 32);
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(q.packed[i].item<int>(), (2 * i) * 16 + (2 * i + 1)) << "byte " << i;
    for (int i = 8; i < 32; ++i) EXPECT_EQ(q.packed[i].item<int>(), 0x77) << "byte " << i;
    EXPECT_EQ(q.absmax.item<float>(), 2.0f);
    EXPECT_TRUE(at::equal(q.dequantize(at::kFloat, at::kCPU), w));
    EXPECT_TRUE(at::equal(q.codes().narrow(0, 0, 16), at::arange(16).to(at::kByte)));
}

TEST(Nf4, ZeroBlockAndOddLength) {
    at::Tensor w = randn({3, 64}, 0.02, 1);
    w[1].zero_();
    // bitsandbytes: 0 * (1/0) = NaN -> code 0 (-1.0) for every element of an all-zero block.
    // With a plain absmax (0) that decodes to exactly 0 ...
    auto plain = quantize(w, /*dq=*/false);
    EXPECT_EQ(plain.dequantize(at::kFloat, at::kCPU)[1].abs().max().item<float>(), 0.0f);
    EXPECT_EQ(plain.codes().narrow(0, 64, 64).to(at::kInt).max().item<int>(), 0);
    // ... but double quantisation decodes the block's absmax only approximately (offset plus
    // an 8-bit code), so the block comes back as -absmax' with |absmax'| within half a
    // dynamic-map gap of absmax2 (0.0071 * absmax2): small, not zero, as in bitsandbytes.
    auto q = quantize(w);
    EXPECT_EQ(q.codes().narrow(0, 64, 64).to(at::kInt).max().item<int>(), 0);
    const float a1 = q.absmax_values()[1].item<float>();
    at::Tensor d = q.dequantize(at::kFloat, at::kCPU);
    EXPECT_TRUE(at::equal(d[1], at::full({64}, -a1)));
    EXPECT_LE(std::abs(a1), 0.0071f * q.absmax2[0].item<float>());

    at::Tensor odd = randn({5, 13}, 0.1, 2);  // 65 elements: a full and a 1-element block
    auto qo = quantize(odd, false);
    EXPECT_EQ(qo.packed.numel(), 33);
    EXPECT_EQ(qo.nblocks(), 2);
    // the last byte's low nibble is the code of a padding 0 (code 7) in a non-zero block
    EXPECT_EQ(qo.packed[32].item<int>() & 0xF, 7);
    EXPECT_EQ(qo.dequantize(at::kFloat, at::kCPU).sizes(), odd.sizes());
}

// |w - dequant(w)| <= half the largest NF4 gap times the block's absmax (no double quant), and
// with double quant the same with the decoded absmax plus the absmax's own error.
TEST(Nf4, RoundTripErrorBounds) {
    const double half_gap = 0.5 * tb::nf4_max_gap();
    struct Case {
        std::vector<int64_t> shape;
        at::ScalarType dt;
        int64_t blocksize;
    };
    const Case cases[] = {{{64, 64}, at::kFloat, 64},    {{33, 37}, at::kFloat, 64},
                          {{1, 1}, at::kFloat, 64},      {{3, 1000}, at::kBFloat16, 64},
                          {{128, 300}, at::kFloat, 128}, {{257, 256}, at::kHalf, 64},
                          {{40, 4096}, at::kFloat, 4096}};
    for (const Case& c : cases) {
        SCOPED_TRACE(::testing::PrintToString(c.shape) + " bs=" + std::to_string(c.blocksize));
        at::Tensor w = randn(c.shape, 0.02, 7);
        w.view({-1}).index_put_({at::arange(0, w.numel(), 97)}, 0.5f);  // outliers
        w = w.to(c.dt);
        const at::Tensor wf = w.to(at::kFloat).reshape({-1});
        const int64_t n = wf.numel();
        for (bool dq : {false, true}) {
            auto q = quantize(w, dq, c.blocksize);
            at::Tensor d = q.dequantize(at::kFloat, at::kCPU).reshape({-1});
            at::Tensor err = (d - wf).abs();
            at::Tensor true_absmax = tb::as_blocks(wf, c.blocksize).abs().amax({1});
            at::Tensor scale = q.absmax_values();
            at::Tensor bound = per_element(scale, c.blocksize, n) * half_gap +
                               per_element((scale - true_absmax).abs(), c.blocksize, n) + 1e-7;
            EXPECT_EQ((err > bound).sum().item<int64_t>(), 0) << "dq=" << dq;
            if (!dq) {
                EXPECT_TRUE(at::equal(scale, true_absmax));
            }
            EXPECT_EQ(q.dequantize(c.dt, at::kCPU).scalar_type(), c.dt);
        }
    }
}

TEST(Nf4, DoubleQuantisedAbsmaxError) {
    at::Tensor w = randn({512, 512}, 0.02, 11);
    auto q = quantize(w);
    at::Tensor true_absmax = tb::as_blocks(w.reshape({-1}), 64).abs().amax({1});
    at::Tensor err = (q.absmax_values() - true_absmax).abs();
    // Each centred absmax is within half a dynamic-map gap (<= 0.0071 near +-1) of its
    // block's absmax2.
    const auto& m = tb::dynamic_map(true);
    double max_gap = 0;
    for (int i = 1; i < 256; ++i) max_gap = std::max(max_gap, double(m[i] - m[i - 1]));
    at::Tensor a2 = per_element(q.absmax2, 256, true_absmax.numel());
    EXPECT_EQ((err > a2 * (0.5 * max_gap) + 1e-9).sum().item<int64_t>(), 0);
    const double rel = (err / true_absmax).max().item<double>();
    at::Tensor d = q.dequantize(at::kFloat, at::kCPU);
    const double w_rel = ((d - w).norm() / w.norm()).item<double>();
    std::printf(
        "[nf4] N(0,0.02) 512x512: max rel. absmax error after double quant %.4g; "
        "weight rel. Frobenius error %.4f; max abs error %.4g\n",
        rel, w_rel, (d - w).abs().max().item<double>());
    EXPECT_LT(rel, 0.01);
    EXPECT_LT(w_rel, 0.12);  // NF4 on Gaussian weights: ~0.09-0.10 (measured, printed above)
}

TEST(Nf4, BytesAndMemoryRatio) {
    at::Tensor w = randn({256, 1024}, 0.02, 4);  // 262144 elements, 4096 blocks, 16 nested
    auto q = quantize(w);
    EXPECT_EQ(q.packed.numel(), 131072);
    EXPECT_EQ(q.absmax_q.numel(), 4096);
    EXPECT_EQ(q.absmax2.numel(), 16);
    EXPECT_EQ(q.bytes(), 131072 + 4096 + 16 * 4 + 4);
    const double bits = 8.0 * q.bytes() / w.numel();
    EXPECT_NEAR(bits, 4.127, 0.001);
    auto plain = quantize(w, false);
    EXPECT_EQ(plain.bytes(), 131072 + 4096 * 4);  // 4.5 bits/param without double quant
    std::printf("[nf4] bits/param: %.4f with double quant, %.4f without; vs bf16 %.3fx\n", bits,
                8.0 * plain.bytes() / w.numel(), q.bytes() / (2.0 * w.numel()));
}

TEST(Nf4, RejectsBadInput) {
    auto e1 = tb::quantize_nf4(at::ones({4, 4}, at::kInt));
    ASSERT_FALSE(e1.ok());
    EXPECT_NE(e1.error().message.find("unsupported dtype"), std::string::npos);
    tb::Nf4Options o;
    o.blocksize = 48;
    auto e2 = tb::quantize_nf4(at::ones({4, 64}), o);
    ASSERT_FALSE(e2.ok());
    EXPECT_NE(e2.error().message.find("blocksize 48"), std::string::npos);
    EXPECT_FALSE(tb::quantize_nf4(at::ones({0, 64})).ok());
}

TEST(Blockwise8, SignedAndUnsignedRoundTrip) {
    for (bool is_signed : {true, false}) {
        at::Tensor x = randn({5000}, 1.0, 9);
        if (!is_signed) x = x * x;
        at::Tensor code = tb::dynamic_map_table(is_signed, at::kCPU);
        auto q = tb::quantize_blockwise8(x, code, 256);
        EXPECT_EQ(q.absmax.numel(), 20);
        at::Tensor d = tb::dequantize_blockwise8(q.codes, q.absmax, code, 256);
        const double rel = ((d - x).norm() / x.norm()).item<double>();
        std::printf("[blockwise8] %s dynamic map, block 256: rel. error %.4g\n",
                    is_signed ? "signed" : "unsigned", rel);
        EXPECT_LT(rel, 0.02);
        // non-negative data: each block's maximum maps to code 255 = 1.0 and is exact
        if (!is_signed) {
            EXPECT_TRUE(at::equal(tb::as_blocks(d, 256).amax({1}), q.absmax));
        }
    }
}

}  // namespace
