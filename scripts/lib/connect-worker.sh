#!/usr/bin/env bash
# A reference Kafka Connect worker (distributed mode, Apache Kafka's ConnectDistributed) with
# Debezium's PostgreSQL and MySQL connectors and JDBC sink on its plugin path, against a running
# broker. Runs in the foreground (exec java), so a caller that spawns it holds the worker's own pid:
#
#   bash scripts/lib/connect-worker.sh <dir> <bootstrap> <rest-port> [group-id]
#
# <dir> holds worker.properties; the internal topics are <group-id>-configs/-offsets/-status
# (group-id defaults to reference-connect-<rest-port>). Needs the jars of scripts/lib/connect.sh
# (TRIBUTARY_KAFKA_LIBS, TRIBUTARY_CONNECT_PLUGINS, or the defaults under target/java-peers).
# TRIBUTARY_CONNECT_WORKER_EXTRA (optional): more worker properties, one a line, written after
# the ones below, so that a repeated key overrides them (e.g. session.timeout.ms=10000).
set -euo pipefail

dir=$1 bootstrap=$2 port=$3 group=${4:-reference-connect-$3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
libs=${TRIBUTARY_KAFKA_LIBS:-$here/../../target/java-peers/kafka-libs}
plugins=${TRIBUTARY_CONNECT_PLUGINS:-$here/../../target/java-peers/plugins}
java=${TRIBUTARY_JAVA:-java}
for d in "$libs" "$plugins"; do
  [ -d "$d" ] || { echo "connect-worker.sh: $d is missing (source scripts/lib/connect.sh and call connect_install)" >&2; exit 1; }
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cat >"$dir/worker.properties" <<PROPS
bootstrap.servers=$bootstrap
group.id=$group
config.storage.topic=$group-configs
offset.storage.topic=$group-offsets
status.storage.topic=$group-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
offset.storage.partitions=1
status.storage.replication.factor=1
status.storage.partitions=1
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
listeners=http://127.0.0.1:$port
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$port
plugin.path=$plugins
plugin.discovery=service_load
offset.flush.interval.ms=1000
scheduled.rebalance.max.delay.ms=10000
topic.creation.enable=true
PROPS
[ -z "${TRIBUTARY_CONNECT_WORKER_EXTRA:-}" ] || printf '%s\n' "$TRIBUTARY_CONNECT_WORKER_EXTRA" >>"$dir/worker.properties"
exec "$java" -Xms128m -Xmx${TRIBUTARY_CONNECT_HEAP:-768m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 \
  -Djava.awt.headless=true -Dlog4j2.configurationFile="$here/java/log4j2.properties" \
  -cp "$libs/*" org.apache.kafka.connect.cli.ConnectDistributed "$dir/worker.properties"
