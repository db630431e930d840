# shellcheck shell=bash
# An S3-compatible server for the S3 sink's tests: moto's server mode (PyPI's `moto[server]`),
# plus boto3 for the tests to list and read objects, in the Python test venv. Nothing but
# PyPI is used. Source this file (after scripts/lib/pg.sh, for pg_free_port), then:
#   s3_install <venv>   installs moto[server] and boto3 into <venv> when missing (pip's cache
#                       keeps the wheels across clean clones)
#   s3_start <dir>      starts the server on a free loopback port (log and pid under <dir>)
#   s3_stop <dir>       stops it
# s3_install exports TRIBUTARY_S3_PYTHON (the venv's interpreter, with boto3); s3_start exports
# TRIBUTARY_S3_URL (http://127.0.0.1:<port>), TRIBUTARY_S3_ACCESS_KEY,
# TRIBUTARY_S3_SECRET_KEY and TRIBUTARY_S3_REGION. moto accepts any credentials and checks no
# signature unless told to, so the sink's SigV4 signing is exercised for shape, not secrecy.

S3_PACKAGES=("moto[server]==5.2.5" "boto3==1.44.18")

s3_install() {
  local venv=$1
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || return 1
  fi
  if ! "$venv/bin/python" -c 'import moto.server, boto3, flask_cors' >/dev/null 2>&1; then
    "$venv/bin/pip" install -q "${S3_PACKAGES[@]}" || return 1
  fi
  TRIBUTARY_S3_PYTHON=$(cd "$venv" && pwd)/bin/python
  export TRIBUTARY_S3_PYTHON
}

s3_start() {
  local dir=$1 port
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -n "${TRIBUTARY_S3_PYTHON:-}" ] || { echo "s3_start: run s3_install first" >&2; return 1; }
  port=$(pg_free_port)
  # moto keeps everything in memory: a fresh, empty store per run.
  "$(dirname "$TRIBUTARY_S3_PYTHON")/moto_server" -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
  echo $! >"$dir/moto.pid"
  local i
  for i in $(seq 1 100); do
    if "$TRIBUTARY_S3_PYTHON" - "$port" >/dev/null 2>&1 <<'PY'
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=1)
PY
    then
      TRIBUTARY_S3_URL=http://127.0.0.1:$port
      TRIBUTARY_S3_ACCESS_KEY=tributary-test
      TRIBUTARY_S3_SECRET_KEY=tributary-test-secret
      TRIBUTARY_S3_REGION=us-east-1
      export TRIBUTARY_S3_URL TRIBUTARY_S3_ACCESS_KEY TRIBUTARY_S3_SECRET_KEY TRIBUTARY_S3_REGION
      return 0
    fi
    if ! kill -0 "$(cat "$dir/moto.pid")" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "the S3 test server (moto) did not start; see $dir/moto.log" >&2
  tail -20 "$dir/moto.log" >&2
  return 1
}

s3_stop() {
  local pidfile=$1/moto.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
