#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a free loopback port and prints its DATABASE_URL.
# Usage: eval "$(bash .ci/start-postgres.sh DIR)"; stop it with: pg_ctl -D DIR/data stop
# YIDANG_PG_OPTIONS adds server settings (the benchmarks size its memory as a production server's).
set -euo pipefail
dir=${1:?usage: start-postgres.sh DIR}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
rm -rf "$dir"; mkdir -p "$dir"
run() { if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
run "'$bindir/initdb' -D '$dir/data' -U yidang --auth=trust --encoding=UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1"
run "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c max_connections=100 ${YIDANG_PG_OPTIONS:-}\" start >/dev/null"
run "'$bindir/createdb' -h 127.0.0.1 -p $port -U yidang yidang"
echo "export DATABASE_URL=postgres://yidang@127.0.0.1:$port/yidang"
echo "export YIDANG_PG_CTL='$bindir/pg_ctl'"
echo "export YIDANG_PG_DATA='$dir/data'"
