//! The MySQL/MariaDB schema history in a Kafka topic, as Debezium's `KafkaSchemaHistory` keeps
//! it: `schema.history.internal.kafka.topic`, one partition, kept forever, one record per DDL in
//! Debezium's record shape ([`mysql_binlog::history::to_topic_record`]).
//!
//! Used when the worker runs on Kafka and the connector names a history topic; the history then
//! moves with the connector from worker to worker instead of staying in one data directory.
//! A record is acknowledged by every in-sync replica before the events that depend on it are
//! emitted (as the history file is fsynced). At each start the topic is read whole, up to the
//! end it had when reading began. Records Debezium wrote are read too (their `position` gives
//! the binlog file and position, their `ddl` is replayed), so a connector moved from Debezium
//! keeps its history.

use std::time::{Duration, Instant};

use cdc_core::ConfigMap;
use mysql_binlog::history::{
    from_topic_record, to_topic_record, Entry, HistoryError, HistoryStore, HistoryStoreFactory,
};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use tracing::info;

use super::config::translate;
use super::KafkaSettings;

/// The connector property naming the history topic.
pub const TOPIC: &str = "schema.history.internal.kafka.topic";
/// The connector property naming the history topic's brokers (the worker's by default).
pub const BOOTSTRAP: &str = "schema.history.internal.kafka.bootstrap.servers";

/// How long one request to the broker (metadata, a fetch, an acknowledgement) may take
/// (Debezium's `schema.history.internal.kafka.query.timeout.ms` is 3 s; reading a long history
/// on a slow broker needs more).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Connection settings the history's clients take from the worker's producer properties.
fn is_connection_setting(key: &str) -> bool {
    key == "bootstrap.servers"
        || key == "client.dns.lookup"
        || ["security.", "sasl.", "ssl."]
            .iter()
            .any(|p| key.starts_with(p))
}

/// The history store factory for a MySQL/MariaDB connector on a Kafka worker, or `None` when
/// the connector names no history topic (its history then stays in the data directory).
pub fn factory(
    settings: &KafkaSettings,
    connector_config: &ConfigMap,
) -> Result<Option<HistoryStoreFactory>, String> {
    let Some(topic) = connector_config
        .get(TOPIC)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    let mut base = ClientConfig::new();
    for (k, v) in &settings.producer.0 {
        if is_connection_setting(k) {
            base.set(k, v);
        }
    }
    if let Some(b) = connector_config
        .get(BOOTSTRAP)
        .map(|b| b.trim())
        .filter(|b| !b.is_empty())
    {
        base.set("bootstrap.servers", b);
    }
    let (mut producer, mut consumer) = (base.clone(), base);
    producer
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set(
            "message.timeout.ms",
            REQUEST_TIMEOUT.as_millis().to_string(),
        );
    consumer
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("group.id", format!("{topic}-reader"));
    for (key, value) in connector_config {
        let (target, k) = if let Some(k) = key.strip_prefix("schema.history.internal.producer.") {
            (&mut producer, k)
        } else if let Some(k) = key.strip_prefix("schema.history.internal.consumer.") {
            (&mut consumer, k)
        } else {
            continue;
        };
        for (k, v) in translate(k, value).map_err(|why| format!("{key}: {why}"))? {
            target.set(k, v);
        }
    }
    let server = connector_config
        .get("topic.prefix")
        .cloned()
        .unwrap_or_default();
    let replication = settings.topics.group_for(&topic).replication_factor;
    Ok(Some(std::sync::Arc::new(move || {
        Ok(Box::new(KafkaHistoryStore {
            topic: topic.clone(),
            server: server.clone(),
            replication,
            producer_config: producer.clone(),
            consumer_config: consumer.clone(),
            producer: None,
        }) as Box<dyn HistoryStore>)
    })))
}

/// The history topic of one connector.
struct KafkaHistoryStore {
    topic: String,
    server: String,
    replication: i32,
    producer_config: ClientConfig,
    consumer_config: ClientConfig,
    producer: Option<FutureProducer>,
}

impl KafkaHistoryStore {
    fn error(&self, reason: impl std::fmt::Display) -> HistoryError {
        HistoryError::Store {
            store: format!("topic {:?} ({TOPIC})", self.topic),
            reason: reason.to_string(),
        }
    }

    /// Creates the topic as Debezium does (one partition, no retention limit); an existing
    /// topic is left as it is.
    fn create_topic(&self) -> Result<(), HistoryError> {
        let admin: AdminClient<DefaultClientContext> = self
            .producer_config
            .create()
            .map_err(|e| self.error(format!("cannot create an admin client: {e}")))?;
        let topic = NewTopic::new(&self.topic, 1, TopicReplication::Fixed(self.replication))
            .set("cleanup.policy", "delete")
            .set("retention.ms", "-1")
            .set("retention.bytes", "-1");
        let options = AdminOptions::new()
            .request_timeout(Some(REQUEST_TIMEOUT))
            .operation_timeout(Some(REQUEST_TIMEOUT));
        let results = futures::executor::block_on(admin.create_topics([&topic], &options))
            .map_err(|e| self.error(format!("cannot create the topic: {e}")))?;
        match results.into_iter().next() {
            Some(Ok(_)) => {
                info!(topic = %self.topic, "created the schema history topic");
                Ok(())
            }
            Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) | None => Ok(()),
            Some(Err((_, code))) => Err(self.error(format!("cannot create the topic: {code}"))),
        }
    }
}

impl HistoryStore for KafkaHistoryStore {
    fn load(&mut self) -> Result<Vec<Entry>, HistoryError> {
        self.create_topic()?;
        let consumer: BaseConsumer = self
            .consumer_config
            .create()
            .map_err(|e| self.error(format!("cannot create a consumer: {e}")))?;
        let (low, high) = consumer
            .fetch_watermarks(&self.topic, 0, REQUEST_TIMEOUT)
            .map_err(|e| self.error(format!("cannot read the topic's offsets: {e}")))?;
        let mut entries = Vec::new();
        if high <= low {
            return Ok(entries);
        }
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(&self.topic, 0, Offset::Beginning)
            .and_then(|()| consumer.assign(&assignment))
            .map_err(|e| self.error(format!("cannot read the topic: {e}")))?;
        let mut last_progress = Instant::now();
        let mut next = low;
        while next < high {
            let message = match consumer.poll(Duration::from_millis(100)) {
                None => {
                    if last_progress.elapsed() > REQUEST_TIMEOUT {
                        return Err(self.error(format!(
                            "read up to offset {next} of {high}, then nothing for {} s",
                            REQUEST_TIMEOUT.as_secs()
                        )));
                    }
                    continue;
                }
                Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => continue,
                Some(Err(e)) => return Err(self.error(format!("cannot read the topic: {e}"))),
                Some(Ok(m)) => m,
            };
            last_progress = Instant::now();
            next = message.offset() + 1;
            let Some(payload) = message.payload() else {
                continue;
            };
            let entry =
                from_topic_record(payload).map_err(|reason| HistoryError::CorruptRecord {
                    store: format!("topic {:?} ({TOPIC})", self.topic),
                    offset: message.offset(),
                    reason,
                })?;
            entries.push(entry);
        }
        info!(topic = %self.topic, entries = entries.len(), "read the schema history topic");
        Ok(entries)
    }

    fn store(&mut self, entries: &[Entry]) -> Result<(), HistoryError> {
        if self.producer.is_none() {
            let producer: FutureProducer = self
                .producer_config
                .create()
                .map_err(|e| self.error(format!("cannot create a producer: {e}")))?;
            self.producer = Some(producer);
        }
        let Some(producer) = &self.producer else {
            return Ok(());
        };
        let ts_ms = cdc_core::ProcessingTime::now().nanos / 1_000_000;
        let mut deliveries = Vec::with_capacity(entries.len());
        for entry in entries {
            let payload = to_topic_record(entry, &self.server, ts_ms);
            let record: FutureRecord<'_, (), [u8]> =
                FutureRecord::to(&self.topic).partition(0).payload(&payload);
            let delivery = producer
                .send_result(record)
                .map_err(|(e, _)| self.error(format!("cannot send a record: {e}")))?;
            deliveries.push(delivery);
        }
        // In order, each acknowledged by every in-sync replica before the next DDL's events.
        for delivery in deliveries {
            match futures::executor::block_on(delivery) {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => {
                    return Err(self.error(format!("the broker did not accept a record: {e}")))
                }
                Err(_) => return Err(self.error("the producer was closed")),
            }
        }
        Ok(())
    }
}
