#!/usr/bin/env bash
# MySQL/MariaDB binlog capture benchmark. Prints figures; asserts nothing.
#
#   bench/mysql.sh [ROWS]        (default 1,000,000)
#
# Starts an ephemeral MariaDB (scripts/lib/mariadb.sh) under target/bench-mysql and an Apache
# Kafka broker, writes a backlog of ROWS row changes (INSERT ... SELECT from seq_1_to_N in batches
# of 100,000 rows) into the binlog, then drains the same binlog files (snapshot.mode=never:
# stream from the first binlog file, schema from its DDL) with:
#   - Debezium 3.6.1's MySqlConnector on a Kafka Connect 4.3 worker, into the broker (through
#     bench/mysql_relay.rs, which rewrites the one statement MariaDB does not know: see
#     bench/mysql_proxy.rs);
#   - the Tributary worker (release build) with the same config into the same broker;
#   - the Tributary worker into its embedded log;
# each timed until all ROWS events are readable (on the topic, or durable in the log: polled
# with `tributary topics list`). JsonConverter with schemas, both sides' default. Prints
# events/s, peak RSS (VmHWM), CPU seconds and the ratios to Debezium (bench/lib/peers.sh).
# BENCH_PERF=1 records the embedded-log run with `perf record -e cpu-clock -g` into
# target/bench-mysql/perf.data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/mariadb.sh
source scripts/lib/pg.sh
source scripts/lib/kafka.sh
source scripts/lib/connect.sh
source bench/lib/peers.sh
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

pid=
relay_pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
  connect_stop "$work/connect-bdbz" || true
  kafka_stop "$work/kafka" || true
  mariadb_stop "$server_dir" || true
  # The embedded log and the server's data take gigabytes: remove them on exit.
  rm -rf "$server_dir" "$work/data" "$work/history.jsonl"
}
trap cleanup EXIT
mariadb_stop "$server_dir" || true
rm -rf "$server_dir" "$work/data" "$work/history.jsonl"
mkdir -p "$server_dir"
MARIADB_FLUSH=2 mariadb_start "$server_dir"
sql() { mariadb --no-defaults -h 127.0.0.1 -P "$TRIBUTARY_MYSQL_PORT" -uroot -proot -N -B "$@"; }

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

# Debezium on Connect and Tributary on the same binlog into one broker.
kafka_stop "$work/kafka" || true
kafka_start "$work/kafka" >/dev/null
bootstrap=$TRIBUTARY_KAFKA_BOOTSTRAP
peers_build
rm -f "$work/relay.port"
"$relay_exe" 127.0.0.1 "$TRIBUTARY_MYSQL_PORT" > "$work/relay.port" &
relay_pid=$!
until [ -s "$work/relay.port" ]; do sleep 0.05; done
peer_config() { # name port server-id prefix
  python3 - "$work/connector.json" "$bootstrap" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["config"]
del c["schema.history.internal.file.filename"]
name, port, server_id, prefix = sys.argv[3:]
c.update({"connector.class": "io.debezium.connector.mysql.MySqlConnector", "database.port": port,
          "database.server.id": server_id, "topic.prefix": prefix, "database.ssl.mode": "disabled",
          "schema.history.internal.kafka.bootstrap.servers": sys.argv[2],
          "schema.history.internal.kafka.topic": prefix + "-schema-history",
          "topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1"})
print(json.dumps({"name": name, "config": c}))
PY
}
# Debezium 3.6 has no snapshot.mode=never (it refuses the value): the connector is created
# STOPPED, its offset set to the start of the first binlog file, and resumed in `recovery` mode,
# which reads the tables' current structure and then streams from that offset.
dbz_cfg=$(peer_config bdbz "$(cat "$work/relay.port")" 5001 bdbz | python3 -c 'import json, sys
c = json.load(sys.stdin); c["config"]["snapshot.mode"] = "recovery"; print(json.dumps(c))')
dbz_offsets=$(printf '{"offsets": [{"partition": {"server": "bdbz"}, "offset": {"file": "%s", "pos": 4}}]}' "$first")
read -r dbz_s dbz_rss dbz_cpu < <(debezium_run bdbz "$dbz_cfg" bdbz.bench.stream_t "$ROWS" "$dbz_offsets")
peer_config btrib "$TRIBUTARY_MYSQL_PORT" 5002 btrib > "$work/btrib.json"
read -r tk_s tk_rss tk_cpu < <(tributary_run btrib "$work/btrib.json" btrib.bench.stream_t "$ROWS")
[ -n "${dbz_s:-}" ] && [ -n "${tk_s:-}" ] || { echo "a side of the Debezium comparison failed (its log is above)" >&2; exit 1; }

printf 'binlog: %s MB; events in the embedded log: %s of %s (%s MB on disk)\n' "$((binlog_bytes / 1048576))" "$events" "$ROWS" "$log_mb"
peers_header events
peers_row "Debezium 3.6.1 MySqlConnector -> Kafka" "$ROWS" "$dbz_s" "$dbz_rss" "$dbz_cpu"
peers_row "tributary -> Kafka" "$ROWS" "$tk_s" "$tk_rss" "$tk_cpu"
peers_row "tributary -> embedded log" "$ROWS" "$trib_s" "$rss" "$cpu"
peers_ratios "binlog streaming, last event readable" "$dbz_s" "$dbz_rss" "$dbz_cpu" "$tk_s" "$tk_rss" "$tk_cpu"
