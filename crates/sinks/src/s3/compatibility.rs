//! `schema.compatibility`: what a record whose value schema differs from its open file's does,
//! as storage-common's `StorageSchemaCompatibility` and Connect's `SchemaProjector` decide.
//!
//! * `NONE`: any other schema closes the open files (the record starts new ones).
//! * `BACKWARD` and `FULL`: a record whose schema is structurally incompatible with the file's
//!   (another type that is not a numeric widening, another name or parameters, an optional
//!   schema where the file's is required without a default, a required field the record does
//!   not have) or has a *higher* version closes the files; otherwise (an older or equal
//!   version) the record is projected onto the file's schema and written there.
//! * `FORWARD`: the same with the versions the other way: a *lower* version closes the files,
//!   a newer record is projected onto the file's older schema.
//!
//! Projection is `SchemaProjector.project`: fields the file's schema lacks are dropped, fields
//! the record lacks take their default (or null when optional), numbers widen (int8 → … →
//! float64). With `BACKWARD`, `FORWARD` or `FULL` both schemas need a version (Avro converters
//! give them; Debezium's JSON envelopes carry `version`), else the record fails, as in
//! Confluent's "Schema version required for BACKWARD compatibility".

use std::sync::Arc;

use cdc_core::{Schema, SchemaType, Value};

/// `schema.compatibility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compatibility {
    #[default]
    None,
    Backward,
    Forward,
    Full,
}

/// Why a record cannot be written under the compatibility rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompatError {
    #[error("schema version required for {0} compatibility (the value schemas have no version: use a converter that gives one, or schema.compatibility=NONE)")]
    NoVersion(&'static str),
    #[error("cannot project the record onto the file's schema: {0}")]
    Projection(String),
}

impl Compatibility {
    /// Parses `schema.compatibility` (Confluent's names).
    pub fn parse(name: &str) -> Option<Compatibility> {
        match name.to_ascii_uppercase().as_str() {
            "NONE" => Some(Compatibility::None),
            "BACKWARD" => Some(Compatibility::Backward),
            "FORWARD" => Some(Compatibility::Forward),
            "FULL" => Some(Compatibility::Full),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compatibility::None => "NONE",
            Compatibility::Backward => "BACKWARD",
            Compatibility::Forward => "FORWARD",
            Compatibility::Full => "FULL",
        }
    }

    /// Whether a record with schema `record` closes the files opened with `current`.
    pub fn should_change(
        self,
        record: &Arc<Schema>,
        current: &Arc<Schema>,
    ) -> Result<bool, CompatError> {
        Ok(self.decide(record, current)? == Decision::Rotate)
    }

    /// What a record with schema `record` does to the files opened with `current`: each schema
    /// comparison is made once.
    pub fn decide(
        self,
        record: &Arc<Schema>,
        current: &Arc<Schema>,
    ) -> Result<Decision, CompatError> {
        if Arc::ptr_eq(record, current) {
            return Ok(Decision::Same);
        }
        let same = || {
            if record == current {
                Decision::Same
            } else {
                Decision::Rotate
            }
        };
        if self == Compatibility::None {
            return Ok(same());
        }
        let (Some(rv), Some(cv)) = (record.version, current.version) else {
            return match same() {
                Decision::Same => Ok(Decision::Same),
                _ => Err(CompatError::NoVersion(self.name())),
            };
        };
        let newer = match self {
            Compatibility::Forward => rv < cv,
            _ => rv > cv,
        };
        if newer || incompatible(record, current) {
            return Ok(Decision::Rotate);
        }
        Ok(match same() {
            Decision::Same => Decision::Same,
            _ => Decision::Project,
        })
    }
}

/// What a record's value schema does to the open file of its encoded partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The file's schema: written as it is.
    Same,
    /// The open files close; the record starts new ones.
    Rotate,
    /// Projected onto the file's schema and written there.
    Project,
}

fn promotable(from: SchemaType, to: SchemaType) -> bool {
    fn rank(t: SchemaType) -> Option<u8> {
        Some(match t {
            SchemaType::Int8 => 0,
            SchemaType::Int16 => 1,
            SchemaType::Int32 => 2,
            SchemaType::Int64 => 3,
            SchemaType::Float32 => 4,
            SchemaType::Float64 => 5,
            _ => return None,
        })
    }
    matches!((rank(from), rank(to)), (Some(a), Some(b)) if a <= b)
}

/// `checkSchemaCompatibility(original = record's, current = file's)`.
fn incompatible(original: &Schema, current: &Schema) -> bool {
    if original.kind != current.kind && !promotable(original.kind, current.kind) {
        return true;
    }
    if original.name != current.name || original.parameters != current.parameters {
        return true;
    }
    if original.optional && !current.optional && current.default.is_none() {
        return true;
    }
    match original.kind {
        SchemaType::Struct => {
            for f in &original.fields {
                if let Some(c) = current.fields.iter().find(|c| c.name == f.name) {
                    if incompatible(&f.schema, &c.schema) {
                        return true;
                    }
                }
            }
            current.fields.iter().any(|c| {
                original.field_index(&c.name).is_none()
                    && !c.schema.optional
                    && c.schema.default.is_none()
            })
        }
        SchemaType::Array => match (&original.items, &current.items) {
            (Some(a), Some(b)) => incompatible(a, b),
            _ => false,
        },
        SchemaType::Map => {
            let keys = match (&original.keys, &current.keys) {
                (Some(a), Some(b)) => incompatible(a, b),
                _ => false,
            };
            keys || match (&original.items, &current.items) {
                (Some(a), Some(b)) => incompatible(a, b),
                _ => false,
            }
        }
        _ => false,
    }
}

/// `SchemaProjector.project(source, value, target)`.
pub fn project(source: &Schema, value: &Value, target: &Schema) -> Result<Value, CompatError> {
    let fail = |why: String| Err(CompatError::Projection(why));
    if source.kind != target.kind && !promotable(source.kind, target.kind) {
        return fail(format!(
            "schema type mismatch: source type {} and target type {}",
            source.kind.json_name(),
            target.kind.json_name()
        ));
    }
    if source.name != target.name {
        return fail(format!(
            "schema name mismatch: source name {:?} and target name {:?}",
            source.name, target.name
        ));
    }
    if source.parameters != target.parameters {
        return fail("schema parameters not equal".to_owned());
    }
    if value.is_null() {
        return match (&target.default, source.optional && !target.optional) {
            (Some(d), true) => Ok(d.clone()),
            (None, true) => fail(
                "writer schema is optional, however, target schema does not provide a default value"
                    .to_owned(),
            ),
            _ => Ok(Value::Null),
        };
    }
    match (target.kind, value) {
        (SchemaType::Struct, Value::Struct(fields)) => {
            let mut out = Vec::with_capacity(target.fields.len());
            for t in &target.fields {
                match source.field_index(&t.name) {
                    Some(i) => {
                        let v = fields.get(i).unwrap_or(&Value::Null);
                        out.push(
                            project(&source.fields[i].schema, v, &t.schema).map_err(|e| {
                                CompatError::Projection(format!("error projecting {}: {e}", t.name))
                            })?,
                        );
                    }
                    None if t.schema.optional || t.schema.default.is_some() => {
                        out.push(t.schema.default.clone().unwrap_or(Value::Null));
                    }
                    None => {
                        return fail(format!(
                            "required field `{}` is missing from source schema",
                            t.name
                        ))
                    }
                }
            }
            Ok(Value::Struct(out))
        }
        (SchemaType::Array, Value::Array(items)) => {
            let (Some(s), Some(t)) = (&source.items, &target.items) else {
                return Ok(value.clone());
            };
            items
                .iter()
                .map(|v| project(s, v, t))
                .collect::<Result<_, _>>()
                .map(Value::Array)
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let (Some(sk), Some(tk), Some(sv), Some(tv)) =
                (&source.keys, &target.keys, &source.items, &target.items)
            else {
                return Ok(value.clone());
            };
            entries
                .iter()
                .map(|(k, v)| Ok((project(sk, k, tk)?, project(sv, v, tv)?)))
                .collect::<Result<_, _>>()
                .map(Value::Map)
        }
        _ => Ok(widen(value, target.kind)),
    }
}

/// A number widened to `to` (`projectPrimitive`); anything else as it is.
fn widen(value: &Value, to: SchemaType) -> Value {
    let as_i64 = match value {
        Value::Int8(v) => Some(i64::from(*v)),
        Value::Int16(v) => Some(i64::from(*v)),
        Value::Int32(v) => Some(i64::from(*v)),
        Value::Int64(v) => Some(*v),
        _ => None,
    };
    let as_f64 = match value {
        Value::Float32(v) => Some(f64::from(*v)),
        Value::Float64(v) => Some(*v),
        _ => as_i64.map(|v| v as f64),
    };
    match (to, as_i64, as_f64) {
        (SchemaType::Int16, Some(v), _) => Value::Int16(v as i16),
        (SchemaType::Int32, Some(v), _) => Value::Int32(v as i32),
        (SchemaType::Int64, Some(v), _) => Value::Int64(v),
        (SchemaType::Float32, _, Some(v)) => Value::Float32(v as f32),
        (SchemaType::Float64, _, Some(v)) => Value::Float64(v),
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: i32, fields: &[(&str, Schema)]) -> Arc<Schema> {
        let mut s = Schema::structure("t.Value").version(version);
        for (n, f) in fields {
            s = s.field(*n, f.clone());
        }
        Arc::new(s)
    }

    #[test]
    fn none_changes_on_any_difference() {
        let a = v(1, &[("id", Schema::int32())]);
        let b = v(2, &[("id", Schema::int32())]);
        assert!(!Compatibility::None.should_change(&a, &a.clone()).unwrap());
        assert!(Compatibility::None.should_change(&a, &b).unwrap());
    }

    #[test]
    fn backward_rotates_for_newer_and_projects_older_records() {
        let old = v(1, &[("id", Schema::int32())]);
        let new = v(
            2,
            &[
                ("id", Schema::int32()),
                ("note", Schema::string().optional()),
            ],
        );
        let b = Compatibility::Backward;
        // A newer record closes the files; an older one goes into the newer file.
        assert!(b.should_change(&new, &old).unwrap());
        assert!(!b.should_change(&old, &new).unwrap());
        let projected = project(&old, &Value::Struct(vec![Value::Int32(7)]), &new).unwrap();
        assert_eq!(projected, Value::Struct(vec![Value::Int32(7), Value::Null]));
        // FORWARD the other way round; FULL as BACKWARD.
        assert!(!Compatibility::Forward.should_change(&new, &old).unwrap());
        assert!(Compatibility::Forward.should_change(&old, &new).unwrap());
        assert!(Compatibility::Full.should_change(&new, &old).unwrap());
        // Numbers widen.
        let wide = v(2, &[("id", Schema::int64())]);
        assert!(!b.should_change(&old, &wide).unwrap());
        assert_eq!(
            project(&old, &Value::Struct(vec![Value::Int32(7)]), &wide).unwrap(),
            Value::Struct(vec![Value::Int64(7)])
        );
    }

    #[test]
    fn incompatible_structures_rotate_whatever_the_versions() {
        let file = v(2, &[("id", Schema::int32()), ("must", Schema::string())]);
        let record = v(1, &[("id", Schema::int32())]);
        // The file's required field without default is missing from the record.
        assert!(Compatibility::Backward
            .should_change(&record, &file)
            .unwrap());
        let narrowing = v(1, &[("id", Schema::int64()), ("must", Schema::string())]);
        assert!(Compatibility::Backward
            .should_change(&narrowing, &file)
            .unwrap());
        let err = project(&record, &Value::Struct(vec![Value::Int32(1)]), &file).unwrap_err();
        assert!(err.to_string().contains("`must` is missing"), "{err}");
    }

    #[test]
    fn versions_are_required_beyond_none() {
        let a = Arc::new(Schema::structure("t").field("id", Schema::int32()));
        let b = Arc::new(Schema::structure("t").field("id", Schema::int64()));
        let err = Compatibility::Backward.should_change(&a, &b).unwrap_err();
        assert_eq!(err, CompatError::NoVersion("BACKWARD"));
        assert!(!Compatibility::Backward
            .should_change(&a, &a.clone())
            .unwrap());
    }

    #[test]
    fn newer_records_lose_the_fields_the_older_file_lacks() {
        let old = v(1, &[("id", Schema::int32())]);
        let new = v(
            1,
            &[
                ("id", Schema::int32()),
                ("extra", Schema::string().optional()),
            ],
        );
        // Same version, compatible: BACKWARD projects the new record onto the file's schema.
        assert!(!Compatibility::Backward.should_change(&new, &old).unwrap());
        let p = project(
            &new,
            &Value::Struct(vec![Value::Int32(1), Value::String(Arc::from("x"))]),
            &old,
        )
        .unwrap();
        assert_eq!(p, Value::Struct(vec![Value::Int32(1)]));
    }
}
