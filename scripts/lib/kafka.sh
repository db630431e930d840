# shellcheck shell=bash
# Ephemeral Kafka-protocol broker (tansu) for tests, demos and benchmarks, and the kafka-python
# client the tests read with. Source this file (after scripts/lib/pg.sh, for pg_free_port), then:
#   kafka_install             install tansu with a storage engine when it is missing (cargo)
#   kafka_start <dir> [storage]  start a broker on a free loopback port; storage defaults to
#                             memory://tansu/ (sqlite://<file> is durable)
#   kafka_stop <dir>          stop it
#   kafka_python_install <venv>  a Python venv with kafka-python (and lz4 for compressed batches)
# kafka_start exports TRIBUTARY_KAFKA_BOOTSTRAP and TRIBUTARY_TANSU (the binary, for tests that
# run a broker of their own); kafka_python_install exports TRIBUTARY_KAFKA_PYTHON.

TANSU_VERSION=0.6.0

kafka_tansu_bin() {
  local b
  for b in "$(command -v tansu 2>/dev/null)" "${CARGO_HOME:-$HOME/.cargo}/bin/tansu"; do
    [ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
  done
  return 1
}

kafka_install() {
  if kafka_tansu_bin >/dev/null; then return 0; fi
  # The default build has no storage engine; dynostore gives memory://, libsql gives sqlite://.
  # About 14 minutes on 2 cores; CI caches ~/.cargo, so this runs once.
  echo "installing tansu $TANSU_VERSION (Kafka-protocol broker) with cargo; this takes a while" >&2
  cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql >&2
  kafka_tansu_bin >/dev/null
}

kafka_start() {
  local dir=$1 storage=${2:-memory://tansu/} port
  kafka_install || { echo "tansu could not be installed" >&2; return 1; }
  TRIBUTARY_TANSU=$(kafka_tansu_bin); export TRIBUTARY_TANSU
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  port=$(pg_free_port)
  # STORAGE_ENGINE and friends in the environment would override nothing here: every setting
  # is given on the command line.
  "$TRIBUTARY_TANSU" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine "$storage" >"$dir/tansu.log" 2>&1 &
  echo $! >"$dir/tansu.pid"
  local i
  for i in $(seq 1 300); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
      export TRIBUTARY_KAFKA_BOOTSTRAP=127.0.0.1:$port
      return 0
    fi
    if ! kill -0 "$(cat "$dir/tansu.pid")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "tansu did not start; its log:" >&2
  cat "$dir/tansu.log" >&2
  return 1
}

kafka_stop() {
  local dir=$1 pid
  [ -f "$dir/tansu.pid" ] || return 0
  pid=$(cat "$dir/tansu.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/tansu.pid"
}

kafka_python_install() {
  local venv=$1
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" 2>/dev/null || {
      if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
      else
        echo "python3 -m venv failed; install python3-venv" >&2; return 1
      fi
    }
  fi
  "$venv/bin/python" -c "import kafka, lz4" 2>/dev/null \
    || "$venv/bin/pip" install -q kafka-python lz4 >&2
  TRIBUTARY_KAFKA_PYTHON=$(cd "$venv" && pwd)/bin/python; export TRIBUTARY_KAFKA_PYTHON
}
