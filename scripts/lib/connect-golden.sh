#!/usr/bin/env bash
# shellcheck shell=bash
# Golden bytes of Kafka Connect's distributed mode for crates/connect-group's tests, written by
# Connect's own classes: scripts/lib/java/connect-golden/ConnectGolden.java against the Kafka
# jars (scripts/lib/java/kafka-pom.xml, fetched by kafka_install). A test peer only: Tributary
# itself needs no Java.
#
# Run it: prints the cases, one JSON object per line.
#   bash scripts/lib/connect-golden.sh
# Or read a cluster's internal topics with Connect's own stores (one JSON object):
#   bash scripts/lib/connect-golden.sh read-topics <bootstrap> <group> <config topic> <status topic>
# Or source it (after scripts/lib/kafka.sh) and call
#   connect_golden_install   the Kafka jars and the compiled program (cached under
#                            target/java-peers/connect-golden, redone when the source changes);
#                            exports TRIBUTARY_CONNECT_GOLDEN (this script)

CONNECT_GOLDEN_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

connect_golden_install() {
  local root src stamp classes dir
  kafka_install || return 1
  root=$(cd "$CONNECT_GOLDEN_LIB_DIR/../.." && pwd)/target/java-peers/connect-golden
  src=$CONNECT_GOLDEN_LIB_DIR/java/connect-golden/ConnectGolden.java
  stamp=$(cat "$src" "$CONNECT_GOLDEN_LIB_DIR/java/kafka-pom.xml" | sha256sum | cut -c1-16)
  classes=$root/classes
  if [ ! -f "$classes/.src-$stamp" ]; then
    mkdir -p "$root"
    dir=$(mktemp -d "$root/classes.XXXXXX")
    javac -nowarn -encoding UTF-8 -d "$dir" -cp "$TRIBUTARY_KAFKA_LIBS/*" "$src" >&2 || {
      rm -rf "$dir"; echo "ConnectGolden.java does not compile" >&2; return 1; }
    touch "$dir/.src-$stamp"
    rm -rf "$classes"
    mv "$dir" "$classes"
  fi
  export TRIBUTARY_CONNECT_GOLDEN=$CONNECT_GOLDEN_LIB_DIR/connect-golden.sh
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  # shellcheck source=scripts/lib/kafka.sh
  source "$CONNECT_GOLDEN_LIB_DIR/kafka.sh"
  connect_golden_install >&2
  root=$CONNECT_GOLDEN_LIB_DIR/../../target/java-peers/connect-golden
  exec "${TRIBUTARY_JAVA:-java}" -Dlog4j2.configurationFile="$CONNECT_GOLDEN_LIB_DIR/java/log4j2.properties" \
    -cp "$root/classes:$TRIBUTARY_KAFKA_LIBS/*" ConnectGolden "$@"
fi
