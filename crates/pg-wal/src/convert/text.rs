//! The text format (pgoutput without `binary`, `SELECT col::text`) into the value Debezium gives
//! each mapping. This is the form Debezium itself reads, so most string types pass through.

use cdc_core::Value;

use super::array::{self, Node};
use super::mapping::Mapping;
use super::modes::TypeModes;
use super::temporal::{self, PgDate, PgTimestamp};
use super::wire::{Decoded, Fault};
use super::{bits, bytea, geometric, hstore, interval, numeric};

fn parse<T: std::str::FromStr>(s: &str, what: &'static str) -> Decoded<T> {
    s.parse().map_err(|_| Fault::Malformed(what))
}

/// Decodes one non-NULL text value.
pub(crate) fn decode(mapping: &Mapping, s: &str, modes: &TypeModes) -> Decoded<Value> {
    Ok(match mapping {
        Mapping::Bool => match s {
            "t" | "true" => Value::Boolean(true),
            "f" | "false" => Value::Boolean(false),
            _ => return Err(Fault::Malformed("not a boolean")),
        },
        Mapping::Int16 => Value::Int16(parse(s, "not an int2")?),
        Mapping::Int32 => Value::Int32(parse(s, "not an int4")?),
        Mapping::Int64 => Value::Int64(parse(s, "not an int8")?),
        Mapping::Oid => Value::Int64(i64::from(parse::<u32>(s, "not an oid")?)),
        Mapping::Float32 => Value::Float32(parse(s, "not a float4")?),
        Mapping::Float64 => Value::Float64(parse(s, "not a float8")?),
        Mapping::Numeric {
            scale, variable, ..
        } => numeric::numeric_value(numeric::from_text(s)?, *scale, *variable, modes)?,
        Mapping::Money => numeric::money_value(numeric::money_from_text(s)?, modes),
        Mapping::Text
        | Mapping::Isbn
        | Mapping::Char
        | Mapping::Json
        | Mapping::Jsonb
        | Mapping::Xml
        | Mapping::Uuid
        | Mapping::Tsvector
        | Mapping::Ltree
        | Mapping::Inet
        | Mapping::Cidr
        | Mapping::MacAddr
        | Mapping::MacAddr8
        | Mapping::Range(_)
        | Mapping::Enum { .. } => Value::String(s.into()),
        Mapping::Bytea => bytea::binary_value(&bytea::from_text(s)?, modes.binary),
        Mapping::Date => temporal::date_value(PgDate::from_text(s)?, modes),
        Mapping::Time { precision } => {
            temporal::time_value(temporal::time_from_text(s)?, *precision, modes)
        }
        Mapping::TimeTz => {
            let (micros, east) = temporal::timetz_from_text(s)?;
            temporal::timetz_value(micros, east)
        }
        Mapping::Timestamp { precision } => {
            temporal::timestamp_value(PgTimestamp::from_text(s, false)?, *precision, modes)?
        }
        Mapping::TimestampTz { fraction } => {
            temporal::timestamptz_value(PgTimestamp::from_text(s, true)?, *fraction)
        }
        Mapping::Interval => interval::value(interval::from_text(s)?, modes),
        Mapping::Bits { length } => bits::value(&bits::from_text(s)?, *length),
        Mapping::Point
        | Mapping::Box
        | Mapping::Lseg
        | Mapping::Path
        | Mapping::Polygon
        | Mapping::Circle
        | Mapping::Line => geometric::value(mapping, &geometric::from_text(mapping, s)?)?,
        Mapping::Hstore => hstore::value(hstore::from_text(s)?, modes),
        Mapping::Array { element, .. } => {
            let delimiter = if matches!(**element, Mapping::Box) {
                ';'
            } else {
                ','
            };
            let nodes = if s.trim_start().starts_with(['{', '[']) {
                array::parse_text(s, delimiter)?
            } else {
                // int2vector and oidvector print as `1 2 3`.
                s.split_whitespace()
                    .map(|t| Node::Text(t.to_owned()))
                    .collect()
            };
            if nodes.iter().any(|n| matches!(n, Node::Sub(_))) {
                Value::Array(vec![Value::Null; nodes.len()])
            } else {
                let items = nodes
                    .into_iter()
                    .map(|n| match n {
                        Node::Text(t) => decode(element, &t, modes),
                        _ => Ok(Value::Null),
                    })
                    .collect::<Decoded<Vec<_>>>()?;
                Value::Array(items)
            }
        }
        Mapping::Unknown => bytea::binary_value(s.as_bytes(), modes.binary),
    })
}
