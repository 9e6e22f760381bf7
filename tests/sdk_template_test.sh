#!/usr/bin/env bash
# Installs the SDK into a temp prefix, builds sdk/template OUT OF TREE against it, and loads the
# result with axion-host --check-config, after running its own test against the SDK fakes
# (ARCHITECTURE §3: third parties get exactly our SDK).
set -euo pipefail
src="$1"; build="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/sdk/template" -B "$work/tbuild" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/tbuild" >/dev/null
test -f "$work/tbuild/axion-strategy-template_breakout.so"
# The template ships its test against the SDK's fakes: it must be built and pass.
test -x "$work/tbuild/test_template_breakout"
ctest --test-dir "$work/tbuild" --output-on-failure >/dev/null
"$build/bin/axion-host" --check-config --pipeline "$src/sdk/template/template.toml" --plugin-dir "$work/tbuild"
"$build/bin/axion-host" --describe strategy/template_breakout --plugin-dir "$work/tbuild" | grep -q lookback
echo "sdk template: built out of tree and loaded"
