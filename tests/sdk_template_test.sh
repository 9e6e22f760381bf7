#!/usr/bin/env bash
# Installs the SDK into a temp prefix, builds sdk/template OUT OF TREE against it, and loads the
# result with axion-host --check-config (ARCHITECTURE §3: third parties get exactly our SDK).
set -euo pipefail
src="$1"; build="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/sdk/template" -B "$work/tbuild" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/tbuild" >/dev/null
test -f "$work/tbuild/axion-strategy-template_breakout.so"
"$build/bin/axion-host" --check-config --pipeline "$src/sdk/template/template.toml" --plugin-dir "$work/tbuild"
"$build/bin/axion-host" --describe strategy/template_breakout --plugin-dir "$work/tbuild" | grep -q lookback
echo "sdk template: built out of tree and loaded"
