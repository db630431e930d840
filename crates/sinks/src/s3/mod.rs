//! Confluent's S3 sink (`io.confluent.connect.s3.S3SinkConnector`; see `CONTEXT.md` beside
//! this file): records of each topic partition cut into objects named
//! `<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset>.<ext>`,
//! uploaded whole, positions committed only for records inside uploaded objects.
//!
//! * [`compatibility`]: `schema.compatibility` (when a schema change closes files; projection).
//! * [`config`]: [`S3SinkConfig`] from Confluent's property names; unimplemented values refused.
//! * [`partitioner`] (and [`path_format`]): encoded partitions, timestamp extractors.
//! * [`format`]: the [`Format`] seam; JsonFormat and ByteArrayFormat, and AvroFormat and
//!   ParquetFormat behind it.
//! * [`format_avro`], [`format_parquet`]: AvroFormat and ParquetFormat, pure encoders.
//! * [`view`]: the record views (value, key, headers) a format writes.
//! * [`writer`]: one topic partition's open files and when they close.
//! * [`spool`]: an open file's bytes, in memory while small, then in a scratch file.
//! * [`storage`]: the bucket (SigV4 by `rusty-s3`, HTTP by `reqwest`, multipart uploads).
//! * [`task`]: [`S3SinkTask`], the `SinkTask`.

pub mod compatibility;
pub mod config;
mod definitions;
pub mod format;
pub mod format_avro;
pub mod format_parquet;
pub mod partitioner;
pub mod path_format;
pub mod spool;
pub mod storage;
pub mod task;
pub mod view;
pub mod writer;

pub use config::{S3SinkConfig, CLASS};
pub use definitions::config_def;
pub use format::{FileEncoder, Format, FormatKind};
pub use task::S3SinkTask;
