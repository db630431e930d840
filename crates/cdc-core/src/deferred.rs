//! Rows a source hands over as it received them, decoded only where they are converted.
//!
//! A snapshot reads millions of rows whose events differ only in the row itself. Building a
//! [`Record`] for each (a `Value` per column, a key struct, an envelope, a copy of the `source`
//! block) and freeing it again after conversion cost more than half of the snapshot's CPU. A
//! source may instead send [`DeferredRows`]: the raw rows and a [`RowDecoder`] that knows their
//! table. A JsonConverter writes their JSON straight from the raw bytes; every other consumer
//! asks the decoder for the records, which are exactly those the source would have sent.

use std::sync::Arc;

use bytes::Bytes;

use crate::envelope::ProcessingTime;
use crate::error::ConnectorError;
use crate::json::DecimalFormat;
use crate::record::Record;
use crate::schema::Schema;

/// One row as the source received it.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// The row's bytes, in the decoder's format.
    pub data: Bytes,
    /// What the decoder needs besides the bytes (for a snapshot: which `snapshot` marker).
    pub tag: u8,
    /// When the source read the row: the event's `ts_ms`/`ts_us`/`ts_ns` and record timestamp.
    pub ts: ProcessingTime,
}

/// Turns the raw rows of one table into records, or straight into JsonConverter payloads.
///
/// `write_json_key` and `write_json_value` must append exactly the bytes a JsonConverter with
/// `schemas.enable=false` and the given decimal format writes for `record(row)`'s key and value
/// (a source's tests compare the two on every row they capture).
pub trait RowDecoder: Send + Sync + std::fmt::Debug {
    /// The topic of every record of this table.
    fn topic(&self) -> &Arc<str>;
    /// The key schema; `None` when the records have a null key.
    fn key_schema(&self) -> Option<&Arc<Schema>>;
    /// The value schema: the records' Debezium envelope.
    fn envelope_schema(&self) -> &Arc<Schema>;
    /// The record of `row`, as the source would have sent it decoded.
    fn record(&self, row: &RawRow) -> Result<Record, ConnectorError>;
    /// Appends the JSON payload of `row`'s key (only called when there is a key schema).
    fn write_json_key(
        &self,
        row: &RawRow,
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectorError>;
    /// Appends the JSON payload of `row`'s value up to the part rows share: the rest is
    /// [`RowDecoder::write_json_value_tail`].
    fn write_json_value_head(
        &self,
        row: &RawRow,
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectorError>;
    /// Appends the rest of `row`'s value after [`RowDecoder::write_json_value_head`]: the same
    /// bytes for every row with the same `tag` and `ts`, so a converter may write it once for
    /// a run of such rows.
    fn write_json_value_tail(&self, row: &RawRow, out: &mut Vec<u8>) -> Result<(), ConnectorError>;
    /// Appends a JSON object of `fields` (each its `"name":` key, with the comma before it
    /// when not first, and where its value comes from): what a chain of transforms makes of
    /// the row (`transforms::row_plan`). `Ok(false)` when the decoder cannot, the default:
    /// the rows are then decoded into records.
    fn write_json_struct(
        &self,
        row: &RawRow,
        fields: &[(&[u8], StructField<'_>)],
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<bool, ConnectorError> {
        let _ = (row, fields, decimal, out);
        Ok(false)
    }

    /// Appends the JSON payload of `row`'s value.
    fn write_json_value(
        &self,
        row: &RawRow,
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectorError> {
        self.write_json_value_head(row, decimal, out)?;
        self.write_json_value_tail(row, out)
    }
}

/// A field of a struct written from a row by [`RowDecoder::write_json_struct`].
#[derive(Debug, Clone, Copy)]
pub enum StructField<'a> {
    /// Field `i` of the row's value struct (the envelope's `after`), as its value writes it.
    Row(usize),
    /// These bytes, a JSON value.
    Json(&'a [u8]),
    /// The row's record timestamp, in epoch milliseconds.
    TimestampMs,
}

/// Raw rows of one table, in order, with their decoder.
#[derive(Debug, Clone)]
pub struct DeferredRows {
    pub decoder: Arc<dyn RowDecoder>,
    pub rows: Vec<RawRow>,
}

impl DeferredRows {
    /// A rough size in bytes, used for byte-bounded queues.
    pub fn approx_size(&self) -> usize {
        self.rows.iter().map(|r| r.data.len() + 48).sum()
    }

    /// The rows as records, in order.
    pub fn records(&self) -> Result<Vec<Record>, ConnectorError> {
        self.rows.iter().map(|r| self.decoder.record(r)).collect()
    }
}
