//! Where converted records go: the seam between the pipeline and a topic backend.
//!
//! A backend *accepts* records in order ([`Backend::append`], blocking while it is full) and
//! tells the pipeline how they become *durable*:
//!
//! * the embedded log writes the records and the source offset in one fsynced transaction, so
//!   an accepted append is already durable ([`Delivery::Durable`]); its chunks are encoded and
//!   compressed beforehand ([`Backend::prepare`]), while the previous append is being written;
//! * Kafka acknowledges records asynchronously ([`Delivery::Acked`]); the pipeline keeps several
//!   appends in flight, waits for their acknowledgements in order, and only then stores the
//!   offset ([`Backend::commit_offset`]) and tells the source.
//!
//! Converters are not part of this seam: a backend receives bytes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use cdc_core::{ConnectorError, SourceOffset};

use crate::kafka::KafkaBackend;
use crate::log::store::PreparedAppend;
use crate::log::{AppendChain, EmbeddedLog, StoredRecordRef};

/// Resolves once the backend acknowledged every record of one append (or with the first
/// failure).
pub(crate) type AckFuture = Pin<Box<dyn Future<Output = Result<(), ConnectorError>> + Send>>;

/// How an accepted append becomes durable.
pub(crate) enum Delivery {
    /// The records and the source offset are durable already.
    Durable,
    /// The records are on their way; the offset is stored once this resolves.
    Acked(AckFuture),
}

/// A topic backend, as the pipeline uses it. Every method blocks (the pipeline calls them on
/// the blocking pool); `append` is called for one append at a time, in order.
pub(crate) trait Backend: Clone + Send + Sync + 'static {
    /// What [`Backend::prepare`] makes of an append's records.
    type Prepared: Send;

    /// The part of an append that does not depend on the appends before it (the embedded log
    /// encodes and compresses its chunks). The pipeline runs it while the previous append is
    /// still being written, so the CPU work overlaps the previous fsync.
    fn prepare(&self, records: &[StoredRecordRef<'_>]) -> Self::Prepared;

    /// Accepts `records`, which `prepared` came from, in order. With [`Delivery::Durable`] the
    /// records and `source_offset` are stored together; with [`Delivery::Acked`] the offset is
    /// not stored yet.
    ///
    /// `queued` is called once the append has its place in the backend's order: the pipeline
    /// then lets the next append through, which the backend must write after this one, and
    /// not at all once an append of `chain` failed.
    fn append(
        &self,
        records: &[StoredRecordRef<'_>],
        prepared: Self::Prepared,
        source_offset: Option<(&str, &SourceOffset)>,
        chain: &Arc<AppendChain>,
        queued: &mut dyn FnMut(),
    ) -> Result<Delivery, ConnectorError>;

    /// Stores a connector's source offset durably, after its records were acknowledged.
    fn commit_offset(&self, connector: &str, offset: &SourceOffset) -> Result<(), ConnectorError>;

    /// The stored source offset of a connector (its primary, last committed partition's).
    fn source_offset(&self, connector: &str) -> Result<Option<SourceOffset>, ConnectorError>;

    /// Every stored source offset of a connector, one per source partition.
    fn source_offsets(&self, connector: &str) -> Result<Vec<SourceOffset>, ConnectorError>;

    /// How many appends may wait for acknowledgements at once (1 when appends are durable on
    /// return).
    fn max_unacked(&self) -> usize {
        1
    }

    /// How many appends the pipeline may hand to the blocking pool before the first of them
    /// returned: more let the next ones be prepared, and queued behind the one being written
    /// (the embedded log commits them together), at the price of holding their records.
    fn max_in_flight(&self) -> usize {
        1
    }
}

impl Backend for EmbeddedLog {
    type Prepared = PreparedAppend;

    fn prepare(&self, records: &[StoredRecordRef<'_>]) -> PreparedAppend {
        EmbeddedLog::prepare(self, records)
    }

    fn append(
        &self,
        _records: &[StoredRecordRef<'_>],
        prepared: PreparedAppend,
        source_offset: Option<(&str, &SourceOffset)>,
        chain: &Arc<AppendChain>,
        queued: &mut dyn FnMut(),
    ) -> Result<Delivery, ConnectorError> {
        self.commit(prepared, source_offset, Some(chain), queued)?;
        Ok(Delivery::Durable)
    }

    fn commit_offset(&self, connector: &str, offset: &SourceOffset) -> Result<(), ConnectorError> {
        Ok(self.set_source_offset(connector, offset)?)
    }

    /// One being committed and two prepared behind it, committed together next.
    fn max_in_flight(&self) -> usize {
        3
    }

    fn source_offset(&self, connector: &str) -> Result<Option<SourceOffset>, ConnectorError> {
        Ok(EmbeddedLog::source_offset(self, connector)?)
    }

    fn source_offsets(&self, connector: &str) -> Result<Vec<SourceOffset>, ConnectorError> {
        Ok(EmbeddedLog::source_offsets(self, connector)?)
    }
}

/// Where a source task's committed offsets live when its records go to Kafka: the embedded
/// log (standalone) or Connect's offsets topic (distributed mode, `crate::distributed`).
pub trait OffsetStore: Send + Sync + 'static {
    /// Stores `offset` durably, as its source partition's (called after its records were
    /// acknowledged, off the runtime).
    fn commit(&self, connector: &str, offset: &SourceOffset) -> Result<(), ConnectorError>;
    /// The connector's last committed offset (called off the runtime).
    fn read(&self, connector: &str) -> Result<Option<SourceOffset>, ConnectorError>;
    /// The connector's committed offsets, one per source partition (called off the runtime).
    fn read_all(&self, connector: &str) -> Result<Vec<SourceOffset>, ConnectorError>;
}

impl OffsetStore for EmbeddedLog {
    fn commit(&self, connector: &str, offset: &SourceOffset) -> Result<(), ConnectorError> {
        Ok(self.set_source_offset(connector, offset)?)
    }

    fn read(&self, connector: &str) -> Result<Option<SourceOffset>, ConnectorError> {
        Ok(EmbeddedLog::source_offset(self, connector)?)
    }

    fn read_all(&self, connector: &str) -> Result<Vec<SourceOffset>, ConnectorError> {
        Ok(EmbeddedLog::source_offsets(self, connector)?)
    }
}

/// The topic backend a worker runs on: the embedded log without `bootstrap.servers`, Kafka with
/// it (offsets then stay in the embedded log; see `docs/decisions/kafka-backend.md`).
#[derive(Clone)]
pub enum TopicBackend {
    Embedded(EmbeddedLog),
    Kafka(KafkaBackend),
}

impl From<EmbeddedLog> for TopicBackend {
    fn from(log: EmbeddedLog) -> Self {
        TopicBackend::Embedded(log)
    }
}

impl From<KafkaBackend> for TopicBackend {
    fn from(kafka: KafkaBackend) -> Self {
        TopicBackend::Kafka(kafka)
    }
}

impl Backend for TopicBackend {
    /// The embedded log's prepared chunks; Kafka prepares nothing.
    type Prepared = Option<PreparedAppend>;

    fn prepare(&self, records: &[StoredRecordRef<'_>]) -> Option<PreparedAppend> {
        match self {
            TopicBackend::Embedded(b) => Some(b.prepare(records)),
            TopicBackend::Kafka(_) => None,
        }
    }

    fn append(
        &self,
        records: &[StoredRecordRef<'_>],
        prepared: Option<PreparedAppend>,
        source_offset: Option<(&str, &SourceOffset)>,
        chain: &Arc<AppendChain>,
        queued: &mut dyn FnMut(),
    ) -> Result<Delivery, ConnectorError> {
        match self {
            TopicBackend::Embedded(b) => {
                let prepared = prepared.unwrap_or_else(|| b.prepare(records));
                Backend::append(b, records, prepared, source_offset, chain, queued)
            }
            TopicBackend::Kafka(b) => b.append(records, (), source_offset, chain, queued),
        }
    }

    fn commit_offset(&self, connector: &str, offset: &SourceOffset) -> Result<(), ConnectorError> {
        match self {
            TopicBackend::Embedded(b) => Backend::commit_offset(b, connector, offset),
            TopicBackend::Kafka(b) => b.commit_offset(connector, offset),
        }
    }

    fn source_offset(&self, connector: &str) -> Result<Option<SourceOffset>, ConnectorError> {
        match self {
            TopicBackend::Embedded(b) => Backend::source_offset(b, connector),
            TopicBackend::Kafka(b) => b.source_offset(connector),
        }
    }

    fn source_offsets(&self, connector: &str) -> Result<Vec<SourceOffset>, ConnectorError> {
        match self {
            TopicBackend::Embedded(b) => Backend::source_offsets(b, connector),
            TopicBackend::Kafka(b) => b.source_offsets(connector),
        }
    }

    fn max_unacked(&self) -> usize {
        match self {
            TopicBackend::Embedded(b) => b.max_unacked(),
            TopicBackend::Kafka(b) => b.max_unacked(),
        }
    }

    fn max_in_flight(&self) -> usize {
        match self {
            TopicBackend::Embedded(b) => b.max_in_flight(),
            TopicBackend::Kafka(b) => b.max_in_flight(),
        }
    }
}
