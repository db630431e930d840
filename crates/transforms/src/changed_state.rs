//! Debezium's `ExtractChangedRecordState`: compares a change event's `before` and `after` and
//! adds the names of the fields that changed (`header.changed.name`) and of those that did not
//! (`header.unchanged.name`) as headers, each an array of strings (written as
//! `SimpleHeaderConverter` writes one: `["a","b"]`). Every change event gets the headers, empty
//! arrays unless both `before` and `after` are there (an update); records that are not change
//! events, and tombstones, pass unchanged.
//!
//! One deliberate difference: Java compares a `bytes` field's two arrays by identity, so it
//! reports every non-null `bytes` field as changed; here they are compared by content.

use cdc_core::{ConfigErrors, ConfigMap, Value};

use crate::chain::Props;
use crate::debezium_config::{as_struct, is_envelope, struct_get};
use crate::{ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.ExtractChangedRecordState"];

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
    // Blank names add no header (`Strings.isNullOrBlank`); the names are not trimmed.
    let changed = p
        .raw(config, "header.changed.name")
        .filter(|n| !n.trim().is_empty());
    let unchanged = p
        .raw(config, "header.unchanged.name")
        .filter(|n| !n.trim().is_empty());
    Some(
        p.finish().map(|()| {
            Box::new(ExtractChangedRecordState { changed, unchanged }) as Box<dyn Transform>
        }),
    )
}

struct ExtractChangedRecordState {
    changed: Option<String>,
    unchanged: Option<String>,
}

impl Transform for ExtractChangedRecordState {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(value) = record.value.as_ref().filter(|v| is_envelope(v)) else {
            return Ok(Some(record));
        };
        let (schema, values) = as_struct(value)
            .ok_or("Only Struct objects supported for [Record value should be struct.]")?;
        let (after_schema, after) = struct_get(schema, values, "after")?;
        let (before_schema, before) = struct_get(schema, values, "before")?;
        let mut changed = Vec::new();
        let mut unchanged = Vec::new();
        if !after.is_null() && !before.is_null() {
            let (Value::Struct(after), Value::Struct(before)) = (after, before) else {
                return Err(
                    "Only Struct objects supported for [After value should be struct.]".into(),
                );
            };
            for (i, field) in after_schema.fields.iter().enumerate() {
                let j = before_schema
                    .fields
                    .iter()
                    .position(|f| f.name == field.name)
                    .ok_or_else(|| format!("{} is not a valid field name", field.name))?;
                let a = after.get(i).unwrap_or(&Value::Null);
                let b = before.get(j).unwrap_or(&Value::Null);
                if java_equals(a, b) {
                    unchanged.push(field.name.as_str());
                } else {
                    changed.push(field.name.as_str());
                }
            }
        }
        let changed = self
            .changed
            .as_ref()
            .map(|h| (h.clone(), header_array(&changed)));
        let unchanged = self
            .unchanged
            .as_ref()
            .map(|h| (h.clone(), header_array(&unchanged)));
        record.headers.extend(changed.into_iter().chain(unchanged));
        Ok(Some(record))
    }
}

/// `Objects.equals` on two Connect values (floats by their bits, as `Float.equals`: NaN equals
/// NaN, 0.0 is not -0.0), except that bytes compare by content (see the module's note).
fn java_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => float_bits32(*x) == float_bits32(*y),
        (Value::Float64(x), Value::Float64(y)) => float_bits64(*x) == float_bits64(*y),
        (Value::Array(x), Value::Array(y)) | (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| java_equals(x, y))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| java_equals(k, k2) && java_equals(v, v2))
                })
        }
        _ => a == b,
    }
}

fn float_bits32(f: f32) -> u32 {
    if f.is_nan() {
        0x7fc0_0000
    } else {
        f.to_bits()
    }
}

fn float_bits64(f: f64) -> u64 {
    if f.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        f.to_bits()
    }
}

/// An array of strings as `SimpleHeaderConverter` writes it (`Values.convertToString`): each
/// string quoted, backslashes and quotes escaped, comma-separated in brackets.
fn header_array(names: &[&str]) -> Option<Vec<u8>> {
    let mut out = String::from("[");
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&n.replace('\\', "\\\\").replace('"', "\\\""));
        out.push('"');
    }
    out.push(']');
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_arrays_are_written_as_connect_writes_them() {
        assert_eq!(header_array(&[]).unwrap(), b"[]");
        assert_eq!(header_array(&["a", "b\"c"]).unwrap(), br#"["a","b\"c"]"#);
        assert!(java_equals(
            &Value::Float64(f64::NAN),
            &Value::Float64(f64::NAN)
        ));
        assert!(!java_equals(&Value::Float64(0.0), &Value::Float64(-0.0)));
    }
}
