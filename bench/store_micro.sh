#!/usr/bin/env bash
# The BatchWriteItem pattern straight against LMDB (as portico's store runs
# it, with and without its checkpoint pin) and RocksDB, without HTTP: see
# store_micro.c. Installs librocksdb-dev if it is missing (Debian), builds
# build/store_micro, runs each engine for SECONDS (10) on a fresh directory
# under bench/results/ (removed afterwards). Not part of `make bench`.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
SECONDS_EACH=${1:-10}
if [ ! -e /usr/include/rocksdb/c.h ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update >/dev/null && $SUDO apt-get install -y librocksdb-dev >/dev/null
fi
mkdir -p "$ROOT/build"
gcc -O2 -std=c11 -Wall -Wextra -Werror -o "$ROOT/build/store_micro" "$BENCH_DIR/store_micro.c" \
  -llmdb -lrocksdb -lpthread
DIR=$BENCH_DIR/results/store-micro-$(date +%Y%m%d-%H%M%S)
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR"
"$ROOT/build/store_micro" lmdb "$DIR/lmdb" "$SECONDS_EACH"
PIN=1 "$ROOT/build/store_micro" lmdb "$DIR/lmdb-pin" "$SECONDS_EACH" | sed 's/^lmdb    /lmdb+pin/'
"$ROOT/build/store_micro" rocksdb "$DIR/rocksdb" "$SECONDS_EACH"
