#!/usr/bin/env bash
# One single-node Elasticsearch 7.17 cluster
# (scripts/lib/java/elasticsearch-node/ElasticsearchNode.java) from the jars that
# scripts/lib/elasticsearch.sh fetched from Maven Central and the class it compiled. Runs in the
# foreground (exec java), so a caller that spawns it holds the node's own pid and can stop or
# `kill -9` it:
#
#   bash scripts/lib/elasticsearch-node.sh <dir> <http-port>
#
# <dir> is the node's home: its data (kept across restarts) and nothing else. HTTP on
# 127.0.0.1:<http-port>, no security (no x-pack), a small heap. Needs
# TRIBUTARY_ELASTICSEARCH_LIBS (the directory holding lib/ and classes/) or the default under
# target/java-peers.
set -euo pipefail

dir=$1 port=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${TRIBUTARY_ELASTICSEARCH_LIBS:-$here/../../target/java-peers/elasticsearch}
java=${TRIBUTARY_JAVA:-java}
[ -d "$root/classes" ] || { echo "elasticsearch-node.sh: no Elasticsearch jars in $root (run scripts/test.sh or source scripts/lib/elasticsearch.sh and call elasticsearch_install)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/tmp"
# The JVM options of the distribution's jvm.options that matter on a test machine.
exec "$java" -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0 \
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true \
  -Djava.io.tmpdir="$dir/tmp" -cp "$root/classes:$root/lib/*" ElasticsearchNode "$dir" "$port"
