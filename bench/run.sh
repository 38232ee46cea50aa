#!/usr/bin/env bash
# The benchmark suite of issue 11: portico beside dynalite and nginx, in the
# same run, on the same machine, with the same wrk scripts and bytes.
#
# Servers, each on a free loopback port:
#   portico     `portico serve` in its default durable mode (a write is
#               acknowledged once its commit is on disk), with a gateway
#               (`--config`) whose routes are a DynamoDB GetItem and an
#               `http` proxy to nginx's fixed response;
#   dynalite    in memory (its default; it never syncs);
#   nginx       one process, two listeners: a fixed JSON body as large as a
#               GetItem response (the ceiling for any HTTP server here), and
#               a proxy_pass to that fixed listener (what the gateway's
#               `http` route is compared with).
# Preloads ITEMS ~200-byte items (table bench) and QPARTS partitions of
# QPER items (table benchq) into portico and dynalite with BatchWriteItem,
# checks samples read back, then runs REPEAT rounds of every workload
# (servers interleaved within a round) and reports medians, ratios against
# nginx / dynalite and the issue's targets, peak RSS, group-commit figures
# (portico's SIGUSR1 stats line) and an SVG chart (bench/report.py).
#
# A run fails loudly (exit 1, no table) if any response was not 2xx, if any
# socket error or timeout occurred, if a server died, or if data it
# acknowledged cannot be read back: a broken server never reports a fast
# number. Raw outputs go to bench/results/<timestamp>/. Every process started
# here is stopped on exit, including on Ctrl-C.
#
# Environment: REPEAT (3), DURATION (10s), CONNECTIONS (32), THREADS (2),
# ITEMS (100000), QPARTS (100), QPER (100), HOT (16), WARMUP (2s),
# PORTICO_BIN (build/portico), NGINX_BIN (nginx), BENCH_QUICK=1 (every
# workload once for 3 s, 10,000 items: a smoke test of the whole suite),
# BENCH_ONLY (space-separated workload names to run, default all).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
PORTICO_BIN=${PORTICO_BIN:-$ROOT/build/portico}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
if [ -n "${BENCH_QUICK:-}" ]; then
  REPEAT=${REPEAT:-1}; DURATION=${DURATION:-3s}; WARMUP=${WARMUP:-1s}; ITEMS=${ITEMS:-10000}
fi
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ITEMS=${ITEMS:-100000}
QPARTS=${QPARTS:-100}
QPER=${QPER:-100}
HOT=${HOT:-16}
WARMUP=${WARMUP:-2s}
BENCH_ONLY=${BENCH_ONLY:-}
TABLE=bench
QTABLE=benchq
WORKLOADS="fixed getitem query putitem batchwrite mix update gateway-ddb gateway-http"

for v in REPEAT CONNECTIONS THREADS ITEMS QPARTS QPER HOT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[ "$QPER" -ge 10 ] || { echo "bench: QPER must be at least 10 (a Query asks for 10 items)" >&2; exit 2; }
# wrk wants a unit; accept a bare number of seconds too.
case $DURATION in *[0-9]) DURATION=${DURATION}s ;; esac
case $WARMUP in *[0-9]) WARMUP=${WARMUP}s ;; esac
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS
for w in $BENCH_ONLY; do
  [[ " $WORKLOADS " == *" $w "* ]] || { echo "bench: unknown workload '$w' in BENCH_ONLY (one of: $WORKLOADS)" >&2; exit 2; }
done
wanted() { [ -z "$BENCH_ONLY" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

die() { echo "bench: FAIL: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v node >/dev/null || die "node not found (apt-get install nodejs npm)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
[ -x "$NGINX_BIN" ] || die "nginx not found (apt-get install nginx-light) or set NGINX_BIN"
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 not found (the report is made with it)"
[ -x "$PORTICO_BIN" ] || die "$PORTICO_BIN not found: run 'make build' or set PORTICO_BIN"

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
echo "workload,operation,connections,server,rep,requests_per_s,p50_us,p90_us,p99_us,max_us,requests,other_cpu_pct,commits,writes,duration_s" >"$CSV"

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
  rm -rf "$RESULTS"/data-* "$RESULTS"/nginx-tmp
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

# Five distinct free loopback ports, held open together so none repeats.
read -r PORT_P PORT_G PORT_D PORT_NF PORT_NP < <(node -e '
  const net = require("net"); const servers = [0, 1, 2, 3, 4].map(() => net.createServer())
  let ready = 0
  for (const s of servers) s.listen(0, "127.0.0.1", () => {
    if (++ready < servers.length) return
    console.log(servers.map(x => x.address().port).join(" ")); servers.forEach(x => x.close())
  })')

declare -A URL=([portico]=http://127.0.0.1:$PORT_P/ [dynalite]=http://127.0.0.1:$PORT_D/
                [nginx]=http://127.0.0.1:$PORT_NF/ [portico-gw]=http://127.0.0.1:$PORT_G/
                [nginx-proxy]=http://127.0.0.1:$PORT_NP/)
declare -A LABEL=([portico]="portico" [dynalite]="dynalite" [nginx]="nginx (fixed)"
                  [portico-gw]="portico gateway" [nginx-proxy]="nginx proxy_pass")
# The process whose death fails a run, and whose RSS is reported.
declare -A PID=()
declare -A RSS_OF=([portico]=portico [portico-gw]=portico [dynalite]=dynalite
                   [nginx]=nginx [nginx-proxy]=nginx)

wait_ready() { # LABEL URL PID
  local label=$1 url=$2 pid=$3 i
  for i in $(seq 150); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$RESULTS/server-$label.log" >&2; die "$label exited during startup"; }
    sleep 0.1
  done
  die "$label not answering $url after 15 s"
}

# ---- portico, with its gateway ----
cat >"$RESULTS/gateway.yaml" <<EOF
# Generated by bench/run.sh. Access log off, as in the nginx configuration.
gateway:
  listen: 127.0.0.1:$PORT_G
  accessLog: "off"
  apis:
    - name: bench
      basePath: /b
      stages:
        - {name: prod}
      routes:
        - method: GET
          path: "/items/{id}"
          integration:
            type: dynamodb
            action: GetItem
            request: {TableName: $TABLE, Key: {id: {S: "\${path.id}"}}}
        - method: GET
          path: "/up/{proxy+}"
          integration: {type: http, url: "http://127.0.0.1:$PORT_NF/{proxy}"}
EOF
mkdir -p "$RESULTS/data-portico"
"$PORTICO_BIN" serve --listen "127.0.0.1:$PORT_P" --data-dir "$RESULTS/data-portico" \
  --config "$RESULTS/gateway.yaml" >"$RESULTS/server-portico.log" 2>&1 &
PID[portico]=$!; PIDS+=("${PID[portico]}"); PID[portico-gw]=${PID[portico]}

# ---- dynalite ----
node "$DYNALITE_JS" --host 127.0.0.1 --port "$PORT_D" --createTableMs 0 >"$RESULTS/server-dynalite.log" 2>&1 &
PID[dynalite]=$!; PIDS+=("${PID[dynalite]}")

wait_ready portico "${URL[portico]}" "${PID[portico]}"
wait_ready dynalite "${URL[dynalite]}" "${PID[dynalite]}"

# rss_kb PID FIELD: FIELD (VmRSS, RssAnon, VmHWM) of PID plus its children
# (nginx's workers), in kB.
rss_kb() {
  local total=0 p v
  for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    v=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
declare -A IDLE_RSS=() IDLE_ANON=() PEAK_ANON=()
sample_rss() {
  local s a
  for s in portico dynalite nginx; do
    [ -n "${PID[$s]:-}" ] || continue
    a=$(rss_kb "${PID[$s]}" RssAnon)
    [ "$a" -le "${PEAK_ANON[$s]:-0}" ] || PEAK_ANON[$s]=$a
  done
}
IDLE_RSS[portico]=$(rss_kb "${PID[portico]}" VmRSS); IDLE_ANON[portico]=$(rss_kb "${PID[portico]}" RssAnon)
IDLE_RSS[dynalite]=$(rss_kb "${PID[dynalite]}" VmRSS); IDLE_ANON[dynalite]=$(rss_kb "${PID[dynalite]}" RssAnon)

# ---- preload (before nginx: its fixed body is a real GetItem response) ----
node "$BENCH_DIR/prepare.js" setup "${URL[portico]}" "$TABLE" "$ITEMS" >&2 || die "preloading portico failed"
node "$BENCH_DIR/prepare.js" get-body "${URL[portico]}" "$TABLE" >"$RESULTS/getitem-body.json" ||
  die "GetItem on portico failed"
for s in dynalite; do
  node "$BENCH_DIR/prepare.js" setup "${URL[$s]}" "$TABLE" "$ITEMS" >&2 || die "preloading $s failed"
done
for s in portico dynalite; do
  node "$BENCH_DIR/prepare.js" setup-query "${URL[$s]}" "$QTABLE" "$QPARTS" "$QPER" >&2 || die "preloading $s's query table failed"
  node "$BENCH_DIR/prepare.js" verify "${URL[$s]}" "$TABLE" "$ITEMS" >&2 || die "$s lost preloaded items"
done
sample_rss
LOADED_RSS_P=$(rss_kb "${PID[portico]}" VmRSS); LOADED_ANON_P=$(rss_kb "${PID[portico]}" RssAnon)

# ---- nginx: fixed response and proxy_pass ----
BODY=$(cat "$RESULTS/getitem-body.json")
case $BODY in *\'*|*\\*) die "the GetItem body cannot be quoted for nginx" ;; esac
mkdir -p "$RESULTS/nginx-tmp"
cat >"$RESULTS/nginx.conf" <<EOF
# Generated by bench/run.sh: the ceiling (a fixed GetItem-sized JSON body)
# and a proxy_pass in front of it. One worker per core, as portico has one
# event loop per core; no access log, as the portico gateway here.
worker_processes $(nproc);
pid $RESULTS/nginx-tmp/nginx.pid;
error_log $RESULTS/server-nginx.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $RESULTS/nginx-tmp/body;
  proxy_temp_path $RESULTS/nginx-tmp/proxy;
  fastcgi_temp_path $RESULTS/nginx-tmp/fastcgi;
  uwsgi_temp_path $RESULTS/nginx-tmp/uwsgi;
  scgi_temp_path $RESULTS/nginx-tmp/scgi;
  upstream fixed { server 127.0.0.1:$PORT_NF; keepalive 64; }
  server {
    listen 127.0.0.1:$PORT_NF;
    location / { default_type application/x-amz-json-1.0; return 200 '$BODY'; }
  }
  server {
    listen 127.0.0.1:$PORT_NP;
    location / { proxy_pass http://fixed; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
"$NGINX_BIN" -t -q -e "$RESULTS/server-nginx.log" -c "$RESULTS/nginx.conf" -p "$RESULTS/nginx-tmp" ||
  { cat "$RESULTS/server-nginx.log" >&2; die "nginx rejected its generated configuration"; }
"$NGINX_BIN" -e "$RESULTS/server-nginx.log" -c "$RESULTS/nginx.conf" -p "$RESULTS/nginx-tmp" \
  -g 'daemon off;' >>"$RESULTS/server-nginx.log" 2>&1 &
PID[nginx]=$!; PIDS+=("${PID[nginx]}"); PID[nginx-proxy]=${PID[nginx]}
wait_ready nginx "${URL[nginx]}" "${PID[nginx]}"
wait_ready nginx "${URL[nginx-proxy]}" "${PID[nginx]}"
IDLE_RSS[nginx]=$(rss_kb "${PID[nginx]}" VmRSS); IDLE_ANON[nginx]=$(rss_kb "${PID[nginx]}" RssAnon)
cmp -s <(curl -fsS "${URL[nginx]}") "$RESULTS/getitem-body.json" || die "nginx does not serve the GetItem body"
GW_ITEM=$(curl -fsS "${URL[portico-gw]}b/prod/items/item-00000000") || die "the gateway's DynamoDB route failed"
case $GW_ITEM in *'"id":"item-00000000"'*) ;; *) die "the gateway's DynamoDB route answered $GW_ITEM" ;; esac
cmp -s <(curl -fsS "${URL[portico-gw]}b/prod/up/x") "$RESULTS/getitem-body.json" || die "the gateway's http route does not proxy nginx"
cmp -s <(curl -fsS "${URL[nginx-proxy]}b/prod/up/x") "$RESULTS/getitem-body.json" || die "nginx's proxy_pass does not work"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel: $(uname -sr)"
  echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "nginx: $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //')"
  echo "node: $(node --version)"
  echo "dynalite: $(node -p "require('$BENCH_DIR/node_modules/dynalite/package.json').version")"
  echo "portico: $PORTICO_BIN"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
  echo "data dir filesystem: $(df -T "$RESULTS" | awk 'NR==2 {print $2}')"
  echo "getitem body bytes: $(wc -c <"$RESULTS/getitem-body.json")"
  echo "settings: REPEAT=$REPEAT DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS ITEMS=$ITEMS QPARTS=$QPARTS QPER=$QPER HOT=$HOT WARMUP=$WARMUP${BENCH_QUICK:+ BENCH_QUICK=1}${BENCH_ONLY:+ BENCH_ONLY=\"$BENCH_ONLY\"}"
} >"$RESULTS/env.txt"
# Other work on the machine skews everything (wrk and the servers already
# share the cores): measure how busy the CPUs are over one second and say so.
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

# cpu_snapshot: "BUSY TOTAL OURS" in clock ticks since boot: all CPUs' busy
# and total time, and the CPU time of the servers (nginx's workers included)
# plus this shell's reaped children (wrk). Two snapshots around a run tell
# how much CPU *other* processes took meanwhile: on a shared machine that is
# what makes a figure untrustworthy, so every run records it.
cpu_snapshot() {
  local pid ours=0 f
  for pid in "${PIDS[@]}" $(pgrep -P "${PID[nginx]}" 2>/dev/null || true); do
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

# writer_stats: "COMMITS WRITES" from portico's SIGUSR1 line (main.c).
writer_stats() {
  local log=$RESULTS/server-portico.log n before i
  before=$(grep -c '^portico: stats ' "$log" || true)
  kill -USR1 "${PID[portico]}"
  for i in $(seq 50); do
    n=$(grep -c '^portico: stats ' "$log" || true)
    [ "$n" -le "$before" ] || break
    sleep 0.02
  done
  grep '^portico: stats ' "$log" | tail -1 | sed 's/.*commits=\([0-9]*\) writes=\([0-9]*\).*/\1 \2/'
}

# run_wrk WORKLOAD OP SERVER CONNS THREADS DURATION SCRIPT ARGS...
# Runs wrk, keeps its full output in a .txt, fails on any non-2xx response,
# socket error or dead server, and appends a row to results.csv (unless the
# workload is "warmup"). Sets RUN_REQUESTS.
REP=0
run_wrk() {
  local workload=$1 op=$2 server=$3 conns=$4 threads=$5 dur=$6 script=$7; shift 7
  local name=$workload-c$conns-$server-r$REP
  local out=$RESULTS/$name.txt line
  note "$name: $op on ${LABEL[$server]}, $conns connection(s), $threads thread(s), $dur"
  local s0="" s1="" commits="" writes=""
  [ "$server" != portico ] || s0=$(writer_stats)
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
  sample_rss
  if [ "$server" = portico ]; then
    s1=$(writer_stats)
    commits=$(( ${s1% *} - ${s0% *} )); writes=$(( ${s1#* } - ${s0#* } ))
  fi
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
    die "$name: $r_non2xx of $r_requests responses were not 2xx (see $out and server logs)"
  [ $((r_connect_errors + r_read_errors + r_write_errors + r_timeouts)) -eq 0 ] ||
    die "$name: socket errors connect=$r_connect_errors read=$r_read_errors write=$r_write_errors timeout=$r_timeouts (see $out)"
  [ "$r_requests" -gt 0 ] || die "$name: no request completed"
  RUN_REQUESTS=$r_requests
  [ "$workload" != warmup ] || return 0
  local rps secs
  rps=$(awk -v n="$r_requests" -v us="$r_duration_us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
  secs=$(awk -v us="$r_duration_us" 'BEGIN { printf "%.3f", us / 1e6 }')
  echo "$workload,$op,$conns,$server,$REP,$rps,$r_p50_us,$r_p90_us,$r_p99_us,$r_max_us,$r_requests,$other,$commits,$writes,$secs" >>"$CSV"
  if [ "$other" -gt 10 ]; then
    note "warning: other processes used $other% of the CPUs during $name"
  fi
}

# A write run, then read back an early item of every wrk thread: a server
# that acknowledged writes it did not keep fails here.
RUNID=0
write_run() { # WORKLOAD OP SERVER CONNS THREADS SCRIPT KIND C [ARGS before RUNID...]
  local workload=$1 op=$2 server=$3 conns=$4 threads=$5 script=$6 kind=$7 c=$8; shift 8
  RUNID=$((RUNID + 1))
  local runid=$STAMP-$RUNID
  run_wrk "$workload" "$op" "$server" "$conns" "$threads" "$DURATION" "$script" "$TABLE" "$@" "$runid"
  node "$BENCH_DIR/prepare.js" check-put "${URL[$server]}" "$TABLE" "$runid" "$threads" "$kind" "$c" >&2 ||
    die "${LABEL[$server]} acknowledged ${op}s it cannot read back"
}

# A short GetItem load first wakes each server up (V8's JIT, page cache,
# connection setup) so the first measured run is not penalised.
for s in portico dynalite nginx; do
  run_wrk warmup GetItem "$s" "$CONNECTIONS" "$THREADS" "$WARMUP" getitem.lua "$TABLE" "$ITEMS"
done

C=$CONNECTIONS; T=$THREADS
for REP in $(seq "$REPEAT"); do
  note "---- round $REP of $REPEAT ----"
  if wanted fixed; then
    run_wrk fixed GetItem nginx "$C" "$T" "$DURATION" getitem.lua "$TABLE" "$ITEMS"
    run_wrk fixed GetItem nginx 1 1 "$DURATION" getitem.lua "$TABLE" "$ITEMS"
  fi
  if wanted getitem; then
    for s in portico dynalite; do
      run_wrk getitem GetItem "$s" "$C" "$T" "$DURATION" getitem.lua "$TABLE" "$ITEMS"
      run_wrk getitem GetItem "$s" 1 1 "$DURATION" getitem.lua "$TABLE" "$ITEMS"
    done
  fi
  if wanted query; then
    for s in portico dynalite; do
      run_wrk query Query "$s" "$C" "$T" "$DURATION" query.lua "$QTABLE" "$QPARTS" "$QPER" 10
      run_wrk query Query "$s" 1 1 "$DURATION" query.lua "$QTABLE" "$QPARTS" "$QPER" 10
    done
  fi
  if wanted putitem; then
    for s in portico dynalite; do
      write_run putitem PutItem "$s" "$C" "$T" putitem.lua put 2
      write_run putitem PutItem "$s" 1 1 putitem.lua put 2
    done
  fi
  if wanted batchwrite; then
    for s in portico dynalite; do write_run batchwrite BatchWriteItem "$s" "$C" "$T" batchwrite.lua bat 26; done
  fi
  if wanted mix; then
    for s in portico dynalite; do write_run mix "GetItem+PutItem" "$s" "$C" "$T" mix.lua mix 2 "$ITEMS"; done
  fi
  if wanted update; then
    for s in portico dynalite; do
      run_wrk update UpdateItem "$s" "$C" "$T" "$DURATION" update.lua "$TABLE" "$HOT"
    done
  fi
  if wanted gateway-ddb; then
    run_wrk gateway-ddb "GET (GetItem)" portico-gw "$C" "$T" "$DURATION" path.lua /b/prod/items/ "$ITEMS"
  fi
  if wanted gateway-http; then
    run_wrk gateway-http "GET (proxy)" portico-gw "$C" "$T" "$DURATION" path.lua /b/prod/up/x
    run_wrk gateway-http "GET (proxy)" nginx-proxy "$C" "$T" "$DURATION" path.lua /b/prod/up/x
  fi
done

# Preloaded items must still be there after all the writes.
for s in portico dynalite; do
  node "$BENCH_DIR/prepare.js" verify "${URL[$s]}" "$TABLE" "$ITEMS" >&2 || die "$s lost preloaded items"
done

{
  echo "server,idle_rss_kb,idle_anon_kb,loaded_rss_kb,loaded_anon_kb,peak_anon_kb,peak_rss_kb"
  for s in portico dynalite nginx; do
    l_rss=""; l_anon=""
    [ "$s" != portico ] || { l_rss=$LOADED_RSS_P; l_anon=$LOADED_ANON_P; }
    echo "$s,${IDLE_RSS[$s]},${IDLE_ANON[$s]},$l_rss,$l_anon,${PEAK_ANON[$s]:-0},$(rss_kb "${PID[$s]}" VmHWM)"
  done
} >"$RESULTS/rss.csv"

/usr/bin/python3 "$BENCH_DIR/report.py" "$RESULTS" | tee "$RESULTS/summary.txt"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); wrk shares the cores with the servers"
echo "raw output, chart.svg and summary.md: ${RESULTS#"$ROOT"/}/"
