#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/README.md) into build-fuzz with clang-14 and runs each for
# SECONDS seconds (default 30), one after the other, starting from the checked-in seeds
# (fuzz/corpus/<target>) plus what earlier runs found (build-fuzz/corpus/<target>).
# Exits non-zero on any crash, sanitizer report, timeout or out-of-memory, and prints the input
# and the command that replays it.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   TARGET: manifest rest ws csv (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SECS="${1:-30}"
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(manifest rest ws csv)
bash scripts/setup.sh clang
source scripts/build-env.sh

CXX_BIN=clang++-14
C_BIN=clang-14
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$C_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" -DAXION_FUZZ=ON \
  -DAXION_BUILD_TESTS=OFF -DAXION_BUILD_BENCH=OFF -DAXION_WERROR=OFF "${AXION_LAUNCHER[@]}" >/dev/null
t0=$SECONDS
nice -n 19 cmake --build build-fuzz -j "$AXION_JOBS" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")
echo "fuzz: build-fuzz built in $((SECONDS - t0)) s"

# Each run's scratch files (the REST engine's state, the CSV file) go to a folder removed at
# the end, in memory when /dev/shm exists.
scratch=$(mktemp -d "$( [[ -d /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/axion-fuzz-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
if [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

failed=()
for t in "${TARGETS[@]}"; do
  bin="$ROOT/build-fuzz/bin/fuzz_$t"
  corpus="$ROOT/build-fuzz/corpus/$t"
  artifacts="$ROOT/build-fuzz/artifacts/$t"
  log="$ROOT/build-fuzz/fuzz_$t.log"
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  args=(-max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  [[ -f "fuzz/dict/$t.dict" ]] && args+=(-dict="fuzz/dict/$t.dict")
  echo "fuzz: $t for ${SECS} s"
  # New inputs go to the first folder (build-fuzz); the seeds in the tree are only read.
  if TMPDIR="$scratch" nice -n 19 "$bin" "${args[@]}" "$corpus" "fuzz/corpus/$t" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz: $t ok, ${execs:-?} runs, 0 crashes"
  else
    failed+=("$t")
    echo "fuzz: $t FAILED (log: $log)"
    grep -E "^==[0-9]+==ERROR|^SUMMARY|runtime error|^fuzz_$t:|deadly signal|Test unit written" "$log" | head -20 || true
    for a in "$artifacts"/*; do
      [[ -f "$a" ]] && echo "fuzz: replay with: $bin $a"
    done
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: failures in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets clean (${TARGETS[*]}, ${SECS} s each)"
