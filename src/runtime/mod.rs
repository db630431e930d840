//! The task runtime: runs a source connector task onto the embedded log.
//!
//! ```text
//! source task ──batches──► bounded queue ──► coalesce ready batches ──► convert (key, value)
//!      ▲                                                                        │
//!      └── committed offset (watch) ◄── publish ◄── append + offset, fsynced ◄──┘
//! ```
//!
//! The source runs on its own task; conversion and the durable append each run on the blocking
//! pool, so group N+1 is converted while group N is being fsynced. Appends run one at a time in
//! queue order, and an offset is published only after the append that carries it returned: the
//! committed offset never gets ahead of what is durable. Transient source errors restart the
//! source from the committed offset with exponential backoff; fatal ones end the run.

mod avro;
mod convert;
mod json;
#[cfg(test)]
mod tests;

pub use avro::{AvroSettings, SubjectNameStrategy, AVRO_CONVERTER};
pub use convert::{
    queue_bounds, ConvertError, Converter, Converters, RecordConverter, JSON_CONVERTER,
};

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

use crate::log::{EmbeddedLog, LogError, StoredRecordRef};

/// Where converted records go. The embedded log now, a Kafka backend later; tests wrap it.
pub(crate) trait Backend: Clone + Send + Sync + 'static {
    fn append(
        &self,
        records: &[StoredRecordRef<'_>],
        source_offset: Option<(&str, &SourceOffset)>,
    ) -> Result<(), LogError>;
    fn source_offset(&self, connector: &str) -> Result<Option<SourceOffset>, LogError>;
}

impl Backend for EmbeddedLog {
    fn append(
        &self,
        records: &[StoredRecordRef<'_>],
        source_offset: Option<(&str, &SourceOffset)>,
    ) -> Result<(), LogError> {
        EmbeddedLog::append(self, records, source_offset).map(drop)
    }

    fn source_offset(&self, connector: &str) -> Result<Option<SourceOffset>, LogError> {
        EmbeddedLog::source_offset(self, connector)
    }
}

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

/// Runs `source` as connector `name` onto `log` until `shutdown` (then `Ok`), until the source
/// ends by itself (`Ok`), or until a fatal error (`Err`). Resumes from the offset stored in the
/// log; restarts the source after transient errors.
pub async fn run_source(
    name: String,
    source: Box<dyn Source>,
    log: EmbeddedLog,
    converters: Converters,
    bounds: QueueBounds,
    shutdown: CancellationToken,
) -> Result<(), ConnectorError> {
    run_source_observed(
        name,
        source,
        log,
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
    log: EmbeddedLog,
    converters: Converters,
    bounds: QueueBounds,
    shutdown: CancellationToken,
    observer: Arc<dyn TaskObserver>,
) -> Result<(), ConnectorError> {
    run(
        name,
        source,
        log,
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
    let stored = {
        let (b, n) = (backend.clone(), name.clone());
        tokio::task::spawn_blocking(move || b.source_offset(&n))
            .await
            .map_err(|e| ConnectorError::fatal_msg(format!("reading the stored offset: {e}")))??
    };
    let (committed, _) = watch::channel(stored.clone());
    let mut pipeline = Pipeline {
        name: name.clone(),
        backend,
        converter: Some(RecordConverter::new(converters)),
        committed,
        last_committed: stored,
        inflight: None,
        max_group_records: bounds.max_queue_records.max(bounds.max_batch_records),
        observer,
        inflight_topics: Vec::new(),
    };
    let mut backoff = policy.initial_backoff;
    loop {
        let (output, rx) = batch_queue(bounds);
        let token = shutdown.child_token();
        let ctx = SourceContext {
            output,
            committed: pipeline.committed.subscribe(),
            start_offset: pipeline.last_committed.clone(),
            shutdown: token.clone(),
        };
        info!(connector = %name, resume = pipeline.last_committed.is_some(), "starting source task");
        let started = Instant::now();
        pipeline.observer.started();
        let task: SourceTask = tokio::spawn(async move {
            let result = source.run(ctx).await;
            (source, result)
        });
        match pipeline
            .attempt(rx, task, &token, &shutdown, policy.shutdown_grace)
            .await?
        {
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
    Appended(Result<Result<SourceOffset, LogError>, JoinError>),
    SourceJoined(Ended),
    Received(Option<Batch>),
    Shutdown,
    GraceOver,
}

struct Pipeline<B> {
    name: Arc<str>,
    backend: B,
    /// Moved to the blocking pool for each conversion and back (it caches schemas).
    converter: Option<RecordConverter>,
    committed: watch::Sender<Option<SourceOffset>>,
    last_committed: Option<SourceOffset>,
    /// The append in progress; it resolves to the offset it made durable.
    inflight: Option<JoinHandle<Result<SourceOffset, LogError>>>,
    max_group_records: usize,
    observer: Arc<dyn TaskObserver>,
    /// The distinct topics of the append in flight, reported once it is durable.
    inflight_topics: Vec<Arc<str>>,
}

impl<B: Backend> Pipeline<B> {
    /// Moves batches from one run of the source to the log until the source has ended and
    /// everything it queued is durable.
    async fn attempt(
        &mut self,
        mut rx: BatchReceiver,
        mut task: SourceTask,
        token: &CancellationToken,
        shutdown: &CancellationToken,
        grace: Duration,
    ) -> Result<Ended, ConnectorError> {
        let mut ended: Option<Ended> = None;
        let mut deadline: Option<tokio::time::Instant> = None;
        // Every sender is gone; the source is returning (or ignoring the queue until shutdown).
        let mut closed = false;
        loop {
            let group = if ended.is_some() {
                // The source is gone: write what it left in the queue.
                match rx.try_recv() {
                    Some(first) => self.coalesce(first, &mut rx),
                    None => break,
                }
            } else {
                let event = tokio::select! {
                    biased;
                    r = wait(&mut self.inflight) => Event::Appended(r),
                    r = &mut task => Event::SourceJoined(joined(r)),
                    b = rx.recv(), if !closed => Event::Received(b),
                    _ = shutdown.cancelled(), if deadline.is_none() => Event::Shutdown,
                    _ = sleep_until(deadline) => Event::GraceOver,
                };
                match event {
                    Event::Appended(r) => {
                        self.inflight = None;
                        if let Err(e) = self.publish(r) {
                            stop_source(task, token, grace).await;
                            return Err(e);
                        }
                        continue;
                    }
                    Event::SourceJoined(e) => {
                        ended = Some(e);
                        continue;
                    }
                    Event::Received(None) => {
                        closed = true;
                        continue;
                    }
                    Event::Received(Some(first)) => self.coalesce(first, &mut rx),
                    Event::Shutdown => {
                        deadline = Some(tokio::time::Instant::now() + grace);
                        continue;
                    }
                    Event::GraceOver => {
                        task.abort();
                        ended = Some(match (&mut task).await {
                            Ok((s, r)) => Ended::Source(s, r),
                            Err(_) => Ended::Aborted,
                        });
                        continue;
                    }
                }
            };
            if let Err(e) = self.write(group).await {
                if ended.is_none() {
                    stop_source(task, token, grace).await;
                }
                return Err(e);
            }
        }
        self.finish_inflight().await?;
        Ok(ended.unwrap_or(Ended::Aborted))
    }

    /// Takes `first` and whatever else is ready, up to the group bound, to write as one append.
    fn coalesce(&self, first: Batch, rx: &mut BatchReceiver) -> Vec<Batch> {
        let mut records = first.records.len();
        let mut group = vec![first];
        while records < self.max_group_records {
            match rx.try_recv() {
                Some(b) => {
                    records += b.records.len();
                    group.push(b);
                }
                None => break,
            }
        }
        group
    }

    /// Converts a group (while the previous append is still being fsynced), then starts its
    /// append once the previous one is durable and published.
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
        self.finish_inflight().await?;
        for c in &converted {
            if !self.inflight_topics.iter().any(|t| **t == *c.topic) {
                self.inflight_topics.push(c.topic.clone());
            }
        }
        let (backend, name) = (self.backend.clone(), self.name.clone());
        self.inflight = Some(tokio::task::spawn_blocking(move || {
            let records: Vec<StoredRecordRef<'_>> = converted
                .iter()
                .map(|c| StoredRecordRef {
                    topic: &c.topic,
                    timestamp_ms: c.timestamp_ms,
                    key: c.key.as_deref(),
                    value: c.value.as_deref(),
                    headers: &c.headers,
                })
                .collect();
            backend.append(&records, Some((&name, &offset)))?;
            // Free the source's records here, beside the fsync, not on the conversion path;
            // their queue budget is released only now that they are durable.
            drop(group);
            Ok(offset)
        }));
        Ok(())
    }

    async fn finish_inflight(&mut self) -> Result<(), ConnectorError> {
        match self.inflight.take() {
            Some(h) => {
                let r = h.await;
                self.publish(r)
            }
            None => Ok(()),
        }
    }

    /// Publishes the offset an append made durable.
    fn publish(
        &mut self,
        r: Result<Result<SourceOffset, LogError>, JoinError>,
    ) -> Result<(), ConnectorError> {
        match r {
            Ok(Ok(offset)) => {
                if !self.inflight_topics.is_empty() {
                    self.observer.topics_written(&self.inflight_topics);
                    self.inflight_topics.clear();
                }
                self.last_committed = Some(offset.clone());
                self.committed.send_replace(Some(offset));
                Ok(())
            }
            Ok(Err(e)) => {
                error!(connector = %self.name, error = %e, "appending to the log failed");
                Err(e.into())
            }
            Err(e) => Err(ConnectorError::fatal_msg(format!(
                "appending to the log failed: {e}"
            ))),
        }
    }
}

async fn wait<T>(h: &mut Option<JoinHandle<T>>) -> Result<T, JoinError> {
    match h {
        Some(h) => h.await,
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
