//! MySQL/MariaDB column types → Connect schemas and values, following Debezium's
//! `MySqlValueConverters` (see docs/compat.md for the table).
//!
//! Values arrive in two forms that share `mysql_common::Value`: binlog row images (ENUM as
//! its index, SET as a bit mask, TIMESTAMP as epoch seconds, YEAR as text) and snapshot rows read
//! with the binary protocol (ENUM/SET as text, TIMESTAMP as a UTC date-time because the session
//! time zone is UTC, YEAR as a number). [`Origin`] tells them apart. Conversion never panics:
//! a value that does not fit its column is a [`ConvertError`].

use crate::charset::Charset;
use std::sync::Arc;

use base64::Engine;
use cdc_core::schema::logical;
use cdc_core::{ConfigReader, Schema, Value};
use mysql_common::value::Value as My;

use crate::catalog::Column;

/// `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalHandling {
    #[default]
    Precise,
    Double,
    String,
}

/// `time.precision.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimePrecision {
    /// The MySQL connector's default: TIME is always `MicroTime`.
    #[default]
    AdaptiveTimeMicroseconds,
    Adaptive,
    Connect,
}

/// `binary.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinaryHandling {
    #[default]
    Bytes,
    Base64,
    Base64UrlSafe,
    Hex,
}

/// `bigint.unsigned.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BigintUnsigned {
    /// INT64; values above 2^63-1 wrap, as in Debezium.
    #[default]
    Long,
    /// Decimal with scale 0 and precision 20.
    Precise,
}

/// The properties that change the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TypeModes {
    pub decimal: DecimalHandling,
    pub time_precision: TimePrecision,
    pub binary: BinaryHandling,
    pub bigint_unsigned: BigintUnsigned,
}

impl TypeModes {
    pub fn from_config(r: &mut ConfigReader<'_>) -> TypeModes {
        let decimal = match r
            .one_of(
                "decimal.handling.mode",
                "precise",
                &["precise", "double", "string"],
            )
            .as_str()
        {
            "double" => DecimalHandling::Double,
            "string" => DecimalHandling::String,
            _ => DecimalHandling::Precise,
        };
        let time_precision = match r
            .one_of(
                "time.precision.mode",
                "adaptive_time_microseconds",
                &["adaptive_time_microseconds", "adaptive", "connect"],
            )
            .as_str()
        {
            "adaptive" => TimePrecision::Adaptive,
            "connect" => TimePrecision::Connect,
            _ => TimePrecision::AdaptiveTimeMicroseconds,
        };
        let binary = match r
            .one_of(
                "binary.handling.mode",
                "bytes",
                &["bytes", "base64", "base64-url-safe", "hex"],
            )
            .as_str()
        {
            "base64" => BinaryHandling::Base64,
            "base64-url-safe" => BinaryHandling::Base64UrlSafe,
            "hex" => BinaryHandling::Hex,
            _ => BinaryHandling::Bytes,
        };
        let bigint_unsigned = match r
            .one_of(
                "bigint.unsigned.handling.mode",
                "long",
                &["long", "precise"],
            )
            .as_str()
        {
            "precise" => BigintUnsigned::Precise,
            _ => BigintUnsigned::Long,
        };
        TypeModes {
            decimal,
            time_precision,
            binary,
            bigint_unsigned,
        }
    }
}

/// Where a value was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Binlog,
    Snapshot,
}

/// A value that does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column} ({type_name}): {reason}")]
pub struct ConvertError {
    pub column: String,
    pub type_name: String,
    pub reason: String,
}

/// How a column's values are converted, decided once per column from its definition.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Boolean,
    Int16,
    Int32,
    Int64,
    /// BIGINT UNSIGNED in precise mode.
    UnsignedDecimal,
    Float32,
    Float64,
    Decimal {
        scale: u32,
    },
    Text,
    Binary,
    Bits {
        bits: u32,
    },
    Json,
    Enum {
        values: Arc<[String]>,
    },
    Set {
        values: Arc<[String]>,
    },
    Year,
    Date,
    Time {
        micros: bool,
    },
    DateTime {
        precision: u32,
    },
    Timestamp {
        fsp: u32,
    },
    Geometry {
        point: bool,
    },
}

/// A column's schema and converter.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnCodec {
    pub name: String,
    pub schema: Arc<Schema>,
    kind: Kind,
    type_name: String,
    nullable: bool,
    modes: TypeModes,
    /// How binlog bytes of a string column become text.
    charset: Charset,
    /// Width in bits of an UNSIGNED integer column: the binlog's table map does not say a
    /// column is unsigned, so its values arrive signed and are reinterpreted here.
    unsigned_bits: Option<u32>,
    /// A signed MEDIUMINT: the binlog carries its three bytes unsigned, sign-extended here.
    signed_24: bool,
    /// BINARY(n): the binlog drops its trailing zero bytes; Debezium pads them back to `n`.
    pad_to: Option<usize>,
}

fn is_binary_type(c: &Column) -> bool {
    matches!(
        c.type_name.as_str(),
        "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" | "LONG VARBINARY"
    ) || c.charset.as_deref() == Some("binary")
}

impl ColumnCodec {
    /// The codec of a column under the given modes.
    pub fn new(c: &Column, modes: TypeModes) -> ColumnCodec {
        let (kind, schema) = kind_and_schema(c, modes);
        let schema = if c.nullable {
            schema.optional()
        } else {
            schema
        };
        ColumnCodec {
            name: c.name.clone(),
            schema: Arc::new(schema),
            kind,
            type_name: c.type_name.clone(),
            nullable: c.nullable,
            modes,
            unsigned_bits: if c.unsigned {
                match c.type_name.as_str() {
                    "TINYINT" => Some(8),
                    "SMALLINT" => Some(16),
                    "MEDIUMINT" | "MIDDLEINT" => Some(24),
                    "INT" => Some(32),
                    "BIGINT" => Some(64),
                    _ => None,
                }
            } else {
                None
            },
            signed_24: !c.unsigned && matches!(c.type_name.as_str(), "MEDIUMINT" | "MIDDLEINT"),
            pad_to: match (c.type_name.as_str(), c.length) {
                ("BINARY", Some(n)) => Some(n as usize),
                _ => None,
            },
            charset: c
                .charset
                .as_deref()
                .and_then(Charset::of)
                .unwrap_or_default(),
        }
    }

    fn err(&self, reason: impl Into<String>) -> ConvertError {
        ConvertError {
            column: self.name.clone(),
            type_name: self.type_name.clone(),
            reason: reason.into(),
        }
    }

    /// Converts one value.
    pub fn convert(&self, v: &My, origin: Origin) -> Result<Value, ConvertError> {
        if matches!(v, My::NULL) {
            return Ok(Value::Null);
        }
        let m = self.modes;
        Ok(match &self.kind {
            Kind::Boolean => match v {
                My::Bytes(b) => Value::Boolean(b.iter().any(|x| *x != 0 && *x != b'0')),
                _ => Value::Boolean(int_of(v).ok_or_else(|| self.err("not a number"))? != 0),
            },
            Kind::Int16 => Value::Int16(self.int(v)? as i16),
            Kind::Int32 => Value::Int32(self.int(v)? as i32),
            Kind::Int64 => Value::Int64(self.int(v)? as i64),
            Kind::UnsignedDecimal => {
                let n = self.int(v)? as u64;
                Value::Bytes(unscaled_bytes_u64(n))
            }
            Kind::Float32 => {
                Value::Float32(float_of(v).ok_or_else(|| self.err("not a number"))? as f32)
            }
            Kind::Float64 => Value::Float64(float_of(v).ok_or_else(|| self.err("not a number"))?),
            Kind::Decimal { scale } => {
                let text = match v {
                    My::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    My::Int(i) => i.to_string(),
                    My::UInt(u) => u.to_string(),
                    My::Double(d) => d.to_string(),
                    My::Float(f) => f.to_string(),
                    _ => return Err(self.err("not a decimal")),
                };
                match m.decimal {
                    DecimalHandling::String => Value::String(text.into()),
                    DecimalHandling::Double => {
                        Value::Float64(text.trim().parse().map_err(|_| self.err("not a decimal"))?)
                    }
                    DecimalHandling::Precise => {
                        let (bytes, got) = cdc_core::decimal::parse_decimal(text.trim())
                            .ok_or_else(|| self.err(format!("{text:?} is not a decimal")))?;
                        Value::Bytes(rescale(bytes, got, *scale as i32))
                    }
                }
            }
            Kind::Text => match v {
                My::Bytes(b) => Value::String(self.text(b, origin).into()),
                other => Value::String(display(other).into()),
            },
            Kind::Binary => match v {
                My::Bytes(b) if self.pad_to.is_some_and(|n| b.len() < n) => {
                    let mut padded = b.clone();
                    padded.resize(self.pad_to.unwrap_or(0), 0);
                    binary(&padded, m.binary)
                }
                My::Bytes(b) => binary(b, m.binary),
                other => binary(display(other).as_bytes(), m.binary),
            },
            Kind::Bits { bits } => {
                let b = match v {
                    My::Bytes(b) => b.clone(),
                    My::Int(i) => i.to_be_bytes().to_vec(),
                    My::UInt(u) => u.to_be_bytes().to_vec(),
                    _ => return Err(self.err("not a bit string")),
                };
                // MySQL sends big-endian; Debezium's Bits are little-endian, sized to the width.
                let n = (*bits as usize).div_ceil(8).max(1);
                let mut le: Vec<u8> = b.iter().rev().copied().collect();
                le.resize(n, 0);
                Value::Bytes(le)
            }
            Kind::Json => match v {
                My::Bytes(b) => Value::String(String::from_utf8_lossy(b).into_owned().into()),
                other => Value::String(display(other).into()),
            },
            Kind::Enum { values } => match (v, origin) {
                (My::Bytes(b), _) => Value::String(self.text(b, origin).into()),
                (other, _) => {
                    let i = int_of(other).ok_or_else(|| self.err("not an ENUM index"))?;
                    if i == 0 {
                        Value::String("".into())
                    } else {
                        let s = values
                            .get((i - 1) as usize)
                            .ok_or_else(|| self.err(format!("ENUM index {i} is out of range")))?;
                        Value::String(s.as_str().into())
                    }
                }
            },
            Kind::Set { values } => match (v, origin) {
                (My::Bytes(b), Origin::Snapshot) => Value::String(self.text(b, origin).into()),
                (My::Bytes(b), Origin::Binlog) => {
                    // Little-endian bit mask of members.
                    let mut mask: u64 = 0;
                    for (i, byte) in b.iter().enumerate().take(8) {
                        mask |= u64::from(*byte) << (8 * i);
                    }
                    Value::String(set_members(values, mask).into())
                }
                (other, _) => {
                    let mask = int_of(other).ok_or_else(|| self.err("not a SET mask"))? as u64;
                    Value::String(set_members(values, mask).into())
                }
            },
            Kind::Year => {
                let y = match v {
                    My::Bytes(b) => {
                        let s = String::from_utf8_lossy(b);
                        s.trim()
                            .parse::<i64>()
                            .map_err(|_| self.err("not a year"))?
                    }
                    other => int_of(other).ok_or_else(|| self.err("not a year"))?,
                };
                // The binlog encodes YEAR 0000 as 0, which mysql_common shows as 1900.
                let y = if origin == Origin::Binlog && y == 1900 {
                    0
                } else {
                    y
                };
                Value::Int32(y as i32)
            }
            Kind::Date => match date_parts(v) {
                Some((y, mo, d, ..)) if y == 0 || mo == 0 || d == 0 => self.zero_date(),
                Some((y, mo, d, ..)) => {
                    let days = days_from_civil(i64::from(y), u32::from(mo), u32::from(d));
                    match m.time_precision {
                        TimePrecision::Connect => Value::Int32(days as i32),
                        _ => Value::Int32(days as i32),
                    }
                }
                None => return Err(self.err("not a date")),
            },
            Kind::Time { micros } => {
                let us = time_micros(v).ok_or_else(|| self.err("not a time"))?;
                if *micros {
                    Value::Int64(us)
                } else {
                    Value::Int32((us / 1000) as i32)
                }
            }
            Kind::DateTime { precision } => match date_parts(v) {
                Some((y, mo, d, ..)) if y == 0 || mo == 0 || d == 0 => self.zero_date(),
                Some((y, mo, d, h, mi, s, us)) => {
                    let days = days_from_civil(i64::from(y), u32::from(mo), u32::from(d));
                    let secs =
                        days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
                    let micros = secs * 1_000_000 + i64::from(us);
                    if *precision > 3 && m.time_precision != TimePrecision::Connect {
                        Value::Int64(micros)
                    } else {
                        Value::Int64(micros.div_euclid(1000))
                    }
                }
                None => return Err(self.err("not a datetime")),
            },
            Kind::Timestamp { fsp } => {
                let (secs, us) = match (v, origin) {
                    (My::Bytes(b), _) => {
                        let s = String::from_utf8_lossy(b);
                        parse_epoch(&s).ok_or_else(|| self.err("not a timestamp"))?
                    }
                    (My::Int(_) | My::UInt(_), _) => (int_of(v).unwrap_or(0), 0),
                    (My::Date(..), _) => match date_parts(v) {
                        Some((y, mo, d, ..)) if y == 0 || mo == 0 || d == 0 => (0, 0),
                        Some((y, mo, d, h, mi, s, us)) => {
                            let days = days_from_civil(i64::from(y), u32::from(mo), u32::from(d));
                            (
                                days * 86_400
                                    + i64::from(h) * 3600
                                    + i64::from(mi) * 60
                                    + i64::from(s),
                                i64::from(us),
                            )
                        }
                        None => return Err(self.err("not a timestamp")),
                    },
                    _ => return Err(self.err("not a timestamp")),
                };
                if secs == 0 && us == 0 && self.nullable {
                    // The zero TIMESTAMP.
                    Value::Null
                } else {
                    Value::String(zoned_timestamp(secs, us, *fsp).into())
                }
            }
            Kind::Geometry { point } => {
                let b = match v {
                    My::Bytes(b) => b,
                    _ => return Err(self.err("not a geometry")),
                };
                geometry(b, *point).ok_or_else(|| self.err("not a geometry value (SRID + WKB)"))?
            }
        })
    }

    fn zero_date(&self) -> Value {
        if self.nullable {
            Value::Null
        } else {
            match self.kind {
                Kind::Date => Value::Int32(0),
                _ => Value::Int64(0),
            }
        }
    }

    fn int(&self, v: &My) -> Result<i128, ConvertError> {
        match v {
            My::Int(i) if *i < 0 && self.unsigned_bits.is_some() => {
                let bits = self.unsigned_bits.unwrap_or(64);
                Ok(i128::from(*i) & ((1i128 << bits) - 1))
            }
            // Only the binlog's unsigned reading of a negative value is out of range.
            My::Int(i) if self.signed_24 && *i >= 1 << 23 => Ok(i128::from(*i) - (1 << 24)),
            My::UInt(u) if self.signed_24 && *u >= 1 << 23 => Ok(i128::from(*u) - (1 << 24)),
            My::Int(i) => Ok(i128::from(*i)),
            My::UInt(u) => Ok(i128::from(*u)),
            My::Bytes(b) => String::from_utf8_lossy(b)
                .trim()
                .parse::<i128>()
                .map_err(|_| self.err("not an integer")),
            My::Float(f) => Ok(*f as i128),
            My::Double(d) => Ok(*d as i128),
            _ => Err(self.err("not an integer")),
        }
    }

    /// Snapshot rows arrive in the connection's character set (utf8mb4); binlog values in the
    /// column's own.
    fn text(&self, b: &[u8], origin: Origin) -> String {
        match origin {
            Origin::Binlog => self.charset.decode(b).into_owned(),
            _ => String::from_utf8_lossy(b).into_owned(),
        }
    }
}

fn display(v: &My) -> String {
    match v {
        My::Int(i) => i.to_string(),
        My::UInt(u) => u.to_string(),
        My::Float(f) => f.to_string(),
        My::Double(d) => d.to_string(),
        My::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => format!("{other:?}"),
    }
}

fn int_of(v: &My) -> Option<i64> {
    match v {
        My::Int(i) => Some(*i),
        My::UInt(u) => Some(*u as i64),
        My::Bytes(b) => String::from_utf8_lossy(b).trim().parse().ok(),
        My::Double(d) => Some(*d as i64),
        My::Float(f) => Some(*f as i64),
        _ => None,
    }
}

fn float_of(v: &My) -> Option<f64> {
    match v {
        My::Float(f) => Some(f64::from(*f)),
        My::Double(d) => Some(*d),
        My::Int(i) => Some(*i as f64),
        My::UInt(u) => Some(*u as f64),
        My::Bytes(b) => String::from_utf8_lossy(b).trim().parse().ok(),
        _ => None,
    }
}

fn date_parts(v: &My) -> Option<(u16, u8, u8, u8, u8, u8, u32)> {
    match v {
        My::Date(y, mo, d, h, mi, s, us) => Some((*y, *mo, *d, *h, *mi, *s, *us)),
        My::Bytes(b) => {
            // Text form: YYYY-MM-DD[ HH:MM:SS[.ffffff]]
            let s = std::str::from_utf8(b).ok()?.trim();
            let (date, time) = s.split_once([' ', 'T']).unwrap_or((s, ""));
            let mut dp = date.split('-');
            let y = dp.next()?.parse().ok()?;
            let mo = dp.next()?.parse().ok()?;
            let d = dp.next()?.parse().ok()?;
            let (mut h, mut mi, mut sec, mut us) = (0, 0, 0, 0);
            if !time.is_empty() {
                let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
                let mut tp = hms.split(':');
                h = tp.next()?.parse().ok()?;
                mi = tp.next()?.parse().ok()?;
                sec = tp.next()?.parse().ok()?;
                us = frac_micros(frac)?;
            }
            Some((y, mo, d, h, mi, sec, us))
        }
        _ => None,
    }
}

fn frac_micros(frac: &str) -> Option<u32> {
    if frac.is_empty() {
        return Some(0);
    }
    let digits: String = frac.chars().take(6).collect();
    let n: u32 = digits.parse().ok()?;
    Some(n * 10u32.pow(6 - digits.len() as u32))
}

fn time_micros(v: &My) -> Option<i64> {
    match v {
        My::Time(neg, days, h, m, s, us) => {
            let t = ((i64::from(*days) * 24 + i64::from(*h)) * 3600
                + i64::from(*m) * 60
                + i64::from(*s))
                * 1_000_000
                + i64::from(*us);
            Some(if *neg { -t } else { t })
        }
        My::Bytes(b) => {
            let s = std::str::from_utf8(b).ok()?.trim();
            let (neg, s) = match s.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, s),
            };
            let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
            let mut p = hms.split(':');
            let h: i64 = p.next()?.parse().ok()?;
            let m: i64 = p.next()?.parse().ok()?;
            let sec: i64 = p.next()?.parse().ok()?;
            let t = (h * 3600 + m * 60 + sec) * 1_000_000 + i64::from(frac_micros(frac)?);
            Some(if neg { -t } else { t })
        }
        _ => None,
    }
}

fn parse_epoch(s: &str) -> Option<(i64, i64)> {
    let s = s.trim();
    let (sec, frac) = s.split_once('.').unwrap_or((s, ""));
    Some((sec.parse().ok()?, i64::from(frac_micros(frac)?)))
}

pub use cdc_core::calendar::{civil_from_days, days_from_civil};

/// `io.debezium.time.ZonedTimestamp`: ISO-8601 in UTC, the fraction as wide as the column's
/// fractional seconds precision.
pub fn zoned_timestamp(secs: i64, micros: i64, fsp: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
    if fsp > 0 {
        let frac = format!("{:06}", micros.clamp(0, 999_999));
        s.push('.');
        s.push_str(&frac[..(fsp.min(6) as usize)]);
    }
    s.push('Z');
    s
}

fn set_members(values: &[String], mask: u64) -> String {
    values
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 64 && mask & (1 << i) != 0)
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn binary(b: &[u8], mode: BinaryHandling) -> Value {
    match mode {
        BinaryHandling::Bytes => Value::Bytes(b.to_vec()),
        BinaryHandling::Base64 => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b).into())
        }
        BinaryHandling::Base64UrlSafe => {
            Value::String(base64::engine::general_purpose::URL_SAFE.encode(b).into())
        }
        BinaryHandling::Hex => Value::String(
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
                .into(),
        ),
    }
}

/// Rescales a two's complement unscaled value from scale `from` to scale `to`.
fn rescale(bytes: Vec<u8>, from: i32, to: i32) -> Vec<u8> {
    if from == to {
        return bytes;
    }
    let text = cdc_core::decimal::unscaled_to_string(&bytes, from);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut frac: String = frac.chars().take(to.max(0) as usize).collect();
    while (frac.len() as i32) < to {
        frac.push('0');
    }
    let s = if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    };
    cdc_core::decimal::parse_decimal(&s)
        .map(|(b, _)| b)
        .unwrap_or(bytes)
}

fn unscaled_bytes_u64(n: u64) -> Vec<u8> {
    let mut b = n.to_be_bytes().to_vec();
    // A leading zero byte keeps the value positive when the top bit is set.
    b.insert(0, 0);
    while b.len() > 1 && b[0] == 0 && b[1] & 0x80 == 0 {
        b.remove(0);
    }
    b
}

/// MySQL's internal geometry (4-byte little-endian SRID, then WKB) as Debezium's
/// `Geometry {wkb, srid}` or, for POINT columns, `Point {x, y, wkb, srid}`.
fn geometry(b: &[u8], point: bool) -> Option<Value> {
    let srid = i32::from_le_bytes(b.get(..4)?.try_into().ok()?);
    let wkb = b.get(4..)?.to_vec();
    if point {
        // WKB point: byte order, u32 type (1), x, y.
        let little = *wkb.first()? == 1;
        let f = |at: usize| -> Option<f64> {
            let raw: [u8; 8] = wkb.get(at..at + 8)?.try_into().ok()?;
            Some(if little {
                f64::from_le_bytes(raw)
            } else {
                f64::from_be_bytes(raw)
            })
        };
        let (x, y) = (f(5)?, f(13)?);
        return Some(Value::Struct(vec![
            Value::Float64(x),
            Value::Float64(y),
            Value::Bytes(wkb),
            Value::Int32(srid),
        ]));
    }
    Some(Value::Struct(vec![Value::Bytes(wkb), Value::Int32(srid)]))
}

fn decimal_schema(precision: u32, scale: u32) -> Schema {
    Schema::bytes()
        .named(logical::DECIMAL)
        .version(1)
        .param("scale", scale.to_string())
        .param("connect.decimal.precision", precision.to_string())
}

fn binary_schema(mode: BinaryHandling) -> Schema {
    match mode {
        BinaryHandling::Bytes => Schema::bytes(),
        _ => Schema::string(),
    }
}

fn kind_and_schema(c: &Column, m: TypeModes) -> (Kind, Schema) {
    let t = c.type_name.as_str();
    let fsp = c.length.unwrap_or(0);
    match t {
        "BOOLEAN" | "BOOL" => (Kind::Boolean, Schema::boolean()),
        "BIT" if c.length.unwrap_or(1) <= 1 => (Kind::Boolean, Schema::boolean()),
        "BIT" => {
            let bits = c.length.unwrap_or(1);
            (
                Kind::Bits { bits },
                Schema::bytes()
                    .named(logical::BITS)
                    .version(1)
                    .param("length", bits.to_string()),
            )
        }
        "TINYINT" => (Kind::Int16, Schema::int16()),
        "SMALLINT" if c.unsigned => (Kind::Int32, Schema::int32()),
        "SMALLINT" => (Kind::Int16, Schema::int16()),
        "MEDIUMINT" | "MIDDLEINT" => (Kind::Int32, Schema::int32()),
        "INT" if c.unsigned => (Kind::Int64, Schema::int64()),
        "INT" => (Kind::Int32, Schema::int32()),
        "BIGINT" if c.unsigned && m.bigint_unsigned == BigintUnsigned::Precise => {
            (Kind::UnsignedDecimal, decimal_schema(20, 0))
        }
        "BIGINT" => (Kind::Int64, Schema::int64()),
        "FLOAT" if c.length.is_some_and(|p| p > 23) && c.scale.is_none() => {
            (Kind::Float64, Schema::float64())
        }
        "FLOAT" if c.scale.is_some() => (Kind::Float64, Schema::float64()),
        "FLOAT" => (Kind::Float32, Schema::float32()),
        "DOUBLE" => (Kind::Float64, Schema::float64()),
        "DECIMAL" => {
            let precision = c.length.unwrap_or(10);
            let scale = c.scale.unwrap_or(0);
            let schema = match m.decimal {
                DecimalHandling::Precise => decimal_schema(precision, scale),
                DecimalHandling::Double => Schema::float64(),
                DecimalHandling::String => Schema::string(),
            };
            (Kind::Decimal { scale }, schema)
        }
        "JSON" => (Kind::Json, Schema::string().named(logical::JSON).version(1)),
        "ENUM" => (
            Kind::Enum {
                values: c.enum_values.clone().into(),
            },
            Schema::string()
                .named(logical::ENUM)
                .version(1)
                .param("allowed", c.enum_values.join(",")),
        ),
        "SET" => (
            Kind::Set {
                values: c.enum_values.clone().into(),
            },
            Schema::string()
                .named(logical::ENUM_SET)
                .version(1)
                .param("allowed", c.enum_values.join(",")),
        ),
        "YEAR" => (Kind::Year, Schema::int32().named(logical::YEAR).version(1)),
        "DATE" => match m.time_precision {
            TimePrecision::Connect => (
                Kind::Date,
                Schema::int32().named(logical::CONNECT_DATE).version(1),
            ),
            _ => (Kind::Date, Schema::int32().named(logical::DATE).version(1)),
        },
        "TIME" => match m.time_precision {
            TimePrecision::AdaptiveTimeMicroseconds => (
                Kind::Time { micros: true },
                Schema::int64().named(logical::MICRO_TIME).version(1),
            ),
            TimePrecision::Adaptive if fsp > 3 => (
                Kind::Time { micros: true },
                Schema::int64().named(logical::MICRO_TIME).version(1),
            ),
            TimePrecision::Adaptive => (
                Kind::Time { micros: false },
                Schema::int32().named(logical::TIME).version(1),
            ),
            TimePrecision::Connect => (
                Kind::Time { micros: false },
                Schema::int32().named(logical::CONNECT_TIME).version(1),
            ),
        },
        "DATETIME" => match m.time_precision {
            TimePrecision::Connect => (
                Kind::DateTime { precision: fsp },
                Schema::int64().named(logical::CONNECT_TIMESTAMP).version(1),
            ),
            _ if fsp > 3 => (
                Kind::DateTime { precision: fsp },
                Schema::int64().named(logical::MICRO_TIMESTAMP).version(1),
            ),
            _ => (
                Kind::DateTime { precision: fsp },
                Schema::int64().named(logical::TIMESTAMP).version(1),
            ),
        },
        "TIMESTAMP" => (
            Kind::Timestamp { fsp },
            Schema::string().named(logical::ZONED_TIMESTAMP).version(1),
        ),
        "POINT" => (
            Kind::Geometry { point: true },
            Schema::structure(logical::POINT)
                .version(1)
                .doc_("Geometry (POINT)")
                .field("x", Schema::float64())
                .field("y", Schema::float64())
                .field("wkb", Schema::bytes().optional())
                .field("srid", Schema::int32().optional()),
        ),
        "GEOMETRY" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING"
        | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" | "GEOMCOLLECTION" => (
            Kind::Geometry { point: false },
            Schema::structure(logical::GEOMETRY)
                .version(1)
                .doc_("Geometry")
                .field("wkb", Schema::bytes())
                .field("srid", Schema::int32().optional()),
        ),
        _ if is_binary_type(c) => (Kind::Binary, binary_schema(m.binary)),
        // CHAR, VARCHAR, *TEXT, and anything unknown as text.
        _ => (Kind::Text, Schema::string()),
    }
}

trait Doc {
    fn doc_(self, doc: &str) -> Self;
}

impl Doc for Schema {
    fn doc_(mut self, doc: &str) -> Self {
        self.doc = Some(doc.to_owned());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(type_text: &str, nullable: bool) -> Column {
        let mut c = Column {
            name: "c".into(),
            type_name: String::new(),
            length: None,
            scale: None,
            unsigned: false,
            nullable,
            auto_increment: false,
            enum_values: Vec::new(),
            charset: None,
            default: None,
            comment: None,
            json_alias: false,
        };
        crate::ddl::parse_type(type_text, &mut c);
        c
    }

    fn conv(type_text: &str, v: My, origin: Origin) -> Value {
        ColumnCodec::new(&col(type_text, true), TypeModes::default())
            .convert(&v, origin)
            .unwrap()
    }

    #[test]
    fn integers_follow_debeziums_widths() {
        let s = |t: &str| {
            ColumnCodec::new(&col(t, false), TypeModes::default())
                .schema
                .kind
        };
        use cdc_core::SchemaType::*;
        assert_eq!(s("TINYINT"), Int16);
        assert_eq!(s("TINYINT UNSIGNED"), Int16);
        assert_eq!(s("SMALLINT UNSIGNED"), Int32);
        assert_eq!(s("MEDIUMINT"), Int32);
        assert_eq!(s("INT UNSIGNED"), Int64);
        assert_eq!(s("BIGINT UNSIGNED"), Int64);
        assert_eq!(
            conv("INT UNSIGNED", My::Int(-1i32 as u32 as i64), Origin::Binlog),
            Value::Int64(4294967295)
        );
    }

    #[test]
    fn temporal_values() {
        assert_eq!(
            conv("DATE", My::Date(2018, 6, 20, 0, 0, 0, 0), Origin::Binlog),
            Value::Int32(17702)
        );
        assert_eq!(
            conv(
                "DATETIME",
                My::Date(2018, 6, 20, 6, 37, 3, 0),
                Origin::Binlog
            ),
            Value::Int64(1_529_476_623_000)
        );
        assert_eq!(
            conv(
                "DATETIME(6)",
                My::Date(2018, 6, 20, 6, 37, 3, 5),
                Origin::Binlog
            ),
            Value::Int64(1_529_476_623_000_005)
        );
        assert_eq!(
            conv("DATETIME", My::Date(0, 0, 0, 0, 0, 0, 0), Origin::Binlog),
            Value::Null
        );
        assert_eq!(
            conv("TIME", My::Time(true, 1, 2, 3, 4, 5), Origin::Binlog),
            Value::Int64(-((26 * 3600 + 3 * 60 + 4) * 1_000_000 + 5))
        );
        assert_eq!(
            conv(
                "TIMESTAMP(3)",
                My::Bytes(b"1529476623.120000".to_vec()),
                Origin::Binlog
            ),
            Value::String("2018-06-20T06:37:03.120Z".into())
        );
        assert_eq!(
            conv(
                "TIMESTAMP",
                My::Date(2018, 6, 20, 6, 37, 3, 0),
                Origin::Snapshot
            ),
            Value::String("2018-06-20T06:37:03Z".into())
        );
        assert_eq!(
            conv("YEAR", My::Bytes(b"1900".to_vec()), Origin::Binlog),
            Value::Int32(0)
        );
        assert_eq!(
            conv("YEAR", My::Int(2024), Origin::Snapshot),
            Value::Int32(2024)
        );
    }

    #[test]
    fn decimals_enums_sets_bits() {
        let d = conv(
            "DECIMAL(10,2)",
            My::Bytes(b"-12.5".to_vec()),
            Origin::Binlog,
        );
        assert_eq!(d, Value::Bytes(vec![0xFB, 0x1E])); // -1250
        assert_eq!(
            conv("ENUM('a','b')", My::Int(2), Origin::Binlog),
            Value::String("b".into())
        );
        assert_eq!(
            conv("SET('a','b','c')", My::Bytes(vec![5]), Origin::Binlog),
            Value::String("a,c".into())
        );
        assert_eq!(
            conv(
                "SET('a','b','c')",
                My::Bytes(b"a,c".to_vec()),
                Origin::Snapshot
            ),
            Value::String("a,c".into())
        );
        assert_eq!(
            conv("BIT(16)", My::Bytes(vec![0x01, 0x02]), Origin::Binlog),
            Value::Bytes(vec![0x02, 0x01])
        );
        assert_eq!(
            conv("BIT(1)", My::Bytes(vec![1]), Origin::Binlog),
            Value::Boolean(true)
        );
    }

    #[test]
    fn calendar_round_trips() {
        for days in [-719_468, -1, 0, 1, 17_702, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
