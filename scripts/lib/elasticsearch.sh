# shellcheck shell=bash
# Elasticsearch 7 for the Elasticsearch sink's tests, beside OpenSearch (scripts/lib/opensearch.sh):
# a real single-node Elasticsearch 7.17 cluster run from Elasticsearch's jars on Maven Central
# (scripts/lib/java/elasticsearch-pom.xml; nothing is downloaded from anywhere else) by a small
# main class that starts the server's own Node with the Netty4 HTTP module. A bare server (no
# x-pack). Source this file after scripts/lib/opensearch.sh (search_node_build,
# search_node_wait_started), scripts/lib/kafka.sh (java_install, java_stop) and scripts/lib/pg.sh
# (pg_free_port), then:
#   elasticsearch_install       the jars into target/java-peers/elasticsearch/lib, the main class
#                               compiled beside them
#   elasticsearch_start <dir>   start a node on a free loopback port (a fresh, empty one each
#                               run); waits until the cluster answers
#   elasticsearch_stop <dir>    stop it
# elasticsearch_install exports TRIBUTARY_ELASTICSEARCH_LIBS and TRIBUTARY_ELASTICSEARCH_NODE (the
# launcher, same arguments as opensearch-node.sh); elasticsearch_start exports
# TRIBUTARY_ELASTICSEARCH_URL.

ELASTICSEARCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ELASTICSEARCH_VERSION=$(sed -n 's:.*<elasticsearch.version>\(.*\)</elasticsearch.version>.*:\1:p' "$ELASTICSEARCH_LIB_DIR/java/elasticsearch-pom.xml")

elasticsearch_install() {
  local root
  java_install || return 1
  root=$(cd "$ELASTICSEARCH_LIB_DIR/../.." && pwd)/target/java-peers/elasticsearch
  search_node_build Elasticsearch "$ELASTICSEARCH_LIB_DIR/java/elasticsearch-pom.xml" \
    "$ELASTICSEARCH_LIB_DIR/java/elasticsearch-node/ElasticsearchNode.java" "$root" || return 1
  export TRIBUTARY_ELASTICSEARCH_LIBS=$root
  export TRIBUTARY_ELASTICSEARCH_NODE=$ELASTICSEARCH_LIB_DIR/elasticsearch-node.sh
}

elasticsearch_start() {
  local dir=$1 port
  elasticsearch_install || return 1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  rm -rf "$dir/home" # a fresh, empty node each run
  port=$(pg_free_port)
  bash "$TRIBUTARY_ELASTICSEARCH_NODE" "$dir/home" "$port" >"$dir/node.log" 2>&1 &
  echo $! >"$dir/node.pid"
  search_node_wait_started Elasticsearch "$dir" "$(cat "$dir/node.pid")" "$port" || return 1
  export TRIBUTARY_ELASTICSEARCH_URL=http://127.0.0.1:$port
}

elasticsearch_stop() {
  java_stop "$1/node.pid" 15
}
