//! Formats: how the records of one object are encoded, and the object name's extension.
//!
//! [`Format`] is the seam: a format makes one [`FileEncoder`] per object, which takes the
//! object's records in order and gives its bytes at the end. The same records always give the
//! same bytes (a replay after a crash rewrites identical objects). Every record of one object
//! has the same value schema (a schema change starts a new object), so an encoder that writes
//! a schema once (Avro's object container, Parquet's footer) can take it from the first record.
//!
//! * JsonFormat (`.json`, `.json.gz` with `s3.compression.type=gzip`): one JSON document per
//!   line, JsonConverter's payload without schema (`schemas.enable=false`), as Confluent's
//!   `JsonRecordWriterProvider`.
//! * ByteArrayFormat (`.bin` unless `format.bytearray.extension`): the value's bytes, each
//!   followed by `format.bytearray.separator` (a line separator unless set).
//! * AvroFormat (`.avro`, `avro.codec`) and ParquetFormat (`.parquet` after the codec's
//!   extension: `.snappy.parquet` by default, `parquet.codec`): the encoders of
//!   `format_avro.rs` and `format_parquet.rs` behind this seam.

use std::io::Write as _;

use cdc_core::json::DecimalFormat;
use cdc_core::{Schema, SchemaType, SinkRecord, Value};
use flate2::write::GzEncoder;
use flate2::Compression;

use super::format_avro::{AvroCodec, AvroEncoder, AvroFormat, EncodeError};
use super::format_parquet::{ParquetCodec, ParquetEncoder, ParquetFormat};
use super::spool::{Object, Spool};
use super::view::View;

/// Why a record cannot be encoded (the task fails naming it).
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{format} writes only {expected} values; this record's value is {found}")]
    Unsupported {
        format: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("could not compress the object")]
    Compress(#[source] std::io::Error),
    #[error("could not keep the open file in a scratch file of the temporary directory (TMPDIR)")]
    Spool(#[source] std::io::Error),
    /// AvroFormat's or ParquetFormat's encoder refused a record or could not write the file.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// Encodes the records of one object.
pub trait FileEncoder: Send {
    /// Appends one record (never a null value: the task decides about those first).
    fn write(&mut self, record: &SinkRecord) -> Result<(), FormatError>;
    /// The object's bytes.
    fn finish(self: Box<Self>) -> Result<Object, FormatError>;
}

/// A file format of the S3 sink.
pub trait Format: Send + Sync + std::fmt::Debug {
    /// What object names end with (`.json`, `.json.gz`, `.bin`, ...).
    fn extension(&self) -> &str;
    /// A new object's encoder.
    fn encoder(&self) -> Box<dyn FileEncoder>;
}

/// `format.class` and its settings, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatKind {
    /// `gzip`: `Some(level)` (`s3.compression.level`, -1 for the default) with
    /// `s3.compression.type=gzip`.
    Json { gzip: Option<i32> },
    ByteArray {
        extension: String,
        separator: Vec<u8>,
    },
    /// `avro.codec` (Confluent's default `null`).
    Avro { codec: AvroCodec },
    /// `parquet.codec` (Confluent's default `snappy`).
    Parquet { codec: ParquetCodec },
}

impl FormatKind {
    /// The configured format, for the data files.
    pub fn build(&self) -> Box<dyn Format> {
        self.build_view(View::Value)
    }

    /// The configured format for one record view: `View::Key` for the `.keys` files of
    /// `store.kafka.keys` (`keys.format.class`), `View::Headers` for the `.headers` files.
    pub fn build_view(&self, view: View) -> Box<dyn Format> {
        match self {
            FormatKind::Json { gzip } => Box::new(JsonFormat {
                gzip: *gzip,
                view,
                extension: format!(
                    "{}{}",
                    view.extension(),
                    if gzip.is_some() { ".json.gz" } else { ".json" }
                ),
            }),
            FormatKind::ByteArray {
                extension,
                separator,
            } => Box::new(ByteArrayFormat {
                view,
                extension: format!("{}{extension}", view.extension()),
                separator: separator.clone(),
            }),
            FormatKind::Avro { codec } => {
                let f = AvroFormat::new(*codec).with_view(view);
                let extension = format!("{}{}", view.extension(), f.extension());
                Box::new(Avro(f, extension))
            }
            FormatKind::Parquet { codec } => {
                let f = ParquetFormat::new(*codec).with_view(view);
                let extension = format!("{}{}", view.extension(), f.extension());
                Box::new(Parquet(f, extension))
            }
        }
    }
}

/// Confluent's `JsonFormat`.
#[derive(Debug)]
struct JsonFormat {
    gzip: Option<i32>,
    view: View,
    extension: String,
}

impl Format for JsonFormat {
    fn extension(&self) -> &str {
        &self.extension
    }

    fn encoder(&self) -> Box<dyn FileEncoder> {
        Box::new(JsonEncoder {
            view: self.view,
            out: match self.gzip {
                None => Sink::Plain(Spool::new()),
                Some(level) => Sink::Gzip(GzEncoder::new(
                    Spool::new(),
                    if level < 0 {
                        Compression::default()
                    } else {
                        Compression::new(level as u32)
                    },
                )),
            },
            line: Vec::new(),
        })
    }
}

/// Bytes written as they are, or through gzip (whose header carries no time: the same records
/// compress to the same bytes).
enum Sink {
    Plain(Spool),
    Gzip(GzEncoder<Spool>),
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) -> Result<(), FormatError> {
        match self {
            Sink::Plain(v) => v.write_all(bytes).map_err(FormatError::Spool),
            Sink::Gzip(g) => g.write_all(bytes).map_err(FormatError::Compress),
        }
    }

    fn finish(self) -> Result<Object, FormatError> {
        let spool = match self {
            Sink::Plain(v) => v,
            Sink::Gzip(g) => g.finish().map_err(FormatError::Compress)?,
        };
        spool.finish().map_err(FormatError::Spool)
    }
}

struct JsonEncoder {
    view: View,
    out: Sink,
    line: Vec<u8>,
}

/// The schema JsonConverter's payload writer is given for a value without one (it only looks
/// at a schema for structs, arrays' items, maps' keys and decimals).
fn schemaless() -> Schema {
    Schema::new(SchemaType::String).optional()
}

impl FileEncoder for JsonEncoder {
    fn write(&mut self, record: &SinkRecord) -> Result<(), FormatError> {
        self.line.clear();
        let data = match self.view {
            View::Value => record.value.as_ref(),
            View::Key => match &record.key {
                Some(key) if !key.value.is_null() => Some(key),
                _ => return Err(null_part(record, "JsonFormat", View::Key).into()),
            },
            View::Headers => {
                // Confluent envelops headers for JSON: `{"headers":[{"key":..,"value":..}]}`.
                let part = View::Headers.part(record, "JsonFormat", true)?;
                cdc_core::json_write::write_payload(
                    &mut self.line,
                    DecimalFormat::Base64,
                    &part.schema,
                    &part.value,
                );
                self.line.push(b'\n');
                return self.out.write(&self.line);
            }
        };
        match data {
            Some(data) => match &data.schema {
                Some(schema) => cdc_core::json_write::write_payload(
                    &mut self.line,
                    DecimalFormat::Base64,
                    schema,
                    &data.value,
                ),
                None => cdc_core::json_write::write_payload(
                    &mut self.line,
                    DecimalFormat::Base64,
                    &schemaless(),
                    &data.value,
                ),
            },
            None => self.line.extend_from_slice(b"null"),
        }
        self.line.push(b'\n');
        self.out.write(&self.line)
    }

    fn finish(self: Box<Self>) -> Result<Object, FormatError> {
        self.out.finish()
    }
}

/// The error for a record whose key (or value) a `.keys` (or data) file cannot hold: Confluent
/// refuses a null key when keys are stored ("Key cannot be null").
fn null_part(record: &SinkRecord, format: &'static str, view: View) -> EncodeError {
    EncodeError::NullRecord {
        format,
        part: view.name(),
        topic: record.topic.clone(),
        partition: record.partition,
        offset: record.offset,
    }
}

/// Confluent's `ByteArrayFormat`.
#[derive(Debug)]
struct ByteArrayFormat {
    view: View,
    extension: String,
    separator: Vec<u8>,
}

impl Format for ByteArrayFormat {
    fn extension(&self) -> &str {
        &self.extension
    }

    fn encoder(&self) -> Box<dyn FileEncoder> {
        Box::new(ByteArrayEncoder {
            view: self.view,
            out: Spool::new(),
            separator: self.separator.clone(),
        })
    }
}

struct ByteArrayEncoder {
    view: View,
    out: Spool,
    separator: Vec<u8>,
}

impl FileEncoder for ByteArrayEncoder {
    fn write(&mut self, record: &SinkRecord) -> Result<(), FormatError> {
        let data = match self.view {
            View::Key => match &record.key {
                Some(key) if !key.value.is_null() => Some(key),
                _ => return Err(null_part(record, "ByteArrayFormat", View::Key).into()),
            },
            // Refused by the config (Confluent has no bytes view of headers).
            View::Headers => return Err(null_part(record, "ByteArrayFormat", View::Headers).into()),
            View::Value => record.value.as_ref(),
        };
        match data.map(|d| &d.value) {
            Some(Value::Bytes(b)) => {
                self.out.write_all(b).map_err(FormatError::Spool)?;
                self.out
                    .write_all(&self.separator)
                    .map_err(FormatError::Spool)
            }
            other => Err(FormatError::Unsupported {
                format: "ByteArrayFormat",
                expected: "bytes (the ByteArrayConverter, or a bytes schema)",
                found: other.map_or("null", Value::kind),
            }),
        }
    }

    fn finish(self: Box<Self>) -> Result<Object, FormatError> {
        self.out.finish().map_err(FormatError::Spool)
    }
}

/// Confluent's `AvroFormat` behind the seam: an Avro object container per object.
#[derive(Debug)]
struct Avro(AvroFormat, String);

impl Format for Avro {
    fn extension(&self) -> &str {
        &self.1
    }

    fn encoder(&self) -> Box<dyn FileEncoder> {
        Box::new(AvroFile(self.0.encoder()))
    }
}

struct AvroFile(AvroEncoder);

impl FileEncoder for AvroFile {
    fn write(&mut self, record: &SinkRecord) -> Result<(), FormatError> {
        Ok(self.0.write(record)?)
    }

    fn finish(self: Box<Self>) -> Result<Object, FormatError> {
        Ok(self.0.finish_object()?)
    }
}

/// Confluent's `ParquetFormat` behind the seam: a Parquet file per object.
#[derive(Debug)]
struct Parquet(ParquetFormat, String);

impl Format for Parquet {
    fn extension(&self) -> &str {
        &self.1
    }

    fn encoder(&self) -> Box<dyn FileEncoder> {
        Box::new(ParquetFile(self.0.encoder()))
    }
}

struct ParquetFile(ParquetEncoder);

impl FileEncoder for ParquetFile {
    fn write(&mut self, record: &SinkRecord) -> Result<(), FormatError> {
        Ok(self.0.write(record)?)
    }

    fn finish(self: Box<Self>) -> Result<Object, FormatError> {
        Ok(self.0.finish_object()?)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::sync::Arc;

    use cdc_core::SchemaAndValue;

    use super::*;

    fn record(value: Option<SchemaAndValue>) -> SinkRecord {
        SinkRecord {
            topic: Arc::from("t"),
            partition: 0,
            offset: 0,
            timestamp_ms: None,
            key: None,
            value,
            headers: Vec::new(),
            origin: None,
        }
    }

    fn row(id: i32, name: &str) -> SinkRecord {
        let schema = Schema::structure("row")
            .field("id", Schema::new(SchemaType::Int32))
            .field("name", Schema::new(SchemaType::String).optional());
        record(Some(SchemaAndValue {
            schema: Some(Arc::new(schema)),
            value: Value::Struct(vec![Value::Int32(id), Value::String(Arc::from(name))]),
        }))
    }

    #[test]
    fn json_lines_are_payloads_without_schema() {
        let f = FormatKind::Json { gzip: None }.build();
        assert_eq!(f.extension(), ".json");
        let mut e = f.encoder();
        e.write(&row(1, "a")).unwrap();
        e.write(&row(2, "b\"")).unwrap();
        let bytes = e.finish().unwrap().to_vec().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\\\"\"}\n"
        );
    }

    #[test]
    fn gzip_json_is_repeatable_and_decompresses_to_the_lines() {
        let f = FormatKind::Json { gzip: Some(-1) }.build();
        assert_eq!(f.extension(), ".json.gz");
        let encode = || {
            let mut e = f.encoder();
            e.write(&row(1, "a")).unwrap();
            e.finish().unwrap().to_vec().unwrap()
        };
        let (a, b) = (encode(), encode());
        assert_eq!(a, b);
        let mut text = String::new();
        flate2::read::GzDecoder::new(&a[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "{\"id\":1,\"name\":\"a\"}\n");
    }

    #[test]
    fn byte_array_writes_values_with_separator_and_refuses_structs() {
        let f = FormatKind::ByteArray {
            extension: ".bin".into(),
            separator: b"\n".to_vec(),
        }
        .build();
        let mut e = f.encoder();
        e.write(&record(Some(SchemaAndValue {
            schema: None,
            value: Value::Bytes(b"abc".to_vec()),
        })))
        .unwrap();
        assert!(e.write(&row(1, "a")).is_err());
        assert_eq!(e.finish().unwrap().to_vec().unwrap(), b"abc\n");
    }

    #[test]
    fn avro_and_parquet_behind_the_seam_write_what_their_encoders_write() {
        let records = [row(1, "a"), row(2, "é")];
        for (kind, ext) in [
            (
                FormatKind::Avro {
                    codec: AvroCodec::Null,
                },
                ".avro",
            ),
            (
                FormatKind::Avro {
                    codec: AvroCodec::Deflate,
                },
                ".avro",
            ),
            (
                FormatKind::Parquet {
                    codec: ParquetCodec::Snappy,
                },
                ".snappy.parquet",
            ),
            (
                FormatKind::Parquet {
                    codec: ParquetCodec::Gzip,
                },
                ".gz.parquet",
            ),
            (
                FormatKind::Parquet {
                    codec: ParquetCodec::None,
                },
                ".parquet",
            ),
        ] {
            let f = kind.build();
            assert_eq!(f.extension(), ext, "{kind:?}");
            let mut e = f.encoder();
            for r in &records {
                e.write(r).unwrap();
            }
            let bytes = e.finish().unwrap().to_vec().unwrap();
            let direct = match &kind {
                FormatKind::Avro { codec } => AvroFormat::new(*codec).encode(&records),
                FormatKind::Parquet { codec } => ParquetFormat::new(*codec).encode(&records),
                _ => unreachable!(),
            }
            .unwrap();
            assert_eq!(bytes, direct, "{kind:?}");
        }
    }

    #[test]
    fn avro_and_parquet_refuse_schemaless_values_as_format_errors() {
        for kind in [
            FormatKind::Avro {
                codec: AvroCodec::Null,
            },
            FormatKind::Parquet {
                codec: ParquetCodec::Snappy,
            },
        ] {
            let mut e = kind.build().encoder();
            let err = e
                .write(&record(Some(SchemaAndValue {
                    schema: None,
                    value: Value::Bytes(b"abc".to_vec()),
                })))
                .unwrap_err();
            assert!(
                matches!(err, FormatError::Encode(EncodeError::NoSchema { .. })),
                "{err}"
            );
        }
    }
}
