#!/usr/bin/env bash
# Soak test of issue 11: "no growth over a 10-minute mixed run".
#
# Starts a fresh `portico serve` (default durable mode, fresh data directory
# in a temporary directory, free loopback ports) with a gateway
# configuration, preloads the tables of bench/run.sh (prepare.js setup and
# setup-query), enables Time to Live, then runs for SOAK_MINUTES:
#   - wrk -t2 -c32 -s soak.lua ... ddb: GetItem, Query, PutItem, UpdateItem,
#     DeleteItem, BatchWriteItem, BatchGetItem, TransactWriteItems and Scan;
#     writes confined to a bounded key set, so the data stops growing;
#   - wrk -t1 -c4 -s soak.lua ... gw: the gateway's DynamoDB routes (GetItem,
#     UpdateItem), its http route (proxied to portico's own health answer)
#     and a mock route;
# while sampling the server's /proc/PID/status (RssAnon, VmRSS, RssFile,
# VmHWM, threads) and open descriptors every SOAK_INTERVAL seconds into
# soak.csv.
#
# Verdict: RssAnon (resident memory that is not file pages, so LMDB's map is
# left out) at the first sample at or after SOAK_WARMUP seconds of load is
# the baseline; the last sample under load must not exceed it by more than
# max(SOAK_MAX_GROWTH_PCT % of it, SOAK_MAX_GROWTH_KB). Exit 1 ("soak: FAIL")
# if it did, if open descriptors grew by more than SOAK_MAX_FD_GROWTH, if any
# response was not 2xx, if wrk saw any socket error or timeout, if the server
# died, or if preloaded items cannot be read back intact afterwards. The
# least-squares slope of RssAnon after the warm-up (kB/min) is printed too:
# a small but steady slope is a leak that a longer run would show.
#
# Environment: SOAK_MINUTES (10), SOAK_INTERVAL (10 s), SOAK_WARMUP (60 s),
# SOAK_MAX_GROWTH_PCT (10), SOAK_MAX_GROWTH_KB (4096), SOAK_MAX_FD_GROWTH (16),
# ITEMS (100000), QPARTS (100), QPER (100), SOAK_KEYS (5000 write keys per
# wrk thread), CONNECTIONS (32), THREADS (2), PORTICO_BIN (build/portico),
# PORTICO_THREADS (portico's --threads; default: its own default).
# Outputs (kept) go to bench/results/soak-<timestamp>/; the data directory
# is a temporary directory, removed at exit like every process started here.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
PORTICO_BIN=${PORTICO_BIN:-$ROOT/build/portico}
SOAK_MINUTES=${SOAK_MINUTES:-10}
SOAK_INTERVAL=${SOAK_INTERVAL:-10}
SOAK_WARMUP=${SOAK_WARMUP:-60}
SOAK_MAX_GROWTH_PCT=${SOAK_MAX_GROWTH_PCT:-10}
SOAK_MAX_GROWTH_KB=${SOAK_MAX_GROWTH_KB:-4096}
SOAK_MAX_FD_GROWTH=${SOAK_MAX_FD_GROWTH:-16}
SOAK_KEYS=${SOAK_KEYS:-5000}
ITEMS=${ITEMS:-100000}
QPARTS=${QPARTS:-100}
QPER=${QPER:-100}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORTICO_THREADS=${PORTICO_THREADS:-}
TABLE=bench
QTABLE=benchq

die() { echo "soak: FAIL: $*" >&2; exit 1; }
note() { echo "soak: $*" >&2; }

for v in SOAK_MINUTES SOAK_INTERVAL SOAK_WARMUP SOAK_MAX_GROWTH_PCT SOAK_MAX_GROWTH_KB \
         SOAK_MAX_FD_GROWTH SOAK_KEYS ITEMS QPARTS QPER CONNECTIONS THREADS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak: $v must be a non-negative integer, not '${!v}'" >&2; exit 2; }
done
[ -z "$PORTICO_THREADS" ] || [[ $PORTICO_THREADS =~ ^[1-9][0-9]*$ ]] ||
  { echo "soak: PORTICO_THREADS must be a positive integer" >&2; exit 2; }
DURATION=$((SOAK_MINUTES * 60))
[ "$SOAK_INTERVAL" -ge 1 ] || { echo "soak: SOAK_INTERVAL must be at least 1" >&2; exit 2; }
# There must be at least one sample after the baseline.
[ "$DURATION" -gt $((SOAK_WARMUP + SOAK_INTERVAL)) ] ||
  { echo "soak: SOAK_MINUTES*60 must exceed SOAK_WARMUP + SOAK_INTERVAL ($SOAK_WARMUP + $SOAK_INTERVAL s)" >&2; exit 2; }
[ "$SOAK_KEYS" -ge 25 ] || { echo "soak: SOAK_KEYS must be at least 25 (a BatchWriteItem takes 25 distinct keys)" >&2; exit 2; }
[ "$QPER" -ge 10 ] || { echo "soak: QPER must be at least 10 (a Query asks for 10 items)" >&2; exit 2; }
[ "$ITEMS" -ge 11 ] || { echo "soak: ITEMS must be at least 11" >&2; exit 2; }
if [ "$THREADS" -lt 1 ] || [ "$CONNECTIONS" -lt "$THREADS" ]; then
  echo "soak: need 1 <= THREADS <= CONNECTIONS" >&2; exit 2
fi

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v node >/dev/null || die "node not found (apt-get install nodejs)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
[ -x "$PORTICO_BIN" ] || die "$PORTICO_BIN not found: run 'make build' or set PORTICO_BIN"

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$BENCH_DIR/results/soak-$STAMP
[ ! -e "$OUT" ] || OUT=$OUT-$$
mkdir -p "$OUT"
DATA=$(mktemp -d "${TMPDIR:-/tmp}/portico-soak.XXXXXX")
CSV=$OUT/soak.csv

# ---- process bookkeeping: every pid started here is stopped on exit ----
SERVER_PID=
WRK_PIDS=()
cleanup() {
  local pid i
  trap - EXIT INT TERM
  for pid in "${WRK_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    # Up to 5 s to finish a commit and exit, then KILL.
    for i in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  for pid in "${WRK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$DATA"
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

# Two distinct free loopback ports, held open together so they differ.
read -r PORT_P PORT_G < <(node -e '
  const net = require("net"); const servers = [0, 1].map(() => net.createServer())
  let ready = 0
  for (const s of servers) s.listen(0, "127.0.0.1", () => {
    if (++ready < servers.length) return
    console.log(servers.map(x => x.address().port).join(" ")); servers.forEach(x => x.close())
  })')
URL=http://127.0.0.1:$PORT_P/
GW=http://127.0.0.1:$PORT_G/

# The gateway: DynamoDB GetItem and UpdateItem routes, an http route to
# portico's own health answer (GET on the DynamoDB endpoint: 200, no nginx
# needed) and a mock. Access log off, as in run.sh (10 minutes of it would
# only measure the disk).
cat >"$OUT/gateway.yaml" <<EOF
# Generated by bench/soak.sh.
gateway:
  listen: 127.0.0.1:$PORT_G
  accessLog: "off"
  apis:
    - name: soak
      basePath: /s
      stages:
        - {name: prod}
      routes:
        - method: GET
          path: "/items/{id}"
          integration:
            type: dynamodb
            action: GetItem
            request: {TableName: $TABLE, Key: {id: {S: "\${path.id}"}}}
        - method: POST
          path: "/items/{id}"
          integration:
            type: dynamodb
            action: UpdateItem
            request:
              TableName: $TABLE
              Key: {id: {S: "\${path.id}"}}
              UpdateExpression: "SET note = :note ADD hits :one"
              ExpressionAttributeValues: {":note": {S: "\${body.note}"}, ":one": {N: "1"}}
        - method: GET
          path: "/up/{proxy+}"
          integration: {type: http, url: "http://127.0.0.1:$PORT_P/{proxy}"}
        - {method: GET, path: /ping, integration: {type: mock, status: 200, body: '{"ok":true}'}}
EOF

SERVER_ARGS=(serve --listen "127.0.0.1:$PORT_P" --data-dir "$DATA/data" --config "$OUT/gateway.yaml")
[ -z "$PORTICO_THREADS" ] || SERVER_ARGS+=(--threads "$PORTICO_THREADS")
"$PORTICO_BIN" "${SERVER_ARGS[@]}" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!

for i in $(seq 150); do
  curl -fsS -o /dev/null "$URL" 2>/dev/null && curl -fsS -o /dev/null "${GW}s/prod/ping" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log" >&2; die "portico exited during startup"; }
  [ "$i" -lt 150 ] || die "portico not answering $URL and ${GW}s/prod/ping after 15 s"
  sleep 0.1
done

# status_kb FIELD: FIELD (RssAnon, VmRSS, ...) of the server, in kB.
status_kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || true; }
alive() { kill -0 "$SERVER_PID" 2>/dev/null && [ -r "/proc/$SERVER_PID/status" ]; }

# ---- preload, TTL, route checks ----
node "$BENCH_DIR/prepare.js" setup "$URL" "$TABLE" "$ITEMS" >&2 || die "preloading failed"
node "$BENCH_DIR/prepare.js" setup-query "$URL" "$QTABLE" "$QPARTS" "$QPER" >&2 || die "preloading the query table failed"
curl -fsS -o /dev/null -X POST "$URL" -H 'Content-Type: application/x-amz-json-1.0' \
  -H 'X-Amz-Target: DynamoDB_20120810.UpdateTimeToLive' \
  -d "{\"TableName\":\"$TABLE\",\"TimeToLiveSpecification\":{\"Enabled\":true,\"AttributeName\":\"exp\"}}" ||
  die "UpdateTimeToLive failed"
GW_ITEM=$(curl -fsS "${GW}s/prod/items/item-00000000") || die "the gateway's GetItem route failed"
case $GW_ITEM in *'"id":"item-00000000"'*) ;; *) die "the gateway's GetItem route answered $GW_ITEM" ;; esac
curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"note":"check"}' "${GW}s/prod/items/gw-check" ||
  die "the gateway's UpdateItem route failed"
case $(curl -fsS "${GW}s/prod/up/health") in healthy*) ;; *) die "the gateway's http route does not proxy portico" ;; esac

# ---- load and sampling ----
echo "t_s,phase,rss_anon_kb,vm_rss_kb,rss_file_kb,vm_hwm_kb,threads,fds" >"$CSV"
sample() { # T PHASE: one CSV row; prints it too
  local row
  row="$1,$2,$(status_kb RssAnon),$(status_kb VmRSS),$(status_kb RssFile),$(status_kb VmHWM),$(status_kb Threads),$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
  echo "$row" >>"$CSV"
  echo "$row"
}
sample 0 loaded >/dev/null
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "kernel: $(uname -sr)"
  echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "portico: $PORTICO_BIN ${PORTICO_THREADS:+--threads $PORTICO_THREADS}"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
  echo "settings: SOAK_MINUTES=$SOAK_MINUTES SOAK_INTERVAL=$SOAK_INTERVAL SOAK_WARMUP=$SOAK_WARMUP ITEMS=$ITEMS QPARTS=$QPARTS QPER=$QPER SOAK_KEYS=$SOAK_KEYS CONNECTIONS=$CONNECTIONS THREADS=$THREADS"
} >"$OUT/env.txt"

note "$SOAK_MINUTES min mixed load: wrk -t$THREADS -c$CONNECTIONS on $URL, wrk -t1 -c4 on the gateway; samples every $SOAK_INTERVAL s in ${OUT#"$ROOT"/}/soak.csv"
# In the background, then wait: wrk treats SIGINT as "stop and report".
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency -s "$BENCH_DIR/soak.lua" "$URL" \
  -- ddb "$TABLE" "$ITEMS" "$QTABLE" "$QPARTS" "$QPER" "$SOAK_KEYS" >"$OUT/wrk-ddb.txt" 2>&1 &
WRK_PIDS+=($!)
wrk -t1 -c4 -d"${DURATION}s" --timeout 5s --latency -s "$BENCH_DIR/soak.lua" "$GW" \
  -- gw "$ITEMS" "$SOAK_KEYS" >"$OUT/wrk-gw.txt" 2>&1 &
WRK_PIDS+=($!)
START=$(date +%s.%N)

# Samples at 0, INTERVAL, 2*INTERVAL, ... and a last one a second before wrk
# stops (while the connections are still open and busy).
echo "t_s,phase,rss_anon_kb,vm_rss_kb,rss_file_kb,vm_hwm_kb,threads,fds" >&2
k=0
while :; do
  t=$((k * SOAK_INTERVAL))
  last=0
  if [ "$t" -ge $((DURATION - 1)) ]; then t=$((DURATION - 1)); last=1; fi
  wait_s=$(awk -v s="$START" -v t="$t" -v now="$(date +%s.%N)" 'BEGIN { w = s + t - now; printf "%.3f", (w > 0 ? w : 0) }')
  sleep "$wait_s"
  alive || die "portico died during the soak (after about $t s; see ${OUT#"$ROOT"/}/server.log)"
  sample "$t" load >&2
  [ "$last" -eq 0 ] || break
  k=$((k + 1))
done

for i in 0 1; do
  wait "${WRK_PIDS[$i]}" || { cat "$OUT/wrk-ddb.txt" "$OUT/wrk-gw.txt" >&2; die "wrk failed"; }
done
WRK_PIDS=()
alive || die "portico died during the soak (see ${OUT#"$ROOT"/}/server.log)"
sleep 1
sample "$((DURATION + 1))" after >/dev/null

# ---- wrk results: every response 2xx, no socket errors ----
check_wrk() { # NAME FILE
  local line kv r_requests=0 r_duration_us=1 r_p50_us=0 r_p99_us=0 r_max_us=0 r_non2xx=0
  local r_connect_errors=0 r_read_errors=0 r_write_errors=0 r_timeouts=0
  line=$(grep '^BENCH_RESULT' "$2") || { cat "$2" >&2; die "no BENCH_RESULT line from the $1 wrk"; }
  for kv in ${line#BENCH_RESULT }; do local "r_${kv%%=*}=${kv#*=}"; done
  printf '%-8s %9d requests  %7.0f req/s  p50 %6d us  p99 %7d us  max %8d us  non-2xx %d  socket errors %d\n' \
    "$1" "$r_requests" "$(awk -v n="$r_requests" -v us="$r_duration_us" 'BEGIN { print n / (us / 1e6) }')" \
    "$r_p50_us" "$r_p99_us" "$r_max_us" "$r_non2xx" \
    $((r_connect_errors + r_read_errors + r_write_errors + r_timeouts))
  [ "$r_non2xx" -eq 0 ] || FAILS+=("$1: $r_non2xx of $r_requests responses were not 2xx (see ${OUT#"$ROOT"/}/server.log)")
  [ $((r_connect_errors + r_read_errors + r_write_errors + r_timeouts)) -eq 0 ] ||
    FAILS+=("$1: socket errors connect=$r_connect_errors read=$r_read_errors write=$r_write_errors timeout=$r_timeouts")
  [ "$r_requests" -gt 0 ] || FAILS+=("$1: no request completed")
}
FAILS=()
echo
echo "soak: $SOAK_MINUTES min, portico $(basename "$PORTICO_BIN") on $(nproc) cores (wrk shares them)"
check_wrk dynamodb "$OUT/wrk-ddb.txt"
check_wrk gateway "$OUT/wrk-gw.txt"

# Preloaded items are never written by the soak: they must be intact.
node "$BENCH_DIR/prepare.js" verify "$URL" "$TABLE" "$ITEMS" >&2 || FAILS+=("preloaded items changed or lost")

# ---- memory verdict ----
echo
column -t -s, "$CSV" 2>/dev/null || cat "$CSV"
read -r BASE_T BASE_ANON BASE_FDS LAST_T LAST_ANON LAST_FDS PEAK_ANON SLOPE < <(awk -F, -v w="$SOAK_WARMUP" '
  NR > 1 && $2 == "load" {
    if ($3 > peak) peak = $3
    if ($1 >= w) {
      if (bt == "") { bt = $1; ba = $3; bf = $8 }
      lt = $1; la = $3; lf = $8
      n++; sx += $1; sy += $3; sxx += $1 * $1; sxy += $1 * $3
    }
  }
  END {
    d = n * sxx - sx * sx
    slope = (n > 1 && d != 0) ? (n * sxy - sx * sy) / d * 60 : 0
    printf "%s %s %s %s %s %s %s %.1f\n", bt, ba, bf, lt, la, lf, peak, slope
  }' "$CSV")
LIMIT=$(( BASE_ANON * SOAK_MAX_GROWTH_PCT / 100 ))
[ "$LIMIT" -ge "$SOAK_MAX_GROWTH_KB" ] || LIMIT=$SOAK_MAX_GROWTH_KB
GROWTH=$((LAST_ANON - BASE_ANON))
echo
echo "RssAnon at ${BASE_T} s (baseline, after ${SOAK_WARMUP} s warm-up): $BASE_ANON kB; at ${LAST_T} s: $LAST_ANON kB;" \
     "growth $GROWTH kB (limit $LIMIT kB = max($SOAK_MAX_GROWTH_PCT %, $SOAK_MAX_GROWTH_KB kB));" \
     "peak $PEAK_ANON kB; trend after warm-up $SLOPE kB/min"
echo "open descriptors: $BASE_FDS at ${BASE_T} s, $LAST_FDS at ${LAST_T} s (limit +$SOAK_MAX_FD_GROWTH)"
[ "$GROWTH" -le "$LIMIT" ] || FAILS+=("RssAnon grew by $GROWTH kB between ${BASE_T} s and ${LAST_T} s (limit $LIMIT kB)")
[ $((LAST_FDS - BASE_FDS)) -le "$SOAK_MAX_FD_GROWTH" ] ||
  FAILS+=("open descriptors grew from $BASE_FDS to $LAST_FDS")
grep -iE 'leak|error|assert|sanitizer' "$OUT/server.log" | head -5 >&2 || true

if [ "${#FAILS[@]}" -gt 0 ]; then
  for f in "${FAILS[@]}"; do echo "soak: FAIL: $f" >&2; done
  echo "soak: raw output in ${OUT#"$ROOT"/}/" >&2
  exit 1
fi
echo "soak: PASS (raw output in ${OUT#"$ROOT"/}/)"
