#!/usr/bin/env bash
# One single-node OpenSearch 2.x cluster (scripts/lib/java/opensearch-node/OpenSearchNode.java)
# from the jars that scripts/lib/opensearch.sh fetched from Maven Central and the class it
# compiled. Runs in the foreground (exec java), so a caller that spawns it holds the node's own
# pid and can stop or `kill -9` it:
#
#   bash scripts/lib/opensearch-node.sh <dir> <http-port>
#
# <dir> is the node's home: its data (kept across restarts) and nothing else. HTTP on
# 127.0.0.1:<http-port>, no security, a small heap. Needs TRIBUTARY_SEARCH_LIBS (the directory
# holding lib/ and classes/) or the default under target/java-peers.
set -euo pipefail

dir=$1 port=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${TRIBUTARY_SEARCH_LIBS:-$here/../../target/java-peers/opensearch}
java=${TRIBUTARY_JAVA:-java}
[ -d "$root/classes" ] || { echo "opensearch-node.sh: no OpenSearch jars in $root (run scripts/test.sh or source scripts/lib/opensearch.sh and call opensearch_install)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/tmp"
# The JVM options of the distribution's jvm.options that matter on a test machine.
exec "$java" -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0 \
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Djava.io.tmpdir="$dir/tmp" \
  -cp "$root/classes:$root/lib/*" OpenSearchNode "$dir" "$port"
