// The hand-written NF4 CUDA kernels against the CPU torch-op path: identical codes, absmax
// data and dequantised values (fp32, bf16, fp16) over every block size, odd lengths, zero
// blocks and outliers; plus a bandwidth figure for the dequantise kernel. Holds the main of
// test_quant_gpu (exit 77 = skipped where there is no CUDA device).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "core/common/torch_compat.h"
#include "core/quant/nf4.h"

#ifdef TB_TEST_CUDA
namespace {

tb::QuantizedWeight quantize(const at::Tensor& w, int64_t bs, bool dq, bool kernel = true) {
    tb::Nf4Options o;
    o.blocksize = bs;
    o.double_quant = dq;
    o.use_cuda_kernel = kernel;
    auto q = tb::quantize_nf4(w, o);
    if (!q.ok()) throw std::runtime_error(q.error().message);
    return std::move(q).value();
}

void expect_same(const tb::QuantizedWeight& a, const tb::QuantizedWeight& b) {
    EXPECT_TRUE(at::equal(a.packed.cpu(), b.packed.cpu()));
    if (a.double_quant()) {
        EXPECT_TRUE(at::equal(a.absmax_q.cpu(), b.absmax_q.cpu()));
        EXPECT_TRUE(at::equal(a.absmax2.cpu(), b.absmax2.cpu()));
        EXPECT_EQ(a.offset, b.offset);
    } else {
        EXPECT_TRUE(at::equal(a.absmax.cpu(), b.absmax.cpu()));
    }
}

TEST(Nf4Cuda, KernelsMatchCpuPath) {
    auto gen = at::detail::createCPUGenerator(21);
    const int64_t sizes[] = {1, 7, 64, 65, 1000, 3 * 4096 + 5, 1 << 20};
    int checked = 0;
    for (int64_t n : sizes)
        for (int64_t bs : {64, 128, 256, 512, 1024, 2048, 4096})
            for (at::ScalarType dt : {at::kFloat, at::kBFloat16, at::kHalf}) {
                SCOPED_TRACE("n=" + std::to_string(n) + " bs=" + std::to_string(bs) +
                             " dtype=" + c10::toString(dt));
                at::Tensor w = at::empty({n}).normal_(0, 0.02, gen);
                if (n > 200) {
                    w.narrow(0, 0, std::min<int64_t>(n, 130)).zero_();  // zero block(s)
                    w.index_put_({at::arange(150, n, 331)}, 0.7f);      // outliers
                }
                w = w.to(dt);
                const at::Tensor wc = w.cuda();
                for (bool dq : {false, true}) {
                    auto cpu = quantize(w, bs, dq);
                    auto gpu = quantize(wc, bs, dq);
                    auto gpu_ops = quantize(wc, bs, dq, /*kernel=*/false);
                    expect_same(gpu, cpu);
                    expect_same(gpu_ops, cpu);
                    for (at::ScalarType out : {at::kFloat, at::kBFloat16, at::kHalf}) {
                        at::Tensor dc = cpu.dequantize(out, at::kCPU);
                        at::Tensor dg = gpu.dequantize(out, wc.device());
                        EXPECT_EQ(dg.scalar_type(), out);
                        EXPECT_TRUE(at::equal(dg.cpu(), dc)) << "out=" << c10::toString(out);
                    }
                    ++checked;
                }
            }
    EXPECT_EQ(checked, 7 * 7 * 3 * 2);
}

TEST(Nf4Cuda, DequantizeBandwidth) {
    // A TinyLlama-sized MLP weight (5632 x 2048) decoded to bf16.
    at::Tensor w = at::randn({5632, 2048}, at::TensorOptions().device(at::kCUDA)) * 0.02;
    auto q = quantize(w.to(at::kBFloat16), 64, true);
    for (int i = 0; i < 3; ++i) q.dequantize(at::kBFloat16, w.device());
    tb::compat::cuda_synchronize();
    const int reps = 50;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) q.dequantize(at::kBFloat16, w.device());
    tb::compat::cuda_synchronize();
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
    const double bytes = static_cast<double>(q.bytes() + 2 * w.numel());
    std::printf(
        "[nf4 cuda] dequantize 5632x2048 -> bf16: %.1f us, %.0f GB/s (bytes read+written)\n",
        s * 1e6, bytes / s / 1e9);
    auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i) quantize(w.to(at::kBFloat16), 64, true);
    tb::compat::cuda_synchronize();
    std::printf(
        "[nf4 cuda] quantize 5632x2048 bf16 (incl. double quant): %.1f us\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count() / 10 * 1e6);
    EXPECT_GT(bytes / s, 1e9);  // sanity: far above a gigabyte per second
}

}  // namespace

int main(int argc, char** argv) {
    if (!tb::compat::cuda_available()) {
        std::printf("no CUDA device: skipping the core/quant GPU tests\n");
        return 77;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
#else
// The gpu suite is built only with TB_TEST_CUDA; nothing to compile otherwise.
#endif
