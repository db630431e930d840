#!/usr/bin/env bash
# JDBC sink benchmark (PostgreSQL → PostgreSQL through the embedded log). Prints figures;
# asserts nothing.
#
#   bench/jdbc.sh [ROWS]        (default 1,000,000)
#
# Starts its own PostgreSQL under target/bench-jdbc. A ROWS-row table (id bigint pk, name text,
# qty int, updated timestamptz) is snapshotted by the worker into its embedded log (not timed);
# then, timed:
#   - the target's own limit: `COPY ... FROM` of the same rows (text format, from a file written
#     beforehand by `COPY ... TO`) into a same-shaped table;
#   - the JDBC sink (io.debezium.connector.jdbc.JdbcSinkConnector, insert.mode=upsert,
#     primary.key.mode=record_key, the table created by schema.evolution=basic) from the topic
#     into an empty database, until the target holds ROWS rows;
# and prints rows/s, the worker's peak RSS and CPU seconds, and the ratio to COPY.
# Debezium's JDBC sink as a second baseline needs the topic on Kafka: not measured yet.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
ROWS=${1:-1000000}
work=$PWD/target/bench-jdbc
mkdir -p "$work"
command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet --bin tributary
bin=$PWD/target/release/tributary

pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; pg_stop "$work/pg"; rm -rf "$work/data" "$work/rows.txt"' EXIT
pg_stop "$work/pg" || true
pg_start "$work/pg" >/dev/null
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
peak_rss_mib() { awk '/VmHWM/ { printf "%.0f", $2/1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo "?"; }

for db in bench_src bench_copy bench_sink; do
  psqlb -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
psqlb -d bench_src -c "CREATE TABLE items AS SELECT g::bigint AS id, 'name-' || g AS name, (g % 100)::int AS qty, '2024-01-01'::timestamptz + g * interval '1 second' AS updated FROM generate_series(1, $ROWS) g" \
  -c "ALTER TABLE items ADD PRIMARY KEY (id)" -c "CREATE PUBLICATION bench_pub FOR ALL TABLES"

echo "== the topic: $ROWS rows snapshotted into the embedded log (not timed)"
cat > "$work/source.json" <<JSON
{"name": "src", "config": {
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$TRIBUTARY_PG_PORT",
  "database.user": "postgres", "database.password": "postgres", "database.dbname": "bench_src",
  "topic.prefix": "bench", "slot.name": "bench_jdbc", "publication.name": "bench_pub",
  "snapshot.mode": "initial_only"}}
JSON
rm -rf "$work/data"
"$bin" standalone --listen 127.0.0.1:0 --data-dir "$work/data" "$work/source.json" > "$work/worker-src.log" 2>&1 &
pid=$!
until [ "$("$bin" topics list --data-dir "$work/data" 2>/dev/null | awk '$1 == "bench.public.items" { print $2 }')" = "$ROWS" ]; do
  kill -0 $pid 2>/dev/null || { tail -20 "$work/worker-src.log"; exit 1; }
  sleep 0.2
done
kill -TERM $pid; wait $pid || true; pid=

echo "== COPY FROM: the target's own limit"
psqlb -d bench_src -c "COPY items TO STDOUT" > "$work/rows.txt"
psqlb -d bench_copy -c "CREATE TABLE items (id bigint PRIMARY KEY, name text, qty int, updated timestamptz)"
t0=$(now)
psqlb -d bench_copy -c "COPY items FROM STDIN" < "$work/rows.txt"
copy_s=$(echo "$(now) - $t0" | bc -l)

echo "== the JDBC sink"
cat > "$work/worker.properties" <<PROPS
offset.flush.interval.ms=1000
PROPS
cat > "$work/sink.json" <<JSON
{"name": "jdbc", "config": {
  "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
  "topics": "bench.public.items",
  "connection.url": "jdbc:postgresql://127.0.0.1:$TRIBUTARY_PG_PORT/bench_sink",
  "connection.username": "postgres", "connection.password": "postgres",
  "insert.mode": "upsert", "primary.key.mode": "record_key", "schema.evolution": "basic"${BENCH_CONNECTOR_EXTRA:-}}}
JSON
t0=$(now)
"$bin" standalone --listen 127.0.0.1:0 --data-dir "$work/data" --worker-config "$work/worker.properties" "$work/sink.json" > "$work/worker-sink.log" 2>&1 &
pid=$!
while :; do
  n=$(psqlb -d bench_sink -c "SELECT count(*) FROM bench_public_items" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge "$ROWS" ] && break
  kill -0 $pid 2>/dev/null || { tail -20 "$work/worker-sink.log"; exit 1; }
  sleep 0.1
done
sink_s=$(echo "$(now) - $t0" | bc -l)
rss=$(peak_rss_mib $pid); cpu=$(cpu_s $pid)
kill -TERM $pid; wait $pid || true; pid=

printf '%-40s %9s %11s %9s %8s\n' "" seconds rows/s "peak RSS" "CPU s"
printf '%-40s %9.2f %11.0f %9s %8s\n' "COPY FROM (text)" "$copy_s" "$(echo "$ROWS / $copy_s" | bc -l)" - -
printf '%-40s %9.2f %11.0f %8sM %8s\n' "JDBC sink, upsert (from the embedded log)" "$sink_s" "$(echo "$ROWS / $sink_s" | bc -l)" "$rss" "$cpu"
printf 'ratio JDBC sink / COPY FROM (rows/s): %.2f\n' "$(echo "$copy_s / $sink_s" | bc -l)"
