#!/bin/bash
# Second README command (and what .ci/run calls): install packages, build from scratch in
# build-tests/, run every CPU test (GPU tests are labelled `gpu` and skipped without CUDA).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Each step's time is printed, so that a CI log shows where the minutes go.
SECONDS=0
packaging/install-deps.sh
echo "== packages ready in ${SECONDS} s"
jobs=$(nproc)
start=$SECONDS
cmake -S . -B build-tests -G Ninja -DCMAKE_BUILD_TYPE=Release -DTUNEBENCH_TESTS=ON
cmake --build build-tests -j"$jobs"
echo "== built in $((SECONDS - start)) s with $jobs jobs"
export QT_QPA_PLATFORM=offscreen
cd build-tests
ctest --output-on-failure -j"$jobs" -LE gpu "$@"
