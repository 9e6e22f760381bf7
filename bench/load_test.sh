#!/usr/bin/env bash
# Load test (issue 9 C; by hand, never in CI): starts axion-host paper trading on
# bench/load_test.toml with a fresh state dir and an admin key from --create-key, then runs
# build/bin/axion-load-test: REST GETs at a constant 1,000 req/s over 8 keep-alive connections
# (status, positions, history, config, strategies, health, metrics in turn) plus 100 WebSocket
# clients on every channel, for SECONDS after the warm-up and a 10 s idle baseline. It prints one
# summary block (achieved req/s, REST p50/p99, errors by kind, WS events, sequence gaps,
# disconnects, the engine's bar lag) and stops the host it started. Everything is on 127.0.0.1.
#
# Usage: bash bench/load_test.sh [BUILD_DIR=build] [SECONDS=600]
# Env:   RATE=1000 CONNS=8 WS_CLIENTS=100 PACE_MS=250 BASELINE=10 KEEP_WORK=0
#        REST_PORT / WS_PORT (default: two free ports)
# Exit:  0 PASS, 1 FAIL (REST errors, WS gaps or disconnects), 2 setup failure.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
SECS=${2:-600}
RATE=${RATE:-1000}
CONNS=${CONNS:-8}
WS_CLIENTS=${WS_CLIENTS:-100}
PACE_MS=${PACE_MS:-250}
BASELINE=${BASELINE:-10}
HOST_BIN=$BUILD/bin/axion-host
DRIVER=$BUILD/bin/axion-load-test
for b in "$HOST_BIN" "$DRIVER"; do
  [ -x "$b" ] || { echo "load test: $b is not built (cmake --build $BUILD --target axion-host axion_all_plugins axion-load-test)" >&2; exit 2; }
done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
REST_PORT=${REST_PORT:-$(free_port)}
WS_PORT=${WS_PORT:-$(free_port)}
[ "$REST_PORT" != "$WS_PORT" ] || WS_PORT=$(free_port)

WORK=$(mktemp -d /tmp/axion-load.XXXXXX)
STATE=$WORK/state
MANIFEST=$WORK/load_test.toml
sed -e "s/^port = 18100\$/port = $REST_PORT/" -e "s/^port = 18101\$/port = $WS_PORT/" \
    -e "s/^pace_ms = .*/pace_ms = $PACE_MS/" "$ROOT/bench/load_test.toml" > "$MANIFEST"

# The feed's nominal pace and its unpaced warm-up, from the manifest.
SYMBOLS=$(grep -m1 '^symbols' "$MANIFEST" | grep -o '"[^"]*"' | wc -l)
WARMUP=$(grep -m1 '^warmup_bars' "$MANIFEST" | grep -o '[0-9]*' || echo 200)
FEED_RATE=$(awk -v s="$SYMBOLS" -v p="$PACE_MS" 'BEGIN { printf "%.6f", s * 1000 / p }')

PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -INT "$PID" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PID" 2>/dev/null && { echo "load test: host did not stop in 30 s; killing it" >&2; kill -KILL "$PID"; }
    wait "$PID" 2>/dev/null
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "load test: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

umask 077
"$HOST_BIN" --state-dir "$STATE" --create-key admin --key-name load > "$WORK/key" ||
  { echo "load test: --create-key failed" >&2; exit 2; }

"$HOST_BIN" --pipeline "$MANIFEST" --state-dir "$STATE" > "$WORK/host.log" 2>&1 &
PID=$!
up=0
for _ in $(seq 1 600); do
  kill -0 "$PID" 2>/dev/null || break
  if (exec 3<>"/dev/tcp/127.0.0.1/$REST_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$WS_PORT") 2>/dev/null; then
    up=1
    break
  fi
  sleep 0.1
done
if [ "$up" != 1 ]; then
  echo "load test: axion-host did not come up on ports $REST_PORT/$WS_PORT; its log:" >&2
  tail -n 40 "$WORK/host.log" >&2
  exit 2
fi

echo "load test: host pid $PID, REST 127.0.0.1:$REST_PORT, WS 127.0.0.1:$WS_PORT, feed $FEED_RATE bars/s" \
     "($SYMBOLS symbols, pace_ms $PACE_MS), load $SECS s" >&2
# Bounded even if the driver hangs: warm-up (<= 180 s) + baseline + load + wind-down.
timeout --signal=INT --kill-after=10 $((SECS + BASELINE + 300)) \
  "$DRIVER" --rest-port "$REST_PORT" --ws-port "$WS_PORT" --key-file "$WORK/key" \
  --seconds "$SECS" --rate "$RATE" --connections "$CONNS" --ws-clients "$WS_CLIENTS" \
  --feed-bars-per-second "$FEED_RATE" --symbols "$SYMBOLS" --warmup-bars $((WARMUP * SYMBOLS)) --baseline-seconds "$BASELINE"
rc=$?
if ! kill -0 "$PID" 2>/dev/null; then
  echo "load test: axion-host exited during the run; its log:" >&2
  tail -n 40 "$WORK/host.log" >&2
  rc=1
fi
grep -E '\[(ERROR|CRITICAL)\]' "$WORK/host.log" | head -n 10 | sed 's/^/host log: /' >&2
exit "$rc"
