#!/bin/bash
# First README command: install the Debian packages, build tunebench, then run the main job
# on the embedded demo workspace (the GUI when a display is available, else headless).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
SECONDS=0
packaging/install-deps.sh
echo "== packages ready in ${SECONDS} s"
jobs=$(nproc)
# Only what the main job runs: tunebench-cli and the GUI. The test suite and its sanitizer
# builds are packaging/run-tests.sh's (build-tests/); leaving them out here is most of the
# first command's time on a small machine. Ninja prints each step ([n/N]) as it goes.
start=$SECONDS
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTUNEBENCH_TESTS=OFF
# The GUI only when run-demo.sh will open it (a display, TUNEBENCH_HEADLESS unset): headless, the
# main job is the CLI's pipeline, and the widgets are about a sixth of the build.
targets=(tunebench-cli)
if grep -q '^TUNEBENCH_GUI:BOOL=ON' build/CMakeCache.txt; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${TUNEBENCH_HEADLESS:-}" ]; then
    targets+=(tunebench)
  else
    echo "== headless: not building the GUI (cmake --build build --target tunebench builds it)"
  fi
fi
echo "== building ${targets[*]} with $jobs jobs"
cmake --build build -j"$jobs" --target "${targets[@]}"
echo "== built in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
exec packaging/run-demo.sh
