//! The primary key of a row per `primary.key.mode` / `pk.mode` (research §2.3 and §5.1).
//!
//! | mode | key columns |
//! |---|---|
//! | `none` | none |
//! | `kafka` | `__connect_topic` (string), `__connect_partition` (int32), `__connect_offset` (int64); Confluent may rename them with `pk.fields` |
//! | `record_key` | a struct key's fields, or the listed subset; a primitive key needs exactly one name in the fields list (Confluent's rule; Debezium's behaviour there is **unconfirmed**, research §2.3) |
//! | `record_value` | the listed fields of the payload, or all of them |
//! | `record_header` | (Debezium) the headers, or the listed subset, each a text column |
//!
//! Deviation for `record_header`: Connect gives Debezium the headers as converted by the header
//! converter (typed by `SimpleHeaderConverter`); our records carry header bytes, so header
//! columns are text (UTF-8 required).

use std::sync::Arc;

use cdc_core::{Schema, SchemaType, SinkRecord, Value};

use super::config::{Flavor, PrimaryKeyMode};
use super::record::RecordError;

/// A field on its way to becoming a column: its name, schema and value.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue {
    pub name: String,
    pub schema: Arc<Schema>,
    pub value: Value,
}

/// The key fields of a record. `payload` is the struct the row is written from (`after`, or
/// the flat value), when there is one.
pub fn key_fields(
    mode: PrimaryKeyMode,
    flavor: Flavor,
    listed: &[String],
    record: &SinkRecord,
    payload: Option<(&Arc<Schema>, &Value)>,
) -> Result<Vec<FieldValue>, RecordError> {
    match mode {
        PrimaryKeyMode::None => Ok(Vec::new()),
        PrimaryKeyMode::Kafka => {
            let names: Vec<&str> = match flavor {
                Flavor::Confluent if listed.len() == 3 => {
                    listed.iter().map(String::as_str).collect()
                }
                _ => vec!["__connect_topic", "__connect_partition", "__connect_offset"],
            };
            let offset = i64::try_from(record.offset).map_err(|_| RecordError::OffsetRange)?;
            Ok(vec![
                FieldValue {
                    name: names[0].into(),
                    schema: Arc::new(Schema::string()),
                    value: Value::String(record.topic.clone()),
                },
                FieldValue {
                    name: names[1].into(),
                    schema: Arc::new(Schema::int32()),
                    value: Value::Int32(record.partition),
                },
                FieldValue {
                    name: names[2].into(),
                    schema: Arc::new(Schema::int64()),
                    value: Value::Int64(offset),
                },
            ])
        }
        PrimaryKeyMode::RecordKey => {
            let key = record.key.as_ref().ok_or(RecordError::NoKey)?;
            if key.value.is_null() {
                return Err(RecordError::NoKey);
            }
            let schema = key.schema.as_ref().ok_or(RecordError::SchemalessKey)?;
            if schema.kind == SchemaType::Struct {
                struct_fields(schema, &key.value, listed, "key")
            } else {
                match listed {
                    [name] => Ok(vec![FieldValue {
                        name: name.clone(),
                        schema: schema.clone(),
                        value: key.value.clone(),
                    }]),
                    _ => Err(RecordError::PrimitiveKeyNeedsOneName {
                        given: listed.len(),
                    }),
                }
            }
        }
        PrimaryKeyMode::RecordValue => {
            let (schema, value) = payload.ok_or(RecordError::NoStructValue)?;
            struct_fields(schema, value, listed, "value")
        }
        PrimaryKeyMode::RecordHeader => {
            if record.headers.is_empty() {
                return Err(RecordError::NoHeaders);
            }
            let mut out = Vec::new();
            for (name, bytes) in &record.headers {
                if !listed.is_empty() && !listed.contains(name) {
                    continue;
                }
                let bytes = bytes
                    .as_ref()
                    .ok_or_else(|| RecordError::NullHeader(name.clone()))?;
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| RecordError::HeaderNotUtf8(name.clone()))?;
                out.push(FieldValue {
                    name: name.clone(),
                    schema: Arc::new(Schema::string()),
                    value: Value::from(text),
                });
            }
            if let Some(missing) = listed.iter().find(|n| !out.iter().any(|f| &f.name == *n)) {
                return Err(RecordError::KeyFieldMissing {
                    field: missing.clone(),
                    place: "headers",
                });
            }
            Ok(out)
        }
    }
}

/// The fields of a struct, all or the listed ones (in the listed order).
pub fn struct_fields(
    schema: &Schema,
    value: &Value,
    listed: &[String],
    place: &'static str,
) -> Result<Vec<FieldValue>, RecordError> {
    let Value::Struct(values) = value else {
        return Err(RecordError::NotStruct { place });
    };
    if schema.kind != SchemaType::Struct || values.len() != schema.fields.len() {
        return Err(RecordError::NotStruct { place });
    }
    let pick = |i: usize| FieldValue {
        name: schema.fields[i].name.clone(),
        schema: schema.fields[i].schema.clone(),
        value: values[i].clone(),
    };
    if listed.is_empty() {
        return Ok((0..values.len()).map(pick).collect());
    }
    listed
        .iter()
        .map(|name| {
            schema
                .field_index(name)
                .map(pick)
                .ok_or_else(|| RecordError::KeyFieldMissing {
                    field: name.clone(),
                    place,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cdc_core::SchemaAndValue;

    fn record(key: Option<SchemaAndValue>) -> SinkRecord {
        SinkRecord {
            topic: "srv.public.t".into(),
            partition: 2,
            offset: 41,
            timestamp_ms: None,
            key,
            value: None,
            headers: vec![("tenant".into(), Some(b"acme".to_vec()))],
            origin: None,
        }
    }

    fn struct_key() -> SchemaAndValue {
        let schema = Schema::structure("srv.public.t.Key")
            .field("a", Schema::int32())
            .field("b", Schema::string());
        SchemaAndValue {
            schema: Some(Arc::new(schema)),
            value: Value::Struct(vec![Value::Int32(1), "x".into()]),
        }
    }

    fn names(fields: &[FieldValue]) -> Vec<&str> {
        fields.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn kafka_mode_uses_the_coordinates() {
        let r = record(None);
        let k = key_fields(PrimaryKeyMode::Kafka, Flavor::Debezium, &[], &r, None).unwrap();
        assert_eq!(
            names(&k),
            ["__connect_topic", "__connect_partition", "__connect_offset"]
        );
        assert_eq!(k[0].value, Value::from("srv.public.t"));
        assert_eq!(k[1].value, Value::Int32(2));
        assert_eq!(k[2].value, Value::Int64(41));
        let listed = ["t".to_owned(), "p".to_owned(), "o".to_owned()];
        let k = key_fields(PrimaryKeyMode::Kafka, Flavor::Confluent, &listed, &r, None).unwrap();
        assert_eq!(names(&k), ["t", "p", "o"]);
    }

    #[test]
    fn record_key_struct_all_or_listed() {
        let r = record(Some(struct_key()));
        let k = key_fields(PrimaryKeyMode::RecordKey, Flavor::Debezium, &[], &r, None).unwrap();
        assert_eq!(names(&k), ["a", "b"]);
        let k = key_fields(
            PrimaryKeyMode::RecordKey,
            Flavor::Debezium,
            &["b".into()],
            &r,
            None,
        )
        .unwrap();
        assert_eq!(names(&k), ["b"]);
        let err = key_fields(
            PrimaryKeyMode::RecordKey,
            Flavor::Debezium,
            &["c".into()],
            &r,
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the primary key field \"c\" is not in the record key"
        );
    }

    #[test]
    fn record_key_primitive_needs_exactly_one_name() {
        let r = record(Some(SchemaAndValue {
            schema: Some(Arc::new(Schema::int64())),
            value: Value::Int64(7),
        }));
        let k = key_fields(
            PrimaryKeyMode::RecordKey,
            Flavor::Confluent,
            &["id".into()],
            &r,
            None,
        )
        .unwrap();
        assert_eq!((k[0].name.as_str(), &k[0].value), ("id", &Value::Int64(7)));
        let err =
            key_fields(PrimaryKeyMode::RecordKey, Flavor::Confluent, &[], &r, None).unwrap_err();
        assert_eq!(err, RecordError::PrimitiveKeyNeedsOneName { given: 0 });
    }

    #[test]
    fn record_key_missing_or_schemaless() {
        let err = key_fields(
            PrimaryKeyMode::RecordKey,
            Flavor::Debezium,
            &[],
            &record(None),
            None,
        )
        .unwrap_err();
        assert_eq!(err, RecordError::NoKey);
        let r = record(Some(SchemaAndValue {
            schema: None,
            value: Value::Int64(1),
        }));
        let err =
            key_fields(PrimaryKeyMode::RecordKey, Flavor::Debezium, &[], &r, None).unwrap_err();
        assert_eq!(err, RecordError::SchemalessKey);
    }

    #[test]
    fn record_value_takes_listed_payload_fields() {
        let kv = struct_key();
        let schema = kv.schema.clone().unwrap();
        let r = record(None);
        let k = key_fields(
            PrimaryKeyMode::RecordValue,
            Flavor::Debezium,
            &["a".into()],
            &r,
            Some((&schema, &kv.value)),
        )
        .unwrap();
        assert_eq!(names(&k), ["a"]);
        let err =
            key_fields(PrimaryKeyMode::RecordValue, Flavor::Debezium, &[], &r, None).unwrap_err();
        assert_eq!(err, RecordError::NoStructValue);
    }

    #[test]
    fn record_header_columns_are_text() {
        let mut r = record(None);
        let k = key_fields(
            PrimaryKeyMode::RecordHeader,
            Flavor::Debezium,
            &[],
            &r,
            None,
        )
        .unwrap();
        assert_eq!(
            (names(&k), &k[0].value),
            (vec!["tenant"], &Value::from("acme"))
        );
        r.headers.push(("bin".into(), Some(vec![0xff])));
        let err = key_fields(
            PrimaryKeyMode::RecordHeader,
            Flavor::Debezium,
            &[],
            &r,
            None,
        )
        .unwrap_err();
        assert_eq!(err, RecordError::HeaderNotUtf8("bin".into()));
        let k = key_fields(
            PrimaryKeyMode::RecordHeader,
            Flavor::Debezium,
            &["tenant".into()],
            &r,
            None,
        )
        .unwrap();
        assert_eq!(names(&k), ["tenant"]);
        r.headers.clear();
        let err = key_fields(
            PrimaryKeyMode::RecordHeader,
            Flavor::Debezium,
            &[],
            &r,
            None,
        )
        .unwrap_err();
        assert_eq!(err, RecordError::NoHeaders);
    }
}
