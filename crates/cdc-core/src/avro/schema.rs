//! Connect schema → Avro schema, following Confluent's `AvroData.fromConnectSchema` with its
//! defaults (`connect.meta.data=true`, `enhanced.avro.schema.support=false`,
//! `scrub.invalid.names=false`), so the schemas we register are the ones Debezium on Kafka
//! Connect registers:
//!
//! * a struct is a record named by the Connect name split at its last dot
//!   (`dbserver1.inventory.customers.Value` → namespace `dbserver1.inventory.customers`, name
//!   `Value`); unnamed structs are `io.confluent.connect.avro.ConnectDefault`, `ConnectDefault2`,
//!   ...; a name seen before is written as a reference (the envelope's `after` refers to the
//!   `Value` record `before` defined);
//! * int8/int16 are Avro ints with `"connect.type"`; every named, versioned, documented or
//!   parameterized schema carries `connect.name`, `connect.version`, `connect.doc`,
//!   `connect.parameters` and `connect.default`;
//! * Connect's Decimal, Date, Time and Timestamp are Avro's `decimal` (precision from
//!   `connect.decimal.precision`, else 64), `date`, `time-millis` and `timestamp-millis`;
//! * an optional schema is a union with null first and the field default `null`; an optional
//!   schema with a default value puts its type first and null second, and the field default is
//!   that value;
//! * a map with string keys is an Avro map; any other map is an array of
//!   `io.confluent.connect.avro.MapEntry` records (`key`, `value`).

use std::collections::HashSet;

use serde_json::{json, Map, Value as Json};

use crate::schema::{logical, Schema, SchemaType};
use crate::value::Value;

/// Confluent's namespace for records it names itself.
pub const NAMESPACE: &str = "io.confluent.connect.avro";
/// Precision of a Decimal without `connect.decimal.precision`.
pub const DEFAULT_DECIMAL_PRECISION: u32 = 64;

/// The Avro schema of a Connect schema, as JSON.
pub fn avro_schema(schema: &Schema) -> Json {
    let mut ctx = Context::default();
    ctx.convert(schema, false)
}

/// The full name Confluent's `RecordNameStrategy` uses for a schema: the record's full name for
/// a struct, the Avro type name otherwise.
pub fn record_full_name(schema: &Schema) -> String {
    match schema.kind {
        SchemaType::Struct => schema
            .name
            .clone()
            .unwrap_or_else(|| format!("{NAMESPACE}.ConnectDefault")),
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 => "int".into(),
        SchemaType::Int64 => "long".into(),
        SchemaType::Float32 => "float".into(),
        SchemaType::Float64 => "double".into(),
        SchemaType::Boolean => "boolean".into(),
        SchemaType::String => "string".into(),
        SchemaType::Bytes => "bytes".into(),
        SchemaType::Array => "array".into(),
        SchemaType::Map => {
            if map_has_string_keys(schema) {
                "map".into()
            } else {
                "array".into()
            }
        }
    }
}

/// Whether an optional schema's union puts null first (index 0). AvroData puts the type first
/// when the (non-struct) schema has a default value, so that the default matches the first
/// branch as Avro requires.
pub(crate) fn null_first(schema: &Schema) -> bool {
    schema.default.is_none() || schema.kind == SchemaType::Struct
}

pub(crate) fn map_has_string_keys(schema: &Schema) -> bool {
    schema
        .keys
        .as_deref()
        .is_some_and(|k| k.kind == SchemaType::String && !k.optional)
}

#[derive(Default)]
struct Context {
    /// Full names of the records already defined in this schema.
    defined: HashSet<String>,
    /// Unnamed structs numbered so far.
    unnamed: u32,
}

impl Context {
    fn convert(&mut self, s: &Schema, ignore_optional: bool) -> Json {
        if s.kind == SchemaType::Struct {
            let record = self.record(s);
            return if s.optional && !ignore_optional {
                json!(["null", record])
            } else {
                record
            };
        }
        let mut base = Map::new();
        let mut connect_type = None;
        let avro_type: Json = match s.kind {
            SchemaType::Int8 => {
                connect_type = Some("int8");
                "int".into()
            }
            SchemaType::Int16 => {
                connect_type = Some("int16");
                "int".into()
            }
            SchemaType::Int32 => "int".into(),
            SchemaType::Int64 => "long".into(),
            SchemaType::Float32 => "float".into(),
            SchemaType::Float64 => "double".into(),
            SchemaType::Boolean => "boolean".into(),
            SchemaType::String => "string".into(),
            SchemaType::Bytes => "bytes".into(),
            SchemaType::Array => {
                base.insert("type".into(), "array".into());
                let items = s
                    .items
                    .as_deref()
                    .map_or(Json::from("null"), |i| self.convert(i, false));
                base.insert("items".into(), items);
                Json::Null
            }
            SchemaType::Map if map_has_string_keys(s) => {
                base.insert("type".into(), "map".into());
                let values = s
                    .items
                    .as_deref()
                    .map_or(Json::from("null"), |v| self.convert(v, false));
                base.insert("values".into(), values);
                Json::Null
            }
            SchemaType::Map => {
                base.insert("type".into(), "array".into());
                base.insert("items".into(), self.map_entry(s));
                Json::Null
            }
            SchemaType::Struct => Json::Null, // handled above
        };
        if !avro_type.is_null() {
            base.insert("type".into(), avro_type);
        }
        if s.name.as_deref() == Some(logical::DECIMAL) {
            let scale: u32 = s
                .parameter("scale")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let precision: u32 = s
                .parameter("connect.decimal.precision")
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_DECIMAL_PRECISION);
            base.insert("scale".into(), scale.into());
            base.insert("precision".into(), precision.into());
        }
        self.metadata(&mut base, s);
        if let Some(t) = connect_type {
            base.insert("connect.type".into(), t.into());
        }
        let logical_type = match s.name.as_deref() {
            Some(logical::DECIMAL) => Some("decimal"),
            Some(logical::CONNECT_DATE) => Some("date"),
            Some(logical::CONNECT_TIME) => Some("time-millis"),
            Some(logical::CONNECT_TIMESTAMP) => Some("timestamp-millis"),
            _ => None,
        };
        if let Some(l) = logical_type {
            base.insert("logicalType".into(), l.into());
        }
        let base = if base.len() == 1 && base.get("type").is_some_and(Json::is_string) {
            base.remove("type").unwrap_or(Json::Null)
        } else {
            Json::Object(base)
        };
        if s.optional && !ignore_optional {
            if null_first(s) {
                json!(["null", base])
            } else {
                json!([base, "null"])
            }
        } else {
            base
        }
    }

    fn metadata(&self, base: &mut Map<String, Json>, s: &Schema) {
        if let Some(doc) = &s.doc {
            base.insert("connect.doc".into(), doc.as_str().into());
        }
        if let Some(v) = s.version {
            base.insert("connect.version".into(), v.into());
        }
        if !s.parameters.is_empty() {
            let params: Map<String, Json> = s
                .parameters
                .iter()
                .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
                .collect();
            base.insert("connect.parameters".into(), Json::Object(params));
        }
        if let Some(d) = &s.default {
            base.insert("connect.default".into(), default_json(s, d));
        }
        if let Some(name) = &s.name {
            base.insert("connect.name".into(), name.as_str().into());
        }
    }

    fn record(&mut self, s: &Schema) -> Json {
        let full = match &s.name {
            Some(n) => n.clone(),
            None => {
                self.unnamed += 1;
                if self.unnamed > 1 {
                    format!("{NAMESPACE}.ConnectDefault{}", self.unnamed)
                } else {
                    format!("{NAMESPACE}.ConnectDefault")
                }
            }
        };
        if s.name.is_some() && !self.defined.insert(full.clone()) {
            return Json::String(full);
        }
        let mut record = Map::new();
        record.insert("type".into(), "record".into());
        let (namespace, name) = split_name(&full);
        record.insert("name".into(), name.into());
        if let Some(ns) = namespace {
            record.insert("namespace".into(), ns.into());
        }
        let fields: Vec<Json> = s
            .fields
            .iter()
            .map(|f| {
                let mut field = Map::new();
                field.insert("name".into(), f.name.as_str().into());
                field.insert("type".into(), self.convert(&f.schema, false));
                if let Some(d) = &f.schema.default {
                    field.insert("default".into(), default_json(&f.schema, d));
                } else if f.schema.optional {
                    field.insert("default".into(), Json::Null);
                }
                Json::Object(field)
            })
            .collect();
        record.insert("fields".into(), Json::Array(fields));
        self.metadata(&mut record, s);
        Json::Object(record)
    }

    /// The `MapEntry` record of a map whose keys are not required strings.
    fn map_entry(&mut self, s: &Schema) -> Json {
        let full = match &s.name {
            Some(n) => n.clone(),
            None => format!("{NAMESPACE}.MapEntry"),
        };
        if !self.defined.insert(full.clone()) {
            return Json::String(full);
        }
        let (namespace, name) = split_name(&full);
        let mut record = Map::new();
        record.insert("type".into(), "record".into());
        record.insert("name".into(), name.into());
        if let Some(ns) = namespace {
            record.insert("namespace".into(), ns.into());
        }
        let mut fields = Vec::with_capacity(2);
        for (field, schema) in [("key", s.keys.as_deref()), ("value", s.items.as_deref())] {
            let mut f = Map::new();
            f.insert("name".into(), field.into());
            let t = schema.map_or(Json::from("null"), |sc| self.convert(sc, false));
            f.insert("type".into(), t);
            if let Some(sc) = schema {
                if let Some(d) = &sc.default {
                    f.insert("default".into(), default_json(sc, d));
                } else if sc.optional {
                    f.insert("default".into(), Json::Null);
                }
            }
            fields.push(Json::Object(f));
        }
        record.insert("fields".into(), Json::Array(fields));
        if s.name.is_some() {
            record.insert("connect.internal.type".into(), "MapEntry".into());
        }
        Json::Object(record)
    }
}

fn split_name(full: &str) -> (Option<&str>, &str) {
    match full.rsplit_once('.') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, full),
    }
}

/// A Connect default value as Avro's JSON encoding of defaults (bytes as ISO-8859-1 text).
fn default_json(schema: &Schema, value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int8(v) => Json::from(*v),
        Value::Int16(v) => Json::from(*v),
        Value::Int32(v) => Json::from(*v),
        Value::Int64(v) => Json::from(*v),
        Value::Float32(v) => Json::from(f64::from(*v)),
        Value::Float64(v) => Json::from(*v),
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(b) => Json::String(b.iter().map(|&c| char::from(c)).collect()),
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|i| match schema.items.as_deref() {
                    Some(s) => default_json(s, i),
                    None => Json::Null,
                })
                .collect(),
        ),
        Value::Map(entries) => {
            let (ks, vs) = (schema.keys.as_deref(), schema.items.as_deref());
            if map_has_string_keys(schema) {
                Json::Object(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            let key = match k {
                                Value::String(s) => s.to_string(),
                                _ => String::new(),
                            };
                            (key, vs.map_or(Json::Null, |s| default_json(s, v)))
                        })
                        .collect(),
                )
            } else {
                Json::Array(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            json!({
                                "key": ks.map_or(Json::Null, |s| default_json(s, k)),
                                "value": vs.map_or(Json::Null, |s| default_json(s, v)),
                            })
                        })
                        .collect(),
                )
            }
        }
        Value::Struct(values) => Json::Object(
            schema
                .fields
                .iter()
                .zip(values)
                .map(|(f, v)| (f.name.clone(), default_json(&f.schema, v)))
                .collect(),
        ),
    }
}
