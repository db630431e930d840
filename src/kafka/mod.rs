//! Kafka as the topic backend (the worker has `bootstrap.servers`).
//!
//! * [`config`]: the producer's librdkafka properties from Connect's worker `producer.*` and
//!   connector `producer.override.*` properties, under the override policy.
//! * [`topics`]: `topic.creation.*` groups; topics are created through the Admin API before
//!   the first record is sent to them.
//! * [`KafkaBackend`]: an idempotent producer (`acks=all`) behind the runtime's `Backend`
//!   seam. An append hands every record to librdkafka (waiting while its bounded queue is
//!   full) and returns a future that resolves when the broker acknowledged all of them; the
//!   pipeline then stores the source offset in the embedded log and only then tells the source
//!   (`docs/decisions/kafka-backend.md`).
//!
//! A broker that goes away: librdkafka keeps retrying (no delivery timeout), its queue fills,
//! `append` waits, the source's queue fills, and the source waits while still answering its
//! database's keepalives. When the broker returns, everything queued is delivered in order
//! (idempotence keeps retries free of duplicates and reordering).

pub mod config;
pub mod history;
pub mod topics;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cdc_core::{ConfigErrors, ConfigMap, ConnectorError, SourceOffset};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

pub use config::{bootstrap_servers, producer_properties, OverridePolicy, ProducerProperties};
pub use topics::TopicCreation;

use crate::log::{AppendChain, StoredRecordRef};
use crate::runtime::{Backend, Delivery, OffsetStore};

/// How many appends may wait for acknowledgements at once. The records themselves are bounded
/// by librdkafka's queue (`queue.buffering.max.kbytes`); this bounds the bookkeeping.
const MAX_UNACKED: usize = 64;

/// How long one Admin API call may take before it is retried.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// A connector task's Kafka settings, read from the worker's and the connector's properties
/// without any I/O.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub producer: ProducerProperties,
    pub topics: TopicCreation,
}

impl KafkaSettings {
    /// `None` when the worker has no `bootstrap.servers` (it runs on the embedded log).
    pub fn from_config(
        worker: &ConfigMap,
        connector_config: &ConfigMap,
        connector: &str,
    ) -> Result<Option<KafkaSettings>, ConfigErrors> {
        if bootstrap_servers(worker).is_none() {
            return Ok(None);
        }
        let producer = producer_properties(worker, connector_config, connector, 0);
        let topics = TopicCreation::from_config(worker, connector_config);
        match (producer, topics) {
            (Ok(producer), Ok(topics)) => Ok(Some(KafkaSettings { producer, topics })),
            (p, t) => {
                let mut all = p.err().map(|e| e.0).unwrap_or_default();
                all.extend(t.err().map(|e| e.0).unwrap_or_default());
                Err(ConfigErrors(all))
            }
        }
    }
}

/// Why the Kafka backend failed.
#[derive(Debug, thiserror::Error)]
pub enum KafkaBackendError {
    #[error("cannot create the Kafka producer (check the worker's producer.* and the connector's producer.override.* properties)")]
    Create(#[source] Box<KafkaError>),
    #[error("the broker did not accept a record for topic {topic:?}")]
    Delivery {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("cannot send a record to topic {topic:?}")]
    Produce {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("cannot create topic {topic:?} (settings of topic.creation group {group:?})")]
    CreateTopic {
        topic: String,
        group: String,
        #[source]
        source: KafkaError,
    },
    #[error("stopped while waiting for the Kafka broker")]
    Stopped,
}

impl cdc_core::Classify for KafkaBackendError {
    /// Failures librdkafka does not retry by itself need a person (a record too large, no
    /// authorization, a topic setting the broker refuses); stopping is not a failure.
    fn retry(&self) -> cdc_core::Retry {
        match self {
            KafkaBackendError::Stopped => cdc_core::Retry::Transient,
            KafkaBackendError::Delivery { source, .. }
                if matches!(
                    source.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight)
                ) =>
            {
                cdc_core::Retry::Transient
            }
            _ => cdc_core::Retry::Fatal,
        }
    }
}

/// Counts the outstanding deliveries of one append.
struct GroupAck {
    remaining: AtomicUsize,
    /// The first failure: the topic and the error.
    failure: Mutex<Option<(String, KafkaError)>>,
    done: Notify,
}

impl GroupAck {
    fn new(outstanding: usize) -> Arc<GroupAck> {
        Arc::new(GroupAck {
            remaining: AtomicUsize::new(outstanding),
            failure: Mutex::new(None),
            done: Notify::new(),
        })
    }

    fn fail(&self, topic: &str, error: KafkaError) {
        let mut f = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        if f.is_none() {
            *f = Some((topic.to_owned(), error));
        }
    }

    fn done_one(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.notify_waiters();
        }
    }

    async fn wait(self: Arc<Self>) -> Result<(), ConnectorError> {
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.remaining.load(Ordering::Acquire) == 0 {
                let failure = self
                    .failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                return match failure {
                    None => Ok(()),
                    Some((topic, source)) => {
                        Err(KafkaBackendError::Delivery { topic, source }.into())
                    }
                };
            }
            notified.await;
        }
    }
}

/// The producer's callbacks: deliveries count down their append; librdkafka's logs and errors
/// go to tracing.
struct AckContext {
    connector: String,
}

impl ClientContext for AckContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error
            | RDKafkaLogLevel::Warning => {
                warn!(connector = %self.connector, facility = fac, "librdkafka: {message}")
            }
            _ => debug!(connector = %self.connector, facility = fac, "librdkafka: {message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        warn!(connector = %self.connector, %error, reason, "Kafka producer error; retrying");
    }
}

impl ProducerContext for AckContext {
    type DeliveryOpaque = Arc<GroupAck>;

    fn delivery(&self, result: &DeliveryResult<'_>, ack: Arc<GroupAck>) {
        if let Err((error, message)) = result {
            ack.fail(message.topic(), error.clone());
        }
        ack.done_one();
    }
}

/// Kafka as a topic backend: one idempotent producer per task, source offsets in an
/// [`OffsetStore`] (the embedded log, or the offsets topic in distributed mode).
#[derive(Clone)]
pub struct KafkaBackend {
    inner: Arc<Inner>,
}

struct Inner {
    producer: ThreadedProducer<AckContext>,
    admin: AdminClient<DefaultClientContext>,
    offsets: Arc<dyn OffsetStore>,
    topics: TopicCreation,
    /// Topics created (or found) by this backend.
    known: Mutex<HashSet<String>>,
    stop: CancellationToken,
    runtime: tokio::runtime::Handle,
}

impl KafkaBackend {
    /// Creates the producer and the admin client (they connect in the background). `offsets`
    /// keeps the source offsets; `stop` ends waits for a broker that is away. Call from within
    /// a tokio runtime.
    pub fn start(
        connector: &str,
        settings: &KafkaSettings,
        offsets: Arc<dyn OffsetStore>,
        stop: CancellationToken,
    ) -> Result<KafkaBackend, ConnectorError> {
        let mut producer_config = ClientConfig::new();
        let mut admin_config = ClientConfig::new();
        for (k, v) in &settings.producer.0 {
            producer_config.set(k, v);
            if is_connection_property(k) {
                admin_config.set(k, v);
            }
        }
        admin_config.set(
            "client.id",
            format!(
                "{}-admin",
                settings.producer.get("client.id").unwrap_or("tributary")
            ),
        );
        let producer = producer_config
            .create_with_context(AckContext {
                connector: connector.to_owned(),
            })
            .map_err(|e| KafkaBackendError::Create(Box::new(e)))?;
        let admin = admin_config
            .create()
            .map_err(|e| KafkaBackendError::Create(Box::new(e)))?;
        info!(
            connector,
            bootstrap.servers = settings.producer.get("bootstrap.servers").unwrap_or(""),
            "producing to Kafka"
        );
        Ok(KafkaBackend {
            inner: Arc::new(Inner {
                producer,
                admin,
                offsets,
                topics: settings.topics.clone(),
                known: Mutex::new(HashSet::new()),
                stop,
                runtime: tokio::runtime::Handle::current(),
            }),
        })
    }

    /// Creates the topics of `records` this backend has not seen yet.
    fn ensure_topics(&self, records: &[StoredRecordRef<'_>]) -> Result<(), ConnectorError> {
        let missing: Vec<&str> = {
            let known = self
                .inner
                .known
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let mut m: Vec<&str> = Vec::new();
            for r in records {
                if !known.contains(r.topic) && !m.contains(&r.topic) {
                    m.push(r.topic);
                }
            }
            m
        };
        if missing.is_empty() {
            return Ok(());
        }
        if self.inner.topics.enabled {
            for topic in &missing {
                self.create_topic(topic)?;
            }
        }
        let mut known = self
            .inner
            .known
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        known.extend(missing.into_iter().map(str::to_owned));
        Ok(())
    }

    /// Creates `topic` with its group's settings; an existing topic is fine. Retries while the
    /// broker cannot be reached.
    fn create_topic(&self, topic: &str) -> Result<(), ConnectorError> {
        let group = self.inner.topics.group_for(topic);
        let mut new = NewTopic::new(
            topic,
            group.partitions,
            TopicReplication::Fixed(group.replication_factor),
        );
        for (k, v) in &group.configs {
            new = new.set(k, v);
        }
        let options = AdminOptions::new()
            .request_timeout(Some(ADMIN_TIMEOUT))
            .operation_timeout(Some(ADMIN_TIMEOUT));
        let mut backoff = Duration::from_millis(200);
        loop {
            let result = self.inner.runtime.block_on(async {
                tokio::select! {
                    r = self.inner.admin.create_topics([&new], &options) => Some(r),
                    _ = self.inner.stop.cancelled() => None,
                }
            });
            let error = match result {
                None => return Err(KafkaBackendError::Stopped.into()),
                Some(Ok(results)) => match results.into_iter().next() {
                    Some(Ok(_)) => {
                        info!(topic, group = %group.name, partitions = group.partitions,
                            replication.factor = group.replication_factor, "created topic");
                        return Ok(());
                    }
                    Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) | None => return Ok(()),
                    Some(Err((_, code))) => KafkaError::AdminOp(code),
                },
                Some(Err(e)) => e,
            };
            if !retriable_admin_error(&error) {
                return Err(KafkaBackendError::CreateTopic {
                    topic: topic.to_owned(),
                    group: group.name.clone(),
                    source: error,
                }
                .into());
            }
            warn!(topic, %error, retry_in_ms = backoff.as_millis() as u64,
                "cannot create the topic yet; is the broker reachable?");
            if self.sleep(backoff) {
                return Err(KafkaBackendError::Stopped.into());
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }

    /// Sleeps on the blocking thread; true when stopped meanwhile.
    fn sleep(&self, d: Duration) -> bool {
        self.inner.runtime.block_on(async {
            tokio::select! {
                _ = tokio::time::sleep(d) => false,
                _ = self.inner.stop.cancelled() => true,
            }
        })
    }

    /// Hands one record to librdkafka, waiting while its queue is full.
    fn send(&self, r: &StoredRecordRef<'_>, ack: &Arc<GroupAck>) -> Result<(), ConnectorError> {
        let count = r.headers.len() + r.context.len();
        let headers = (count > 0).then(|| {
            r.headers.iter().chain(r.context).fold(
                OwnedHeaders::new_with_capacity(count),
                |h, (k, v)| {
                    h.insert(Header {
                        key: k,
                        value: Some(v.as_slice()),
                    })
                },
            )
        });
        // A message is its shared prefix (the converter's schema part) and its own bytes.
        let (key, value) = (r.key.map(|k| k.joined()), r.value.map(|v| v.joined()));
        let mut record: BaseRecord<'_, [u8], [u8], Arc<GroupAck>> =
            BaseRecord::with_opaque_to(r.topic, ack.clone()).timestamp(r.timestamp_ms);
        if let Some(k) = &key {
            record = record.key(&k[..]);
        }
        if let Some(v) = &value {
            record = record.payload(&v[..]);
        }
        if let Some(h) = headers {
            record = record.headers(h);
        }
        let mut waited = false;
        loop {
            match self.inner.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    if !waited {
                        debug!(
                            topic = r.topic,
                            "the producer's queue is full; waiting for the broker"
                        );
                        waited = true;
                    }
                    record = back;
                    if self.inner.stop.is_cancelled() {
                        return Err(KafkaBackendError::Stopped.into());
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err((source, _)) => {
                    return Err(KafkaBackendError::Produce {
                        topic: r.topic.to_owned(),
                        source,
                    }
                    .into())
                }
            }
        }
    }
}

impl Backend for KafkaBackend {
    /// Records go to the producer as they are: nothing to prepare.
    type Prepared = ();

    fn prepare(&self, _records: &[StoredRecordRef<'_>]) {}

    fn append(
        &self,
        records: &[StoredRecordRef<'_>],
        (): (),
        _source_offset: Option<(&str, &SourceOffset)>,
        _chain: &Arc<AppendChain>,
        queued: &mut dyn FnMut(),
    ) -> Result<Delivery, ConnectorError> {
        self.ensure_topics(records)?;
        // One extra count, released after the last send, so the append cannot resolve early.
        let ack = GroupAck::new(records.len() + 1);
        for r in records {
            if let Err(e) = self.send(r, &ack) {
                ack.done_one();
                return Err(e);
            }
        }
        ack.done_one();
        // Every record is in the producer's queue, in order: the next append may follow.
        queued();
        Ok(Delivery::Acked(Box::pin(ack.wait())))
    }

    fn commit_offset(&self, connector: &str, offset: &SourceOffset) -> Result<(), ConnectorError> {
        self.inner.offsets.commit(connector, offset)
    }

    fn source_offset(&self, connector: &str) -> Result<Option<SourceOffset>, ConnectorError> {
        self.inner.offsets.read(connector)
    }

    fn source_offsets(&self, connector: &str) -> Result<Vec<SourceOffset>, ConnectorError> {
        self.inner.offsets.read_all(connector)
    }

    fn max_unacked(&self) -> usize {
        MAX_UNACKED
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let in_flight = self.producer.in_flight_count();
        if in_flight > 0 {
            debug!(in_flight, "dropping the producer with unacknowledged records; they are sent again on the next start");
        }
    }
}

/// Properties the admin client shares with the producer: how to reach and authenticate to the
/// brokers.
pub(crate) fn is_connection_property(key: &str) -> bool {
    [
        "bootstrap.",
        "security.",
        "sasl.",
        "ssl.",
        "socket.",
        "broker.",
        "client.dns",
    ]
    .iter()
    .any(|p| key.starts_with(p))
}

/// Admin errors that mean "the broker is not reachable or not ready yet".
fn retriable_admin_error(e: &KafkaError) -> bool {
    match e.rdkafka_error_code() {
        Some(code) => matches!(
            code,
            RDKafkaErrorCode::OperationTimedOut
                | RDKafkaErrorCode::RequestTimedOut
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::NotController
                | RDKafkaErrorCode::LeaderNotAvailable
                | RDKafkaErrorCode::NetworkException
                | RDKafkaErrorCode::CoordinatorNotAvailable
                | RDKafkaErrorCode::BrokerNotAvailable
                | RDKafkaErrorCode::Resolve
                | RDKafkaErrorCode::TimedOutQueue
        ),
        None => matches!(e, KafkaError::Canceled),
    }
}
