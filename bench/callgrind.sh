#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: unlike
# requests/s on a shared, noisy machine, these are repeatable to well under
# 1 %, so they track the CPU cost of GetItem and PutItem from change to change.
#
#   bench/callgrind.sh                 GetItem and PutItem, 2000 requests each
#   COUNT=5000 bench/callgrind.sh
#
# Preloads ITEMS (10000) items with a native portico, then runs
# `portico serve --threads 1` under callgrind (instrumentation on from the
# start, TTL sweeps every hour so they do not land in the count), warms up
# with 200 requests of the operation, zeroes the counters (callgrind_control
# -z), sends COUNT requests one at a time over one keep-alive connection
# (prepare.js drive), dumps, and divides the whole process's instruction
# count (every thread: loop, writer) by COUNT. The client's instructions are
# not counted; the kernel's are not either (callgrind sees user space only).
# Output: one line per operation, and the callgrind.out files (annotate them
# with callgrind_annotate) in bench/results/callgrind-<timestamp>/.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
PORTICO_BIN=${PORTICO_BIN:-$ROOT/build/portico}
COUNT=${COUNT:-2000}
ITEMS=${ITEMS:-10000}
OPS=${OPS:-GetItem PutItem}
TABLE=bench

die() { echo "callgrind: FAIL: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"
[ -x "$PORTICO_BIN" ] || die "$PORTICO_BIN not found: run 'make build' or set PORTICO_BIN"

OUT=$BENCH_DIR/results/callgrind-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
DATA=$OUT/data
PID=
cleanup() {
  [ -z "$PID" ] || { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  rm -rf "$DATA"
}
trap cleanup EXIT

PORT=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')
URL=http://127.0.0.1:$PORT/

wait_ready() {
  local i
  for i in $(seq 600); do
    curl -fsS -o /dev/null "$URL" 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$OUT/server.log" >&2; die "portico exited during startup"; }
    sleep 0.1
  done
  die "portico not answering on $URL"
}

"$PORTICO_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" >"$OUT/server.log" 2>&1 &
PID=$!
wait_ready
node "$BENCH_DIR/prepare.js" setup "$URL" "$TABLE" "$ITEMS" >&2
kill -TERM "$PID"; wait "$PID" || true; PID=

for op in $OPS; do
  valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$op" \
    "$PORTICO_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --threads 1 \
    --ttl-period 3600 --map-size 1024 >"$OUT/server-$op.log" 2>&1 &
  PID=$!
  wait_ready
  node "$BENCH_DIR/prepare.js" drive "$URL" "$TABLE" "$op" 200 "$ITEMS" warm-$op
  callgrind_control -z "$PID" >/dev/null 2>&1
  node "$BENCH_DIR/prepare.js" drive "$URL" "$TABLE" "$op" "$COUNT" "$ITEMS" run-$op
  callgrind_control -d "$PID" >/dev/null 2>&1
  kill -TERM "$PID"; wait "$PID" || true; PID=
  # Part 1, the dump after -z, holds exactly the COUNT requests (plus idle
  # loop turns); the file without suffix is the shutdown.
  dump=$OUT/callgrind.out.$op.1
  [ -f "$dump" ] || die "no callgrind dump $dump"
  ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$dump")
  echo "$op: $((ir / COUNT)) instructions/request (${ir} over $COUNT requests; $(basename "$dump"))"
done | tee "$OUT/summary.txt"
