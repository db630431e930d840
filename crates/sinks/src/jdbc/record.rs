//! From a [`SinkRecord`] to a row operation on a table (research §2.1–§2.3).
//!
//! Debezium form (`io.debezium.connector.jdbc.JdbcSinkConnector`):
//!
//! * an envelope (a struct whose schema name ends in `.Envelope`, or an unnamed struct with an
//!   `op` field): `c`, `r`, `u` write `after` (insert, upsert or update per `insert.mode`; `r`
//!   is not special); `d` deletes by key when `delete.enabled`, else is skipped; `t` truncates
//!   when `truncate.enabled`, else is skipped; `m` (a logical decoding message) is skipped;
//! * a tombstone (no value), or a flat record with a null value: a delete when
//!   `delete.enabled`, else skipped;
//! * a flat struct (ExtractNewRecordState, or a producer's own): written whole;
//! * schema change values (schema name containing `SchemaChangeValue`) are skipped, as
//!   Debezium does with a warning. Debezium's research does not mention heartbeats or
//!   transaction metadata (so Debezium would write them as flat records, **unconfirmed**);
//!   we skip `io.debezium.connector.common.Heartbeat` and `TransactionMetadataValue` values;
//! * values whose schema name matches `cloud.events.schema.name.pattern` are unwrapped to
//!   their `data` field first.
//!
//! Confluent form: flat records only. A tombstone with `delete.enabled=false` is refused (as
//! Confluent's `RecordValidator` fails the task), and so is an envelope, with a hint.
//!
//! Errors are per record ([`RecordError`]): the writer refuses that record (dead-letter queue
//! or FAILED), the rest flow on. Key columns come first, then the value fields that are not
//! key columns; field filters apply to both (Debezium) or to value fields (Confluent).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use cdc_core::{Schema, SchemaType, SinkRecord, Value};

use super::bind::{to_sql, BindContext, BindError, SqlValue};
use super::collection::CollectionError;
use super::config::{FieldFilter, Flavor, JdbcSinkConfig};
use super::dialect::{Ident, NameError, TableName};
use super::key::{key_fields, struct_fields, FieldValue};

/// One column of a row: its name, Connect schema (for the column type) and bound value.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: Ident,
    pub schema: Arc<Schema>,
    pub value: SqlValue,
}

/// A row: key columns, then the other columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub key: Vec<Column>,
    pub values: Vec<Column>,
}

/// What to do to the table.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOp {
    /// Insert, upsert or update the row, per `insert.mode`.
    Write(Row),
    /// Delete the row with this key (`values` is empty).
    Delete(Row),
    Truncate,
}

/// A record's effect on one table.
#[derive(Debug, Clone, PartialEq)]
pub struct RowChange {
    pub table: TableName,
    pub op: RowOp,
}

/// Why a record writes nothing (it is still consumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A delete or tombstone with `delete.enabled=false` (Debezium form).
    DeletesDisabled,
    /// A truncate with `truncate.enabled=false`.
    TruncatesDisabled,
    /// A schema change event (Debezium skips them with a warning).
    SchemaChange,
    Heartbeat,
    TransactionMetadata,
    /// `op=m`, a logical decoding message.
    Message,
}

/// The mapping of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    Change(RowChange),
    Skip(Skip),
}

/// Why a record cannot be written. Messages name the field or property at fault; they never
/// contain row values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the record value has no schema; the JDBC sink needs schemas (JsonConverter with schemas.enable=true, or Avro)")]
    SchemalessValue,
    #[error("the record key has no schema; primary.key.mode=record_key needs a key with a schema")]
    SchemalessKey,
    #[error("the record value is not a struct")]
    NotStructValue,
    #[error("the record {place} is not a struct matching its schema")]
    NotStruct { place: &'static str },
    #[error("the change event has an unknown op {0:?}")]
    UnknownOp(String),
    #[error("the change event (op {0}) has no after state")]
    MissingAfter(&'static str),
    #[error("the primary key mode is record_key, but the record has no key")]
    NoKey,
    #[error("the record key is a primitive value: the primary key fields must name exactly one column for it, {given} given")]
    PrimitiveKeyNeedsOneName { given: usize },
    #[error("the primary key field {field:?} is not in the record {place}")]
    KeyFieldMissing { field: String, place: &'static str },
    #[error("the primary key mode is record_value, but the record has no struct value")]
    NoStructValue,
    #[error("the primary key mode is record_header, but the record has no headers")]
    NoHeaders,
    #[error("the header {0:?} is null and cannot be a key column")]
    NullHeader(String),
    #[error("the header {0:?} is not UTF-8 text")]
    HeaderNotUtf8(String),
    #[error("the record offset does not fit a bigint column")]
    OffsetRange,
    #[error(transparent)]
    Collection(#[from] CollectionError),
    #[error("invalid name {name:?}: {error}")]
    Name { name: String, error: NameError },
    #[error("the fields {0:?} and {1:?} both become the column {2:?}")]
    DuplicateColumn(String, String, String),
    #[error("the field {field:?}: {error}")]
    Bind { field: String, error: BindError },
    #[error("the record is a Debezium change event; io.confluent.connect.jdbc.JdbcSinkConnector writes flat records (add the ExtractNewRecordState transform, or use io.debezium.connector.jdbc.JdbcSinkConnector)")]
    ConfluentEnvelope,
    #[error("the record is a tombstone, but delete.enabled=false: io.confluent.connect.jdbc.JdbcSinkConnector needs a non-null struct value (drop tombstones, or enable deletes with pk.mode=record_key)")]
    ConfluentTombstone,
}

/// Maps records to row operations for one config. Keep one for a batch: it remembers the
/// table and column names it resolved.
#[derive(Debug)]
pub struct RecordMapper<'a> {
    config: &'a JdbcSinkConfig,
    bind: BindContext,
    tables: RefCell<HashMap<String, TableName>>,
    columns: RefCell<HashMap<String, Ident>>,
}

enum Payload<'v> {
    Write(&'v Arc<Schema>, &'v Value),
    Delete,
    Truncate,
}

impl<'a> RecordMapper<'a> {
    pub fn new(config: &'a JdbcSinkConfig) -> Self {
        RecordMapper {
            config,
            bind: BindContext {
                dialect: config.url.dialect,
                time_zone: config.time_zone,
                replace_null_with_default: config.replace_null_with_default,
            },
            tables: RefCell::default(),
            columns: RefCell::default(),
        }
    }

    /// The table a resolved collection name names.
    fn table(&self, resolved: String) -> Result<TableName, RecordError> {
        if let Some(t) = self.tables.borrow().get(&resolved) {
            return Ok(t.clone());
        }
        let table = self
            .config
            .naming
            .table(&resolved)
            .map_err(|error| RecordError::Name {
                name: resolved.clone(),
                error,
            })?;
        self.tables.borrow_mut().insert(resolved, table.clone());
        Ok(table)
    }

    /// The column a field is written to.
    fn column(&self, field: &str) -> Result<Ident, RecordError> {
        if let Some(c) = self.columns.borrow().get(field) {
            return Ok(c.clone());
        }
        let column = self
            .config
            .naming
            .column(field)
            .map_err(|error| RecordError::Name {
                name: field.to_owned(),
                error,
            })?;
        self.columns
            .borrow_mut()
            .insert(field.to_owned(), column.clone());
        Ok(column)
    }

    pub fn map(&self, record: &SinkRecord) -> Result<Mapped, RecordError> {
        let cfg = self.config;
        let value = record.value.as_ref().filter(|v| !v.value.is_null());
        let Some(value) = value else {
            return match (cfg.delete_enabled, cfg.flavor) {
                (true, _) => self.change(record, Payload::Delete, None),
                (false, Flavor::Debezium) => Ok(Mapped::Skip(Skip::DeletesDisabled)),
                (false, Flavor::Confluent) => Err(RecordError::ConfluentTombstone),
            };
        };
        let mut schema = value.schema.as_ref().ok_or(RecordError::SchemalessValue)?;
        let mut v = &value.value;
        if schema.kind != SchemaType::Struct {
            return Err(RecordError::NotStructValue);
        }
        let name = schema.name.as_deref().unwrap_or("");
        if let Some(re) = &cfg.cloud_events_pattern {
            if re.is_match(name) {
                let (s, data) = field(schema, v, "data").ok_or(RecordError::NotStruct {
                    place: "CloudEvents data",
                })?;
                (schema, v) = (s, data);
            }
        }
        let name = schema.name.as_deref().unwrap_or("");
        if name.contains("SchemaChangeValue") {
            return Ok(Mapped::Skip(Skip::SchemaChange));
        }
        if name == "io.debezium.connector.common.Heartbeat" {
            return Ok(Mapped::Skip(Skip::Heartbeat));
        }
        if name.ends_with("TransactionMetadataValue") {
            return Ok(Mapped::Skip(Skip::TransactionMetadata));
        }
        let envelope = name.ends_with(".Envelope")
            || (schema.name.is_none() && schema.field_index("op").is_some());
        if !envelope {
            return self.change(record, Payload::Write(schema, v), None);
        }
        if cfg.flavor == Flavor::Confluent {
            return Err(RecordError::ConfluentEnvelope);
        }
        let source = field(schema, v, "source").map(|(s, v)| (&**s, v));
        let op = match field(schema, v, "op") {
            Some((_, Value::String(op))) => op.clone(),
            _ => return Err(RecordError::UnknownOp(String::new())),
        };
        let payload = match &*op {
            "c" | "r" | "u" => {
                let label = match &*op {
                    "c" => "c",
                    "r" => "r",
                    _ => "u",
                };
                let (s, after) = field(schema, v, "after")
                    .filter(|(_, a)| !a.is_null())
                    .ok_or(RecordError::MissingAfter(label))?;
                Payload::Write(s, after)
            }
            "d" if cfg.delete_enabled => Payload::Delete,
            "d" => return Ok(Mapped::Skip(Skip::DeletesDisabled)),
            "t" if cfg.truncate_enabled => Payload::Truncate,
            "t" => return Ok(Mapped::Skip(Skip::TruncatesDisabled)),
            "m" => return Ok(Mapped::Skip(Skip::Message)),
            other => return Err(RecordError::UnknownOp(other.to_owned())),
        };
        self.change(record, payload, source)
    }

    fn change(
        &self,
        record: &SinkRecord,
        payload: Payload<'_>,
        source: Option<(&Schema, &Value)>,
    ) -> Result<Mapped, RecordError> {
        let cfg = self.config;
        let resolved = cfg.collection_format.resolve(&record.topic, source)?;
        let table = self.table(resolved)?;
        let (op_kind, written) = match payload {
            Payload::Truncate => {
                return Ok(Mapped::Change(RowChange {
                    table,
                    op: RowOp::Truncate,
                }))
            }
            Payload::Delete => (false, None),
            Payload::Write(s, v) => (true, Some((s, v))),
        };
        let mut keys = key_fields(
            cfg.primary_key_mode,
            cfg.flavor,
            &cfg.primary_key_fields,
            record,
            written,
        )?;
        keys.retain(|f| self.keep(&record.topic, &f.name, true));
        let mut values = Vec::new();
        if let Some((s, v)) = written {
            for f in struct_fields(s, v, &[], "value")? {
                let is_key = keys.iter().any(|k| k.name == f.name);
                if !is_key && self.keep(&record.topic, &f.name, false) {
                    values.push(f);
                }
            }
        }
        let key = self.columns(keys)?;
        let values = self.columns(values)?;
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (original, c) in key.iter().chain(&values) {
            if let Some((first, _)) = seen.iter().find(|(_, col)| *col == c.name.as_str()) {
                return Err(RecordError::DuplicateColumn(
                    (*first).to_owned(),
                    original.clone(),
                    c.name.as_str().to_owned(),
                ));
            }
            seen.push((original, c.name.as_str()));
        }
        let mut row = Row {
            key: key.into_iter().map(|(_, c)| c).collect(),
            values: values.into_iter().map(|(_, c)| c).collect(),
        };
        let op = if op_kind {
            RowOp::Write(row)
        } else {
            row.values.clear();
            RowOp::Delete(row)
        };
        Ok(Mapped::Change(RowChange { table, op }))
    }

    fn keep(&self, topic: &str, field: &str, is_key: bool) -> bool {
        match &self.config.field_filter {
            FieldFilter::All => true,
            FieldFilter::TopicField(filter) => filter.matches(&format!("{topic}:{field}")),
            FieldFilter::ValueWhitelist(list) => is_key || list.iter().any(|f| f == field),
        }
    }

    /// Columns with the field names they came from.
    fn columns(&self, fields: Vec<FieldValue>) -> Result<Vec<(String, Column)>, RecordError> {
        fields
            .into_iter()
            .map(|f| {
                let name = self.column(&f.name)?;
                let value =
                    to_sql(&f.schema, &f.value, &self.bind).map_err(|error| RecordError::Bind {
                        field: f.name.clone(),
                        error,
                    })?;
                Ok((
                    f.name,
                    Column {
                        name,
                        schema: f.schema,
                        value,
                    },
                ))
            })
            .collect()
    }
}

/// A field of a struct value with its schema.
fn field<'v>(
    schema: &'v Schema,
    value: &'v Value,
    name: &str,
) -> Option<(&'v Arc<Schema>, &'v Value)> {
    let i = schema.field_index(name)?;
    match value {
        Value::Struct(values) => Some((&schema.fields[i].schema, values.get(i)?)),
        _ => None,
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
