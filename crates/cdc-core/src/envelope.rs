//! Debezium's change event envelope (`Envelope.java`): the value schema and value of a change.

use std::sync::Arc;

use crate::schema::Schema;
use crate::value::Value;

/// The `op` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Update,
    Delete,
    Read,
    Truncate,
    Message,
}

/// The `op` strings, shared rather than allocated per event (in `Op` order).
static CODES: std::sync::LazyLock<[Arc<str>; 6]> = std::sync::LazyLock::new(|| {
    [
        Op::Create,
        Op::Update,
        Op::Delete,
        Op::Read,
        Op::Truncate,
        Op::Message,
    ]
    .map(|op| op.code().into())
});

impl Op {
    pub fn code(self) -> &'static str {
        match self {
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
            Op::Read => "r",
            Op::Truncate => "t",
            Op::Message => "m",
        }
    }

    pub fn from_code(code: &str) -> Option<Op> {
        Some(match code {
            "c" => Op::Create,
            "u" => Op::Update,
            "d" => Op::Delete,
            "r" => Op::Read,
            "t" => Op::Truncate,
            "m" => Op::Message,
            _ => return None,
        })
    }
}

/// The `transaction` block (`event.block`).
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionBlock {
    pub id: String,
    pub total_order: i64,
    pub data_collection_order: i64,
}

/// When the connector processed the event, as `ts_ms`, `ts_us` and `ts_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingTime {
    pub nanos: i64,
}

impl ProcessingTime {
    pub fn now() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        ProcessingTime { nanos }
    }
}

/// Schema of the `transaction` field.
pub fn transaction_block_schema() -> Schema {
    Schema::structure("event.block")
        .version(1)
        .optional()
        .field("id", Schema::string())
        .field("total_order", Schema::int64())
        .field("data_collection_order", Schema::int64())
}

/// Builds the envelope schema `<topic_name>.Envelope` around a row schema and a source schema.
///
/// `row` must be the optional `<topic_name>.Value` struct schema.
pub fn envelope_schema(topic_name: &str, row: Arc<Schema>, source: Arc<Schema>) -> Arc<Schema> {
    Arc::new(
        Schema::structure(format!("{topic_name}.Envelope"))
            .version(2)
            .field("before", row.clone())
            .field("after", row)
            .field("source", source)
            .field("transaction", transaction_block_schema())
            .field("op", Schema::string())
            .field("ts_ms", Schema::int64().optional())
            .field("ts_us", Schema::int64().optional())
            .field("ts_ns", Schema::int64().optional()),
    )
}

/// Builds the envelope value matching [`envelope_schema`].
pub fn envelope_value(
    op: Op,
    before: Option<Value>,
    after: Option<Value>,
    source: Value,
    transaction: Option<&TransactionBlock>,
    ts: ProcessingTime,
) -> Value {
    let transaction = transaction.map_or(Value::Null, |t| {
        Value::Struct(vec![
            Value::String(t.id.as_str().into()),
            Value::Int64(t.total_order),
            Value::Int64(t.data_collection_order),
        ])
    });
    Value::Struct(vec![
        before.unwrap_or(Value::Null),
        after.unwrap_or(Value::Null),
        source,
        transaction,
        Value::String(CODES[op as usize].clone()),
        Value::Int64(ts.nanos / 1_000_000),
        Value::Int64(ts.nanos / 1_000),
        Value::Int64(ts.nanos),
    ])
}

/// The header Debezium adds to the records of a primary-key change (`__debezium.newkey` on the
/// delete and its tombstone, `__debezium.oldkey` on the create): the other key, as
/// JsonConverter without schemas writes it (`null` for a keyless table).
pub fn key_header(name: &str, key: &Option<crate::Data>) -> (String, Vec<u8>) {
    let conv = crate::JsonConverter {
        schemas_enable: false,
        ..Default::default()
    };
    (
        name.to_owned(),
        conv.to_bytes(key.as_ref())
            .unwrap_or_else(|| b"null".to_vec()),
    )
}
