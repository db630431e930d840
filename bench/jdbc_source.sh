#!/usr/bin/env bash
# Query-based JDBC source benchmark (Confluent's io.confluent.connect.jdbc.JdbcSourceConnector,
# PostgreSQL and MariaDB → the embedded log). Prints figures; asserts nothing.
#
#   bench/jdbc_source.sh [ROWS]        (default 1,000,000)
#
# Starts its own PostgreSQL (scripts/lib/pg.sh) and, unless BENCH_MARIADB=0, its own MariaDB
# (scripts/lib/mariadb.sh) under target/bench-jdbc-source, and fills a ROWS-row table
# bench_rows (id bigint pk, name text / varchar(64), qty int, price numeric(10,2), updated
# timestamp / datetime) on each, from generate_series or MariaDB's SEQUENCE engine (seq_1_to_N),
# then reads it once untimed so every side finds it in the server's cache. Then, timed, per
# database:
#   - the baseline, a plain client into /dev/null: `COPY bench_rows TO STDOUT` through psql (over
#     the server's Unix socket); `mariadb --quick -e 'SELECT * FROM bench_rows'` (over TCP);
#   - the worker (`tributary standalone`, release build, a fresh embedded log each run) running
#     the JDBC source in Confluent's property names (connection.url jdbc:postgresql:// or
#     jdbc:mysql:// on 127.0.0.1, table.whitelist=bench_rows, topic.prefix=bench-,
#     poll.interval.ms=1000, tasks.max=1, incrementing.column.name=id), once with mode=bulk and
#     once with mode=incrementing, from the worker's start until the topic bench-bench_rows holds
#     ROWS records (`tributary topics list`, polled every 0.2 s). Bulk mode re-reads the whole
#     table every poll interval, so the clock stops at the first ROWS records;
# and prints rows/s, the ratio to that database's baseline (rows/s), the worker's peak RSS
# (VmHWM) and CPU seconds, and the targets: ≥ 0.5× the baseline, peak RSS < 100 MB.
# BENCH_BATCH_MAX_ROWS sets batch.max.rows (the connector's default otherwise);
# BENCH_CONNECTOR_EXTRA (e.g. ', "numeric.mapping": "best_fit"') is appended to the config.
# A run gives up after BENCH_TIMEOUT seconds (600), or as soon as the worker exits or logs a
# failed task, printing the worker's log tail; the other runs go on and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
source scripts/lib/mariadb.sh
source bench/lib/peers.sh
ROWS=${1:-1000000}
TIMEOUT=${BENCH_TIMEOUT:-600}
TOPIC=bench-bench_rows
work=$PWD/target/bench-jdbc-source
mkdir -p "$work"
command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet --bin tributary
bin=$PWD/target/release/tributary

pid=
cleanup() {
  [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  pg_stop "$work/pg" || true
  mariadb_stop "$work/mariadb" || true
  # The embedded log takes hundreds of megabytes at 1M rows: removed on exit.
  rm -rf "$work/data"
}
trap cleanup EXIT
pg_stop "$work/pg" || true
mariadb_stop "$work/mariadb" || true
rm -rf "$work/data"

echo "== PostgreSQL: $ROWS rows in bench_rows (not timed)"
pg_start "$work/pg" >/dev/null
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
psqlb -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
psqlb -d bench \
  -c "CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text, qty int, price numeric(10,2), updated timestamp)" \
  -c "INSERT INTO bench_rows SELECT g, 'name-' || g, (g % 100)::int, (g % 100000) / 100.0, '2024-01-01'::timestamp + g * interval '1 second' FROM generate_series(1, $ROWS) g" \
  -c "VACUUM ANALYZE bench_rows"
psqlb -d bench -c "SELECT count(*) FROM bench_rows" >/dev/null

if [ "${BENCH_MARIADB:-1}" != 0 ]; then
  echo "== MariaDB: $ROWS rows in bench_rows (not timed)"
  MARIADB_FLUSH=2 mariadb_start "$work/mariadb" >/dev/null
  sqlm() { mariadb --no-defaults -h 127.0.0.1 -P "$TRIBUTARY_MYSQL_PORT" -uroot -proot -N -B "$@"; }
  sqlm -e "DROP DATABASE IF EXISTS bench; CREATE DATABASE bench"
  sqlm bench -e "CREATE TABLE bench_rows (id bigint PRIMARY KEY, name varchar(64), qty int, price decimal(10,2), updated datetime);
    INSERT INTO bench_rows SELECT seq, CONCAT('name-', seq), seq % 100, (seq % 100000) / 100, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_$ROWS;
    ANALYZE TABLE bench_rows;" >/dev/null
  sqlm bench -e "SELECT count(*) FROM bench_rows" >/dev/null
fi

# Worker properties: the same as bench/jdbc.sh's (the log's offsets flushed every second).
cat > "$work/worker.properties" <<PROPS
offset.flush.interval.ms=1000
PROPS

# One timed run: the worker on a fresh data directory with the connector below, until $TOPIC
# holds $ROWS records. Sets run_s (seconds), run_rss (peak RSS, MiB) and run_cpu (CPU seconds);
# fails with the worker's log tail on stderr when the worker exits, logs a failed task, or
# $TIMEOUT seconds pass. The worker's pid is in $pid meanwhile (for the EXIT trap).
source_run() { # label url user password mode
  local label=$1 url=$2 user=$3 password=$4 mode=$5 data=$work/data log t0 n why= start=$SECONDS
  log=$work/worker-$label-$mode.log
  cat > "$work/source.json" <<JSON
{"name": "jdbc-source", "config": {
  "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
  "connection.url": "$url", "connection.user": "$user", "connection.password": "$password",
  "table.whitelist": "bench_rows", "mode": "$mode", "incrementing.column.name": "id",
  "topic.prefix": "bench-", "poll.interval.ms": "1000", "tasks.max": "1"${BENCH_BATCH_MAX_ROWS:+, \"batch.max.rows\": \"$BENCH_BATCH_MAX_ROWS\"}${BENCH_CONNECTOR_EXTRA:-}}}
JSON
  rm -rf "$data"
  t0=$(now)
  "$bin" standalone --listen 127.0.0.1:0 --data-dir "$data" --worker-config "$work/worker.properties" "$work/source.json" \
    > "$log" 2>&1 &
  pid=$!
  while :; do
    n=$("$bin" topics list --data-dir "$data" 2>/dev/null | awk -v t="$TOPIC" '$1 == t { print $2 }') || n=
    [ "${n:-0}" -ge "$ROWS" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then why="the worker exited"
    elif grep -q 'task failed' "$log"; then why="the connector's task failed"
    elif (( SECONDS - start > TIMEOUT )); then why="gave up after $TIMEOUT s with ${n:-0} of $ROWS records on $TOPIC"
    fi
    if [ -n "$why" ]; then
      { echo "jdbc_source: $label, mode=$mode: $why; the worker's log ($log) ends:"; tail -30 "$log"; } >&2
      kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=
      rm -rf "$data"
      return 1
    fi
    sleep 0.2
  done
  run_s=$(echo "$(now) - $t0" | bc -l)
  run_rss=$(peak_rss_mib "$pid"); run_cpu=$(cpu_s "$pid")
  kill -TERM "$pid"; wait "$pid" || true; pid=
  rm -rf "$data"
}

rows_out=()
failed=0
baseline_row() { # label seconds
  rows_out+=("$(printf '%-44s %9.2f %11.0f %7s %9s %8s' "$1" "$2" "$(echo "$ROWS / $2" | bc -l)" 1.00 - -)")
}
connector_rows() { # db-label baseline-seconds url user password
  local db=$1 base_s=$2 url=$3 user=$4 password=$5 mode
  for mode in bulk incrementing; do
    echo "== JDBC source, $db, mode=$mode"
    if source_run "$db" "$url" "$user" "$password" "$mode"; then
      rows_out+=("$(printf '%-44s %9.2f %11.0f %7.2f %8sM %8s' "JDBC source, $db, $mode" "$run_s" "$(echo "$ROWS / $run_s" | bc -l)" \
        "$(echo "$base_s / $run_s" | bc -l)" "$run_rss" "$run_cpu")")
    else
      rows_out+=("$(printf '%-44s %9s' "JDBC source, $db, $mode" failed)")
      failed=1
    fi
  done
}

echo "== PostgreSQL: COPY bench_rows TO STDOUT (psql) into /dev/null"
t0=$(now)
psqlb -d bench -c "COPY bench_rows TO STDOUT" > /dev/null
copy_s=$(echo "$(now) - $t0" | bc -l)
baseline_row "PostgreSQL COPY TO STDOUT (psql)" "$copy_s"
connector_rows PostgreSQL "$copy_s" "jdbc:postgresql://127.0.0.1:$TRIBUTARY_PG_PORT/bench" postgres "$TRIBUTARY_PG_PASSWORD"

if [ "${BENCH_MARIADB:-1}" != 0 ]; then
  echo "== MariaDB: mariadb --quick -e 'SELECT * FROM bench_rows' into /dev/null"
  t0=$(now)
  mariadb --no-defaults -h 127.0.0.1 -P "$TRIBUTARY_MYSQL_PORT" -uroot -proot --quick bench -e 'SELECT * FROM bench_rows' > /dev/null
  client_s=$(echo "$(now) - $t0" | bc -l)
  baseline_row "MariaDB client (mariadb --quick)" "$client_s"
  connector_rows MariaDB "$client_s" "jdbc:mysql://127.0.0.1:$TRIBUTARY_MYSQL_PORT/bench" root "$TRIBUTARY_MYSQL_PASSWORD"
fi

echo
printf '%-44s %9s %11s %7s %9s %8s\n' "$ROWS rows" seconds rows/s ratio "peak RSS" "CPU s"
printf '%s\n' "${rows_out[@]}"
echo "ratio: rows/s against that database's plain client (the row above its runs)"
echo "targets: ratio ≥ 0.5 (PostgreSQL: of COPY), peak RSS < 100 MB"
[ "$failed" = 0 ] || { echo "some runs failed (their worker logs are above)" >&2; exit 1; }
