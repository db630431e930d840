//! Kafka as the topic backend, against a real Kafka-protocol broker (`tansu`, started by
//! `scripts/test.sh`; `TRIBUTARY_KAFKA_BOOTSTRAP`, `TRIBUTARY_TANSU`, `TRIBUTARY_KAFKA_PYTHON`).

mod avro;
pub(crate) mod broker;
mod crash;
mod mysql_history;
mod outage;
mod readback;

/// `tansu broker` arguments: listen on (and advertise) `listener`, store in `storage`.
pub fn broker_args(listener: &str, storage: &str) -> Vec<String> {
    [
        "broker",
        "--listener-url",
        listener,
        "--advertised-listener-url",
        listener,
        "--storage-engine",
        storage,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}
