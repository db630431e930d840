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
