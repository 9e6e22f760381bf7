#!/usr/bin/env bash
# Sanitizer builds of the test suite (-O1 -g1; see cmake/AxionSanitize.cmake):
#   asan  build-asan, clang-14, ASan+UBSan, every test target, the CTest suite (less ASAN_SKIP)
#   tsan  build-tsan, g++, TSan, the threaded tests only (TSAN_TESTS below)
# clang for ASan+UBSan: g++ takes twice as long to compile with UBSan (measured on engine.cpp:
# 47 s against 26 s). g++ for TSan: it links its runtime into the plugins by itself.
# Usage: scripts/sanitize.sh [asan|tsan|all]   (default all). Exits non-zero on any report.
# Builds run under `nice -n 19`, so an interactive build on the same machine keeps priority.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
bash scripts/setup.sh clang  # clang-14 for the ASan build
source scripts/build-env.sh
SUPP="$ROOT/scripts/sanitizers"

# The tests that run more than one thread: the REST server on a live engine (api), the WS
# add-on with its I/O threads (addon/ws, and ws on a real engine), the engine thread with its
# feed thread and calls from other threads (the pipeline tests below), and the whole host
# process under SIGTERM. A new test that starts threads belongs in this list.
TSAN_TESTS='^(api|ws|addon/ws|broker/alpaca|feed/alpaca|alpaca_standin|live): ?|^host: SIGTERM|^pipeline: ?(Control: |disabling a strategy|Host services called from)'
TSAN_TARGETS=(api_tests ws_engine_tests test-addon-ws pipeline_tests axion-host test-broker-alpaca test-feed-alpaca alpaca_standin_test live_tests)

# Long broker-fault paper runs: the main suite runs them; under ASan they take 60-300 s each and
# exercise no code the rest of the suite does not.
ASAN_SKIP='^crash: fault matrix'

configure() {  # <dir> <sanitizers> <c compiler> <c++ compiler>
  # A build dir made with another compiler starts over (CMake cannot switch compilers in place).
  if [[ -f "$1/CMakeCache.txt" ]] && ! grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=.*/$4\$" "$1/CMakeCache.txt"; then
    rm -rf "$1"
  fi
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAXION_SANITIZE="$2" \
    -DCMAKE_C_COMPILER="$3" -DCMAKE_CXX_COMPILER="$4" \
    -DAXION_WERROR=OFF -DAXION_BUILD_BENCH=OFF "${AXION_LAUNCHER[@]}" >/dev/null
}

run_asan() {
  echo "sanitize: ASan+UBSan build (build-asan)"
  configure build-asan address,undefined clang-14 clang++-14
  local t0=$SECONDS
  nice -n 19 cmake --build build-asan -j "$AXION_JOBS"
  echo "sanitize: build-asan built in $((SECONDS - t0)) s"
  # Leaks are checked (detect_leaks=1): every test process must free what it allocates, the
  # engine's plugins included. lsan.supp is for third-party leaks only (none needed so far).
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=0:print_suppressions=0"
  export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
  # UBSan is built non-recoverable (-fno-sanitize-recover=all): no suppressions possible or needed.
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
  t0=$SECONDS
  (cd build-asan && ctest --output-on-failure -j "$AXION_JOBS" --timeout 900 --no-tests=error -E "$ASAN_SKIP") ||
    { bash scripts/failed-tests-digest.sh build-asan 40; return 1; }
  echo "sanitize: ASan+UBSan suite passed in $((SECONDS - t0)) s"
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS ASAN_SYMBOLIZER_PATH
}

run_tsan() {
  echo "sanitize: TSan build (build-tsan: ${TSAN_TARGETS[*]})"
  configure build-tsan thread gcc g++
  local t0=$SECONDS
  nice -n 19 cmake --build build-tsan -j "$AXION_JOBS" --target "${TSAN_TARGETS[@]}"
  echo "sanitize: build-tsan built in $((SECONDS - t0)) s"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$SUPP/tsan.supp"
  # TSan's runtime needs the kernel's default address-space randomisation (vm.mmap_rnd_bits
  # <= 28); where a host raises it, run without randomisation.
  local wrap=()
  if [[ $(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28) -gt 28 ]] && setarch "$(uname -m)" -R true 2>/dev/null; then
    wrap=(setarch "$(uname -m)" -R)
  fi
  t0=$SECONDS
  (cd build-tsan && "${wrap[@]}" ctest --output-on-failure -j "$AXION_JOBS" --timeout 900 --no-tests=error -R "$TSAN_TESTS") ||
    { bash scripts/failed-tests-digest.sh build-tsan 40; return 1; }
  echo "sanitize: TSan tests passed in $((SECONDS - t0)) s"
  unset TSAN_OPTIONS
}

case "${1:-all}" in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan; run_tsan ;;
  *) echo "usage: scripts/sanitize.sh [asan|tsan|all]" >&2; exit 2 ;;
esac
