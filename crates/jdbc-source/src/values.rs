//! Column values → Connect values, as Confluent's `columnConverterFor` reads them (research §4):
//! PostgreSQL's binary wire values and MySQL's binary-protocol values, each into the Connect
//! type its column's schema says ([`Target`]), timestamps and times read in `db.timezone`, dates
//! as UTC days. Pure: a value that cannot be read is an error naming the column's type, never a
//! panic.

use cdc_core::schema::logical;
use cdc_core::{Schema, SchemaType, Value};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

use crate::temporal::{date_days, millis, timestamp_in};

/// The Connect type a column's values become (from its field schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    String,
    Bytes,
    /// Connect `Decimal` with this scale.
    Decimal(i32),
    Date,
    Time,
    Timestamp,
}

impl Target {
    pub fn of(schema: &Schema) -> Target {
        match (schema.kind, schema.name.as_deref()) {
            (SchemaType::Int32, Some(logical::CONNECT_DATE)) => Target::Date,
            (SchemaType::Int32, Some(logical::CONNECT_TIME)) => Target::Time,
            (SchemaType::Int64, Some(logical::CONNECT_TIMESTAMP)) => Target::Timestamp,
            (SchemaType::Bytes, Some(logical::DECIMAL)) => Target::Decimal(
                schema
                    .parameter("scale")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
            ),
            (SchemaType::Boolean, _) => Target::Boolean,
            (SchemaType::Int8, _) => Target::Int8,
            (SchemaType::Int16, _) => Target::Int16,
            (SchemaType::Int32, _) => Target::Int32,
            (SchemaType::Int64, _) => Target::Int64,
            (SchemaType::Float32, _) => Target::Float32,
            (SchemaType::Float64, _) => Target::Float64,
            (SchemaType::Bytes, _) => Target::Bytes,
            _ => Target::String,
        }
    }
}

/// A value read from the database before it takes its Connect type.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// An exact decimal as text (`-12.50`).
    Decimal(String),
    Text(String),
    Bytes(Vec<u8>),
    /// A bit string: its length in bits and its bytes.
    Bits(u32, Vec<u8>),
    Date(Date),
    /// A time of day with no zone (read in `db.timezone`).
    Time(Time),
    /// A time of day at a known UTC offset: milliseconds of the UTC day.
    TimeUtcMillis(i64),
    /// A wall-clock date and time (read in `db.timezone`).
    DateTime(DateTime),
    /// An instant: seconds since the epoch and nanoseconds.
    Instant(i64, u32),
}

impl Read {
    /// The instant of a timestamp (seconds, nanoseconds), for the offset of a timestamp column.
    pub fn instant(&self, zone: &TimeZone) -> Result<Option<(i64, u32)>, String> {
        Ok(match self {
            Read::Null => None,
            Read::Instant(s, n) => Some((*s, *n)),
            Read::DateTime(dt) => Some(timestamp_in(*dt, zone)?),
            Read::Date(d) => Some(timestamp_in(d.to_datetime(Time::midnight()), zone)?),
            other => return Err(format!("{} is not a timestamp", other.kind())),
        })
    }

    /// The integer of an incrementing column.
    pub fn integer(&self) -> Result<Option<i64>, String> {
        Ok(match self {
            Read::Null => None,
            Read::Int(i) => Some(*i),
            Read::UInt(u) => Some(i64::try_from(*u).map_err(|_| format!("{u} is out of range"))?),
            Read::Decimal(d) => Some(
                integer_part(d)
                    .parse()
                    .map_err(|_| format!("{d} is not a whole number in range"))?,
            ),
            other => return Err(format!("{} is not an integer", other.kind())),
        })
    }

    fn kind(&self) -> &'static str {
        match self {
            Read::Null => "NULL",
            Read::Bool(_) => "a boolean",
            Read::Int(_) | Read::UInt(_) => "an integer",
            Read::Float(_) => "a floating-point number",
            Read::Decimal(_) => "a decimal",
            Read::Text(_) => "text",
            Read::Bytes(_) => "bytes",
            Read::Bits(..) => "a bit string",
            Read::Date(_) => "a date",
            Read::Time(_) | Read::TimeUtcMillis(_) => "a time",
            Read::DateTime(_) => "a timestamp",
            Read::Instant(..) => "a timestamp",
        }
    }

    /// The Connect value `target` holds.
    pub fn to_value(self, target: Target, zone: &TimeZone) -> Result<Value, String> {
        let kind = self.kind();
        let wrong = || format!("{kind} cannot be read as {target:?}");
        Ok(match (self, target) {
            (Read::Null, _) => Value::Null,
            (Read::Bool(b), Target::Boolean) => Value::Boolean(b),
            (Read::Bits(n, bytes), Target::Boolean) if n >= 1 => {
                Value::Boolean(bytes.first().is_some_and(|b| b & 0x80 != 0))
            }
            (Read::Bits(n, bytes), Target::Int8) => Value::Int8(bits_value(n, &bytes) as i8),
            (Read::Bits(_, bytes), Target::Bytes) => Value::Bytes(bytes),
            (Read::Int(i), t) => integer(i128::from(i), t).ok_or_else(wrong)?,
            (Read::UInt(u), t) => integer(i128::from(u), t).ok_or_else(wrong)?,
            (Read::Bool(b), t @ (Target::Int8 | Target::Int16 | Target::Int32 | Target::Int64)) => {
                integer(i128::from(b), t).ok_or_else(wrong)?
            }
            (Read::Float(f), Target::Float64) => Value::Float64(f),
            (Read::Float(f), Target::Float32) => Value::Float32(f as f32),
            (Read::Float(f), Target::Decimal(scale)) => decimal(&format!("{f}"), scale)?,
            (Read::Decimal(d), Target::Decimal(scale)) => decimal(&d, scale)?,
            (Read::Decimal(d), Target::Float64) => {
                Value::Float64(d.parse().map_err(|_| format!("{d} is not a number"))?)
            }
            (Read::Decimal(d), Target::Float32) => {
                Value::Float32(d.parse().map_err(|_| format!("{d} is not a number"))?)
            }
            (Read::Decimal(d), t) => {
                let i: i128 = integer_part(&d)
                    .parse()
                    .map_err(|_| format!("{d} is out of range for {t:?}"))?;
                integer(i, t).ok_or_else(|| format!("{d} is out of range for {t:?}"))?
            }
            (Read::Text(s), Target::String) => Value::String(s.into()),
            (Read::Bytes(b), Target::Bytes) => Value::Bytes(b),
            (Read::Bytes(b), Target::String) => {
                Value::String(String::from_utf8_lossy(&b).into_owned().into())
            }
            (Read::Bytes(b), t @ (Target::Decimal(_) | Target::Float64 | Target::Float32)) => {
                let text = String::from_utf8_lossy(&b).into_owned();
                return Read::Decimal(text).to_value(t, zone);
            }
            (
                Read::Bytes(b),
                t @ (Target::Int8 | Target::Int16 | Target::Int32 | Target::Int64),
            ) => {
                let text = String::from_utf8_lossy(&b).into_owned();
                return Read::Decimal(text).to_value(t, zone);
            }
            (Read::Text(s), Target::Bytes) => Value::Bytes(s.into_bytes()),
            (Read::Date(d), Target::Date) => Value::Int32(date_days(d)),
            (Read::DateTime(dt), Target::Date) => Value::Int32(date_days(dt.date())),
            (Read::Time(t), Target::Time) => Value::Int32(time_in(t, zone)?),
            (Read::TimeUtcMillis(ms), Target::Time) => {
                Value::Int32(ms.rem_euclid(86_400_000) as i32)
            }
            (r @ (Read::DateTime(_) | Read::Instant(..) | Read::Date(_)), Target::Timestamp) => {
                match r.instant(zone)? {
                    Some((s, n)) => Value::Int64(millis(s, n)),
                    None => Value::Null,
                }
            }
            _ => return Err(wrong()),
        })
    }
}

/// Milliseconds of the UTC day of `t` on 1970-01-01 in `zone` (JDBC's `getTime(col, cal)`).
fn time_in(t: Time, zone: &TimeZone) -> Result<i32, String> {
    let (s, n) = timestamp_in(Date::constant(1970, 1, 1).to_datetime(t), zone)?;
    Ok(millis(s, n).rem_euclid(86_400_000) as i32)
}

fn bits_value(n: u32, bytes: &[u8]) -> u64 {
    let mut v: u64 = 0;
    for i in 0..n.min(64) {
        let byte = bytes.get((i / 8) as usize).copied().unwrap_or(0);
        let bit = (byte >> (7 - (i % 8))) & 1;
        v = (v << 1) | u64::from(bit);
    }
    v
}

fn integer(i: i128, t: Target) -> Option<Value> {
    Some(match t {
        Target::Int8 => Value::Int8(i8::try_from(i).ok()?),
        Target::Int16 => Value::Int16(i16::try_from(i).ok()?),
        Target::Int32 => Value::Int32(i32::try_from(i).ok()?),
        Target::Int64 => Value::Int64(i64::try_from(i).ok()?),
        Target::Float64 => Value::Float64(i as f64),
        Target::Float32 => Value::Float32(i as f32),
        Target::Boolean => Value::Boolean(i != 0),
        Target::Decimal(scale) => return decimal(&i.to_string(), scale).ok(),
        Target::String => Value::String(i.to_string().into()),
        _ => return None,
    })
}

/// The digits before the point (`-12.50` → `-12`).
fn integer_part(d: &str) -> &str {
    let d = d.trim();
    match d.split_once('.') {
        Some((i, _)) if i.is_empty() || i == "-" => "0",
        Some((i, _)) => i,
        None => d,
    }
}

/// A decimal's text at `scale` as Connect's unscaled bytes (digits past the scale are cut, as
/// `setScale(scale, FLOOR)` would for the values a column of that scale holds).
fn decimal(text: &str, scale: i32) -> Result<Value, String> {
    let t = text.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let want = usize::try_from(scale.max(0)).unwrap_or(0);
    let mut s = String::with_capacity(int.len() + want + 1);
    s.push_str(if int.is_empty() { "0" } else { int });
    if want > 0 {
        s.push('.');
        let kept = &frac[..frac.len().min(want)];
        s.push_str(kept);
        for _ in kept.len()..want {
            s.push('0');
        }
    }
    let (bytes, _) = cdc_core::decimal::parse_decimal(&s)
        .ok_or_else(|| format!("{text:?} is not a decimal number"))?;
    Ok(Value::Bytes(bytes))
}

/// PostgreSQL's binary wire values, by the column's type name.
pub mod pg {
    use super::Read;
    use jiff::civil::{Date, DateTime, Time};

    /// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
    const PG_EPOCH_DAYS: i64 = 10_957;
    const PG_EPOCH_SECS: i64 = PG_EPOCH_DAYS * 86_400;

    /// The PostgreSQL types the source reads (the others are left out of records).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum PgType {
        Bool,
        Bit,
        Int2,
        Int4,
        Int8,
        Oid,
        Float4,
        Float8,
        Money,
        Numeric,
        Bytea,
        Date,
        Time,
        TimeTz,
        Timestamp,
        TimestampTz,
        Jsonb,
        Uuid,
        /// Text-like: `text`, `varchar`, `bpchar`, `"char"`, `name`, `xml`, `json`, enums.
        Text,
    }

    impl PgType {
        pub fn of(typname: &str, is_enum: bool) -> Option<PgType> {
            if is_enum {
                return Some(PgType::Text);
            }
            Some(match typname {
                "bool" => PgType::Bool,
                "bit" => PgType::Bit,
                "int2" => PgType::Int2,
                "int4" => PgType::Int4,
                "int8" => PgType::Int8,
                "oid" => PgType::Oid,
                "float4" => PgType::Float4,
                "float8" => PgType::Float8,
                "money" => PgType::Money,
                "numeric" => PgType::Numeric,
                "bytea" => PgType::Bytea,
                "date" => PgType::Date,
                "time" => PgType::Time,
                "timetz" => PgType::TimeTz,
                "timestamp" => PgType::Timestamp,
                "timestamptz" => PgType::TimestampTz,
                "jsonb" => PgType::Jsonb,
                "uuid" => PgType::Uuid,
                "char" | "bpchar" | "varchar" | "text" | "name" | "xml" | "json" => PgType::Text,
                _ => return None,
            })
        }

        /// Reads one binary value of this type.
        pub fn read(self, raw: Option<&[u8]>) -> Result<Read, String> {
            let Some(raw) = raw else {
                return Ok(Read::Null);
            };
            let what = self.name();
            Ok(match self {
                PgType::Bool => Read::Bool(array::<1>(raw, what)?[0] != 0),
                PgType::Int2 => Read::Int(i64::from(i16::from_be_bytes(array(raw, what)?))),
                PgType::Int4 => Read::Int(i64::from(i32::from_be_bytes(array(raw, what)?))),
                PgType::Oid => Read::Int(i64::from(u32::from_be_bytes(array(raw, what)?))),
                PgType::Int8 => Read::Int(i64::from_be_bytes(array(raw, what)?)),
                PgType::Float4 => Read::Float(f64::from(f32::from_be_bytes(array(raw, what)?))),
                PgType::Float8 => Read::Float(f64::from_be_bytes(array(raw, what)?)),
                PgType::Money => Read::Float(i64::from_be_bytes(array(raw, what)?) as f64 / 100.0),
                PgType::Numeric => Read::Decimal(numeric(raw)?),
                PgType::Bytea => Read::Bytes(raw.to_vec()),
                PgType::Bit => {
                    let n = u32::from_be_bytes(array(raw, what)?);
                    Read::Bits(n, raw.get(4..).unwrap_or_default().to_vec())
                }
                PgType::Jsonb => match raw.split_first() {
                    Some((1, rest)) => text(rest)?,
                    _ => return Err("a jsonb value of an unknown version".into()),
                },
                PgType::Uuid => {
                    let b: [u8; 16] = array(raw, what)?;
                    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
                    Read::Text(format!(
                        "{}-{}-{}-{}-{}",
                        &h[..8],
                        &h[8..12],
                        &h[12..16],
                        &h[16..20],
                        &h[20..]
                    ))
                }
                PgType::Date => {
                    let days = i64::from(i32::from_be_bytes(array(raw, what)?));
                    Read::Date(date_of(days + PG_EPOCH_DAYS)?)
                }
                PgType::Time => Read::Time(time_of(i64::from_be_bytes(array(raw, what)?))?),
                PgType::TimeTz => {
                    let us = i64::from_be_bytes(array(raw, what)?);
                    let west: [u8; 4] = raw
                        .get(8..12)
                        .and_then(|b| b.try_into().ok())
                        .ok_or("a timetz value is too short")?;
                    let west = i64::from(i32::from_be_bytes(west));
                    Read::TimeUtcMillis((us / 1000 + west * 1000).rem_euclid(86_400_000))
                }
                PgType::Timestamp => {
                    let us = i64::from_be_bytes(array(raw, what)?);
                    let (s, n) = split_micros(us)?;
                    let ts = jiff::Timestamp::new(s, n as i32)
                        .map_err(|e| format!("timestamp out of range: {e}"))?;
                    let dt: DateTime = jiff::tz::TimeZone::UTC.to_datetime(ts);
                    Read::DateTime(dt)
                }
                PgType::TimestampTz => {
                    let us = i64::from_be_bytes(array(raw, what)?);
                    let (s, n) = split_micros(us)?;
                    Read::Instant(s, n)
                }
                PgType::Text => text(raw)?,
            })
        }

        fn name(self) -> &'static str {
            match self {
                PgType::Bool => "bool",
                PgType::Bit => "bit",
                PgType::Int2 => "int2",
                PgType::Int4 => "int4",
                PgType::Int8 => "int8",
                PgType::Oid => "oid",
                PgType::Float4 => "float4",
                PgType::Float8 => "float8",
                PgType::Money => "money",
                PgType::Numeric => "numeric",
                PgType::Bytea => "bytea",
                PgType::Date => "date",
                PgType::Time => "time",
                PgType::TimeTz => "timetz",
                PgType::Timestamp => "timestamp",
                PgType::TimestampTz => "timestamptz",
                PgType::Jsonb => "jsonb",
                PgType::Uuid => "uuid",
                PgType::Text => "text",
            }
        }
    }

    /// One binary value straight to the Connect value `target` holds: the common pairs without
    /// an intermediate [`Read`] (one allocation for text, none for numbers; timestamps without
    /// a zone lookup when `utc`), the rest through [`PgType::read`] and [`Read::to_value`].
    pub fn value(
        ty: PgType,
        target: super::Target,
        raw: Option<&[u8]>,
        zone: &jiff::tz::TimeZone,
        utc: bool,
    ) -> Result<cdc_core::Value, String> {
        use super::Target as T;
        use cdc_core::Value as V;
        let Some(raw) = raw else {
            return Ok(V::Null);
        };
        let what = ty.name();
        Ok(match (ty, target) {
            (PgType::Bool, T::Boolean) => V::Boolean(array::<1>(raw, what)?[0] != 0),
            (PgType::Int2, T::Int16) => V::Int16(i16::from_be_bytes(array(raw, what)?)),
            (PgType::Int4, T::Int32) => V::Int32(i32::from_be_bytes(array(raw, what)?)),
            (PgType::Int8, T::Int64) => V::Int64(i64::from_be_bytes(array(raw, what)?)),
            (PgType::Float4, T::Float32) => V::Float32(f32::from_be_bytes(array(raw, what)?)),
            (PgType::Float8, T::Float64) => V::Float64(f64::from_be_bytes(array(raw, what)?)),
            (PgType::Text, T::String) => V::String(String::from_utf8_lossy(raw).as_ref().into()),
            (PgType::Bytea, T::Bytes) => V::Bytes(raw.to_vec()),
            (PgType::Numeric, T::Decimal(scale)) => match numeric_unscaled(raw, scale)? {
                Some(bytes) => V::Bytes(bytes),
                None => ty.read(Some(raw))?.to_value(target, zone)?,
            },
            (PgType::TimestampTz, T::Timestamp) => {
                let (s, n) = split_micros(i64::from_be_bytes(array(raw, what)?))?;
                V::Int64(super::millis(s, n))
            }
            (PgType::Timestamp, T::Timestamp) if utc => {
                let (s, n) = split_micros(i64::from_be_bytes(array(raw, what)?))?;
                V::Int64(super::millis(s, n))
            }
            _ => ty.read(Some(raw))?.to_value(target, zone)?,
        })
    }

    /// NUMERIC's binary form as Connect's unscaled bytes when its display scale is `scale`
    /// (a `numeric(p,s)` column's values always are); `None` otherwise.
    fn numeric_unscaled(raw: &[u8], scale: i32) -> Result<Option<Vec<u8>>, String> {
        let head: [u8; 8] = array(raw, "numeric")?;
        let ndigits = usize::from(u16::from_be_bytes([head[0], head[1]]));
        let weight = i16::from_be_bytes([head[2], head[3]]);
        let sign = u16::from_be_bytes([head[4], head[5]]);
        let dscale = u16::from_be_bytes([head[6], head[7]]);
        if !matches!(sign, 0x0000 | 0x4000) || i32::from(dscale) != scale {
            return Ok(None);
        }
        let body = raw
            .get(8..8 + 2 * ndigits)
            .ok_or("a numeric value is too short")?;
        let digits: Vec<i16> = body
            .chunks_exact(2)
            .map(|d| i16::from_be_bytes([d[0], d[1]]))
            .collect();
        let (bytes, _) = cdc_core::decimal::from_base10000(&digits, weight, sign == 0x4000, dscale);
        Ok(Some(bytes))
    }

    /// Whether the source reads a column of this type (the others are left out of records).
    pub fn readable(typname: &str, is_enum: bool) -> bool {
        PgType::of(typname, is_enum).is_some()
    }

    fn array<const N: usize>(raw: &[u8], what: &str) -> Result<[u8; N], String> {
        raw.get(..N)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("a {what} value of {} bytes is too short", raw.len()))
    }

    /// Reads one binary value of type `typname` (an enum's value is its label; a type the
    /// source does not read, as text).
    pub fn read(typname: &str, is_enum: bool, raw: Option<&[u8]>) -> Result<Read, String> {
        PgType::of(typname, is_enum)
            .unwrap_or(PgType::Text)
            .read(raw)
    }

    fn text(raw: &[u8]) -> Result<Read, String> {
        Ok(Read::Text(String::from_utf8_lossy(raw).into_owned()))
    }

    /// Microseconds since 2000-01-01 → seconds and nanoseconds since 1970-01-01 (±infinity
    /// are refused: Connect's Timestamp has no infinity).
    fn split_micros(us: i64) -> Result<(i64, u32), String> {
        if us == i64::MAX || us == i64::MIN {
            return Err("an infinite timestamp has no Connect Timestamp".into());
        }
        let s = us.div_euclid(1_000_000) + PG_EPOCH_SECS;
        let n = (us.rem_euclid(1_000_000) * 1000) as u32;
        Ok((s, n))
    }

    /// Microseconds since midnight.
    pub(crate) fn time_of(us: i64) -> Result<Time, String> {
        let secs = us.div_euclid(1_000_000);
        let h = secs / 3600;
        if !(0..=24).contains(&h) {
            return Err(format!("a time of {us} microseconds is out of range"));
        }
        if h == 24 {
            return Ok(Time::constant(0, 0, 0, 0));
        }
        Time::new(
            h as i8,
            ((secs / 60) % 60) as i8,
            (secs % 60) as i8,
            (us.rem_euclid(1_000_000) * 1000) as i32,
        )
        .map_err(|e| e.to_string())
    }

    pub(crate) fn date_of(days_since_1970: i64) -> Result<Date, String> {
        let epoch = Date::constant(1970, 1, 1);
        epoch
            .checked_add(
                jiff::Span::new()
                    .try_days(days_since_1970)
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| format!("a date out of range: {e}"))
    }

    /// NUMERIC's binary form (base-10000 digits) as decimal text; NaN and infinities are
    /// refused (Connect's Decimal has none).
    pub(crate) fn numeric(raw: &[u8]) -> Result<String, String> {
        let head: [u8; 8] = super::pg::array(raw, "numeric")?;
        let ndigits = usize::from(u16::from_be_bytes([head[0], head[1]]));
        let weight = i64::from(i16::from_be_bytes([head[2], head[3]]));
        let sign = u16::from_be_bytes([head[4], head[5]]);
        let dscale = usize::from(u16::from_be_bytes([head[6], head[7]]));
        match sign {
            0x0000 | 0x4000 => {}
            0xC000 => return Err("NaN has no Connect Decimal".into()),
            _ => return Err("an infinite numeric has no Connect Decimal".into()),
        }
        let mut digits = Vec::with_capacity(ndigits);
        for i in 0..ndigits {
            let at = 8 + 2 * i;
            let d = raw.get(at..at + 2).ok_or("a numeric value is too short")?;
            digits.push(i64::from(i16::from_be_bytes([d[0], d[1]])));
        }
        // Integer part: groups 0..=weight; fraction: the groups after.
        let mut int = String::new();
        for g in 0..=weight.max(-1) {
            let d = usize::try_from(g)
                .ok()
                .and_then(|g| digits.get(g))
                .copied()
                .unwrap_or(0);
            if int.is_empty() {
                if d != 0 {
                    int.push_str(&d.to_string());
                }
            } else {
                int.push_str(&format!("{d:04}"));
            }
        }
        if int.is_empty() {
            int.push('0');
        }
        let mut frac = String::new();
        let mut g = weight + 1;
        while frac.len() < dscale {
            let d = if g < 0 {
                0
            } else {
                usize::try_from(g)
                    .ok()
                    .and_then(|g| digits.get(g))
                    .copied()
                    .unwrap_or(0)
            };
            frac.push_str(&format!("{d:04}"));
            g += 1;
        }
        frac.truncate(dscale);
        let neg = sign == 0x4000 && (int != "0" || frac.bytes().any(|b| b != b'0'));
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        out.push_str(&int);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(&frac);
        }
        Ok(out)
    }
}

/// MySQL's binary-protocol values (`mysql_common::Value`, passed in as its parts).
pub mod my {
    use super::Read;
    use jiff::civil::{Date, DateTime, Time};

    /// `Value::Date(y, m, d, h, mi, s, us)`: a DATE (midnight) or DATETIME/TIMESTAMP; a zero date
    /// (`0000-00-00`) is NULL, as Connector/J's `zeroDateTimeBehavior` default… refuses it: we
    /// read it as NULL and say so in the docs.
    pub fn date_time(is_date: bool, parts: (u16, u8, u8, u8, u8, u8, u32)) -> Result<Read, String> {
        let (y, m, d, h, mi, s, us) = parts;
        if y == 0 || m == 0 || d == 0 {
            return Ok(Read::Null);
        }
        let date = Date::new(y as i16, m as i8, d as i8).map_err(|e| e.to_string())?;
        if is_date {
            return Ok(Read::Date(date));
        }
        let time =
            Time::new(h as i8, mi as i8, s as i8, (us * 1000) as i32).map_err(|e| e.to_string())?;
        Ok(Read::DateTime(DateTime::from_parts(date, time)))
    }

    /// `Value::Time(negative, days, h, mi, s, us)`: a TIME of day (a duration past 24 hours or
    /// negative is out of Connect's Time range and refused).
    pub fn time(parts: (bool, u32, u8, u8, u8, u32)) -> Result<Read, String> {
        let (neg, days, h, mi, s, us) = parts;
        if neg || days > 0 {
            return Err("a TIME outside 00:00:00..24:00:00 has no Connect Time".into());
        }
        Time::new(h as i8, mi as i8, s as i8, (us * 1000) as i32)
            .map(Read::Time)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    fn numeric(ndigits: &[i16], weight: i16, neg: bool, dscale: u16) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend((ndigits.len() as u16).to_be_bytes());
        v.extend(weight.to_be_bytes());
        v.extend((if neg { 0x4000u16 } else { 0 }).to_be_bytes());
        v.extend(dscale.to_be_bytes());
        for d in ndigits {
            v.extend(d.to_be_bytes());
        }
        v
    }

    #[test]
    fn postgres_numerics_become_exact_text() {
        assert_eq!(
            pg::numeric(&numeric(&[12, 3400], 0, false, 2)).unwrap(),
            "12.34"
        );
        assert_eq!(
            pg::numeric(&numeric(&[1, 0], 1, true, 0)).unwrap(),
            "-10000"
        );
        assert_eq!(
            pg::numeric(&numeric(&[500], -1, false, 3)).unwrap(),
            "0.050"
        );
        assert_eq!(pg::numeric(&numeric(&[], 0, false, 2)).unwrap(), "0.00");
        assert_eq!(pg::numeric(&numeric(&[7], 0, false, 0)).unwrap(), "7");
        assert!(pg::numeric(&[0, 0]).is_err());
        let nan = [0, 0, 0, 0, 0xC0, 0, 0, 0];
        assert!(pg::numeric(&nan).unwrap_err().contains("NaN"));
    }

    #[test]
    fn the_fast_path_agrees_with_reading_through_read() {
        let paris = crate::temporal::zone("Europe/Paris").unwrap();
        let cases: Vec<(pg::PgType, Target, Vec<u8>)> = vec![
            (
                pg::PgType::Numeric,
                Target::Decimal(2),
                numeric(&[12, 3400], 0, false, 2),
            ),
            (
                pg::PgType::Numeric,
                Target::Decimal(2),
                numeric(&[1, 0], 1, true, 2),
            ),
            (
                pg::PgType::Numeric,
                Target::Decimal(4),
                numeric(&[12, 3400], 0, false, 2),
            ),
            (
                pg::PgType::Numeric,
                Target::Float64,
                numeric(&[12, 3400], 0, false, 2),
            ),
            (
                pg::PgType::Int4,
                Target::Int32,
                (-7i32).to_be_bytes().to_vec(),
            ),
            (pg::PgType::Int8, Target::Int64, 9i64.to_be_bytes().to_vec()),
            (pg::PgType::Text, Target::String, b"caf\xc3\xa9".to_vec()),
            (
                pg::PgType::Timestamp,
                Target::Timestamp,
                773_150_400_123_456i64.to_be_bytes().to_vec(),
            ),
            (
                pg::PgType::TimestampTz,
                Target::Timestamp,
                (-1i64).to_be_bytes().to_vec(),
            ),
        ];
        for (ty, target, raw) in cases {
            for (zone, utc) in [(utc(), true), (paris.clone(), false)] {
                let fast = pg::value(ty, target, Some(&raw), &zone, utc).unwrap();
                let slow = ty
                    .read(Some(&raw))
                    .unwrap()
                    .to_value(target, &zone)
                    .unwrap();
                assert_eq!(fast, slow, "{ty:?} as {target:?}");
            }
        }
        assert_eq!(
            pg::value(pg::PgType::Int8, Target::Int64, None, &utc(), true).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn decimals_take_the_schemas_scale_and_mapped_types() {
        let d = || Read::Decimal("12.30".into());
        let z = utc();
        assert_eq!(
            d().to_value(Target::Decimal(2), &z).unwrap(),
            Value::Bytes(vec![0x04, 0xce])
        );
        assert_eq!(
            d().to_value(Target::Decimal(4), &z).unwrap(),
            Value::Bytes(cdc_core::decimal::parse_decimal("12.3000").unwrap().0)
        );
        assert_eq!(
            d().to_value(Target::Float64, &z).unwrap(),
            Value::Float64(12.3)
        );
        assert_eq!(
            Read::Decimal("42".into())
                .to_value(Target::Int16, &z)
                .unwrap(),
            Value::Int16(42)
        );
        assert!(Read::Decimal("400".into())
            .to_value(Target::Int8, &z)
            .is_err());
        assert_eq!(
            Read::Int(5).to_value(Target::Int8, &z).unwrap(),
            Value::Int8(5)
        );
        assert!(Read::Int(500).to_value(Target::Int8, &z).is_err());
    }

    #[test]
    fn postgres_temporal_values_are_read_as_jdbc_reads_them() {
        let paris = crate::temporal::zone("Europe/Paris").unwrap();
        // 2024-07-01 12:00:00 wall clock = 773_150_400 s after 2000-01-01.
        let us = 773_150_400_000_000i64.to_be_bytes();
        let ts = pg::read("timestamp", false, Some(&us)).unwrap();
        assert_eq!(
            ts.clone().to_value(Target::Timestamp, &utc()).unwrap(),
            Value::Int64(1_719_835_200_000)
        );
        assert_eq!(
            ts.to_value(Target::Timestamp, &paris).unwrap(),
            Value::Int64(1_719_835_200_000 - 7_200_000)
        );
        // timestamptz is an instant: the zone does not move it.
        let tz = pg::read("timestamptz", false, Some(&us)).unwrap();
        assert_eq!(
            tz.to_value(Target::Timestamp, &paris).unwrap(),
            Value::Int64(1_719_835_200_000)
        );
        let date = pg::read("date", false, Some(&1i32.to_be_bytes())).unwrap();
        assert_eq!(
            date.to_value(Target::Date, &paris).unwrap(),
            Value::Int32(10_958)
        );
        let time = pg::read("time", false, Some(&3_600_000_000i64.to_be_bytes())).unwrap();
        assert_eq!(
            time.clone().to_value(Target::Time, &utc()).unwrap(),
            Value::Int32(3_600_000)
        );
        // 01:00 in Paris (UTC+1 in January 1970) is midnight UTC.
        assert_eq!(
            time.to_value(Target::Time, &paris).unwrap(),
            Value::Int32(0)
        );
        let inf = i64::MAX.to_be_bytes();
        assert!(pg::read("timestamp", false, Some(&inf)).is_err());
    }

    #[test]
    fn postgres_scalars_and_text() {
        let z = utc();
        let uuid: Vec<u8> = (0u8..16).collect();
        assert_eq!(
            pg::read("uuid", false, Some(&uuid)).unwrap(),
            Read::Text("00010203-0405-0607-0809-0a0b0c0d0e0f".into())
        );
        assert_eq!(
            pg::read("jsonb", false, Some(b"\x01{\"a\":1}")).unwrap(),
            Read::Text("{\"a\":1}".into())
        );
        assert_eq!(
            pg::read("int2", false, Some(&[0xff, 0xfe])).unwrap(),
            Read::Int(-2)
        );
        assert!(pg::read("int4", false, Some(&[0, 1])).is_err());
        assert_eq!(
            pg::read("mood", true, Some(b"happy")).unwrap(),
            Read::Text("happy".into())
        );
        assert_eq!(pg::read("int8", false, None).unwrap(), Read::Null);
        let bits = pg::read("bit", false, Some(&[0, 0, 0, 1, 0x80])).unwrap();
        assert_eq!(
            bits.to_value(Target::Boolean, &z).unwrap(),
            Value::Boolean(true)
        );
        let bits = pg::read("bit", false, Some(&[0, 0, 0, 4, 0xa0])).unwrap();
        assert_eq!(bits.to_value(Target::Int8, &z).unwrap(), Value::Int8(10));
    }

    #[test]
    fn mysql_dates_times_and_zero_dates() {
        let z = utc();
        let dt = my::date_time(false, (2024, 7, 1, 12, 0, 0, 500_000)).unwrap();
        assert_eq!(
            dt.to_value(Target::Timestamp, &z).unwrap(),
            Value::Int64(1_719_835_200_500)
        );
        assert_eq!(
            my::date_time(false, (0, 0, 0, 0, 0, 0, 0)).unwrap(),
            Read::Null
        );
        let d = my::date_time(true, (1970, 1, 3, 0, 0, 0, 0)).unwrap();
        assert_eq!(d.to_value(Target::Date, &z).unwrap(), Value::Int32(2));
        let t = my::time((false, 0, 0, 0, 1, 5000)).unwrap();
        assert_eq!(t.to_value(Target::Time, &z).unwrap(), Value::Int32(1005));
        assert!(my::time((true, 0, 1, 0, 0, 0)).is_err());
        assert_eq!(
            Read::Bytes(b"3.5".to_vec())
                .to_value(Target::Decimal(2), &z)
                .unwrap(),
            Value::Bytes(vec![0x01, 0x5e])
        );
    }

    #[test]
    fn offsets_read_integers_and_instants() {
        assert_eq!(Read::Decimal("17".into()).integer().unwrap(), Some(17));
        assert_eq!(Read::UInt(3).integer().unwrap(), Some(3));
        assert!(Read::Text("x".into()).integer().is_err());
        let paris = crate::temporal::zone("Europe/Paris").unwrap();
        let dt = DateTime::constant(2024, 7, 1, 12, 0, 0, 7);
        assert_eq!(
            Read::DateTime(dt).instant(&paris).unwrap(),
            Some((1_719_835_200 - 7200, 7))
        );
    }
}
