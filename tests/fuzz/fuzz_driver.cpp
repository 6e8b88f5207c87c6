// Deterministic mutation fuzzer for the readers in fuzz_targets.h, built with ASan/UBSan by
// g++ (the project's compiler; no libFuzzer, which needs clang).
//
// Each target starts from its seeds and applies 1-4 mutations per input: bit flips,
// interesting bytes, truncation, deleted / duplicated / inserted ranges, dictionary tokens,
// numbers replaced by edge values, splices of two inputs; safetensors inputs also get their
// JSON header mutated as text with the 8-byte length fixed up. Inputs the reader accepts join
// the pool (up to 512), so mutations build on each other. Every run with the same --seed
// produces the same inputs in the same order; only how far it gets depends on --seconds.
//
// A crash (ASan/UBSan report, or a target's broken promise) writes the input to
// <crash-dir>/crash-<target>.bin before the process dies; replay it with
//   fuzz_readers --target <target> --replay <file>
//
// ctest runs every target for a bounded number of inputs (label "sanitize"); run longer by
// hand, e.g.
//   build-tests/tests/fuzz/fuzz_readers --seconds 3600 --target safetensors --seed 7
#include <sanitizer/common_interface_defs.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/common/file_io.h"
#include "core/common/splitmix64.h"
#include "tests/fuzz/fuzz_targets.h"

namespace {

constexpr size_t kMaxInput = 1 << 18;
constexpr size_t kMaxPool = 512;

// The input being run, saved by the death callback.
std::string g_current;
std::string g_crash_path;

void save_current() {
    std::ofstream out(g_crash_path, std::ios::binary | std::ios::trunc);
    out.write(g_current.data(), static_cast<std::streamsize>(g_current.size()));
    out.close();
    std::fprintf(stderr, "\nfuzz_readers: input saved to %s\n", g_crash_path.c_str());
}

struct Mutator {
    tb::SplitMix64 rng;
    const std::vector<std::string>& dict;
    const std::vector<std::string>& pool;

    size_t pick(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng.below(n)); }

    std::string number() {
        static const char* kNumbers[] = {"0",
                                         "-1",
                                         "1",
                                         "2",
                                         "255",
                                         "256",
                                         "65536",
                                         "4294967295",
                                         "4294967296",
                                         "9223372036854775807",
                                         "9223372036854775808",
                                         "18446744073709551615",
                                         "1e308",
                                         "1e400",
                                         "-0",
                                         "0.5",
                                         "nan",
                                         "inf",
                                         "1.0e-320"};
        return kNumbers[pick(sizeof kNumbers / sizeof *kNumbers)];
    }

    void one(std::string& s) {
        static const unsigned char kBytes[] = {0,   1,   0x7f, 0x80, 0xff, '"',  '{', '}', '[',
                                               ']', ':', ',',  '\n', '-',  '\\', ' ', '0', '9'};
        switch (pick(10)) {
            case 0:  // bit flip
                if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
                break;
            case 1:  // interesting byte
                if (!s.empty()) s[pick(s.size())] = static_cast<char>(kBytes[pick(sizeof kBytes)]);
                break;
            case 2:  // truncate
                s.resize(pick(s.size() + 1));
                break;
            case 3: {  // delete a range
                if (s.empty()) break;
                const size_t at = pick(s.size());
                s.erase(at, 1 + pick(std::min<size_t>(s.size() - at, pick(2) ? 8 : 256)));
                break;
            }
            case 4: {  // duplicate a range somewhere
                if (s.empty()) break;
                const size_t at = pick(s.size());
                const std::string chunk = s.substr(at, 1 + pick(64));
                s.insert(pick(s.size() + 1), chunk);
                break;
            }
            case 5:  // dictionary token
                if (!dict.empty()) s.insert(pick(s.size() + 1), dict[pick(dict.size())]);
                break;
            case 6: {  // replace a number by an edge value
                size_t at = pick(s.size() + 1);
                while (at < s.size() && !(s[at] >= '0' && s[at] <= '9')) ++at;
                if (at >= s.size()) break;
                size_t end = at;
                while (end < s.size() && ((s[end] >= '0' && s[end] <= '9') || s[end] == '.')) ++end;
                s.replace(at, end - at, number());
                break;
            }
            case 7: {  // splice with another input
                if (pool.empty()) break;
                const std::string& o = pool[pick(pool.size())];
                s = s.substr(0, pick(s.size() + 1)) + o.substr(pick(o.size() + 1));
                break;
            }
            case 8: {  // random bytes
                std::string r(1 + pick(8), '\0');
                for (char& c : r) c = static_cast<char>(rng.next());
                s.insert(pick(s.size() + 1), r);
                break;
            }
            default: {  // overwrite 8 bytes with a little-endian edge value
                if (s.size() < 8) break;
                static const uint64_t kWords[] = {
                    0, 1, 7, 8, 0xffffffffull, 100000001ull, ~0ull, 1ull << 63};
                const uint64_t w = kWords[pick(sizeof kWords / sizeof *kWords)];
                const size_t at = pick(2) ? 0 : pick(s.size() - 7);
                for (int i = 0; i < 8; ++i) s[at + i] = static_cast<char>(w >> (8 * i));
                break;
            }
        }
    }

    std::string mutate(const std::string& in, bool safetensors_layout) {
        std::string s = in;
        const size_t n = 1 + pick(4);
        if (safetensors_layout && s.size() >= 8 && pick(10) < 7) {
            // Header-aware: mutate the JSON as text, keep the data, fix the length prefix.
            uint64_t len = 0;
            for (int i = 7; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(s[i]);
            if (len <= s.size() - 8) {
                std::string header = s.substr(8, len), data = s.substr(8 + len);
                for (size_t i = 0; i < n; ++i) one(header);
                if (pick(4) == 0) data.resize(pick(data.size() + 1));
                std::string out(8, '\0');
                for (int i = 0; i < 8; ++i)
                    out[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
                return out + header + data;
            }
        }
        for (size_t i = 0; i < n; ++i) one(s);
        if (s.size() > kMaxInput) s.resize(kMaxInput);
        return s;
    }
};

struct Stats {
    uint64_t execs = 0, accepted = 0;
};

Stats fuzz(const tbfuzz::Target& t, double seconds, uint64_t max_execs, uint64_t seed) {
    const std::vector<std::string> dict = t.dictionary();
    std::vector<std::string> pool = t.seeds();
    Stats st;
    auto run = [&](const std::string& input) {
        g_current = input;
        ++st.execs;
        const bool ok = t.run(reinterpret_cast<const uint8_t*>(input.data()), input.size());
        st.accepted += ok;
        return ok;
    };
    for (const std::string& s : pool)
        if (!run(s)) tbfuzz::fuzz_fail(t.name, "a seed input is refused");
    Mutator m{tb::SplitMix64(seed), dict, pool};
    const auto t0 = std::chrono::steady_clock::now();
    while (st.execs < max_execs) {
        if ((st.execs & 63) == 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds)
            break;
        const std::string input = m.mutate(pool[m.pick(pool.size())], t.safetensors_layout);
        if (run(input)) {
            if (pool.size() < kMaxPool)
                pool.push_back(input);
            else
                pool[m.pick(pool.size())] = input;
        }
    }
    return st;
}

int usage() {
    std::fprintf(stderr,
                 "usage: fuzz_readers [--target NAME] [--seconds S (per target, default 15)]\n"
                 "                    [--max-execs N] [--seed N] [--crash-dir DIR]\n"
                 "       fuzz_readers --target NAME --replay FILE...\n"
                 "targets:");
    for (const auto& t : tbfuzz::targets()) std::fprintf(stderr, " %s", t.name);
    std::fprintf(stderr, "\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string only, crash_dir = ".";
    double seconds = 15;
    uint64_t max_execs = UINT64_MAX, seed = 1;
    std::vector<std::string> replay;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) std::exit(usage());
            return argv[++i];
        };
        if (a == "--target") {
            only = value();
        } else if (a == "--seconds") {
            seconds = std::atof(value().c_str());
        } else if (a == "--max-execs") {
            max_execs = std::strtoull(value().c_str(), nullptr, 10);
        } else if (a == "--seed") {
            seed = std::strtoull(value().c_str(), nullptr, 10);
        } else if (a == "--crash-dir") {
            crash_dir = value();
        } else if (a == "--replay") {
            while (i + 1 < argc) replay.emplace_back(argv[++i]);
        } else {
            return usage();
        }
    }
    if (!only.empty() && !tbfuzz::find_target(only)) return usage();
    __sanitizer_set_death_callback(save_current);

    if (!replay.empty()) {
        if (only.empty()) return usage();
        const tbfuzz::Target& t = *tbfuzz::find_target(only);
        for (const std::string& f : replay) {
            std::ifstream in(f, std::ios::binary);
            g_current.assign(std::istreambuf_iterator<char>(in), {});
            g_crash_path = f + ".again";
            const bool ok =
                t.run(reinterpret_cast<const uint8_t*>(g_current.data()), g_current.size());
            std::printf("%s: %s\n", f.c_str(), ok ? "accepted" : "refused");
        }
        return 0;
    }

    std::filesystem::create_directories(crash_dir);
    uint64_t total = 0;
    for (const tbfuzz::Target& t : tbfuzz::targets()) {
        if (!only.empty() && only != t.name) continue;
        g_crash_path = crash_dir + "/crash-" + t.name + ".bin";
        const auto t0 = std::chrono::steady_clock::now();
        const Stats st = fuzz(t, seconds, max_execs, seed);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%-16s %8llu execs in %5.1f s (%6.0f/s), %llu accepted, 0 crashes\n", t.name,
                    static_cast<unsigned long long>(st.execs), s, st.execs / (s > 0 ? s : 1),
                    static_cast<unsigned long long>(st.accepted));
        std::fflush(stdout);
        total += st.execs;
    }
    std::printf("total %llu execs, no crash, no broken reader promise\n",
                static_cast<unsigned long long>(total));
    std::error_code ec;
    (void)ec;
    (void)tb::remove_tree(tbfuzz::scratch_dir());  // not std::filesystem::remove_all: file_io.h
    return 0;
}
