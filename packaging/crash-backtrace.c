// Preloaded by crash-backtrace.sh: prints the faulting address and the code addresses on the
// stack (file and offset) on a crash, on an alternate stack.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
static char maps[1 << 20];
static int nmaps;
struct M { unsigned long lo, hi, off; char path[160]; };
static struct M ms[4096];
static int nm;
static void load(void) {
    int fd = open("/proc/self/maps", O_RDONLY); int n, t = 0;
    while ((n = read(fd, maps + t, sizeof maps - 1 - t)) > 0) t += n;
    close(fd); maps[t] = 0; nm = 0;
    for (char* l = maps; l && *l && nm < 4096;) {
        char* e = strchr(l, '\n'); if (e) *e = 0;
        unsigned long lo, hi, off; char perm[8]; char path[160] = "";
        if (sscanf(l, "%lx-%lx %7s %lx %*s %*s %159s", &lo, &hi, perm, &off, path) >= 4 && perm[2] == 'x') {
            ms[nm].lo = lo; ms[nm].hi = hi; ms[nm].off = off; strcpy(ms[nm].path, path); nm++; }
        l = e ? e + 1 : 0;
    }
}
static const struct M* find(unsigned long a) { for (int i = 0; i < nm; i++) if (a >= ms[i].lo && a < ms[i].hi) return &ms[i]; return 0; }
static void h(int s, siginfo_t* si, void* uc_) {
    ucontext_t* uc = uc_; load();
    unsigned long rip = uc->uc_mcontext.gregs[REG_RIP], rsp = uc->uc_mcontext.gregs[REG_RSP];
    char b[512]; const struct M* m = find(rip);
    int n = snprintf(b, sizeof b, "SIG %d fault addr %p rip %lx (%s +%lx) rsp %lx tid %d\n", s, si->si_addr, rip, m ? m->path : "?", m ? rip - m->lo + m->off : 0, rsp, gettid());
    write(2, b, n);
    unsigned long* sp = (unsigned long*)rsp;
    for (int i = 0, k = 0; i < 4096 && k < 60; i++) {
        unsigned long v = sp[i]; const struct M* mm = find(v);
        if (mm) { n = snprintf(b, sizeof b, "STK %s 0x%lx\n", mm->path, v - mm->lo + mm->off); write(2, b, n); k++; }
    }
    _exit(139);
}
__attribute__((constructor)) static void i(void) {
    static char alt[1 << 16]; stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt}; sigaltstack(&ss, 0);
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, 0); sigaction(SIGBUS, &sa, 0); sigaction(SIGILL, &sa, 0);
}
