// Fatal-signal report for tunebench-cli: on SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT it writes
// one line naming the signal and the subcommand, then the raw backtrace (module+offset, for
// addr2line), and dies with the same signal (exit status unchanged for scripts). Only
// async-signal-safe calls in the handler.
#pragma once

namespace tbcli {

// `what` is kept by pointer (a string literal or argv entry that outlives main).
void install_crash_report(const char* what);

}  // namespace tbcli
