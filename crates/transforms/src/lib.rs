//! Kafka Connect's single message transforms (SMTs) and predicates, and Debezium's, on Connect
//! records: the chain a connector's `transforms`/`predicates` properties configure, applied as
//! Connect's `TransformationChain` applies it. Pure: no I/O, no clock but the record's own (and
//! the current offset `TimezoneConverter` gives a `ZonedTime`, as Debezium's does).
//!
//! * [`chain`]: parsing `transforms.*`/`predicates.*`, building each stage, applying them.
//! * [`definitions`]: each class's Connect `ConfigDef` (dumped from Kafka's and Debezium's), and
//!   the connector definition Connect's `ConnectorConfig.enrich` builds from them.
//! * [`predicates`]: `TopicNameMatches`, `HasHeaderKey`, `RecordIsTombstone`.
//! * [`routing`]: `RegexRouter`, `TimestampRouter`, `Filter`, `DropHeaders`, `InsertHeader`.
//! * [`fields`]: `ReplaceField`, `MaskField`, `InsertField`, `HoistField`, `ExtractField`,
//!   `ValueToKey`, `SetSchemaMetadata` (each with its `$Key`/`$Value` variant where Connect has one).
//! * [`unwrap`]: Debezium's `ExtractNewRecordState` (`drop_fields`: its `drop.fields.*`);
//!   [`outbox`]: its outbox `EventRouter` (`json_payload`: its `table.expand.json.payload`).
//! * Debezium's others: [`changed_state`] (`ExtractChangedRecordState`), [`header_to_value`]
//!   (`HeaderToValue`), [`timezone`] (`TimezoneConverter`), [`logical_table`]
//!   (`ByLogicalTableRouter`), [`partition_routing`] (`partitions.PartitionRouting`),
//!   [`schema_change_filter`] (`SchemaChangeEventFilter`).
//! * [`scripting`]: Debezium's `ContentBasedRouter` and `Filter`, their Groovy and JavaScript
//!   expressions evaluated by our own interpreter (`script`), never run.

use std::sync::Arc;

use cdc_core::{SchemaAndValue, SinkRecord, TopicPartition};

pub mod cast;
pub mod chain;
pub mod changed_state;
mod date_format;
mod debezium_config;
pub mod definitions;
mod drop_fields;
pub mod fields;
pub mod header_to_value;
mod header_values;
mod java_hash;
mod java_regex;
mod json_payload;
pub mod logical_table;
pub mod outbox;
pub mod partition_routing;
pub mod predicates;
pub mod routing;
pub mod row_plan;
pub mod schema_change_filter;
mod script;
pub mod scripting;
mod structs;
pub mod timestamp;
pub mod timezone;
pub mod unwrap;

pub use chain::{Chain, TransformFailed};

/// A record as transforms see it: Connect's `ConnectRecord`. `partition`, `offset` and
/// `timestamp_ms` are absent where the record has none (a source record's offset).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRecord {
    pub topic: Arc<str>,
    pub partition: Option<i32>,
    pub offset: Option<u64>,
    pub timestamp_ms: Option<i64>,
    /// `None`: a null key.
    pub key: Option<SchemaAndValue>,
    /// `None`: a tombstone.
    pub value: Option<SchemaAndValue>,
    /// Headers as their bytes (what `SimpleHeaderConverter` writes), `None` for a null value.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl ConnectRecord {
    /// A sink record, to transform.
    pub fn from_sink(r: SinkRecord) -> Self {
        ConnectRecord {
            topic: r.topic,
            partition: Some(r.partition),
            offset: Some(r.offset),
            timestamp_ms: r.timestamp_ms,
            key: r.key,
            value: r.value,
            headers: r.headers,
        }
    }

    /// Back into a sink record read at offset `offset` of `read_from` (kept when a transform
    /// routed it elsewhere, as Connect's `originalTopic()`/`originalKafkaPartition()`).
    pub fn into_sink(self, read_from: TopicPartition, offset: u64) -> SinkRecord {
        let partition = self.partition.unwrap_or(read_from.partition);
        let moved = *self.topic != *read_from.topic || partition != read_from.partition;
        SinkRecord {
            partition,
            topic: self.topic,
            offset,
            timestamp_ms: self.timestamp_ms,
            key: self.key,
            value: self.value,
            headers: self.headers,
            origin: moved.then_some(read_from),
        }
    }
}

/// One transformation, configured.
pub trait Transform: Send + Sync {
    /// The record transformed, or `None` to drop it; an error fails the record (stage
    /// `TRANSFORMATION`).
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, String>;

    /// What this transform makes of every record of `shape` (a snapshot's rows), when it can
    /// say without seeing their values; `None` otherwise (the default).
    fn row_plan(&self, shape: row_plan::RowShape) -> Option<row_plan::RowShape> {
        let _ = shape;
        None
    }
}

/// One predicate, configured.
pub trait Predicate: Send + Sync {
    fn test(&self, record: &ConnectRecord) -> bool;
}
