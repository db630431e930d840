//! A sink connector's offsets in Connect's REST shape (`SinkUtils`):
//! `{"partition": {"kafka_topic": T, "kafka_partition": P}, "offset": {"kafka_offset": O}}`,
//! and the validation of a `PATCH /connectors/{name}/offsets` body, with Connect's messages.

use serde_json::{json, Value as Json};

use super::entities::{ConnectorOffset, ConnectorOffsets};
use crate::log::SinkPositions;

/// One partition's change: the next offset to consume, or `None` to forget the partition.
pub type Change = ((String, i32), Option<u64>);

/// The stored positions as `GET /connectors/{name}/offsets` answers them (Connect 4.3 writes
/// `kafka_partition` before `kafka_topic`).
pub fn to_rest(stored: SinkPositions) -> ConnectorOffsets {
    let mut offsets = Vec::new();
    for (topic, partitions) in stored {
        for (partition, offset) in partitions {
            let map = |v: Json| v.as_object().cloned();
            offsets.push(ConnectorOffset {
                partition: map(json!({"kafka_partition": partition, "kafka_topic": topic})),
                offset: map(json!({ "kafka_offset": offset })),
            });
        }
    }
    ConnectorOffsets {
        offsets: Some(offsets),
    }
}

/// The changes a PATCH body asks for, or Connect's message for the first thing wrong.
pub fn parse(offsets: &[ConnectorOffset]) -> Result<Vec<Change>, String> {
    offsets
        .iter()
        .map(|o| {
            let partition = o
                .partition
                .as_ref()
                .ok_or("The partition for a sink connector offset cannot be null or missing")?;
            let (Some(topic), Some(p)) = (
                partition.get("kafka_topic"),
                partition.get("kafka_partition"),
            ) else {
                return Err("The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'".to_owned());
            };
            let topic = match topic {
                Json::String(t) => t.clone(),
                _ => return Err("Kafka topic names must be valid strings and may not be null".into()),
            };
            if p.is_null() {
                return Err("Kafka partitions must be valid numbers and may not be null".into());
            }
            let p = number(p, "partition")?;
            let p = i32::try_from(p).map_err(|_| unparsable("partition", &p.to_string()))?;
            let offset = match &o.offset {
                None => None,
                Some(offset) => {
                    let value = offset.get("kafka_offset").ok_or(
                        "The offset for a sink connector should either be null or contain the key 'kafka_offset'",
                    )?;
                    // Connect checks partitions for null, not offsets: a null offset fails to parse.
                    let v = number(value, "offset")?;
                    Some(u64::try_from(v).map_err(|_| unparsable("offset", &v.to_string()))?)
                }
            };
            Ok(((topic, p), offset))
        })
        .collect()
}

/// Applies changes to stored positions.
pub fn apply(stored: &mut SinkPositions, changes: Vec<Change>) {
    for ((topic, partition), offset) in changes {
        match offset {
            Some(o) => {
                stored.entry(topic).or_default().insert(partition, o);
            }
            None => {
                if let Some(partitions) = stored.get_mut(&topic) {
                    partitions.remove(&partition);
                    if partitions.is_empty() {
                        stored.remove(&topic);
                    }
                }
            }
        }
    }
}

/// A whole number, also from a string (Connect parses string numbers).
fn number(v: &Json, what: &str) -> Result<i64, String> {
    match v {
        Json::Number(n) => n.as_i64().ok_or_else(|| unparsable(what, &n.to_string())),
        Json::String(s) => s.trim().parse().map_err(|_| unparsable(what, s)),
        other => Err(unparsable(what, &other.to_string())),
    }
}

fn unparsable(what: &str, value: &str) -> String {
    let kind = if what == "partition" {
        ("partition", "Partition")
    } else {
        ("offset", "Offset")
    };
    format!(
        "Failed to parse the following Kafka {} value in the provided offsets: '{value}'. {} values for sink connectors need to be integers.",
        kind.0, kind.1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(v: Json) -> Vec<ConnectorOffset> {
        serde_json::from_value::<ConnectorOffsets>(v)
            .unwrap()
            .offsets
            .unwrap()
    }

    #[test]
    fn positions_print_in_connects_sink_shape() {
        let mut stored = SinkPositions::new();
        stored.entry("t".into()).or_default().insert(0, 9);
        let rest = serde_json::to_value(to_rest(stored)).unwrap();
        assert_eq!(
            rest.to_string(),
            r#"{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"t"},"offset":{"kafka_offset":9}}]}"#
        );
    }

    #[test]
    fn a_patch_sets_or_forgets_partitions_and_string_numbers_are_read() {
        let changes = parse(&offsets(json!({"offsets": [
            {"partition": {"kafka_topic": "a", "kafka_partition": 0}, "offset": {"kafka_offset": 5}},
            {"partition": {"kafka_topic": "b", "kafka_partition": "0"}, "offset": {"kafka_offset": "7"}},
            {"partition": {"kafka_topic": "c", "kafka_partition": 0}, "offset": null},
        ]})))
        .unwrap();
        let mut stored = SinkPositions::new();
        stored.entry("c".into()).or_default().insert(0, 3);
        apply(&mut stored, changes);
        assert_eq!(stored["a"][&0], 5);
        assert_eq!(stored["b"][&0], 7);
        assert!(!stored.contains_key("c"));
    }

    #[test]
    fn a_bad_patch_gets_connects_message() {
        let err = |v: Json| parse(&offsets(json!({"offsets": [v]}))).unwrap_err();
        assert_eq!(
            err(json!({"partition": null, "offset": {"kafka_offset": 1}})),
            "The partition for a sink connector offset cannot be null or missing"
        );
        assert_eq!(
            err(json!({"partition": {"kafka_topic": "a"}, "offset": {"kafka_offset": 1}})),
            "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"
        );
        assert_eq!(
            err(json!({"partition": {"kafka_topic": 1, "kafka_partition": 0}, "offset": null})),
            "Kafka topic names must be valid strings and may not be null"
        );
        assert_eq!(
            err(json!({"partition": {"kafka_topic": "a", "kafka_partition": "x"}, "offset": null})),
            "Failed to parse the following Kafka partition value in the provided offsets: 'x'. Partition values for sink connectors need to be integers."
        );
        assert_eq!(
            err(
                json!({"partition": {"kafka_topic": "a", "kafka_partition": 0}, "offset": {"lsn": 1}})
            ),
            "The offset for a sink connector should either be null or contain the key 'kafka_offset'"
        );
        assert_eq!(
            err(
                json!({"partition": {"kafka_topic": "a", "kafka_partition": 0}, "offset": {"kafka_offset": null}})
            ),
            "Failed to parse the following Kafka offset value in the provided offsets: 'null'. Offset values for sink connectors need to be integers."
        );
    }
}
