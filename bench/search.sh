#!/usr/bin/env bash
# Elasticsearch sink benchmark (PostgreSQL → embedded log → a real OpenSearch node). Prints
# figures; asserts nothing.
#
#   bench/search.sh [ROWS]      (default 1,000,000)
#
# Starts its own PostgreSQL and OpenSearch 2 node (scripts/lib/opensearch.sh) under
# target/bench-search. A ROWS-row table (id bigint pk, name text, qty int, updated timestamptz) is
# snapshotted by the worker into its embedded log (not timed); then, timed:
#   - the Elasticsearch sink (io.confluent.connect.elasticsearch.ElasticsearchSinkConnector, the
#     issue's config: key.ignore=false, schema.ignore=true, with ExtractNewRecordState and
#     ExtractField$Key so a document is the row and its id the key) into an empty index, until the
#     index counts ROWS documents;
#   - first (not timed), a few bulks into a warm-up index: a fresh node's JVM is cold;
#   - the baseline: a plain loader sending the same documents (the rows as JSON, read from
#     PostgreSQL beforehand, not timed) as _bulk requests of the sink's batch.size (2000) on one
#     connection, one after the other, into another index, until it counts ROWS;
# and prints documents/s, the worker's peak RSS and CPU seconds, and the ratio sink/plain.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
source scripts/lib/kafka.sh
source scripts/lib/opensearch.sh
source bench/lib/peers.sh
source bench/lib/topic.sh
ROWS=${1:-1000000}
work=$PWD/target/bench-search
mkdir -p "$work"
command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet --bin tributary
bin=$PWD/target/release/tributary
opensearch_install >/dev/null

pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; opensearch_stop "$work/search"; pg_stop "$work/pg"; rm -rf "$work/data" "$work/bulk"' EXIT
pg_stop "$work/pg" || true
pg_start "$work/pg" >/dev/null
opensearch_stop "$work/search" || true
opensearch_start "$work/search" >/dev/null
url=$TRIBUTARY_SEARCH_URL
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
psqlb -d postgres -c "DROP DATABASE IF EXISTS bench_src WITH (FORCE)" -c "CREATE DATABASE bench_src"
psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
psqlb -d bench_src -c "CREATE TABLE items AS SELECT g::bigint AS id, 'name-' || g AS name, (g % 100)::int AS qty, '2024-01-01'::timestamptz + g * interval '1 second' AS updated FROM generate_series(1, $ROWS) g" \
  -c "ALTER TABLE items ADD PRIMARY KEY (id)" -c "CREATE PUBLICATION bench_pub FOR ALL TABLES"

count() { # index -> documents (after a refresh)
  curl -s -X POST "$url/$1/_refresh" >/dev/null 2>&1 || true
  curl -s "$url/$1/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'
}

echo "== the topic: $ROWS rows snapshotted into the embedded log (not timed)"
snapshot_topic "$work/data" bench_src bench_search "$ROWS"

echo "== the plain loader's _bulk bodies (not timed)"
rm -rf "$work/bulk"; mkdir -p "$work/bulk"
# One NDJSON body per 2000 rows: an index action with the id, then the row as the sink writes it
# (ExtractNewRecordState's row: updated as Debezium's ZonedTimestamp string).
psqlb -d bench_src -c "SELECT line FROM items, LATERAL (VALUES
    (1, json_build_object('index', json_build_object('_id', id::text))::text),
    (2, json_build_object('id', id, 'name', name, 'qty', qty, 'updated', to_char(updated AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))::text)) v(n, line)
  ORDER BY id, n" > "$work/bulk/all.ndjson"
split -l 4000 -a 4 "$work/bulk/all.ndjson" "$work/bulk/part-"
rm "$work/bulk/all.ndjson"

printf '%-40s %9s %11s %9s %8s\n' "" seconds docs/s "peak RSS" "CPU s"
echo "== plain _bulk loader"
# A fresh node's JVM is cold: a few bulks into an index of its own first, so neither side pays it.
for f in $(ls "$work"/bulk/part-* | head -5); do
  curl -s -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary "@$f" "$url/warmup/_bulk"
done
curl -s -X PUT "$url/plain" >/dev/null
t0=$(now)
for f in "$work"/bulk/part-*; do
  curl -s -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary "@$f" "$url/plain/_bulk"
done
until [ "$(count plain)" = "$ROWS" ]; do sleep 0.1; done
plain_s=$(echo "$(now) - $t0" | bc -l)
printf '%-40s %9.2f %11.0f %9s %8s\n' "plain _bulk loader (curl, 1 connection)" "$plain_s" "$(echo "$ROWS / $plain_s" | bc -l)" - -

echo "== the Elasticsearch sink"
cat > "$work/worker.properties" <<PROPS
offset.flush.interval.ms=1000
PROPS
cat > "$work/sink.json" <<JSON
{"name": "elasticsearch-sink", "config": {
  "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
  "connection.url": "$url", "topics": "bench.public.items", "type.name": "_doc",
  "key.ignore": "false", "schema.ignore": "true", "tasks.max": "1",
  "transforms": "unwrap,key",
  "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
  "transforms.key.type": "org.apache.kafka.connect.transforms.ExtractField\$Key",
  "transforms.key.field": "id"}}
JSON
t0=$(now)
"$bin" standalone --listen 127.0.0.1:0 --data-dir "$work/data" --worker-config "$work/worker.properties" "$work/sink.json" > "$work/worker-sink.log" 2>&1 &
pid=$!
until [ "$(count bench.public.items)" = "$ROWS" ]; do
  kill -0 $pid 2>/dev/null || { tail -20 "$work/worker-sink.log"; exit 1; }
  sleep 0.2
done
sink_s=$(echo "$(now) - $t0" | bc -l)
rss=$(peak_rss_mib $pid); cpu=$(cpu_s $pid)
kill -TERM $pid; wait $pid || true; pid=
printf '%-40s %9.2f %11.0f %8sM %8s\n' "Elasticsearch sink (embedded log)" "$sink_s" "$(echo "$ROWS / $sink_s" | bc -l)" "$rss" "$cpu"
printf 'ratio Elasticsearch sink / plain _bulk loader (docs/s): %.2f\n' "$(echo "$plain_s / $sink_s" | bc -l)"
