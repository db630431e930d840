//! Bound values in PostgreSQL's text input format. The PostgreSQL writer binds every parameter
//! as `text` and each statement casts it to its column's type (`$1::timestamptz`), so the
//! server's own input functions parse what this module writes: one encoding for every type,
//! infinity and arrays included. Pure.

use std::fmt::Write as _;

use super::bind::SqlValue;
use super::temporal::{civil_from_days, MICROS_PER_DAY, MICROS_PER_SECOND};

/// The text of a value, `None` for SQL NULL.
pub fn pg_text(v: &SqlValue) -> Option<String> {
    let mut out = String::new();
    pg_text_into(v, &mut out).then_some(out)
}

/// Appends the text of a value to `out`; `false`, appending nothing, for SQL NULL. The bulk
/// paths render every value of a batch into one buffer with it.
pub fn pg_text_into(v: &SqlValue, out: &mut String) -> bool {
    if matches!(v, SqlValue::Null) {
        return false;
    }
    write_value(v, out);
    true
}

fn write_value(v: &SqlValue, out: &mut String) {
    match v {
        SqlValue::Null => out.push_str("NULL"),
        SqlValue::Bool(b) => out.push_str(if *b { "t" } else { "f" }),
        SqlValue::I16(n) => write!(out, "{n}").unwrap_or_default(),
        SqlValue::I32(n) => write!(out, "{n}").unwrap_or_default(),
        SqlValue::I64(n) => write!(out, "{n}").unwrap_or_default(),
        SqlValue::F32(f) => float(f64::from(*f), out),
        SqlValue::F64(f) => float(*f, out),
        SqlValue::Numeric(s) | SqlValue::Text(s) | SqlValue::Json(s) | SqlValue::Uuid(s) => {
            out.push_str(s)
        }
        SqlValue::IntervalText(s) | SqlValue::Bits(s) => out.push_str(s),
        SqlValue::Bytes(b) => hex(b, out),
        SqlValue::Date(days) => date(i64::from(*days), out),
        SqlValue::Time(micros) => time(*micros, out),
        SqlValue::TimeTz {
            micros,
            offset_seconds,
        } => {
            time(*micros, out);
            offset(*offset_seconds, out);
        }
        SqlValue::Timestamp(micros) => timestamp(*micros, out),
        SqlValue::TimestampTz(micros) => {
            timestamp(*micros, out);
            if *micros != i64::MAX && *micros != i64::MIN {
                out.push_str("+00");
            }
        }
        SqlValue::Interval(micros) => write!(out, "{micros} microseconds").unwrap_or_default(),
        SqlValue::Geometry { wkb, srid } => {
            // PostGIS reads hex EWKB; an SRID goes in front as `SRID=n;`.
            if let Some(srid) = srid {
                write!(out, "SRID={srid};").unwrap_or_default();
            }
            for b in wkb {
                write!(out, "{b:02X}").unwrap_or_default();
            }
        }
        SqlValue::Array(items) => {
            out.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match item {
                    SqlValue::Null => out.push_str("NULL"),
                    SqlValue::Array(_) => write_value(item, out),
                    other => {
                        let mut text = String::new();
                        write_value(other, &mut text);
                        quoted_element(&text, out);
                    }
                }
            }
            out.push('}');
        }
    }
}

/// An array element, always double-quoted with `"` and `\` escaped (safe for any text).
fn quoted_element(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // Rust's shortest round-trip form; PostgreSQL reads it exactly.
        write!(out, "{f:?}").unwrap_or_default();
    }
}

fn hex(b: &[u8], out: &mut String) {
    out.push_str("\\x");
    for byte in b {
        write!(out, "{byte:02x}").unwrap_or_default();
    }
}

/// What Debezium's PostgreSQL connector writes for `date 'infinity'` and `'-infinity'`: the
/// server's day number (±`i32::MAX` days from 2000-01-01) moved to the 1970 epoch in 32 bits,
/// which wraps (docs/compat.md).
const DATE_INFINITY: i64 = -2_147_472_692;
const DATE_NEGATIVE_INFINITY: i64 = -2_147_472_691;

fn date(days: i64, out: &mut String) {
    match days {
        DATE_INFINITY => return out.push_str("infinity"),
        DATE_NEGATIVE_INFINITY => return out.push_str("-infinity"),
        _ => {}
    }
    // Other values past PostgreSQL's range are written as the infinity on their side.
    if days >= i64::from(i32::MAX) - 20_000 {
        out.push_str("infinity");
        return;
    }
    if days <= i64::from(i32::MIN) + 20_000 {
        out.push_str("-infinity");
        return;
    }
    let (y, m, d) = civil_from_days(days);
    if y <= 0 {
        // 1 BC is year 0 in the proleptic calendar.
        write!(out, "{:04}-{m:02}-{d:02} BC", 1 - y).unwrap_or_default();
    } else {
        write!(out, "{y:04}-{m:02}-{d:02}").unwrap_or_default();
    }
}

fn time(micros: i64, out: &mut String) {
    let micros = micros.rem_euclid(MICROS_PER_DAY + 1);
    let secs = micros / MICROS_PER_SECOND;
    let frac = micros % MICROS_PER_SECOND;
    write!(
        out,
        "{:02}:{:02}:{:02}.{frac:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
    .unwrap_or_default();
}

fn offset(seconds: i32, out: &mut String) {
    let sign = if seconds < 0 { '-' } else { '+' };
    let a = seconds.unsigned_abs();
    write!(
        out,
        "{sign}{:02}:{:02}:{:02}",
        a / 3600,
        a / 60 % 60,
        a % 60
    )
    .unwrap_or_default();
}

fn timestamp(micros: i64, out: &mut String) {
    match micros {
        i64::MAX => out.push_str("infinity"),
        i64::MIN => out.push_str("-infinity"),
        _ => {
            date(micros.div_euclid(MICROS_PER_DAY), out);
            let bc = out.ends_with(" BC");
            if bc {
                out.truncate(out.len() - 3);
            }
            out.push(' ');
            time(micros.rem_euclid(MICROS_PER_DAY), out);
            if bc {
                out.push_str(" BC");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jdbc::temporal::days_from_civil;

    fn t(v: SqlValue) -> String {
        pg_text(&v).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(pg_text(&SqlValue::Null), None);
        assert_eq!(t(SqlValue::Bool(true)), "t");
        assert_eq!(
            t(SqlValue::I64(-9223372036854775808)),
            "-9223372036854775808"
        );
        assert_eq!(t(SqlValue::F64(1.5)), "1.5");
        assert_eq!(t(SqlValue::F64(f64::NAN)), "NaN");
        assert_eq!(t(SqlValue::F32(3.3)), "3.299999952316284");
        assert_eq!(t(SqlValue::F64(f64::NEG_INFINITY)), "-Infinity");
        assert_eq!(t(SqlValue::Bytes(vec![0, 255])), "\\x00ff");
        assert_eq!(t(SqlValue::Numeric("-12.340".into())), "-12.340");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            t(SqlValue::Date(days_from_civil(2024, 2, 29) as i32)),
            "2024-02-29"
        );
        assert_eq!(
            t(SqlValue::Date(days_from_civil(1, 1, 1) as i32)),
            "0001-01-01"
        );
        assert_eq!(
            t(SqlValue::Date(days_from_civil(0, 12, 31) as i32)),
            "0001-12-31 BC"
        );
        assert_eq!(t(SqlValue::Date(-2147472692)), "infinity");
        assert_eq!(t(SqlValue::Date(-2147472691)), "-infinity");
        assert_eq!(t(SqlValue::Date(i32::MIN)), "-infinity");
        assert_eq!(t(SqlValue::Date(i32::MAX)), "infinity");
        assert_eq!(
            t(SqlValue::Time(13 * 3600 * MICROS_PER_SECOND + 123_456)),
            "13:00:00.123456"
        );
        assert_eq!(
            t(SqlValue::TimeTz {
                micros: 0,
                offset_seconds: -(5 * 3600 + 1800)
            }),
            "00:00:00.000000-05:30:00"
        );
        let ts = days_from_civil(2024, 1, 2) * MICROS_PER_DAY + 3_723_000_001;
        assert_eq!(t(SqlValue::Timestamp(ts)), "2024-01-02 01:02:03.000001");
        assert_eq!(
            t(SqlValue::TimestampTz(ts)),
            "2024-01-02 01:02:03.000001+00"
        );
        assert_eq!(t(SqlValue::TimestampTz(i64::MAX)), "infinity");
        assert_eq!(t(SqlValue::Timestamp(-1)), "1969-12-31 23:59:59.999999");
        assert_eq!(
            t(SqlValue::Interval(-86_400_000_000)),
            "-86400000000 microseconds"
        );
    }

    #[test]
    fn arrays_quote_every_element() {
        let a = SqlValue::Array(vec![
            SqlValue::Text("a".into()),
            SqlValue::Null,
            SqlValue::Text("c,\"d\"\\".into()),
        ]);
        assert_eq!(t(a), r#"{"a",NULL,"c,\"d\"\\"}"#);
        let nested = SqlValue::Array(vec![SqlValue::Array(vec![SqlValue::I32(1)])]);
        assert_eq!(t(nested), r#"{{"1"}}"#);
    }
}
