#!/usr/bin/env bash
# PostgreSQL → Kafka benchmark. Prints figures; asserts nothing.
#
#   bench/kafka.sh [ROWS] [RATE] [SECONDS]     (defaults 1,000,000; 10,000 changes/s; 30 s)
#
# Starts its own PostgreSQL and Apache Kafka broker (KRaft, from Maven Central's jars) under target/bench.
# 1. Throughput: a backlog of ROWS changes in two twin slots. The worker drains one into its
#    embedded log and the other into Kafka (JsonConverter without schemas); the clock stops when
#    the slot's confirmed_flush_lsn reaches the end of the backlog, i.e. when every event is
#    acknowledged by the broker and its offset stored. Beside them, the broker's ceiling: a
#    plain rdkafka producer (bench/kafka_producer.rs, no database, no encoding, the same
#    producer settings) sending ROWS copies of a same-sized key and value to the same broker,
#    and the source's ceiling: pg_recvlogical draining a third twin slot into /dev/null.
#    Then Debezium 3.6.1 on a Kafka Connect 4.3 worker drains a fourth twin slot into the same
#    broker, and Tributary a fifth, both with JsonConverter with schemas (each side's default)
#    and timed until the last event is readable on the topic (peak RSS and CPU seconds of the
#    JVM and of the worker; bench/lib/peers.sh).
# 2. Latency: the worker streams live while bench/kafka_latency.rs inserts RATE rows/s for
#    SECONDS and reads the topic: read time minus commit time (source.ts_us), p50/p99/p99.9.
#    Before it, the broker's floor: a plain producer sending RATE messages/s, send -> read.
#    Then the same load captured by Debezium on Connect (JsonConverter with schemas on both).
# BENCH_LATENCY_ONLY=1 runs only part 2; BENCH_WORKER_EXTRA adds worker properties (one a line);
# BENCH_CONNECTOR_EXTRA adds connector properties (e.g. ', "extended.headers.enabled": "false"').
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
source scripts/lib/kafka.sh
source scripts/lib/connect.sh
source bench/lib/peers.sh
ROWS=${1:-1000000}
RATE=${2:-10000}
SECONDS_LOAD=${3:-30}
work=target/bench
mkdir -p "$work"

command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet
cargo bench --no-run --quiet --bench kafka_producer --bench kafka_latency 2>/dev/null
bin=$PWD/target/release/tributary

pg_stop "$work/pg" || true
kafka_stop "$work/kafka" || true
pg_start "$work/pg"
kafka_start "$work/kafka"
bootstrap=$TRIBUTARY_KAFKA_BOOTSTRAP
pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; connect_stop "$work/connect-bdbz"; connect_stop "$work/connect-blatdbz"; kafka_stop "$work/kafka"; pg_stop "$work/pg"; rm -rf "$work/data-log" "$work/data-kafka" "$work/data-lat"' EXIT
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
psqlb -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null


# JsonConverter without schemas, or with them (the default) when the fifth argument is "schemas".
connector() { # name slot mode prefix [schemas]
  cat > "$work/$1.json" <<JSON
{"name": "$1", "config": {
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$TRIBUTARY_PG_PORT",
  "database.user": "postgres", "database.password": "postgres", "database.dbname": "bench",
  "topic.prefix": "$4", "slot.name": "$2", "publication.name": "bench_pub",
  "snapshot.mode": "$3", "topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1"$(
  [ "${5:-}" = schemas ] || printf '%s' ', "key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false",
  "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"')${BENCH_CONNECTOR_EXTRA:-}}}
JSON
}
echo "bootstrap.servers=$bootstrap" > "$work/kafka-worker.properties"
# Extra worker properties, one per line (e.g. BENCH_WORKER_EXTRA='producer.linger.ms=1').
[ -n "${BENCH_WORKER_EXTRA:-}" ] && printf '%s\n' "$BENCH_WORKER_EXTRA" >> "$work/kafka-worker.properties"

if [ -z "${BENCH_LATENCY_ONLY:-}" ]; then
echo "== throughput: backlog of $ROWS changes (JsonConverter, no schemas)"
psqlb -d bench >/dev/null <<SQL
CREATE TABLE stream_t (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL, updated timestamptz NOT NULL);
CREATE PUBLICATION bench_pub FOR ALL TABLES;
SELECT 1 FROM pg_create_logical_replication_slot('bench_log', 'pgoutput');
SELECT 1 FROM pg_create_logical_replication_slot('bench_kafka', 'pgoutput');
SELECT 1 FROM pg_create_logical_replication_slot('bench_recv', 'pgoutput');
SELECT 1 FROM pg_create_logical_replication_slot('bench_dbz', 'pgoutput');
SELECT 1 FROM pg_create_logical_replication_slot('bench_kafka2', 'pgoutput');
SQL
batch=100000
for ((s = 1; s <= ROWS; s += batch)); do
  e=$(( s + batch - 1 )); [ "$e" -gt "$ROWS" ] && e=$ROWS
  psqlb -d bench -c "INSERT INTO stream_t SELECT g, 'name-' || g, g % 100, '2024-01-01'::timestamptz + g * interval '1 second' FROM generate_series($s, $e) g"
done
end_lsn=$(psqlb -d bench -c "SELECT pg_current_wal_lsn()")
psqlb -d bench -c "SELECT pg_logical_emit_message(false, 'bench', 'end')" >/dev/null

drain() { # name slot data-dir [worker.properties]; prints seconds and peak RSS MiB
  local name=$1 slot=$2 data=$3 props=${4:-}
  connector "$name" "$slot" no_data "$name"
  rm -rf "$data"
  local t0 t1 rss=0 r done_lsn
  t0=$(now)
  # shellcheck disable=SC2086
  "$bin" standalone --listen 127.0.0.1:0 --data-dir "$data" ${props:+--worker-config "$props"} "$work/$name.json" > "$work/worker-$name.log" 2>&1 &
  pid=$!
  while :; do
    done_lsn=$(psqlb -d bench -c "SELECT confirmed_flush_lsn >= '$end_lsn' FROM pg_replication_slots WHERE slot_name='$slot'")
    r=$(peak_rss_mib $pid); [ "$r" != "?" ] && rss=$r
    [ "$done_lsn" = t ] && break
    kill -0 $pid 2>/dev/null || { echo "worker died:" >&2; tail -20 "$work/worker-$name.log" >&2; exit 1; }
    sleep 0.05
  done
  t1=$(now)
  kill -TERM $pid; wait $pid || true
  pid=
  echo "$(echo "$t1 - $t0" | bc -l) $rss"
}

# The source's own ceiling: PostgreSQL decoding the same backlog for pg_recvlogical (binary
# pgoutput, into /dev/null). Nothing reading this slot can go faster than the walsender.
t0=$(now)
PGPASSWORD=postgres "$PG_BIN/pg_recvlogical" -h 127.0.0.1 -p "$TRIBUTARY_PG_PORT" -U postgres -d bench --slot bench_recv --start \
  --no-loop -o proto_version=1 -o publication_names=bench_pub -o binary=true -E "$end_lsn" -f /dev/null
recv_s=$(echo "$(now) - $t0" | bc -l)

read -r log_s log_rss < <(drain blog bench_log "$work/data-log")
read -r kafka_s kafka_rss < <(drain bkafka bench_kafka "$work/data-kafka" "$work/kafka-worker.properties")

# Debezium on Kafka Connect, the baseline users run, on a twin slot of the same backlog into
# the same broker; and Tributary again on a fifth, timed the same way: until the last event is
# readable on the topic. JsonConverter with schemas, both sides' default (bench/lib/peers.sh).
peer_config() { # name slot prefix mode
  python3 - "$work/bkafka.json" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["config"]
for k in [k for k in c if k.startswith(("key.converter", "value.converter"))]:
    del c[k]
c.update({"slot.name": sys.argv[3], "topic.prefix": sys.argv[4], "plugin.name": "pgoutput",
          "snapshot.mode": sys.argv[5]})
print(json.dumps({"name": sys.argv[2], "config": c}))
PY
}
peers_build
read -r dbz_s dbz_rss dbz_cpu < <(debezium_run bdbz "$(peer_config bdbz bench_dbz bdbz no_data)" bdbz.public.stream_t "$ROWS")
peer_config bkafka2 bench_kafka2 bkafka2 no_data > "$work/bkafka2.json"
read -r trib_s trib_rss trib_cpu < <(tributary_run bkafka2 "$work/bkafka2.json" bkafka2.public.stream_t "$ROWS")
[ -n "${dbz_s:-}" ] && [ -n "${trib_s:-}" ] || { echo "a side of the Debezium comparison failed (its log is above)" >&2; exit 1; }

# One real event's key and value, and the average size, from the embedded log.
"$bin" topics tail blog.public.stream_t --data-dir "$work/data-log" --keys -n 1 > "$work/sample.tsv"
cut -f1 "$work/sample.tsv" | tr -d '\n' > "$work/sample.key"
cut -f2- "$work/sample.tsv" | tr -d '\n' > "$work/sample.value"
avg_bytes=$("$bin" topics tail blog.public.stream_t --data-dir "$work/data-log" --keys --from-beginning --max 10000 | awk '{ n += length($0) } END { printf "%.0f", n / NR - 1 }')
events=$("$bin" topics list --data-dir "$work/data-log" | awk '$1 == "blog.public.stream_t" { print $2 }')

read -r p_count p_s p_bytes < <(cargo bench --quiet --bench kafka_producer -- "$bootstrap" bench.plain "$ROWS" "$work/sample.key" "$work/sample.value" 2>/dev/null)

mbps() { echo "$1 * $avg_bytes / 1048576 / $2" | bc -l; }
printf '%-34s %9s %11s %8s %9s\n' "" "seconds" "events/s" "MB/s" "peak RSS"
printf '%-34s %9.2f %11.0f %8.1f %9s\n' "plain rdkafka producer (ceiling)" "$p_s" "$(echo "$p_count / $p_s" | bc -l)" "$(echo "$p_bytes / 1048576 / $p_s" | bc -l)" "-"
printf '%-34s %9.2f %11.0f %8s %9s\n' "pg_recvlogical (source ceiling)" "$recv_s" "$(echo "$ROWS / $recv_s" | bc -l)" "-" "-"
printf '%-34s %9.2f %11.0f %8.1f %8sM\n' "tributary -> Kafka" "$kafka_s" "$(echo "$ROWS / $kafka_s" | bc -l)" "$(mbps "$ROWS" "$kafka_s")" "$kafka_rss"
printf '%-34s %9.2f %11.0f %8.1f %8sM\n' "tributary -> embedded log" "$log_s" "$(echo "$ROWS / $log_s" | bc -l)" "$(mbps "$ROWS" "$log_s")" "$log_rss"
printf 'events: %s of %s; average key+value %s bytes\n' "$events" "$ROWS" "$avg_bytes"
printf 'ratio tributary->Kafka / plain producer (throughput): %.2f\n' "$(echo "$p_s / $kafka_s" | bc -l)"
printf 'ratio tributary->Kafka / tributary->embedded log (throughput): %.2f\n' "$(echo "$log_s / $kafka_s" | bc -l)"
printf 'ratio tributary->Kafka / pg_recvlogical (the source ceiling): %.2f\n' "$(echo "$recv_s / $kafka_s" | bc -l)"
printf 'ratio pg_recvlogical / plain producer (how much of the broker the source can fill): %.2f\n\n' "$(echo "$p_s / $recv_s" | bc -l)"
echo "== against Debezium 3.6.1 on Kafka Connect: the same backlog into the same broker, JsonConverter with schemas, until the last event is readable"
peers_header events
peers_row "Debezium 3.6.1 on Connect -> Kafka" "$ROWS" "$dbz_s" "$dbz_rss" "$dbz_cpu"
peers_row "tributary -> Kafka" "$ROWS" "$trib_s" "$trib_rss" "$trib_cpu"
peers_ratios "streaming, last event readable" "$dbz_s" "$dbz_rss" "$dbz_cpu" "$trib_s" "$trib_rss" "$trib_cpu"
echo

fi

echo "== latency floor of the broker: a plain producer sending $RATE messages/s for $SECONDS_LOAD s, send -> read"
printf 'plain producer   '
cargo bench --quiet --bench kafka_latency -- --plain "$bootstrap" bench.plain_lat "$RATE" "$SECONDS_LOAD" 2>/dev/null | tail -1

echo "== latency: $RATE changes/s for $SECONDS_LOAD s, commit -> read from the broker (JsonConverter with schemas)"
psqlb -d bench -c "CREATE TABLE lat_t (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL, updated timestamptz NOT NULL)"
psqlb -d bench -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
peers_build
# Once the connector streams (its slot exists, and a warm-up row went through), RATE rows/s for
# SECONDS_LOAD s.
latency() { # slot topic
  until [ "$(psqlb -d bench -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name='$1' AND confirmed_flush_lsn IS NOT NULL")" = 1 ]; do sleep 0.1; done
  psqlb -d bench -c "INSERT INTO lat_t VALUES (0, 'warm-up', 0, now())"
  "$watermark_exe" "$bootstrap" "$2" 1 300 >/dev/null || { echo "$2: the warm-up row never arrived" >&2; exit 1; }
  sleep 2
  cargo bench --quiet --bench kafka_latency -- \
    "host=127.0.0.1 port=$TRIBUTARY_PG_PORT user=postgres password=postgres dbname=bench" \
    "$bootstrap" "$2" lat_t "$RATE" "$SECONDS_LOAD" 2>/dev/null
}
connector blat bench_lat no_data blat schemas
rm -rf "$work/data-lat"
"$bin" standalone --listen 127.0.0.1:0 --data-dir "$work/data-lat" --worker-config "$work/kafka-worker.properties" "$work/blat.json" > "$work/worker-lat.log" 2>&1 &
pid=$!
echo "tributary -> Kafka"
latency bench_lat blat.public.lat_t
printf 'worker peak RSS: %sM\n' "$(peak_rss_mib $pid)"
kill -TERM $pid; wait $pid || true
pid=
psqlb -d bench -c "SELECT pg_drop_replication_slot('bench_lat')" -c "TRUNCATE lat_t" >/dev/null
# Debezium, the same way, on a slot created after the truncate.
connector blatdbz bench_lat_dbz no_data blatdbz schemas
connect_start "$work/connect-blatdbz" "$bootstrap" >/dev/null
curl -sf -X POST -H 'Content-Type: application/json' \
  --data "$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["config"]["plugin.name"]="pgoutput"; print(json.dumps(c))' "$work/blatdbz.json")" \
  "$TRIBUTARY_CONNECT_URL/connectors" >/dev/null
echo "Debezium 3.6.1 on Connect -> Kafka"
latency bench_lat_dbz blatdbz.public.lat_t
printf 'Connect worker (JVM) peak RSS: %sM\n' "$(peak_rss_mib "$(cat "$work/connect-blatdbz/worker.pid")")"
connect_stop "$work/connect-blatdbz"
