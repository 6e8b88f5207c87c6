#!/bin/bash
# test_source_rules: rules of the tree a compiler does not check; each breach printed with its
# file and line. Usage: source_rules.sh <source dir>
# - No std::filesystem::remove_all call outside comments: PyTorch's pip libtorch exports its own
#   std::filesystem copies, a call can bind to them and segfault (core/common/file_io.h), and
#   tb::remove_tree replaces it. Seen twice on the GPU machine, each time after a new call
#   slipped in (the second: the GGUF tokenizer's temporary folder).
# - No Qt include in core/: the engine builds with the GUI off.
set -uo pipefail
cd "$1" || exit 2
bad=0
code_lines() {  # file:line:text with // comments cut off
  grep -rnE --include='*.cpp' --include='*.h' --include='*.cu' "$1" $2 |
    awk -F: '{ t = $0; sub(/^[^:]*:[0-9]+:/, "", t); sub(/\/\/.*/, "", t); if (t ~ re) print $1 ":" $2 ": " t }' re="$3"
}
# tests/remove_all_trap.cpp defines the function (the trap preloaded into some tests).
hits=$(code_lines 'remove_all' "core app widgets tests" 'remove_all[ \t]*\(' | grep -v '^tests/remove_all_trap\.cpp:')
[ -n "$hits" ] && { echo "std::filesystem::remove_all (use tb::remove_tree, core/common/file_io.h):"; echo "$hits"; bad=1; }
hits=$(code_lines '#[[:space:]]*include' core '^[ \t]*#[ \t]*include[ \t]*[<"]Q[A-Za-z]+')
[ -n "$hits" ] && { echo "Qt include in core/:"; echo "$hits"; bad=1; }
[ $bad = 0 ] && echo "source rules hold in $(find core app widgets tests -name '*.cpp' -o -name '*.h' -o -name '*.cu' | wc -l) files"
exit $bad
