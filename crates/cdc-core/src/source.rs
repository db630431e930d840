//! The Source trait and the bounded, backpressured channel between a source and the runtime.
//!
//! A source pushes [`Batch`]es, each with the position to resume from once the batch and every
//! batch before it are durable. The runtime writes them and publishes the committed position
//! back through [`SourceContext::committed`]; only that position may be acknowledged to the
//! database.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::deferred::DeferredRows;
use crate::error::ConnectorError;
use crate::offset::SourceOffset;
use crate::record::Record;

/// Records and the position to resume from after them.
///
/// The batch's events are its `records` followed by its deferred rows (see [`crate::deferred`]),
/// if any. A consumer that reads `records` calls [`Batch::materialize`] first.
#[derive(Debug)]
pub struct Batch {
    pub records: Vec<Record>,
    deferred: Option<DeferredRows>,
    /// Where to resume once these records (and all before) are durable.
    pub offset: SourceOffset,
    /// Released when the runtime drops the batch: the byte budget it holds.
    permit: Option<OwnedSemaphorePermit>,
}

impl Batch {
    pub fn new(records: Vec<Record>, offset: SourceOffset) -> Self {
        Batch {
            records,
            deferred: None,
            offset,
            permit: None,
        }
    }

    /// A batch of raw rows, decoded where they are converted.
    pub fn deferred(rows: DeferredRows, offset: SourceOffset) -> Self {
        Batch {
            records: Vec::new(),
            deferred: Some(rows),
            offset,
            permit: None,
        }
    }

    /// How many events the batch holds.
    pub fn len(&self) -> usize {
        self.records.len() + self.deferred.as_ref().map_or(0, |d| d.rows.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw rows that follow `records`.
    pub fn deferred_rows(&self) -> Option<&DeferredRows> {
        self.deferred.as_ref()
    }

    /// Decodes the deferred rows into `records`, so that `records` holds every event.
    pub fn materialize(&mut self) -> Result<(), ConnectorError> {
        if let Some(d) = self.deferred.take() {
            let records = d.records()?;
            self.records.extend(records);
        }
        Ok(())
    }

    pub fn approx_size(&self) -> usize {
        self.records.iter().map(Record::approx_size).sum::<usize>()
            + self.deferred.as_ref().map_or(0, DeferredRows::approx_size)
            + 64
    }

    /// Releases the byte budget early (the records were moved elsewhere).
    pub fn release(&mut self) {
        self.permit = None;
    }
}

/// Bounds of the queue between a source and the runtime (`max.queue.size`, `max.batch.size`,
/// `max.queue.size.in.bytes`).
#[derive(Debug, Clone, Copy)]
pub struct QueueBounds {
    pub max_queue_records: usize,
    pub max_batch_records: usize,
    /// 0 means bounded by records only.
    pub max_queue_bytes: usize,
}

impl Default for QueueBounds {
    fn default() -> Self {
        QueueBounds {
            max_queue_records: 8192,
            max_batch_records: 2048,
            max_queue_bytes: 0,
        }
    }
}

/// The sending half given to a source.
#[derive(Clone)]
pub struct BatchSender {
    tx: mpsc::Sender<Batch>,
    bytes: Option<(Arc<Semaphore>, u32)>,
    max_batch_records: usize,
}

/// The receiving half kept by the runtime.
pub struct BatchReceiver {
    rx: mpsc::Receiver<Batch>,
}

/// The receiver went away: the runtime is shutting down.
#[derive(Debug, thiserror::Error)]
#[error("the runtime stopped accepting records")]
pub struct QueueClosed;

/// Makes the bounded queue.
pub fn batch_queue(bounds: QueueBounds) -> (BatchSender, BatchReceiver) {
    let max_batch = bounds.max_batch_records.max(1);
    let batches = (bounds.max_queue_records / max_batch).max(1);
    let (tx, rx) = mpsc::channel(batches);
    let bytes = (bounds.max_queue_bytes > 0).then(|| {
        let cap = bounds.max_queue_bytes.min(u32::MAX as usize / 2) as u32;
        (Arc::new(Semaphore::new(cap as usize)), cap)
    });
    (
        BatchSender {
            tx,
            bytes,
            max_batch_records: max_batch,
        },
        BatchReceiver { rx },
    )
}

impl BatchSender {
    /// How many records a source should put in one batch.
    pub fn max_batch_records(&self) -> usize {
        self.max_batch_records
    }

    /// Sends a batch, waiting while the queue is full (records or bytes).
    pub async fn send(&self, mut batch: Batch) -> Result<(), QueueClosed> {
        if let Some((sem, cap)) = &self.bytes {
            let want = (batch.approx_size() as u32).clamp(1, *cap);
            let permit = sem
                .clone()
                .acquire_many_owned(want)
                .await
                .map_err(|_| QueueClosed)?;
            batch.permit = Some(permit);
        }
        self.tx.send(batch).await.map_err(|_| QueueClosed)
    }

    /// True when the runtime is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl BatchReceiver {
    pub async fn recv(&mut self) -> Option<Batch> {
        self.rx.recv().await
    }

    pub fn try_recv(&mut self) -> Option<Batch> {
        self.rx.try_recv().ok()
    }
}

/// What a running source is given.
pub struct SourceContext {
    pub output: BatchSender,
    /// The position the runtime has made durable, most recent first; `None` before any commit.
    /// With several source partitions, the partition committed last.
    pub committed: watch::Receiver<Option<SourceOffset>>,
    /// The stored position to resume from, if any: the connector's primary (last committed)
    /// offset.
    pub start_offset: Option<SourceOffset>,
    /// Every stored partition's offset (committed in this run included), for sources with
    /// several source partitions; one partition appears once.
    pub start_offsets: Vec<SourceOffset>,
    pub shutdown: CancellationToken,
    /// A line for the task's status while it stays RUNNING (e.g. that it is stalled); the same
    /// note is handed to every restart of the source.
    pub note: StatusNote,
    /// Whether the stop `shutdown` asks for is a pause (the task resumes later from its offset),
    /// so that the source keeps what a resume needs (e.g. its replication slot).
    pub pausing: Pausing,
}

/// Set before a task's shutdown is cancelled when the stop is a pause (`PUT .../pause`), not a
/// stop, delete or worker shutdown. Cheap to clone; the default is never set.
#[derive(Clone, Debug, Default)]
pub struct Pausing(Arc<std::sync::atomic::AtomicBool>);

impl Pausing {
    pub fn set(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A line a running source adds to its task's status, such as "stalled: ...", shown as the
/// task's `trace` while the task is RUNNING; `set(None)` takes it away. Cheap to clone; the
/// default goes nowhere.
#[derive(Clone, Default)]
pub struct StatusNote(Option<Arc<dyn Fn(Option<String>) + Send + Sync>>);

impl StatusNote {
    /// A note that hands every change to `f` (which must be quick and must not block).
    pub fn new(f: impl Fn(Option<String>) + Send + Sync + 'static) -> Self {
        StatusNote(Some(Arc::new(f)))
    }

    /// Sets (`Some`) or clears (`None`) the note.
    pub fn set(&self, note: Option<String>) {
        if let Some(f) = &self.0 {
            f(note);
        }
    }
}

impl std::fmt::Debug for StatusNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusNote")
    }
}

/// A source connector task: snapshot, then stream, until shutdown or error.
#[async_trait]
pub trait Source: Send {
    /// Runs until `ctx.shutdown` is cancelled (returns `Ok`) or an error occurs.
    async fn run(&mut self, ctx: SourceContext) -> Result<(), ConnectorError>;
}
