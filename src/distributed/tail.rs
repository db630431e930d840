//! Following one internal topic as Connect's `KafkaBasedLog` does: a thread reads every
//! partition from the beginning and hands each record to the store's callback, for as long as
//! the worker runs; [`Tail::read_to_end`] waits until everything written before the call has
//! been handed over (Connect's `readToEnd`, which the leader does before assigning and a
//! member before applying an assignment).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tracing::warn;

use super::topic_log::{existing_partitions, reader, Read};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

struct Shared {
    topic: String,
    /// Next offset to hand over, per partition.
    next: Mutex<HashMap<i32, i64>>,
    moved: Condvar,
    stop: AtomicBool,
}

/// The thread following one topic; stops when dropped.
pub struct Tail {
    shared: Arc<Shared>,
    /// For end offsets (the tail's own consumer belongs to its thread).
    meta: BaseConsumer,
    partitions: Vec<i32>,
    thread: Option<JoinHandle<()>>,
}

impl Tail {
    /// Starts following `topic`; `apply` sees each record once, in order within a partition.
    pub fn start(
        client: &ClientConfig,
        topic: &str,
        mut apply: impl FnMut(Read) + Send + 'static,
    ) -> Result<Tail, String> {
        let meta = reader(client, topic, "tail")?;
        let partitions = existing_partitions(&meta, topic)?;
        let follower = reader(client, topic, "tail")?;
        let mut assignment = TopicPartitionList::new();
        for p in &partitions {
            assignment
                .add_partition_offset(topic, *p, Offset::Beginning)
                .map_err(|e| format!("cannot read {topic:?}: {e}"))?;
        }
        follower
            .assign(&assignment)
            .map_err(|e| format!("cannot read {topic:?}: {e}"))?;
        let shared = Arc::new(Shared {
            topic: topic.to_owned(),
            next: Mutex::new(HashMap::new()),
            moved: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("tail-{topic}"))
            .spawn(move || {
                let mut failing = false;
                while !s.stop.load(Ordering::Relaxed) {
                    match follower.poll(Duration::from_millis(100)) {
                        // Idle: the consumer's positions count too (past control records and
                        // compacted gaps that are never delivered).
                        None => {
                            if let Ok(positions) = follower.position() {
                                let mut next =
                                    s.next.lock().unwrap_or_else(PoisonError::into_inner);
                                for e in positions.elements() {
                                    if let Offset::Offset(o) = e.offset() {
                                        let n = next.entry(e.partition()).or_insert(0);
                                        *n = (*n).max(o);
                                    }
                                }
                                drop(next);
                                s.moved.notify_all();
                            }
                        }
                        Some(Err(e)) if !failing => {
                            warn!(topic = %s.topic, error = %e, "reading an internal topic failed; retrying");
                            failing = true;
                        }
                        Some(Err(_)) => {}
                        Some(Ok(m)) => {
                            failing = false;
                            let (partition, offset) = (m.partition(), m.offset());
                            apply(Read {
                                partition,
                                offset,
                                key: m.key().map(<[u8]>::to_vec),
                                value: m.payload().map(<[u8]>::to_vec),
                            });
                            s.next
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .insert(partition, offset + 1);
                            s.moved.notify_all();
                        }
                    }
                }
            })
            .map_err(|e| format!("cannot start reading {topic:?}: {e}"))?;
        Ok(Tail {
            shared,
            meta,
            partitions,
            thread: Some(thread),
        })
    }

    /// Blocks until every record written to the topic before this call has been applied, or
    /// `timeout` passed.
    pub fn read_to_end(&self, timeout: Duration) -> Result<(), String> {
        let topic = &self.shared.topic;
        let mut ends = Vec::with_capacity(self.partitions.len());
        for p in &self.partitions {
            let (_, high) = self
                .meta
                .fetch_watermarks(topic, *p, timeout.min(REQUEST_TIMEOUT))
                .map_err(|e| format!("cannot read the end offsets of {topic:?}: {e}"))?;
            ends.push((*p, high));
        }
        let deadline = Instant::now() + timeout;
        let mut next = self
            .shared
            .next
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            let behind = ends
                .iter()
                .any(|(p, high)| *high > 0 && next.get(p).copied().unwrap_or(0) < *high);
            if !behind {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "{topic:?} was not read to its end within {} ms",
                    timeout.as_millis()
                ));
            }
            next = self
                .shared
                .moved
                .wait_timeout(next, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
