//! The sink runtime (`docs/decisions/sink-runtime.md`): topics → converters → a
//! [`SinkTask`] → positions committed once the task has flushed what they cover.

mod consumer;
mod dlq;
pub mod group_offsets;
mod kafka_consumer;
mod lane;
mod log_consumer;
mod settings;

pub use consumer::{LogSide, SinkConsumer};
pub use dlq::{DeadLetterQueue, KafkaDeadLetterQueue, LogDeadLetterQueue};
pub use kafka_consumer::KafkaSide;
pub use lane::Lane;
pub use log_consumer::{from_stored, to_stored, LogConsumer};
pub use settings::{ErrorSettings, OffsetReset, SinkSettings, Tolerance, TopicSelection};

use std::sync::Arc;
use std::time::{Duration, Instant};

use cdc_core::{
    ConfigErrors, ConfigMap, ConfigProblem, ConnectorError, JsonReader, Retry, SchemaAndValue,
    SinkRecord, SinkTask,
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::{Converter, TaskObserver};
use crate::log::StoredRecord;

/// A record read from a topic partition (the embedded log's, or Kafka's).
#[derive(Debug, Clone)]
pub struct Consumed {
    pub topic: Arc<str>,
    pub partition: i32,
    pub record: StoredRecord,
}

impl Consumed {
    /// Key, value and header bytes: what a batch's byte bound counts.
    pub fn size(&self) -> usize {
        let r = &self.record;
        r.key.as_ref().map_or(0, Vec::len)
            + r.value.as_ref().map_or(0, Vec::len)
            + r.headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}

/// Turns a record's key or value bytes back into Connect data (a converter's `toConnectData`).
pub trait ReadConverter: Send {
    /// `None` bytes (a null key, a tombstone) give `None`.
    fn read(&mut self, topic: &str, bytes: Option<&[u8]>)
        -> Result<Option<SchemaAndValue>, String>;

    /// The converter's Java class, for the dead-letter queue's `__connect.errors.class.name`.
    fn class(&self) -> &'static str {
        crate::runtime::JSON_CONVERTER
    }

    /// Whether the converter reads schemas from the worker's embedded registry (an
    /// AvroConverter without `schema.registry.url`) and has not been given it yet.
    fn needs_embedded_registry(&self) -> bool {
        false
    }

    /// Gives the converter the worker's embedded schema registry.
    fn use_embedded_registry(&mut self, registry: crate::registry::Registry) {
        let _ = registry;
    }
}

impl ReadConverter for JsonReader {
    fn read(
        &mut self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<Option<SchemaAndValue>, String> {
        self.to_connect(topic, bytes).map_err(|e| e.to_string())
    }
}

/// The key and value converters of a sink task.
pub struct SinkConverters {
    pub key: Box<dyn ReadConverter>,
    pub value: Box<dyn ReadConverter>,
    /// The connector's transforms (`transforms`, `predicates`), applied after converting.
    pub transforms: transforms::Chain,
}

impl SinkConverters {
    /// `key.converter` and `value.converter` as a source connector reads them (the connector's
    /// own, else the worker's, else JsonConverter with schemas), in their reading form.
    /// An AvroConverter without `schema.registry.url` reads from the worker's embedded
    /// registry, which the task hands it (`ReadConverter::use_embedded_registry`).
    pub fn from_config(connector: &ConfigMap, worker: &ConfigMap) -> Result<Self, ConfigErrors> {
        let converters = super::Converters::from_config(connector, worker)?;
        let reader = |c: &Converter, side: &str| -> Result<Box<dyn ReadConverter>, ConfigProblem> {
            match c {
                Converter::Json(json) => Ok(Box::new(json.reader())),
                Converter::Avro(settings) => Ok(Box::new(super::avro_read::AvroReader::new(
                    settings.clone(),
                    side == "key",
                ))),
            }
        };
        let chain = transforms::Chain::from_config(connector);
        match (
            reader(&converters.key, "key"),
            reader(&converters.value, "value"),
            chain,
        ) {
            (Ok(key), Ok(value), Ok(transforms)) => Ok(SinkConverters {
                key,
                value,
                transforms,
            }),
            (k, v, t) => Err(ConfigErrors(
                [k.err(), v.err()]
                    .into_iter()
                    .flatten()
                    .chain(t.err().into_iter().flat_map(|e| e.0))
                    .collect(),
            )),
        }
    }
}

/// Why a record could not be delivered, as Connect's error reporter names the stage.
#[derive(Debug, thiserror::Error)]
#[error(
    "{stage} failed for the record at offset {offset} of {topic} partition {partition}: {cause}"
)]
pub struct RecordFailed {
    pub stage: &'static str,
    /// The class at that stage (the converter's, or the connector's for `TASK_PUT`), for the
    /// dead-letter queue's `__connect.errors.class.name`.
    pub class: String,
    pub topic: String,
    pub partition: i32,
    pub offset: u64,
    pub cause: String,
}

/// Runs `task` as sink connector `name` until `shutdown` (then flushes, commits and returns
/// `Ok`) or a fatal error. Starts from the task's own positions (exactly-once sinks), else the
/// committed ones; a position is committed only after the task flushed every record before it.
#[allow(clippy::too_many_arguments)]
pub async fn run_sink(
    name: &str,
    task: Box<dyn SinkTask>,
    consumer: Box<dyn SinkConsumer>,
    converters: SinkConverters,
    settings: SinkSettings,
    dlq: Option<DeadLetterQueue>,
    shutdown: CancellationToken,
    observer: Arc<dyn TaskObserver>,
) -> Result<(), ConnectorError> {
    let run = run_until_stopped(
        name, task, consumer, converters, settings, dlq, &shutdown, observer,
    );
    match run.await {
        // Stopped while the target was away: what was not flushed is not committed, and is
        // read again on the next start.
        Err(e) if shutdown.is_cancelled() && e.retry() == Retry::Transient => {
            info!(connector = name, error = %e.chain(), "sink task stopped before the target came back");
            Ok(())
        }
        other => other,
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_until_stopped(
    name: &str,
    mut task: Box<dyn SinkTask>,
    mut consumer: Box<dyn SinkConsumer>,
    converters: SinkConverters,
    settings: SinkSettings,
    dlq: Option<DeadLetterQueue>,
    shutdown: &CancellationToken,
    observer: Arc<dyn TaskObserver>,
) -> Result<(), ConnectorError> {
    // A target or broker that is away at start is waited for, as later on (RUNNING).
    let mut backoff = Backoff::new(&settings.errors);
    let (partitions, committed, start) = loop {
        let opened = async {
            let partitions = consumer.partitions().await?;
            let committed = consumer.committed().await?;
            let own = task.open(&partitions).await?;
            Ok::<_, ConnectorError>((partitions, committed, own))
        };
        match opened.await {
            Ok((partitions, committed, own)) => {
                let start = own.unwrap_or_else(|| committed.clone());
                break (partitions, committed, start);
            }
            Err(e) => backoff.failed(e, shutdown, &*observer).await?,
        }
    };
    consumer.seek(&start).await?;
    observer.started();
    info!(
        connector = name,
        partitions = partitions.len(),
        "sink task started"
    );

    let mut last_committed = committed;
    // What the committed positions may cover: every record of the batches put so far. The
    // consumer's own positions run ahead of it by the batch read while the last one was put.
    let mut delivered = consumer.positions();
    let mut last_flush = Instant::now();
    let mut pending = false;
    let mut prefetched: Option<Polled> = None;
    let mut converters = Some(converters);
    let lane = Lane::spawn(name).map_err(|e| {
        ConnectorError::fatal_msg(format!("cannot start the sink task's thread: {e}"))
    })?;
    consumer.use_lane(&lane);
    loop {
        let polled = match prefetched.take() {
            Some(polled) => polled,
            None => {
                // Waits for records, or until the next flush is due.
                let wait =
                    pending.then(|| settings.flush_interval.saturating_sub(last_flush.elapsed()));
                let batch = consumer
                    .poll(
                        settings.max_poll_records,
                        settings.max_poll_bytes,
                        wait,
                        shutdown,
                    )
                    .await?;
                let positions = consumer.positions();
                Polled::convert(
                    name,
                    &lane,
                    batch,
                    positions,
                    &mut converters,
                    &settings.errors,
                )
                .await?
            }
        };
        if !polled.batch.is_empty() {
            let Polled {
                batch,
                positions,
                converted,
            } = polled;
            debug!(connector = name, records = batch.len(), "sink batch polled");
            let (records, origin, mut failed) = converted?;
            // The next batch is read and converted while the target writes this one.
            let put = async {
                let mut backoff = Backoff::new(&settings.errors);
                loop {
                    match task.put(&records).await {
                        Ok(refused) => break Ok::<_, ConnectorError>(refused),
                        Err(e) => backoff.failed(e, shutdown, &*observer).await?,
                    }
                }
            };
            let next = async {
                if shutdown.is_cancelled() {
                    return Ok(None);
                }
                let batch = consumer
                    .poll(
                        settings.max_poll_records,
                        settings.max_poll_bytes,
                        Some(Duration::ZERO),
                        shutdown,
                    )
                    .await?;
                if batch.is_empty() {
                    return Ok(None);
                }
                let positions = consumer.positions();
                let polled = Polled::convert(
                    name,
                    &lane,
                    batch,
                    positions,
                    &mut converters,
                    &settings.errors,
                )
                .await?;
                Ok::<_, ConnectorError>(Some(polled))
            };
            let (refused, next) = tokio::join!(put, next);
            let refused: Vec<cdc_core::Refused> = refused?;
            prefetched = next?;
            for r in refused {
                let (Some(c), Some(&at)) = (records.get(r.index), origin.get(r.index)) else {
                    return Err(ConnectorError::fatal_msg(format!(
                        "the sink task refused record {} of a batch of {}",
                        r.index,
                        records.len()
                    )));
                };
                let failure = RecordFailed {
                    stage: "TASK_PUT",
                    class: settings.class.clone(),
                    topic: c.original_topic_partition().topic.to_string(),
                    partition: c.original_topic_partition().partition,
                    offset: c.offset,
                    cause: r.error.chain(),
                };
                tolerate(name, &settings.errors, &failure)?;
                failed.push((at, failure));
            }
            // Dead letters are durable before the position that skips them is committed.
            if let Some(dlq) = &dlq {
                failed.sort_by_key(|(at, _)| *at);
                for (at, failure) in &failed {
                    let mut backoff = Backoff::new(&settings.errors);
                    while let Err(e) = dlq.send(&batch[*at], failure).await {
                        backoff.failed(e, shutdown, &*observer).await?;
                    }
                }
            }
            let mut topics: Vec<Arc<str>> = batch.iter().map(|c| c.topic.clone()).collect();
            topics.dedup();
            observer.topics_written(&topics);
            // Freed where they were allocated.
            lane.drop_later((batch, records, origin, failed));
            delivered = positions;
            pending = true;
        }
        let stopping = shutdown.is_cancelled();
        if pending && (stopping || last_flush.elapsed() >= settings.flush_interval) {
            let mut backoff = Backoff::new(&settings.errors);
            let committable = loop {
                match task.pre_commit(&delivered).await {
                    Ok(p) => break p,
                    Err(e) => backoff.failed(e, shutdown, &*observer).await?,
                }
            };
            if committable != last_committed {
                let mut backoff = Backoff::new(&settings.errors);
                while let Err(e) = consumer.commit(&committable).await {
                    backoff.failed(e, shutdown, &*observer).await?;
                }
                last_committed = committable.clone();
            }
            // A task that still holds records it has not made durable (an S3 file not yet
            // rotated) is asked again at the next flush interval.
            pending = committable != delivered;
            last_flush = Instant::now();
        }
        if stopping {
            task.close().await;
            return Ok(());
        }
    }
}

/// A polled batch: its records, the consumer's positions just after them, and the batch
/// converted (or the error that fails the task when its turn comes).
struct Polled {
    batch: Vec<Consumed>,
    positions: cdc_core::Positions,
    converted: Result<Converted, ConnectorError>,
}

impl Polled {
    /// Converts `batch` (read up to `positions`) on the task's [`Lane`], so converting runs
    /// beside the task's `put` rather than in turns with it. The converters go there and come
    /// back.
    async fn convert(
        name: &str,
        lane: &Lane,
        batch: Vec<Consumed>,
        positions: cdc_core::Positions,
        converters: &mut Option<SinkConverters>,
        errors: &ErrorSettings,
    ) -> Result<Self, ConnectorError> {
        if batch.is_empty() {
            return Ok(Polled {
                batch,
                positions,
                converted: Ok(Default::default()),
            });
        }
        let mut conv = converters
            .take()
            .ok_or_else(|| ConnectorError::fatal_msg("the sink converters were lost"))?;
        let (name, errors) = (name.to_owned(), errors.clone());
        let (conv, batch, converted) = lane
            .run("converting a batch", move || {
                let converted = convert(&name, &batch, &mut conv, &errors);
                (conv, batch, converted)
            })
            .await?;
        *converters = Some(conv);
        Ok(Polled {
            batch,
            positions,
            converted,
        })
    }
}

/// A converted batch: the records, the index in the polled batch each came from, and the
/// records left out (under `errors.tolerance=all`) with why.
type Converted = (Vec<SinkRecord>, Vec<usize>, Vec<(usize, RecordFailed)>);

/// Converts a polled batch. A record that cannot be converted fails the task naming it, or
/// under `errors.tolerance=all` is left out (and reported for the dead-letter queue).
fn convert(
    name: &str,
    batch: &[Consumed],
    converters: &mut SinkConverters,
    errors: &ErrorSettings,
) -> Result<Converted, ConnectorError> {
    let mut out = Vec::with_capacity(batch.len());
    let mut origin = Vec::with_capacity(batch.len());
    let mut failed = Vec::new();
    for (at, c) in batch.iter().enumerate() {
        let r = &c.record;
        let failure = |stage, class: &str, cause| RecordFailed {
            stage,
            class: class.to_owned(),
            topic: c.topic.to_string(),
            partition: c.partition,
            offset: r.offset,
            cause,
        };
        let key = match converters.key.read(&c.topic, r.key.as_deref()) {
            Ok(k) => k,
            Err(e) => {
                let f = failure("KEY_CONVERTER", converters.key.class(), e);
                tolerate(name, errors, &f)?;
                failed.push((at, f));
                continue;
            }
        };
        let value = match converters.value.read(&c.topic, r.value.as_deref()) {
            Ok(v) => v,
            Err(e) => {
                let f = failure("VALUE_CONVERTER", converters.value.class(), e);
                tolerate(name, errors, &f)?;
                failed.push((at, f));
                continue;
            }
        };
        let record = SinkRecord {
            topic: c.topic.clone(),
            partition: c.partition,
            offset: r.offset,
            timestamp_ms: Some(r.timestamp_ms),
            key,
            value,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect(),
            origin: None,
        };
        let record = if converters.transforms.is_empty() {
            record
        } else {
            let read_from = record.topic_partition();
            match converters
                .transforms
                .apply(transforms::ConnectRecord::from_sink(record))
            {
                Ok(Some(t)) => t.into_sink(read_from, r.offset),
                // Dropped by a transform (Filter, a predicate): delivered as nothing.
                Ok(None) => continue,
                Err(e) => {
                    let f = failure("TRANSFORMATION", &e.class, e.to_string());
                    tolerate(name, errors, &f)?;
                    failed.push((at, f));
                    continue;
                }
            }
        };
        origin.push(at);
        out.push(record);
    }
    Ok((out, origin, failed))
}

/// A record that cannot be delivered: the task's fatal error under `errors.tolerance=none`;
/// under `all` it is skipped (logged when `errors.log.enable`; the caller sends it to the
/// dead-letter queue when there is one).
fn tolerate(
    name: &str,
    errors: &ErrorSettings,
    failure: &RecordFailed,
) -> Result<(), ConnectorError> {
    match errors.tolerance {
        Tolerance::None => Err(ConnectorError::new(
            Retry::Fatal,
            RecordFailed {
                stage: failure.stage,
                class: failure.class.clone(),
                topic: failure.topic.clone(),
                partition: failure.partition,
                offset: failure.offset,
                cause: failure.cause.clone(),
            },
        )),
        Tolerance::All => {
            if errors.log_enable {
                warn!(connector = name, stage = failure.stage, topic = %failure.topic,
                    partition = failure.partition, offset = failure.offset, cause = %failure.cause,
                    "record skipped (errors.tolerance=all)");
            }
            Ok(())
        }
    }
}

/// Retries of a failing `put` or `flush`: transient errors are retried with a doubling
/// backoff (1 s up to `errors.retry.delay.max.ms`) and reported to the observer, so the task
/// stays RUNNING; anything else, or a transient error while stopping, ends the task.
struct Backoff {
    delay: Duration,
    max: Duration,
}

impl Backoff {
    fn new(errors: &ErrorSettings) -> Self {
        Backoff {
            delay: Duration::from_secs(1).min(errors.retry_delay_max),
            max: errors.retry_delay_max,
        }
    }

    /// `Ok` once it is time to try again, or the error that ends the task.
    async fn failed(
        &mut self,
        error: ConnectorError,
        shutdown: &CancellationToken,
        observer: &dyn TaskObserver,
    ) -> Result<(), ConnectorError> {
        if error.retry() != Retry::Transient || shutdown.is_cancelled() {
            return Err(error);
        }
        warn!(error = %error.chain(), retry_in_ms = self.delay.as_millis() as u64,
            "sink task retrying after a transient error; it stays RUNNING");
        observer.transient_error(&error, self.delay);
        tokio::select! {
            _ = shutdown.cancelled() => return Err(error),
            _ = tokio::time::sleep(self.delay) => {}
        }
        self.delay = (self.delay * 2).min(self.max);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
