#!/usr/bin/env bash
# The Dockerfile's runtime stage installs the Debian package of every shared library that
# axion-host and the first-party plugins link (a missing one fails only when the container
# starts, as libpistache0 did). Packages are found with ldd and dpkg -S on this Debian build.
# Only the libraries a binary names itself (its DT_NEEDED entries) must be listed: apt installs
# what those packages depend on (libcurl4 brings its TLS, HTTP/2 and Kerberos libraries).
set -euo pipefail
src=$1 host=$2 plugin_dir=$3
runtime=$(awk '/^FROM \$\{BASE\}$/ {rt=1} rt' "$src/Dockerfile" | tr ' \\' '\n\n' | grep -E '^lib' | sort -u)
[[ -n $runtime ]] || { echo "no runtime package list found in $src/Dockerfile"; exit 1; }
# libc, libstdc++ and libgcc are in every Debian base image.
base='^(libc6|libstdc\+\+6|libgcc-s1)$'
missing=()
direct_libs() {  # the paths of the libraries `$1` names in DT_NEEDED, as ldd resolves them
  local needed
  needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  ldd "$1" | awk -v names="$needed" 'BEGIN { n = split(names, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    $2 == "=>" && $3 ~ /^\// && ($1 in want) {print $3}'
}
for lib in $(for b in "$host" "$plugin_dir"/*.so; do direct_libs "$b"; done | sort -u); do
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
