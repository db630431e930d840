//! The offsets topic as read (Connect's `KafkaOffsetBackingStore`): the last value per key, a
//! tombstone removing it. Connect keys its map by the key's raw bytes; here a key is compared
//! by its structure (connector name and partition map, field order ignored), so an offset
//! written by Java with a `HashMap`'s field order is found all the same.

use serde_json::{Map, Value};

use crate::records::{parse_offset_key, RecordError};

/// One source partition's stored offset.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOffset {
    pub connector: String,
    pub partition: Map<String, Value>,
    pub offset: Map<String, Value>,
}

/// The offsets read from the offsets topic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OffsetCache {
    offsets: Vec<StoredOffset>,
}

impl OffsetCache {
    /// Applies one record; a key that is not `[connector, partition]` is an error naming it
    /// (Connect logs and skips such records: the caller decides).
    pub fn apply(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), RecordError> {
        let (connector, partition) = parse_offset_key(key)?;
        let at = self
            .offsets
            .iter()
            .position(|o| o.connector == connector && o.partition == partition);
        let offset = match value {
            None => None,
            Some(v) => match serde_json::from_slice::<Value>(v) {
                Ok(Value::Object(m)) => Some(m),
                Ok(Value::Null) => None,
                _ => {
                    return Err(RecordError {
                        key: String::from_utf8_lossy(key).into_owned(),
                        reason: "the offset is not a JSON object".into(),
                    })
                }
            },
        };
        match (at, offset) {
            (Some(i), None) => {
                self.offsets.remove(i);
            }
            (Some(i), Some(o)) => self.offsets[i].offset = o,
            (None, Some(offset)) => self.offsets.push(StoredOffset {
                connector,
                partition,
                offset,
            }),
            (None, None) => {}
        }
        Ok(())
    }

    /// The offset of `connector`'s source `partition`.
    pub fn get(
        &self,
        connector: &str,
        partition: &Map<String, Value>,
    ) -> Option<&Map<String, Value>> {
        self.offsets
            .iter()
            .find(|o| o.connector == connector && &o.partition == partition)
            .map(|o| &o.offset)
    }

    /// Every offset of `connector` (`GET /connectors/{name}/offsets`).
    pub fn of<'a>(&'a self, connector: &'a str) -> impl Iterator<Item = &'a StoredOffset> + 'a {
        self.offsets
            .iter()
            .filter(move |o| o.connector == connector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_by_structure_and_tombstones_remove() {
        let mut c = OffsetCache::default();
        c.apply(
            br#"["sql",{"server":"s","database":"d"}]"#,
            Some(br#"{"lsn":1}"#),
        )
        .unwrap();
        // The same partition with the fields in another order (a Java HashMap's).
        c.apply(
            br#"["sql",{"database":"d","server":"s"}]"#,
            Some(br#"{"lsn":2}"#),
        )
        .unwrap();
        let partition: Map<String, Value> =
            serde_json::from_str(r#"{"server":"s","database":"d"}"#).unwrap();
        assert_eq!(c.get("sql", &partition).unwrap()["lsn"], 2);
        assert_eq!(c.of("sql").count(), 1);
        c.apply(br#"["sql",{"server":"s","database":"d"}]"#, None)
            .unwrap();
        assert!(c.get("sql", &partition).is_none());
        assert!(c.apply(b"not json", Some(b"{}")).is_err());
    }
}
