#!/usr/bin/env bash
# Load benchmark: GetItem and PutItem against portico and dynalite, in the
# same run, on the same machine, with the same wrk scripts and bytes.
#
# Starts three servers on free loopback ports: portico in its default
# (durable: a PutItem is acknowledged after its commit is on disk), portico
# with --no-sync, and dynalite (in memory, its default). Creates the table
# "bench" (hash key id S) on each, preloads ITEMS items of ~200 bytes, checks
# a sample reads back, then runs wrk:
#   GetItem  random preloaded keys   portico, dynalite
#   PutItem  new keys                portico, portico --no-sync, dynalite
# each with THREADS threads and CONNECTIONS connections, then again with one
# connection (latency: one request in flight at a time).
#
# A run fails loudly (exit 1, no table) if any response was not 2xx, if any
# socket error or timeout occurred, if a server died, or if data it
# acknowledged cannot be read back: a broken server never reports a fast
# number. Raw outputs go to bench/results/<timestamp>/. Every process started
# here is stopped on exit, including on Ctrl-C.
#
# Environment: DURATION (10s), CONNECTIONS (32), THREADS (2), ITEMS (10000),
# WARMUP (2s), PORTICO_BIN (build/portico), BENCH_STANDIN=dynalite (run a
# second and third dynalite in portico's place: tests this harness alone).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
PORTICO_BIN=${PORTICO_BIN:-$ROOT/build/portico}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ITEMS=${ITEMS:-10000}
WARMUP=${WARMUP:-2s}
BENCH_STANDIN=${BENCH_STANDIN:-}
TABLE=bench

for v in CONNECTIONS THREADS ITEMS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
# wrk wants a unit; accept a bare number of seconds too.
case $DURATION in *[0-9]) DURATION=${DURATION}s ;; esac
case $WARMUP in *[0-9]) WARMUP=${WARMUP}s ;; esac
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS

die() { echo "bench: FAIL: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v node >/dev/null || die "node not found (apt-get install nodejs npm)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
if [ -z "$BENCH_STANDIN" ]; then
  [ -x "$PORTICO_BIN" ] || die "$PORTICO_BIN not found: run 'make build' or set PORTICO_BIN"
elif [ "$BENCH_STANDIN" != dynalite ]; then
  die "BENCH_STANDIN must be empty or 'dynalite'"
fi

if [ ! -x "$BENCH_DIR/node_modules/.bin/dynalite" ]; then
  note "installing dynalite into bench/node_modules"
  (cd "$BENCH_DIR" && { npm ci --no-audit --no-fund --loglevel=error ||
                        npm install --no-audit --no-fund --loglevel=error; }) >&2 ||
    die "npm could not install dynalite"
fi
DYNALITE_JS=$BENCH_DIR/node_modules/dynalite/cli.js

STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$BENCH_DIR/results/$STAMP
[ ! -e "$RESULTS" ] || RESULTS=$RESULTS-$$
mkdir -p "$RESULTS"
CSV=$RESULTS/results.csv
echo "operation,connections,server,requests_per_s,p50_us,p90_us,p99_us,max_us,requests,other_cpu_pct" >"$CSV"

# ---- process bookkeeping: every pid started here is stopped on exit ----
PIDS=()
WRK_PID=
cleanup() {
  local pid i
  trap - EXIT INT TERM
  [ -z "$WRK_PID" ] || kill -TERM "$WRK_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Give each up to 5 s to exit (portico may be finishing a commit), then KILL.
  for pid in "${PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$RESULTS"/data-*
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

# Three distinct free loopback ports, held open together so none repeats.
read -r PORT_P PORT_PN PORT_D < <(node -e '
  const net = require("net"); const servers = [0, 1, 2].map(() => net.createServer())
  let ready = 0
  for (const s of servers) s.listen(0, "127.0.0.1", () => {
    if (++ready < 3) return
    console.log(servers.map(x => x.address().port).join(" ")); servers.forEach(x => x.close())
  })')

# start_server LABEL PORT DATADIR [portico flags...]; sets STARTED_PID.
start_server() {
  local label=$1 port=$2 data=$3; shift 3
  local log=$RESULTS/server-$label.log
  if [ -n "$BENCH_STANDIN" ] || [ "$label" = dynalite ]; then
    node "$DYNALITE_JS" --host 127.0.0.1 --port "$port" --createTableMs 0 >"$log" 2>&1 &
  else
    mkdir -p "$data"
    "$PORTICO_BIN" serve --listen "127.0.0.1:$port" --data-dir "$data" "$@" >"$log" 2>&1 &
  fi
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}

wait_ready() {
  local label=$1 port=$2 pid=$3 i
  for i in $(seq 150); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$RESULTS/server-$label.log" >&2; die "$label exited during startup"; }
    sleep 0.1
  done
  die "$label not answering GET / on port $port after 15 s"
}

start_server portico "$PORT_P" "$RESULTS/data-portico"; PID_P=$STARTED_PID
start_server portico-nosync "$PORT_PN" "$RESULTS/data-portico-nosync" --no-sync; PID_PN=$STARTED_PID
start_server dynalite "$PORT_D" ""; PID_D=$STARTED_PID
wait_ready portico "$PORT_P" "$PID_P"
wait_ready portico-nosync "$PORT_PN" "$PID_PN"
wait_ready dynalite "$PORT_D" "$PID_D"

declare -A URL=([portico]=http://127.0.0.1:$PORT_P/ [portico-nosync]=http://127.0.0.1:$PORT_PN/
                [dynalite]=http://127.0.0.1:$PORT_D/)
declare -A PID=([portico]=$PID_P [portico-nosync]=$PID_PN [dynalite]=$PID_D)
declare -A LABEL=([portico]="portico" [portico-nosync]="portico --no-sync" [dynalite]="dynalite (memory)")
if [ -n "$BENCH_STANDIN" ]; then
  LABEL[portico]="STAND-IN dynalite"
  LABEL[portico-nosync]="STAND-IN dynalite 2"
  note "BENCH_STANDIN=dynalite: the portico rows are measuring dynalite, not portico"
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel: $(uname -sr)"
  echo "wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "node: $(node --version)"
  echo "dynalite: $(node -p "require('$BENCH_DIR/node_modules/dynalite/package.json').version")"
  echo "portico: ${BENCH_STANDIN:+stand-in }$PORTICO_BIN"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
  echo "data dir filesystem: $(df -T "$RESULTS" | awk 'NR==2 {print $2}')"
  echo "settings: DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS ITEMS=$ITEMS WARMUP=$WARMUP"
} >"$RESULTS/env.txt"
# Other work on the machine skews everything (wrk and the servers already
# share 2 cores): measure how busy the CPUs are over one second and say so.
BUSY=$( { head -1 /proc/stat; sleep 1; head -1 /proc/stat; } | awk '
  { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i }
  NR == 1 { i0 = idle; t0 = total } NR == 2 { printf "%.0f", 100 * (1 - (idle - i0) / (total - t0)) }')
echo "cpu busy before start: $BUSY%" >>"$RESULTS/env.txt"
if [ "$BUSY" -gt 20 ]; then
  note "warning: the CPUs were $BUSY% busy before the benchmark started: figures will be low and noisy"
fi
if [ "$(df -T "$RESULTS" | awk 'NR==2 {print $2}')" = tmpfs ]; then
  note "warning: $RESULTS is on tmpfs: durable PutItem figures will be meaninglessly fast"
fi

for s in portico portico-nosync dynalite; do
  node "$BENCH_DIR/prepare.js" setup "${URL[$s]}" "$TABLE" "$ITEMS" >&2 || die "preloading $s failed"
  node "$BENCH_DIR/prepare.js" verify "${URL[$s]}" "$TABLE" "$ITEMS" >&2 || die "$s lost preloaded items"
done

# cpu_snapshot: "BUSY TOTAL OURS" in clock ticks since boot: all CPUs' busy
# and total time, and the CPU time of the servers plus this shell's reaped
# children (wrk). Two snapshots around a run tell how much CPU *other*
# processes took meanwhile: on a shared machine that is what makes a figure
# untrustworthy, so every run records it.
cpu_snapshot() {
  local pid ours=0 f
  for pid in "${PIDS[@]}"; do
    f=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    f=${f##*) }   # fields after "pid (comm) "; utime, stime are the 12th, 13th
    ours=$((ours + $(echo "$f" | awk '{ print $12 + $13 }')))
  done
  f=$(cat "/proc/$$/stat"); f=${f##*) }
  ours=$((ours + $(echo "$f" | awk '{ print $14 + $15 }')))   # cutime, cstime
  # busy = user + nice + system + steal. irq and softirq are left out: the
  # kernel's loopback TCP work lands there, charged to no process, and would
  # otherwise pass for someone else's load (~12 % of the CPUs at 45k req/s).
  awk -v ours="$ours" 'NR == 1 { total = 0; for (i = 2; i <= 9; i++) total += $i
                                 print $2 + $3 + $4 + $9, total, ours }' /proc/stat
}

# run_wrk NAME OP SERVER CONNS THREADS DURATION SCRIPT ARGS...
# Runs wrk, keeps its full output in NAME.txt, fails on any non-2xx response,
# socket error or dead server, and appends a row to results.csv (unless the
# name starts with "warmup").
run_wrk() {
  local name=$1 op=$2 server=$3 conns=$4 threads=$5 dur=$6 script=$7; shift 7
  local out=$RESULTS/$name.txt line
  note "$name: $op on ${LABEL[$server]}, $conns connection(s), $threads thread(s), $dur"
  # In the background, then wait: wrk treats SIGINT as "stop and report" and
  # exits 0, after which bash would carry on without running its INT trap.
  # Waiting instead lets Ctrl-C reach the trap at once (cleanup stops wrk).
  wrk -t"$threads" -c"$conns" -d"$dur" --timeout 5s --latency \
      -s "$BENCH_DIR/$script" "${URL[$server]}" -- "$@" >"$out" 2>&1 &
  WRK_PID=$!
  local before after other
  before=$(cpu_snapshot)
  wait "$WRK_PID" || { WRK_PID=; cat "$out" >&2; die "wrk failed in $name"; }
  WRK_PID=
  after=$(cpu_snapshot)
  # Share of the machine's capacity that other processes used during the run.
  other=$(echo "$before $after" | awk '{ t = $5 - $2; o = ($4 - $1) - ($6 - $3)
                                         printf "%.0f", ((t > 0 && o > 0) ? 100 * o / t : 0) }')
  line=$(grep '^BENCH_RESULT' "$out") || { cat "$out" >&2; die "no BENCH_RESULT line in $name"; }
  kill -0 "${PID[$server]}" 2>/dev/null || die "${LABEL[$server]} died during $name"
  # Turn "BENCH_RESULT k=v k=v ..." into shell variables r_k.
  local r_requests r_duration_us r_p50_us r_p90_us r_p99_us r_max_us r_non2xx
  local r_connect_errors r_read_errors r_write_errors r_timeouts kv
  for kv in ${line#BENCH_RESULT }; do local "r_${kv%%=*}=${kv#*=}"; done
  [ "$r_non2xx" -eq 0 ] ||
    die "$name: $r_non2xx of $r_requests responses were not 2xx (see $out and server-$server.log)"
  [ $((r_connect_errors + r_read_errors + r_write_errors + r_timeouts)) -eq 0 ] ||
    die "$name: socket errors connect=$r_connect_errors read=$r_read_errors write=$r_write_errors timeout=$r_timeouts (see $out)"
  [ "$r_requests" -gt 0 ] || die "$name: no request completed"
  case $name in warmup*) return 0 ;; esac
  local rps
  rps=$(awk -v n="$r_requests" -v us="$r_duration_us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
  echo "$op,$conns,${LABEL[$server]},$rps,$r_p50_us,$r_p90_us,$r_p99_us,$r_max_us,$r_requests,$other" >>"$CSV"
  if [ "$other" -gt 10 ]; then
    note "warning: other processes used $other% of the CPUs during $name"
  fi
}

# A short GetItem load first wakes each server up (V8's JIT, page cache,
# connection setup) so the first measured run is not penalised.
for s in portico portico-nosync dynalite; do
  run_wrk "warmup-$s" GetItem "$s" "$CONNECTIONS" "$THREADS" "$WARMUP" getitem.lua "$TABLE" "$ITEMS"
done

RUN=0
put_run() { # SERVER CONNS THREADS
  RUN=$((RUN + 1))
  local runid=$STAMP-$RUN
  run_wrk "putitem-c$2-$1" PutItem "$1" "$2" "$3" "$DURATION" putitem.lua "$TABLE" "$runid"
  node "$BENCH_DIR/prepare.js" check-put "${URL[$1]}" "$TABLE" "$runid" "$3" >&2 ||
    die "${LABEL[$1]} acknowledged PutItems it cannot read back"
}

CONN_LIST="$CONNECTIONS 1"
[ "$CONNECTIONS" -eq 1 ] && CONN_LIST=1
for c in $CONN_LIST; do
  t=$THREADS; [ "$c" -eq 1 ] && t=1
  for s in portico dynalite; do
    run_wrk "getitem-c$c-$s" GetItem "$s" "$c" "$t" "$DURATION" getitem.lua "$TABLE" "$ITEMS"
  done
  for s in portico portico-nosync dynalite; do put_run "$s" "$c" "$t"; done
done

# Preloaded items must still be there after all the writes.
for s in portico portico-nosync dynalite; do
  node "$BENCH_DIR/prepare.js" verify "${URL[$s]}" "$TABLE" "$ITEMS" >&2 || die "$s lost preloaded items"
done

# ---- the table ----
awk -F, '
  function lat(us) {
    if (us >= 10000) return sprintf("%.1f ms", us / 1000)
    if (us >= 1000) return sprintf("%.2f ms", us / 1000)
    return sprintf("%d us", us)
  }
  NR == 1 { next }
  { row[NR] = $0; if ($3 ~ /^dynalite/) base[$1 "," $2] = $4 }
  END {
    printf "%-8s %5s  %-20s %10s %10s %10s  %-16s %s\n", "op", "conns", "server", "req/s", "p50", "p99", "portico/dynalite", "other load"
    for (i = 2; i <= NR; i++) {
      split(row[i], f, ",")
      ratio = "-"
      if (f[3] !~ /^dynalite/ && base[f[1] "," f[2]] > 0) ratio = sprintf("%.2fx", f[4] / base[f[1] "," f[2]])
      printf "%-8s %5s  %-20s %10s %10s %10s  %-16s %s%%%s\n", f[1], f[2], f[3], f[4], lat(f[5]), lat(f[7]), ratio,
             f[10], ((f[10] > 10) ? "  (untrustworthy)" : "")
    }
  }' "$CSV" | tee "$RESULTS/summary.txt"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); wrk shares the cores with the servers"
echo "raw output: ${RESULTS#"$ROOT"/}/"
