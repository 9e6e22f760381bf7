#!/usr/bin/env bash
# Installs the Debian packages Axion builds with; idempotent, installs only what is missing.
set -euo pipefail
PKGS=(g++ cmake ninja-build pkg-config ccache
      libboost-dev libboost-program-options-dev libtomlplusplus-dev libpistache-dev
      libspdlog-dev catch2 nlohmann-json3-dev libsqlite3-dev libssl-dev libbenchmark-dev wrk sqlite3)
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
