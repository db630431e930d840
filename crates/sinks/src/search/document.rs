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
    /// An index request: `op_type=index` (`create` into a data stream), the whole document.
    Index {
        index: String,
        create: bool,
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
    #[error("{at}: a data stream document must be a JSON object, not {kind}")]
    NotAnObject { at: String, kind: &'static str },
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
    let version = if ignore_key || config.data_stream.is_some() {
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
    let mut source = payload(config, record, value)?;
    if let Some(ds) = &config.data_stream {
        source = with_timestamp(source, &ds.timestamp_fields, record)?;
    }
    let create = config.data_stream.is_some();
    Ok(Some(match config.write_method {
        WriteMethod::Upsert => Action::Upsert {
            index: index.to_owned(),
            id,
            retry_on_conflict: config.max_in_flight.min(5),
            source,
        },
        WriteMethod::Insert if config.autogenerated_ids => Action::Index {
            index: index.to_owned(),
            create,
            id: None,
            version: None,
            source,
        },
        WriteMethod::Insert => Action::Index {
            index: index.to_owned(),
            create,
            id: Some(id),
            version,
            source,
        },
    }))
}

/// A data stream document with `@timestamp` (Confluent's `maybeAddTimestamp`): the first of
/// `fields` the document has, as text; without `fields`, the record's timestamp.
fn with_timestamp(
    source: Vec<u8>,
    fields: &[String],
    record: &SinkRecord,
) -> Result<Vec<u8>, DocumentError> {
    let mut doc: Json = serde_json::from_slice(&source).unwrap_or(Json::Null);
    let Some(obj) = doc.as_object_mut() else {
        let kind = match doc {
            Json::Array(_) => "an array",
            Json::String(_) => "a string",
            Json::Number(_) => "a number",
            Json::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(DocumentError::NotAnObject {
            at: at(record),
            kind,
        });
    };
    if fields.is_empty() {
        obj.insert("@timestamp".into(), record.timestamp_ms.into());
    } else {
        let Some(v) = fields.iter().find_map(|f| obj.get(f)) else {
            return Ok(source);
        };
        // Jackson's asText(): numbers and booleans as their text, containers as "".
        let text = match v {
            Json::String(s) => s.clone(),
            Json::Number(n) => n.to_string(),
            Json::Bool(b) => b.to_string(),
            _ => String::new(),
        };
        obj.insert("@timestamp".into(), Json::String(text));
    }
    Ok(serde_json::to_vec(&doc).expect("serializing JSON"))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cdc_core::{ConfigMap, Schema, SchemaAndValue, SinkRecord, Value};
    use serde_json::json;

    use super::*;

    fn config(extra: &[(&str, &str)]) -> SearchSinkConfig {
        let mut m = ConfigMap::new();
        m.insert("connection.url".into(), "http://localhost:9200".into());
        for (k, v) in extra {
            m.insert((*k).into(), (*v).into());
        }
        SearchSinkConfig::from_map(&m).unwrap()
    }

    fn row_schema() -> Arc<Schema> {
        Arc::new(
            Schema::structure("v")
                .field("id", Schema::int32())
                .field(
                    "price",
                    Schema::bytes()
                        .named(logical::DECIMAL)
                        .param("scale", "2")
                        .optional(),
                )
                .field(
                    "qty",
                    Schema::int32().optional().default_value(Value::Int32(1)),
                ),
        )
    }

    fn record(key: Option<Value>, value: Option<Vec<Value>>) -> SinkRecord {
        SinkRecord {
            topic: "Orders".into(),
            partition: 0,
            offset: 7,
            timestamp_ms: None,
            key: key.map(|k| SchemaAndValue {
                schema: None,
                value: k,
            }),
            value: value.map(|v| SchemaAndValue {
                schema: Some(row_schema()),
                value: Value::Struct(v),
            }),
            headers: vec![("v".into(), Some(b"42".to_vec()))],
            origin: None,
        }
    }

    fn row() -> Vec<Value> {
        // 12.34 as unscaled 1234, big-endian.
        vec![Value::Int32(1), Value::Bytes(vec![0x04, 0xd2]), Value::Null]
    }

    fn source(a: &Action) -> serde_json::Value {
        match a {
            Action::Index { source, .. } | Action::Upsert { source, .. } => {
                serde_json::from_slice(source).unwrap()
            }
            Action::Delete { .. } => serde_json::Value::Null,
        }
    }

    #[test]
    fn a_keyed_record_is_indexed_with_its_offset_as_external_version() {
        let a = convert(
            &config(&[]),
            &record(Some(Value::Int32(1)), Some(row())),
            "orders",
        )
        .unwrap()
        .unwrap();
        let Action::Index { id, version, .. } = &a else {
            panic!("{a:?}")
        };
        assert_eq!((id.as_deref(), *version), (Some("1"), Some(7)));
        // The schema is not ignored: Confluent's preprocessing (decimal as double, null as
        // the field's default).
        assert_eq!(source(&a), json!({"id": 1, "price": 12.34, "qty": 1}));
    }

    #[test]
    fn with_schema_ignore_the_value_is_jsonconverters_payload() {
        let c = config(&[("schema.ignore", "true")]);
        let a = convert(&c, &record(Some(Value::Int32(1)), Some(row())), "orders")
            .unwrap()
            .unwrap();
        // JsonConverter writes a null field's default (replace.null.with.default).
        assert_eq!(source(&a), json!({"id": 1, "price": "BNI=", "qty": 1}));
    }

    #[test]
    fn with_key_ignore_the_id_is_topic_partition_offset_without_version() {
        let c = config(&[("key.ignore", "true")]);
        let a = convert(&c, &record(None, Some(row())), "orders")
            .unwrap()
            .unwrap();
        assert!(
            matches!(&a, Action::Index { id: Some(id), version: None, .. } if id == "Orders+0+7"),
            "{a:?}"
        );
        let c = config(&[("topic.key.ignore", "Orders")]);
        assert!(convert(&c, &record(None, Some(row())), "orders").is_ok());
    }

    #[test]
    fn a_struct_key_names_the_transform_to_add() {
        let mut r = record(Some(Value::Struct(vec![Value::Int32(1)])), Some(row()));
        r.key.as_mut().unwrap().schema = Some(Arc::new(
            Schema::structure("k").field("id", Schema::int32()),
        ));
        let e = convert(&config(&[]), &r, "orders").unwrap_err().to_string();
        assert!(
            e.contains("ExtractField$Key") && e.contains("transforms.key.field=id"),
            "{e}"
        );
        let e = convert(&config(&[]), &record(None, Some(row())), "orders").unwrap_err();
        assert!(matches!(e, DocumentError::NullKey { .. }), "{e}");
    }

    #[test]
    fn null_values_follow_behavior_on_null_values() {
        let tombstone = record(Some(Value::String("k".into())), None);
        let e = convert(&config(&[]), &tombstone, "orders").unwrap_err();
        assert!(e.to_string().contains("behavior.on.null.values"), "{e}");
        let c = config(&[("behavior.on.null.values", "ignore")]);
        assert_eq!(convert(&c, &tombstone, "orders").unwrap(), None);
        let c = config(&[("behavior.on.null.values", "DELETE")]);
        assert_eq!(
            convert(&c, &tombstone, "orders").unwrap(),
            Some(Action::Delete {
                index: "orders".into(),
                id: "k".into(),
                version: Some(7)
            })
        );
        // Without a key there is nothing to delete.
        assert_eq!(convert(&c, &record(None, None), "orders").unwrap(), None);
    }

    #[test]
    fn upserts_and_header_versions() {
        let c = config(&[("write.method", "upsert"), ("max.in.flight.requests", "2")]);
        let a = convert(&c, &record(Some(Value::Int64(9)), Some(row())), "orders")
            .unwrap()
            .unwrap();
        assert!(
            matches!(&a, Action::Upsert { id, retry_on_conflict: 2, .. } if id == "9"),
            "{a:?}"
        );
        assert!(!a.external_version());
        let c = config(&[("external.version.header", "v")]);
        let a = convert(&c, &record(Some(Value::Int64(9)), Some(row())), "orders")
            .unwrap()
            .unwrap();
        assert!(
            matches!(
                a,
                Action::Index {
                    version: Some(42),
                    ..
                }
            ),
            "{a:?}"
        );
        let c = config(&[("external.version.header", "missing")]);
        assert!(convert(&c, &record(Some(Value::Int64(9)), Some(row())), "orders").is_err());
    }
}
