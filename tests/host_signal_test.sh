#!/usr/bin/env bash
# Starts axion-host on a paced CSV replay, sends SIGTERM, and checks the graceful shutdown of
# pipeline.md §11: the log line, every open position closed, exit code 0.
set -euo pipefail
host="$1"; data="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/m.toml" <<TOML
[engine]
mode = "paper"
symbols = ["GOOG"]
[signals]
min_conviction_to_signal = 0
min_conviction_to_execute = 0
[feed]
plugin = "feed/csv"
files = ["$data/goog_daily.csv"]
warmup_bars = 150
pace_ms = 20.0
[[strategy]]
plugin = "strategy/ema_cloud"
[broker]
plugin = "broker/paper"
TOML
"$host" --pipeline "$work/m.toml" --state-dir "$work/state" > "$work/log" 2>&1 &
pid=$!
# Wait (bounded) until the engine has opened a position, then ask it to stop.
for _ in $(seq 1 150); do
  grep -q "Opened" "$work/log" && break
  sleep 0.1
done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
cat "$work/log" | grep -E "Received|Shutting down|shutdown complete" || true
test "$rc" -eq 0 || { echo "exit code $rc"; exit 1; }
grep -q "Received SIGTERM — initiating graceful shutdown" "$work/log"
grep -q "Bot shutdown complete" "$work/log"
opened=$(grep -c "Opened" "$work/log")
closed=$(grep -c "Closed" "$work/log")
echo "opened=$opened closed=$closed"
test "$opened" -gt 0 && test "$opened" -eq "$closed"
# Nothing left open in the journal.
test "$(sqlite3 "$work/state/axion.db" "SELECT COUNT(*) FROM positions")" = "0"
echo "host signal test: graceful shutdown verified"
