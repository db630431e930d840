//! Tributary's shared model.
//!
//! * [`schema`] and [`value`]: the Kafka Connect data model with Debezium's logical type names.
//! * [`envelope`]: Debezium's change event envelope.
//! * [`record`]: a keyed, structured record for a topic.
//! * [`offset`]: source positions in Connect's partition/offset shape.
//! * [`source`]: the Source trait and its bounded, backpressured output.
//! * [`transaction`]: transaction metadata (BEGIN/END, event blocks) and heartbeats.
//! * [`error`]: transient versus fatal errors.
//! * [`config`]: typed configs from Debezium's flat property map, reporting every problem.
//! * [`configdef`]: Connect's ConfigDef model, `/config/validate` output, secret masking, config providers.
//! * [`json`]: Connect's JsonConverter; [`json_write`]: its payloads written straight to bytes;
//!   [`json_read`]: its reading half (`toConnectData`), for sinks.
//! * [`deferred`]: raw rows a source sends undecoded, for converters to write directly.
//! * [`key_columns`]: `message.key.columns`, custom message keys per table.
//! * [`avro`]: Confluent's AvroConverter data mapping (Avro schemas and datums, wire format).
//! * [`tls`]: rustls client configs for TLS to databases, from PEM files, with libpq's levels.
//!
//! This crate names no database or Kafka driver type.

pub mod avro;
pub mod calendar;
pub mod column_mapping;
pub mod config;
pub mod configdef;
pub mod decimal;
pub mod deferred;
pub mod envelope;
pub mod error;
pub mod json;
pub mod json_read;
pub mod json_write;
pub mod key_columns;
pub mod offset;
pub mod properties;
pub mod record;
pub mod schema;
pub mod sink;
pub mod source;
pub mod stall;
pub mod tls;
pub mod transaction;
pub mod value;

pub use config::{
    config_map, ConfigErrors, ConfigMap, ConfigProblem, ConfigReader, NameFilter, Secret,
};
pub use deferred::{DeferredRows, RawRow, RowDecoder, StructField};
pub use envelope::{Op, ProcessingTime, TransactionBlock};
pub use error::{Classify, ConnectorError, Retry};
pub use json::JsonConverter;
pub use json_read::{JsonReadError, JsonReader};
pub use offset::SourceOffset;
pub use record::{Data, Record, SchemaAndValue};
pub use schema::{Field, Schema, SchemaType};
pub use sink::{Positions, Refused, SinkRecord, SinkTask, TopicPartition};
pub use source::{
    Batch, BatchReceiver, BatchSender, Pausing, QueueBounds, Source, SourceContext, StatusNote,
};
pub use value::Value;
