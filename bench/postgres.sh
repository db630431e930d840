#!/usr/bin/env bash
# PostgreSQL capture benchmark. Prints figures; asserts nothing.
#
#   bench/postgres.sh [ROWS]        (default 1,000,000)
#   BENCH_ONLY=snapshot bench/postgres.sh [ROWS]   (only part 2)
#   BENCH_REPEAT=N (default 3): snapshot runs; each pairs a COPY with a worker run
#
# 1. Streaming: fills two twin slots with a backlog of ROWS single-row-sized changes, then
#    drains one with `pg_recvlogical` into /dev/null and the other with the Tributary worker into
#    its embedded log (durable, offsets committed), and prints events/s, MB/s, peak RSS, ratio.
# 2. Snapshot: a ROWS-row table read by `COPY ... TO STDOUT` into /dev/null, and by the worker's
#    initial snapshot (snapshot.mode=initial_only) into the embedded log; rows/s and ratio, in
#    BENCH_REPEAT alternating pairs (the machine's load changes by the second), and the median.
# 3. Against Debezium: the same table snapshotted (snapshot.mode=initial_only) by Debezium 3.6.1
#    on a Kafka Connect 4.3 worker and by the worker on Kafka, into one Apache Kafka broker
#    (JsonConverter with schemas, both sides' default), each timed until the last row is
#    readable on its topic; rows/s, peak RSS and CPU seconds of the JVM and of the worker
#    (bench/lib/peers.sh). BENCH_DEBEZIUM=0 skips it.
# Both sides run in the same session on the same server, so the ratios hold on a noisy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
source scripts/lib/kafka.sh
source scripts/lib/connect.sh
source bench/lib/peers.sh
ROWS=${1:-1000000}
# Snapshot runs (COPY, then the worker, alternating): the median ratio is printed.
REPEAT=${BENCH_REPEAT:-3}
work=target/bench
mkdir -p "$work"

command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet
bin=$PWD/target/release/tributary

pg_stop "$work/pg" || true
pg_start "$work/pg"
# The embedded logs take gigabytes (with schemas ~2.9 KB per event): remove them on exit.
pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; connect_stop "$work/connect-dbz-snap"; kafka_stop "$work/kafka"; pg_stop "$work/pg"; rm -rf "$work/data-stream" "$work/data-snap" "$work/data-trib-snap"' EXIT
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
psqlb -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null

connector() { # name slot mode
  cat > "$work/$1.json" <<JSON
{"name": "$1", "config": {
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$TRIBUTARY_PG_PORT",
  "database.user": "postgres", "database.password": "postgres", "database.dbname": "bench",
  "topic.prefix": "bench", "slot.name": "$2", "publication.name": "bench_pub",
  "snapshot.mode": "$3"${BENCH_CONNECTOR_EXTRA:-}}}
JSON
}

if [ "${BENCH_ONLY:-}" != snapshot ]; then
echo "== streaming: backlog of $ROWS changes"
psqlb -d bench >/dev/null <<SQL
CREATE TABLE stream_t (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL, updated timestamptz NOT NULL);
CREATE PUBLICATION bench_pub FOR ALL TABLES;
SELECT 1 FROM pg_create_logical_replication_slot('bench_trib', 'pgoutput');
SELECT 1 FROM pg_create_logical_replication_slot('bench_twin', 'pgoutput');
SELECT 1 FROM pg_create_logical_replication_slot('bench_twin_bin', 'pgoutput');
SELECT 1 FROM pg_create_logical_replication_slot('bench_twin_after', 'pgoutput');
SQL
batch=100000
for ((s = 1; s <= ROWS; s += batch)); do
  e=$(( s + batch - 1 )); [ "$e" -gt "$ROWS" ] && e=$ROWS
  psqlb -d bench -c "INSERT INTO stream_t SELECT g, 'name-' || g, g % 100, '2024-01-01'::timestamptz + g * interval '1 second' FROM generate_series($s, $e) g"
done
end_lsn=$(psqlb -d bench -c "SELECT pg_current_wal_lsn()")
# WAL past the end, so keepalives report a position beyond it (pgoutput ignores the message).
psqlb -d bench -c "SELECT pg_logical_emit_message(false, 'bench', 'end')" >/dev/null
wal_bytes=$(psqlb -d bench -c "SELECT pg_wal_lsn_diff('$end_lsn', confirmed_flush_lsn) FROM pg_replication_slots WHERE slot_name='bench_twin'")

recvlogical() { # slot [extra options]
  local slot=$1; shift
  t0=$(now)
  PGPASSWORD=postgres "$PG_BIN/pg_recvlogical" -h 127.0.0.1 -p "$TRIBUTARY_PG_PORT" -U postgres -d bench --slot "$slot" --start \
    --no-loop -o proto_version=1 -o publication_names=bench_pub "$@" -E "$end_lsn" -f /dev/null
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
# pgoutput's text mode (what pg_recvlogical and Debezium use) and binary mode (what Tributary
# asks for on PostgreSQL 14+): the ratio is taken against the faster of the two.
recv_s=$(recvlogical bench_twin)
recv_bin_s=$(recvlogical bench_twin_bin -o binary=true)

connector bench-stream bench_trib no_data
rm -rf "$work/data-stream"
t0=$(now)
"$bin" standalone --data-dir "$work/data-stream" "$work/bench-stream.json" > "$work/worker-stream.log" 2>&1 &
pid=$!
rss=0
while :; do
  done_lsn=$(psqlb -d bench -c "SELECT confirmed_flush_lsn >= '$end_lsn' FROM pg_replication_slots WHERE slot_name='bench_trib'")
  r=$(peak_rss_mib $pid); [ "$r" != "?" ] && rss=$r
  [ "$done_lsn" = t ] && break
  kill -0 $pid 2>/dev/null || { echo "worker died:"; tail -20 "$work/worker-stream.log"; exit 1; }
  sleep 0.05
done
t1=$(now)
trib_cpu=$(cpu_s $pid)
kill -TERM $pid; wait $pid || true
trib_s=$(echo "$t1 - $t0" | bc -l)
# Once more after Tributary, so no side profits alone from WAL already in the page cache.
recv_after_s=$(recvlogical bench_twin_after -o binary=true)
best_recv_s=$(printf '%s\n' "$recv_s" "$recv_bin_s" "$recv_after_s" | sort -g | head -1)
events=$("$bin" topics list --data-dir "$work/data-stream" | awk '$1 == "bench.public.stream_t" { print $2 }')
log_mb=$(du -sm "$work/data-stream" | cut -f1)

printf '%-28s %10s %12s %10s %10s\n' "streaming" "seconds" "events/s" "WAL MB/s" "peak RSS"
printf '%-28s %10.2f %12.0f %10.1f %10s\n' "pg_recvlogical (text)" "$recv_s" "$(echo "$ROWS / $recv_s" | bc -l)" "$(echo "$wal_bytes / 1048576 / $recv_s" | bc -l)" "-"
printf '%-28s %10.2f %12.0f %10.1f %10s\n' "pg_recvlogical (binary)" "$recv_bin_s" "$(echo "$ROWS / $recv_bin_s" | bc -l)" "$(echo "$wal_bytes / 1048576 / $recv_bin_s" | bc -l)" "-"
printf '%-28s %10.2f %12.0f %10.1f %10s\n' "pg_recvlogical (binary, after)" "$recv_after_s" "$(echo "$ROWS / $recv_after_s" | bc -l)" "$(echo "$wal_bytes / 1048576 / $recv_after_s" | bc -l)" "-"
printf '%-28s %10.2f %12.0f %10.1f %9sM\n' "tributary -> embedded log" "$trib_s" "$(echo "$events / $trib_s" | bc -l)" "$(echo "$wal_bytes / 1048576 / $trib_s" | bc -l)" "$rss"
printf 'events on topic: %s of %s; embedded log on disk: %s MB; worker CPU: %s s (%.2f us/event)\n' "$events" "$ROWS" "$log_mb" "$trib_cpu" "$(echo "$trib_cpu * 1000000 / $ROWS" | bc -l)"
printf 'ratio tributary/pg_recvlogical, against the fastest run (throughput): %.2f\n\n' "$(echo "$best_recv_s / $trib_s" | bc -l)"
psqlb -d bench -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
psqlb -d bench -c "CREATE TABLE snap_t AS SELECT * FROM stream_t" -c "DROP TABLE stream_t"
else
psqlb -d bench -c "CREATE TABLE snap_t AS SELECT g::bigint AS id, 'name-' || g AS name, (g % 100)::int AS qty, '2024-01-01'::timestamptz + g * interval '1 second' AS updated FROM generate_series(1, $ROWS) g" \
  -c "CREATE PUBLICATION bench_pub FOR ALL TABLES"
fi

echo "== snapshot: $ROWS-row table, $REPEAT alternating runs of COPY and the worker"
psqlb -d bench -c "ALTER TABLE snap_t ADD PRIMARY KEY (id)" -c "VACUUM ANALYZE snap_t"
connector bench-snap bench_snap initial_only
printf '%-4s %10s %12s %10s %12s %10s %9s %7s\n' run "COPY s" "COPY rows/s" "worker s" "rows/s" "CPU s" "peak RSS" ratio
ratios=()
for ((run = 1; run <= REPEAT; run++)); do
  t0=$(now)
  psqlb -d bench -c "COPY snap_t TO STDOUT" > /dev/null
  t1=$(now)
  copy_s=$(echo "$t1 - $t0" | bc -l)

  rm -rf "$work/data-snap"
  psqlb -d bench -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'bench_snap'" >/dev/null
  t0=$(now)
  # BENCH_PERF=FILE samples the worker's stacks into FILE (`perf report -i FILE`); the CPU and
  # RSS figures are then perf's, not the worker's.
  ${BENCH_PERF:+perf record -g -e cpu-clock -F 4000 -o "$BENCH_PERF" --} \
    "$bin" standalone --data-dir "$work/data-snap" "$work/bench-snap.json" > "$work/worker-snap.log" 2>&1 &
  pid=$!
  rss=0
  until grep -q "snapshot completed" "$work/worker-snap.log"; do
    r=$(peak_rss_mib $pid); [ "$r" != "?" ] && rss=$r
    kill -0 $pid 2>/dev/null || { echo "worker died:"; tail -20 "$work/worker-snap.log"; exit 1; }
    sleep 0.01
  done
  # The snapshot's last batch is durable once the final offset is committed; wait for the rows.
  until [ "$("$bin" topics list --data-dir "$work/data-snap" | awk '$1 == "bench.public.snap_t" { print $2 }')" = "$ROWS" ]; do sleep 0.01; done
  t1=$(now)
  r=$(peak_rss_mib $pid); [ "$r" != "?" ] && rss=$r
  snap_cpu=$(cpu_s $pid)
  kill -TERM $pid; wait $pid || true
  pid=
  snap_s=$(echo "$t1 - $t0" | bc -l)
  ratio=$(echo "$copy_s / $snap_s" | bc -l)
  ratios+=("$ratio")
  printf '%-4s %10.2f %12.0f %10.2f %12.0f %10s %8sM %7.2f\n' "$run" "$copy_s" "$(echo "$ROWS / $copy_s" | bc -l)" \
    "$snap_s" "$(echo "$ROWS / $snap_s" | bc -l)" "$snap_cpu" "$rss" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
printf 'ratio tributary/COPY (throughput), median of %d runs: %.2f (runs: %s)\n' "$REPEAT" "$median" \
  "$(printf '%.2f ' "${ratios[@]}")"

[ "${BENCH_DEBEZIUM:-1}" = 0 ] && exit 0
echo
echo "== snapshot against Debezium 3.6.1 on Kafka Connect: the $ROWS-row table into one Apache Kafka broker"
kafka_stop "$work/kafka" || true
kafka_start "$work/kafka" >/dev/null
bootstrap=$TRIBUTARY_KAFKA_BOOTSTRAP
peers_build
# One config for both sides (Debezium's class and property names), each with its own slot and
# topic prefix; JsonConverter with schemas is both workers' default.
peer_config() { # name slot prefix
  python3 - "$work/bench-snap.json" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["config"]
c.update({"slot.name": sys.argv[3], "topic.prefix": sys.argv[4], "plugin.name": "pgoutput",
          "snapshot.mode": "initial_only", "topic.creation.default.partitions": "1",
          "topic.creation.default.replication.factor": "1"})
print(json.dumps({"name": sys.argv[2], "config": c}))
PY
}
psqlb -d bench -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
read -r dbz_s dbz_rss dbz_cpu < <(debezium_run dbz-snap "$(peer_config dbz-snap bench_dbz_snap bdbz)" bdbz.public.snap_t "$ROWS")
peer_config trib-snap bench_trib_snap btrib > "$work/trib-snap.json"
read -r trib_s trib_rss trib_cpu < <(tributary_run trib-snap "$work/trib-snap.json" btrib.public.snap_t "$ROWS")
[ -n "${dbz_s:-}" ] && [ -n "${trib_s:-}" ] || { echo "a side of the comparison failed (its log is above)" >&2; exit 1; }
peers_header rows
peers_row "Debezium 3.6.1 on Connect -> Kafka" "$ROWS" "$dbz_s" "$dbz_rss" "$dbz_cpu"
peers_row "tributary -> Kafka" "$ROWS" "$trib_s" "$trib_rss" "$trib_cpu"
peers_ratios "snapshot, last row readable" "$dbz_s" "$dbz_rss" "$dbz_cpu" "$trib_s" "$trib_rss" "$trib_cpu"
