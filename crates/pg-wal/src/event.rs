//! Builds Debezium change records (key, envelope value, tombstone) for a captured table.

use std::sync::Arc;

use cdc_core::envelope::envelope_value;
use cdc_core::{Data, Op, ProcessingTime, Record, TransactionBlock, Value};

use crate::table::TableSchema;

/// A row as the value struct's fields, in value schema order.
pub type Row = Vec<Value>;

/// The key struct of a row, or `None` for tables without a key.
pub fn key_of(table: &TableSchema, row: &Row) -> Option<Data> {
    let schema = table.key_schema.as_ref()?;
    let fields = table
        .key_columns
        .iter()
        .map(|&i| {
            table.value_pos[i]
                .and_then(|p| row.get(p).cloned())
                .unwrap_or(Value::Null)
        })
        .collect();
    Some(Data::new(schema.clone(), Value::Struct(fields)))
}

/// Appends the records of one change: the event, and a tombstone after a delete when enabled.
#[allow(clippy::too_many_arguments)]
pub fn push_change(
    out: &mut Vec<Record>,
    table: &TableSchema,
    op: Op,
    before: Option<Row>,
    after: Option<Row>,
    source: Value,
    transaction: Option<&TransactionBlock>,
    tombstone: bool,
    ts: ProcessingTime,
) {
    // A non-optional column without a value (a DELETE's old tuple under REPLICA IDENTITY
    // DEFAULT has only the key) gets its default or its type's zero, as in Debezium.
    let (mut before, mut after) = (before, after);
    for row in [&mut before, &mut after].into_iter().flatten() {
        crate::defaults::fill_missing(&table.value_schema, row);
    }
    let key = match (&after, &before) {
        (Some(row), _) | (None, Some(row)) => key_of(table, row),
        (None, None) => None,
    };
    if !table.value_maps.is_empty() {
        for row in [&mut before, &mut after].into_iter().flatten() {
            table.map_values(row);
        }
    }
    let value = envelope_value(
        op,
        before.map(Value::Struct),
        after.map(Value::Struct),
        source,
        transaction,
        ts,
    );
    let timestamp_ms = ts.nanos / 1_000_000;
    let is_delete = op == Op::Delete;
    out.push(Record {
        topic: table.topic.clone(),
        key: key.clone(),
        value: Some(Data::new(table.envelope_schema.clone(), value)),
        headers: Vec::new(),
        timestamp_ms,
    });
    if is_delete && tombstone && key.is_some() {
        out.push(Record {
            topic: table.topic.clone(),
            key,
            value: None,
            headers: Vec::new(),
            timestamp_ms,
        });
    }
}

/// A truncate event: null key, no before/after.
pub fn push_truncate(
    out: &mut Vec<Record>,
    table: &TableSchema,
    source: Value,
    transaction: Option<&TransactionBlock>,
    ts: ProcessingTime,
) {
    let value = envelope_value(Op::Truncate, None, None, source, transaction, ts);
    out.push(Record {
        topic: table.topic.clone(),
        key: None,
        value: Some(Data::new(table.envelope_schema.clone(), value)),
        headers: Vec::new(),
        timestamp_ms: ts.nanos / 1_000_000,
    });
}

pub use cdc_core::envelope::key_header;

/// Shared topic name handle.
pub type Topic = Arc<str>;
