#!/usr/bin/env bash
# Installs the Debian packages Axion builds with; idempotent, installs only what is missing.
# `setup.sh clang` adds what scripts/fuzz.sh and the ASan build of scripts/sanitize.sh need:
# clang-14, its sanitizer and libFuzzer runtimes, llvm-symbolizer (g++ brings TSan's runtime).
# The plain build, run and test commands need none of it.
set -euo pipefail
PKGS=(g++ cmake ninja-build pkg-config ccache
      libboost-dev libboost-program-options-dev libtomlplusplus-dev libpistache-dev
      libspdlog-dev catch2 nlohmann-json3-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev libbenchmark-dev libjemalloc-dev wrk sqlite3)
CLANG_PKGS=(clang-14 libclang-rt-14-dev llvm-14)
case "${1:-}" in
  "") ;;
  clang) PKGS+=("${CLANG_PKGS[@]}") ;;
  *) echo "usage: setup.sh [clang]" >&2; exit 2 ;;
esac
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all build dependencies present"
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y \
  --no-install-recommends "${missing[@]}"
