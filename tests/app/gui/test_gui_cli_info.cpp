// `tunebench --help` and `--version` answer without a display: no DISPLAY, no WAYLAND_DISPLAY,
// no QT_QPA_PLATFORM (the window itself, started that way, cannot open: shown for contrast).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace {

struct Outcome {
    int status = -1;
    std::string out;
};

Outcome run(const std::string& args) {
    const std::string cmd = "env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM HOME=" +
                            std::string(TB_TEST_TMP_DIR) + " timeout 60 '" TB_GUI_PATH "' " + args +
                            " 2>&1";
    Outcome r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

}  // namespace

TEST(GuiCliInfo, HelpWithoutDisplay) {
    const Outcome r = run("--help");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("--demo"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--workspace"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--version"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("--screenshot"), std::string::npos) << "hidden option shown";
}

TEST(GuiCliInfo, VersionWithoutDisplay) {
    const Outcome r = run("--version");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "tunebench " TB_VERSION "\n");
}

TEST(GuiCliInfo, TheWindowItselfNeedsADisplay) {
    const Outcome r = run("--tab 1");
    EXPECT_NE(r.status, 0) << r.out;
}
