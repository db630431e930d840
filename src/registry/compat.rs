//! Compatibility levels and the Avro checks behind them (Confluent's semantics):
//!
//! * BACKWARD: the new schema can read data written with the latest version;
//! * FORWARD: the latest version can read data written with the new schema;
//! * FULL: both; NONE: no check;
//! * `*_TRANSITIVE`: the same against every live (not soft-deleted) version, not only the latest.
//!
//! The reading rules (field defaults, promotions, union branches, names) are apache-avro's
//! `SchemaCompatibility::can_read`, on the schemas with their logical types taken off: Avro's
//! schema resolution reads a logical type's underlying type (Java's `SchemaCompatibility`
//! ignores `logicalType`), while apache-avro 0.21 finds a `decimal` incompatible even with
//! itself, which refused every new version of a table with a numeric column.

use apache_avro::schema_compatibility::SchemaCompatibility;
use apache_avro::Schema as AvroSchema;

use super::RegistryError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl Level {
    pub fn parse(s: &str) -> Result<Level, RegistryError> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "NONE" => Level::None,
            "BACKWARD" => Level::Backward,
            "BACKWARD_TRANSITIVE" => Level::BackwardTransitive,
            "FORWARD" => Level::Forward,
            "FORWARD_TRANSITIVE" => Level::ForwardTransitive,
            "FULL" => Level::Full,
            "FULL_TRANSITIVE" => Level::FullTransitive,
            _ => return Err(RegistryError::InvalidCompatibility),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "NONE",
            Level::Backward => "BACKWARD",
            Level::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Level::Forward => "FORWARD",
            Level::ForwardTransitive => "FORWARD_TRANSITIVE",
            Level::Full => "FULL",
            Level::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether every earlier version is checked, not only the latest.
    pub fn transitive(self) -> bool {
        matches!(
            self,
            Level::BackwardTransitive | Level::ForwardTransitive | Level::FullTransitive
        )
    }

    fn backward(self) -> bool {
        matches!(
            self,
            Level::Backward | Level::BackwardTransitive | Level::Full | Level::FullTransitive
        )
    }

    fn forward(self) -> bool {
        matches!(
            self,
            Level::Forward | Level::ForwardTransitive | Level::Full | Level::FullTransitive
        )
    }
}

/// Checks `new` against `existing` (oldest first, with their versions) at `level`; returns one
/// message per incompatibility (empty: compatible).
pub fn check(level: Level, new: &AvroSchema, existing: &[(u32, AvroSchema)]) -> Vec<String> {
    let against: &[(u32, AvroSchema)] = if level.transitive() {
        existing
    } else {
        existing.last().map_or(&[], std::slice::from_ref)
    };
    let mut messages = Vec::new();
    let new = &underlying(new);
    for (version, old) in against {
        let old = &underlying(old);
        if level.backward() {
            if let Err(e) = SchemaCompatibility::can_read(old, new) {
                messages.push(format!(
                    "{{errorType:'READER_CANNOT_READ_WRITER', description:'The new schema cannot read data written with version {version}: {e}', compatibility:'{}'}}",
                    level.as_str()
                ));
            }
        }
        if level.forward() {
            if let Err(e) = SchemaCompatibility::can_read(new, old) {
                messages.push(format!(
                    "{{errorType:'WRITER_NOT_READABLE', description:'Version {version} cannot read data written with the new schema: {e}', compatibility:'{}'}}",
                    level.as_str()
                ));
            }
        }
    }
    messages
}

/// `schema` with every `logicalType` taken off (its underlying type stays), for the checks.
fn underlying(schema: &AvroSchema) -> AvroSchema {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("logicalType");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let Ok(mut json) = serde_json::to_value(schema) else {
        return schema.clone();
    };
    strip(&mut json);
    AvroSchema::parse(&json).unwrap_or_else(|_| schema.clone())
}
