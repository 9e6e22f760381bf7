#!/usr/bin/env bash
# The Dockerfile's runtime stage installs the Debian package of every shared library that
# axion-host and the first-party plugins link (a missing one fails only when the container
# starts, as libpistache0 did). Packages are found with ldd and dpkg -S on this Debian build.
set -euo pipefail
src=$1 host=$2 plugin_dir=$3
runtime=$(awk '/^FROM \$\{BASE\}$/ {rt=1} rt' "$src/Dockerfile" | tr ' \\' '\n\n' | grep -E '^lib' | sort -u)
[[ -n $runtime ]] || { echo "no runtime package list found in $src/Dockerfile"; exit 1; }
# libc, libstdc++ and libgcc are in every Debian base image.
base='^(libc6|libstdc\+\+6|libgcc-s1)$'
missing=()
for lib in $(ldd "$host" "$plugin_dir"/*.so | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do
  real=$(readlink -f "$lib")
  pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "/usr${real#/usr}" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || true)
  pkg=${pkg%%:*}
  [[ -n $pkg ]] || { echo "no Debian package owns $real"; exit 1; }
  [[ $pkg =~ $base ]] && continue
  grep -qx "$pkg" <<<"$runtime" || missing+=("$pkg ($lib)")
done
if ((${#missing[@]})); then
  printf 'Dockerfile runtime stage lacks: %s\n' "${missing[@]}"
  exit 1
fi
echo "docker runtime deps: every linked library's package is installed"
