//! Confluent's `ParquetFormat` (`io.confluent.connect.s3.format.parquet.ParquetFormat`): the
//! records of one object as a Parquet file, as Confluent's `ParquetRecordWriterProvider` writes
//! it through `AvroData` and parquet-avro's `AvroParquetWriter`:
//!
//! * the Parquet schema is what parquet-avro's `AvroSchemaConverter` makes of the Avro schema
//!   `AvroData` derives ([`cdc_core::avro::avro_schema`]): the message is named by the record's
//!   full name; an optional Connect schema (a `["null", T]` union) is an `optional` field;
//!   structs are groups; int8/int16/int32 are `INT32`, int64 `INT64`, strings `BINARY (STRING)`,
//!   bytes `BINARY`; Connect's Decimal is `BINARY (DECIMAL(precision, scale))` (precision from
//!   `connect.decimal.precision`, else 64), Date `INT32 (DATE)`, Time
//!   `INT32 (TIME(MILLIS, true))`, Timestamp `INT64 (TIMESTAMP(MILLIS, true))`. Debezium's own
//!   temporal names (`io.debezium.time.MicroTimestamp`, ...) carry no Avro logical type, so they
//!   stay plain `INT32`/`INT64` there as they do in Confluent's files;
//! * arrays use parquet-avro's old two-level lists (`repeated <item> array`) unless some array
//!   of the schema has optional items: then Confluent turns `parquet.avro.write-old-list-structure`
//!   off and every list is three-level (`repeated group list { <item> element }`);
//! * a map with string keys is `MAP` (`repeated group key_value { required binary key (STRING);
//!   value }`), any other map a list of `MapEntry` groups (`key`, `value`), as in Avro;
//! * the footer's key-value metadata is parquet-avro's: `parquet.avro.schema` (the Avro schema,
//!   so that Avro-based readers get `connect.*` back) and `writer.model.name` = `avro`;
//! * pages of 64 KiB (Confluent's `PAGE_SIZE`), dictionary encoding, data pages v1, a row group
//!   per 8 MiB of buffered values (parquet-mr cuts at 128 MiB of encoded data: see
//!   `ROW_GROUP_BYTES`);
//! * `parquet.codec`: `snappy` (default), `gzip`, `zstd`, `lz4` (Hadoop's framing), `lz4_raw`,
//!   `brotli` and `none`; the extension names the codec as parquet-mr does (`.snappy.parquet`,
//!   `.gz.parquet`, `.zstd.parquet`, ..., `.parquet` for none). `lzo` is refused: there is no LZO
//!   writer here (Confluent needs Hadoop's native LZO for it too).
//!
//! Output is deterministic: `created_by` is the constant `tributary` (no version, no build) and
//! nothing in the footer depends on the clock, so the same records give the same bytes.
//!
//! Records are shredded into columns (definition and repetition levels, Dremel-style) and
//! written with the `parquet` crate's column writers, no Arrow in between: `parquet_columns.rs`.

use std::sync::Arc;

use cdc_core::avro::{avro_schema, record_full_name, AvroDataError};
use cdc_core::schema::logical;
use cdc_core::{Schema, SchemaType, SinkRecord, Value};
use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{Type, TypePtr};

use super::format_avro::{EncodeError, View};
use super::spool::{Object, Spool};

#[path = "parquet_columns.rs"]
mod columns;

use columns::{write_row_group, Column, Shred};

/// The connector's `format.class` for this format.
pub const PARQUET_FORMAT_CLASS: &str = "io.confluent.connect.s3.format.parquet.ParquetFormat";

/// Confluent's `ParquetRecordWriterProvider.PAGE_SIZE`.
const PAGE_SIZE: usize = 64 * 1024;
/// When the buffered rows become a row group, measured on the values' rough size. parquet-mr's
/// block size is 128 MiB of *encoded* data; values buffered before encoding cost several times
/// their rough size in memory (a 100,000-event file of Debezium envelopes held 110 MB), so row
/// groups are cut at 8 MiB of values: an object has more, smaller row groups than
/// Confluent's, and the worker's memory stays bounded whatever `flush.size` is.
const ROW_GROUP_BYTES: usize = 8 * 1024 * 1024;
/// The writer named in the footer: constant, so that files do not change with a version.
const CREATED_BY: &str = "tributary";

/// `parquet.codec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParquetCodec {
    None,
    #[default]
    Snappy,
    Gzip,
    Zstd,
    Lz4,
    Lz4Raw,
    Brotli,
}

/// A `parquet.codec` value that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownParquetCodec {
    #[error("parquet.codec \"lzo\" is not supported: no LZO writer is available; use snappy, gzip, zstd, lz4, lz4_raw, brotli or none")]
    Lzo,
    #[error(
        "parquet.codec {0:?} is not one of none, snappy, gzip, lzo, brotli, lz4, zstd, lz4_raw"
    )]
    Unknown(String),
}

impl ParquetCodec {
    /// Parses `parquet.codec` as Confluent's validator does: trimmed, lower-case names of
    /// parquet-mr's `CompressionCodecName` and `none`.
    pub fn parse(name: &str) -> Result<Self, UnknownParquetCodec> {
        match name.trim() {
            "none" => Ok(ParquetCodec::None),
            "snappy" => Ok(ParquetCodec::Snappy),
            "gzip" => Ok(ParquetCodec::Gzip),
            "zstd" => Ok(ParquetCodec::Zstd),
            "lz4" => Ok(ParquetCodec::Lz4),
            "lz4_raw" => Ok(ParquetCodec::Lz4Raw),
            "brotli" => Ok(ParquetCodec::Brotli),
            "lzo" => Err(UnknownParquetCodec::Lzo),
            other => Err(UnknownParquetCodec::Unknown(other.to_owned())),
        }
    }

    /// parquet-mr's `CompressionCodecName.getExtension()`.
    pub fn extension(self) -> &'static str {
        match self {
            ParquetCodec::None => "",
            ParquetCodec::Snappy => ".snappy",
            ParquetCodec::Gzip => ".gz",
            ParquetCodec::Zstd => ".zstd",
            ParquetCodec::Lz4 => ".lz4hadoop",
            ParquetCodec::Lz4Raw => ".lz4raw",
            ParquetCodec::Brotli => ".br",
        }
    }

    /// The codec with parquet-mr's default levels (gzip 6, zstd 3; brotli at the crate's 1).
    fn compression(self) -> Compression {
        match self {
            ParquetCodec::None => Compression::UNCOMPRESSED,
            ParquetCodec::Snappy => Compression::SNAPPY,
            ParquetCodec::Gzip => Compression::GZIP(Default::default()),
            ParquetCodec::Zstd => {
                Compression::ZSTD(parquet::basic::ZstdLevel::try_new(3).unwrap_or_default())
            }
            ParquetCodec::Lz4 => Compression::LZ4,
            ParquetCodec::Lz4Raw => Compression::LZ4_RAW,
            ParquetCodec::Brotli => Compression::BROTLI(Default::default()),
        }
    }
}

/// Confluent's `ParquetFormat`.
#[derive(Debug, Clone)]
pub struct ParquetFormat {
    codec: ParquetCodec,
    view: View,
    extension: String,
}

impl Default for ParquetFormat {
    fn default() -> Self {
        ParquetFormat::new(ParquetCodec::default())
    }
}

impl ParquetFormat {
    pub fn new(codec: ParquetCodec) -> Self {
        ParquetFormat {
            codec,
            view: View::Value,
            extension: format!("{}.parquet", codec.extension()),
        }
    }

    /// The same format for another part of the records (`View::Key` for `store.kafka.keys`).
    pub fn with_view(mut self, view: View) -> Self {
        self.view = view;
        self
    }

    /// `<codec extension>.parquet`: `.snappy.parquet` by default.
    pub fn extension(&self) -> &str {
        &self.extension
    }

    /// A new object's encoder.
    pub fn encoder(&self) -> ParquetEncoder {
        ParquetEncoder {
            codec: self.codec,
            view: self.view,
            file: None,
        }
    }

    /// The object holding `records`: no records, no bytes.
    pub fn encode(&self, records: &[SinkRecord]) -> Result<Vec<u8>, EncodeError> {
        let mut encoder = self.encoder();
        for r in records {
            encoder.write(r)?;
        }
        encoder.finish()
    }
}

/// The Parquet file of one object, written record by record: values are shredded into column
/// buffers as they come and written as a row group once they reach parquet-mr's block size,
/// and at the end.
pub struct ParquetEncoder {
    codec: ParquetCodec,
    view: View,
    file: Option<ParquetFile>,
}

impl std::fmt::Debug for ParquetEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetEncoder")
            .field("codec", &self.codec)
            .field("view", &self.view)
            .field("started", &self.file.is_some())
            .finish()
    }
}

struct ParquetFile {
    schema: Arc<Schema>,
    plan: Plan,
    columns: Vec<Column>,
    /// Rows in `columns`, and their values' rough size.
    rows: usize,
    bytes: usize,
    /// Where each column stood before the row being shredded (to undo a row that fails).
    marks: Vec<(usize, usize, usize)>,
    /// Row groups go to a spool as they are written: a large object waits on disk, not in
    /// memory.
    writer: SerializedFileWriter<Spool>,
}

impl ParquetEncoder {
    /// Appends the record's part; the first record gives the object's schema, which must be
    /// a struct (Confluent casts each value to an Avro `GenericRecord`).
    pub fn write(&mut self, record: &SinkRecord) -> Result<(), EncodeError> {
        // Parquet needs a struct at the top: keys and headers are enveloped, as Confluent's.
        let part = self.view.part(record, "ParquetFormat", true)?;
        let (schema, value) = (part.schema.as_ref(), part.value.as_ref());
        let file = match &mut self.file {
            Some(file) => {
                self.view.same_schema(&file.schema, schema, record)?;
                file
            }
            None => self.file.insert(ParquetFile::new(schema, self.codec)?),
        };
        file.append(value).map_err(|source| EncodeError::Data {
            offset: record.offset,
            source: at_root(source),
        })?;
        if file.bytes >= ROW_GROUP_BYTES {
            file.flush()?;
        }
        Ok(())
    }

    /// The object's bytes (none when no record was written).
    pub fn finish(self) -> Result<Vec<u8>, EncodeError> {
        self.finish_object()?.to_vec().map_err(EncodeError::Spool)
    }

    /// The object, in memory or in its scratch file.
    pub fn finish_object(self) -> Result<Object, EncodeError> {
        let Some(mut file) = self.file else {
            return Ok(Object::Memory(Default::default()));
        };
        file.flush()?;
        let spool = file.writer.into_inner().map_err(parquet_error)?;
        spool.finish().map_err(EncodeError::Spool)
    }
}

impl ParquetFile {
    fn new(schema: &Arc<Schema>, codec: ParquetCodec) -> Result<Self, EncodeError> {
        let plan = Plan::new(schema)?;
        let props = WriterProperties::builder()
            .set_created_by(CREATED_BY.to_owned())
            .set_key_value_metadata(Some(vec![
                KeyValue::new(
                    "parquet.avro.schema".to_owned(),
                    avro_schema(schema).to_string(),
                ),
                KeyValue::new("writer.model.name".to_owned(), "avro".to_owned()),
            ]))
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(codec.compression())
            .set_dictionary_enabled(true)
            .set_data_page_size_limit(PAGE_SIZE)
            .build();
        let writer = SerializedFileWriter::new(Spool::new(), plan.root.clone(), Arc::new(props))
            .map_err(parquet_error)?;
        Ok(ParquetFile {
            schema: schema.clone(),
            columns: plan.columns(),
            plan,
            rows: 0,
            bytes: 0,
            marks: Vec::new(),
            writer,
        })
    }

    /// Shreds one row; on a value that does not fit, the columns are left as they were.
    fn append(&mut self, value: &Value) -> Result<(), AvroDataError> {
        let Node::Struct { fields, .. } = &self.plan.node else {
            return Ok(());
        };
        self.marks.clear();
        self.marks.extend(self.columns.iter().map(Column::mark));
        let shredded = Shred {
            columns: &mut self.columns,
        }
        .fields(fields, value, 0, 0);
        if let Err(e) = shredded {
            for (c, m) in self.columns.iter_mut().zip(&self.marks) {
                c.rewind(*m);
            }
            return Err(e);
        }
        self.rows += 1;
        self.bytes += value.approx_size();
        Ok(())
    }

    /// Writes the buffered rows as a row group.
    fn flush(&mut self) -> Result<(), EncodeError> {
        if self.rows == 0 {
            return Ok(());
        }
        let columns = std::mem::replace(&mut self.columns, self.plan.columns());
        write_row_group(&mut self.writer, columns)?;
        self.rows = 0;
        self.bytes = 0;
        Ok(())
    }
}

fn parquet_error(e: ParquetError) -> EncodeError {
    EncodeError::Parquet(Box::new(e))
}

fn at_root(mut e: AvroDataError) -> AvroDataError {
    if e.path.is_empty() {
        e.path = "<root>".into();
    }
    e
}

/// The Parquet schema of a Connect struct schema and how its values are shredded.
#[derive(Debug)]
pub struct Plan {
    root: TypePtr,
    node: Node,
    leaves: Vec<LeafSpec>,
}

/// How a Connect value maps onto Parquet's nesting. `rep` is the repetition level of the
/// entries of a list or map.
#[derive(Debug)]
enum Node {
    Leaf {
        column: usize,
        optional: bool,
    },
    Struct {
        optional: bool,
        fields: Vec<(String, Node)>,
    },
    List {
        optional: bool,
        item: Box<Node>,
        rep: i16,
    },
    Map {
        optional: bool,
        key: Box<Node>,
        value: Box<Node>,
        rep: i16,
    },
}

impl Node {
    fn optional(&self) -> bool {
        match self {
            Node::Leaf { optional, .. }
            | Node::Struct { optional, .. }
            | Node::List { optional, .. }
            | Node::Map { optional, .. } => *optional,
        }
    }
}

#[derive(Debug)]
struct LeafSpec {
    /// The Connect type its values have.
    kind: SchemaType,
    max_def: i16,
    max_rep: i16,
}

impl Plan {
    /// Plans the Parquet file of a Connect schema, which must be a struct.
    pub fn new(schema: &Schema) -> Result<Plan, EncodeError> {
        if schema.kind != SchemaType::Struct {
            return Err(EncodeError::NotAStruct {
                format: "ParquetFormat",
                found: schema.kind.json_name(),
            });
        }
        let mut builder = Builder {
            leaves: Vec::new(),
            three_level: has_array_of_optional_items(schema),
        };
        let mut types = Vec::with_capacity(schema.fields.len());
        let mut nodes = Vec::with_capacity(schema.fields.len());
        for f in &schema.fields {
            let (t, n) = builder.field(&f.name, &f.schema, false, 0, 0)?;
            types.push(t);
            nodes.push((f.name.clone(), n));
        }
        let root = Type::group_type_builder(&record_full_name(schema))
            .with_fields(types)
            .build()
            .map_err(parquet_error)?;
        Ok(Plan {
            root: Arc::new(root),
            node: Node::Struct {
                optional: false,
                fields: nodes,
            },
            leaves: builder.leaves,
        })
    }

    /// The Parquet schema, as parquet-mr prints it (`message ... { ... }`).
    pub fn schema_text(&self) -> String {
        let mut out = Vec::new();
        parquet::schema::printer::print_schema(&mut out, &self.root);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn columns(&self) -> Vec<Column> {
        self.leaves.iter().map(Column::new).collect()
    }
}

/// Confluent's `schemaHasArrayOfOptionalItems` (also looking into map keys, where Java would
/// fail on such an array instead).
fn has_array_of_optional_items(s: &Schema) -> bool {
    match s.kind {
        SchemaType::Struct => s
            .fields
            .iter()
            .any(|f| has_array_of_optional_items(&f.schema)),
        SchemaType::Map => [s.keys.as_deref(), s.items.as_deref()]
            .into_iter()
            .flatten()
            .any(has_array_of_optional_items),
        SchemaType::Array => s
            .items
            .as_deref()
            .is_some_and(|i| i.optional || has_array_of_optional_items(i)),
        _ => false,
    }
}

struct Builder {
    leaves: Vec<LeafSpec>,
    three_level: bool,
}

impl Builder {
    /// The Parquet field `name` for a Connect schema, below `def` optional or repeated levels
    /// and `rep` repeated ones; `repeated` for the item of a two-level list.
    fn field(
        &mut self,
        name: &str,
        s: &Schema,
        repeated: bool,
        def: i16,
        rep: i16,
    ) -> Result<(TypePtr, Node), EncodeError> {
        let optional = s.optional && !repeated;
        let repetition = if repeated {
            Repetition::REPEATED
        } else if optional {
            Repetition::OPTIONAL
        } else {
            Repetition::REQUIRED
        };
        let (def, rep) = match (repeated, optional) {
            (true, _) => (def + 1, rep + 1),
            (false, true) => (def + 1, rep),
            (false, false) => (def, rep),
        };
        let group = |name: &str, logical: Option<LogicalType>, fields: Vec<TypePtr>| {
            Type::group_type_builder(name)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .with_fields(fields)
                .build()
                .map(Arc::new)
                .map_err(parquet_error)
        };
        match s.kind {
            SchemaType::Struct => {
                let mut types = Vec::with_capacity(s.fields.len());
                let mut nodes = Vec::with_capacity(s.fields.len());
                for f in &s.fields {
                    let (t, n) = self.field(&f.name, &f.schema, false, def, rep)?;
                    types.push(t);
                    nodes.push((f.name.clone(), n));
                }
                Ok((
                    group(name, None, types)?,
                    Node::Struct {
                        optional,
                        fields: nodes,
                    },
                ))
            }
            SchemaType::Array => {
                let items = s.items.as_deref().ok_or_else(|| missing("items"))?;
                let (inner, item) = self.list_item(items, def, rep)?;
                let node = Node::List {
                    optional,
                    item: Box::new(item),
                    rep: rep + 1,
                };
                Ok((group(name, Some(LogicalType::List), vec![inner])?, node))
            }
            SchemaType::Map => {
                let keys = s.keys.as_deref().ok_or_else(|| missing("keys"))?;
                let values = s.items.as_deref().ok_or_else(|| missing("values"))?;
                let string_keys = keys.kind == SchemaType::String && !keys.optional;
                let (inner, key, value) = if string_keys {
                    let (kt, kn) = self.field("key", keys, false, def + 1, rep + 1)?;
                    let (vt, vn) = self.field("value", values, false, def + 1, rep + 1)?;
                    let kv = Type::group_type_builder("key_value")
                        .with_repetition(Repetition::REPEATED)
                        .with_fields(vec![kt, vt])
                        .build()
                        .map_err(parquet_error)?;
                    (Arc::new(kv), kn, vn)
                } else {
                    self.map_entries(keys, values, def, rep)?
                };
                let logical = if string_keys {
                    LogicalType::Map
                } else {
                    LogicalType::List
                };
                let node = Node::Map {
                    optional,
                    key: Box::new(key),
                    value: Box::new(value),
                    rep: rep + 1,
                };
                Ok((group(name, Some(logical), vec![inner])?, node))
            }
            kind => {
                let (physical, logical) = primitive(s);
                let mut b = Type::primitive_type_builder(name, physical)
                    .with_repetition(repetition)
                    .with_logical_type(logical.clone());
                if let Some(LogicalType::Decimal(d)) = &logical {
                    b = b.with_precision(d.precision).with_scale(d.scale);
                }
                let t = b.build().map_err(parquet_error)?;
                let column = self.leaves.len();
                self.leaves.push(LeafSpec {
                    kind,
                    max_def: def,
                    max_rep: rep,
                });
                Ok((Arc::new(t), Node::Leaf { column, optional }))
            }
        }
    }

    /// The repeated field inside a list's group: `array` (two-level) or `list { element }`.
    fn list_item(
        &mut self,
        items: &Schema,
        def: i16,
        rep: i16,
    ) -> Result<(TypePtr, Node), EncodeError> {
        if !self.three_level {
            return self.field("array", items, true, def, rep);
        }
        let (et, en) = self.field("element", items, false, def + 1, rep + 1)?;
        let list = Type::group_type_builder("list")
            .with_repetition(Repetition::REPEATED)
            .with_fields(vec![et])
            .build()
            .map_err(parquet_error)?;
        Ok((Arc::new(list), en))
    }

    /// A map whose keys are not required strings, as Avro's array of `MapEntry` records.
    fn map_entries(
        &mut self,
        keys: &Schema,
        values: &Schema,
        def: i16,
        rep: i16,
    ) -> Result<(TypePtr, Node, Node), EncodeError> {
        let (d, r) = (def + 1, rep + 1);
        let (kt, kn) = self.field("key", keys, false, d, r)?;
        let (vt, vn) = self.field("value", values, false, d, r)?;
        let entry = |name: &str, repetition: Repetition, fields: Vec<TypePtr>| {
            Type::group_type_builder(name)
                .with_repetition(repetition)
                .with_fields(fields)
                .build()
                .map(Arc::new)
                .map_err(parquet_error)
        };
        let inner = if self.three_level {
            let element = entry("element", Repetition::REQUIRED, vec![kt, vt])?;
            entry("list", Repetition::REPEATED, vec![element])?
        } else {
            entry("array", Repetition::REPEATED, vec![kt, vt])?
        };
        Ok((inner, kn, vn))
    }
}

/// The physical and logical type parquet-avro gives a primitive Connect schema's Avro type.
fn primitive(s: &Schema) -> (PhysicalType, Option<LogicalType>) {
    let name = s.name.as_deref();
    match s.kind {
        SchemaType::Boolean => (PhysicalType::BOOLEAN, None),
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 => match name {
            Some(logical::CONNECT_DATE) => (PhysicalType::INT32, Some(LogicalType::Date)),
            Some(logical::CONNECT_TIME) => (
                PhysicalType::INT32,
                Some(LogicalType::time(true, TimeUnit::MILLIS)),
            ),
            _ => (PhysicalType::INT32, None),
        },
        SchemaType::Int64 => match name {
            Some(logical::CONNECT_TIMESTAMP) => (
                PhysicalType::INT64,
                Some(LogicalType::timestamp(true, TimeUnit::MILLIS)),
            ),
            _ => (PhysicalType::INT64, None),
        },
        SchemaType::Float32 => (PhysicalType::FLOAT, None),
        SchemaType::Float64 => (PhysicalType::DOUBLE, None),
        SchemaType::String => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
        _ if name == Some(logical::DECIMAL) => {
            let scale = s
                .parameter("scale")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let precision = s
                .parameter("connect.decimal.precision")
                .and_then(|v| v.parse().ok())
                .unwrap_or(cdc_core::avro::schema::DEFAULT_DECIMAL_PRECISION as i32);
            (
                PhysicalType::BYTE_ARRAY,
                Some(LogicalType::decimal(scale, precision)),
            )
        }
        _ => (PhysicalType::BYTE_ARRAY, None),
    }
}

fn missing(what: &str) -> EncodeError {
    EncodeError::Parquet(Box::new(ParquetError::General(format!(
        "a Connect schema without {what}"
    ))))
}

#[cfg(test)]
#[path = "format_parquet_tests.rs"]
mod tests;
