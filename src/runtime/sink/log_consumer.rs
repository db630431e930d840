//! Reading a sink's topics from the embedded log: the consumer half of the sink runtime when
//! the worker has no `bootstrap.servers`. One partition per topic (the log's shape).
//!
//! A committed position older than the topic's first kept record (retention deleted what the
//! sink had not consumed yet) is never skipped silently: the read fails naming the lost range,
//! unless `auto.offset.reset` is set explicitly to `earliest` or `latest`, which log a WARN
//! naming the range and continue at the first record kept, or at the end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cdc_core::{Positions, TopicPartition};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::lane::Lane;
use super::settings::{OffsetReset, TopicSelection};
use super::Consumed;
use crate::log::{EmbeddedLog, LogError, SinkPositions, StoredRecord};
use tracing::warn;

/// How often a consumer with nothing to read looks for topics created since (`topics.regex`,
/// or listed topics that do not exist yet), when no append woke it first.
const RESCAN: Duration = Duration::from_secs(1);

/// The embedded-log consumer of one sink task.
pub struct LogConsumer {
    log: EmbeddedLog,
    selection: TopicSelection,
    /// Next offset to read, per topic consumed so far.
    positions: BTreeMap<Arc<str>, u64>,
    appended: watch::Receiver<u64>,
    /// Where the next poll starts in the topic list, so one busy topic does not starve the rest.
    turn: usize,
    reset: OffsetReset,
    /// Where reads run (the blocking pool without one).
    lane: Option<Lane>,
}

impl LogConsumer {
    pub fn new(log: EmbeddedLog, selection: TopicSelection) -> Self {
        let appended = log.subscribe_appends();
        LogConsumer {
            log,
            selection,
            positions: BTreeMap::new(),
            appended,
            turn: 0,
            reset: OffsetReset::Unset,
            lane: None,
        }
    }

    /// Reads on `lane` ([`Lane`]: the thread that converts and frees what is read).
    pub fn use_lane(&mut self, lane: Lane) {
        self.lane = Some(lane);
    }

    /// The sink's `auto.offset.reset` ([`super::SinkSettings::offset_reset`]).
    pub fn with_offset_reset(mut self, reset: OffsetReset) -> Self {
        self.reset = reset;
        self
    }

    /// The partitions of the selected topics that exist now.
    pub fn partitions(&self) -> Result<Vec<TopicPartition>, LogError> {
        let mut out: Vec<TopicPartition> = self
            .log
            .topics()?
            .into_iter()
            .filter(|t| self.selection.matches(&t.name))
            .map(|t| TopicPartition {
                topic: t.name.into(),
                partition: 0,
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Starts each partition at the given next offset (others start at the beginning, as
    /// Connect's sink consumers with `auto.offset.reset=earliest`).
    pub fn seek(&mut self, positions: &Positions) {
        for (tp, offset) in positions {
            if tp.partition == 0 {
                self.positions.insert(tp.topic.clone(), *offset);
            }
        }
    }

    /// The next offset to read of every partition consumed or sought so far.
    pub fn positions(&self) -> Positions {
        self.positions
            .iter()
            .map(|(topic, offset)| {
                let tp = TopicPartition {
                    topic: topic.clone(),
                    partition: 0,
                };
                (tp, *offset)
            })
            .collect()
    }

    /// Up to `max_records` records (and about `max_bytes`, at least one record) from the
    /// selected topics, waiting for one up to `max_wait` (`None`: until there is one); empty
    /// when the wait is over or `shutdown` is cancelled. The consumer's positions move past
    /// what it returns. Not cancel-safe (positions move before the batch is returned): the
    /// runtime never drops it while pending.
    pub async fn poll(
        &mut self,
        max_records: usize,
        max_bytes: usize,
        max_wait: Option<Duration>,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Consumed>, LogError> {
        let deadline = max_wait.map(|w| tokio::time::Instant::now() + w);
        loop {
            // Seen before reading, so an append made while reading still wakes the wait.
            self.appended.borrow_and_update();
            let got = self.read(max_records, max_bytes).await?;
            if !got.is_empty() {
                return Ok(got);
            }
            let now = tokio::time::Instant::now();
            let wait = match deadline {
                Some(d) if d <= now => return Ok(Vec::new()),
                Some(d) => RESCAN.min(d - now),
                None => RESCAN,
            };
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(Vec::new()),
                _ = self.appended.changed() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn read(
        &mut self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<Consumed>, LogError> {
        let topics: Vec<Arc<str>> = self.partitions()?.into_iter().map(|tp| tp.topic).collect();
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let start = self.turn % topics.len();
        self.turn = self.turn.wrapping_add(1);
        let mut out = Vec::new();
        let mut bytes = 0;
        for topic in topics[start..].iter().chain(&topics[..start]) {
            if out.len() >= max_records || (bytes >= max_bytes && !out.is_empty()) {
                break;
            }
            let want = max_records - out.len();
            let records = self.read_topic(topic, want).await?;
            for record in records {
                if bytes >= max_bytes && !out.is_empty() {
                    break;
                }
                self.positions.insert(topic.clone(), record.offset + 1);
                let consumed = Consumed {
                    topic: topic.clone(),
                    partition: 0,
                    record,
                };
                bytes += consumed.size();
                out.push(consumed);
            }
        }
        Ok(out)
    }
}

impl LogConsumer {
    /// Up to `want` records of `topic` from its position (a topic without one starts per
    /// `auto.offset.reset`; a position deleted by retention fails, or jumps when it is set).
    async fn read_topic(
        &mut self,
        topic: &Arc<str>,
        want: usize,
    ) -> Result<Vec<StoredRecord>, LogError> {
        let Some(from) = self.positions.get(topic).copied() else {
            return match self.reset {
                OffsetReset::None => Err(LogError::NoPosition(topic.to_string())),
                OffsetReset::Latest => {
                    let (_, next) = self.blocking(topic, |log, t| log.topic_range(t)).await?;
                    self.positions.insert(topic.clone(), next);
                    Ok(Vec::new())
                }
                // No committed position: the first record kept (Connect's sink default).
                OffsetReset::Unset | OffsetReset::Earliest => {
                    self.blocking(topic, move |log, t| log.read(t, 0, want))
                        .await
                }
            };
        };
        let read = self
            .blocking(topic, move |log, t| log.read_checked(t, from, want))
            .await;
        let (first_kept, next) = match (&read, self.reset) {
            (
                Err(LogError::Deleted {
                    first_kept, next, ..
                }),
                OffsetReset::Earliest | OffsetReset::Latest,
            ) => (*first_kept, *next),
            _ => return read,
        };
        let (to, reset) = match self.reset {
            OffsetReset::Latest => (next, "latest"),
            _ => (first_kept, "earliest"),
        };
        warn!(
            %topic,
            partition = 0,
            lost_from = from,
            lost_to = first_kept - 1,
            continue_at = to,
            "records {from}..{} of topic {topic} partition 0 were deleted by retention before the sink consumed them; continuing at offset {to} (auto.offset.reset={reset})",
            first_kept - 1
        );
        self.positions.insert(topic.clone(), to);
        self.blocking(topic, move |log, t| log.read_checked(t, to, want))
            .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        topic: &Arc<str>,
        f: impl FnOnce(&EmbeddedLog, &str) -> Result<T, LogError> + Send + 'static,
    ) -> Result<T, LogError> {
        let (log, name) = (self.log.clone(), topic.clone());
        let read = move || f(&log, &name);
        match &self.lane {
            Some(lane) => lane
                .run("reading the log", read)
                .await
                .map_err(|e| LogError::RemoteFailed(format!("reading {topic:?}: {e}")))?,
            None => tokio::task::spawn_blocking(read)
                .await
                .map_err(|e| LogError::RemoteFailed(format!("reading {topic:?} panicked: {e}")))?,
        }
    }
}

/// Positions as the log stores them (topic → partition → next offset).
pub fn to_stored(positions: &Positions) -> SinkPositions {
    let mut out = SinkPositions::new();
    for (tp, offset) in positions {
        out.entry(tp.topic.to_string())
            .or_default()
            .insert(tp.partition, *offset);
    }
    out
}

/// Stored positions as the runtime uses them.
pub fn from_stored(stored: &SinkPositions) -> Positions {
    stored
        .iter()
        .flat_map(|(topic, partitions)| {
            let topic: Arc<str> = topic.as_str().into();
            partitions.iter().map(move |(p, offset)| {
                let tp = TopicPartition {
                    topic: topic.clone(),
                    partition: *p,
                };
                (tp, *offset)
            })
        })
        .collect()
}
