// NF4 + double quantisation against tests/fixtures/nf4/nf4.json, computed on the GPU machine
// by tests/fixtures/gen/gen_nf4_fixtures.py: a plain-torch transcription of bitsandbytes written
// independently of this C++ code. Codes must match bit for bit; dequantised values within 1e-6.
// Runs on the CPU path, and on the CUDA kernels in the gpu build (test_quant_gpu).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/quant/blockwise8.h"
#include "core/quant/codebook.h"
#include "core/quant/nf4.h"
#include "quant_test_util.h"
#include "tests/test_paths.h"

namespace {

using json = nlohmann::json;

const json& fixture() {
    static const json j = [] {
        const auto path = std::filesystem::path(tbtest::fixtures_dir()) / "nf4" / "nf4.json";
        std::ifstream in(path);
        if (!in) throw std::runtime_error("missing fixture " + path.string());
        return json::parse(in);
    }();
    return j;
}

at::Tensor floats(const json& a) { return at::tensor(a.get<std::vector<float>>(), at::kFloat); }

at::Tensor bytes(const json& a) {
    return at::tensor(a.get<std::vector<int64_t>>(), at::kLong).to(at::kByte);
}

int64_t count_diff(const at::Tensor& a, const at::Tensor& b) {
    return (a.cpu().to(at::kInt) != b.cpu().to(at::kInt)).sum().item<int64_t>();
}

TEST(Nf4Fixtures, Codebooks) {
    const json& f = fixture();
    const auto nf4 = f["nf4_code"].get<std::vector<float>>();
    // Python floats (double) -> float, as torch.tensor(..., dtype=float32) rounds them.
    const auto splits = f["nf4_splits"].get<std::vector<double>>();
    for (int i = 0; i < 16; ++i) EXPECT_EQ(tb::nf4_values()[i], nf4[i]) << i;
    for (int i = 0; i < 15; ++i) EXPECT_EQ(tb::nf4_splits()[i], static_cast<float>(splits[i])) << i;
    for (bool s : {true, false}) {
        const auto ref = f[s ? "dynamic_signed" : "dynamic_unsigned"].get<std::vector<float>>();
        ASSERT_EQ(ref.size(), 256u);
        for (int i = 0; i < 256; ++i) EXPECT_EQ(tb::dynamic_map(s)[i], ref[i]) << i;
    }
}

TEST(Nf4Fixtures, DquantizeProbes) {
    const json& f = fixture();
    for (bool s : {true, false}) {
        const json& p = f[s ? "dquantize_probe_signed" : "dquantize_probe_unsigned"];
        at::Tensor x = floats(p["x"]).to(qtest::device());
        at::Tensor ref = bytes(p["codes"]);
        at::Tensor code = floats(f[s ? "dynamic_signed" : "dynamic_unsigned"]).to(qtest::device());
        EXPECT_EQ(count_diff(tb::dquantize_search(code, x), ref), 0) << "signed=" << s;
    }
}

TEST(Nf4Fixtures, QuantizeDequantizeCases) {
    const json& f = fixture();
    ASSERT_GE(f["nf4_cases"].size(), 5u);
    for (const json& c : f["nf4_cases"]) {
        const std::string name = c["name"].get<std::string>();
        SCOPED_TRACE(name);
        const auto shape = c["shape"].get<std::vector<int64_t>>();
        at::Tensor x = floats(c["input"]).view(shape);
        if (c["dtype"] == "bfloat16") x = x.to(at::kBFloat16);  // exact: values are bf16
        x = x.to(qtest::device());

        tb::Nf4Options plain_opts;
        plain_opts.double_quant = false;
        auto plain = tb::quantize_nf4(x, plain_opts);
        ASSERT_TRUE(plain.ok()) << plain.error().message;
        EXPECT_EQ(count_diff(plain->packed, bytes(c["packed"])), 0);
        EXPECT_TRUE(at::equal(plain->absmax.cpu(), floats(c["absmax"])));
        at::Tensor dplain = plain->dequantize(at::kFloat, qtest::device()).cpu().reshape({-1});
        EXPECT_LE((dplain - floats(c["dequant_plain"])).abs().max().item<double>(), 1e-6);

        auto q = tb::quantize_nf4(x);
        ASSERT_TRUE(q.ok()) << q.error().message;
        EXPECT_EQ(count_diff(q->packed, bytes(c["packed"])), 0);
        EXPECT_EQ(q->offset, c["offset"].get<float>());
        EXPECT_EQ(count_diff(q->absmax_q, bytes(c["absmax_q"])), 0);
        EXPECT_TRUE(at::equal(q->absmax2.cpu(), floats(c["absmax2"])));
        EXPECT_LE(
            (q->absmax_values().cpu() - floats(c["absmax_dequant"])).abs().max().item<double>(),
            1e-7);
        at::Tensor d = q->dequantize(at::kFloat, qtest::device()).cpu().reshape({-1});
        const double diff = (d - floats(c["dequant"])).abs().max().item<double>();
        EXPECT_LE(diff, 1e-6);
        std::printf(
            "[nf4 fixture] %-20s numel %6lld: codes identical, max |deq - ref| = %.3g, "
            "max |w - deq| = %.4g\n",
            name.c_str(), static_cast<long long>(x.numel()), diff,
            c["max_abs_error"].get<double>());
    }
}

TEST(Nf4Fixtures, Blockwise8Cases) {
    const json& f = fixture();
    for (const json& c : f["blockwise8_cases"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        const bool s = c["signed"].get<bool>();
        at::Tensor code = tb::dynamic_map_table(s, qtest::device());
        at::Tensor x = floats(c["input"]).to(qtest::device());
        auto q = tb::quantize_blockwise8(x, code, c["blocksize"].get<int64_t>());
        EXPECT_EQ(count_diff(q.codes, bytes(c["codes"])), 0);
        EXPECT_TRUE(at::equal(q.absmax.cpu(), floats(c["absmax"])));
        at::Tensor d = tb::dequantize_blockwise8(q.codes, q.absmax, code, 256).cpu();
        EXPECT_LE((d - floats(c["dequant"])).abs().max().item<double>(), 1e-6);
    }
}

}  // namespace
