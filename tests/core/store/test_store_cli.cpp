// `tunebench-cli store check|backup|restore` end to end: exit codes, one-line errors, the
// backup list, a restore that keeps the damaged file aside.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/store/store.h"
#include "core/store/store_backup.h"
#include "tests/core/store/store_stress_util.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;

namespace {

struct CliRun {
    int code = -1;
    std::string out;
    std::string err;
};

CliRun run_cli(const std::string& args, const std::string& dir) {
    const std::string err_path = dir + "/stderr.txt";
    const std::string cmd = std::string("'") + TB_CLI_PATH + "' " + args + " 2>'" + err_path + "'";
    CliRun r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = pclose(p);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.err = tbtest::read_text(err_path);
    return r;
}

TEST(StoreCli, CheckBackupDamageRestore) {
    const std::string dir = tbtest::scratch_dir("store_cli");
    const std::string db = dir + "/tunebench.sqlite";
    {
        auto s = tb::store::Store::open(db);
        ASSERT_TRUE(s.ok()) << s.error().message;
        tb::store::RatingRow r;
        r.rater = "ann";
        r.item_id = "i1";
        r.model = "base";
        r.relevance = r.coherence = r.fluency = r.completeness = 4;
        ASSERT_TRUE(s.value()->upsert_rating(r).ok());
    }
    CliRun c = run_cli("store check --workspace '" + dir + "'", dir);
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_NE(c.out.find(db + ": quick_check ok"), std::string::npos) << c.out;

    CliRun b = run_cli("store backup --store '" + db + "'", dir);
    ASSERT_EQ(b.code, 0) << b.err;
    const auto backups = tb::store::list_backups(db);
    ASSERT_EQ(backups.size(), 1u);
    EXPECT_EQ(backups[0].reason, "manual");
    EXPECT_NE(b.out.find(backups[0].path), std::string::npos) << b.out;

    // Page 1 overwritten (the damage).
    {
        std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
        const std::string junk(100, '\x0a');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    c = run_cli("store check --store '" + db + "' --full", dir);
    EXPECT_EQ(c.code, 2);
    EXPECT_NE(c.out.find("integrity_check"), std::string::npos) << c.out;
    EXPECT_NE(c.out.find("(newest good)"), std::string::npos) << c.out;
    // One line on stderr naming the file and the backup.
    EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << c.err;
    EXPECT_NE(c.err.find(db + ": the store is damaged"), std::string::npos) << c.err;
    EXPECT_NE(c.err.find(backups[0].path), std::string::npos) << c.err;

    CliRun r = run_cli("store restore --workspace '" + dir + "'", dir);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("previous store kept as " + db + ".damaged-"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("restored " + db + " from " + backups[0].path), std::string::npos)
        << r.out;
    c = run_cli("store check --store '" + db + "'", dir);
    EXPECT_EQ(c.code, 0) << c.err;
    auto s = tb::store::Store::open(db);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s.value()->list_ratings().value().size(), 1u);

    // Bad arguments: one line, exit 2.
    CliRun bad = run_cli("store check --store '" + db + "' --workspace '" + dir + "'", dir);
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("give one of them"), std::string::npos) << bad.err;
    bad = run_cli("store restore --store '" + dir + "/none.sqlite'", dir);
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("no good backup"), std::string::npos) << bad.err;
}

}  // namespace
