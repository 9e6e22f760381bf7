#!/usr/bin/env bash
# axion-host --scan-out over configs/scan-goog.toml: exit 0, the exact CSV header, one row per
# signal, counts per strategy as pinned in tests/pipeline/strategies_engine_test.cpp, and
# nothing written to the manifest's state directory.
set -euo pipefail
host=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$host" --pipeline "$src/configs/scan-goog.toml" --scan-out "$work/signals.csv" --log-level warning
header=$(head -1 signals.csv)
[[ $header == "timestamp,symbol,strategy,signal_type,direction,conviction,entry,stop,target" ]] || {
  echo "bad header: $header"; exit 1; }
counts=$(tail -n +2 signals.csv | awk -F, '{n[$3]++} END {for (s in n) print s "=" n[s]}' | sort | tr '\n' ' ')
want="ema_cloud=2119 mean_reversion=208 pullback_to_cloud=78 rsi_divergence=87 vwap_reversion=105 "
[[ $counts == "$want" ]] || { echo "counts: $counts"; echo "want:   $want"; exit 1; }
# Rows are well formed: ISO timestamp, integer conviction, numeric prices, target empty or numeric.
bad=$(tail -n +2 signals.csv | awk -F, 'NF != 9 || $1 !~ /^[0-9-]+T[0-9:.]+\+00:00$/ || $6 !~ /^[0-9]+$/ ||
  $7 !~ /^[0-9.]+$/ || $8 !~ /^[0-9.]+$/ || ($9 != "" && $9 !~ /^[0-9.]+$/)' | head -3)
[[ -z $bad ]] || { echo "malformed rows: $bad"; exit 1; }
[[ ! -e "$work/.bot_state" && ! -e "$src/configs/.bot_state" ]] || { echo "scan wrote a state directory"; exit 1; }
echo "scan-out: $(($(wc -l < signals.csv) - 1)) signals, counts as pinned"
