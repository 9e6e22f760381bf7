#!/usr/bin/env bash
# Configures and builds Axion into build/ (RelWithDebInfo, Ninja, -j2, ccache when present).
# Usage: scripts/build.sh [TARGET...]   (default: everything, tests and benchmarks included)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/build-env.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${AXION_LAUNCHER[@]}" >/dev/null
if (($#)); then
  cmake --build build -j "$AXION_JOBS" --target "$@"
else
  cmake --build build -j "$AXION_JOBS"
fi
