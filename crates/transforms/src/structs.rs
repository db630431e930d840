//! What Connect's transforms share: the key or value a `$Key`/`$Value` variant works on,
//! `Requirements`' checks, `SchemaUtil.copySchemaBasics`, and `Struct.get` with defaults.

use std::sync::Arc;

use cdc_core::{Field, Schema, SchemaAndValue, SchemaType, Value};

use crate::ConnectRecord;

/// Which half of the record a `$Key`/`$Value` transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    /// From a class name's `$Key`/`$Value` suffix, with the class name before it.
    pub fn split(class: &str) -> Option<(&str, Side)> {
        if let Some(base) = class.strip_suffix("$Key") {
            Some((base, Side::Key))
        } else {
            class.strip_suffix("$Value").map(|base| (base, Side::Value))
        }
    }

    pub fn get<'r>(&self, r: &'r ConnectRecord) -> Option<&'r SchemaAndValue> {
        match self {
            Side::Key => r.key.as_ref(),
            Side::Value => r.value.as_ref(),
        }
    }

    /// Takes the key or value out of the record (set it back with [`Side::set`]).
    pub fn take(&self, r: &mut ConnectRecord) -> Option<SchemaAndValue> {
        match self {
            Side::Key => r.key.take(),
            Side::Value => r.value.take(),
        }
    }

    pub fn set(&self, r: &mut ConnectRecord, v: Option<SchemaAndValue>) {
        match self {
            Side::Key => r.key = v,
            Side::Value => r.value = v,
        }
    }
}

/// Java's class name of a value, for `Requirements`' messages.
pub fn java_class(v: &Value, schema: Option<&Schema>) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Boolean(_) => "java.lang.Boolean",
        Value::Int8(_) => "java.lang.Byte",
        Value::Int16(_) => "java.lang.Short",
        Value::Int32(_) | Value::Int64(_)
            if schema
                .and_then(|s| s.name.as_deref())
                .is_some_and(is_connect_date_like) =>
        {
            "java.util.Date"
        }
        Value::Int32(_) => "java.lang.Integer",
        Value::Int64(_) => "java.lang.Long",
        Value::Float32(_) => "java.lang.Float",
        Value::Float64(_) => "java.lang.Double",
        Value::String(_) => "java.lang.String",
        Value::Bytes(_) if schema.and_then(|s| s.name.as_deref()) == Some(DECIMAL) => {
            "java.math.BigDecimal"
        }
        Value::Bytes(_) => "[B",
        Value::Array(_) => "java.util.ArrayList",
        Value::Map(_) => "java.util.HashMap",
        Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
    }
}

pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

fn is_connect_date_like(name: &str) -> bool {
    matches!(
        name,
        "org.apache.kafka.connect.data.Date"
            | "org.apache.kafka.connect.data.Time"
            | "org.apache.kafka.connect.data.Timestamp"
    )
}

/// `Requirements.requireMap`: a schemaless value must be a map.
pub fn require_map<'v>(v: &'v Value, purpose: &str) -> Result<&'v [(Value, Value)], String> {
    match v {
        Value::Map(entries) => Ok(entries),
        other => Err(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            java_class(other, None)
        )),
    }
}

/// `Requirements.requireStruct`: a value with a schema must be a struct.
pub fn require_struct<'v>(
    v: &'v SchemaAndValue,
    purpose: &str,
) -> Result<(&'v Arc<Schema>, &'v [Value]), String> {
    match (&v.schema, &v.value) {
        (Some(schema), Value::Struct(values)) if schema.kind == SchemaType::Struct => {
            Ok((schema, values))
        }
        (schema, other) => Err(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            java_class(other, schema.as_deref())
        )),
    }
}

/// [`require_struct`] on an owned key or value: its schema and its values moved out, a null
/// field read as its default when `replace_null_with_default` (as [`field_value`]).
pub fn take_struct(
    v: SchemaAndValue,
    purpose: &str,
    replace_null_with_default: bool,
) -> Result<(Arc<Schema>, Vec<Value>), String> {
    require_struct(&v, purpose)?;
    let (Some(schema), Value::Struct(values)) = (v.schema, v.value) else {
        unreachable!("require_struct checked both");
    };
    let values = schema
        .fields
        .iter()
        .zip(values)
        .map(|(f, v)| match (&v, &f.schema.default) {
            (Value::Null, Some(d)) if replace_null_with_default => d.clone(),
            _ => v,
        })
        .collect();
    Ok((schema, values))
}

/// `SchemaUtil.copySchemaBasics` into a new struct schema: name, version, doc, parameters (not
/// optionality, not the default).
pub fn struct_basics(schema: &Schema) -> Schema {
    let mut out = Schema::new(SchemaType::Struct);
    out.name = schema.name.clone();
    out.version = schema.version;
    out.doc = schema.doc.clone();
    out.parameters = schema.parameters.clone();
    out
}

/// `Struct.get(field)` (the field's default when the value is null and
/// `replace.null.with.default`) or `getWithoutDefault`.
pub fn field_value(field: &Field, value: &Value, replace_null_with_default: bool) -> Value {
    match (value, &field.schema.default) {
        (Value::Null, Some(default)) if replace_null_with_default => default.clone(),
        _ => value.clone(),
    }
}

/// A schemaless map's entry by string key.
pub fn map_get<'m>(entries: &'m [(Value, Value)], key: &str) -> Option<&'m Value> {
    entries
        .iter()
        .find(|(k, _)| matches!(k, Value::String(s) if &**s == key))
        .map(|(_, v)| v)
}

/// Sets a schemaless map's entry (replacing the one with that key, else appended).
pub fn map_put(entries: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match entries
        .iter_mut()
        .find(|(k, _)| matches!(k, Value::String(s) if &**s == key))
    {
        Some((_, v)) => *v = value,
        None => entries.push((Value::String(key.into()), value)),
    }
}

/// The position of field `name` in `schema`.
pub fn field_index(schema: &Schema, name: &str) -> Option<usize> {
    schema.fields.iter().position(|f| f.name == name)
}

/// Schemas a transform derived, by the schema they were derived from (its `Arc`'s address; each
/// entry holds that `Arc`, so the address is not reused while cached), as Connect's transforms
/// keep theirs: the same input schema gives the same output `Arc`, which the converters' own
/// caches (by address) and the registry's ids then recognise. Bounded.
#[derive(Default)]
pub struct SchemaMemo(std::sync::Mutex<Vec<(Arc<Schema>, Arc<Schema>)>>);

impl SchemaMemo {
    const KEEP: usize = 64;

    pub fn get_or(&self, input: &Arc<Schema>, make: impl FnOnce() -> Schema) -> Arc<Schema> {
        let mut memo = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, out)) = memo.iter().find(|(i, _)| Arc::ptr_eq(i, input)) {
            return out.clone();
        }
        let out = Arc::new(make());
        if memo.len() >= Self::KEEP {
            memo.remove(0);
        }
        memo.push((input.clone(), out.clone()));
        out
    }
}

/// A header value's bytes as `SimpleHeaderConverter` writes a primitive (`None`: a null header).
pub fn header_bytes(v: &Value) -> Option<Vec<u8>> {
    Some(
        match v {
            Value::Null => return None,
            Value::Boolean(b) => b.to_string(),
            Value::Int8(n) => n.to_string(),
            Value::Int16(n) => n.to_string(),
            Value::Int32(n) => n.to_string(),
            Value::Int64(n) => n.to_string(),
            Value::Float32(n) => n.to_string(),
            Value::Float64(n) => n.to_string(),
            Value::String(s) => s.to_string(),
            Value::Bytes(b) => return Some(b.clone()),
            other => format!("{other:?}"),
        }
        .into_bytes(),
    )
}
