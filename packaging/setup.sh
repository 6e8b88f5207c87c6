#!/bin/bash
# First README command: install the Debian packages, build tunebench, then run the main job
# on the embedded demo workspace (the GUI when a display is available, else headless).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
packaging/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
exec packaging/run-demo.sh
