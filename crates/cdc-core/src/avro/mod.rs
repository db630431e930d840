//! Confluent's AvroConverter data mapping (`io.confluent.connect.avro.AvroData`) without the
//! registry: Connect schemas become Avro schemas named as Confluent and Debezium name them, and
//! Connect values become Avro binary datums, framed in Confluent's wire format.
//!
//! * [`schema`]: Connect schema → Avro schema JSON (`connect.name`, `connect.version`,
//!   `connect.parameters`, `connect.default`, `connect.type` for int8/int16, optional fields as
//!   unions with null first and `"default": null`, Connect's logical types as Avro's).
//! * [`datum`]: Connect value → Avro binary, written directly (no intermediate tree).
//! * [`read`]: the reverse, for sinks: a writer schema → a Connect schema and a decoding plan,
//!   Avro binary → Connect value (AvroData's `toConnectSchema`/`toConnectData`).
//!
//! The registry (ids, subjects) is the worker's business; this module names no HTTP client.

pub mod datum;
pub mod read;
pub mod schema;

pub use datum::{write_datum, AvroDataError};
pub use read::{AvroReadError, ReaderSchema};
pub use schema::{avro_schema, record_full_name};

/// The first byte of Confluent's wire format.
pub const MAGIC_BYTE: u8 = 0;

/// Writes Confluent's wire-format header: magic byte 0 and the schema id, big-endian.
pub fn write_header(out: &mut Vec<u8>, schema_id: u32) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
}

/// Splits Confluent's wire format into (schema id, Avro datum); `None` when `bytes` is not in it.
pub fn split_header(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [MAGIC_BYTE, a, b, c, d, rest @ ..] => Some((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
