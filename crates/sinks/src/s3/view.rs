//! Which part of a record an object holds: Confluent's record views. Data files hold the values
//! (`ValueRecordView`); with `store.kafka.keys` a `.keys` file beside each holds the keys
//! (`KeyRecordView`), and with `store.kafka.headers` a `.headers` file the headers
//! (`HeaderRecordView`): an array of `{key, value}` structs, both strings.
//!
//! A format that needs a struct at the top (ParquetFormat; JsonFormat for headers) asks for
//! the view *enveloped*, as Confluent's providers do: the key inside a struct `RecordKey` with
//! one field `key`, the headers inside a struct `RecordHeaders` with one field `headers`. The
//! value view is never enveloped.
//!
//! Header values are written as their UTF-8 text. Connect first types a header's bytes with
//! `SimpleHeaderConverter` and prints the typed value back (`Values.convertToString`), which
//! gives the same text for strings, booleans and integers; a number with a non-canonical text
//! (`1.50`, `007`) would be reprinted by Connect and is written as it came here.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use cdc_core::{Schema, SchemaType, SinkRecord, Value};

use super::format_avro::EncodeError;

/// A record view: the value (data files), the key or the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Value,
    Key,
    Headers,
}

/// A view of one record: its schema and value, borrowed from the record or built for it.
#[derive(Debug)]
pub struct Part<'r> {
    pub schema: Cow<'r, Arc<Schema>>,
    pub value: Cow<'r, Value>,
}

/// `HeaderRecordView.SINGLE_HEADER_SCHEMA`: an unnamed struct of two required strings.
static HEADER: LazyLock<Arc<Schema>> = LazyLock::new(|| {
    Arc::new(
        Schema::new(SchemaType::Struct)
            .field("key", Schema::string())
            .field("value", Schema::string()),
    )
});
static HEADERS: LazyLock<Arc<Schema>> = LazyLock::new(|| Arc::new(Schema::array(HEADER.clone())));
static HEADERS_ENVELOPE: LazyLock<Arc<Schema>> = LazyLock::new(|| {
    Arc::new(Schema::structure("RecordHeaders").field("headers", HEADERS.clone()))
});

impl View {
    pub(super) fn name(self) -> &'static str {
        match self {
            View::Value => "value",
            View::Key => "key",
            View::Headers => "headers",
        }
    }

    /// What the object name carries before the format's extension (`.keys`, `.headers`).
    pub fn extension(self) -> &'static str {
        match self {
            View::Value => "",
            View::Key => ".keys",
            View::Headers => ".headers",
        }
    }

    /// The schema and the (non-null) value of `record`'s part, `enveloped` when the format
    /// needs a struct at the top; refused without either (a null key or value, no headers).
    pub fn part<'r>(
        self,
        record: &'r SinkRecord,
        format: &'static str,
        enveloped: bool,
    ) -> Result<Part<'r>, EncodeError> {
        let null = || EncodeError::NullRecord {
            format,
            part: self.name(),
            topic: record.topic.clone(),
            partition: record.partition,
            offset: record.offset,
        };
        let data = match self {
            View::Headers => return self.headers(record, format, enveloped),
            View::Value => record.value.as_ref(),
            View::Key => record.key.as_ref(),
        };
        let data = data.ok_or_else(null)?;
        let schema = data.schema.as_ref().ok_or_else(|| EncodeError::NoSchema {
            format,
            part: self.name(),
            topic: record.topic.clone(),
            partition: record.partition,
            offset: record.offset,
        })?;
        if data.value.is_null() {
            return Err(null());
        }
        if self == View::Key && enveloped {
            return Ok(Part {
                schema: Cow::Owned(Arc::new(
                    Schema::structure("RecordKey").field("key", schema.clone()),
                )),
                value: Cow::Owned(Value::Struct(vec![data.value.clone()])),
            });
        }
        Ok(Part {
            schema: Cow::Borrowed(schema),
            value: Cow::Borrowed(&data.value),
        })
    }

    fn headers<'r>(
        self,
        record: &'r SinkRecord,
        format: &'static str,
        enveloped: bool,
    ) -> Result<Part<'r>, EncodeError> {
        if record.headers.is_empty() {
            return Err(EncodeError::NullRecord {
                format,
                part: "headers",
                topic: record.topic.clone(),
                partition: record.partition,
                offset: record.offset,
            });
        }
        let mut items = Vec::with_capacity(record.headers.len());
        for (key, value) in &record.headers {
            let Some(bytes) = value else {
                return Err(EncodeError::NullHeader {
                    header: key.clone(),
                    topic: record.topic.clone(),
                    partition: record.partition,
                    offset: record.offset,
                });
            };
            items.push(Value::Struct(vec![
                Value::String(Arc::from(key.as_str())),
                Value::String(Arc::from(String::from_utf8_lossy(bytes))),
            ]));
        }
        let array = Value::Array(items);
        Ok(if enveloped {
            Part {
                schema: Cow::Borrowed(&HEADERS_ENVELOPE),
                value: Cow::Owned(Value::Struct(vec![array])),
            }
        } else {
            Part {
                schema: Cow::Borrowed(&HEADERS),
                value: Cow::Owned(array),
            }
        })
    }

    /// Refuses a record whose schema is not the object's.
    pub(super) fn same_schema(
        self,
        object: &Arc<Schema>,
        schema: &Arc<Schema>,
        record: &SinkRecord,
    ) -> Result<(), EncodeError> {
        if Arc::ptr_eq(object, schema) || object == schema {
            Ok(())
        } else {
            Err(EncodeError::SchemaChanged {
                part: self.name(),
                topic: record.topic.clone(),
                partition: record.partition,
                offset: record.offset,
            })
        }
    }
}
