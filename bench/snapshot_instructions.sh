#!/usr/bin/env bash
# Instructions the worker executes per snapshot row, counted by valgrind's callgrind: the same
# figure run after run whatever else the machine is doing, so CPU changes to the snapshot path
# can be compared on a shared, noisy machine. Prints figures; asserts nothing.
#
#   bench/snapshot_instructions.sh [ROWS] [CONNECTOR_EXTRA]   (default 100,000 rows)
#
# Runs the worker twice under callgrind: an initial_only snapshot of an empty table (the fixed
# cost: startup, connections, slot) and of a ROWS-row table; the difference divided by ROWS is
# the cost per row. Connects as the trust role, so no SCRAM key derivation is counted.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
ROWS=${1:-100000}
EXTRA=${2:-}
work=target/bench-instructions
mkdir -p "$work"
command -v valgrind >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq valgrind >/dev/null; }
command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet
bin=$PWD/target/release/tributary

pg_stop "$work/pg" || true
pg_start "$work/pg"
pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; pg_stop "$work/pg"; rm -rf "$work/data"' EXIT
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
for db in empty rows; do
  psqlb -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  psqlb -d $db -c "CREATE TABLE snap_t (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL, updated timestamptz NOT NULL)" \
    -c "CREATE PUBLICATION bench_pub FOR ALL TABLES"
done
psqlb -d rows -c "INSERT INTO snap_t SELECT g, 'name-' || g, g % 100, '2024-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, $ROWS) g" -c "VACUUM ANALYZE snap_t"

count() { # database rows -> instructions
  cat > "$work/connector.json" <<JSON
{"name": "snap", "config": {
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$TRIBUTARY_PG_PORT",
  "database.user": "tributary_trust", "database.dbname": "$1",
  "topic.prefix": "bench", "slot.name": "instr_$1", "publication.name": "bench_pub",
  "slot.drop.on.stop": "true", "snapshot.mode": "initial_only"$EXTRA}}
JSON
  rm -rf "$work/data" "$work/worker.log" "$work/callgrind.out"
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$bin" standalone --data-dir "$work/data" --listen 127.0.0.1:0 "$work/connector.json" > "$work/worker.log" 2>&1 &
  pid=$!
  until grep -q "snapshot.mode=initial_only: snapshot done" "$work/worker.log"; do
    kill -0 $pid 2>/dev/null || { echo "worker died:" >&2; tail -20 "$work/worker.log" >&2; exit 1; }
    sleep 0.2
  done
  # The source is done; wait until the runtime has made every row durable.
  if [ "$2" -gt 0 ]; then
    until [ "$("$bin" topics list --data-dir "$work/data" | awk '$1 == "bench.public.snap_t" { print $2 }')" = "$2" ]; do sleep 0.2; done
  fi
  kill -INT $pid; wait $pid || true
  pid=
  callgrind_annotate "$work/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
fixed=$(count empty 0)
total=$(count rows "$ROWS")
printf 'instructions: fixed (empty table) %s, with %s rows %s\n' "$fixed" "$ROWS" "$total"
printf 'instructions per snapshot row: %.0f\n' "$(echo "($total - $fixed) / $ROWS" | bc -l)"
