#!/usr/bin/env bash
# One single-node Elasticsearch 8 cluster
# (scripts/lib/java/elasticsearch8-node/Elasticsearch8Node.java) from the jars that
# scripts/lib/elasticsearch.sh fetched from Maven Central and the class it compiled. Runs in the
# foreground (exec java), so a caller that spawns it holds the node's own pid and can stop or
# `kill -9` it:
#
#   bash scripts/lib/elasticsearch8-node.sh <dir> <http-port>
#
# <dir> is the node's home: its data (kept across restarts) and its modules/ directory. HTTP on
# 127.0.0.1:<http-port>, no security (no x-pack), a small heap. As in the distribution, the
# server and its libraries run on the module path and the Netty4 module's jars (Netty and
# transport-netty4) are kept off it: the launcher links them into <dir>/modules. Needs
# TRIBUTARY_ELASTICSEARCH8_LIBS (the directory holding lib/ and classes/) or the default under
# target/java-peers.
set -euo pipefail

dir=$1 port=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${TRIBUTARY_ELASTICSEARCH8_LIBS:-$here/../../target/java-peers/elasticsearch8}
java=${TRIBUTARY_JAVA:-java}
[ -d "$root/classes" ] || { echo "elasticsearch8-node.sh: no Elasticsearch 8 jars in $root (run scripts/test.sh or source scripts/lib/elasticsearch.sh and call elasticsearch_install)" >&2; exit 1; }
root=$(cd "$root" && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/tmp"
modules=$(find "$root/lib" -name '*.jar' ! -name 'netty-*' ! -name 'transport-netty4-*' | sort | paste -sd:)
# The JVM options of the distribution's jvm.options that matter on a test machine.
exec "$java" -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0 \
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true \
  -Djava.io.tmpdir="$dir/tmp" --module-path "$modules" --add-modules=ALL-MODULE-PATH \
  -cp "$root/classes" Elasticsearch8Node "$dir" "$port" "$root/lib"
