//! Avro on Kafka: the golden-type scenario of `tests/avro.rs` with the worker on the broker,
//! read back from the broker by Confluent's own consumer and decoded by its `AvroDeserializer`
//! against the worker's embedded registry.

use super::broker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluent_kafka_reads_avro_from_the_broker_and_decodes_every_golden_type() {
    crate::avro::golden_types_decode_like_the_json_converter(Some(&broker::bootstrap())).await;
}
