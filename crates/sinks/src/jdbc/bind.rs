//! [`SqlValue`]: what the writer binds for a column, converted from a Connect value by its
//! schema's logical name (the same names [`super::column_type`] maps), so the writer needs no
//! knowledge of Connect or Debezium.
//!
//! Temporal values are plain integers in the target's terms: days since 1970-01-01, microseconds
//! of the day, microseconds since 1970-01-01 (the writer shifts to PostgreSQL's 2000 epoch).
//! `Timestamp` is a wall-clock value (no zone), `TimestampTz` an instant. On MySQL/MariaDB,
//! which have no zoned types, zoned values are converted to `use.time.zone` / `db.timezone`
//! and bound as wall-clock values (Debezium: "bound in the DB/session zone", research §4).

use cdc_core::decimal::unscaled_to_string;
use cdc_core::json::{DecimalFormat, JsonConverter};
use cdc_core::record::Data;
use cdc_core::schema::logical;
use cdc_core::{Schema, SchemaType, Value};

use super::column_type::GEOGRAPHY;
use super::config::TimeZone;
use super::dialect::Dialect;
use super::temporal::{parse_zoned_time, parse_zoned_timestamp, MICROS_PER_DAY, MICROS_PER_SECOND};

/// A value bound to a statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    /// A decimal in plain notation (`-12.340`).
    Numeric(String),
    Text(String),
    Bytes(Vec<u8>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// A time with its offset east of UTC in seconds (PostgreSQL `timetz`).
    TimeTz {
        micros: i64,
        offset_seconds: i32,
    },
    /// Wall-clock microseconds since 1970-01-01T00:00 (`i64::MAX`/`MIN`: ±infinity).
    Timestamp(i64),
    /// An instant, microseconds since the epoch in UTC (`i64::MAX`/`MIN`: ±infinity).
    TimestampTz(i64),
    /// JSON text.
    Json(String),
    /// A UUID in its text form.
    Uuid(String),
    /// A duration in microseconds (Debezium's `MicroDuration`: months count 30.4375 days).
    Interval(i64),
    /// An ISO-8601 duration (`io.debezium.time.Interval` in string mode), for PostgreSQL `interval`.
    IntervalText(String),
    /// A bit string, most significant bit first (`0101`).
    Bits(String),
    /// Well-known binary with an optional SRID (PostGIS/MySQL geometry).
    Geometry {
        wkb: Vec<u8>,
        srid: Option<i32>,
    },
    /// A PostgreSQL array.
    Array(Vec<SqlValue>),
}

/// A value that does not fit its schema or its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    #[error("a {schema} value was expected, found {found}")]
    Mismatch { schema: String, found: &'static str },
    #[error("the {schema} value {value:?} is not valid")]
    BadText { schema: &'static str, value: String },
    #[error("a {schema} value is out of range")]
    OutOfRange { schema: &'static str },
    #[error("a non-optional column got a null value")]
    NullInRequired,
    #[error("no column type for schema {0}")]
    Unsupported(String),
}

/// How values are converted for one target.
#[derive(Debug, Clone, Copy)]
pub struct BindContext {
    pub dialect: Dialect,
    pub time_zone: TimeZone,
    pub replace_null_with_default: bool,
}

fn schema_label(schema: &Schema) -> String {
    match &schema.name {
        Some(n) => format!("{} ({n})", schema.kind.json_name()),
        None => schema.kind.json_name().to_owned(),
    }
}

fn struct_field<'v>(schema: &Schema, values: &'v [Value], name: &str) -> Option<&'v Value> {
    schema.field_index(name).and_then(|i| values.get(i))
}

/// Converts `value` of `schema` to what the writer binds.
pub fn to_sql(schema: &Schema, value: &Value, ctx: &BindContext) -> Result<SqlValue, BindError> {
    let value = match (value, &schema.default) {
        (Value::Null, Some(default)) if ctx.replace_null_with_default => default,
        (Value::Null, _) if !schema.optional => return Err(BindError::NullInRequired),
        (Value::Null, _) => return Ok(SqlValue::Null),
        (v, _) => v,
    };
    let mismatch = || BindError::Mismatch {
        schema: schema_label(schema),
        found: value.kind(),
    };
    let pg = ctx.dialect == Dialect::Postgres;
    let zone_micros = i64::from(ctx.time_zone.offset_seconds) * MICROS_PER_SECOND;
    let out = match (schema.name.as_deref().unwrap_or(""), value) {
        (logical::DECIMAL, Value::Bytes(b)) => {
            let scale = schema
                .parameter("scale")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            SqlValue::Numeric(unscaled_to_string(b, scale))
        }
        (logical::VARIABLE_SCALE_DECIMAL, Value::Struct(fields)) => {
            match (
                struct_field(schema, fields, "scale"),
                struct_field(schema, fields, "value"),
            ) {
                (Some(Value::Int32(scale)), Some(Value::Bytes(b))) => {
                    SqlValue::Numeric(unscaled_to_string(b, *scale))
                }
                _ => return Err(mismatch()),
            }
        }
        (logical::CONNECT_DATE | logical::DATE, Value::Int32(days)) => SqlValue::Date(*days),
        (logical::CONNECT_TIME | logical::TIME, Value::Int32(ms)) => {
            SqlValue::Time(i64::from(*ms) * 1000)
        }
        (logical::MICRO_TIME, Value::Int64(us)) => SqlValue::Time(*us),
        (logical::NANO_TIME, Value::Int64(ns)) => SqlValue::Time(ns.div_euclid(1000)),
        // Debezium's PostgreSQL connector writes ±infinity as PgJDBC's sentinels
        // (`PGStatement.DATE_POSITIVE_INFINITY` / `DATE_NEGATIVE_INFINITY`), whatever the unit:
        // they are infinity again here.
        (logical::CONNECT_TIMESTAMP | logical::TIMESTAMP, Value::Int64(ms)) => {
            match infinity(*ms) {
                Some(inf) => SqlValue::Timestamp(inf),
                None => SqlValue::Timestamp(ms.checked_mul(1000).ok_or(BindError::OutOfRange {
                    schema: "timestamp",
                })?),
            }
        }
        (logical::MICRO_TIMESTAMP, Value::Int64(us)) => {
            SqlValue::Timestamp(infinity(*us).unwrap_or(*us))
        }
        (logical::NANO_TIMESTAMP, Value::Int64(ns)) => {
            SqlValue::Timestamp(infinity(*ns).unwrap_or(ns.div_euclid(1000)))
        }
        (logical::ZONED_TIMESTAMP, Value::String(s)) => {
            let utc = parse_zoned_timestamp(s).ok_or_else(|| BindError::BadText {
                schema: logical::ZONED_TIMESTAMP,
                value: s.to_string(),
            })?;
            match (pg, utc) {
                (true, _) => SqlValue::TimestampTz(utc),
                (false, i64::MAX | i64::MIN) => SqlValue::Timestamp(utc),
                (false, _) => SqlValue::Timestamp(utc.checked_add(zone_micros).ok_or(
                    BindError::OutOfRange {
                        schema: logical::ZONED_TIMESTAMP,
                    },
                )?),
            }
        }
        (logical::ZONED_TIME, Value::String(s)) => {
            let (micros, offset_seconds) =
                parse_zoned_time(s).ok_or_else(|| BindError::BadText {
                    schema: logical::ZONED_TIME,
                    value: s.to_string(),
                })?;
            if pg {
                SqlValue::TimeTz {
                    micros,
                    offset_seconds,
                }
            } else {
                let utc = micros - i64::from(offset_seconds) * MICROS_PER_SECOND;
                SqlValue::Time((utc + zone_micros).rem_euclid(MICROS_PER_DAY))
            }
        }
        (logical::MICRO_DURATION, Value::Int64(us)) if pg => SqlValue::Interval(*us),
        (logical::MICRO_DURATION, Value::Int64(us)) => SqlValue::I64(*us),
        (logical::INTERVAL, Value::String(s)) if pg => SqlValue::IntervalText(s.to_string()),
        (logical::YEAR, Value::Int32(y)) => SqlValue::I32(*y),
        (logical::JSON, Value::String(s)) => SqlValue::Json(s.to_string()),
        (logical::UUID, Value::String(s)) if pg => SqlValue::Uuid(s.to_string()),
        (logical::BITS, Value::Bytes(b)) => {
            // An unbounded varbit says Integer.MAX_VALUE; PostgreSQL's longest bit string is
            // 83,886,080 bits. Past that, as Debezium's sink (`BitSet.length()`), the bits up
            // to the highest one set: the event carries no bit count, so leading zeros are
            // lost either way (B'0101' arrives as B'101').
            let bits: usize = schema
                .parameter("length")
                .and_then(|l| l.parse().ok())
                .filter(|&n: &usize| n <= MAX_BIT_LENGTH)
                .unwrap_or_else(|| bit_set_length(b));
            // MySQL's bit(n) holds at most 64 bits: longer ones are text there (column_type).
            let declared = schema
                .parameter("length")
                .and_then(|l| l.parse::<u64>().ok());
            if !pg && declared.unwrap_or(1) > 64 {
                SqlValue::Text(bit_string(b, bits))
            } else {
                SqlValue::Bits(bit_string(b, bits))
            }
        }
        // A PostgreSQL `point` column (what a Point maps to there) reads `(x,y)`.
        (logical::POINT, Value::Struct(fields)) if pg => {
            match (
                struct_field(schema, fields, "x"),
                struct_field(schema, fields, "y"),
            ) {
                (Some(Value::Float64(x)), Some(Value::Float64(y))) => {
                    SqlValue::Text(format!("({x:?},{y:?})"))
                }
                _ => return Err(mismatch()),
            }
        }
        (logical::GEOMETRY | GEOGRAPHY | logical::POINT, Value::Struct(fields)) => {
            let wkb = match struct_field(schema, fields, "wkb") {
                Some(Value::Bytes(b)) => b.clone(),
                _ => return Err(mismatch()),
            };
            let srid = match struct_field(schema, fields, "srid") {
                Some(Value::Int32(s)) => Some(*s),
                _ => None,
            };
            SqlValue::Geometry { wkb, srid }
        }
        (_, Value::Array(items)) if pg && schema.kind == SchemaType::Array => {
            let item_schema = schema.items.as_deref().ok_or_else(mismatch)?;
            let items = items
                .iter()
                .map(|v| to_sql(item_schema, v, ctx))
                .collect::<Result<_, _>>()?;
            SqlValue::Array(items)
        }
        (_, Value::Array(_) | Value::Map(_))
            if matches!(schema.kind, SchemaType::Array | SchemaType::Map) =>
        {
            // Decimals as exact JSON numbers.
            let bytes = JsonConverter {
                schemas_enable: false,
                decimal_format: DecimalFormat::Numeric,
            }
            .to_bytes(Some(&Data::new(schema.clone().into(), value.clone())))
            .unwrap_or_default();
            SqlValue::Json(String::from_utf8_lossy(&bytes).into_owned())
        }
        (_, v) => match (schema.kind, v) {
            (SchemaType::Boolean, Value::Boolean(b)) => SqlValue::Bool(*b),
            (SchemaType::Int8, Value::Int8(v)) => SqlValue::I16(i16::from(*v)),
            (SchemaType::Int16, Value::Int16(v)) => SqlValue::I16(*v),
            (SchemaType::Int32, Value::Int32(v)) => SqlValue::I32(*v),
            (SchemaType::Int64, Value::Int64(v)) => SqlValue::I64(*v),
            (SchemaType::Float32, Value::Float32(v)) => SqlValue::F32(*v),
            (SchemaType::Float64, Value::Float64(v)) => SqlValue::F64(*v),
            (SchemaType::String, Value::String(s)) => SqlValue::Text(s.to_string()),
            (SchemaType::Bytes, Value::Bytes(b)) => SqlValue::Bytes(b.clone()),
            (SchemaType::Struct, Value::Struct(_)) => {
                return Err(BindError::Unsupported(schema_label(schema)))
            }
            _ => return Err(mismatch()),
        },
    };
    Ok(out)
}

/// PgJDBC's ±infinity sentinels for timestamps, which Debezium writes as they are.
const PG_POSITIVE_INFINITY: i64 = 9_223_372_036_825_200_000;
const PG_NEGATIVE_INFINITY: i64 = -9_223_372_036_832_400_000;

/// `i64::MAX`/`MIN` (a bound timestamp's ±infinity) for a sentinel.
fn infinity(v: i64) -> Option<i64> {
    match v {
        PG_POSITIVE_INFINITY => Some(i64::MAX),
        PG_NEGATIVE_INFINITY => Some(i64::MIN),
        _ => None,
    }
}

/// PostgreSQL's longest `bit(n)`.
const MAX_BIT_LENGTH: usize = 83_886_080;

/// `java.util.BitSet.length()` of `bytes`: the index of the highest bit set, plus one.
fn bit_set_length(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i * 8 + 8 - bytes[i].leading_zeros() as usize)
}

/// Debezium's `Bits` bytes are a `java.util.BitSet` (`toByteArray`: little-endian, bit 0 is
/// the lowest bit of byte 0); rendered most significant bit first, `bits` long, as Debezium's
/// sink renders them (the same `bit(n)` strings: `tests/kafka/jdbc_vs_debezium.rs`).
fn bit_string(bytes: &[u8], bits: usize) -> String {
    (0..bits)
        .rev()
        .map(|i| {
            let set = bytes.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 1);
            if set {
                '1'
            } else {
                '0'
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "bind_tests.rs"]
mod tests;
