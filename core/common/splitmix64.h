// SplitMix64 (Steele, Lea, Flood 2014; Vigna's reference C code): a tiny, fast generator with a
// full 2^64 period and good statistical quality, written out here so that every seeded draw in
// tunebench (dataset splits, epoch shuffles, bootstrap resampling) is the same on every
// machine and compiler, which std::mt19937 + std::uniform_int_distribution is not.
#pragma once

#include <cstdint>

namespace tb {

class SplitMix64 {
  public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}

    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, bound) for bound >= 1, without modulo bias: Lemire, "Fast Random Integer
    // Generation in an Interval" (2019), multiply-and-reject.
    uint64_t below(uint64_t bound) {
        unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
        uint64_t low = static_cast<uint64_t>(m);
        if (low < bound) {
            const uint64_t threshold = (0 - bound) % bound;
            while (low < threshold) {
                m = static_cast<unsigned __int128>(next()) * bound;
                low = static_cast<uint64_t>(m);
            }
        }
        return static_cast<uint64_t>(m >> 64);
    }

  private:
    uint64_t state_;
};

}  // namespace tb
