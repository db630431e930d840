//! Debezium's `partitions.PartitionRouting`: a change event's partition computed from fields of
//! its envelope (`partition.payload.fields`: `source.table`, `after.id`, `change.name` where
//! `change` is `before` for a delete and `after` otherwise), as the sum of their hashes
//! (`partition.hash.function`: `java`, each value's Java `hashCode()`, or `murmur`) modulo
//! `partition.topic.num`. A field the event lacks, or whose value is null, is left out; with
//! none left the record is unchanged. Tombstones, records that are not change events, and
//! truncate and message events pass unchanged.
//!
//! As in Java, it works on source records only: on a sink record it fails (Debezium casts the
//! record to a `SourceRecord`). A path through a null struct (`after.id` of a delete) fails the
//! record, as Java's.

use cdc_core::{ConfigErrors, ConfigMap, Schema, SchemaType, Value};

use crate::chain::Props;
use crate::debezium_config::{check_elements, is_envelope, list, required};
use crate::java_hash::{java_hash, murmur_hash};
use crate::{ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.partitions.PartitionRouting"];

/// The transform `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Box<dyn Transform>, ConfigErrors>> {
    if class != CLASSES[0] {
        return None;
    }
    let mut p = Props::new(config, prefix);
    let fields_name = "partition.payload.fields";
    let _ = required(&mut p, config, fields_name);
    let fields = list(&mut p, config, fields_name).unwrap_or_default();
    check_elements(&mut p, fields_name, &fields, false);
    let partitions =
        required(&mut p, config, "partition.topic.num").and_then(|n| match n.parse::<i32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                p.problem(
                    "partition.topic.num",
                    "A positive, non-zero integer value is expected",
                );
                None
            }
        });
    // Anything but `murmur` (in any case) is `java`, as Debezium parses it.
    let murmur = p
        .raw(config, "partition.hash.function")
        .is_some_and(|f| f.trim().eq_ignore_ascii_case("murmur"));
    let paths = fields
        .iter()
        .map(|f| f.split('.').map(|s| s.trim().to_owned()).collect())
        .collect();
    Some(p.finish().map(|()| {
        Box::new(PartitionRouting {
            paths,
            partitions: partitions.unwrap_or(1),
            murmur,
        }) as Box<dyn Transform>
    }))
}

struct PartitionRouting {
    /// Each field's path, split at dots.
    paths: Vec<Vec<String>>,
    partitions: i32,
    murmur: bool,
}

/// What reading a path found.
enum Found<'v> {
    Value(Option<&'v Schema>, &'v Value),
    /// Not there (a missing field, a null, a field of the wrong type on the way): left out.
    Absent,
}

impl PartitionRouting {
    fn read<'v>(
        &self,
        path: &[String],
        schema: &'v Schema,
        values: &'v [Value],
    ) -> Result<Found<'v>, String> {
        let (mut s, mut v) = (schema, values);
        for (depth, part) in path.iter().enumerate() {
            let last = depth + 1 == path.len();
            let name = if part == "change" && !last {
                // `Struct.getString("op")`: a missing op field leaves the value out.
                let Some(i) = schema.field_index("op") else {
                    return Ok(Found::Absent);
                };
                match &values[i] {
                    Value::String(op) if op.eq_ignore_ascii_case("d") => "before",
                    _ => "after",
                }
            } else {
                part.as_str()
            };
            let Some(i) = s.field_index(name) else {
                return Ok(Found::Absent);
            };
            let field_schema = &s.fields[i].schema;
            let value = v.get(i).unwrap_or(&Value::Null);
            if last {
                // `Struct.get(name)`: the default for a null.
                let value = match (value, &field_schema.default) {
                    (Value::Null, Some(d)) => d,
                    _ => value,
                };
                return Ok(match value {
                    Value::Null => Found::Absent,
                    value => Found::Value(Some(field_schema), value),
                });
            }
            if field_schema.kind != SchemaType::Struct {
                return Ok(Found::Absent);
            }
            match value {
                Value::Struct(inner) => {
                    s = field_schema;
                    v = inner;
                }
                _ => {
                    return Err(format!(
                        "Unprocessable message: {name} is null, so {} cannot be read",
                        path.join(".")
                    ))
                }
            }
        }
        Ok(Found::Absent)
    }
}

impl Transform for PartitionRouting {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(value) = record.value.as_ref().filter(|v| is_envelope(v)) else {
            return Ok(Some(record));
        };
        let (Some(schema), Value::Struct(values)) = (&value.schema, &value.value) else {
            return Ok(Some(record));
        };
        if record.offset.is_some() {
            return Err(
                "Unprocessable message: PartitionRouting works on source records only (Debezium \
                 casts the record to a SourceRecord)"
                    .into(),
            );
        }
        if let Some(i) = schema.field_index("op") {
            if matches!(&values[i], Value::String(op) if op.eq_ignore_ascii_case("t") || op.eq_ignore_ascii_case("m"))
            {
                return Ok(Some(record));
            }
        }
        let mut total = 0i32;
        let mut any = false;
        for path in &self.paths {
            if let Found::Value(s, v) = self.read(path, schema, values)? {
                any = true;
                let h = if self.murmur {
                    murmur_hash(s, v)
                } else {
                    java_hash(s, v)
                };
                total = total.wrapping_add(h);
            }
        }
        if !any {
            return Ok(Some(record));
        }
        let mut normalized = total & i32::MAX;
        if normalized == i32::MAX {
            normalized = 0;
        }
        record.partition = Some(normalized % self.partitions);
        Ok(Some(record))
    }
}
