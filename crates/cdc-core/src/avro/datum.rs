//! Connect value → Avro binary encoding of the schema [`super::avro_schema`] gives, written
//! straight into a buffer: zig-zag varints for int and long, little-endian IEEE floats,
//! length-prefixed bytes and strings, union branch indexes, arrays and maps as one block plus
//! the empty end block.

use crate::schema::{Schema, SchemaType};
use crate::value::Value;

use super::schema::{map_has_string_keys, null_first};

/// A value that does not fit its schema (Connect's `DataException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert to Avro: {found} does not match schema type {expected} at {path}")]
pub struct AvroDataError {
    /// Field path from the top of the value (`after.id`), or `<root>`.
    pub path: String,
    pub expected: String,
    pub found: String,
}

/// Appends the Avro binary encoding of `value` under `schema`.
pub fn write_datum(out: &mut Vec<u8>, schema: &Schema, value: &Value) -> Result<(), AvroDataError> {
    write(out, schema, value).map_err(|mut e| {
        if e.path.is_empty() {
            e.path = "<root>".into();
        }
        e
    })
}

fn write(out: &mut Vec<u8>, schema: &Schema, value: &Value) -> Result<(), AvroDataError> {
    if schema.optional {
        let null_index = if null_first(schema) { 0 } else { 1 };
        if value.is_null() {
            write_long(out, null_index);
            return Ok(());
        }
        write_long(out, 1 - null_index);
    }
    match (schema.kind, value) {
        (SchemaType::Int8, Value::Int8(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int16, Value::Int16(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int32, Value::Int32(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int64, Value::Int64(v)) => write_long(out, *v),
        (SchemaType::Float32, Value::Float32(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Float64, Value::Float64(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Boolean, Value::Boolean(b)) => out.push(u8::from(*b)),
        (SchemaType::String, Value::String(s)) => write_bytes(out, s.as_bytes()),
        (SchemaType::Bytes, Value::Bytes(b)) => write_bytes(out, b),
        (SchemaType::Array, Value::Array(items)) => {
            let item_schema = schema.items.as_deref().ok_or_else(|| missing("items"))?;
            if !items.is_empty() {
                write_long(out, items.len() as i64);
                for (i, item) in items.iter().enumerate() {
                    write(out, item_schema, item).map_err(|e| nest(e, &i.to_string()))?;
                }
            }
            write_long(out, 0);
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let keys = schema.keys.as_deref().ok_or_else(|| missing("keys"))?;
            let values = schema.items.as_deref().ok_or_else(|| missing("values"))?;
            let string_keys = map_has_string_keys(schema);
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    if string_keys {
                        match k {
                            Value::String(s) => write_bytes(out, s.as_bytes()),
                            other => return Err(mismatch(keys, other)),
                        }
                    } else {
                        write(out, keys, k).map_err(|e| nest(e, "key"))?;
                    }
                    write(out, values, v).map_err(|e| nest(e, "value"))?;
                }
            }
            write_long(out, 0);
        }
        (SchemaType::Struct, Value::Struct(values)) => {
            if values.len() != schema.fields.len() {
                return Err(AvroDataError {
                    path: String::new(),
                    expected: format!("struct of {} fields", schema.fields.len()),
                    found: format!("struct of {} values", values.len()),
                });
            }
            for (f, v) in schema.fields.iter().zip(values) {
                write(out, &f.schema, v).map_err(|e| nest(e, &f.name))?;
            }
        }
        (_, other) => return Err(mismatch(schema, other)),
    }
    Ok(())
}

fn missing(what: &str) -> AvroDataError {
    AvroDataError {
        path: String::new(),
        expected: format!("a schema with {what}"),
        found: "a schema without".into(),
    }
}

fn mismatch(schema: &Schema, value: &Value) -> AvroDataError {
    let found = value.kind();
    let optional = if schema.optional { "optional " } else { "" };
    AvroDataError {
        path: String::new(),
        expected: format!("{optional}{}", schema.kind.json_name()),
        found: format!("a {found} value"),
    }
}

fn nest(mut e: AvroDataError, segment: &str) -> AvroDataError {
    e.path = if e.path.is_empty() {
        segment.to_owned()
    } else {
        format!("{segment}.{}", e.path)
    };
    e
}

/// Avro `long`/`int`: zig-zag, then a little-endian base-128 varint.
#[inline]
pub fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[inline]
fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}
