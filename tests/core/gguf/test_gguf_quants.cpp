// ggml's tensor types as core/gguf writes them:
// - bytes: every quantiser equals llama.cpp's own (libggml-base of release v0.5.0, the
//   node-llama-cpp 3.22.1 build; committed in tests/fixtures/gguf/ by test_gguf_interop) on
//   fixed inputs (random weights, zero/constant blocks, outliers, grid ties, wide magnitudes);
// - round trip: every type dequantises within the bound of its arithmetic (below, per type);
// - Q4_K_M's per-tensor types for the TinyLlama shape, as llama-quantize picks them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "core/gguf/gguf_llama.h"
#include "core/gguf/gguf_quants.h"
#include "tests/core/gguf/ggml_inputs.h"
#include "tests/test_paths.h"

using namespace tb::gguf;

namespace {

std::vector<uint8_t> encode(GgmlType t, const std::vector<float>& x, int rows, int cols) {
    at::Tensor w = at::from_blob(const_cast<float*>(x.data()), {rows, cols}, at::kFloat).clone();
    auto r = encode_tensor(w, t);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return r.value();
}

std::vector<float> decode(GgmlType t, const std::vector<uint8_t>& b, int rows, int cols) {
    std::vector<float> y(static_cast<size_t>(rows) * cols);
    const int64_t rb = row_bytes(t, cols);
    for (int r = 0; r < rows; ++r) {
        EXPECT_TRUE(dequantize_row(t, b.data() + r * rb, cols, y.data() + r * cols).ok());
    }
    return y;
}

float h2f(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return fp16_to_fp32(h);
}

const std::vector<GgmlType> kAll = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0,
                                    GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q6_K};

}  // namespace

TEST(GgufQuants, BytesEqualLlamaCppFixtures) {
    const auto x = tbtest::ggml_test_inputs();
    for (GgmlType t : kAll) {
        SCOPED_TRACE(type_name(t));
        const std::string p = tbtest::fixtures_dir() + "/gguf/ggml_v0.5.0_" + type_name(t) + ".bin";
        std::ifstream in(p, std::ios::binary);
        ASSERT_TRUE(in.good()) << p;
        const std::vector<uint8_t> want{std::istreambuf_iterator<char>(in), {}};
        const auto got = encode(t, x, tbtest::kGgmlRows, tbtest::kGgmlCols);
        ASSERT_EQ(got.size(), want.size());
        size_t first = got.size();
        for (size_t i = 0; i < got.size(); ++i) {
            if (got[i] != want[i]) {
                first = i;
                break;
            }
        }
        EXPECT_EQ(first, got.size()) << "first differing byte " << first << " (row "
                                     << first / row_bytes(t, tbtest::kGgmlCols) << ")";
    }
}

TEST(GgufQuants, Fp16Bf16Conversions) {
    // Round to nearest even at the halfway points, NaN stays NaN, overflow to inf.
    EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
    EXPECT_EQ(fp32_to_fp16(1.0f + 1.0f / 2048), 0x3C00);  // tie -> even
    EXPECT_EQ(fp32_to_fp16(1.0f + 3.0f / 2048), 0x3C02);  // tie -> even (up)
    EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);            // rounds to inf
    EXPECT_EQ(fp32_to_fp16(5.9604645e-08f), 0x0001);      // smallest subnormal
    EXPECT_EQ(fp16_to_fp32(0x0001), 5.9604645e-08f);
    EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(NAN))));
    EXPECT_EQ(fp32_to_bf16(1.0f + 1.0f / 256), 0x3F80);  // tie -> even
    EXPECT_EQ(fp32_to_bf16(1.0f + 3.0f / 256), 0x3F82);
    EXPECT_EQ(fp32_to_bf16(NAN) & 0x7FC0, 0x7FC0);
    for (int h = 0; h < 0x7C00; ++h) {  // every finite fp16 survives fp16 -> fp32 -> fp16
        ASSERT_EQ(fp32_to_fp16(fp16_to_fp32(static_cast<uint16_t>(h))), h);
    }
}

// Round trip bounds, derived from each format's arithmetic (float32 ops add relative 2^-24):
//   F32 exact; F16 |e| <= 2^-11 |x| (normal) or 2^-25 (subnormal); BF16 |e| <= 2^-8 |x|;
//   Q8_0 d = amax/127, q = round(x/d): |e| <= d (0.5 + 127 2^-22) + 127 |d - fp16(d)| + 127 fp16(d)
//   2^-24; Q5_0 d = max/-16, code = trunc(x/d + 16.5) <= 31: |e| <= 0.5 |d| (1 |d| where the code
//   was
//        clamped from 32) + 16 |d - fp16(d)| + float rounding;
//   Q4_K / Q6_K: with the stored sub-block scale s_j (and min m_j), every value is rounded to the
//        nearest level: |e| <= s_j / 2 (+ rounding) unless it was clamped to the lowest/highest
//        level, and then it lies beyond that level (x' is between x and the grid).
TEST(GgufQuants, RoundTripWithinEachFormatsBound) {
    const auto x = tbtest::ggml_test_inputs();
    const int R = tbtest::kGgmlRows, C = tbtest::kGgmlCols;
    for (GgmlType t : kAll) {
        SCOPED_TRACE(type_name(t));
        const auto b = encode(t, x, R, C);
        ASSERT_EQ(static_cast<int64_t>(b.size()), row_bytes(t, C) * R);
        const auto y = decode(t, b, R, C);
        const int64_t rb = row_bytes(t, C);
        int64_t checked = 0;
        for (int r = 0; r < R; ++r) {
            for (int c = 0; c < C; ++c) {
                const float xv = x[r * C + c], yv = y[r * C + c];
                const double e = std::fabs(static_cast<double>(xv) - yv);
                const uint8_t* row = b.data() + r * rb;
                double bound = 0;
                switch (t) {
                    case GgmlType::F32:
                        bound = 0;
                        break;
                    case GgmlType::F16:
                        bound = std::max(std::ldexp(std::fabs(static_cast<double>(xv)), -11),
                                         std::ldexp(1.0, -25));
                        break;
                    case GgmlType::BF16:
                        bound = std::ldexp(std::fabs(xv), -8);
                        break;
                    case GgmlType::Q8_0: {
                        const int blk = c / 32;
                        float amax = 0;
                        for (int j = 0; j < 32; ++j)
                            amax = std::max(amax, std::fabs(x[r * C + blk * 32 + j]));
                        const double d = amax / 127.0f, dh = h2f(row + blk * 34);
                        bound = d * (0.5 + 127 * std::ldexp(1.0, -22)) + 127 * std::fabs(d - dh) +
                                127 * dh * std::ldexp(1.0, -24);
                        break;
                    }
                    case GgmlType::Q5_0: {
                        const int blk = c / 32;
                        float amax = 0, mx = 0;
                        for (int j = 0; j < 32; ++j) {
                            const float v = x[r * C + blk * 32 + j];
                            if (amax < std::fabs(v)) {
                                amax = std::fabs(v);
                                mx = v;
                            }
                        }
                        const double d = mx / -16.0f, dh = h2f(row + blk * 22);
                        const bool clamped = d != 0 && xv / d + 16.5 >= 32;
                        bound = std::fabs(d) * (clamped ? 1.0 : 0.5) * (1 + 1e-6) +
                                16 * std::fabs(d - dh) + 1e-6 * amax;
                        break;
                    }
                    case GgmlType::Q4_K: {
                        const uint8_t* blk = row + (c / 256) * 144;
                        const int j = (c % 256) / 32;
                        const uint8_t* q = blk + 4;
                        int sc, m;
                        if (j < 4) {
                            sc = q[j] & 63;
                            m = q[j + 4] & 63;
                        } else {
                            sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
                            m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
                        }
                        const double s = h2f(blk) * sc, mn = h2f(blk + 2) * m;
                        if (s == 0) {  // dequantised as 0 * q - m_j whatever the codes
                            EXPECT_EQ(yv, static_cast<float>(-mn)) << r << "," << c;
                            ++checked;
                            continue;
                        }
                        const double level = (xv + mn) / s;
                        if (level < -0.5 ||
                            level > 15.5) {  // clamped: x' is the end level, x beyond it
                            EXPECT_TRUE(level < 0 ? yv >= xv : yv <= xv) << r << "," << c;
                            ++checked;
                            continue;
                        }
                        bound = s * 0.5 * (1 + 1e-5) + 1e-6 * std::fabs(xv) + 1e-6 * mn;
                        break;
                    }
                    case GgmlType::Q6_K: {
                        const uint8_t* blk = row + (c / 256) * 210;
                        const int j = (c % 256) / 16;
                        const double s = h2f(blk + 208) * static_cast<int8_t>(blk[192 + j]);
                        if (s == 0) {
                            EXPECT_EQ(yv, 0.0f) << r << "," << c;
                            ++checked;
                            continue;
                        }
                        const double level = xv / s;
                        if (level < -32.5 || level > 31.5) {
                            EXPECT_TRUE(std::fabs(yv) <= std::fabs(xv) &&
                                        (yv == 0 || (yv > 0) == (xv > 0)))
                                << r << "," << c;
                            ++checked;
                            continue;
                        }
                        bound = std::fabs(s) * 0.5 * (1 + 1e-5) + 1e-6 * std::fabs(xv);
                        break;
                    }
                }
                ASSERT_LE(e, bound) << "row " << r << " col " << c << " x " << xv << " y " << yv;
                ++checked;
            }
        }
        EXPECT_EQ(checked, R * C);
    }
}

TEST(GgufQuants, RowsOfTheWrongLengthAreErrors) {
    std::vector<float> x(300, 1.0f);
    std::vector<uint8_t> out(1024);
    auto s = quantize_row(GgmlType::Q4_K, x.data(), 300, out.data());
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("Q4_K: row of 300 values"), std::string::npos);
    EXPECT_FALSE(quantize_row(GgmlType::Q8_0, x.data(), 32, out.data()).ok());  // gguf_export's
    EXPECT_FALSE(dequantize_row(GgmlType::Q6_K, out.data(), 100, x.data()).ok());
}

TEST(GgufQuants, Q4KMTypesForTheTinyLlamaShape) {
    // 22 layers: use_more_bits(i, 22) = i < 2 || i >= 19 || (i - 2) % 3 == 2 -> 0 1 4 7 10 13 16 19
    // 20 21.
    const std::set<int> more = {0, 1, 4, 7, 10, 13, 16, 19, 20, 21};
    TensorTypeRule rule(FileType::MOSTLY_Q4_K_M, 22, /*has_output=*/true);
    EXPECT_EQ(rule.choose("token_embd.weight", 2048, 2), GgmlType::Q4_K);
    for (int i = 0; i < 22; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        const GgmlType hi = more.count(i) ? GgmlType::Q6_K : GgmlType::Q4_K;
        EXPECT_EQ(rule.choose(b + "attn_norm.weight", 2048, 1), GgmlType::F32);
        EXPECT_EQ(rule.choose(b + "attn_q.weight", 2048, 2), GgmlType::Q4_K);
        EXPECT_EQ(rule.choose(b + "attn_k.weight", 2048, 2), GgmlType::Q4_K);
        EXPECT_EQ(rule.choose(b + "attn_v.weight", 2048, 2), hi) << i;
        EXPECT_EQ(rule.choose(b + "attn_output.weight", 2048, 2), GgmlType::Q4_K);
        EXPECT_EQ(rule.choose(b + "ffn_gate.weight", 2048, 2), GgmlType::Q4_K);
        EXPECT_EQ(rule.choose(b + "ffn_up.weight", 2048, 2), GgmlType::Q4_K);
        EXPECT_EQ(rule.choose(b + "ffn_down.weight", 5632, 2), hi) << i;
    }
    EXPECT_EQ(rule.choose("output_norm.weight", 2048, 1), GgmlType::F32);
    EXPECT_EQ(rule.choose("output.weight", 2048, 2), GgmlType::Q6_K);
    // Tied embeddings: token_embd takes output's Q6_K. Rows not a multiple of 256: Q5_0 / Q8_0.
    TensorTypeRule tied(FileType::MOSTLY_Q4_K_M, 22, /*has_output=*/false);
    EXPECT_EQ(tied.choose("token_embd.weight", 2048, 2), GgmlType::Q6_K);
    EXPECT_EQ(tied.choose("blk.5.attn_q.weight", 96, 2), GgmlType::Q5_0);
    EXPECT_EQ(tied.choose("blk.0.attn_v.weight", 96, 2), GgmlType::Q8_0);
    // The other file types: 2-D tensors in the type, 1-D in F32.
    TensorTypeRule f16(FileType::MOSTLY_F16, 22, true);
    EXPECT_EQ(f16.choose("output.weight", 2048, 2), GgmlType::F16);
    EXPECT_EQ(f16.choose("output_norm.weight", 2048, 1), GgmlType::F32);
    TensorTypeRule q8(FileType::MOSTLY_Q8_0, 22, true);
    EXPECT_EQ(q8.choose("output.weight", 2048, 2), GgmlType::Q8_0);
}
