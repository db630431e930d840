//! Bound values for MySQL and MariaDB: a [`SqlValue`] as a binary-protocol parameter. Numbers,
//! dates and times go as their MySQL types; decimals, text, JSON and UUIDs as strings the server
//! parses for the column; bit strings as the unsigned integer a `bit(n)` column stores;
//! geometries in MySQL's internal format (the SRID, little-endian, then the WKB). Pure.

use mysql_async::Value;

use super::bind::SqlValue;
use super::temporal::{civil_from_days, MICROS_PER_DAY, MICROS_PER_SECOND};

/// The parameter for `v`, or why MySQL cannot hold it (the record is refused, not changed).
pub fn my_value(v: &SqlValue) -> Result<Value, String> {
    Ok(match v {
        SqlValue::Null => Value::NULL,
        SqlValue::Bool(b) => Value::Int(i64::from(*b)),
        SqlValue::I16(n) => Value::Int(i64::from(*n)),
        SqlValue::I32(n) => Value::Int(i64::from(*n)),
        SqlValue::I64(n) => Value::Int(*n),
        SqlValue::F32(f) => Value::Float(*f),
        SqlValue::F64(f) => Value::Double(*f),
        SqlValue::Numeric(s)
        | SqlValue::Text(s)
        | SqlValue::Json(s)
        | SqlValue::Uuid(s)
        | SqlValue::IntervalText(s) => Value::Bytes(s.as_bytes().to_vec()),
        SqlValue::Bytes(b) => Value::Bytes(b.clone()),
        SqlValue::Date(days) => datetime(i64::from(*days) * MICROS_PER_DAY, "date")?,
        SqlValue::Time(micros) => time(*micros),
        SqlValue::Timestamp(micros) | SqlValue::TimestampTz(micros) => {
            datetime(*micros, "datetime")?
        }
        SqlValue::Interval(micros) => Value::Int(*micros),
        SqlValue::Bits(bits) => {
            if bits.len() > 64 {
                return Err(format!(
                    "a bit string of {} bits does not fit MySQL's bit(64)",
                    bits.len()
                ));
            }
            Value::UInt(
                bits.bytes()
                    .fold(0u64, |n, b| n << 1 | u64::from(b == b'1')),
            )
        }
        SqlValue::Geometry { wkb, srid } => {
            let srid = u32::try_from(srid.unwrap_or(0))
                .map_err(|_| format!("the SRID {srid:?} is negative"))?;
            let mut out = Vec::with_capacity(4 + wkb.len());
            out.extend_from_slice(&srid.to_le_bytes());
            out.extend_from_slice(wkb);
            Value::Bytes(out)
        }
        SqlValue::TimeTz { .. } | SqlValue::Array(_) => {
            // bind.rs converts these for MySQL (a wall-clock time, JSON text).
            return Err("a PostgreSQL-only value reached the MySQL writer".into());
        }
    })
}

/// A wall-clock time of day (a `time` column also holds up to 838 hours; a day is the most a
/// time of day gives).
fn time(micros: i64) -> Value {
    let negative = micros < 0;
    let m = micros.unsigned_abs();
    let us = (m % 1_000_000) as u32;
    let secs = m / 1_000_000;
    Value::Time(
        negative,
        (secs / 86_400) as u32,
        (secs / 3600 % 24) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
        us,
    )
}

/// Microseconds since 1970-01-01T00:00 as a MySQL date-time; years outside 0–9999 (and
/// PostgreSQL's infinities) do not fit.
fn datetime(micros: i64, what: &str) -> Result<Value, String> {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return Err(format!(
            "a {what} outside the years 0-9999 (or infinity) does not fit MySQL's {what}"
        ));
    }
    let secs = of_day / MICROS_PER_SECOND;
    Ok(Value::Date(
        y as u16,
        m as u8,
        d as u8,
        (secs / 3600) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
        (of_day % MICROS_PER_SECOND) as u32,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jdbc::temporal::days_from_civil;

    #[test]
    fn dates_times_and_timestamps_are_mysql_temporal_values() {
        let day = days_from_civil(2024, 2, 29);
        assert_eq!(
            my_value(&SqlValue::Date(day as i32)).unwrap(),
            Value::Date(2024, 2, 29, 0, 0, 0, 0)
        );
        let ts = day * MICROS_PER_DAY + 3_723_000_001;
        assert_eq!(
            my_value(&SqlValue::Timestamp(ts)).unwrap(),
            Value::Date(2024, 2, 29, 1, 2, 3, 1)
        );
        let before_1970 = days_from_civil(1969, 12, 31) * MICROS_PER_DAY + 1;
        assert_eq!(
            my_value(&SqlValue::Timestamp(before_1970)).unwrap(),
            Value::Date(1969, 12, 31, 0, 0, 0, 1)
        );
        assert_eq!(
            my_value(&SqlValue::Time(3_723_000_001)).unwrap(),
            Value::Time(false, 0, 1, 2, 3, 1)
        );
        assert!(my_value(&SqlValue::Timestamp(i64::MAX)).is_err());
        assert!(my_value(&SqlValue::Date(days_from_civil(10000, 1, 1) as i32)).is_err());
    }

    #[test]
    fn bits_are_the_integer_a_bit_column_stores_and_geometries_carry_their_srid() {
        assert_eq!(
            my_value(&SqlValue::Bits("0101".into())).unwrap(),
            Value::UInt(5)
        );
        assert!(my_value(&SqlValue::Bits("1".repeat(65))).is_err());
        let g = SqlValue::Geometry {
            wkb: vec![1, 2],
            srid: Some(4326),
        };
        assert_eq!(
            my_value(&g).unwrap(),
            Value::Bytes(vec![0xe6, 0x10, 0, 0, 1, 2])
        );
        assert_eq!(
            my_value(&SqlValue::Numeric("-1.50".into())).unwrap(),
            Value::Bytes(b"-1.50".to_vec())
        );
        assert_eq!(my_value(&SqlValue::Bool(true)).unwrap(), Value::Int(1));
    }
}
