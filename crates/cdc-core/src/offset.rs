//! Source offsets: a partition and a position, both JSON maps as Kafka Connect stores them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// A source position in Kafka Connect's shape: `partition` identifies the stream
/// (`{"server": "<topic.prefix>"}`), `offset` is the connector-defined position map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceOffset {
    pub partition: Map<String, Json>,
    pub offset: Map<String, Json>,
}

impl SourceOffset {
    pub fn new(partition: Map<String, Json>, offset: Map<String, Json>) -> Self {
        SourceOffset { partition, offset }
    }

    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.offset.get(key).and_then(Json::as_i64)
    }

    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.offset.get(key).and_then(Json::as_bool)
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.offset.get(key).and_then(Json::as_str)
    }
}
