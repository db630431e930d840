#!/usr/bin/env bash
# MySQL/MariaDB binlog capture benchmark. Prints figures; asserts nothing.
#
#   bench/mysql.sh [ROWS]        (default 1,000,000)
#
# Starts an ephemeral MariaDB (scripts/lib/mariadb.sh) under target/bench-mysql, writes a backlog
# of ROWS row changes (INSERT ... SELECT from seq_1_to_N in batches of 100,000 rows) into the
# binlog, then drains the same binlog files twice in the same run:
#   - `mariadb-binlog --read-from-remote-server --raw` into a scratch directory (the server's
#     ceiling: the bytes of the binlog over the replication protocol, no decoding);
#   - the Tributary worker (release build, snapshot.mode=never: streams from the first binlog
#     file, schema from its DDL) into its embedded log, until all ROWS events are durable
#     (polled with `tributary topics list`).
# Also times the same client decoding every row event to text (`--base64-output=decode-rows -v`,
# to /dev/null): a baseline that, like Tributary, decodes rows.
# Prints events/s, binlog MB/s, peak RSS (VmHWM), the worker's CPU seconds and the ratios.
# BENCH_PERF=1 records the worker with `perf record -e cpu-clock -g` into target/bench-mysql/perf.data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/mariadb.sh
ROWS=${1:-1000000}
work=$PWD/target/bench-mysql
mkdir -p "$work"
# The mysql OS user must reach the server directory.
if [ "$(id -u)" = 0 ] && ! runuser -u mysql -- test -x "$work"; then
  server_dir=$(mktemp -d "${TMPDIR:-/tmp}/tributary-bench-mariadb.XXXXXX")
  chmod 755 "$server_dir"
else
  server_dir=$work/server
fi

command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet --bin tributary
bin=$PWD/target/release/tributary
client=$(command -v mariadb-binlog || command -v mysqlbinlog)

pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  mariadb_stop "$server_dir" || true
  # The embedded log and the server's data take gigabytes: remove them on exit.
  rm -rf "$server_dir" "$work/data" "$work/raw" "$work/history.jsonl"
}
trap cleanup EXIT
mariadb_stop "$server_dir" || true
rm -rf "$server_dir" "$work/data" "$work/raw" "$work/history.jsonl"
mkdir -p "$server_dir"
MARIADB_FLUSH=2 mariadb_start "$server_dir"
sql() { mariadb --no-defaults -h 127.0.0.1 -P "$TRIBUTARY_MYSQL_PORT" -uroot -proot -N -B "$@"; }

now() { date +%s.%N; }
peak_rss_mib() { awk '/VmHWM/ { printf "%.0f", $2/1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
# utime + stime of a process, in seconds.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo "?"; }

echo "== backlog: $ROWS row changes into the binlog"
sql -e "RESET MASTER"
sql <<SQL
CREATE DATABASE bench;
CREATE TABLE bench.stream_t (id bigint PRIMARY KEY, name varchar(64) NOT NULL, qty int NOT NULL, updated datetime(6) NOT NULL);
SQL
batch=100000
for ((s = 1; s <= ROWS; s += batch)); do
  e=$(( s + batch - 1 )); [ "$e" -gt "$ROWS" ] && e=$ROWS
  sql -D bench -e "INSERT INTO stream_t SELECT seq, CONCAT('name-', seq), seq % 100, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_${s}_to_${e}"
done
sql -e "FLUSH BINARY LOGS"
mapfile -t files < <(sql -e "SHOW BINARY LOGS" | awk '{ print $1 }')
binlog_bytes=$(sql -e "SHOW BINARY LOGS" | awk '{ s += $2 } END { print s }')
first=${files[0]}
last=${files[${#files[@]}-1]}
echo "binlog: ${#files[@]} files ($first .. $last), $((binlog_bytes / 1048576)) MB"

raw_read() { # the server's ceiling
  rm -rf "$work/raw"; mkdir -p "$work/raw"
  local t0 t1
  t0=$(now)
  "$client" --no-defaults --read-from-remote-server --host=127.0.0.1 --port="$TRIBUTARY_MYSQL_PORT" \
    --user=root --password=root --raw --result-file="$work/raw/" --to-last-log "$first"
  t1=$(now)
  local got
  got=$(du -sb "$work/raw" | cut -f1)
  rm -rf "$work/raw"
  # It must have read the whole binlog (file headers aside), or the ceiling means nothing.
  [ "$got" -ge $(( binlog_bytes * 9 / 10 )) ] || { echo "$client read $got of $binlog_bytes bytes" >&2; exit 1; }
  echo "$t1 - $t0" | bc -l
}
raw_s=$(raw_read)
# A second, decoding baseline: the same client decoding every row event to text (-v), to /dev/null.
decode_read() {
  local t0 t1
  t0=$(now)
  "$client" --no-defaults --read-from-remote-server --host=127.0.0.1 --port="$TRIBUTARY_MYSQL_PORT" \
    --user=root --password=root --base64-output=decode-rows -v --to-last-log "$first" > /dev/null
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
decode_s=$(decode_read)

cat > "$work/connector.json" <<JSON
{"name": "bench-mysql", "config": {
  "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
  "database.hostname": "127.0.0.1", "database.port": "$TRIBUTARY_MYSQL_PORT",
  "database.user": "root", "database.password": "root", "database.server.id": "4242",
  "database.include.list": "bench", "topic.prefix": "bench",
  "schema.history.internal.file.filename": "$work/history.jsonl",
  "snapshot.mode": "never"${BENCH_CONNECTOR_EXTRA:-}}}
JSON
topic=bench.bench.stream_t
t0=$(now)
if [ "${BENCH_PERF:-}" = 1 ]; then
  perf record -e cpu-clock -g -o "$work/perf.data" -- "$bin" standalone --listen 127.0.0.1:0 --data-dir "$work/data" "$work/connector.json" > "$work/worker.log" 2>&1 &
  sleep 0.5
  pid=$(pgrep -n -P $! tributary || echo $!)
else
  "$bin" standalone --listen 127.0.0.1:0 --data-dir "$work/data" "$work/connector.json" > "$work/worker.log" 2>&1 &
  pid=$!
fi
rss=0; cpu=0
while :; do
  events=$({ "$bin" topics list --data-dir "$work/data" 2>/dev/null || true; } | awk -v t="$topic" '$1 == t { print $2 }')
  r=$(peak_rss_mib "$pid"); [ "$r" != "?" ] && rss=$r
  c=$(cpu_s "$pid"); [ "$c" != "?" ] && cpu=$c
  [ "${events:-0}" -ge "$ROWS" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "worker died:"; tail -20 "$work/worker.log"; exit 1; }
  sleep 0.05
done
t1=$(now)
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
trib_s=$(echo "$t1 - $t0" | bc -l)
log_mb=$(du -sm "$work/data" | cut -f1)
# Once more after Tributary, so no side profits alone from a warm page cache.
raw_after_s=$(raw_read)
best_raw_s=$(printf '%s\n' "$raw_s" "$raw_after_s" | sort -g | head -1)

mb() { echo "$binlog_bytes / 1048576 / $1" | bc -l; }
printf '%-30s %9s %12s %12s %10s %8s\n' "binlog -> ..." "seconds" "events/s" "binlog MB/s" "peak RSS" "CPU s"
printf '%-30s %9.2f %12.0f %12.1f %10s %8s\n' "$(basename "$client") --raw" "$raw_s" "$(echo "$ROWS / $raw_s" | bc -l)" "$(mb "$raw_s")" "-" "-"
printf '%-30s %9.2f %12.0f %12.1f %10s %8s\n' "$(basename "$client") --raw (after)" "$raw_after_s" "$(echo "$ROWS / $raw_after_s" | bc -l)" "$(mb "$raw_after_s")" "-" "-"
printf '%-30s %9.2f %12.0f %12.1f %10s %8s\n' "$(basename "$client") -v (decodes rows)" "$decode_s" "$(echo "$ROWS / $decode_s" | bc -l)" "$(mb "$decode_s")" "-" "-"
printf '%-30s %9.2f %12.0f %12.1f %9sM %8s\n' "tributary -> embedded log" "$trib_s" "$(echo "$events / $trib_s" | bc -l)" "$(mb "$trib_s")" "$rss" "$cpu"
printf 'events on topic: %s of %s; embedded log on disk: %s MB\n' "$events" "$ROWS" "$log_mb"
printf 'ratio tributary/%s --raw, against the faster run (throughput): %.2f\n' "$(basename "$client")" "$(echo "$best_raw_s / $trib_s" | bc -l)"
printf 'ratio tributary/%s -v (decoding rows to text): %.2f\n' "$(basename "$client")" "$(echo "$decode_s / $trib_s" | bc -l)"
