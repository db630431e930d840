# shellcheck shell=bash
# OpenSearch for the Elasticsearch sink's tests: a real single-node OpenSearch 2.x cluster run
# from OpenSearch's jars on Maven Central (scripts/lib/java/opensearch-pom.xml; nothing is
# downloaded from anywhere else) by a small main class that starts the server's own Node with the
# Netty4 HTTP module. Source this file (after scripts/lib/kafka.sh for java_install and
# java_copy_deps, and scripts/lib/pg.sh for pg_free_port), then:
#   opensearch_install        Java 17 and Maven when missing, the jars into
#                             target/java-peers/opensearch/lib (Maven's cache ~/.m2 keeps them
#                             across clean clones), the main class compiled beside them
#   opensearch_start <dir>    start a node on a free loopback port (a fresh, empty one each run);
#                             waits until the cluster answers
#   opensearch_stop <dir>     stop it
# opensearch_install exports TRIBUTARY_SEARCH_LIBS and TRIBUTARY_SEARCH_NODE (the launcher, for
# tests that run and stop a node of their own); opensearch_start exports TRIBUTARY_SEARCH_URL.

OPENSEARCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OPENSEARCH_VERSION=$(sed -n 's:.*<opensearch.version>\(.*\)</opensearch.version>.*:\1:p' "$OPENSEARCH_LIB_DIR/java/opensearch-pom.xml")

opensearch_install() {
  local root
  java_install || return 1
  root=$(cd "$OPENSEARCH_LIB_DIR/../.." && pwd)/target/java-peers/opensearch
  search_node_build OpenSearch "$OPENSEARCH_LIB_DIR/java/opensearch-pom.xml" \
    "$OPENSEARCH_LIB_DIR/java/opensearch-node/OpenSearchNode.java" "$root" || return 1
  export TRIBUTARY_SEARCH_LIBS=$root
  export TRIBUTARY_SEARCH_NODE=$OPENSEARCH_LIB_DIR/opensearch-node.sh
}

# Shared with scripts/lib/elasticsearch.sh: the jars of <pom> into <root>/lib (Maven's cache
# ~/.m2 keeps them) and the launcher <src> compiled beside them into <root>/classes.
search_node_build() {
  local name=$1 pom=$2 src=$3 root=$4 stamp dir
  java_copy_deps "$pom" "$root/lib" || {
    echo "the $name jars could not be fetched from Maven Central" >&2; return 1; }
  stamp=$(cat "$src" "$pom" | sha256sum | cut -c1-16)
  if [ ! -f "$root/classes/.src-$stamp" ]; then
    dir=$(mktemp -d "$root/classes.XXXXXX")
    javac -nowarn -encoding UTF-8 -d "$dir" -cp "$root/lib/*" "$src" >&2 || {
      rm -rf "$dir"; echo "the $name node launcher does not compile" >&2; return 1; }
    touch "$dir/.src-$stamp"
    rm -rf "$root/classes"
    mv "$dir" "$root/classes"
  fi
}

# Waits until the <name> node on <port> answers GET /_cluster/health (or its process died).
search_node_wait_started() {
  local name=$1 dir=$2 pid=$3 port=$4 i
  for i in $(seq 1 1200); do
    if python3 -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:$port/_cluster/health', timeout=1).status != 200)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the $name node did not start; its log:" >&2
  tail -50 "$dir/node.log" >&2
  return 1
}

opensearch_start() {
  local dir=$1 port
  opensearch_install || return 1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  rm -rf "$dir/home" # a fresh, empty node each run
  port=$(pg_free_port)
  bash "$TRIBUTARY_SEARCH_NODE" "$dir/home" "$port" >"$dir/node.log" 2>&1 &
  echo $! >"$dir/node.pid"
  search_node_wait_started OpenSearch "$dir" "$(cat "$dir/node.pid")" "$port" || return 1
  export TRIBUTARY_SEARCH_URL=http://127.0.0.1:$port
}

opensearch_stop() {
  java_stop "$1/node.pid" 15
}
