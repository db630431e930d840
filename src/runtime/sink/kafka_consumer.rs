//! Reading a sink's topics from Kafka: one librdkafka consumer per task in group
//! `connect-<name>` (Connect's group), positions committed to that group after each flush, so
//! `kafka-consumer-groups.sh --describe --group connect-<name>` shows the sink's lag as for a
//! Connect sink.
//!
//! The task assigns itself its share of the partitions of the selected topics (and, for
//! `topics.regex`, of topics created later: metadata is read again every few seconds): every
//! partition when it is the connector's only task; task `i` of `n` (a distributed cluster's
//! `tasks.max`) takes the `i`-th range of each topic's partitions, as the consumer group's
//! default `RangeAssignor` hands them to `n` members (stable when topics are added). The tasks
//! do not join the group's rebalancing: which tasks exist is decided by the cluster's
//! assignment instead. A partition starts at the
//! position the runtime seeks (a sink's own), else at the group's committed offset, else per
//! `auto.offset.reset` (`earliest`, Connect's sink default).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cdc_core::{ConnectorError, Positions, Retry, TopicPartition};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::settings::TopicSelection;
use super::{Consumed, SinkConsumer};
use crate::kafka::config::ProducerProperties;
use crate::log::StoredRecord;

/// How often the topics are looked up again (new topics of `topics.regex`, new partitions).
const RESCAN: Duration = Duration::from_secs(5);
/// Broker requests (metadata, committed offsets, commits).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
#[error("Kafka consumer of the sink: {what}")]
struct KafkaSinkError {
    what: String,
    #[source]
    source: Option<rdkafka::error::KafkaError>,
}

fn error(
    retry: Retry,
    what: impl Into<String>,
    source: Option<rdkafka::error::KafkaError>,
) -> ConnectorError {
    ConnectorError::new(
        retry,
        KafkaSinkError {
            what: what.into(),
            source,
        },
    )
}

/// A sink task's consumer on Kafka.
pub struct KafkaSide {
    consumer: Arc<StreamConsumer>,
    selection: TopicSelection,
    /// The partitions assigned now.
    assigned: Vec<TopicPartition>,
    /// Next offsets: sought, or past the records returned.
    positions: Positions,
    last_scan: Instant,
    /// Topic names shared by the records of a topic.
    names: HashMap<String, Arc<str>>,
    /// This task's index and the connector's task count.
    share: (u32, u32),
}

/// Whether partition `p` of a topic with `count` partitions is task `task`'s of `tasks`, as
/// Kafka's `RangeAssignor` splits a topic: contiguous ranges, the first `count % tasks` tasks
/// one partition more.
pub fn in_share(p: i32, count: usize, (task, tasks): (u32, u32)) -> bool {
    let (tasks, task, count) = (tasks.max(1) as usize, task as usize, count);
    let (each, extra) = (count / tasks, count % tasks);
    let start = each * task + task.min(extra);
    let len = each + usize::from(task < extra);
    (start..start + len).contains(&(p.max(0) as usize))
}

impl KafkaSide {
    /// Creates the consumer from its librdkafka properties (`kafka::config::consumer_properties`).
    pub fn new(
        props: &ProducerProperties,
        selection: TopicSelection,
    ) -> Result<Self, ConnectorError> {
        let mut config = ClientConfig::new();
        for (k, v) in &props.0 {
            config.set(k, v);
        }
        let consumer: StreamConsumer = config.create().map_err(|e| {
            error(
                Retry::Fatal,
                "cannot create it (check the worker's consumer.* and the connector's consumer.override.* properties)",
                Some(e),
            )
        })?;
        Ok(KafkaSide {
            consumer: Arc::new(consumer),
            selection,
            assigned: Vec::new(),
            positions: Positions::new(),
            last_scan: Instant::now(),
            names: HashMap::new(),
            share: (0, 1),
        })
    }

    /// Reads only task `task`'s share of `tasks` (see [`in_share`]).
    pub fn with_share(mut self, task: u32, tasks: u32) -> Self {
        self.share = (task, tasks.max(1));
        self
    }

    /// The partitions of the selected topics the broker knows now.
    async fn scan(&self) -> Result<Vec<TopicPartition>, ConnectorError> {
        let (consumer, selection, share) =
            (self.consumer.clone(), self.selection.clone(), self.share);
        tokio::task::spawn_blocking(move || {
            let md = consumer
                .fetch_metadata(None, REQUEST_TIMEOUT)
                .map_err(|e| {
                    error(
                        Retry::Transient,
                        "cannot read the broker's metadata",
                        Some(e),
                    )
                })?;
            let mut out: Vec<TopicPartition> = md
                .topics()
                .iter()
                // Kafka's internal topics are never consumed (`exclude.internal.topics`).
                .filter(|t| !t.name().starts_with("__") && selection.matches(t.name()))
                .flat_map(|t| {
                    let topic: Arc<str> = t.name().into();
                    let count = t.partitions().len();
                    t.partitions()
                        .iter()
                        .filter(move |p| in_share(p.id(), count, share))
                        .map(move |p| TopicPartition {
                            topic: topic.clone(),
                            partition: p.id(),
                        })
                })
                .collect();
            out.sort();
            Ok(out)
        })
        .await
        .map_err(|e| ConnectorError::fatal_msg(format!("reading metadata panicked: {e}")))?
    }

    /// Assigns `partitions`, each at its position if it has one, else at the group's offset.
    fn assign(&mut self, partitions: Vec<TopicPartition>) -> Result<(), ConnectorError> {
        let mut tpl = TopicPartitionList::new();
        for tp in &partitions {
            let offset = match self.positions.get(tp) {
                Some(&next) => Offset::Offset(next as i64),
                None => Offset::Stored,
            };
            tpl.add_partition_offset(&tp.topic, tp.partition, offset)
                .map_err(|e| error(Retry::Fatal, format!("cannot assign {}", tp.topic), Some(e)))?;
        }
        self.consumer
            .assign(&tpl)
            .map_err(|e| error(Retry::Transient, "cannot assign the partitions", Some(e)))?;
        debug!(partitions = partitions.len(), "sink consumer assigned");
        self.assigned = partitions;
        self.last_scan = Instant::now();
        Ok(())
    }

    /// Looks for new topics and partitions when it is time to.
    async fn rescan(&mut self) -> Result<(), ConnectorError> {
        if self.last_scan.elapsed() < RESCAN {
            return Ok(());
        }
        let now = self.scan().await?;
        if now != self.assigned {
            // Partitions read so far keep their place: reassigning starts them at the positions
            // of the records already returned.
            self.assign(now)?;
        } else {
            self.last_scan = Instant::now();
        }
        Ok(())
    }

    fn consumed(&mut self, m: &rdkafka::message::BorrowedMessage<'_>) -> Consumed {
        let topic = match self.names.get(m.topic()) {
            Some(t) => t.clone(),
            None => {
                let t: Arc<str> = m.topic().into();
                self.names.insert(m.topic().to_owned(), t.clone());
                t
            }
        };
        let headers = m
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        (
                            h.key.to_owned(),
                            h.value.map(<[u8]>::to_vec).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let offset = m.offset().max(0) as u64;
        self.positions.insert(
            TopicPartition {
                topic: topic.clone(),
                partition: m.partition(),
            },
            offset + 1,
        );
        Consumed {
            topic,
            partition: m.partition(),
            record: StoredRecord {
                offset,
                timestamp_ms: m.timestamp().to_millis().unwrap_or(-1),
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers,
            },
        }
    }
}

#[async_trait]
impl SinkConsumer for KafkaSide {
    async fn partitions(&mut self) -> Result<Vec<TopicPartition>, ConnectorError> {
        self.scan().await
    }

    async fn committed(&mut self) -> Result<Positions, ConnectorError> {
        let partitions = self.scan().await?;
        let consumer = self.consumer.clone();
        tokio::task::spawn_blocking(move || {
            let mut tpl = TopicPartitionList::new();
            for tp in &partitions {
                tpl.add_partition(&tp.topic, tp.partition);
            }
            // A new group's coordinator is still being chosen or loaded for a moment: asked
            // again at once (not after the runtime's 1 s backoff), for up to 10 s.
            let started = Instant::now();
            let committed = loop {
                match consumer.committed_offsets(tpl.clone(), REQUEST_TIMEOUT) {
                    Err(e)
                        if coordinator_not_ready(&e)
                            && started.elapsed() < Duration::from_secs(10) =>
                    {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    other => {
                        break other.map_err(|e| {
                            error(
                                Retry::Transient,
                                "cannot read the group's committed offsets",
                                Some(e),
                            )
                        })?
                    }
                }
            };
            let mut out = Positions::new();
            for e in committed.elements() {
                if let Offset::Offset(n) = e.offset() {
                    let tp = TopicPartition {
                        topic: e.topic().into(),
                        partition: e.partition(),
                    };
                    out.insert(tp, n.max(0) as u64);
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| {
            ConnectorError::fatal_msg(format!("reading committed offsets panicked: {e}"))
        })?
    }

    async fn seek(&mut self, positions: &Positions) -> Result<(), ConnectorError> {
        self.positions
            .extend(positions.iter().map(|(k, v)| (k.clone(), *v)));
        let partitions = self.scan().await?;
        self.assign(partitions)
    }

    fn positions(&self) -> Positions {
        self.positions.clone()
    }

    async fn poll(
        &mut self,
        max_records: usize,
        max_bytes: usize,
        max_wait: Option<Duration>,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Consumed>, ConnectorError> {
        let deadline = max_wait.map(|w| tokio::time::Instant::now() + w);
        let mut out = Vec::new();
        let mut bytes = 0;
        loop {
            self.rescan().await?;
            let consumer = self.consumer.clone();
            // The first record is waited for (up to the deadline); the rest of the batch is
            // what is there already.
            let now = tokio::time::Instant::now();
            let wait = match deadline {
                _ if !out.is_empty() => Duration::from_millis(1),
                Some(d) => RESCAN.min(d.saturating_duration_since(now)),
                None => RESCAN,
            };
            // On shutdown what was read is returned (the positions moved past it already).
            let next = tokio::select! {
                _ = shutdown.cancelled() => return Ok(out),
                m = tokio::time::timeout(wait, consumer.recv()) => m,
            };
            match next {
                Err(_elapsed)
                    if out.is_empty()
                        && deadline.is_some_and(|d| d <= tokio::time::Instant::now()) =>
                {
                    return Ok(out)
                }
                Err(_elapsed) if out.is_empty() => continue,
                Err(_elapsed) => return Ok(out),
                Ok(Err(e)) => {
                    // librdkafka retries connections itself; an error here is reported and the
                    // consumer goes on (a fatal one surfaces again on commit).
                    warn!(error = %e, "sink consumer error");
                    if !out.is_empty() {
                        return Ok(out);
                    }
                }
                Ok(Ok(m)) => {
                    let c = self.consumed(&m);
                    bytes += c.size();
                    out.push(c);
                    if out.len() >= max_records || bytes >= max_bytes {
                        return Ok(out);
                    }
                }
            }
        }
    }

    async fn commit(&mut self, positions: &Positions) -> Result<(), ConnectorError> {
        let mut tpl = TopicPartitionList::new();
        for (tp, next) in positions {
            tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*next as i64))
                .map_err(|e| error(Retry::Fatal, format!("cannot commit {}", tp.topic), Some(e)))?;
        }
        let consumer = self.consumer.clone();
        tokio::task::spawn_blocking(move || consumer.commit(&tpl, CommitMode::Sync))
            .await
            .map_err(|e| ConnectorError::fatal_msg(format!("committing panicked: {e}")))?
            .map_err(|e| {
                error(
                    Retry::Transient,
                    "cannot commit the group's offsets",
                    Some(e),
                )
            })
    }
}

/// Whether `e` says the group's coordinator is not ready yet (a new group, a moving coordinator).
fn coordinator_not_ready(e: &rdkafka::error::KafkaError) -> bool {
    use rdkafka::types::RDKafkaErrorCode as C;
    matches!(
        e.rdkafka_error_code(),
        Some(C::NotCoordinator | C::CoordinatorLoadInProgress | C::CoordinatorNotAvailable)
    )
}

#[cfg(test)]
mod tests {
    use super::in_share;

    #[test]
    fn tasks_share_a_topics_partitions_in_ranges_as_the_range_assignor_does() {
        // 7 partitions over 3 tasks: 0-2, 3-4, 5-6.
        let owner = |p: i32| {
            (0..3)
                .filter(|t| in_share(p, 7, (*t, 3)))
                .collect::<Vec<u32>>()
        };
        let owners: Vec<Vec<u32>> = (0..7).map(owner).collect();
        assert_eq!(
            owners,
            [
                vec![0],
                vec![0],
                vec![0],
                vec![1],
                vec![1],
                vec![2],
                vec![2]
            ]
        );
        // More tasks than partitions: the last ones get none.
        assert!(in_share(0, 1, (0, 3)));
        assert!(!in_share(0, 1, (1, 3)) && !in_share(0, 1, (2, 3)));
        // One task reads everything.
        assert!((0..5).all(|p| in_share(p, 5, (0, 1))));
    }
}
