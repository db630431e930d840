//! A record on its way to a topic: structured key and value with their schemas.

use std::sync::Arc;

use crate::schema::Schema;
use crate::value::Value;

/// A value with its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    pub schema: Arc<Schema>,
    pub value: Value,
}

impl Data {
    pub fn new(schema: Arc<Schema>, value: Value) -> Self {
        Data { schema, value }
    }
}

/// A key or value read from a topic: Connect's `SchemaAndValue`, whose schema is absent for
/// schemaless data (JsonConverter with `schemas.enable=false`, or an envelope whose `schema` is
/// `null`). Schemaless JSON objects are `Value::Map`s with `Value::String` keys, as in Connect;
/// a struct always has its schema, because `Value::Struct` is positional.
///
/// `Data` (what sources write) keeps its required schema: writers need one.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaAndValue {
    pub schema: Option<Arc<Schema>>,
    pub value: Value,
}

impl From<Data> for SchemaAndValue {
    fn from(data: Data) -> Self {
        SchemaAndValue {
            schema: Some(data.schema),
            value: data.value,
        }
    }
}

/// One record for a topic. A `None` key is a null key; a `None` value is a tombstone.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub topic: Arc<str>,
    pub key: Option<Data>,
    pub value: Option<Data>,
    pub headers: Vec<(String, Vec<u8>)>,
    /// Record timestamp in milliseconds since the epoch.
    pub timestamp_ms: i64,
}

impl Record {
    /// A rough size in bytes, used for byte-bounded queues.
    pub fn approx_size(&self) -> usize {
        64 + self.topic.len()
            + self.key.as_ref().map_or(0, |d| d.value.approx_size())
            + self.value.as_ref().map_or(0, |d| d.value.approx_size())
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}
