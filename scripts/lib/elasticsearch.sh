# shellcheck shell=bash
# Elasticsearch 7 and 8 for the Elasticsearch sink's tests, beside OpenSearch
# (scripts/lib/opensearch.sh): real single-node Elasticsearch 7.17 and 8.19 clusters run from
# Elasticsearch's jars on Maven Central (scripts/lib/java/elasticsearch-pom.xml and
# elasticsearch8-pom.xml; nothing is downloaded from anywhere else) by small main classes that
# start the server's own Node with the Netty4 HTTP module. Bare servers: no x-pack (not on Maven
# Central as a runnable plugin), so no security, no built-in index templates, no data streams on 7
# (x-pack's data-streams module registers their mapper), and on 8 none of the distribution's other
# modules (no `GET /`, no `_data_stream` APIs; writing to a data stream works). Source this file
# after scripts/lib/opensearch.sh (search_node_build, search_node_wait_started),
# scripts/lib/kafka.sh (java_install, java_stop) and scripts/lib/pg.sh (pg_free_port), then:
#   elasticsearch_install              the jars of both into target/java-peers/elasticsearch{,8}/lib,
#                                      the main classes compiled beside them
#   elasticsearch_spawn <dir> <7|8>    launch a node on a free loopback port (a fresh, empty one
#                                      each run) and return at once
#   elasticsearch_wait <dir> <7|8>     wait until the spawned node answers
#   elasticsearch_start <dir> <7|8>    both
#   elasticsearch_stop <dir>           stop it
# elasticsearch_install exports TRIBUTARY_ELASTICSEARCH_NODE and TRIBUTARY_ELASTICSEARCH8_NODE
# (the launchers, same arguments as opensearch-node.sh) and their TRIBUTARY_ELASTICSEARCH*_LIBS;
# elasticsearch_wait exports TRIBUTARY_ELASTICSEARCH_URL (7) or TRIBUTARY_ELASTICSEARCH8_URL (8).

ELASTICSEARCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ELASTICSEARCH_VERSION=$(sed -n 's:.*<elasticsearch.version>\(.*\)</elasticsearch.version>.*:\1:p' "$ELASTICSEARCH_LIB_DIR/java/elasticsearch-pom.xml")
ELASTICSEARCH8_VERSION=$(sed -n 's:.*<elasticsearch8.version>\(.*\)</elasticsearch8.version>.*:\1:p' "$ELASTICSEARCH_LIB_DIR/java/elasticsearch8-pom.xml")

elasticsearch_install() {
  local root
  java_install || return 1
  root=$(cd "$ELASTICSEARCH_LIB_DIR/../.." && pwd)/target/java-peers
  search_node_build Elasticsearch "$ELASTICSEARCH_LIB_DIR/java/elasticsearch-pom.xml" \
    "$ELASTICSEARCH_LIB_DIR/java/elasticsearch-node/ElasticsearchNode.java" "$root/elasticsearch" || return 1
  search_node_build "Elasticsearch 8" "$ELASTICSEARCH_LIB_DIR/java/elasticsearch8-pom.xml" \
    "$ELASTICSEARCH_LIB_DIR/java/elasticsearch8-node/Elasticsearch8Node.java" "$root/elasticsearch8" || return 1
  export TRIBUTARY_ELASTICSEARCH_LIBS=$root/elasticsearch
  export TRIBUTARY_ELASTICSEARCH_NODE=$ELASTICSEARCH_LIB_DIR/elasticsearch-node.sh
  export TRIBUTARY_ELASTICSEARCH8_LIBS=$root/elasticsearch8
  export TRIBUTARY_ELASTICSEARCH8_NODE=$ELASTICSEARCH_LIB_DIR/elasticsearch8-node.sh
}

elasticsearch_spawn() {
  local dir=$1 major=$2 launcher
  elasticsearch_install || return 1
  case $major in
    7) launcher=$TRIBUTARY_ELASTICSEARCH_NODE ;;
    8) launcher=$TRIBUTARY_ELASTICSEARCH8_NODE ;;
    *) echo "elasticsearch_spawn: major version 7 or 8, not $major" >&2; return 1 ;;
  esac
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  rm -rf "$dir/home" # a fresh, empty node each run
  pg_free_port >"$dir/node.port"
  bash "$launcher" "$dir/home" "$(cat "$dir/node.port")" >"$dir/node.log" 2>&1 &
  echo $! >"$dir/node.pid"
}

elasticsearch_wait() {
  local dir=$1 major=$2 port
  port=$(cat "$dir/node.port")
  search_node_wait_started "Elasticsearch $major" "$dir" "$(cat "$dir/node.pid")" "$port" || return 1
  case $major in
    7) export TRIBUTARY_ELASTICSEARCH_URL=http://127.0.0.1:$port ;;
    8) export TRIBUTARY_ELASTICSEARCH8_URL=http://127.0.0.1:$port ;;
  esac
}

elasticsearch_start() {
  elasticsearch_spawn "$1" "$2" && elasticsearch_wait "$1" "$2"
}

elasticsearch_stop() {
  java_stop "$1/node.pid" 15
}
