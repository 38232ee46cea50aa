#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: unlike
# requests/s on a shared, noisy machine, these are repeatable to well under
# 1 %, so they track the CPU cost of GetItem and PutItem from change to change.
#
#   bench/callgrind.sh                 GetItem and PutItem, 2000 requests each
#   COUNT=5000 bench/callgrind.sh
#   OPS="PutItem BatchWriteItem" NO_SYNC=1 bench/callgrind.sh
#
# OPS may also name BatchWriteItem: BATCH_COUNT (400) requests of 25 new
# items each (the item of prepare.js), reported per request and per item.
# NO_SYNC=1 serves with --no-sync: fsync costs no user-space instructions
# anyway, but a durable store also runs its write-ahead log, and with
# NO_SYNC the count is of the request path alone.
#
# Repeatability: the request path is counted to within a fraction of a
# percent, but a PutItem's LMDB commit (one commit per request here) moves
# between about 5,000 and 11,000 instructions from run to run, with the
# free-page list the concurrent preload left behind; compare PutItem runs
# by their request path (callgrind_annotate --inclusive=yes: pt_call_start
# on the loop thread, job_apply on the writer) or by medians of several
# runs. BatchWriteItem amortises the commit over 25 items.
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
BATCH_COUNT=${BATCH_COUNT:-400}
NO_SYNC=${NO_SYNC:-}
TABLE=bench
SYNC_FLAG=()
[ -z "$NO_SYNC" ] || SYNC_FLAG=(--no-sync)

die() { echo "callgrind: FAIL: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"
[ -x "$PORTICO_BIN" ] || die "$PORTICO_BIN not found: run 'make build' or set PORTICO_BIN"
for op in $OPS; do
  case $op in GetItem | PutItem | BatchWriteItem) ;;
    *) die "unknown operation '$op' in OPS (GetItem, PutItem, BatchWriteItem)" ;; esac
done

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

"$PORTICO_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" "${SYNC_FLAG[@]}" >"$OUT/server.log" 2>&1 &
PID=$!
wait_ready
node "$BENCH_DIR/prepare.js" setup "$URL" "$TABLE" "$ITEMS" >&2
kill -TERM "$PID"; wait "$PID" || true; PID=

# BatchWriteItem driver (prepare.js drive knows GetItem and PutItem only):
# COUNT (its third argument) requests, one at a time, each of 25 new items
# made like prepare.js's item().
drive_batch() { # URL TABLE COUNT RUNID
  node - "$@" <<'EOF_JS'
'use strict'
const http = require('http')
const [url, table, count, runid] = process.argv.slice(2)
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
const PAYLOAD = 'x'.repeat(150)
function call (body) {
  const data = Buffer.from(JSON.stringify(body))
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent,
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.BatchWriteItem',
                 'Content-Length': data.length },
    }, res => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(data)
  })
}
async function main () {
  for (let i = 0; i < Number(count); i++) {
    const reqs = []
    for (let j = 0; j < 25; j++) {
      const n = i * 25 + j + 1
      reqs.push({ PutRequest: { Item: { id: { S: `bw-${runid}-${n}` }, n: { N: String(n) }, payload: { S: PAYLOAD } } } })
    }
    const r = await call({ RequestItems: { [table]: reqs } })
    if (r.status !== 200 || r.text !== '{"UnprocessedItems":{}}') throw new Error(`BatchWriteItem answered ${r.status}: ${r.text.slice(0, 300)}`)
  }
}
main().then(() => agent.destroy(), e => { console.error('drive_batch: ' + e.message); process.exit(1) })
EOF_JS
}

for op in $OPS; do
  n=$COUNT
  [ "$op" != BatchWriteItem ] || n=$BATCH_COUNT
  valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$op" \
    "$PORTICO_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --threads 1 \
    --ttl-period 3600 --map-size 1024 "${SYNC_FLAG[@]}" >"$OUT/server-$op.log" 2>&1 &
  PID=$!
  wait_ready
  if [ "$op" = BatchWriteItem ]; then
    drive_batch "$URL" "$TABLE" 40 warm
    callgrind_control -z "$PID" >/dev/null 2>&1
    drive_batch "$URL" "$TABLE" "$n" run
  else
    node "$BENCH_DIR/prepare.js" drive "$URL" "$TABLE" "$op" 200 "$ITEMS" warm-$op
    callgrind_control -z "$PID" >/dev/null 2>&1
    node "$BENCH_DIR/prepare.js" drive "$URL" "$TABLE" "$op" "$n" "$ITEMS" run-$op
  fi
  callgrind_control -d "$PID" >/dev/null 2>&1
  kill -TERM "$PID"; wait "$PID" || true; PID=
  # Part 1, the dump after -z, holds exactly the COUNT requests (plus idle
  # loop turns); the file without suffix is the shutdown.
  dump=$OUT/callgrind.out.$op.1
  [ -f "$dump" ] || die "no callgrind dump $dump"
  ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$dump")
  per_item=
  [ "$op" != BatchWriteItem ] || per_item=", $((ir / (n * 25))) per item"
  # Not `done | tee`: the loop would run in a subshell, and a failure there
  # would leave its server running (the EXIT trap sees only this PID).
  echo "$op: $((ir / n)) instructions/request$per_item (${ir} over $n requests${NO_SYNC:+, --no-sync}; $(basename "$dump"))" |
    tee -a "$OUT/summary.txt"
done
