#!/usr/bin/env bash
# The local demo: a PostgreSQL with the sample `inventory` database, the Tributary worker
# capturing it on the embedded log, a few changes, and the events they produced.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh

work=target/demo
rm -rf "$work/data"
mkdir -p "$work"

echo "==> building tributary (release)"
cargo build --release --quiet
bin=target/release/tributary

echo "==> starting PostgreSQL with wal_level=logical"
pg_stop "$work/pg" || true
pg_start "$work/pg"
worker_pid=
cleanup() {
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  pg_stop "$work/pg"
}
trap cleanup EXIT

psql_demo() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAt -v ON_ERROR_STOP=1 "$@"; }
psql_demo -d postgres -c "DROP DATABASE IF EXISTS inventory WITH (FORCE)" -c "CREATE DATABASE inventory"
psql_demo -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'tributary_demo'" >/dev/null
psql_demo -d inventory -f examples/inventory.sql

sed "s/\"database.port\": \"5432\"/\"database.port\": \"$TRIBUTARY_PG_PORT\"/" examples/postgres-inventory.json > "$work/connector.json"

echo "==> starting the worker: $bin standalone --data-dir $work/data $work/connector.json"
"$bin" standalone --data-dir "$work/data" "$work/connector.json" > "$work/worker.log" 2>&1 &
worker_pid=$!

wait_for_records() { # topic count
  for _ in $(seq 1 100); do
    n=$({ "$bin" topics list --data-dir "$work/data" 2>/dev/null || true; } | awk -v t="$1" '$1 == t { print $2 }')
    [ "${n:-0}" -ge "$2" ] && return 0
    sleep 0.2
  done
  echo "timed out waiting for $2 records on $1; worker log:" >&2
  cat "$work/worker.log" >&2
  return 1
}
wait_for_records dbserver1.inventory.customers 4

echo "==> making changes"
psql_demo -d inventory <<'SQL'
INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Kenneth', 'Anderson', 'kander@acme.com');
UPDATE inventory.customers SET email = 'sally@acme.com' WHERE id = 1;
DELETE FROM inventory.orders WHERE id = 3;
SQL
wait_for_records dbserver1.inventory.orders 5

echo
echo "==> topics"
"$bin" topics list --data-dir "$work/data"
for t in customers orders; do
  echo
  echo "==> tributary topics tail dbserver1.inventory.$t --from-beginning (key and value per line)"
  "$bin" topics tail "dbserver1.inventory.$t" --data-dir "$work/data" --from-beginning --keys --max 10
done
echo
echo "The worker log is in $work/worker.log; the embedded log is in $work/data."
