# shellcheck shell=bash
# Ephemeral MariaDB for tests, demos and benchmarks. Source this file, then:
#   mariadb_start <dir> [port]   initialise (once) and start a server on 127.0.0.1 with the binlog
#                                Debezium needs (log_bin, binlog_format=ROW, binlog_row_image=FULL,
#                                server_id=1)
#   mariadb_stop <dir>           stop it
# mariadb_start exports TRIBUTARY_MYSQL_HOST/PORT/USER/PASSWORD (root, for fixtures),
# TRIBUTARY_MYSQL_CDC_USER/PASSWORD (the connector's user, least privilege) and
# TRIBUTARY_MYSQL_SOCKET and TRIBUTARY_MYSQL_SSL_CA.
# TLS is on (ssl_cert/ssl_key/ssl_ca) beside plaintext: <dir>/tls holds a test CA
# (TRIBUTARY_MYSQL_SSL_CA = <dir>/tls/ca.crt), the server's certificate for `localhost` only, a
# client certificate and a second CA (see scripts/lib/tls.sh).
# Users: root/root (all privileges, from 127.0.0.1); tributary_cdc/cdcpass (from 127.0.0.1) with
# exactly the global privileges Debezium's documentation lists for its MySQL/MariaDB connector:
# SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT (MariaDB 10.5+ names the
# last two REPLICATION REPLICA and BINLOG MONITOR). No LOCK TABLES: the snapshot locks with
# FLUSH TABLES WITH READ LOCK, which RELOAD allows.

# shellcheck source=scripts/lib/tls.sh
source "$(dirname "${BASH_SOURCE[0]}")/tls.sh"

mariadb_install() {
  if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
    if command -v mariadb >/dev/null 2>&1; then return 0; fi
  fi
  echo "installing MariaDB from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq mariadb-server mariadb-client >/dev/null
  [ -x /usr/sbin/mariadbd ]
}

mariadb_free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# Runs a command as the mysql OS user when we are root.
mariadb_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u mysql -- "$@"; else "$@"; fi
}

mariadb_start() {
  local dir=$1 port=${2:-}
  mariadb_install || { echo "MariaDB could not be installed" >&2; return 1; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -n "$port" ] || port=$(mariadb_free_port)
  if [ "$(id -u)" = 0 ]; then chown mysql: "$dir"; chmod 750 "$dir"; fi
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb_as mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$dir/install.log" 2>&1 \
      || { cat "$dir/install.log" >&2; return 1; }
  fi
  tls_make_certs "$dir/tls" mysql || return 1
  cat > "$dir/my.cnf" <<CNF
[mariadbd]
datadir = $dir/data
socket = $dir/mysqld.sock
pid-file = $dir/mysqld.pid
log-error = $dir/server.log
bind-address = 127.0.0.1
port = $port
server_id = 1
log_bin = $dir/data/binlog
binlog_format = ROW
binlog_row_image = FULL
binlog_annotate_row_events = ON
max_connections = 300
max_allowed_packet = 64M
innodb_buffer_pool_size = 256M
innodb_flush_log_at_trx_commit = ${MARIADB_FLUSH:-2}
sync_binlog = 0
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
ssl_ca = $dir/tls/ca.crt
ssl_cert = $dir/tls/server.crt
ssl_key = $dir/tls/server.key
CNF
  [ "$(id -u)" = 0 ] && chown mysql: "$dir/my.cnf"
  mariadb_as mariadbd --defaults-file="$dir/my.cnf" >/dev/null 2>&1 &
  local i
  for i in $(seq 1 120); do
    if mariadb --no-defaults -h 127.0.0.1 -P "$port" -uroot -e 'select 1' >/dev/null 2>&1 \
      || mariadb --no-defaults -h 127.0.0.1 -P "$port" -uroot -proot -e 'select 1' >/dev/null 2>&1; then
      break
    fi
    sleep 0.5
  done
  if [ ! -f "$dir/.users" ]; then
    mariadb --no-defaults -h 127.0.0.1 -P "$port" -uroot <<'SQL' || { tail -20 "$dir/server.log" >&2; return 1; }
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY 'root';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY 'root';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED BY 'root';
FLUSH PRIVILEGES;
SQL
    touch "$dir/.users"
  fi
  # Separate from .users so that servers initialised before it gain the user on their next start.
  mariadb --no-defaults -h 127.0.0.1 -P "$port" -uroot -proot <<'SQL' || { tail -20 "$dir/server.log" >&2; return 1; }
CREATE USER IF NOT EXISTS 'tributary_cdc'@'127.0.0.1' IDENTIFIED BY 'cdcpass';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'tributary_cdc'@'127.0.0.1';
SQL
  mariadb --no-defaults -h 127.0.0.1 -P "$port" -uroot -proot -e 'select 1' >/dev/null \
    || { tail -20 "$dir/server.log" >&2; return 1; }
  export TRIBUTARY_MYSQL_HOST=127.0.0.1 TRIBUTARY_MYSQL_PORT=$port TRIBUTARY_MYSQL_USER=root \
    TRIBUTARY_MYSQL_PASSWORD=root TRIBUTARY_MYSQL_SOCKET=$dir/mysqld.sock \
    TRIBUTARY_MYSQL_CDC_USER=tributary_cdc TRIBUTARY_MYSQL_CDC_PASSWORD=cdcpass \
    TRIBUTARY_MYSQL_SSL_CA=$dir/tls/ca.crt
}

mariadb_stop() {
  local dir=$1 pid
  [ -f "$dir/mysqld.pid" ] || return 0
  pid=$(cat "$dir/mysqld.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || return 0
  local i
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  return 0
}
