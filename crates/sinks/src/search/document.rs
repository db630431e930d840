//! Records to bulk actions (Confluent's `DataConverter.convertRecord`): the document id from the
//! key or from `topic+partition+offset`, the body as Connect's JsonConverter writes the value
//! (`schemas.enable=false`) — after Confluent's preprocessing when the schema is not ignored
//! (decimals as doubles, non-compact maps as key/value arrays, null fields as their defaults) —
//! and the external version (the offset, or a header) that makes a replay harmless.

use cdc_core::json::DecimalFormat;
use cdc_core::schema::logical;
use cdc_core::{Schema, SchemaAndValue, SchemaType, SinkRecord, Value};
use serde_json::{Map, Value as Json};

use super::config::{NullValues, SearchSinkConfig, WriteMethod};
use super::mapping::decimal_f64;

/// What one record asks of the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// An index request: `op_type=index`, the whole document.
    Index {
        index: String,
        id: Option<String>,
        version: Option<i64>,
        source: Vec<u8>,
    },
    /// An update request with the document as `doc` and `upsert`.
    Upsert {
        index: String,
        id: String,
        retry_on_conflict: usize,
        source: Vec<u8>,
    },
    Delete {
        index: String,
        id: String,
        version: Option<i64>,
    },
}

impl Action {
    /// Whether the engine checks the request's version (a replay of it is refused as a
    /// version conflict, which is success).
    pub fn external_version(&self) -> bool {
        matches!(
            self,
            Action::Index {
                version: Some(_),
                ..
            } | Action::Delete {
                version: Some(_),
                ..
            }
        )
    }
}

/// Why a record cannot become a request. Messages never show the record's values.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DocumentError {
    #[error("{at} has a null value (to ignore records like this, set behavior.on.null.values to ignore, or to delete to delete the document)")]
    NullValue { at: String },
    #[error("{at}: the key is used as the document id and cannot be null (set key.ignore=true to use topic+partition+offset)")]
    NullKey { at: String },
    #[error("{at}: the key is used as the document id and cannot be empty")]
    EmptyKey { at: String },
    #[error("{at}: the key is a struct ({fields}), and a document id must be an integer or a string; add the transform org.apache.kafka.connect.transforms.ExtractField$Key with field={first} (transforms=key, transforms.key.type=org.apache.kafka.connect.transforms.ExtractField$Key, transforms.key.field={first}), or set key.ignore=true")]
    StructKey {
        at: String,
        fields: String,
        first: String,
    },
    #[error("{at}: a {kind} key is not supported as the document id (integers and strings are)")]
    KeyKind { at: String, kind: &'static str },
    #[error("{at}: field {field:?} is null but required and has no default")]
    RequiredNull { at: String, field: String },
    #[error("{at}: the external version header {header:?} is missing or not a whole number")]
    VersionHeader { at: String, header: String },
}

/// Where a record was read, as Confluent's messages say it.
pub fn at(r: &SinkRecord) -> String {
    format!(
        "record from topic={} partition={} offset={}",
        r.topic, r.partition, r.offset
    )
}

/// The request for `record`, to `index`; `None` when it is skipped (a null value ignored, or a
/// delete without a key).
pub fn convert(
    config: &SearchSinkConfig,
    record: &SinkRecord,
    index: &str,
) -> Result<Option<Action>, DocumentError> {
    let topic = &*record.topic;
    let value = record.value.as_ref().filter(|v| !v.value.is_null());
    if value.is_none() {
        match config.null_values {
            NullValues::Ignore => return Ok(None),
            NullValues::Fail => return Err(DocumentError::NullValue { at: at(record) }),
            NullValues::Delete => {
                // Without a key there is no document to delete (Confluent ignores the record).
                if record.key.as_ref().is_none_or(|k| k.value.is_null()) {
                    return Ok(None);
                }
            }
        }
    }
    let ignore_key = config.ignores_key(topic);
    let id = if ignore_key {
        format!("{}+{}+{}", record.topic, record.partition, record.offset)
    } else {
        key_id(record)?
    };
    let version = if ignore_key {
        None
    } else {
        Some(version(config, record)?)
    };
    let Some(value) = value else {
        return Ok(Some(Action::Delete {
            index: index.to_owned(),
            id,
            version,
        }));
    };
    let source = payload(config, record, value)?;
    Ok(Some(match config.write_method {
        WriteMethod::Upsert => Action::Upsert {
            index: index.to_owned(),
            id,
            retry_on_conflict: config.max_in_flight.min(5),
            source,
        },
        WriteMethod::Insert if config.autogenerated_ids => Action::Index {
            index: index.to_owned(),
            id: None,
            version: None,
            source,
        },
        WriteMethod::Insert => Action::Index {
            index: index.to_owned(),
            id: Some(id),
            version,
            source,
        },
    }))
}

/// The document id from the record key: integers and strings only.
fn key_id(record: &SinkRecord) -> Result<String, DocumentError> {
    let Some(key) = record.key.as_ref().filter(|k| !k.value.is_null()) else {
        return Err(DocumentError::NullKey { at: at(record) });
    };
    let id = match &key.value {
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::String(s) => s.to_string(),
        Value::Struct(_) => {
            let names: Vec<&str> = key
                .schema
                .as_ref()
                .map(|s| s.fields.iter().map(|f| f.name.as_str()).collect())
                .unwrap_or_default();
            return Err(DocumentError::StructKey {
                at: at(record),
                fields: if names.is_empty() {
                    "no schema".into()
                } else {
                    format!("fields: {}", names.join(", "))
                },
                first: names.first().copied().unwrap_or("<field>").to_owned(),
            });
        }
        other => {
            return Err(DocumentError::KeyKind {
                at: at(record),
                kind: other.kind(),
            })
        }
    };
    if id.is_empty() {
        return Err(DocumentError::EmptyKey { at: at(record) });
    }
    Ok(id)
}

/// The external version: the record's offset, or `external.version.header`'s number.
fn version(config: &SearchSinkConfig, record: &SinkRecord) -> Result<i64, DocumentError> {
    let Some(header) = &config.external_version_header else {
        return Ok(record.offset as i64);
    };
    record
        .headers
        .iter()
        .rev()
        .find(|(name, _)| name == header)
        .and_then(|(_, v)| v.as_deref())
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.trim().parse::<i64>().ok())
        .ok_or_else(|| DocumentError::VersionHeader {
            at: at(record),
            header: header.clone(),
        })
}

/// The document's JSON bytes.
fn payload(
    config: &SearchSinkConfig,
    record: &SinkRecord,
    value: &SchemaAndValue,
) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::with_capacity(256);
    match &value.schema {
        Some(schema) if !config.ignores_schema(&record.topic) => {
            let json = preprocessed(config, record, schema, &value.value, "")?;
            serde_json::to_writer(&mut out, &json).expect("writing to a Vec");
        }
        Some(schema) => cdc_core::json_write::write_payload(
            &mut out,
            DecimalFormat::Base64,
            schema,
            &value.value,
        ),
        None => schemaless(&mut out, &value.value),
    }
    Ok(out)
}

/// A value without a schema, as JsonConverter writes it: maps with string keys as objects,
/// others as arrays of `[key, value]` pairs.
fn schemaless(out: &mut Vec<u8>, value: &Value) {
    let json = schemaless_json(value);
    serde_json::to_writer(out, &json).expect("writing to a Vec");
}

fn schemaless_json(value: &Value) -> Json {
    match value {
        Value::Array(items) => Json::Array(items.iter().map(schemaless_json).collect()),
        Value::Map(entries) if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) => {
            Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| match k {
                        Value::String(s) => (s.to_string(), schemaless_json(v)),
                        _ => unreachable!("all keys are strings"),
                    })
                    .collect(),
            )
        }
        Value::Map(entries) => Json::Array(
            entries
                .iter()
                .map(|(k, v)| Json::Array(vec![schemaless_json(k), schemaless_json(v)]))
                .collect(),
        ),
        leaf => leaf_json(&Schema::new(leaf_kind(leaf)), leaf),
    }
}

fn leaf_kind(v: &Value) -> SchemaType {
    match v {
        Value::Boolean(_) => SchemaType::Boolean,
        Value::Int8(_) => SchemaType::Int8,
        Value::Int16(_) => SchemaType::Int16,
        Value::Int32(_) => SchemaType::Int32,
        Value::Int64(_) => SchemaType::Int64,
        Value::Float32(_) => SchemaType::Float32,
        Value::Float64(_) => SchemaType::Float64,
        Value::Bytes(_) => SchemaType::Bytes,
        Value::Struct(_) => SchemaType::Struct,
        _ => SchemaType::String,
    }
}

/// One value as JsonConverter writes it under `schema`.
fn leaf_json(schema: &Schema, value: &Value) -> Json {
    let mut out = Vec::new();
    cdc_core::json_write::write_payload(&mut out, DecimalFormat::Base64, schema, value);
    serde_json::from_slice(&out).unwrap_or(Json::Null)
}

/// Confluent's `preProcessValue` then JsonConverter: decimals as doubles, maps with non-string
/// keys (or all maps with `compact.map.entries=false`) as arrays of `{"key", "value"}`, a null
/// as the field's default (or null when optional).
fn preprocessed(
    config: &SearchSinkConfig,
    record: &SinkRecord,
    schema: &Schema,
    value: &Value,
    field: &str,
) -> Result<Json, DocumentError> {
    if value.is_null() {
        return match &schema.default {
            Some(d) if !d.is_null() => preprocessed(config, record, schema, d, field),
            _ if schema.optional => Ok(Json::Null),
            _ => Err(DocumentError::RequiredNull {
                at: at(record),
                field: field.to_owned(),
            }),
        };
    }
    if schema.name.as_deref() == Some(logical::DECIMAL) {
        return Ok(decimal_f64(schema, value)
            .and_then(|f| serde_json::Number::from_f64(f).map(Json::Number))
            .unwrap_or(Json::Null));
    }
    Ok(match (schema.kind, value) {
        (SchemaType::Struct, Value::Struct(values)) => {
            let mut obj = Map::with_capacity(schema.fields.len());
            for (f, v) in schema.fields.iter().zip(values) {
                obj.insert(
                    f.name.clone(),
                    preprocessed(config, record, &f.schema, v, &f.name)?,
                );
            }
            Json::Object(obj)
        }
        (SchemaType::Array, Value::Array(items)) => {
            let item_schema = schema.items.as_deref().unwrap_or(schema);
            Json::Array(
                items
                    .iter()
                    .map(|v| preprocessed(config, record, item_schema, v, field))
                    .collect::<Result<_, _>>()?,
            )
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let keys = schema.keys.as_deref().unwrap_or(schema);
            let values = schema.items.as_deref().unwrap_or(schema);
            if config.compact_map_entries && keys.kind == SchemaType::String {
                let mut obj = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = match k {
                        Value::String(s) => s.to_string(),
                        _ => continue,
                    };
                    obj.insert(key, preprocessed(config, record, values, v, field)?);
                }
                Json::Object(obj)
            } else {
                let mut arr = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let mut obj = Map::with_capacity(2);
                    obj.insert("key".into(), preprocessed(config, record, keys, k, field)?);
                    obj.insert(
                        "value".into(),
                        preprocessed(config, record, values, v, field)?,
                    );
                    arr.push(Json::Object(obj));
                }
                Json::Array(arr)
            }
        }
        _ => leaf_json(schema, value),
    })
}
