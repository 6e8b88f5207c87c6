// Paths for tests: fixtures committed in tests/fixtures, ../shared data beside the clone,
// and a scratch folder per test binary.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/common/file_io.h"

namespace tbtest {

inline std::string fixtures_dir() {
    const char* e = std::getenv("TB_FIXTURES_DIR");
    return e ? e : TB_FIXTURES_DIR;
}
inline std::string shared_dir() {
    const char* e = std::getenv("TB_SHARED_DIR");
    return e ? e : TB_SHARED_DIR;
}
// A fresh empty directory under the build tree, unique per name.
// Under the test's build folder; TB_TEST_TMP_DIR in the environment moves it, so that a second
// registration of one test (tb_trap_remove_all) can run beside the first without the two
// wiping each other's files.
inline std::string scratch_dir(const std::string& name) {
    const char* moved = std::getenv("TB_TEST_TMP_DIR");
    std::filesystem::path p =
        std::filesystem::path(moved && *moved ? moved : TB_TEST_TMP_DIR) / name;
    (void)tb::remove_tree(p.string());  // not fs::remove_all: see remove_tree
    std::filesystem::create_directories(p);
    return p.string();
}

}  // namespace tbtest
