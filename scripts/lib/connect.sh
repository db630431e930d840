# shellcheck shell=bash
# The reference Kafka Connect worker with Debezium, for the tests and benchmarks that compare
# Tributary with the real thing. Source after scripts/lib/kafka.sh, then:
#   connect_install                 the Kafka jars (kafka_install), Debezium 3.6.1's PostgreSQL
#                                   and MySQL connectors and Debezium 3.6.0's JDBC sink
#                                   (debezium-jdbc-pom.xml: its configs need the
#                                   connection.provider line that pom explains) under
#                                   target/java-peers/plugins, a directory each (Connect gives each
#                                   its own classloader)
#   connect_start <dir> <bootstrap> [group-id]
#                                   start a worker on a free loopback port (in group-id, else a
#                                   group of its own; see connect-worker.sh); waits until its REST
#                                   API answers GET /health; exports TRIBUTARY_CONNECT_URL
#   connect_stop <dir>
# connect_install exports TRIBUTARY_CONNECT_PLUGINS and TRIBUTARY_CONNECT_WORKER (the launcher,
# for tests that start a worker of their own).

CONNECT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

connect_install() {
  kafka_install || return 1
  local plugins c
  plugins=$(cd "$CONNECT_LIB_DIR/../.." && pwd)/target/java-peers/plugins
  for c in postgres mysql jdbc; do
    java_copy_deps "$CONNECT_LIB_DIR/java/debezium-$c-pom.xml" "$plugins/debezium-$c" \
      -DexcludeGroupIds=org.apache.kafka || {
      echo "Debezium's $c connector could not be fetched from Maven Central" >&2; return 1; }
  done
  export TRIBUTARY_CONNECT_PLUGINS=$plugins
  export TRIBUTARY_CONNECT_WORKER=$CONNECT_LIB_DIR/connect-worker.sh
}

connect_start() {
  local dir=$1 bootstrap=$2 group=${3:-} port i
  connect_install || return 1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  port=$(pg_free_port)
  bash "$TRIBUTARY_CONNECT_WORKER" "$dir" "$bootstrap" "$port" ${group:+"$group"} >"$dir/worker.log" 2>&1 &
  echo $! >"$dir/worker.pid"
  for i in $(seq 1 1200); do
    if python3 -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1).status != 200)" 2>/dev/null; then
      export TRIBUTARY_CONNECT_URL=http://127.0.0.1:$port
      return 0
    fi
    kill -0 "$(cat "$dir/worker.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "the Kafka Connect worker did not become healthy; its log:" >&2
  tail -50 "$dir/worker.log" >&2
  return 1
}

connect_stop() {
  java_stop "$1/worker.pid" 15
}
