//! A snapshot table's rows handed over as COPY BINARY bytes ([`RawRow`]s) with a
//! [`RowDecoder`] that writes their JsonConverter payloads straight from those bytes, or builds
//! the records the snapshot would otherwise have sent (see `cdc_core::deferred`).

use std::sync::Arc;

use cdc_core::column_mapping::ValueMap;
use cdc_core::json::DecimalFormat;
use cdc_core::json_write;
use cdc_core::{ConnectorError, Op, RawRow, Record, RowDecoder, Schema, StructField, Value};

use crate::convert::ConvertError;
use crate::copy::{CopyError, RawFields};
use crate::error::PgSourceError;
use crate::event::{push_change, Row};
use crate::lsn::Lsn;
use crate::source_info::{SnapshotMarker, SourceInfo};
use crate::table::TableSchema;

/// The `source.snapshot` markers a snapshot row can carry, indexed by [`RawRow::tag`].
const MARKERS: [SnapshotMarker; 5] = [
    SnapshotMarker::True,
    SnapshotMarker::First,
    SnapshotMarker::FirstInDataCollection,
    SnapshotMarker::LastInDataCollection,
    SnapshotMarker::Last,
];

/// The [`RawRow::tag`] of a row with `marker`.
pub(crate) fn tag(marker: SnapshotMarker) -> u8 {
    MARKERS.iter().position(|m| *m == marker).unwrap_or(0) as u8
}

/// What a snapshot's source block needs besides the table and the marker.
pub(crate) struct SnapshotSource<'a> {
    pub server_name: &'a str,
    pub db: &'a str,
    pub ts_us: i64,
    pub tx_id: i64,
    pub lsn: Lsn,
}

/// Decodes the COPY BINARY rows of one table read by the snapshot.
#[derive(Debug)]
pub(crate) struct SnapshotRows {
    table: Arc<TableSchema>,
    /// The table columns COPY reads, in order: the value struct's fields.
    cols: Vec<usize>,
    lsn: Lsn,
    /// The source block of each marker tag, as a value and as its JSON.
    sources: Vec<Value>,
    source_json: Vec<Vec<u8>>,
    /// The envelope's JSON around the row, when the envelope has the fields `envelope_value`
    /// writes (otherwise values are written from their records).
    envelope: Option<EnvelopeJson>,
    /// `"name":` of each value field (with a leading comma after the first).
    after_keys: Vec<Vec<u8>>,
    /// Each key field's `"name":` and its position among the row's fields.
    key_fields: Vec<(Vec<u8>, Option<usize>)>,
}

/// The constant parts of a snapshot event's JSON.
#[derive(Debug)]
struct EnvelopeJson {
    /// `{"before":null,"after":`
    head: Vec<u8>,
    /// `,"source":`
    source: Vec<u8>,
    /// `,"transaction":null,"op":"r","ts_ms":`
    ts_ms: Vec<u8>,
    /// `,"ts_us":`
    ts_us: Vec<u8>,
    /// `,"ts_ns":`
    ts_ns: Vec<u8>,
}

impl EnvelopeJson {
    fn new(schema: &Schema) -> Option<EnvelopeJson> {
        let [before, after, source, transaction, op, ts_ms, ts_us, ts_ns] = &schema.fields[..]
        else {
            return None;
        };
        let key = |lead, name: &str| json_key(Some(lead), name);
        let mut head = key(b'{', &before.name);
        head.extend_from_slice(b"null");
        head.extend_from_slice(&key(b',', &after.name));
        let mut ms = key(b',', &transaction.name);
        ms.extend_from_slice(b"null");
        ms.extend_from_slice(&key(b',', &op.name));
        json_write::string(&mut ms, Op::Read.code());
        ms.extend_from_slice(&key(b',', &ts_ms.name));
        Some(EnvelopeJson {
            head,
            source: key(b',', &source.name),
            ts_ms: ms,
            ts_us: key(b',', &ts_us.name),
            ts_ns: key(b',', &ts_ns.name),
        })
    }
}

/// `"name":` escaped, after `lead` when given.
fn json_key(lead: Option<u8>, name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 4);
    out.extend(lead);
    json_write::string(&mut out, name);
    out.push(b':');
    out
}

/// The keys of a struct's fields, each after the first with its leading comma.
fn field_keys<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Vec<u8>> {
    names
        .enumerate()
        .map(|(i, name)| json_key((i > 0).then_some(b','), name))
        .collect()
}

impl SnapshotRows {
    pub(crate) fn new(
        table: Arc<TableSchema>,
        cols: Vec<usize>,
        source: &SnapshotSource<'_>,
    ) -> SnapshotRows {
        let sources: Vec<Value> = MARKERS
            .iter()
            .map(|&marker| {
                SourceInfo {
                    server_name: source.server_name,
                    db: source.db,
                    ts_us: source.ts_us,
                    snapshot: marker,
                    sequence: None,
                    schema: &table.schema,
                    table: &table.table,
                    tx_id: Some(source.tx_id),
                    lsn: Some(source.lsn.0),
                }
                .value()
            })
            .collect();
        let source_schema = crate::source_info::schema();
        // The source block has no decimals: its JSON is the same in either decimal format.
        let source_json = sources
            .iter()
            .map(|v| {
                let mut out = Vec::new();
                json_write::write_payload(&mut out, DecimalFormat::Base64, &source_schema, v);
                out
            })
            .collect();
        let after_keys = field_keys(table.value_schema.fields.iter().map(|f| f.name.as_str()));
        let key_fields = table
            .key_schema
            .as_ref()
            .map(|schema| {
                let keys = field_keys(schema.fields.iter().map(|f| f.name.as_str()));
                keys.into_iter()
                    .zip(&table.key_columns)
                    .map(|(k, &col)| (k, cols.iter().position(|&c| c == col)))
                    .collect()
            })
            .unwrap_or_default();
        SnapshotRows {
            envelope: EnvelopeJson::new(&table.envelope_schema),
            table,
            cols,
            lsn: source.lsn,
            sources,
            source_json,
            after_keys,
            key_fields,
        }
    }

    fn copy_error(&self, source: CopyError) -> ConnectorError {
        PgSourceError::Copy {
            what: format!(
                "reading {}.{} for the snapshot",
                self.table.schema, self.table.table
            ),
            source,
        }
        .into()
    }

    fn convert_error(&self, col: usize, source: ConvertError) -> ConnectorError {
        PgSourceError::Convert {
            table: format!("{}.{}", self.table.schema, self.table.table),
            column: self.table.columns[col].name.clone(),
            lsn: self.lsn,
            source,
        }
        .into()
    }

    fn marker_error(&self, tag: u8) -> ConnectorError {
        ConnectorError::fatal_msg(format!(
            "snapshot row of {}.{} has an unknown marker tag {tag}",
            self.table.schema, self.table.table
        ))
    }

    /// Appends the JSON of one field of a row, the value of table column `col`.
    fn write_field(
        &self,
        col: usize,
        raw: Option<&[u8]>,
        schema: &Schema,
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectorError> {
        match (raw, &self.table.columns[col].codec) {
            // JsonConverter writes a null field's schema default (`replace.null.with.default`).
            (None, Some(_)) => match &schema.default {
                Some(d) => cdc_core::json_write::write_payload(out, decimal, schema, d),
                None => out.extend_from_slice(b"null"),
            },
            (_, None) => out.extend_from_slice(b"null"),
            (Some(raw), Some(codec)) => codec
                .write_json_binary(raw, decimal, schema, out)
                .map_err(|source| self.convert_error(col, source))?,
        }
        Ok(())
    }

    /// How the column mappers change table column `col`'s values, if they do.
    fn value_map(&self, col: usize) -> Option<&ValueMap> {
        let pos = self.table.value_pos.get(col).copied().flatten()?;
        self.table.value_maps.get(pos)?.as_ref()
    }

    /// [`Self::write_field`] for a mapped column: its value decoded, mapped, then written.
    fn write_mapped_field(
        &self,
        col: usize,
        raw: Option<&[u8]>,
        map: &ValueMap,
        schema: &Schema,
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectorError> {
        let value = match (raw, &self.table.columns[col].codec) {
            (Some(raw), Some(codec)) => codec
                .decode_binary(raw)
                .map_err(|source| self.convert_error(col, source))?,
            _ => Value::Null,
        };
        match (map.apply(value), &schema.default) {
            (Value::Null, Some(d)) => json_write::write_payload(out, decimal, schema, d),
            (Value::Null, None) => out.extend_from_slice(b"null"),
            (v, _) => json_write::write_payload(out, decimal, schema, &v),
        }
        Ok(())
    }

    fn decode(&self, row: &[u8]) -> Result<Row, ConnectorError> {
        let mut values = Vec::with_capacity(self.cols.len());
        for (&i, field) in self.cols.iter().zip(RawFields::new(row)) {
            let field = field.map_err(|e| self.copy_error(e))?;
            values.push(match (field, &self.table.columns[i].codec) {
                (None, _) | (_, None) => Value::Null,
                (Some(raw), Some(codec)) => codec
                    .decode_binary(raw)
                    .map_err(|source| self.convert_error(i, source))?,
            });
        }
        if values.len() != self.cols.len() {
            return Err(self.copy_error(CopyError::Truncated));
        }
        Ok(values)
    }
}

impl RowDecoder for SnapshotRows {
    fn topic(&self) -> &Arc<str> {
        &self.table.topic
    }

    fn key_schema(&self) -> Option<&Arc<Schema>> {
        self.table.key_schema.as_ref()
    }

    fn envelope_schema(&self) -> &Arc<Schema> {
        &self.table.envelope_schema
    }

    fn record(&self, row: &RawRow) -> Result<Record, ConnectorError> {
        let source = self
            .sources
            .get(usize::from(row.tag))
            .ok_or_else(|| self.marker_error(row.tag))?;
        let values = self.decode(&row.data)?;
        let mut out = Vec::with_capacity(1);
        push_change(
            &mut out,
            &self.table,
            Op::Read,
            None,
            Some(values),
            source.clone(),
            None,
            false,
            row.ts,
        );
        out.pop()
            .ok_or_else(|| ConnectorError::fatal_msg("a snapshot row made no record"))
    }

    fn write_json_key(
        &self,
        row: &RawRow,
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectorError> {
        let Some(schema) = &self.table.key_schema else {
            out.extend_from_slice(b"null");
            return Ok(());
        };
        out.push(b'{');
        for (((key, pos), &col), field) in self
            .key_fields
            .iter()
            .zip(&self.table.key_columns)
            .zip(&schema.fields)
        {
            out.extend_from_slice(key);
            let raw = match pos {
                Some(p) => RawFields::new(&row.data)
                    .nth(*p)
                    .unwrap_or(Err(CopyError::Truncated))
                    .map_err(|e| self.copy_error(e))?,
                None => None,
            };
            self.write_field(col, raw, &field.schema, decimal, out)?;
        }
        out.push(b'}');
        Ok(())
    }

    fn write_json_struct(
        &self,
        row: &RawRow,
        fields: &[(&[u8], StructField<'_>)],
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<bool, ConnectorError> {
        let mut raw = Vec::with_capacity(self.cols.len());
        for field in RawFields::new(&row.data) {
            raw.push(field.map_err(|e| self.copy_error(e))?);
        }
        if raw.len() != self.cols.len() {
            return Err(self.copy_error(CopyError::Truncated));
        }
        out.push(b'{');
        for (key, from) in fields {
            out.extend_from_slice(key);
            match *from {
                StructField::Row(i) => {
                    let (Some(&col), Some(field)) =
                        (self.cols.get(i), self.table.value_schema.fields.get(i))
                    else {
                        return Ok(false);
                    };
                    match self.value_map(col) {
                        Some(map) => {
                            self.write_mapped_field(col, raw[i], map, &field.schema, decimal, out)?
                        }
                        None => self.write_field(col, raw[i], &field.schema, decimal, out)?,
                    }
                }
                StructField::Json(bytes) => out.extend_from_slice(bytes),
                StructField::TimestampMs => json_write::int(out, row.ts.nanos / 1_000_000),
            }
        }
        out.push(b'}');
        Ok(true)
    }

    fn write_json_value_head(
        &self,
        row: &RawRow,
        decimal: DecimalFormat,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectorError> {
        let Some(env) = &self.envelope else {
            let record = self.record(row)?;
            if let Some(value) = &record.value {
                json_write::write_payload(out, decimal, &value.schema, &value.value);
            }
            return Ok(());
        };
        out.extend_from_slice(&env.head);
        out.push(b'{');
        let mut fields = RawFields::new(&row.data);
        for ((key, &col), field) in self
            .after_keys
            .iter()
            .zip(&self.cols)
            .zip(&self.table.value_schema.fields)
        {
            let raw = fields
                .next()
                .unwrap_or(Err(CopyError::Truncated))
                .map_err(|e| self.copy_error(e))?;
            out.extend_from_slice(key);
            match self.value_map(col) {
                Some(map) => self.write_mapped_field(col, raw, map, &field.schema, decimal, out)?,
                None => self.write_field(col, raw, &field.schema, decimal, out)?,
            }
        }
        out.push(b'}');
        Ok(())
    }

    fn write_json_value_tail(&self, row: &RawRow, out: &mut Vec<u8>) -> Result<(), ConnectorError> {
        let source = self
            .source_json
            .get(usize::from(row.tag))
            .ok_or_else(|| self.marker_error(row.tag))?;
        // Without the envelope the head wrote the whole value.
        let Some(env) = &self.envelope else {
            return Ok(());
        };
        out.extend_from_slice(&env.source);
        out.extend_from_slice(source);
        let nanos = row.ts.nanos;
        let mut digits = itoa::Buffer::new();
        let ns = digits.format(nanos);
        if nanos >= 1_000_000 {
            // ts_ms and ts_us are ts_ns without its last six and three digits.
            out.extend_from_slice(&env.ts_ms);
            out.extend_from_slice(&ns.as_bytes()[..ns.len() - 6]);
            out.extend_from_slice(&env.ts_us);
            out.extend_from_slice(&ns.as_bytes()[..ns.len() - 3]);
        } else {
            out.extend_from_slice(&env.ts_ms);
            json_write::int(out, nanos / 1_000_000);
            out.extend_from_slice(&env.ts_us);
            json_write::int(out, nanos / 1_000);
        }
        out.extend_from_slice(&env.ts_ns);
        out.extend_from_slice(ns.as_bytes());
        out.push(b'}');
        Ok(())
    }
}
