# shellcheck shell=bash
# Python clients we did not write, for compatibility tests: a venv under target/ with
# Confluent's client (confluent-kafka with its Schema Registry client and Avro deserializer),
# and the readers the S3 sink's objects are checked with (fastavro with cramjam for snappy
# blocks; pyarrow for Parquet).
#
#   python_venv_setup <dir>   creates or reuses the venv, installs what is missing, exports
#                             TRIBUTARY_PYTHON (the venv's interpreter) for the tests.

PYTHON_PACKAGES=("confluent-kafka[avro,schemaregistry]==2.16.0" "fastavro==1.13.1" "cramjam==2.14.0"
  "pyarrow==26.0.1")

python_venv_setup() {
  local dir=$1
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "python3-venv is missing; install it or run as root" >&2
      return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq python3-venv >/dev/null
  fi
  if [ ! -x "$dir/bin/python" ]; then
    python3 -m venv "$dir" || return 1
  fi
  if ! "$dir/bin/python" -c 'from confluent_kafka.schema_registry.avro import AvroDeserializer
import fastavro, cramjam, pyarrow.parquet' >/dev/null 2>&1; then
    "$dir/bin/pip" install -q "${PYTHON_PACKAGES[@]}" || return 1
  fi
  TRIBUTARY_PYTHON=$dir/bin/python
  export TRIBUTARY_PYTHON
}
