//! Kafka as the topic backend, against Apache Kafka (a KRaft broker started by
//! `scripts/test.sh` from Maven Central's jars; `TRIBUTARY_KAFKA_BOOTSTRAP`,
//! `TRIBUTARY_KAFKA_BROKER`, `TRIBUTARY_KAFKA_PYTHON`).

mod avro;
pub(crate) mod broker;
mod crash;
mod internal_topics;
mod jdbc;
mod jdbc_vs_debezium;
mod mysql_history;
mod outage;
mod readback;
mod sink;
