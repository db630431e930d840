//! Confluent's `AvroFormat` (`io.confluent.connect.s3.format.avro.AvroFormat`, `.avro`): the
//! records of one object as an Avro object container file, as Confluent's
//! `AvroRecordWriterProvider` writes it with Avro's `DataFileWriter`:
//!
//! * the writer schema is the one `AvroData.fromConnectSchema` derives from the Connect schema
//!   with the S3 sink's defaults (`connect.meta.data=true`, `enhanced.avro.schema.support=false`),
//!   i.e. [`cdc_core::avro::avro_schema`], written compactly with every `connect.*` property (the
//!   `apache-avro` crate's writer would drop `connect.type`, `connect.parameters`, ... and orders
//!   the header's metadata by a random hash, so the container is framed here);
//! * the header's metadata holds `avro.schema` and `avro.codec`, in the order Java's `HashMap`
//!   gives them (`avro.schema` first);
//! * a block is closed once its encoded datums reach 64,000 bytes (Avro's default sync
//!   interval), then compressed with `avro.codec` — `null`, `deflate` (level 6, Java's default),
//!   `snappy` (with its CRC-32) or `bzip2` (block size 9), the four Confluent accepts — through
//!   `apache-avro`'s codecs;
//! * the sync marker is not random as Java's is: it is the MD5 of the schema, the codec and the
//!   encoded datums, so the same records always give the same bytes (the S3 sink rewrites an
//!   object after a crash under the same name and must write the same content) and a marker
//!   still differs from file to file.
//!
//! Encoders are pure: records in, the object's bytes out. One schema per object: the sink
//! rotates files when the schema changes, and [`EncodeError::SchemaChanged`] says so otherwise.

use std::io::Write as _;
use std::sync::Arc;

use apache_avro::Codec;
use cdc_core::avro::{avro_schema, datum::write_long, write_datum, AvroDataError};
use cdc_core::{Schema, SinkRecord};
use md5::{Digest, Md5};

use super::spool::{Object, Spool};

pub use super::view::View;

/// The connector's `format.class` for this format.
pub const AVRO_FORMAT_CLASS: &str = "io.confluent.connect.s3.format.avro.AvroFormat";

/// Avro's object container magic: `Obj` and version 1.
const MAGIC: &[u8; 4] = b"Obj\x01";
/// Avro's `DataFileConstants.DEFAULT_SYNC_INTERVAL`: a block is written once it holds this many
/// bytes of encoded datums.
const SYNC_INTERVAL: usize = 64_000;

/// Why the records of an object could not be encoded. Every case is definite: the same
/// records fail again.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("record {topic}-{partition}@{offset} has no {part} schema; {format} needs one (a converter with schemas)")]
    NoSchema {
        format: &'static str,
        part: &'static str,
        topic: Arc<str>,
        partition: i32,
        offset: u64,
    },
    #[error(
        "record {topic}-{partition}@{offset} has a null {part}; {format} cannot write it{}",
        null_hint(part)
    )]
    NullRecord {
        format: &'static str,
        part: &'static str,
        topic: Arc<str>,
        partition: i32,
        offset: u64,
    },
    #[error("record {topic}-{partition}@{offset} has a header {header:?} with a null value; a headers file holds each header's value as a required string")]
    NullHeader {
        header: String,
        topic: Arc<str>,
        partition: i32,
        offset: u64,
    },
    #[error("record {topic}-{partition}@{offset} has another {part} schema than the object's first record; one object holds one schema")]
    SchemaChanged {
        part: &'static str,
        topic: Arc<str>,
        partition: i32,
        offset: u64,
    },
    #[error("record at offset {offset} does not match its schema")]
    Data {
        offset: u64,
        #[source]
        source: AvroDataError,
    },
    #[error("{format} writes only records with a struct schema, not {found}")]
    NotAStruct {
        format: &'static str,
        found: &'static str,
    },
    #[error("could not compress an Avro block with {codec}")]
    Compress {
        codec: &'static str,
        #[source]
        source: Box<apache_avro::Error>,
    },
    #[error("could not keep the object in a scratch file of the temporary directory (TMPDIR)")]
    Spool(#[source] std::io::Error),
    #[error("could not write the Parquet file")]
    Parquet(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a null part means and what to do about it.
fn null_hint(part: &str) -> &'static str {
    match part {
        "key" => " (store.kafka.keys needs a key on every record, as Confluent's: set store.kafka.keys=false or give the records keys)",
        "headers" => " (store.kafka.headers needs at least one header on every record, as Confluent's)",
        _ => " (a tombstone: see behavior.on.null.values)",
    }
}

impl cdc_core::Classify for EncodeError {
    fn retry(&self) -> cdc_core::Retry {
        cdc_core::Retry::Fatal
    }
}

/// `avro.codec`: the codecs Confluent's S3 sink accepts (`AVRO_SUPPORTED_CODECS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AvroCodec {
    #[default]
    Null,
    Deflate,
    Snappy,
    Bzip2,
}

/// An `avro.codec` value that is not one of Confluent's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("avro.codec {0:?} is not supported: use null, deflate, snappy or bzip2")]
pub struct UnknownAvroCodec(pub String);

impl AvroCodec {
    /// Parses `avro.codec` as Confluent's validator does (exact, lower-case names). Avro's
    /// other codecs (`xz`, `zstandard`) are refused as Confluent refuses them.
    pub fn parse(name: &str) -> Result<Self, UnknownAvroCodec> {
        match name {
            "null" => Ok(AvroCodec::Null),
            "deflate" => Ok(AvroCodec::Deflate),
            "snappy" => Ok(AvroCodec::Snappy),
            "bzip2" => Ok(AvroCodec::Bzip2),
            other => Err(UnknownAvroCodec(other.to_owned())),
        }
    }

    /// The name written in the header's `avro.codec`.
    pub fn name(self) -> &'static str {
        match self {
            AvroCodec::Null => "null",
            AvroCodec::Deflate => "deflate",
            AvroCodec::Snappy => "snappy",
            AvroCodec::Bzip2 => "bzip2",
        }
    }

    fn codec(self) -> Codec {
        match self {
            AvroCodec::Null => Codec::Null,
            AvroCodec::Deflate => Codec::Deflate(apache_avro::DeflateSettings::default()),
            AvroCodec::Snappy => Codec::Snappy,
            AvroCodec::Bzip2 => Codec::Bzip2(apache_avro::Bzip2Settings::default()),
        }
    }
}

/// Confluent's `AvroFormat`.
#[derive(Debug, Clone, Default)]
pub struct AvroFormat {
    codec: AvroCodec,
    view: View,
}

impl AvroFormat {
    pub fn new(codec: AvroCodec) -> Self {
        AvroFormat {
            codec,
            view: View::Value,
        }
    }

    /// The same format for another part of the records (`View::Key` for `store.kafka.keys`).
    pub fn with_view(mut self, view: View) -> Self {
        self.view = view;
        self
    }

    /// `.avro`, whatever the codec.
    pub fn extension(&self) -> &'static str {
        ".avro"
    }

    /// A new object's encoder.
    pub fn encoder(&self) -> AvroEncoder {
        AvroEncoder {
            codec: self.codec,
            view: self.view,
            file: None,
        }
    }

    /// The object holding `records`: no records, no bytes (Confluent opens a file on its first
    /// record).
    pub fn encode(&self, records: &[SinkRecord]) -> Result<Vec<u8>, EncodeError> {
        let mut encoder = self.encoder();
        for r in records {
            encoder.write(r)?;
        }
        encoder.finish()
    }
}

/// The container file of one object, written record by record: datums are encoded into blocks
/// as they come; the blocks are compressed and framed at the end, once the sync marker (a digest
/// of everything) is known.
#[derive(Debug)]
pub struct AvroEncoder {
    codec: AvroCodec,
    view: View,
    file: Option<Container>,
}

struct Container {
    schema: Arc<Schema>,
    schema_json: String,
    digest: Md5,
    /// Closed blocks, compressed, one after the other (in a scratch file beyond a few MiB).
    closed: Spool,
    /// Each closed block's datum count and compressed length.
    blocks: Vec<(i64, usize)>,
    block: Vec<u8>,
    count: i64,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("schema", &self.schema.name)
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

impl AvroEncoder {
    /// Appends the record's part; the first record gives the object's schema.
    pub fn write(&mut self, record: &SinkRecord) -> Result<(), EncodeError> {
        let part = self.view.part(record, "AvroFormat", false)?;
        let (schema, value) = (part.schema.as_ref(), part.value.as_ref());
        let file = match &mut self.file {
            Some(file) => {
                self.view.same_schema(&file.schema, schema, record)?;
                file
            }
            None => {
                let schema_json = avro_schema(schema).to_string();
                let mut digest = Md5::new();
                digest.update(schema_json.as_bytes());
                digest.update([0]);
                digest.update(self.codec.name().as_bytes());
                self.file.insert(Container {
                    schema: schema.clone(),
                    schema_json,
                    digest,
                    closed: Spool::new(),
                    blocks: Vec::new(),
                    block: Vec::new(),
                    count: 0,
                })
            }
        };
        let len = file.block.len();
        if let Err(source) = write_datum(&mut file.block, &file.schema, value) {
            file.block.truncate(len);
            return Err(EncodeError::Data {
                offset: record.offset,
                source,
            });
        }
        file.count += 1;
        if file.block.len() >= SYNC_INTERVAL {
            file.close_block(self.codec)?;
        }
        Ok(())
    }

    /// The object's bytes (none when no record was written).
    pub fn finish(self) -> Result<Vec<u8>, EncodeError> {
        self.finish_object()?.to_vec().map_err(EncodeError::Spool)
    }

    /// The object's bytes, in memory or a scratch file: the header, then each block with its
    /// count, length and the sync marker (known only now: a digest of every datum).
    pub fn finish_object(self) -> Result<Object, EncodeError> {
        let Some(mut file) = self.file else {
            return Ok(Object::from(Vec::new()));
        };
        file.close_block(self.codec)?;
        let sync: [u8; 16] = file.digest.finalize().into();
        let closed = file.closed.finish().map_err(EncodeError::Spool)?;
        let mut head = Vec::with_capacity(file.schema_json.len() + 64);
        head.extend_from_slice(MAGIC);
        write_long(&mut head, 2);
        write_bytes(&mut head, b"avro.schema");
        write_bytes(&mut head, file.schema_json.as_bytes());
        write_bytes(&mut head, b"avro.codec");
        write_bytes(&mut head, self.codec.name().as_bytes());
        write_long(&mut head, 0);
        head.extend_from_slice(&sync);
        let mut out = Spool::new();
        out.write_all(&head).map_err(EncodeError::Spool)?;
        let mut offset = 0u64;
        for (count, len) in file.blocks {
            head.clear();
            write_long(&mut head, count);
            write_long(&mut head, len as i64);
            let data = closed.read(offset, len).map_err(EncodeError::Spool)?;
            for part in [&head[..], &data[..], &sync[..]] {
                out.write_all(part).map_err(EncodeError::Spool)?;
            }
            offset += len as u64;
        }
        out.finish().map_err(EncodeError::Spool)
    }
}

impl Container {
    /// Compresses the open block (the digest takes it as encoded) and sets it aside.
    fn close_block(&mut self, codec: AvroCodec) -> Result<(), EncodeError> {
        if self.count > 0 {
            self.digest.update(&self.block);
            let mut data = std::mem::take(&mut self.block);
            codec
                .codec()
                .compress(&mut data)
                .map_err(|source| EncodeError::Compress {
                    codec: codec.name(),
                    source: Box::new(source),
                })?;
            self.closed.write_all(&data).map_err(EncodeError::Spool)?;
            self.blocks.push((self.count, data.len()));
            self.count = 0;
            data.clear();
            self.block = data;
        }
        Ok(())
    }
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

#[cfg(test)]
#[path = "format_avro_tests.rs"]
pub(super) mod tests;
