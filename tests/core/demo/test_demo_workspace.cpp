// `demo init --dir X/` (a trailing slash, as tab completion gives) failed after doing all its
// work: the staging folder was made inside X and could not be renamed onto it (issue 10).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/demo/demo_workspace.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;

TEST(DemoWorkspace, TrailingSlashAndDotNameTheFolderItself) {
    const std::string root = tbtest::scratch_dir("demo_trailing");
    const std::vector<std::string> suffixes = {"/", "//.", "/./"};
    for (size_t i = 0; i < suffixes.size(); ++i) {
        const std::string& suffix = suffixes[i];
        const std::string name = "ws" + std::to_string(i);
        tb::demo::DemoParams p;
        p.dir = root + "/" + name + suffix;
        p.pretrain_steps = 1;
        auto r = tb::demo::create_demo_workspace(p);
        ASSERT_TRUE(r.ok()) << p.dir << ": " << r.error().message;
        EXPECT_EQ(fs::path(r.value().dir), fs::path(root) / name) << p.dir;
        EXPECT_TRUE(fs::is_regular_file(fs::path(root) / name / "model" / "config.json"));
        EXPECT_TRUE(fs::is_regular_file(r.value().config_path));
        // No staging folder left, neither beside the workspace nor inside it.
        for (const auto& dir : {fs::path(root), fs::path(root) / name})
            for (const auto& e : fs::directory_iterator(dir))
                EXPECT_EQ(e.path().filename().string().find(".partial-"), std::string::npos)
                    << e.path();
    }
}

TEST(DemoWorkspace, RootIsRefusedBeforeAnyWork) {
    tb::demo::DemoParams p;
    p.dir = "/";
    auto r = tb::demo::create_demo_workspace(p);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not a folder name"), std::string::npos) << r.error().message;
}
