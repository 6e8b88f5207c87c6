// The CLI's progress printer: in place ('\r', padded) on a terminal, whole lines otherwise,
// and the terminal test itself (isatty on a file is false, on a pseudo-terminal true).
#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "app/cli/progress_printer.h"

using tbcli::ProgressPrinter;

namespace {

std::string contents(std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
    return s;
}

void evaluate_like(ProgressPrinter& p) {
    p.update("[generate] base: 0/17");
    p.update("[generate] base: 8/17");
    p.update("[generate] base: 8/17");  // repeated
    p.update("[generate] base: 17/17");
    p.finish();
    p.update("[score] x: 1/2");
    p.line("done");
}

}  // namespace

TEST(ProgressPrinter, PipeOrFileGetsWholeLines) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    {
        ProgressPrinter p(f);  // a file: isatty is false
        EXPECT_FALSE(p.tty());
        evaluate_like(p);
    }
    EXPECT_EQ(contents(f),
              "[generate] base: 0/17\n[generate] base: 8/17\n[generate] base: 17/17\n"
              "[score] x: 1/2\ndone\n");
    std::fclose(f);
}

TEST(ProgressPrinter, TerminalRedrawsInPlace) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    {
        ProgressPrinter p(f, 1);
        EXPECT_TRUE(p.tty());
        p.update("loading the model");
        p.update("step 1/2");  // shorter: padded over the old text
        p.update("step 2/2");
        p.line("saved");
        p.update("tail");
    }  // the destructor ends the open line
    EXPECT_EQ(contents(f), "\rloading the model\rstep 1/2         \rstep 2/2\nsaved\n\rtail\n");
    std::fclose(f);
}

TEST(ProgressPrinter, DetectsATerminal) {
    int master = -1, slave = -1;
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0)
        GTEST_SKIP() << "no pseudo-terminal here";
    std::FILE* tty = ::fdopen(slave, "w");
    ASSERT_NE(tty, nullptr);
    {
        ProgressPrinter p(tty);
        EXPECT_TRUE(p.tty());
    }
    std::fclose(tty);
    ::close(master);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::FILE* pipe_end = ::fdopen(fds[1], "w");
    {
        ProgressPrinter p(pipe_end);
        EXPECT_FALSE(p.tty());
    }
    std::fclose(pipe_end);
    ::close(fds[0]);
}
