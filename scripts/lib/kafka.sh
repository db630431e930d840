# shellcheck shell=bash
# Apache Kafka for tests, demos and benchmarks: a single-node KRaft broker run from Apache
# Kafka's jars on Maven Central (nothing is downloaded from anywhere else), and the kafka-python
# client the tests read with. Tributary itself needs none of this; Java is a test peer only.
# Source this file (after scripts/lib/pg.sh, for pg_free_port), then:
#   kafka_install             Java 17 and Maven when missing (Debian packages), then the jars of
#                             scripts/lib/java/kafka-pom.xml into target/java-peers/kafka-libs
#                             (Maven's cache ~/.m2 keeps them across clean clones)
#   kafka_start <dir>         start a broker on a free loopback port (data under <dir>)
#   kafka_stop <dir>          stop it
#   kafka_python_install <venv>  a Python venv with kafka-python (and lz4 for compressed batches)
# kafka_install exports TRIBUTARY_KAFKA_LIBS and TRIBUTARY_KAFKA_BROKER (the launcher, for tests
# that run and kill a broker of their own); kafka_start exports TRIBUTARY_KAFKA_BOOTSTRAP;
# kafka_python_install exports TRIBUTARY_KAFKA_PYTHON.

KAFKA_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_LIB_DIR/java/kafka-pom.xml")

# Java 17+ and Maven, from Debian's packages when missing.
java_install() {
  if command -v java >/dev/null && command -v mvn >/dev/null \
    && java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); exit !(v[1] >= 17)}'; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "Java 17 and Maven are missing; install openjdk-17-jdk-headless and maven" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
}

# Copies the runtime dependencies of a POM into <dir> unless <dir> was made from the same POM.
java_copy_deps() {
  local pom=$1 dir=$2; shift 2
  local stamp
  stamp=$(sha256sum "$pom" | cut -c1-16)
  if [ -f "$dir/.pom-$stamp" ]; then return 0; fi
  rm -rf "$dir"
  echo "fetching the jars of $(basename "$pom") from Maven Central into $dir" >&2
  mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$dir" "$@" >&2 || return 1
  touch "$dir/.pom-$stamp"
}

kafka_install() {
  java_install || return 1
  local libs
  libs=$(cd "$KAFKA_LIB_DIR/../.." && pwd)/target/java-peers/kafka-libs
  java_copy_deps "$KAFKA_LIB_DIR/java/kafka-pom.xml" "$libs" || {
    echo "the Kafka jars could not be fetched from Maven Central" >&2; return 1; }
  export TRIBUTARY_KAFKA_LIBS=$libs
  export TRIBUTARY_KAFKA_BROKER=$KAFKA_LIB_DIR/kafka-broker.sh
}

# Waits until the broker launched into <dir> logs that it started (or died).
kafka_wait_started() {
  local dir=$1 pid=$2 i
  for i in $(seq 1 600); do
    if grep -q 'Kafka Server started' "$dir/broker.log" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "the Kafka broker did not start; its log:" >&2
  tail -50 "$dir/broker.log" >&2
  return 1
}

kafka_start() {
  local dir=$1 port
  kafka_install || return 1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  rm -rf "$dir/data" "$dir/controller.port" # a fresh, empty broker each run
  port=$(pg_free_port)
  bash "$TRIBUTARY_KAFKA_BROKER" "$dir" "$port" >"$dir/broker.log" 2>&1 &
  echo $! >"$dir/broker.pid"
  kafka_wait_started "$dir" "$(cat "$dir/broker.pid")" || return 1
  export TRIBUTARY_KAFKA_BOOTSTRAP=127.0.0.1:$port
}

# Stops the process whose pid is in <pidfile>: SIGTERM, up to <seconds> for a clean exit, then
# SIGKILL; removes the file.
java_stop() {
  local pidfile=$1 seconds=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((seconds * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

kafka_stop() {
  java_stop "$1/broker.pid" 10
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
