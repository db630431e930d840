# shellcheck shell=bash
# Ephemeral PostgreSQL for tests, demos and benchmarks. Source this file, then:
#   pg_start <dir> [port]   initialise (once) and start a server with wal_level=logical on 127.0.0.1
#   pg_stop <dir>           stop it
# pg_start exports TRIBUTARY_PG_HOST/PORT/USER/PASSWORD/URL (the superuser `postgres`, for
# fixtures: databases, tables, changes), TRIBUTARY_PG_CDC_USER/PASSWORD (the connector's user,
# least privilege), TRIBUTARY_PG_SSL_CA and PG_BIN.
# TLS is on (ssl=on) beside plaintext: <dir>/tls holds a test CA (TRIBUTARY_PG_SSL_CA =
# <dir>/tls/ca.crt), the server's certificate for `localhost` only, a client certificate and a
# second CA (see scripts/lib/tls.sh). tributary_cert logs in over TLS with its client
# certificate only (hba `cert`).
# Roles: postgres/postgres (SCRAM-SHA-256), tributary_md5/md5pass (md5), tributary_trust (trust),
# tributary_cdc/cdcpass (SCRAM-SHA-256): LOGIN REPLICATION and nothing else. It is what Debezium's
# documentation asks of a connector user that is not a superuser; the test fixtures grant it
# SELECT on the tables they create and create the publications it uses (see
# crates/pg-wal/tests/support.rs and the README's "Database privileges").

# shellcheck source=scripts/lib/tls.sh
source "$(dirname "${BASH_SOURCE[0]}")/tls.sh"

pg_bin_dir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  done
  return 1
}

pg_install() {
  if pg_bin_dir >/dev/null; then return 0; fi
  echo "installing PostgreSQL 15 from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql-15 postgresql-contrib-15 postgresql-client-15 >/dev/null \
    || apt-get install -y -qq postgresql postgresql-contrib >/dev/null
  pg_bin_dir >/dev/null
}

# Runs a command as the postgres OS user when we are root (postgres refuses to run as root).
pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

pg_start() {
  local dir=$1 port=${2:-}
  pg_install || { echo "PostgreSQL could not be installed" >&2; return 1; }
  PG_BIN=$(pg_bin_dir); export PG_BIN
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -n "$port" ] || port=$(pg_free_port)
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    local pw="$dir/.pw"
    echo postgres > "$pw"; [ "$(id -u)" = 0 ] && chown postgres: "$pw"
    pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$pw" -A scram-sha-256 \
      --auth-local=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
    rm -f "$pw"
    cat > "$dir/data/pg_hba.conf" <<HBA
local all all trust
local replication all trust
host all tributary_trust 127.0.0.1/32 trust
host replication tributary_trust 127.0.0.1/32 trust
host all tributary_md5 127.0.0.1/32 md5
host replication tributary_md5 127.0.0.1/32 md5
host all all 127.0.0.1/32 scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
HBA
    cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = logical
max_wal_senders = 100
max_replication_slots = 100
max_connections = 300
shared_buffers = 256MB
max_wal_size = 4GB
fsync = ${PG_FSYNC:-off}
synchronous_commit = off
full_page_writes = off
logical_decoding_work_mem = 64MB
log_min_messages = warning
CONF
  fi
  sed -i "s/^port = .*//" "$dir/data/postgresql.conf"
  echo "port = $port" >> "$dir/data/postgresql.conf"
  # TLS beside plaintext, also on servers initialised before it.
  tls_make_certs "$dir/tls" postgres || return 1
  sed -i "/^ssl\(_cert_file\|_key_file\|_ca_file\)\? = /d" "$dir/data/postgresql.conf"
  cat >> "$dir/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = '$dir/tls/server.crt'
ssl_key_file = '$dir/tls/server.key'
ssl_ca_file = '$dir/tls/ca.crt'
CONF
  grep -q tributary_cert "$dir/data/pg_hba.conf" \
    || sed -i '1i hostssl all tributary_cert 127.0.0.1/32 cert\nhostssl replication tributary_cert 127.0.0.1/32 cert' \
      "$dir/data/pg_hba.conf"
  pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -20 "$dir/server.log" >&2; return 1; }
  if [ ! -f "$dir/.roles" ]; then
    pg_as "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 <<'SQL' >/dev/null || return 1
SET password_encryption = 'md5';
CREATE ROLE tributary_md5 LOGIN SUPERUSER REPLICATION PASSWORD 'md5pass';
RESET password_encryption;
CREATE ROLE tributary_trust LOGIN SUPERUSER REPLICATION;
SQL
    touch "$dir/.roles"
  fi
  # Separate from .roles so that servers initialised before it gain the role on their next start.
  pg_as "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 <<'SQL' >/dev/null || return 1
SELECT 'CREATE ROLE tributary_cdc LOGIN REPLICATION PASSWORD ''cdcpass'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tributary_cdc') \gexec
SELECT 'CREATE ROLE tributary_cert LOGIN SUPERUSER REPLICATION'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tributary_cert') \gexec
SQL
  export TRIBUTARY_PG_HOST=127.0.0.1 TRIBUTARY_PG_PORT=$port TRIBUTARY_PG_USER=postgres \
    TRIBUTARY_PG_PASSWORD=postgres TRIBUTARY_PG_SOCKET_DIR=$dir \
    TRIBUTARY_PG_CDC_USER=tributary_cdc TRIBUTARY_PG_CDC_PASSWORD=cdcpass \
    TRIBUTARY_PG_SSL_CA=$dir/tls/ca.crt
  export TRIBUTARY_PG_URL="postgres://postgres:postgres@127.0.0.1:$port/postgres"
}

pg_stop() {
  local dir=$1
  PG_BIN=${PG_BIN:-$(pg_bin_dir)}
  [ -f "$dir/data/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  return 0
}
