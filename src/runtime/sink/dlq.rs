//! The dead-letter queue of a sink connector (`errors.deadletterqueue.topic.name`, with
//! `errors.tolerance=all`): a record that cannot be converted, or that the target refuses, is
//! written to that topic with its original key, value, headers and timestamp, plus, with
//! `errors.deadletterqueue.context.headers.enable=true`, Connect's `__connect.errors.*`
//! headers saying where it came from and why. It is written before the position that skips it
//! is committed, so a crash repeats it rather than losing it.

use std::time::Duration;

use cdc_core::{ConnectorError, Retry};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use super::{Consumed, RecordFailed};
use crate::kafka::config::ProducerProperties;
use crate::log::{EmbeddedLog, Payload, StoredRecordRef};

/// Where a sink's dead letters go: a topic of the embedded log, or of Kafka.
pub enum DeadLetterQueue {
    Log(LogDeadLetterQueue),
    Kafka(KafkaDeadLetterQueue),
}

impl DeadLetterQueue {
    /// Writes the failed record, durably (fsynced, or acknowledged by the broker).
    pub async fn send(&self, c: &Consumed, failure: &RecordFailed) -> Result<(), ConnectorError> {
        match self {
            DeadLetterQueue::Log(q) => q.send(c, failure).await,
            DeadLetterQueue::Kafka(q) => q.send(c, failure).await,
        }
    }
}

/// Dead letters on a topic of the embedded log.
pub struct LogDeadLetterQueue {
    pub log: EmbeddedLog,
    pub topic: String,
    pub connector: String,
    pub context_headers: bool,
}

/// Dead letters on a Kafka topic, created (one partition, `replication.factor` as
/// `errors.deadletterqueue.topic.replication.factor`, -1 for the broker's default) when it is
/// missing, as Connect does.
pub struct KafkaDeadLetterQueue {
    producer: FutureProducer,
    topic: String,
    connector: String,
    context_headers: bool,
}

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl KafkaDeadLetterQueue {
    /// A producer with the task's producer properties, and the topic made sure of.
    pub async fn start(
        props: &ProducerProperties,
        topic: &str,
        replication_factor: i16,
        connector: &str,
        context_headers: bool,
    ) -> Result<KafkaDeadLetterQueue, ConnectorError> {
        let mut config = ClientConfig::new();
        for (k, v) in &props.0 {
            config.set(k, v);
        }
        let fail = |what: String| ConnectorError::transient(std::io::Error::other(what));
        let admin: AdminClient<DefaultClientContext> = config.create().map_err(|e| {
            fail(format!(
                "dead-letter queue: cannot create an admin client: {e}"
            ))
        })?;
        let replication = if replication_factor < 0 {
            TopicReplication::Fixed(-1)
        } else {
            TopicReplication::Fixed(i32::from(replication_factor))
        };
        let new = NewTopic::new(topic, 1, replication);
        let options = AdminOptions::new()
            .request_timeout(Some(REQUEST_TIMEOUT))
            .operation_timeout(Some(REQUEST_TIMEOUT));
        let created = admin.create_topics([&new], &options).await.map_err(|e| {
            fail(format!(
                "dead-letter queue: cannot create topic {topic:?}: {e}"
            ))
        })?;
        match created.into_iter().next() {
            Some(Ok(_)) | None | Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) => {}
            Some(Err((_, code))) => {
                return Err(ConnectorError::fatal_msg(format!(
                    "dead-letter queue: cannot create topic {topic:?} (errors.deadletterqueue.topic.replication.factor={replication_factor}): {code}"
                )))
            }
        }
        let producer: FutureProducer = config
            .create()
            .map_err(|e| fail(format!("dead-letter queue: cannot create a producer: {e}")))?;
        Ok(KafkaDeadLetterQueue {
            producer,
            topic: topic.to_owned(),
            connector: connector.to_owned(),
            context_headers,
        })
    }

    async fn send(&self, c: &Consumed, failure: &RecordFailed) -> Result<(), ConnectorError> {
        let mut all = c.record.headers.clone();
        if self.context_headers {
            all.extend(context_headers(&self.connector, c, failure));
        }
        let mut headers = OwnedHeaders::new_with_capacity(all.len());
        for (k, v) in &all {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topic)
            .headers(headers)
            .timestamp(c.record.timestamp_ms);
        if let Some(k) = &c.record.key {
            record = record.key(k);
        }
        if let Some(v) = &c.record.value {
            record = record.payload(v);
        }
        self.producer
            .send(record, REQUEST_TIMEOUT)
            .await
            .map(drop)
            .map_err(|(e, _)| {
                ConnectorError::transient(std::io::Error::other(format!(
                    "the broker did not take a dead letter for {:?}: {e}",
                    self.topic
                )))
            })
    }
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
