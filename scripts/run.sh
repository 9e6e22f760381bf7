#!/usr/bin/env bash
# Installs what is missing, builds, and starts axion-host paper trading offline.
# Extra arguments go to axion-host (e.g. --log-level debug). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/bin/axion-host --pipeline configs/paper.toml "$@"
