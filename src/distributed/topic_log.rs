//! One of Connect's internal topics, as `KafkaBasedLog` and `TopicAdmin` handle them:
//!
//! * [`ensure_topic`] creates it compacted with its partitions and replication factor (the
//!   config topic always with one partition) and the `<prefix>.*` topic configs; a topic that
//!   exists must be compacted (`cleanup.policy=compact` exactly) and the config topic must have
//!   one partition, else it is refused naming the property, as Connect refuses it;
//! * [`read_to_end`] reads every partition from the beginning up to the end offsets taken when
//!   reading began (no consumer group, nothing committed);
//! * [`TopicWriter`] writes with the Java producer's partitioner (`murmur2_random`), so each key
//!   lands where a Java worker would put it and compaction keeps one value per key.

use std::time::{Duration, Instant};

use connect_group::TopicSettings;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use tracing::{info, warn};

/// How long one request to the broker may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a write to an internal topic may take before it fails.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(15);

/// Which internal topic, for the rules that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalTopic {
    Config,
    Offsets,
    Status,
}

impl InternalTopic {
    /// The worker property naming the topic.
    pub fn property(self) -> &'static str {
        match self {
            InternalTopic::Config => "config.storage.topic",
            InternalTopic::Offsets => "offset.storage.topic",
            InternalTopic::Status => "status.storage.topic",
        }
    }
}

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// Creates `settings`' topic compacted, or checks the one that exists.
pub fn ensure_topic(
    client: &ClientConfig,
    kind: InternalTopic,
    settings: &TopicSettings,
) -> Result<(), String> {
    let property = kind.property();
    let name = &settings.name;
    let admin: AdminClient<DefaultClientContext> = client
        .create()
        .map_err(|e| format!("{property}: cannot create an admin client: {e}"))?;
    let partitions = match kind {
        InternalTopic::Config => 1,
        _ => settings.partitions.unwrap_or(-1),
    };
    let replication = settings.replication_factor.map_or(-1, i32::from);
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(replication));
    for (k, v) in &settings.topic_configs {
        topic = topic.set(k, v);
    }
    topic = topic.set("cleanup.policy", "compact");
    let options = AdminOptions::new()
        .request_timeout(Some(REQUEST_TIMEOUT))
        .operation_timeout(Some(REQUEST_TIMEOUT));
    let results = futures::executor::block_on(admin.create_topics([&topic], &options))
        .map_err(|e| format!("{property}: cannot create topic {name:?}: {e}"))?;
    match results.into_iter().next() {
        Some(Ok(_)) => {
            info!(topic = %name, partitions, replication, "created the internal topic");
            return Ok(());
        }
        Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) | None => {}
        Some(Err((_, code))) => {
            return Err(format!("{property}: cannot create topic {name:?}: {code}"))
        }
    }
    // It exists: Connect's checks (TopicAdmin.verifyTopicCleanupPolicyOnlyCompact and the
    // config topic's single partition).
    // A topic created a moment ago may not be described yet: ask again for a while.
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    let policy = loop {
        let described = futures::executor::block_on(
            admin.describe_configs([&ResourceSpecifier::Topic(name)], &options),
        )
        .map_err(|e| format!("{property}: cannot describe topic {name:?}: {e}"))?;
        let found = match described.into_iter().next() {
            Some(Ok(r)) => r.get("cleanup.policy").and_then(|e| e.value.clone()),
            _ => None,
        };
        match found {
            Some(p) => break p,
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            None => {
                return Err(format!(
                    "{property}: cannot read topic {name:?}'s cleanup.policy (describe configs)"
                ))
            }
        }
    };
    if policy != "compact" {
        return Err(format!(
            "{property}: topic {name:?} has cleanup.policy={policy:?}; Connect's internal topics must be compacted (cleanup.policy=compact only), or records are lost when retention deletes them. Change the topic's policy or name another topic"
        ));
    }
    if kind == InternalTopic::Config {
        let consumer: BaseConsumer = client
            .create()
            .map_err(|e| format!("{property}: cannot create a metadata client: {e}"))?;
        let n = existing_partitions(&consumer, name)
            .map_err(|e| format!("{property}: {e}"))?
            .len();
        if n != 1 {
            return Err(format!(
                "{property}: topic {name:?} has {n} partitions; the config topic must have exactly one (configs are ordered)"
            ));
        }
    }
    Ok(())
}

/// A consumer for `topic` to assign partitions to: no group membership, nothing committed
/// (`role` names its librdkafka group id, which assign() does not use but librdkafka asks for).
pub(super) fn reader(
    client: &ClientConfig,
    topic: &str,
    role: &str,
) -> Result<BaseConsumer, String> {
    let mut config = client.clone();
    config
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("group.id", format!("{topic}-{role}"))
        .set("fetch.wait.max.ms", "50");
    config
        .create()
        .map_err(|e| format!("cannot create a consumer for {topic:?}: {e}"))
}

/// The partition ids of `topic` (none when it does not exist).
pub(super) fn partitions(consumer: &BaseConsumer, topic: &str) -> Result<Vec<i32>, String> {
    let metadata = consumer
        .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
        .map_err(|e| format!("cannot read topic {topic:?}'s metadata: {e}"))?;
    Ok(metadata
        .topics()
        .first()
        .map(|t| t.partitions().iter().map(|p| p.id()).collect())
        .unwrap_or_default())
}

/// The partition ids of `topic`, which exists: right after another worker created it the
/// broker's metadata may not list it yet (three workers starting together race to create the
/// internal topics), so ask again for a while before giving up.
pub(super) fn existing_partitions(
    consumer: &BaseConsumer,
    topic: &str,
) -> Result<Vec<i32>, String> {
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    loop {
        let found = partitions(consumer, topic)?;
        if !found.is_empty() {
            return Ok(found);
        }
        if Instant::now() >= deadline {
            return Err(format!("topic {topic:?} has no partitions"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every record of `topic`, partition by partition, up to the end it had when reading began.
pub fn read_to_end(client: &ClientConfig, topic: &str) -> Result<Vec<Read>, String> {
    let consumer = reader(client, topic, "reader")?;
    let partitions = partitions(&consumer, topic)?;
    let mut ends = Vec::new();
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, *p, REQUEST_TIMEOUT)
            .map_err(|e| format!("cannot read the end offsets of {topic:?}: {e}"))?;
        if high > low {
            ends.push((*p, high));
            assignment
                .add_partition_offset(topic, *p, Offset::Beginning)
                .map_err(|e| format!("cannot read {topic:?}: {e}"))?;
        }
    }
    let mut out = Vec::new();
    if ends.is_empty() {
        return Ok(out);
    }
    consumer
        .assign(&assignment)
        .map_err(|e| format!("cannot read {topic:?}: {e}"))?;
    let mut next: std::collections::HashMap<i32, i64> = std::collections::HashMap::new();
    let done = |next: &std::collections::HashMap<i32, i64>| {
        ends.iter()
            .all(|(p, high)| next.get(p).is_some_and(|n| n >= high))
    };
    let mut last_progress = Instant::now();
    while !done(&next) {
        match consumer.poll(Duration::from_millis(100)) {
            None => {
                if last_progress.elapsed() > REQUEST_TIMEOUT {
                    return Err(format!(
                        "reading {topic:?}: nothing for {} s before its end",
                        REQUEST_TIMEOUT.as_secs()
                    ));
                }
            }
            Some(Err(e)) => return Err(format!("reading {topic:?}: {e}")),
            Some(Ok(m)) => {
                last_progress = Instant::now();
                next.insert(m.partition(), m.offset() + 1);
                out.push(Read {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                });
            }
        }
    }
    out.sort_by_key(|r| (r.partition, r.offset));
    Ok(out)
}

/// Writes records to one internal topic where the Java producer would put their keys.
pub struct TopicWriter {
    topic: String,
    producer: FutureProducer,
}

impl TopicWriter {
    pub fn new(client: &ClientConfig, topic: &str) -> Result<TopicWriter, String> {
        let mut config = client.clone();
        // The Java producer's default partitioner for keyed records; Connect's internal
        // producers are not idempotent. A write gives up after WRITE_TIMEOUT (the caller
        // decides: an offsets commit tries again while the worker is a member, a status write
        // is redone by the next change) rather than hang a worker whose brokers are away.
        config
            .set("partitioner", "murmur2_random")
            .set("enable.idempotence", "false")
            .set("acks", "all")
            .set("message.timeout.ms", WRITE_TIMEOUT.as_millis().to_string());
        let producer = config
            .create()
            .map_err(|e| format!("cannot create a producer for {topic:?}: {e}"))?;
        Ok(TopicWriter {
            topic: topic.to_owned(),
            producer,
        })
    }

    /// Sends one record (`None` value: a tombstone) and waits for the broker to acknowledge
    /// it; returns its partition and offset.
    pub async fn send(&self, key: &[u8], value: Option<&[u8]>) -> Result<(i32, i64), String> {
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topic).key(key);
        if let Some(v) = value {
            record = record.payload(v);
        }
        match self
            .producer
            .send(record, rdkafka::util::Timeout::After(WRITE_TIMEOUT))
            .await
        {
            Ok(delivery) => Ok((delivery.partition, delivery.offset)),
            Err((e, _)) => {
                warn!(topic = %self.topic, error = %e, "an internal topic write failed");
                Err(format!("writing to {:?}: {e}", self.topic))
            }
        }
    }
}
