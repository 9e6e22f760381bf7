#!/usr/bin/env bash
# Installs what is missing, builds, and starts axion-host paper trading offline.
# Extra arguments go to axion-host (e.g. --log-level debug). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the host and its plugins: starting it never waits for the tests to compile.
bash scripts/build.sh axion-host axion_all_plugins
exec build/bin/axion-host --pipeline configs/paper.toml "$@"
