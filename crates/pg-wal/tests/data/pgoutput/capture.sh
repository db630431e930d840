#!/usr/bin/env bash
# Regenerates the pgoutput fixtures in this directory from a live PostgreSQL server.
#
#   PGURL=postgres://postgres:postgres@127.0.0.1:54329 ./capture.sh v1_text v1_binary v2_stream
#   PGURL=postgres://postgres:postgres@127.0.0.1:<port> ./capture.sh v3_two_phase
#     (needs max_prepared_transactions > 0; v3_two_phase.hex came from a private instance
#     started with scripts/lib/pg.sh plus max_prepared_transactions = 10)
#
# Each scenario runs in a fresh database `decoder_capture`, on its own slot, and writes
# <scenario>.hex: one message per line (the XLogData payload, as hex), each preceded by a
# comment naming the message type with the LSN and xid the SQL interface reported.
# The tests assert on the exact captured values, so regenerating means updating them.
set -euo pipefail
cd "$(dirname "$0")"
PGURL=${PGURL:-postgres://postgres:postgres@127.0.0.1:54329}
DB=decoder_capture

admin() { psql -X -q -v ON_ERROR_STOP=1 "$PGURL/postgres" "$@"; }
# synchronous_commit=on: the SQL interface decodes only flushed WAL, so every commit must be flushed.
sql() { PGOPTIONS='-c synchronous_commit=on' psql -X -q -v ON_ERROR_STOP=1 "$PGURL/$DB" "$@"; }

fresh_db() {
  admin -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$DB'" >/dev/null
  admin -c "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = 'tributary_origin'" >/dev/null
  admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
}

# write_fixture <file> <header> <options...>: drains slot `cap` with the given pgoutput options.
write_fixture() {
  local file=$1 header=$2 opts=$3 keep_inserts=${4:-1000000}
  {
    echo "# $header"
    echo "# captured from $(sql -At -c 'SHOW server_version') by capture.sh; options: $opts"
    sql -At -F ' ' -c "SET logical_decoding_work_mem = '64kB'" \
      -c "SELECT lsn, xid, encode(data, 'hex') FROM pg_logical_slot_get_binary_changes('cap', NULL, NULL, $opts)" |
      awk -v keep="$keep_inserts" '
        BEGIN {
          n["42"]="Begin"; n["43"]="Commit"; n["4f"]="Origin"; n["52"]="Relation"; n["59"]="Type";
          n["49"]="Insert"; n["55"]="Update"; n["44"]="Delete"; n["54"]="Truncate"; n["4d"]="Message";
          n["53"]="Stream Start"; n["45"]="Stream Stop"; n["63"]="Stream Commit"; n["41"]="Stream Abort";
          n["62"]="Begin Prepare"; n["50"]="Prepare"; n["4b"]="Commit Prepared"; n["72"]="Rollback Prepared";
          n["70"]="Stream Prepare";
        }
        {
          t = substr($3, 1, 2)
          if (t != "49") inserts = 0
          else if (++inserts > keep) { skipped++; next }
          if (skipped) { printf "# (%d further Insert messages of this block left out)\n", skipped; skipped = 0 }
          printf "# %s lsn=%s xid=%s\n%s\n", n[t], $1, $2, $3
        }'
  } > "$file"
  sql -c "SELECT pg_drop_replication_slot('cap')" >/dev/null
  echo "wrote $file ($(grep -vc '^#' "$file") messages)"
}

v1_text() {
  fresh_db
  sql <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t_basic (id int PRIMARY KEY, name text, note text, m mood);
CREATE TABLE t_full (id int, payload text);
ALTER TABLE t_full REPLICA IDENTITY FULL;
CREATE TABLE t_index (id int NOT NULL, code text NOT NULL, v int);
CREATE UNIQUE INDEX t_index_code ON t_index (code);
ALTER TABLE t_index REPLICA IDENTITY USING INDEX t_index_code;
CREATE TABLE t_nothing (v int);
ALTER TABLE t_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE t_toast (id int PRIMARY KEY, small int, big text);
ALTER TABLE t_toast ALTER COLUMN big SET STORAGE EXTERNAL;
CREATE TABLE t_parent (id serial PRIMARY KEY);
CREATE TABLE t_child (id int PRIMARY KEY, parent_id int REFERENCES t_parent (id));
CREATE PUBLICATION pub FOR TABLE t_basic, t_full, t_index, t_nothing, t_toast, t_parent, t_child;
SELECT pg_replication_origin_create('tributary_origin');
SELECT 1 FROM pg_create_logical_replication_slot('cap', 'pgoutput');
SQL
  sql <<'SQL'
-- insert with text and null columns, a custom enum type, updates without and with a key change, delete
BEGIN;
INSERT INTO t_basic VALUES (1, 'alpha', NULL, 'happy'), (2, 'beta', 'b', NULL);
UPDATE t_basic SET note = 'noted' WHERE id = 1;
UPDATE t_basic SET id = 20 WHERE id = 2;
DELETE FROM t_basic WHERE id = 20;
SELECT pg_logical_emit_message(true, 'tributary', 'transactional content');
COMMIT;
SELECT pg_logical_emit_message(false, 'tributary', '\x00ff'::bytea);
-- replica identity full: old tuples are 'O'
INSERT INTO t_full VALUES (1, 'one');
UPDATE t_full SET payload = 'uno' WHERE id = 1;
DELETE FROM t_full WHERE id = 1;
-- replica identity using index, and nothing
INSERT INTO t_index VALUES (1, 'k1', 10);
UPDATE t_index SET code = 'k2' WHERE id = 1;
INSERT INTO t_nothing VALUES (7);
-- an unchanged TOASTed column
INSERT INTO t_toast VALUES (1, 1, repeat('x', 4000));
UPDATE t_toast SET small = 2 WHERE id = 1;
-- truncate flags
INSERT INTO t_parent VALUES (DEFAULT);
INSERT INTO t_child VALUES (1, 1);
TRUNCATE t_full;
TRUNCATE t_parent CASCADE;
TRUNCATE t_basic RESTART IDENTITY;
TRUNCATE t_parent, t_child RESTART IDENTITY CASCADE;
SQL
  sql <<'SQL'
-- a transaction replayed from a replication origin
SELECT pg_replication_origin_session_setup('tributary_origin');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/12345678', now());
INSERT INTO t_basic VALUES (3, 'gamma', NULL, 'ok');
COMMIT;
SQL
  write_fixture v1_text.hex "pgoutput protocol 1, text format: DML, replica identities, TOAST, truncate, messages, origin, type" \
    "'proto_version', '1', 'publication_names', 'pub', 'messages', 'true'"
}

v1_binary() {
  fresh_db
  sql <<'SQL'
CREATE TABLE t_bin (id int PRIMARY KEY, b bytea, ts timestamptz, n numeric, arr int[], nul text);
CREATE PUBLICATION pub FOR TABLE t_bin;
SELECT 1 FROM pg_create_logical_replication_slot('cap', 'pgoutput');
INSERT INTO t_bin VALUES (1, '\xdeadbeef', '2024-01-02 03:04:05.678901+00', 12.5, '{1,2,3}', NULL);
UPDATE t_bin SET n = -1 WHERE id = 1;
SQL
  write_fixture v1_binary.hex "pgoutput protocol 1, binary format" \
    "'proto_version', '1', 'publication_names', 'pub', 'binary', 'true'"
}

v2_stream() {
  fresh_db
  sql <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t_stream (id int PRIMARY KEY, v text, m mood);
CREATE TABLE t_side (id int PRIMARY KEY);
CREATE PUBLICATION pub FOR TABLE t_stream, t_side;
SELECT 1 FROM pg_create_logical_replication_slot('cap', 'pgoutput');
SQL
  sql <<'SQL'
-- a streamed, committed transaction carrying every in-stream message type
BEGIN;
INSERT INTO t_stream SELECT g, repeat('s', 50), 'ok' FROM generate_series(1, 3000) g;
UPDATE t_stream SET v = 'updated' WHERE id <= 2;
DELETE FROM t_stream WHERE id = 3;
SELECT pg_logical_emit_message(true, 'tributary', 'in stream');
INSERT INTO t_side VALUES (1);
TRUNCATE t_side;
COMMIT;
-- a streamed transaction that aborts as a whole
BEGIN;
INSERT INTO t_stream SELECT g, repeat('a', 50) FROM generate_series(10001, 13000) g;
ROLLBACK;
-- a streamed subtransaction that aborts, inside a transaction that commits
BEGIN;
INSERT INTO t_side VALUES (2);
SAVEPOINT sp;
INSERT INTO t_stream SELECT g, repeat('b', 50) FROM generate_series(20001, 23000) g;
ROLLBACK TO SAVEPOINT sp;
INSERT INTO t_side VALUES (3);
COMMIT;
SQL
  write_fixture v2_stream.hex "pgoutput protocol 2 with streaming: stream start/stop/commit/abort and xid-prefixed messages" \
    "'proto_version', '2', 'publication_names', 'pub', 'messages', 'true', 'streaming', 'on'" 2
}

v3_two_phase() {
  fresh_db
  sql <<'SQL'
CREATE TABLE t_2pc (id int PRIMARY KEY, v text);
CREATE PUBLICATION pub FOR TABLE t_2pc;
SELECT 1 FROM pg_create_logical_replication_slot('cap', 'pgoutput', false, true);
BEGIN;
INSERT INTO t_2pc VALUES (1, 'committed');
PREPARE TRANSACTION 'tx-commit';
COMMIT PREPARED 'tx-commit';
BEGIN;
INSERT INTO t_2pc VALUES (2, 'rolled back');
PREPARE TRANSACTION 'tx-rollback';
ROLLBACK PREPARED 'tx-rollback';
BEGIN;
INSERT INTO t_2pc SELECT g, repeat('p', 50) FROM generate_series(100, 3100) g;
PREPARE TRANSACTION 'tx-stream';
COMMIT PREPARED 'tx-stream';
SQL
  write_fixture v3_two_phase.hex "pgoutput protocol 3 with two_phase and streaming: begin prepare, prepare, commit/rollback prepared, stream prepare" \
    "'proto_version', '3', 'publication_names', 'pub', 'two_phase', 'on', 'streaming', 'on'" 2
}

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(v1_text v1_binary v2_stream)
for scenario in "${scenarios[@]}"; do "$scenario"; done
admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
