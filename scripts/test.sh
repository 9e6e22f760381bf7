#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole CTest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j "${AXION_JOBS:-2}" --timeout 600 || {
  bash ../scripts/failed-tests-digest.sh .
  exit 1
}
