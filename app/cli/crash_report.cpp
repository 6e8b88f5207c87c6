#include "app/cli/crash_report.h"

#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <initializer_list>

namespace tbcli {

namespace {

const char* g_what = "";

void put(const char* s) {
    ssize_t r = ::write(2, s, ::strlen(s));
    (void)r;
}

void on_fatal(int sig) {
    put("tunebench-cli: fatal signal ");
    char num[8];
    int n = sig, i = 6;
    num[7] = '\0';
    do {
        num[i--] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n > 0 && i >= 0);
    put(num + i + 1);
    put(" (");
    put(::strsignal(sig) ? ::strsignal(sig) : "?");
    put(") in '");
    put(g_what);
    put("'; backtrace (addr2line -e <module> <offset>):\n");
    void* frames[64];
    const int count = ::backtrace(frames, 64);
    ::backtrace_symbols_fd(frames, count, 2);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

}  // namespace

void install_crash_report(const char* what) {
    g_what = what ? what : "";
    // backtrace() loads libgcc on first use; do it now, not inside the handler.
    void* warm[1];
    ::backtrace(warm, 1);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
        struct sigaction sa {};
        sa.sa_handler = on_fatal;
        ::sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
        ::sigaction(sig, &sa, nullptr);
    }
}

}  // namespace tbcli
