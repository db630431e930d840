#!/usr/bin/env bash
# One single-node Apache Kafka broker (KRaft, combined broker + controller) from the jars that
# scripts/lib/kafka.sh fetched from Maven Central. Runs in the foreground (exec java), so a
# caller that spawns it holds the broker's own pid and can `kill -9` it:
#
#   bash scripts/lib/kafka-broker.sh <dir> <port> [controller-port]
#
# <dir> holds server.properties, the data (formatted on first use, kept across restarts) and
# nothing else; the broker listens and advertises PLAINTEXT on 127.0.0.1:<port>. Needs
# TRIBUTARY_KAFKA_LIBS (the jar directory) or the default under target/java-peers.
#
# With TRIBUTARY_KAFKA_SASL_SSL_PORT set, it also listens with SASL_SSL on localhost:<that port>:
# TLS with the test certificates (scripts/lib/tls.sh, made under <dir>/tls: trust tls/ca.crt,
# the name is `localhost`) and SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for user `tributary`,
# password `tributary-secret`.
set -euo pipefail

dir=$1 port=$2 cport=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
libs=${TRIBUTARY_KAFKA_LIBS:-$here/../../target/java-peers/kafka-libs}
java=${TRIBUTARY_JAVA:-java}
[ -d "$libs" ] || { echo "kafka-broker.sh: no Kafka jars in $libs (run scripts/test.sh or source scripts/lib/kafka.sh and call kafka_install)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -z "$cport" ]; then
  if [ -f "$dir/controller.port" ]; then
    cport=$(cat "$dir/controller.port")
  else
    cport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  fi
fi
echo "$cport" >"$dir/controller.port"

sport=${TRIBUTARY_KAFKA_SASL_SSL_PORT:-}
listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
advertised="PLAINTEXT://127.0.0.1:$port"
protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
secured=""
scram=()
if [ -n "$sport" ]; then
  # shellcheck source=tls.sh
  source "$here/tls.sh"
  tls_make_certs "$dir/tls" >&2
  cat "$dir/tls/server.key" "$dir/tls/server.crt" >"$dir/tls/keystore.pem"
  chmod 600 "$dir/tls/keystore.pem"
  listeners="$listeners,SASL_SSL://localhost:$sport"
  advertised="$advertised,SASL_SSL://localhost:$sport"
  protocols="$protocols,SASL_SSL:SASL_SSL"
  secured="sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$dir/tls/keystore.pem
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_tributary=\"tributary-secret\";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
  scram=(--add-scram 'SCRAM-SHA-256=[name=tributary,password=tributary-secret]'
         --add-scram 'SCRAM-SHA-512=[name=tributary,password=tributary-secret]')
fi

cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
$secured
PROPS

cp="$libs/*"
if [ ! -f "$dir/data/meta.properties" ]; then
  "$java" -Xmx256m -cp "$cp" -Dlog4j2.configurationFile="$here/java/log4j2.properties" \
    kafka.tools.StorageTool format -t "$("$java" -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
    -c "$dir/server.properties" "${scram[@]}" >"$dir/format.log" 2>&1 \
    || { cat "$dir/format.log" >&2; exit 1; }
fi
# kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS; a heap for a 2-core test machine.
exec "$java" -Xms256m -Xmx${TRIBUTARY_KAFKA_HEAP:-768m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 \
  -Djava.awt.headless=true -Dkafka.logs.dir="$dir/logs" \
  -Dlog4j2.configurationFile="$here/java/log4j2.properties" \
  -cp "$cp" kafka.Kafka "$dir/server.properties"
