#!/bin/bash
# crash-backtrace.sh BINARY ARGS...: runs BINARY with a SIGSEGV/SIGBUS/SIGILL handler (crash-backtrace.c,
# preloaded) that prints the faulting address and every code address found on the stack, then
# symbolises them with addr2line. For the GPU machine, which has no gdb: a jump to a bad
# address leaves nothing for backtrace(3) to unwind, but the scanned stack still shows the
# calls (found the pip libtorch std::filesystem::remove_all crash this way).
bin=$1; shift
gcc -O1 -shared -fPIC -o /tmp/crash-backtrace.so "$(dirname "$0")/crash-backtrace.c" || exit 1
LD_PRELOAD=/tmp/crash-backtrace.so "$bin" "$@" 2>/tmp/bt.err >/tmp/bt.out; echo "exit $?"
tail -4 /tmp/bt.out
grep -v '^STK' /tmp/bt.err | tail -5
grep -E '^SIG|^STK' /tmp/bt.err | sed 's/^SIG.*(\(.*\) +\([0-9a-f]*\)).*/STK \1 0x\2/' | while read -r _ f a; do
  case "$f" in *libc.so*|*ld-linux*) echo "$f $a"; continue;; esac
  echo "$(basename "$f") $a $(addr2line -f -C -i -e "$f" "$a" 2>/dev/null | paste -sd' ' | cut -c1-220)"
done | uniq | head -60
