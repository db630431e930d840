# shellcheck shell=bash
# The sink benchmarks' input: a PostgreSQL table snapshotted into a fresh embedded log by the
# worker's PostgreSQL source (snapshot.mode=initial_only), not timed. Source after
# scripts/lib/pg.sh, with $work (a scratch directory) and $bin (the release worker) set and the
# benchmark's PostgreSQL started (TRIBUTARY_PG_PORT).
#
#   snapshot_topic DATA_DIR DB SLOT ROWS [EXTRA_JSON]
#       writes $work/source.json (database DB, topic prefix `bench`, slot SLOT, publication
#       bench_pub, EXTRA_JSON appended to the config, e.g. ', "value.converter": ...'), runs the
#       worker on DATA_DIR until bench.public.items holds ROWS records, and stops it. The worker's
#       pid is in $pid meanwhile (for the caller's EXIT trap); its log is $work/worker-src.log.

snapshot_topic() {
  local data=$1 db=$2 slot=$3 rows=$4 extra=${5:-}
  cat > "$work/source.json" <<JSON
{"name": "src", "config": {
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$TRIBUTARY_PG_PORT",
  "database.user": "postgres", "database.password": "postgres", "database.dbname": "$db",
  "topic.prefix": "bench", "slot.name": "$slot", "publication.name": "bench_pub",
  "snapshot.mode": "initial_only"$extra}}
JSON
  rm -rf "$data"
  "$bin" standalone --listen 127.0.0.1:0 --data-dir "$data" "$work/source.json" > "$work/worker-src.log" 2>&1 &
  pid=$!
  until [ "$("$bin" topics list --data-dir "$data" 2>/dev/null | awk '$1 == "bench.public.items" { print $2 }')" = "$rows" ]; do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$work/worker-src.log" >&2; return 1; }
    sleep 0.2
  done
  kill -TERM "$pid"; wait "$pid" || true; pid=
}
