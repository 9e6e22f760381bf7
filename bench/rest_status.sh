#!/usr/bin/env bash
# REST throughput while the engine paper trades (issue #5 item 7): starts axion-host on
# bench/rest_bench.toml (configs/paper.toml + [api] rate_limit = false) with a fresh state dir,
# creates a read key with --create-key, then runs
#   wrk -t2 -c32 -d10s -H 'X-API-Key: …' http://127.0.0.1:PORT/api/v1/bot/status
# Usage: bench/rest_status.sh [BUILD_DIR=build] [PORT=18000]   (env DURATION=10s THREADS=2 CONNS=32)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
PORT=${2:-18000}
HOST_BIN=$BUILD/bin/axion-host
command -v wrk >/dev/null || { echo "rest bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$HOST_BIN" ] || { echo "rest bench: $HOST_BIN not built" >&2; exit 1; }

WORK=$(mktemp -d)
STATE=$WORK/state
sed "s/^port = .*/port = $PORT/" "$ROOT/bench/rest_bench.toml" > "$WORK/rest_bench.toml"
KEY=$("$HOST_BIN" --state-dir "$STATE" --create-key read --key-name bench)

"$HOST_BIN" --pipeline "$WORK/rest_bench.toml" --state-dir "$STATE" > "$WORK/host.log" 2>&1 &
PID=$!
cleanup() {
  kill -INT "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/health" >/dev/null || { echo "rest bench: server did not come up" >&2; cat "$WORK/host.log" >&2; exit 1; }
sleep "${WARMUP:-5}"  # let the synthetic market produce signals and fills first

status() {
  curl -fs -H "X-API-Key: $KEY" "http://127.0.0.1:$PORT/api/v1/bot/status" |
    python3 -c 'import json,sys; s=json.load(sys.stdin); print("status", s["status"], "| signals processed", s["signals_processed"], "| executed", s["signals_executed"], "| open positions", s["open_positions"])'
}
echo "before: $(status)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t"${THREADS:-2}" -c"${CONNS:-32}" -d"${DURATION:-10s}" --latency -H "X-API-Key: $KEY" \
  "http://127.0.0.1:$PORT/api/v1/bot/status"
echo "after:  $(status)"
