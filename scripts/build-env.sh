# Sourced by the build scripts (build.sh, sanitize.sh, fuzz.sh) from the checkout's root.
# ccache for every build dir, shared by every clone: CCACHE_BASEDIR turns absolute paths under
# the checkout into relative ones, and CCACHE_NOHASHDIR keeps the build folder out of the hash
# (-g would put it there), so a clone in another folder hits what this one compiled. (A hit's
# debug info then names the compiling clone's build folder; file:line in traces are unaffected.)
AXION_LAUNCHER=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$PWD"
  export CCACHE_NOHASHDIR=1
  AXION_LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
AXION_JOBS="${AXION_JOBS:-2}"
