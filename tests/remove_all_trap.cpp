// Preloaded into some tests (LD_PRELOAD) to reproduce, on any machine, what the GPU machine's
// pip libtorch does: it exports its own std::filesystem::remove_all, calls from our code bind
// to that copy, and it jumped to address 0 (test_engine_gguf segfaulted there, issue 13). Here
// every call that binds to remove_all aborts naming its path, so a test run with this library
// fails wherever the product still calls remove_all; tb::remove_tree (file_io.h) is the way.
// test_source_rules forbids the call in our sources; this catches it wherever it comes from.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace std::filesystem {

uintmax_t remove_all(const path& p) {
    std::fprintf(stderr, "remove_all_trap: std::filesystem::remove_all(%s) called\n", p.c_str());
    std::abort();
}

uintmax_t remove_all(const path& p, error_code&) noexcept {
    std::fprintf(stderr, "remove_all_trap: std::filesystem::remove_all(%s, ec) called\n",
                 p.c_str());
    std::abort();
}

}  // namespace std::filesystem
