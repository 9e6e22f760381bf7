#!/usr/bin/env bash
# After a failed ctest run: the last lines of each failed test's output, printed at the very end
# so that a log cut to its tail (CI keeps only a part) still names the cause.
# Usage: scripts/failed-tests-digest.sh BUILD_DIR [LINES]
set -uo pipefail
dir=${1:?usage: failed-tests-digest.sh BUILD_DIR [LINES]}
lines=${2:-25}
log=$dir/Testing/Temporary/LastTest.log
failed=$dir/Testing/Temporary/LastTestsFailed.log
[[ -f $log && -f $failed ]] || exit 0
echo "=== failed tests: the last $lines output lines of each ==="
while IFS= read -r entry; do
  name=${entry#*:}
  echo "--- $name"
  awk -v want="Testing: $name" -v L="$lines" '
    !on && index($0, want) && substr($0, index($0, want)) == want { on = 1; n = 0; next }
    on && /^<end of output>/ { on = 0 }
    on { buf[n++] = $0 }
    END { for (i = (n > L ? n - L : 0); i < n; i++) print buf[i] }' "$log"
done < "$failed"
