#!/usr/bin/env bash
# The one test command: installs what is missing, starts ephemeral servers on free loopback
# ports under target/test-servers/, runs fmt, clippy and every test, stops the servers, and
# prints a summary. Exits non-zero if any step failed.
#
#   bash scripts/test.sh            # everything
#   NO_LINT=1 bash scripts/test.sh  # tests only
#   NO_LINT=1 bash scripts/test.sh -E 'test(kill_9)'   # some tests: arguments go to nextest
#
# Tests find the servers through TRIBUTARY_PG_HOST/PORT/USER/PASSWORD/URL (see scripts/lib/pg.sh)
# and TRIBUTARY_MYSQL_HOST/PORT/USER/PASSWORD (MariaDB, see scripts/lib/mariadb.sh); connectors
# run as TRIBUTARY_PG_CDC_USER/PASSWORD and TRIBUTARY_MYSQL_CDC_USER/PASSWORD, least-privileged.
# Both servers have TLS on beside plaintext: TRIBUTARY_PG_SSL_CA and TRIBUTARY_MYSQL_SSL_CA name
# the test CA that signed their certificates (for `localhost` only); beside it are a client
# certificate and a second CA (scripts/lib/tls.sh). The TLS tests (`-E 'test(tls)'`) need them.
# and TRIBUTARY_KAFKA_BOOTSTRAP, TRIBUTARY_KAFKA_BROKER, TRIBUTARY_KAFKA_PYTHON (Apache Kafka from
# Maven Central's jars, see scripts/lib/kafka.sh).
# and TRIBUTARY_CONNECT_URL (the reference Kafka Connect worker with Debezium, scripts/lib/connect.sh)
# and Confluent's Python client through TRIBUTARY_PYTHON (see scripts/lib/python.sh).
# and TRIBUTARY_S3_URL/ACCESS_KEY/SECRET_KEY/REGION plus TRIBUTARY_S3_PYTHON (moto's S3 server
# and boto3, see scripts/lib/s3.sh).
# tests/transforms runs Kafka Connect's own transforms through scripts/lib/smt-harness.sh.
# crates/connect-group compares with the bytes Connect's classes write (scripts/lib/connect-golden.sh).
# and TRIBUTARY_SEARCH_URL, TRIBUTARY_SEARCH_NODE (OpenSearch from Maven Central's jars, see
# scripts/lib/opensearch.sh), TRIBUTARY_ELASTICSEARCH_URL and TRIBUTARY_ELASTICSEARCH8_URL
# (Elasticsearch 7 and 8 from Maven Central's jars, see scripts/lib/elasticsearch.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
# shellcheck source=scripts/lib/pg.sh
source scripts/lib/pg.sh
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh
# shellcheck source=scripts/lib/kafka.sh
source scripts/lib/kafka.sh
# shellcheck source=scripts/lib/connect.sh
source scripts/lib/connect.sh
# shellcheck source=scripts/lib/python.sh
source scripts/lib/python.sh
# shellcheck source=scripts/lib/smt-harness.sh
source scripts/lib/smt-harness.sh
# shellcheck source=scripts/lib/connect-golden.sh
source scripts/lib/connect-golden.sh
# shellcheck source=scripts/lib/opensearch.sh
source scripts/lib/opensearch.sh
# shellcheck source=scripts/lib/elasticsearch.sh
source scripts/lib/elasticsearch.sh
# shellcheck source=scripts/lib/s3.sh
source scripts/lib/s3.sh

say() { printf '\n==> %s\n' "$*" >&2; }

# --- what the machine needs -------------------------------------------------------------------

apt_updated=
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages ($*); run as root or install them" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  apt-get install -y -qq "$@" >/dev/null
}

say "checking tools"
command -v cc >/dev/null || apt_install build-essential
command -v python3 >/dev/null || apt_install python3
command -v runuser >/dev/null || apt_install util-linux
# rdkafka builds librdkafka from source with OpenSSL (and zlib, zstd bundled).
pkg-config --exists openssl 2>/dev/null || apt_install libssl-dev pkg-config
# The test servers' TLS certificates (scripts/lib/tls.sh).
command -v openssl >/dev/null || apt_install openssl
python3 -c "import venv, ensurepip" 2>/dev/null || apt_install python3-venv
pg_install
mariadb_install
kafka_install
connect_install
smt_harness_install # Kafka Connect's transforms for tests/transforms (jars and compiled harness)
connect_golden_install # Connect's group protocol bytes for crates/connect-group (compiled program)
opensearch_install # the search engine of the Elasticsearch sink's tests (jars and compiled launcher)
elasticsearch_install # Elasticsearch 7 and 8 for the same sink (tests/rest/search_sink.rs)
python_venv_setup "$ROOT/target/test-venv" || { echo "cannot set up the Python test clients" >&2; exit 1; }
s3_install "$ROOT/target/test-venv" || { echo "cannot install the S3 test server (moto) and boto3" >&2; exit 1; }
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    rustup component add "$component" || {
      echo "the Rust component $component is missing and could not be installed" >&2
      exit 1
    }
  fi
done

# --- servers ------------------------------------------------------------------------------------

PG_DIR=$ROOT/target/test-servers/pg
PG_DIR_TEMPORARY=
mkdir -p "$PG_DIR"
# The postgres OS user must reach the server directory; a checkout inside a private directory
# (mode 700, as mktemp makes them) cannot host it, so use a private temporary one instead.
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$PG_DIR")"; then
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tributary-test-pg.XXXXXX")
  PG_DIR_TEMPORARY=1
  chmod 755 "$PG_DIR"
  echo "postgres cannot reach $ROOT/target; its test server lives in $PG_DIR" >&2
fi

MARIADB_DIR=$ROOT/target/test-servers/mariadb
MARIADB_DIR_TEMPORARY=
mkdir -p "$MARIADB_DIR"
if [ "$(id -u)" = 0 ] && ! runuser -u mysql -- test -x "$(dirname "$MARIADB_DIR")"; then
  MARIADB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tributary-test-mariadb.XXXXXX")
  MARIADB_DIR_TEMPORARY=1
  chmod 755 "$MARIADB_DIR"
  echo "mysql cannot reach $ROOT/target; its test server lives in $MARIADB_DIR" >&2
fi
KAFKA_DIR=$ROOT/target/test-servers/kafka
CONNECT_DIR=$ROOT/target/test-servers/connect
SEARCH_DIR=$ROOT/target/test-servers/opensearch
ES7_DIR=$ROOT/target/test-servers/elasticsearch7
ES8_DIR=$ROOT/target/test-servers/elasticsearch8
S3_DIR=$ROOT/target/test-servers/s3

stop_servers() {
  s3_stop "$S3_DIR" || true
  connect_stop "$CONNECT_DIR" || true
  opensearch_stop "$SEARCH_DIR" || true
  elasticsearch_stop "$ES7_DIR" || true
  elasticsearch_stop "$ES8_DIR" || true
  kafka_stop "$KAFKA_DIR" || true
  pg_stop "$PG_DIR" || true
  mariadb_stop "$MARIADB_DIR" || true
  if [ -n "$PG_DIR_TEMPORARY" ]; then rm -rf "$PG_DIR"; fi
  if [ -n "$MARIADB_DIR_TEMPORARY" ]; then rm -rf "$MARIADB_DIR"; fi
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting PostgreSQL in $PG_DIR"
pg_stop "$PG_DIR" # a server left behind by an interrupted run
pg_start "$PG_DIR"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on $TRIBUTARY_PG_HOST:$TRIBUTARY_PG_PORT" >&2
say "starting MariaDB in $MARIADB_DIR"
mariadb_stop "$MARIADB_DIR" # a server left behind by an interrupted run
mariadb_start "$MARIADB_DIR"
echo "MariaDB $(mariadbd --version | awk '{print $3}') on $TRIBUTARY_MYSQL_HOST:$TRIBUTARY_MYSQL_PORT" >&2
say "starting Apache Kafka $KAFKA_VERSION (KRaft, from Maven Central's jars) in $KAFKA_DIR"
kafka_stop "$KAFKA_DIR" # a broker left behind by an interrupted run
kafka_start "$KAFKA_DIR"
echo "Apache Kafka $KAFKA_VERSION on $TRIBUTARY_KAFKA_BOOTSTRAP" >&2
say "starting the reference Kafka Connect worker (Debezium 3.6) in $CONNECT_DIR"
connect_stop "$CONNECT_DIR"
rm -rf "$CONNECT_DIR"
connect_start "$CONNECT_DIR" "$TRIBUTARY_KAFKA_BOOTSTRAP"
echo "Kafka Connect $KAFKA_VERSION on $TRIBUTARY_CONNECT_URL with $(ls "$TRIBUTARY_CONNECT_PLUGINS" | tr '\n' ' ')" >&2
# The Elasticsearch nodes start while moto and OpenSearch do (elasticsearch_wait below), not
# beside Kafka and Connect, whose starts have shorter limits.
say "launching Elasticsearch $ELASTICSEARCH_VERSION and $ELASTICSEARCH8_VERSION (single nodes, from Maven Central's jars) in $ES7_DIR and $ES8_DIR"
elasticsearch_stop "$ES7_DIR" # nodes left behind by an interrupted run
elasticsearch_stop "$ES8_DIR"
elasticsearch_spawn "$ES7_DIR" 7
elasticsearch_spawn "$ES8_DIR" 8
say "starting the S3-compatible test server (moto) in $S3_DIR"
s3_stop "$S3_DIR" # a server left behind by an interrupted run
s3_start "$S3_DIR"
echo "moto $("$TRIBUTARY_S3_PYTHON" -c 'import moto; print(moto.__version__)') on $TRIBUTARY_S3_URL" >&2
kafka_python_install "$ROOT/target/py-kafka"
echo "kafka-python $("$TRIBUTARY_KAFKA_PYTHON" -c 'import kafka; print(kafka.__version__)') in target/py-kafka" >&2
say "starting OpenSearch $OPENSEARCH_VERSION (single node, from Maven Central's jars) in $SEARCH_DIR"
opensearch_stop "$SEARCH_DIR" # a node left behind by an interrupted run
opensearch_start "$SEARCH_DIR"
echo "OpenSearch $OPENSEARCH_VERSION on $TRIBUTARY_SEARCH_URL" >&2
elasticsearch_wait "$ES7_DIR" 7
echo "Elasticsearch $ELASTICSEARCH_VERSION on $TRIBUTARY_ELASTICSEARCH_URL" >&2
elasticsearch_wait "$ES8_DIR" 8
echo "Elasticsearch $ELASTICSEARCH8_VERSION on $TRIBUTARY_ELASTICSEARCH8_URL" >&2
# --- checks -------------------------------------------------------------------------------------

declare -a names=() results=()
LOGS=$ROOT/target/test-logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log # only this run's steps are counted
DIFF_SUMMARY=$ROOT/target/tmp/differential-summary.txt
rm -f "$DIFF_SUMMARY" # the differential tests append a line per scenario
step() {
  local name=$1; shift
  say "$name: $*"
  local start=$SECONDS rc=0
  "$@" 2>&1 | tee "$LOGS/$name.log" || rc=$?
  names+=("$name")
  if [ "$rc" = 0 ]; then
    results+=("ok     $(( SECONDS - start ))s")
  else
    results+=("FAILED $(( SECONDS - start ))s (exit $rc)")
  fi
}

if [ -z "${NO_LINT:-}" ]; then
  step fmt cargo fmt --all -- --check
  step clippy cargo clippy --workspace --all-targets -- -D warnings
fi
if [ $# -gt 0 ]; then
  step tests cargo nextest run --workspace --no-fail-fast "$@"
elif cargo nextest --version >/dev/null 2>&1; then
  step tests cargo nextest run --workspace --no-fail-fast
  # nextest does not run doctests. After the tests, they reuse the tests' build and take
  # seconds (run first, they paid for the whole dependency build).
  step doctests cargo test --workspace --doc
else
  step tests cargo test --workspace --no-fail-fast
fi

# Counts of the test steps, from nextest's summary or cargo test's result lines (doctests
# included). Skipped (ignored) tests are counted apart and never as passed.
passed=0 failed_tests=0 skipped=0
for log in "$LOGS/tests.log" "$LOGS/doctests.log"; do
  [ -f "$log" ] || continue
  read -r p f k < <(python3 - "$log" <<'PY'
import re, sys
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], errors="replace").read())
m = re.findall(r"\d+ tests? run: (\d+) passed(.*)", text)
if m:
    p, rest = m[-1]
    f = re.search(r"(\d+) failed", rest)
    k = re.search(r"(\d+) skipped", rest)
    print(int(p), int(f.group(1)) if f else 0, int(k.group(1)) if k else 0)
else:
    rs = re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", text)
    print(sum(int(p) for p, _, _ in rs), sum(int(f) for _, f, _ in rs), sum(int(i) for _, _, i in rs))
PY
  )
  passed=$((passed + p)) failed_tests=$((failed_tests + f)) skipped=$((skipped + k))
done

if [ -f "$DIFF_SUMMARY" ]; then
  printf '\n==> differential tests (Debezium 3.6.1 and Kafka Connect 4.3 beside Tributary)\n' >&2
  sort "$DIFF_SUMMARY" >&2
fi

printf '\n==> summary\n' >&2
failed=0
for i in "${!names[@]}"; do
  printf '  %-10s %s\n' "${names[$i]}" "${results[$i]}" >&2
  case ${results[$i]} in FAILED*) failed=1 ;; esac
done
if [ "$failed" != 0 ]; then
  echo "scripts/test.sh: FAILED" >&2
else
  echo "scripts/test.sh: all checks passed" >&2
fi
echo "tests: $passed passed, $failed_tests failed, $skipped skipped"
exit "$failed"
