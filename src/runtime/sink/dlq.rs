//! The dead-letter queue of a sink connector (`errors.deadletterqueue.topic.name`, with
//! `errors.tolerance=all`): a record that cannot be converted, or that the target refuses, is
//! written to that topic with its original key, value, headers and timestamp, plus, with
//! `errors.deadletterqueue.context.headers.enable=true`, Connect's `__connect.errors.*`
//! headers saying where it came from and why. It is written before the position that skips it
//! is committed, so a crash repeats it rather than losing it.

use cdc_core::{ConnectorError, Retry};

use super::{Consumed, RecordFailed};
use crate::log::{EmbeddedLog, Payload, StoredRecordRef};

/// Where dead letters go: the embedded log's topic (Kafka's is not built yet).
pub struct LogDeadLetterQueue {
    pub log: EmbeddedLog,
    pub topic: String,
    pub connector: String,
    pub context_headers: bool,
}

/// Connect's error context headers (`DeadLetterQueueReporter`), as UTF-8 strings.
pub fn context_headers(
    connector: &str,
    c: &Consumed,
    failure: &RecordFailed,
) -> Vec<(String, Vec<u8>)> {
    let h = |k: &str, v: String| (format!("__connect.errors.{k}"), v.into_bytes());
    vec![
        h("topic", c.topic.to_string()),
        h("partition", c.partition.to_string()),
        h("offset", c.record.offset.to_string()),
        h("connector.name", connector.to_owned()),
        h("task.id", "0".to_owned()),
        h("stage", failure.stage.to_owned()),
        h("class.name", failure.class.to_owned()),
        h(
            "exception.class.name",
            "org.apache.kafka.connect.errors.DataException".to_owned(),
        ),
        h("exception.message", failure.cause.clone()),
    ]
}

impl LogDeadLetterQueue {
    /// Appends the failed record to the dead-letter topic, durably.
    pub async fn send(&self, c: &Consumed, failure: &RecordFailed) -> Result<(), ConnectorError> {
        let mut headers = c.record.headers.clone();
        if self.context_headers {
            headers.extend(context_headers(&self.connector, c, failure));
        }
        let (log, topic, record) = (self.log.clone(), self.topic.clone(), c.record.clone());
        tokio::task::spawn_blocking(move || {
            let stored = StoredRecordRef {
                topic: &topic,
                timestamp_ms: record.timestamp_ms,
                key: record.key.as_deref().map(Payload::whole),
                value: record.value.as_deref().map(Payload::whole),
                headers: &headers,
                context: &[],
                context_block: &[],
            };
            log.append(&[stored], None).map(drop)
        })
        .await
        .map_err(|e| ConnectorError::fatal_msg(format!("writing a dead letter panicked: {e}")))?
        .map_err(|e| ConnectorError::new(Retry::Fatal, e))
    }
}
