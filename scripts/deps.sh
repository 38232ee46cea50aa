#!/bin/sh
# Installs the Debian packages Portico needs to build and test, only those
# missing, so `make run`/`make test` work on a fresh Debian 12 machine.
set -e
PKGS="build-essential cmake pkg-config liblmdb-dev lmdb-utils libuv1-dev libhttp-parser-dev
zlib1g-dev libssl-dev libyaml-dev libcmocka-dev clang libclang-rt-14-dev python3 python3-boto3
python3-pytest awscli wrk curl openssl nginx-light"
if [ "$1" = "--run-only" ]; then
  PKGS="build-essential cmake pkg-config liblmdb-dev libuv1-dev libhttp-parser-dev zlib1g-dev libssl-dev libyaml-dev"
fi
missing=""
# Node may come from outside Debian (nodesource, nvm); only install Debian's
# when there is none at all.
if [ "$1" != "--run-only" ] && ! command -v npm >/dev/null 2>&1; then
  PKGS="$PKGS nodejs npm"
fi
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
