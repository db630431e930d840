//! The binary wire format (query results in binary, COPY BINARY, pgoutput with `binary = true`)
//! into the value Debezium gives each mapping.

use cdc_core::json::DecimalFormat;
use cdc_core::json_write;
use cdc_core::{Schema, Value};

use super::mapping::Mapping;
use super::modes::TypeModes;
use super::temporal::{self, PgDate, PgTimestamp};
use super::wire::{exact, utf8, Decoded, Fault};
use super::{array, bits, bytea, geometric, hstore, interval, network, numeric, range, tsvector};

/// Decodes one non-NULL binary value.
pub(crate) fn decode(mapping: &Mapping, raw: &[u8], modes: &TypeModes) -> Decoded<Value> {
    Ok(match mapping {
        Mapping::Bool => Value::Boolean(exact::<1>(raw)?[0] != 0),
        Mapping::Int16 => Value::Int16(i16::from_be_bytes(exact(raw)?)),
        Mapping::Int32 => Value::Int32(i32::from_be_bytes(exact(raw)?)),
        Mapping::Int64 => Value::Int64(i64::from_be_bytes(exact(raw)?)),
        Mapping::Oid => Value::Int64(i64::from(u32::from_be_bytes(exact(raw)?))),
        Mapping::Float32 => Value::Float32(f32::from_be_bytes(exact(raw)?)),
        Mapping::Float64 => Value::Float64(f64::from_be_bytes(exact(raw)?)),
        Mapping::Numeric {
            scale, variable, ..
        } => numeric::numeric_value(numeric::from_binary(raw)?, *scale, *variable, modes)?,
        Mapping::Money => numeric::money_value(numeric::money_from_binary(raw, modes)?, modes),
        Mapping::Text | Mapping::Json | Mapping::Xml | Mapping::Enum { .. } => {
            Value::String(utf8(raw)?.into())
        }
        Mapping::Char => Value::String(char_text(raw)?.into()),
        Mapping::Jsonb | Mapping::Ltree => Value::String(versioned_text(raw)?.into()),
        Mapping::Tsvector => Value::String(tsvector::text_from_binary(raw)?.into()),
        Mapping::Uuid => Value::String(network::uuid_text(raw)?.into()),
        Mapping::Inet => Value::String(network::inet_text(raw, false)?.into()),
        Mapping::Cidr => Value::String(network::inet_text(raw, true)?.into()),
        Mapping::MacAddr => Value::String(network::macaddr_text(raw)?.into()),
        Mapping::MacAddr8 => Value::String(network::macaddr8_text(raw)?.into()),
        Mapping::Bytea => bytea::binary_value(raw, modes.binary),
        Mapping::Date => temporal::date_value(PgDate::from_binary(raw)?, modes),
        Mapping::Time { precision } => {
            temporal::time_value(temporal::time_from_binary(raw)?, *precision, modes)
        }
        Mapping::TimeTz => {
            let (micros, east) = temporal::timetz_from_binary(raw)?;
            temporal::timetz_value(micros, east)
        }
        Mapping::Timestamp { precision } => {
            temporal::timestamp_value(PgTimestamp::from_binary(raw)?, *precision, modes)?
        }
        Mapping::TimestampTz { fraction } => {
            temporal::timestamptz_value(PgTimestamp::from_binary(raw)?, *fraction)
        }
        Mapping::Interval => interval::value(interval::from_binary(raw)?, modes),
        Mapping::Bits { length } => bits::value(&bits::from_binary(raw)?, *length),
        Mapping::Range(kind) => Value::String(range::text_from_binary(*kind, raw)?.into()),
        Mapping::Point
        | Mapping::Box
        | Mapping::Lseg
        | Mapping::Path
        | Mapping::Polygon
        | Mapping::Circle
        | Mapping::Line => geometric::value(mapping, &geometric::from_binary(mapping, raw)?)?,
        Mapping::Hstore => hstore::value(hstore::from_binary(raw)?, modes),
        Mapping::Array { element, .. } => {
            let parsed = array::parse_binary(raw)?;
            if parsed.dims.len() > 1 {
                let rows = parsed.dims.first().copied().unwrap_or(0);
                Value::Array(vec![Value::Null; rows])
            } else {
                let items = parsed
                    .elements
                    .into_iter()
                    .map(|e| match e {
                        Some(bytes) => decode(element, bytes, modes),
                        None => Ok(Value::Null),
                    })
                    .collect::<Decoded<Vec<_>>>()?;
                Value::Array(items)
            }
        }
        // Debezium sends an unknown type's text; there is no general way from its binary form.
        Mapping::Unknown | Mapping::Isbn => return Err(Fault::TextOnly),
    })
}

/// Appends the JsonConverter payload of one non-NULL binary value: exactly the bytes
/// `json_write::write_payload` writes for `decode(mapping, raw, modes)` under `schema`. The
/// common scalar types go straight from the wire bytes to JSON; the rest are decoded first.
pub(crate) fn write_json(
    mapping: &Mapping,
    raw: &[u8],
    modes: &TypeModes,
    decimal: DecimalFormat,
    schema: &Schema,
    out: &mut Vec<u8>,
) -> Decoded<()> {
    match mapping {
        Mapping::Bool => {
            let b = exact::<1>(raw)?[0] != 0;
            out.extend_from_slice(if b { b"true" } else { b"false" });
        }
        Mapping::Int16 => json_write::int(out, i16::from_be_bytes(exact(raw)?).into()),
        Mapping::Int32 => json_write::int(out, i32::from_be_bytes(exact(raw)?).into()),
        Mapping::Int64 => json_write::int(out, i64::from_be_bytes(exact(raw)?)),
        Mapping::Oid => json_write::int(out, u32::from_be_bytes(exact(raw)?).into()),
        Mapping::Text | Mapping::Json | Mapping::Xml | Mapping::Enum { .. } => {
            json_write::utf8_string(out, raw)
                .map_err(|_| Fault::Malformed("text is not valid UTF-8"))?
        }
        Mapping::Jsonb | Mapping::Ltree => json_write::string(out, versioned_text(raw)?),
        Mapping::TimestampTz { fraction } => {
            temporal::write_timestamptz_json(PgTimestamp::from_binary(raw)?, *fraction, out)
        }
        _ => json_write::write_payload(out, decimal, schema, &decode(mapping, raw, modes)?),
    }
    Ok(())
}

/// `"char"`: one byte, printed as `charout` does (`\ooo` for bytes above 127, empty for NUL).
fn char_text(raw: &[u8]) -> Decoded<String> {
    match raw {
        [] | [0] => Ok(String::new()),
        [b] if b.is_ascii() => Ok(char::from(*b).to_string()),
        [b] => Ok(format!("\\{:03o}", b)),
        _ => Err(super::wire::TRAILING),
    }
}

/// jsonb and ltree: a format version byte (1), then the text.
fn versioned_text(raw: &[u8]) -> Decoded<&str> {
    match raw.split_first() {
        Some((1, text)) => utf8(text),
        Some(_) => Err(Fault::Malformed("unsupported binary format version")),
        None => Err(super::wire::TRUNCATED),
    }
}

/// Whether every part of this mapping can be decoded from the binary format.
pub(crate) fn supported(mapping: &Mapping) -> bool {
    match mapping {
        Mapping::Unknown | Mapping::Isbn => false,
        Mapping::Array { element, .. } => supported(element),
        _ => true,
    }
}
