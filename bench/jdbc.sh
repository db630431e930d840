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
#   - the JDBC sink (io.debezium.connector.jdbc.JdbcSinkConnector, insert.mode=upsert or
#     BENCH_MODE,
#     primary.key.mode=record_key, the table created by schema.evolution=basic) from the topic
#     into an empty database, until the target holds ROWS rows;
# and prints rows/s, the worker's peak RSS and CPU seconds, and the ratio to COPY.
# Then, against Debezium's JDBC sink: an Apache Kafka broker (scripts/lib/kafka.sh) gets the same
# rows on a topic from the worker's PostgreSQL source (JsonConverter with schemas; not timed), and,
# timed each until its target table holds ROWS rows, into an empty database each:
#   - the worker on Kafka running the same JDBC sink config;
#   - Debezium's JDBC sink 3.6.0.Final (scripts/lib/java/debezium-jdbc-pom.xml, its jars under
#     target/java-peers/jdbc-plugins, the Connect worker's only plugin path) on a fresh Kafka
#     Connect worker, with the same config plus Hibernate's DriverManager connection provider
#     (the pom's Agroal does not run against its Hibernate 7.2; connection.pool.* do not apply);
# rows/s, peak RSS and CPU seconds of the worker and of the JVM, and the ratios (bench/lib/peers.sh).
# BENCH_DEBEZIUM=0 skips this part.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
source scripts/lib/kafka.sh
source scripts/lib/connect.sh
source bench/lib/peers.sh
source bench/lib/topic.sh
ROWS=${1:-1000000}
# BENCH_MODE=insert measures insert.mode=insert (Debezium's default; COPY on our side).
MODE=${BENCH_MODE:-upsert}
# BENCH_CONVERTER=avro: the source writes and the sink reads with the AvroConverter (the embedded
# Schema Registry) instead of JsonConverter with schemas; the Debezium part is skipped then.
CONV_EXTRA=
if [ "${BENCH_CONVERTER:-json}" = avro ]; then
  CONV_EXTRA=', "key.converter": "io.confluent.connect.avro.AvroConverter", "value.converter": "io.confluent.connect.avro.AvroConverter"'
  BENCH_DEBEZIUM=0
fi
work=$PWD/target/bench-jdbc
mkdir -p "$work"
command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet --bin tributary
bin=$PWD/target/release/tributary
# The Debezium part's helpers, built before anything is timed.
[ "${BENCH_DEBEZIUM:-1}" = 0 ] || peers_build

pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; connect_stop "$work/connect-dbz-jdbc"; kafka_stop "$work/kafka"; pg_stop "$work/pg"; rm -rf "$work/data" "$work/data-trib-jdbc" "$work/data-trib-src" "$work/rows.txt"' EXIT
pg_stop "$work/pg" || true
pg_start "$work/pg" >/dev/null
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }

for db in bench_src bench_copy bench_sink bench_sink_kafka bench_sink_dbz; do
  psqlb -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
psqlb -d bench_src -c "CREATE TABLE items AS SELECT g::bigint AS id, 'name-' || g AS name, (g % 100)::int AS qty, '2024-01-01'::timestamptz + g * interval '1 second' AS updated FROM generate_series(1, $ROWS) g" \
  -c "ALTER TABLE items ADD PRIMARY KEY (id)" -c "CREATE PUBLICATION bench_pub FOR ALL TABLES"

echo "== the topic: $ROWS rows snapshotted into the embedded log (not timed)"
snapshot_topic "$work/data" bench_src bench_jdbc "$ROWS" "$CONV_EXTRA"

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
  "insert.mode": "$MODE", "primary.key.mode": "record_key", "schema.evolution": "basic"$CONV_EXTRA${BENCH_CONNECTOR_EXTRA:-}}}
JSON
t0=$(now)
"$bin" standalone --listen 127.0.0.1:0 --data-dir "$work/data" --worker-config "$work/worker.properties" "$work/sink.json" > "$work/worker-sink.log" 2>&1 &
pid=$!
# BENCH_PERF=FILE records the worker's profile during the sink phase (perf record -g).
perf_pid=
[ -n "${BENCH_PERF:-}" ] && { perf record -q -g -o "$BENCH_PERF" -p $pid 2>/dev/null & perf_pid=$!; }
while :; do
  n=$(psqlb -d bench_sink -c "SELECT count(*) FROM bench_public_items" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge "$ROWS" ] && break
  kill -0 $pid 2>/dev/null || { tail -20 "$work/worker-sink.log"; exit 1; }
  sleep 0.1
done
sink_s=$(echo "$(now) - $t0" | bc -l)
rss=$(peak_rss_mib $pid); cpu=$(cpu_s $pid)
[ -n "$perf_pid" ] && { kill -INT $perf_pid; wait $perf_pid || true; }
kill -TERM $pid; wait $pid || true; pid=

printf '%-40s %9s %11s %9s %8s\n' "" seconds rows/s "peak RSS" "CPU s"
printf '%-40s %9.2f %11.0f %9s %8s\n' "COPY FROM (text)" "$copy_s" "$(echo "$ROWS / $copy_s" | bc -l)" - -
printf '%-40s %9.2f %11.0f %8sM %8s\n' "JDBC sink, $MODE, ${BENCH_CONVERTER:-json} (embedded log)" "$sink_s" "$(echo "$ROWS / $sink_s" | bc -l)" "$rss" "$cpu"
printf 'ratio JDBC sink / COPY FROM (rows/s): %.2f\n' "$(echo "$copy_s / $sink_s" | bc -l)"

[ "${BENCH_DEBEZIUM:-1}" = 0 ] && exit 0
echo
echo "== against Debezium's JDBC sink 3.6.0 on Kafka Connect: the same rows from one Apache Kafka broker"
kafka_stop "$work/kafka" || true
kafka_start "$work/kafka" >/dev/null
bootstrap=$TRIBUTARY_KAFKA_BOOTSTRAP
java_copy_deps scripts/lib/java/debezium-jdbc-pom.xml "$PWD/target/java-peers/jdbc-plugins/debezium-jdbc" \
  -DexcludeGroupIds=org.apache.kafka
# The topic on Kafka (not timed): the same source, its own slot, one partition.
python3 - "$work/source.json" > "$work/source-kafka.json" <<'PY2'
import json, sys
c = json.load(open(sys.argv[1]))
c["name"] = "src-kafka"
c["config"].update({"slot.name": "bench_jdbc_kafka", "topic.creation.default.partitions": "1",
                    "topic.creation.default.replication.factor": "1"})
print(json.dumps(c))
PY2
tributary_run trib-src "$work/source-kafka.json" bench.public.items "$ROWS" >/dev/null ||
  { echo "the source did not put $ROWS rows on Kafka" >&2; exit 1; }
# The same sink config on both sides, each into its own empty database; Debezium's also names
# Hibernate's built-in connection provider (scripts/lib/java/debezium-jdbc-pom.xml).
sink_config() { # name database [extra-json-object]
  python3 - "$work/sink.json" "$@" <<'PY2'
import json, sys
c = json.load(open(sys.argv[1]))["config"]
c["connection.url"] = c["connection.url"].rsplit("/", 1)[0] + "/" + sys.argv[3]
c.update(json.loads(sys.argv[4]) if len(sys.argv) > 4 else {})
print(json.dumps({"name": sys.argv[2], "config": c}))
PY2
}
table_holds() { # database n
  local n
  n=$(psqlb -d "$1" -c "SELECT count(*) FROM bench_public_items" 2>/dev/null) || n=0
  [ "${n:-0}" -ge "$2" ]
}
sink_config trib-jdbc bench_sink_kafka > "$work/trib-jdbc.json"
read -r trib_s trib_rss trib_cpu < <(tributary_sink_run trib-jdbc "$work/trib-jdbc.json" table_holds bench_sink_kafka "$ROWS")
read -r dbz_s dbz_rss dbz_cpu < <(PEERS_CONNECT_PLUGINS=$PWD/target/java-peers/jdbc-plugins debezium_sink_run dbz-jdbc \
  "$(sink_config dbz-jdbc bench_sink_dbz '{"connection.provider": "org.hibernate.engine.jdbc.connections.internal.DriverManagerConnectionProviderImpl"}')" \
  table_holds bench_sink_dbz "$ROWS")
[ -n "${dbz_s:-}" ] && [ -n "${trib_s:-}" ] || { echo "a side of the comparison failed (its log is above)" >&2; exit 1; }
printf 'rows in the targets: tributary %s, Debezium %s (of %s)\n' \
  "$(psqlb -d bench_sink_kafka -c "SELECT count(*) FROM bench_public_items")" \
  "$(psqlb -d bench_sink_dbz -c "SELECT count(*) FROM bench_public_items")" "$ROWS"
peers_header rows
peers_row "Debezium JDBC sink 3.6.0 on Connect" "$ROWS" "$dbz_s" "$dbz_rss" "$dbz_cpu"
peers_row "tributary JDBC sink on Kafka" "$ROWS" "$trib_s" "$trib_rss" "$trib_cpu"
peers_ratios "JDBC sink, $MODE, until the table holds every row" "$dbz_s" "$dbz_rss" "$dbz_cpu" "$trib_s" "$trib_rss" "$trib_cpu"
printf 'ratio JDBC sink from the embedded log / Debezium JDBC sink (rows/s): %.2f\n' "$(echo "$dbz_s / $sink_s" | bc -l)"
