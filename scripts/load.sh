#!/usr/bin/env bash
# Load test, loopback only and bounded in time: the demo app without the
# stack and with every layer on (audit included), in the same run, with wrk.
# Prints each run's throughput and p99 latency, then the throughput ratio.
#
#   scripts/load.sh                       # 10 s per run, 32 connections
#   DURATION=5s CONNECTIONS=64 scripts/load.sh
#
# The demo's quotas (3 lookups a minute per phone number) would refuse
# almost all of the load; the environment overrides below raise them, so
# every request goes through every layer and is answered 200.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-1}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

if ! command -v wrk >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi

cargo build --release -q -p rimguard-cli
bin="$TARGET_DIR/release/rimguard"

export RIMGUARD__RATE_LIMITS__PER_IP__POLICIES='[{ name = "burst", quota = 1000000000, window = "10s" }]'
export RIMGUARD__RATE_LIMITS__PER_PHONE__POLICIES='[{ name = "lookup", quota = 1000000000, window = "10s" }]'
# The audit file is written in batches (at most 256 records or 50 ms lost
# in a crash) instead of the demo's flush per record; AUDIT_FLUSH=every-record
# measures the other.
if [ "${AUDIT_FLUSH:-batch}" = "batch" ]; then
  export RIMGUARD__AUDIT__FLUSH='{ batch = { records = 256, ms = 50 } }'
fi
export RIMGUARD_LOG=error

# The demo's bot key: a public, demo-only value (see DEMO_SECRETS).
key="rg_demo_bot_0123456789abcdef"
path="/customers?phone=%2B447911123456"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# run NAME [demo flags...]: serve, load, stop; prints "NAME rps p99".
run() {
  local name="$1"; shift
  "$bin" demo --serve --no-tour --listen 127.0.0.1:0 "$@" >"$work/$name.out" 2>&1 &
  local pid=$!
  pids+=("$pid")
  local url=""
  for _ in $(seq 1 100); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/$name.out" || true)"
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the $name server did not start"; cat "$work/$name.out"; exit 1; }

  local status
  status="$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $key" "$url$path")"
  [ "$status" = "200" ] || { echo "$name answers $status, not 200"; exit 1; }

  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -H "authorization: Bearer $key" "$url$path" >"$work/$name.wrk"
  kill "$pid"
  wait "$pid" 2>/dev/null || true

  local rps p99 non2xx
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.wrk")"
  p99="$(awk '$1 == "99%" {print $2}' "$work/$name.wrk")"
  non2xx="$(awk '/Non-2xx/ {print $5}' "$work/$name.wrk")"
  printf '%-12s %12s req/s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p99" "${non2xx:-0}"
  echo "$rps" >"$work/$name.rps"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET $path, loopback"
run bare --no-stack
run full-stack
awk -v bare="$(cat "$work/bare.rps")" -v full="$(cat "$work/full-stack.rps")" \
  'BEGIN { printf "full stack / bare throughput: %.1f%%\n", 100 * full / bare }'
