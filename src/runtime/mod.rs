//! The task runtime: runs a source connector task onto the embedded log.
//!
//! ```text
//! source task ──batches──► bounded queue ──► coalesce ready batches ──► convert (key, value)
//!      ▲                                                                        │
//!      │                                                          prepare (encode, compress)
//!      │                                                                        │
//!      └── committed offset (watch) ◄── publish ◄── append + offset, fsynced ◄──┘
//! ```
//!
//! The source runs on its own task; conversion and the append each run on the blocking pool,
//! so group N+2 is converted while group N+1 is prepared and group N is fsynced. Appends are
//! written one at a time in queue order (each waits for the one before it), and an offset is
//! published only after the append that carries it returned: the committed offset never gets
//! ahead of what is durable. Transient source errors restart the
//! source from the committed offset with exponential backoff; fatal ones end the run.
//!
//! A source may have several source partitions (Kafka Connect's: one offset stored per
//! partition, e.g. one per table). An append carries one offset, so batches of different
//! partitions are never coalesced into one append, and every partition's committed offset is
//! handed to each (re)start of the source ([`SourceContext::start_offsets`]).

mod avro;
pub mod avro_read;
mod backend;
mod convert;
mod retry;
pub mod sink;
#[cfg(test)]
mod tests;

pub use avro::{AvroSettings, SubjectNameStrategy, AVRO_CONVERTER};
pub(crate) use backend::{Backend, Delivery};
pub use backend::{OffsetStore, TopicBackend};
pub use convert::{
    queue_bounds, ConvertError, Converter, Converters, RecordConverter, SourceDeadLetters,
    SourceTolerance, JSON_CONVERTER,
};
pub use retry::TransientRetry;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cdc_core::source::batch_queue;
use cdc_core::{
    Batch, BatchReceiver, ConnectorError, QueueBounds, Retry, Source, SourceContext, SourceOffset,
};
use tokio::sync::watch;
use tokio::task::{JoinError, JoinHandle};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::log::{AppendChain, StoredRecordRef};
use backend::AckFuture;

/// What a task's owner (the herder) learns while the task runs; every method has a no-op default.
/// Called from the pipeline, so implementations must be quick and must not block.
pub trait TaskObserver: Send + Sync + 'static {
    /// The source failed with a transient error and will be restarted after `retry_in`; the task
    /// stays RUNNING.
    fn transient_error(&self, error: &ConnectorError, retry_in: Duration) {
        let _ = (error, retry_in);
    }
    /// The source was (re)started.
    fn started(&self) {}
    /// Records for these topics were made durable (distinct topics of one append).
    fn topics_written(&self, topics: &[Arc<str>]) {
        let _ = topics;
    }
    /// The source set (`Some`) or cleared (`None`) a note on its status while it runs, such
    /// as that it is stalled (see [`cdc_core::StatusNote`]).
    fn note(&self, note: Option<String>) {
        let _ = note;
    }
    /// Set when the task is stopped for a pause (see [`cdc_core::Pausing`]).
    fn pausing(&self) -> cdc_core::Pausing {
        cdc_core::Pausing::default()
    }
}

/// The observer of a task nobody watches.
pub struct NoObserver;

impl TaskObserver for NoObserver {}

/// Restart and stop timing of a source task.
#[derive(Debug, Clone, Copy)]
pub struct RestartPolicy {
    /// First wait before restarting after a transient error; doubles on each further failure.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// A source that ran this long before failing starts again from `initial_backoff`.
    pub healthy_after: Duration,
    /// How long a source may take to stop after shutdown before its task is aborted
    /// (Connect's `task.shutdown.graceful.timeout.ms`).
    pub shutdown_grace: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            healthy_after: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Runs `source` as connector `name` onto `backend` (the embedded log, or Kafka) until
/// `shutdown` (then `Ok`), until the source ends by itself (`Ok`), or until a fatal error
/// (`Err`). Resumes from the stored offset; restarts the source after transient errors.
pub async fn run_source(
    name: String,
    source: Box<dyn Source>,
    backend: impl Into<TopicBackend>,
    converters: Converters,
    bounds: QueueBounds,
    shutdown: CancellationToken,
) -> Result<(), ConnectorError> {
    run_source_observed(
        name,
        source,
        backend,
        converters,
        bounds,
        shutdown,
        Arc::new(NoObserver),
    )
    .await
}

/// [`run_source`], reporting restarts, transient errors and written topics to `observer`.
pub async fn run_source_observed(
    name: String,
    source: Box<dyn Source>,
    backend: impl Into<TopicBackend>,
    converters: Converters,
    bounds: QueueBounds,
    shutdown: CancellationToken,
    observer: Arc<dyn TaskObserver>,
) -> Result<(), ConnectorError> {
    run(
        name,
        source,
        backend.into(),
        converters,
        bounds,
        shutdown,
        RestartPolicy::default(),
        observer,
    )
    .await
}

/// The source, handed back for a restart, and how its run ended.
type SourceRun = (Box<dyn Source>, Result<(), ConnectorError>);
type SourceTask = JoinHandle<SourceRun>;

/// How one run of the source ended.
enum Ended {
    Source(Box<dyn Source>, Result<(), ConnectorError>),
    Panicked(String),
    /// It did not stop within the grace period after shutdown and was aborted.
    Aborted,
}

fn joined(r: Result<SourceRun, JoinError>) -> Ended {
    match r {
        Ok((source, result)) => Ended::Source(source, result),
        Err(e) if e.is_panic() => Ended::Panicked(panic_message(e)),
        Err(_) => Ended::Aborted,
    }
}

fn panic_message(e: JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned()),
        Err(e) => e.to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn run<B: Backend>(
    name: String,
    mut source: Box<dyn Source>,
    backend: B,
    converters: Converters,
    bounds: QueueBounds,
    shutdown: CancellationToken,
    policy: RestartPolicy,
    observer: Arc<dyn TaskObserver>,
) -> Result<(), ConnectorError> {
    let name: Arc<str> = name.into();
    let (stored, partitions) = {
        let (b, n) = (backend.clone(), name.clone());
        tokio::task::spawn_blocking(move || {
            Ok::<_, ConnectorError>((b.source_offset(&n)?, b.source_offsets(&n)?))
        })
        .await
        .map_err(|e| ConnectorError::fatal_msg(format!("reading the stored offset: {e}")))??
    };
    let max_unacked = backend.max_unacked().max(1);
    let max_in_flight = backend.max_in_flight().max(1);
    let (committed, _) = watch::channel(stored.clone());
    let mut pipeline = Pipeline {
        name: name.clone(),
        backend,
        converter: Some(RecordConverter::new(converters)),
        committed,
        last_committed: stored,
        committed_partitions: Vec::new(),
        pending: None,
        inflight: VecDeque::new(),
        last_written: None,
        chain: Arc::default(),
        unacked: VecDeque::new(),
        max_unacked,
        max_in_flight,
        max_group_records: bounds.max_queue_records.max(bounds.max_batch_records),
        observer,
        committing: None,
        to_commit: None,
    };
    // One offset per partition (the primary one included), whatever the backend returned.
    for o in partitions
        .into_iter()
        .chain(pipeline.last_committed.clone())
    {
        pipeline.note_partition(o);
    }
    let mut backoff = policy.initial_backoff;
    let note = {
        let observer = pipeline.observer.clone();
        cdc_core::StatusNote::new(move |n| observer.note(n))
    };
    loop {
        let (output, rx) = batch_queue(bounds);
        let token = shutdown.child_token();
        let ctx = SourceContext {
            output,
            committed: pipeline.committed.subscribe(),
            start_offset: pipeline.last_committed.clone(),
            start_offsets: pipeline.committed_partitions.clone(),
            shutdown: token.clone(),
            note: note.clone(),
            pausing: pipeline.observer.pausing(),
        };
        info!(connector = %name, resume = pipeline.last_committed.is_some(), "starting source task");
        let started = Instant::now();
        pipeline.observer.started();
        let task: SourceTask = tokio::spawn(async move {
            let result = source.run(ctx).await;
            (source, result)
        });
        let ended = match pipeline
            .attempt(rx, task, &token, &shutdown, policy.shutdown_grace)
            .await
        {
            Ok(ended) => ended,
            // Stopping while the backend could not take or acknowledge everything (a broker
            // that is away): what is acknowledged is committed, the rest is sent again on the
            // next start.
            Err(e) if shutdown.is_cancelled() => {
                warn!(connector = %name, error = %e,
                    "stopped before the topic backend acknowledged every record; they are sent again on restart");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        match ended {
            Ended::Source(_, Ok(())) => {
                info!(connector = %name, "source task stopped");
                return Ok(());
            }
            Ended::Aborted => {
                warn!(connector = %name, grace_ms = policy.shutdown_grace.as_millis() as u64,
                    "source task did not stop in time after shutdown; aborted it");
                return Ok(());
            }
            Ended::Panicked(message) => {
                error!(connector = %name, %message, "source task panicked");
                return Err(ConnectorError::fatal_msg(format!(
                    "source task panicked: {message}"
                )));
            }
            Ended::Source(s, Err(e)) => {
                if e.retry() == Retry::Fatal {
                    error!(connector = %name, error = %e, "source task failed");
                    return Err(e);
                }
                if shutdown.is_cancelled() {
                    return Ok(());
                }
                if started.elapsed() >= policy.healthy_after {
                    backoff = policy.initial_backoff;
                }
                warn!(connector = %name, error = %e, retry_in_ms = backoff.as_millis() as u64,
                    "source task failed with a transient error; restarting from the committed offset");
                pipeline.observer.transient_error(&e, backoff);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.cancelled() => return Ok(()),
                }
                backoff = (backoff * 2).min(policy.max_backoff);
                source = s;
            }
        }
    }
}

/// What the pipeline waits for next.
enum Event {
    Accepted(Result<Result<Accepted, ConnectorError>, JoinError>),
    Acked(Result<(), ConnectorError>),
    Committed(Result<Result<Committed, ConnectorError>, JoinError>),
    SourceJoined(Ended),
    Received(Option<Batch>),
    Shutdown,
    GraceOver,
}

/// An append the backend accepted: the offset it completes and how it becomes durable.
type Accepted = (SourceOffset, Delivery);

/// Acknowledged offsets being stored, and the topics to report once they are.
#[derive(Default)]
struct Committed {
    /// One per source partition, in the order each partition first appeared.
    offsets: Vec<SourceOffset>,
    /// Which of `offsets` was acknowledged last: published last, so that the source's
    /// committed offset ends at the newest one.
    newest: usize,
    topics: Vec<Arc<str>>,
}

/// An append on the blocking pool: prepared at once, written once the one before it was.
struct Inflight {
    handle: JoinHandle<Result<Accepted, ConnectorError>>,
    /// The distinct topics of the append, reported once it is durable.
    topics: Vec<Arc<str>>,
}

/// An accepted append waiting for the backend's acknowledgement.
struct Unacked {
    ack: AckFuture,
    offset: SourceOffset,
    topics: Vec<Arc<str>>,
}

struct Pipeline<B> {
    name: Arc<str>,
    backend: B,
    /// Moved to the blocking pool for each conversion and back (it caches schemas).
    converter: Option<RecordConverter>,
    committed: watch::Sender<Option<SourceOffset>>,
    last_committed: Option<SourceOffset>,
    /// Every source partition's committed offset (stored at the start, or committed since):
    /// what a restart of the source resumes each partition from.
    committed_partitions: Vec<SourceOffset>,
    /// A batch taken from the queue that starts the next group (its partition differs from
    /// the group before it): written before anything still queued.
    pending: Option<Batch>,
    /// The appends being handed to the backend, oldest first.
    inflight: VecDeque<Inflight>,
    /// Tells whether the newest append in `inflight` has its place in the backend's order
    /// (`true`) or failed: the next append is handed over only after that.
    last_written: Option<std::sync::mpsc::Receiver<bool>>,
    /// This run's appends, which the backend refuses after one of them failed.
    chain: Arc<AppendChain>,
    /// Accepted appends waiting for acknowledgements, oldest first (Kafka).
    unacked: VecDeque<Unacked>,
    max_unacked: usize,
    /// Appends on the blocking pool at once ([`Backend::max_in_flight`]).
    max_in_flight: usize,
    max_group_records: usize,
    observer: Arc<dyn TaskObserver>,
    /// The acknowledged offsets being stored (Kafka), off the pipeline's path so that storing
    /// them does not hold back the next records.
    committing: Option<JoinHandle<Result<Committed, ConnectorError>>>,
    /// Acknowledged offsets waiting for the ones being stored (a newer ack of a partition
    /// replaces its offset).
    to_commit: Option<Committed>,
}

impl<B: Backend> Pipeline<B> {
    /// Moves batches from one run of the source to the backend until the source has ended and
    /// everything it queued is durable.
    async fn attempt(
        &mut self,
        mut rx: BatchReceiver,
        mut task: SourceTask,
        token: &CancellationToken,
        shutdown: &CancellationToken,
        grace: Duration,
    ) -> Result<Ended, ConnectorError> {
        // A fresh chain: appends of an earlier run that failed do not hold back this one's.
        self.chain = Arc::default();
        self.last_written = None;
        self.pending = None;
        let mut ended: Option<Ended> = None;
        let mut deadline: Option<tokio::time::Instant> = None;
        // Every sender is gone; the source is returning (or ignoring the queue until shutdown).
        let mut closed = false;
        loop {
            let group = if ended.is_some() {
                // The source is gone: write what it left in the queue.
                match self.pending.take().or_else(|| rx.try_recv()) {
                    Some(first) => self.coalesce(first, &mut rx),
                    None => break,
                }
            } else {
                let event = tokio::select! {
                    biased;
                    r = front_inflight(&mut self.inflight) => Event::Accepted(r),
                    r = front_ack(&mut self.unacked) => Event::Acked(r),
                    r = wait(&mut self.committing) => Event::Committed(r),
                    r = &mut task => Event::SourceJoined(joined(r)),
                    b = next_batch(&mut self.pending, &mut rx),
                        if !closed || self.pending.is_some() => Event::Received(b),
                    _ = shutdown.cancelled(), if deadline.is_none() => Event::Shutdown,
                    _ = sleep_until(deadline) => Event::GraceOver,
                };
                let handled = match event {
                    Event::Accepted(r) => {
                        let topics = self.inflight.pop_front().map(|i| i.topics);
                        self.accepted(r, topics.unwrap_or_default())
                    }
                    Event::Acked(r) => self.acked(r),
                    Event::Committed(r) => {
                        self.committing = None;
                        self.committed(r)
                    }
                    Event::SourceJoined(e) => {
                        ended = Some(e);
                        Ok(())
                    }
                    Event::Received(None) => {
                        closed = true;
                        Ok(())
                    }
                    Event::Received(Some(first)) => {
                        let group = self.coalesce(first, &mut rx);
                        self.write(group).await
                    }
                    Event::Shutdown => {
                        deadline = Some(tokio::time::Instant::now() + grace);
                        Ok(())
                    }
                    Event::GraceOver => {
                        task.abort();
                        ended = Some(match (&mut task).await {
                            Ok((s, r)) => Ended::Source(s, r),
                            Err(_) => Ended::Aborted,
                        });
                        Ok(())
                    }
                };
                if let Err(e) = handled {
                    if ended.is_none() {
                        stop_source(task, token, grace).await;
                    }
                    return Err(e);
                }
                continue;
            };
            self.write(group).await?;
        }
        self.finish_inflight().await?;
        self.drain_unacked(shutdown, grace).await?;
        self.finish_commits().await?;
        Ok(ended.unwrap_or(Ended::Aborted))
    }

    /// Takes `first` and whatever else is ready, up to the group bound, to write as one append.
    /// The group ends before a batch of another source partition (an append carries one
    /// offset), which is kept as `pending` to start the next group.
    fn coalesce(&mut self, first: Batch, rx: &mut BatchReceiver) -> Vec<Batch> {
        let mut records = first.len();
        let mut group = vec![first];
        while records < self.max_group_records {
            match rx.try_recv() {
                Some(b) if b.offset.partition != group[0].offset.partition => {
                    self.pending = Some(b);
                    break;
                }
                Some(b) => {
                    records += b.len();
                    group.push(b);
                }
                None => break,
            }
        }
        group
    }

    /// Converts a group (while the previous append is still being written), then hands it to
    /// the blocking pool, which prepares it at once and writes it once the previous append was
    /// written; at most `max_in_flight` appends are there, and one more than fits among the
    /// unacknowledged ones is not handed over.
    async fn write(&mut self, mut group: Vec<Batch>) -> Result<(), ConnectorError> {
        let Some(offset) = group.last().map(|b| b.offset.clone()) else {
            return Ok(());
        };
        let Some(mut converter) = self.converter.take() else {
            return Err(ConnectorError::fatal_msg(
                "record conversion failed earlier",
            ));
        };
        let (converter, converted, group) = tokio::task::spawn_blocking(move || {
            let converted = convert::convert(&mut converter, &mut group);
            (converter, converted, group)
        })
        .await
        .map_err(|e| ConnectorError::fatal_msg(format!("record conversion failed: {e}")))?;
        self.converter = Some(converter);
        let converted = converted.map_err(|e| {
            error!(connector = %self.name, error = %e, "record conversion failed");
            ConnectorError::from(e)
        })?;
        while self.inflight.len() >= self.max_in_flight {
            self.finish_front_inflight().await?;
        }
        while self.unacked.len() >= self.max_unacked {
            let r = front_ack(&mut self.unacked).await;
            self.acked(r)?;
        }
        let mut topics = Vec::new();
        add_topics(&mut topics, converted.records.iter().map(|c| &c.topic));
        // With nothing in flight every earlier append was accepted: nothing to wait for.
        let previous = self
            .last_written
            .take()
            .filter(|_| !self.inflight.is_empty());
        let (written, last_written) = std::sync::mpsc::channel();
        self.last_written = Some(last_written);
        let (backend, name, chain) = (self.backend.clone(), self.name.clone(), self.chain.clone());
        let handle = tokio::task::spawn_blocking(move || {
            let records: Vec<StoredRecordRef<'_>> = converted
                .records
                .iter()
                .map(|c| StoredRecordRef {
                    topic: &c.topic,
                    timestamp_ms: c.timestamp_ms,
                    key: c.key.map(|p| converted.payload(&p)),
                    value: c.value.map(|p| converted.payload(&p)),
                    headers: &c.headers,
                    context: if c.context { &converted.context } else { &[] },
                    context_block: if c.context {
                        &converted.context_block
                    } else {
                        &[]
                    },
                })
                .collect();
            let prepared = backend.prepare(&records);
            // Appends are handed over in order: after the previous one has its place, and not
            // at all if it failed (or panicked, dropping its sender).
            if previous.is_some_and(|p| p.recv() != Ok(true)) {
                return Err(ConnectorError::fatal_msg(
                    "not writing records after an earlier append failed",
                ));
            }
            let mut written = Some(written);
            let delivery = backend.append(
                &records,
                prepared,
                Some((&name, &offset)),
                &chain,
                &mut || {
                    if let Some(w) = written.take() {
                        let _ = w.send(true);
                    }
                },
            );
            if let Some(w) = written {
                let _ = w.send(delivery.is_ok());
            }
            let delivery = delivery?;
            // Free the source's records here, beside the write, not on the conversion path;
            // their queue budget is released only now that the backend holds them.
            drop(group);
            Ok((offset, delivery))
        });
        self.inflight.push_back(Inflight { handle, topics });
        Ok(())
    }

    /// Waits for the oldest append being handed to the backend.
    async fn finish_front_inflight(&mut self) -> Result<(), ConnectorError> {
        match self.inflight.pop_front() {
            Some(i) => {
                let r = i.handle.await;
                self.accepted(r, i.topics)
            }
            None => Ok(()),
        }
    }

    /// Waits for every append being handed to the backend.
    async fn finish_inflight(&mut self) -> Result<(), ConnectorError> {
        while !self.inflight.is_empty() {
            self.finish_front_inflight().await?;
        }
        Ok(())
    }

    /// Waits until every accepted append is acknowledged and committed. After shutdown it waits
    /// at most `grace` (a broker that is away may never answer); what is left is sent again on
    /// the next start.
    async fn drain_unacked(
        &mut self,
        shutdown: &CancellationToken,
        grace: Duration,
    ) -> Result<(), ConnectorError> {
        while !self.unacked.is_empty() {
            let r = tokio::select! {
                r = front_ack(&mut self.unacked) => r,
                _ = async {
                    shutdown.cancelled().await;
                    tokio::time::sleep(grace).await;
                } => {
                    warn!(connector = %self.name, unacknowledged = self.unacked.len(),
                        "stopping with appends the topic backend has not acknowledged");
                    return Ok(());
                }
            };
            self.acked(r)?;
        }
        Ok(())
    }

    /// Waits until every acknowledged offset is stored and published.
    async fn finish_commits(&mut self) -> Result<(), ConnectorError> {
        while let Some(h) = self.committing.take() {
            let r = h.await;
            self.committed(r)?;
        }
        Ok(())
    }

    /// An append was accepted: durable already (publish its offset) or waiting for acks.
    fn accepted(
        &mut self,
        r: Result<Result<Accepted, ConnectorError>, JoinError>,
        topics: Vec<Arc<str>>,
    ) -> Result<(), ConnectorError> {
        match r {
            Ok(Ok((offset, Delivery::Durable))) => {
                self.publish(offset, &topics);
                Ok(())
            }
            Ok(Ok((offset, Delivery::Acked(ack)))) => {
                self.unacked.push_back(Unacked {
                    ack,
                    offset,
                    topics,
                });
                Ok(())
            }
            Ok(Err(e)) => {
                error!(connector = %self.name, error = %e, "writing to the topic backend failed");
                Err(e)
            }
            Err(e) => Err(ConnectorError::fatal_msg(format!(
                "writing to the topic backend failed: {e}"
            ))),
        }
    }

    /// The oldest unacknowledged append resolved: with it, take every following one already
    /// acknowledged, and have the newest offset of each source partition among them stored,
    /// then published. One set of offsets is stored at a time, in order; acks that arrive
    /// meanwhile are coalesced into the next.
    fn acked(&mut self, r: Result<(), ConnectorError>) -> Result<(), ConnectorError> {
        if let Err(e) = r {
            error!(connector = %self.name, error = %e, "the topic backend did not accept records");
            return Err(e);
        }
        let Some(first) = self.unacked.pop_front() else {
            return Ok(());
        };
        // A newer acknowledged offset replaces the waiting one of its partition; their topics
        // add up.
        let mut c = self.to_commit.take().unwrap_or_default();
        add_topics(&mut c.topics, &first.topics);
        c.newest = merge_offset(&mut c.offsets, first.offset);
        while let Some(next) = self.unacked.front_mut() {
            match futures::FutureExt::now_or_never(&mut next.ack) {
                Some(Ok(())) => {
                    let next = self.unacked.pop_front().expect("front exists");
                    add_topics(&mut c.topics, &next.topics);
                    c.newest = merge_offset(&mut c.offsets, next.offset);
                }
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        self.to_commit = Some(c);
        self.start_commit();
        Ok(())
    }

    /// Starts storing the waiting acknowledged offsets unless some are being stored.
    fn start_commit(&mut self) {
        if self.committing.is_some() {
            return;
        }
        let Some(c) = self.to_commit.take() else {
            return;
        };
        let (backend, name) = (self.backend.clone(), self.name.clone());
        self.committing = Some(tokio::task::spawn_blocking(move || {
            for offset in &c.offsets {
                backend.commit_offset(&name, offset)?;
            }
            Ok(c)
        }));
    }

    /// Offsets were stored: publish them, then store the next ones waiting.
    fn committed(
        &mut self,
        r: Result<Result<Committed, ConnectorError>, JoinError>,
    ) -> Result<(), ConnectorError> {
        let Committed {
            mut offsets,
            newest,
            topics,
        } = r.map_err(|e| {
            ConnectorError::fatal_msg(format!("storing the source offset failed: {e}"))
        })??;
        let newest = (newest < offsets.len()).then(|| offsets.remove(newest));
        for offset in offsets {
            self.publish(offset, &[]);
        }
        if let Some(offset) = newest {
            self.publish(offset, &topics);
        }
        self.start_commit();
        Ok(())
    }

    /// Publishes a durable offset to the source and the written topics to the observer.
    fn publish(&mut self, offset: SourceOffset, topics: &[Arc<str>]) {
        if !topics.is_empty() {
            self.observer.topics_written(topics);
        }
        self.note_partition(offset.clone());
        self.last_committed = Some(offset.clone());
        self.committed.send_replace(Some(offset));
    }

    /// Keeps `offset` as its partition's committed offset.
    fn note_partition(&mut self, offset: SourceOffset) {
        merge_offset(&mut self.committed_partitions, offset);
    }
}

/// Puts `offset` in place of the offset of the same source partition in `offsets`, or after
/// them when its partition is not there; returns where it is.
fn merge_offset(offsets: &mut Vec<SourceOffset>, offset: SourceOffset) -> usize {
    match offsets.iter().position(|o| o.partition == offset.partition) {
        Some(i) => {
            offsets[i] = offset;
            i
        }
        None => {
            offsets.push(offset);
            offsets.len() - 1
        }
    }
}

/// The batch kept back from the last group, else the next one from the queue (`None` once
/// every sender is gone). Cancel-safe: the kept batch is taken only when it is returned.
async fn next_batch(pending: &mut Option<Batch>, rx: &mut BatchReceiver) -> Option<Batch> {
    match pending.take() {
        Some(b) => Some(b),
        None => rx.recv().await,
    }
}

/// Adds each of `more` to `topics` unless it is there already (a handful of topics per append).
fn add_topics<'a>(topics: &mut Vec<Arc<str>>, more: impl IntoIterator<Item = &'a Arc<str>>) {
    for t in more {
        if !topics.contains(t) {
            topics.push(t.clone());
        }
    }
}

async fn wait<T>(h: &mut Option<JoinHandle<T>>) -> Result<T, JoinError> {
    match h {
        Some(h) => h.await,
        None => std::future::pending().await,
    }
}

/// The oldest append on the blocking pool, once handed to the backend; pending when there is
/// none.
async fn front_inflight(
    inflight: &mut VecDeque<Inflight>,
) -> Result<Result<Accepted, ConnectorError>, JoinError> {
    match inflight.front_mut() {
        Some(i) => (&mut i.handle).await,
        None => std::future::pending().await,
    }
}

/// The acknowledgement of the oldest unacknowledged append; pending when there is none.
async fn front_ack(unacked: &mut VecDeque<Unacked>) -> Result<(), ConnectorError> {
    match unacked.front_mut() {
        Some(u) => (&mut u.ack).await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Cancels the source and waits for it to end, aborting it after `grace`.
async fn stop_source(mut task: SourceTask, token: &CancellationToken, grace: Duration) {
    token.cancel();
    if tokio::time::timeout(grace, &mut task).await.is_err() {
        task.abort();
    }
}
