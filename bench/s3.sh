#!/usr/bin/env bash
# S3 sink benchmark (PostgreSQL → embedded log → S3, moto's server). Prints figures; asserts
# nothing.
#
#   bench/s3.sh [ROWS]          (default 1,000,000; BENCH_FORMATS="json parquet avro" by default,
#                                 the formats the sink has)
#
# Starts its own PostgreSQL and S3 test server (scripts/lib/s3.sh) under target/bench-s3. A
# ROWS-row table (id bigint pk, name text, qty int, price numeric(10,2), updated timestamptz) is
# snapshotted by the worker into its embedded log (not timed); then, per format, timed:
#   - the S3 sink (io.confluent.connect.s3.S3SinkConnector, flush.size=ROWS/10) from the topic
#     into an empty bucket, until its committed offset is ROWS (every object uploaded);
#   - the baseline: the same objects' bytes (read back from the bucket beforehand) uploaded again
#     by a plain boto3 client, one PUT per object, into another bucket;
# and prints events/s, the worker's peak RSS and CPU seconds, and the ratio sink/plain.
# BENCH_WRAP="perf record -g -o target/s3.perf --" runs the sink's worker under a profiler (its
# RSS and CPU figures are then the profiler's).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
source scripts/lib/python.sh
source scripts/lib/s3.sh
source bench/lib/peers.sh
source bench/lib/topic.sh
ROWS=${1:-1000000}
FORMATS=${BENCH_FORMATS:-json parquet avro}
# Ten objects per run: every one closes at flush.size, so the last commit is at ROWS.
FLUSH=$((ROWS / 10))
work=$PWD/target/bench-s3
mkdir -p "$work"
command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet --bin tributary
bin=$PWD/target/release/tributary
s3_install "$work/venv" >/dev/null

pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; s3_stop "$work/s3"; pg_stop "$work/pg"; rm -rf "$work/data" "$work/objects"' EXIT
pg_stop "$work/pg" || true
pg_start "$work/pg" >/dev/null
s3_stop "$work/s3" || true
s3_start "$work/s3"
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
psqlb -d postgres -c "DROP DATABASE IF EXISTS bench_src WITH (FORCE)" -c "CREATE DATABASE bench_src"
psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
psqlb -d bench_src -c "CREATE TABLE items AS SELECT g::bigint AS id, 'name-' || g AS name, (g % 100)::int AS qty, (g % 10000) * 1.25::numeric(10,2) AS price, '2024-01-01'::timestamptz + g * interval '1 second' AS updated FROM generate_series(1, $ROWS) g" \
  -c "ALTER TABLE items ADD PRIMARY KEY (id)" -c "CREATE PUBLICATION bench_pub FOR ALL TABLES"

s3py() { "$TRIBUTARY_S3_PYTHON" - "$@"; }
S3_CLIENT='
import sys, os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["TRIBUTARY_S3_URL"], region_name=os.environ["TRIBUTARY_S3_REGION"],
                  aws_access_key_id=os.environ["TRIBUTARY_S3_ACCESS_KEY"], aws_secret_access_key=os.environ["TRIBUTARY_S3_SECRET_KEY"])
'

echo "== the topic: $ROWS rows snapshotted into the embedded log (not timed)"
snapshot_topic "$work/data" bench_src bench_s3 "$ROWS"

printf '%-40s %9s %11s %9s %8s\n' "" seconds events/s "peak RSS" "CPU s"
for format in $FORMATS; do
  case $format in
    json) class=io.confluent.connect.s3.format.json.JsonFormat ;;
    parquet) class=io.confluent.connect.s3.format.parquet.ParquetFormat ;;
    avro) class=io.confluent.connect.s3.format.avro.AvroFormat ;;
    *) echo "unknown format $format" >&2; exit 2 ;;
  esac
  bucket=bench-$format-$RANDOM
  s3py "$bucket" <<PY
$S3_CLIENT
s3.create_bucket(Bucket=sys.argv[1]); s3.create_bucket(Bucket=sys.argv[1] + "-plain")
PY
  cat > "$work/worker.properties" <<PROPS
offset.flush.interval.ms=100
PROPS
  cat > "$work/sink.json" <<JSON
{"name": "s3-$format", "config": {
  "connector.class": "io.confluent.connect.s3.S3SinkConnector", "tasks.max": "1",
  "topics": "bench.public.items", "s3.region": "$TRIBUTARY_S3_REGION", "s3.bucket.name": "$bucket",
  "store.url": "$TRIBUTARY_S3_URL", "s3.path.style.access.enabled": "true",
  "aws.access.key.id": "$TRIBUTARY_S3_ACCESS_KEY", "aws.secret.access.key": "$TRIBUTARY_S3_SECRET_KEY",
  "s3.part.size": "67108864", "storage.class": "io.confluent.connect.s3.storage.S3Storage",
  "format.class": "$class", "flush.size": "$FLUSH"}}
JSON
  t0=$(now)
  ${BENCH_WRAP:-} "$bin" standalone --listen 127.0.0.1:0 --data-dir "$work/data" --worker-config "$work/worker.properties" "$work/sink.json" > "$work/worker-sink.log" 2>&1 &
  pid=$!
  url=
  while :; do
    [ -n "$url" ] || url=$(grep -so 'listening on http://[0-9.:]*' "$work/worker-sink.log" | head -1 | sed 's/listening on //' || true)
    if [ -n "$url" ]; then
      committed=$(curl -s "$url/connectors/s3-$format/offsets" | "$TRIBUTARY_S3_PYTHON" -c 'import sys, json
try:
    print(max((o["offset"]["kafka_offset"] for o in json.load(sys.stdin)["offsets"]), default=0))
except Exception:
    print(0)')
      [ "${committed:-0}" -ge "$ROWS" ] && break
    fi
    kill -0 $pid 2>/dev/null || { tail -20 "$work/worker-sink.log"; exit 1; }
    sleep 0.1
  done
  sink_s=$(echo "$(now) - $t0" | bc -l)
  rss=$(peak_rss_mib $pid); cpu=$(cpu_s $pid)
  kill -TERM $pid; wait $pid || true; pid=
  # The baseline: the same bytes, read back first (not timed), uploaded by a plain client.
  rm -rf "$work/objects"; mkdir -p "$work/objects"
  s3py "$bucket" "$work/objects" <<PY
$S3_CLIENT
import pathlib
out = pathlib.Path(sys.argv[2])
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[1]):
    for o in page.get("Contents", []):
        s3.download_file(sys.argv[1], o["Key"], str(out / o["Key"].replace("/", "__")))
PY
  bytes=$(du -sb "$work/objects" | cut -f1)
  plain_s=$(s3py "$bucket-plain" "$work/objects" <<PY
$S3_CLIENT
import pathlib, time
files = sorted(pathlib.Path(sys.argv[2]).iterdir())
t0 = time.monotonic()
for f in files:
    s3.put_object(Bucket=sys.argv[1], Key=f.name, Body=f.read_bytes())
print(time.monotonic() - t0)
PY
)
  printf '%-40s %9.2f %11.0f %8sM %8s\n' "S3 sink, $format ($((bytes / 1048576)) MiB)" "$sink_s" "$(echo "$ROWS / $sink_s" | bc -l)" "$rss" "$cpu"
  printf '%-40s %9.2f %11.0f %9s %8s\n' "plain boto3 upload of the same bytes" "$plain_s" "$(echo "$ROWS / $plain_s" | bc -l)" - -
  printf 'ratio S3 sink / plain upload (%s): %.2f\n' "$format" "$(echo "$plain_s / $sink_s" | bc -l)"
  # The next format reads the topic from the start again: a fresh sink name each time.
done
