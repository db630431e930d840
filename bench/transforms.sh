#!/usr/bin/env bash
# What a transform chain costs the PostgreSQL source. Prints figures; asserts nothing.
#
#   bench/transforms.sh [ROWS]      (default 1,000,000; BENCH_REPEAT=N pairs, default 3)
#
# The chain: ExtractNewRecordState + ReplaceField$Value (exclude) + RegexRouter + InsertField$Value
# (a static field), on the worker's PostgreSQL source into its embedded log (JsonConverter with
# schemas). Measured against the same connector without the chain, in the same run:
#   - snapshot: a ROWS-row table read by snapshot.mode=initial_only, until the topic holds ROWS;
#   - streaming: a backlog of ROWS inserts in a slot (twin slots, one per side), until the slot's
#     confirmed position passes the backlog's end.
# Pairs alternate (plain, chain) so a load change hits both sides; rows/s of each run, worker
# CPU seconds, and the median ratio chain/plain per phase.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
source bench/lib/peers.sh
ROWS=${1:-1000000}
REPEAT=${BENCH_REPEAT:-3}
work=$PWD/target/bench-transforms
mkdir -p "$work"
command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet --bin tributary
bin=$PWD/target/release/tributary

pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; pg_stop "$work/pg"; rm -rf "$work"/data-*' EXIT
pg_stop "$work/pg" || true
pg_start "$work/pg" >/dev/null
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
psqlb -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
psqlb -d bench -c "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL, internal int, updated timestamptz NOT NULL)" \
  -c "INSERT INTO items SELECT g, 'name-' || g, g % 100, g, '2024-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, $ROWS) g" \
  -c "CREATE TABLE stream_t (LIKE items INCLUDING ALL)" -c "CREATE PUBLICATION bench_pub FOR ALL TABLES"

CHAIN='"transforms": "unwrap,drop,route,add",
  "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
  "transforms.drop.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
  "transforms.drop.exclude": "internal",
  "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
  "transforms.route.regex": "bench\\.(.*)", "transforms.route.replacement": "prod.$1",
  "transforms.add.type": "org.apache.kafka.connect.transforms.InsertField$Value",
  "transforms.add.static.field": "origin", "transforms.add.static.value": "bench",'
connector() { # file slot mode chain(0|1) [table include list]
  local extra=""
  [ "$4" = 1 ] && extra=$CHAIN
  cat > "$1" <<JSON
{"name": "bench", "config": { $extra
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$TRIBUTARY_PG_PORT",
  "database.user": "postgres", "database.password": "postgres", "database.dbname": "bench",
  "topic.prefix": "bench", "slot.name": "$2", "publication.name": "bench_pub",
  "table.include.list": "$5", "snapshot.mode": "$3"}}
JSON
}

topic_count() { "$bin" topics list --data-dir "$1" 2>/dev/null | awk -v t="$2" '$1 == t { print $2 }'; }

snapshot_run() { # chain(0|1) -> "seconds cpu"
  local data=$work/data-snap topic=bench.public.items t0 t1 cpu
  [ "$1" = 1 ] && topic=prod.public.items
  rm -rf "$data"
  connector "$work/snap.json" "snap_$1_$RANDOM" initial_only "$1" public.items
  t0=$(now)
  "$bin" standalone --listen 127.0.0.1:0 --data-dir "$data" "$work/snap.json" > "$work/worker-snap.log" 2>&1 &
  pid=$!
  until [ "$(topic_count "$data" "$topic")" = "$ROWS" ]; do
    kill -0 $pid 2>/dev/null || { tail -20 "$work/worker-snap.log" >&2; exit 1; }
    sleep 0.05
  done
  t1=$(now); cpu=$(cpu_s $pid)
  kill -TERM $pid; wait $pid || true; pid=
  psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'snap_%'" >/dev/null
  echo "$(echo "$t1 - $t0" | bc -l) $cpu"
}

stream_run() { # chain(0|1) slot end_lsn -> "seconds cpu"
  local data=$work/data-stream t0 t1 cpu done_lsn
  rm -rf "$data"
  connector "$work/stream.json" "$2" no_data "$1" public.stream_t
  t0=$(now)
  "$bin" standalone --listen 127.0.0.1:0 --data-dir "$data" "$work/stream.json" > "$work/worker-stream.log" 2>&1 &
  pid=$!
  while :; do
    done_lsn=$(psqlb -d bench -c "SELECT confirmed_flush_lsn >= '$3' FROM pg_replication_slots WHERE slot_name='$2'")
    [ "$done_lsn" = t ] && break
    kill -0 $pid 2>/dev/null || { tail -20 "$work/worker-stream.log" >&2; exit 1; }
    sleep 0.05
  done
  t1=$(now); cpu=$(cpu_s $pid)
  kill -TERM $pid; wait $pid || true; pid=
  echo "$(echo "$t1 - $t0" | bc -l) $cpu"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== snapshot of $ROWS rows, $REPEAT pairs (plain, then with the chain)"
printf '%-4s %12s %8s %12s %8s %7s\n' run "plain rows/s" "CPU s" "chain rows/s" "CPU s" ratio
ratios=()
for run in $(seq 1 "$REPEAT"); do
  read -r ps pc < <(snapshot_run 0)
  read -r cs cc < <(snapshot_run 1)
  r=$(echo "$ps / $cs" | bc -l); ratios+=("$r")
  printf '%-4s %12.0f %8s %12.0f %8s %7.2f\n' "$run" "$(echo "$ROWS / $ps" | bc -l)" "$pc" "$(echo "$ROWS / $cs" | bc -l)" "$cc" "$r"
done
printf 'snapshot: chain/plain throughput, median of %d: %.2f\n\n' "$REPEAT" "$(printf '%s\n' "${ratios[@]}" | median)"

echo "== streaming: a backlog of $ROWS inserts per run, $REPEAT pairs"
printf '%-4s %12s %8s %12s %8s %7s\n' run "plain ev/s" "CPU s" "chain ev/s" "CPU s" ratio
ratios=()
for run in $(seq 1 "$REPEAT"); do
  psqlb -d bench -c "TRUNCATE stream_t" \
    -c "SELECT 1 FROM pg_create_logical_replication_slot('plain_$run', 'pgoutput')" \
    -c "SELECT 1 FROM pg_create_logical_replication_slot('chain_$run', 'pgoutput')" >/dev/null
  psqlb -d bench -c "INSERT INTO stream_t SELECT * FROM items"
  end_lsn=$(psqlb -d bench -c "SELECT pg_current_wal_lsn()")
  psqlb -d bench -c "SELECT pg_logical_emit_message(false, 'bench', 'end')" >/dev/null
  read -r ps pc < <(stream_run 0 "plain_$run" "$end_lsn")
  read -r cs cc < <(stream_run 1 "chain_$run" "$end_lsn")
  psqlb -d postgres -c "SELECT pg_drop_replication_slot('plain_$run')" -c "SELECT pg_drop_replication_slot('chain_$run')" >/dev/null
  r=$(echo "$ps / $cs" | bc -l); ratios+=("$r")
  printf '%-4s %12.0f %8s %12.0f %8s %7.2f\n' "$run" "$(echo "$ROWS / $ps" | bc -l)" "$pc" "$(echo "$ROWS / $cs" | bc -l)" "$cc" "$r"
done
printf 'streaming: chain/plain throughput, median of %d: %.2f\n' "$REPEAT" "$(printf '%s\n' "${ratios[@]}" | median)"
