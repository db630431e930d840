#!/usr/bin/env bash
# shellcheck shell=bash
# The reference single message transforms (Kafka Connect 4.3's and Debezium 3.6.1's
# ExtractNewRecordState) for tests/transforms: scripts/lib/java/smt-harness/SmtHarness.java, whose
# jars (scripts/lib/java/smt-harness-pom.xml) come from Maven Central. A test peer only: Tributary
# itself needs no Java.
#
# Run it: prints the outputs of a cases file (the format is described in SmtHarness.java):
#   bash scripts/lib/smt-harness.sh tests/transforms/cases.json > outputs.json
# Or dump the config definitions (config().configKeys()) of the transformations and predicates
# Tributary implements into the golden file crates/transforms/src/definitions.json:
#   bash scripts/lib/smt-harness.sh --definitions $(cargo test -q -p transforms --lib \
#     definitions::tests::implemented_classes -- --ignored --nocapture | sed -n 's/^class //p') \
#     > crates/transforms/src/definitions.json
# It installs what is missing first (as smt_harness_install does), so the first run fetches the
# jars (Maven's cache ~/.m2 keeps them across clean clones) and compiles the harness; both are
# cached under target/java-peers/smt-harness and redone only when the POM or the source changes.
#
# Or source it (after scripts/lib/kafka.sh) and call
#   smt_harness_install   Java 17 and Maven when missing, the jars, the compiled harness;
#                         exports TRIBUTARY_SMT_HARNESS (this script)

SMT_HARNESS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

smt_harness_install() {
  local root dir src stamp classes
  java_install || return 1
  root=$(cd "$SMT_HARNESS_LIB_DIR/../.." && pwd)/target/java-peers/smt-harness
  java_copy_deps "$SMT_HARNESS_LIB_DIR/java/smt-harness-pom.xml" "$root/lib" || {
    echo "the jars of the SMT harness could not be fetched from Maven Central" >&2; return 1; }
  # debezium-scripting alone (see the POM): Central has its jar but not its parent POM.
  if [ ! -f "$root/lib/debezium-scripting-3.5.0.Final.jar" ]; then
    mvn -B -q dependency:copy -Dartifact=io.debezium:debezium-scripting:3.5.0.Final \
      -DoutputDirectory="$root/lib" >&2 || {
      echo "debezium-scripting could not be fetched from Maven Central" >&2; return 1; }
  fi
  src=$SMT_HARNESS_LIB_DIR/java/smt-harness/SmtHarness.java
  stamp=$(cat "$src" "$SMT_HARNESS_LIB_DIR/java/smt-harness-pom.xml" | sha256sum | cut -c1-16)
  classes=$root/classes
  if [ ! -f "$classes/.src-$stamp" ]; then
    dir=$(mktemp -d "$root/classes.XXXXXX")
    javac -nowarn -encoding UTF-8 -d "$dir" -cp "$root/lib/*" "$src" >&2 || {
      rm -rf "$dir"; echo "the SMT harness does not compile" >&2; return 1; }
    touch "$dir/.src-$stamp"
    rm -rf "$classes"
    mv "$dir" "$classes"
  fi
  export TRIBUTARY_SMT_HARNESS=$SMT_HARNESS_LIB_DIR/smt-harness.sh
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  if [ $# -ne 1 ] && [ "${1:-}" != --definitions ]; then
    echo "usage: bash scripts/lib/smt-harness.sh <cases.json> | --definitions <class>..." >&2
    exit 2
  fi
  # shellcheck source=scripts/lib/kafka.sh
  source "$SMT_HARNESS_LIB_DIR/kafka.sh"
  smt_harness_install
  root=$SMT_HARNESS_LIB_DIR/../../target/java-peers/smt-harness
  # Locale and time zone pinned: TimestampRouter formats day and month names in the default locale.
  exec "${TRIBUTARY_JAVA:-java}" -Xss8m -Duser.language=en -Duser.country=US -Duser.timezone=UTC -cp "$root/classes:$root/lib/*" SmtHarness "$@"
fi
