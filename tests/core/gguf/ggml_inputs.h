// Fixed float inputs for the quantiser byte checks, shared by test_gguf_quants (against the
// committed bytes of llama.cpp's libggml-base) and test_gguf_interop (which calls that library
// live and can rewrite the fixtures: TB_WRITE_GGML_FIXTURES=<tests/fixtures/gguf>).
//
// 8 rows of 512 values (two Q4_K/Q6_K super-blocks, 16 Q8_0/Q5_0 blocks per row):
//   rows 0-3: normal(0, 0.02)-like weights from splitmix64 (Box-Muller in double, then float)
//   row 4: zeros in the first 256, a constant 0.5 in the rest
//   row 5: small values with one large outlier per 32
//   row 6: exact multiples of 1/8 in [-4, 4] (ties in the scale grids)
//   row 7: mixed magnitudes 1e-8 .. 1e3 and sign changes
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace tbtest {

constexpr int kGgmlRows = 8, kGgmlCols = 512;

inline uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

inline std::vector<float> ggml_test_inputs() {
    std::vector<float> x(kGgmlRows * kGgmlCols);
    uint64_t s = 12345;
    auto uni = [&] { return (static_cast<double>(splitmix(s) >> 11) + 0.5) / 9007199254740992.0; };
    for (int i = 0; i < 4 * kGgmlCols; ++i) {
        const double u1 = uni(), u2 = uni();
        x[i] = static_cast<float>(0.02 * std::sqrt(-2 * std::log(u1)) *
                                  std::cos(6.283185307179586 * u2));
    }
    float* r4 = x.data() + 4 * kGgmlCols;
    for (int i = 0; i < kGgmlCols; ++i) r4[i] = i < 256 ? 0.0f : 0.5f;
    float* r5 = x.data() + 5 * kGgmlCols;
    for (int i = 0; i < kGgmlCols; ++i)
        r5[i] = (i % 32 == 7) ? 3.0f : static_cast<float>((uni() - 0.5) * 0.01);
    float* r6 = x.data() + 6 * kGgmlCols;
    for (int i = 0; i < kGgmlCols; ++i)
        r6[i] = static_cast<float>(static_cast<int>(splitmix(s) % 65) - 32) / 8.0f;
    float* r7 = x.data() + 7 * kGgmlCols;
    for (int i = 0; i < kGgmlCols; ++i) {
        const double mag = std::pow(10.0, -8.0 + 11.0 * uni());
        r7[i] = static_cast<float>((splitmix(s) & 1) ? mag : -mag);
    }
    return x;
}

}  // namespace tbtest
