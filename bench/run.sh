#!/usr/bin/env bash
# `make bench`: install what the benchmark needs, start a private PostgreSQL on loopback, prepare
# the schema, regions, catalogue and demo users, then run bench/run.py (dataset, load, EXPLAIN),
# which writes bench/RESULTS.md. Extra arguments go to bench/run.py (e.g. --cases 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v wrk >/dev/null || missing+=(wrk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=$(mktemp -d /tmp/slrt-bench-pg.XXXXXX)
PGPORT=${SLRT_BENCH_PGPORT:-54400}
while (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null; do PGPORT=$((PGPORT + 1)); done
INSTANCE=$(mktemp -d /tmp/slrt-bench-instance.XXXXXX)
chown postgres "$PGDATA"
stop_pg() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA" "$INSTANCE"
}
trap stop_pg EXIT
trap 'exit 130' INT TERM
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 >/dev/null
# A throw-away server: no fsync (the dataset is rebuilt each run); otherwise the settings of
# deploy/postgresql.md, scaled to this machine.
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/log" -o "-p $PGPORT \
  -c listen_addresses=127.0.0.1 -k $PGDATA -c fsync=off -c synchronous_commit=off \
  -c full_page_writes=off -c max_wal_size=4GB -c shared_buffers=512MB -c work_mem=16MB \
  -c random_page_cost=1.1 -c max_connections=100" start >/dev/null
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres app

export FLASK_APP=wsgi SLRT_CONFIG=development SLRT_INSTANCE_PATH="$INSTANCE"
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/app"
started=$SECONDS
echo "== schema, regions, catalogue, demo users (PostgreSQL on port $PGPORT)"
.venv/bin/flask db upgrade 2>&1 | tail -n 1
.venv/bin/flask regions load
.venv/bin/flask demo seed >/dev/null
echo "   ready in $((SECONDS - started)) s"
# An empty second database for the DTSEN import bench (bench/dtsen.py), run by bench/run.py.
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres dtsen
export SLRT_BENCH_DTSEN_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/dtsen"
# And one for the duplicate finder's bench (bench/dedup.py: its own population with known duplicates).
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres dedup
export SLRT_BENCH_DEDUP_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/dedup"
.venv/bin/python -m bench.run "$@"
echo "== make bench finished in $((SECONDS - started)) s"
