//! What a sink connector task is given and must do (`docs/decisions/sink-runtime.md`).
//!
//! The runtime reads records from the topics, converts their keys and values with the
//! connector's converters and hands them to a [`SinkTask`] in order. A task *accepts* records in
//! [`SinkTask::put`] (it may buffer them) and makes them *durable* in [`SinkTask::flush`]; the
//! runtime commits a consumed position only after `flush` returned for every record before it.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::ConnectorError;
use crate::record::SchemaAndValue;

/// A topic partition (the embedded log has partition 0 only).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: Arc<str>,
    pub partition: i32,
}

/// Per topic partition, the offset of the next record to consume (Connect's committed
/// consumer offset: one past the last record the target holds).
pub type Positions = BTreeMap<TopicPartition, u64>;

/// A record as a sink task receives it.
#[derive(Debug, Clone)]
pub struct SinkRecord {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: u64,
    /// The record's timestamp in milliseconds since the epoch, when it has one.
    pub timestamp_ms: Option<i64>,
    /// The key as the key converter read it (`None`: a null key).
    pub key: Option<SchemaAndValue>,
    /// The value as the value converter read it (`None`: a tombstone).
    pub value: Option<SchemaAndValue>,
    /// Headers as they were on the topic (name, bytes; `None` for a null header value).
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Where the record was read, when a transform routed it to another topic or partition
    /// (Connect's `originalTopic()`/`originalKafkaPartition()`); `None`: where `topic` and
    /// `partition` say. Positions are committed for this.
    pub origin: Option<TopicPartition>,
}

impl SinkRecord {
    /// The topic partition the record is for (after transforms).
    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition {
            topic: self.topic.clone(),
            partition: self.partition,
        }
    }

    /// Where the record was read: the partition its offset belongs to.
    pub fn original_topic_partition(&self) -> TopicPartition {
        self.origin
            .clone()
            .unwrap_or_else(|| self.topic_partition())
    }
}

/// A record the target refused for good (a constraint violation, a value it cannot hold): the
/// runtime sends it to the dead-letter queue under `errors.tolerance=all`, or fails the task.
#[derive(Debug)]
pub struct Refused {
    /// The record's index in the batch given to [`SinkTask::put`].
    pub index: usize,
    pub error: ConnectorError,
}

/// A sink connector task.
#[async_trait]
pub trait SinkTask: Send {
    /// Called once before the first `put`, with the partitions the task consumes. An
    /// exactly-once sink returns the positions its target holds (written in the same
    /// transactions as the data), which override the committed ones; others return `None`.
    async fn open(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<Option<Positions>, ConnectorError>;

    /// Accepts `records`, in order. It may write them now or buffer them until
    /// [`SinkTask::flush`]; records it refuses for good are returned, the rest are accepted.
    /// A `Retry::Transient` error means nothing of this batch was accepted: the runtime backs
    /// off and calls again with the same records.
    async fn put(&mut self, records: &[SinkRecord]) -> Result<Vec<Refused>, ConnectorError>;

    /// Makes every accepted record durable in the target.
    async fn flush(&mut self) -> Result<(), ConnectorError>;

    /// The positions the runtime may commit, given `delivered`, those just past every record
    /// `put` so far (Connect's `SinkTask.preCommit`). The default flushes and returns
    /// `delivered`. A task that makes records durable in units of its own (the S3 sink: whole
    /// objects, cut where the records say so that a replay cuts them again the same way)
    /// returns, per partition, no more than the start of what it holds and has not made durable
    /// yet; the runtime calls again at each flush interval while that is behind `delivered`.
    async fn pre_commit(&mut self, delivered: &Positions) -> Result<Positions, ConnectorError> {
        self.flush().await?;
        Ok(delivered.clone())
    }

    /// Called when the task stops (after a last `flush` when it stops cleanly).
    async fn close(&mut self) {}
}
