//! INTERVAL: Debezium reads PostgreSQL's text through pgjdbc's `PGInterval` (years, months, days,
//! hours, minutes, seconds) and builds MicroDuration or an ISO-8601 string from those fields.
//! The binary form is split into the same fields PostgreSQL would print.

use cdc_core::Value;

use super::modes::{IntervalHandling, TypeModes};
use super::wire::{Decoded, Fault, Wire};

/// The fields of a `PGInterval`; seconds are kept exactly as whole seconds plus microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Fields {
    years: i64,
    months: i64,
    days: i64,
    hours: i64,
    minutes: i64,
    /// Seconds in microseconds, with the sign of the time part.
    micros: i64,
}

const BAD: Fault = Fault::Malformed("not an interval");

/// The binary form (microseconds, days, months), split as `interval_out` prints it.
pub(crate) fn from_binary(raw: &[u8]) -> Decoded<Fields> {
    let mut w = Wire::new(raw);
    let time = w.i64()?;
    let days = w.i32()?;
    let months = w.i32()?;
    w.finish()?;
    let magnitude = time.unsigned_abs();
    let sign: i64 = if time < 0 { -1 } else { 1 };
    let hours = (magnitude / 3_600_000_000) as i64;
    let minutes = (magnitude / 60_000_000 % 60) as i64;
    let micros = (magnitude % 60_000_000) as i64;
    Ok(Fields {
        years: i64::from(months / 12),
        months: i64::from(months % 12),
        days: i64::from(days),
        hours: sign * hours,
        minutes: sign * minutes,
        micros: sign * micros,
    })
}

/// PostgreSQL's `postgres` and `postgres_verbose` interval styles, parsed as `PGInterval` does:
/// `1 year 2 mons -3 days +04:05:06.78`, `@ 1 year 2 mons 3 days 4 hours 5 mins 6.78 secs ago`.
pub(crate) fn from_text(s: &str) -> Decoded<Fields> {
    let verbose = s.starts_with('@');
    let cleaned = s.replace(['+', '@'], " ").to_ascii_lowercase();
    let mut f = Fields::default();
    let mut pending: Option<&str> = None;
    for (i, token) in cleaned.split_whitespace().enumerate() {
        if i % 2 == 0 {
            let Some(colon) = token.find(':') else {
                pending = Some(token);
                continue;
            };
            let negative = token.starts_with('-');
            let hours_text = token.get(usize::from(negative)..colon).ok_or(BAD)?;
            let rest = token.get(colon + 1..).ok_or(BAD)?;
            let (minutes_text, seconds_text) = rest.split_once(':').unwrap_or((rest, ""));
            let sign = if negative { -1 } else { 1 };
            f.hours = sign * parse_int(hours_text)?;
            f.minutes = sign * parse_int(minutes_text)?;
            f.micros = sign * parse_seconds(seconds_text)?;
            pending = None;
        } else {
            let value = pending.take();
            let int = || value.map_or(Ok(0), parse_int);
            if token.starts_with("year") {
                f.years = int()?;
            } else if token.starts_with("mon") {
                f.months = int()?;
            } else if token.starts_with("day") {
                f.days = int()?;
            } else if token.starts_with("hour") {
                f.hours = int()?;
            } else if token.starts_with("min") {
                f.minutes = int()?;
            } else if token.starts_with("sec") {
                f.micros = value.map_or(Ok(0), parse_seconds)?;
            } else if token != "ago" {
                return Err(BAD);
            }
        }
    }
    if verbose && cleaned.trim_end().ends_with("ago") {
        f = Fields {
            years: f.years.wrapping_neg(),
            months: f.months.wrapping_neg(),
            days: f.days.wrapping_neg(),
            hours: f.hours.wrapping_neg(),
            minutes: f.minutes.wrapping_neg(),
            micros: f.micros.wrapping_neg(),
        };
    }
    Ok(f)
}

fn parse_int(s: &str) -> Decoded<i64> {
    if s.is_empty() {
        return Ok(0);
    }
    s.parse().map_err(|_| BAD)
}

/// Seconds with up to 6 fraction digits into microseconds, exactly.
fn parse_seconds(s: &str) -> Decoded<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BAD);
    }
    let whole = parse_int(whole)?;
    let frac_micros: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().map_err(|_| BAD)? * 10_i64.pow(6 - frac.len() as u32)
    };
    let micros = whole
        .checked_mul(1_000_000)
        .and_then(|w| w.checked_add(frac_micros))
        .ok_or(BAD)?;
    Ok(if neg { micros.wrapping_neg() } else { micros })
}

/// `MicroDuration.durationMicros(years, months, days, hours, minutes, seconds, 365.25 / 12)`,
/// in the same double arithmetic, operation for operation.
fn duration_micros(f: &Fields) -> i64 {
    const DAYS_PER_MONTH_AVG: f64 = 365.25 / 12.0;
    let seconds = seconds_f64(f);
    let months = (f.years as i32)
        .wrapping_mul(12)
        .wrapping_add(f.months as i32);
    let number_of_days = f64::from(months) * DAYS_PER_MONTH_AVG + f.days as f64;
    let number_of_seconds =
        ((number_of_days * 24.0 + f.hours as f64) * 60.0 + f.minutes as f64) * 60.0 + seconds;
    // Java's (long) cast saturates, as Rust's does.
    (number_of_seconds * 1e6) as i64
}

/// PGInterval.getSeconds(): `wholeSeconds + microSeconds / 1e6` as a double.
fn seconds_f64(f: &Fields) -> f64 {
    (f.micros / 1_000_000) as f64 + (f.micros % 1_000_000) as f64 / 1_000_000.0
}

/// `Interval.toIsoString`: `P1Y2M3DT4H5M6.78S`, the seconds being
/// `BigDecimal.valueOf(double)` cut to 9 digits, without trailing zeros.
fn iso_string(f: &Fields) -> String {
    let seconds = seconds_f64(f);
    // Rust prints the shortest representation, as Java's Double.toString does, never in
    // exponent form; BigDecimal has no negative zero.
    let mut text = if seconds == 0.0 {
        "0".to_owned()
    } else {
        format!("{seconds}")
    };
    if let Some(dot) = text.find('.') {
        text.truncate(dot + 10);
        while text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
    }
    format!(
        "P{}Y{}M{}DT{}H{}M{text}S",
        f.years, f.months, f.days, f.hours, f.minutes
    )
}

/// An INTERVAL column's value.
pub(crate) fn value(f: Fields, modes: &TypeModes) -> Value {
    match modes.interval {
        IntervalHandling::Numeric => Value::Int64(duration_micros(&f)),
        IntervalHandling::String => Value::String(iso_string(&f).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(micros: i64, days: i32, months: i32) -> Vec<u8> {
        let mut v = micros.to_be_bytes().to_vec();
        v.extend_from_slice(&days.to_be_bytes());
        v.extend_from_slice(&months.to_be_bytes());
        v
    }

    #[test]
    fn text_and_binary_agree() {
        let cases = [
            (
                "1 year 2 mons 3 days 04:05:06.78",
                binary(14_706_780_000, 3, 14),
            ),
            (
                "-1 years -2 mons +3 days -04:05:06.78",
                binary(-14_706_780_000, 3, -14),
            ),
            ("00:00:00", binary(0, 0, 0)),
            ("-00:00:00.5", binary(-500_000, 0, 0)),
            ("1 day -01:00:00", binary(-3_600_000_000, 1, 0)),
            (
                "@ 1 year 2 mons 3 days 4 hours 5 mins 6.78 secs ago",
                binary(-14_706_780_000, -3, -14),
            ),
        ];
        for (text, bin) in cases {
            assert_eq!(
                from_text(text).unwrap(),
                from_binary(&bin).unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn values_match_debezium() {
        let f = from_text("1 year 2 mons 3 days 04:05:06.78").unwrap();
        // MicroDuration.durationMicros(1, 2, 3, 4, 5, 6.78, DAYS_PER_MONTH_AVG) in Java
        assert_eq!(duration_micros(&f), 37_091_106_780_000);
        assert_eq!(iso_string(&f), "P1Y2M3DT4H5M6.78S");
        assert_eq!(
            iso_string(&from_text("-00:00:00.5").unwrap()),
            "P0Y0M0DT0H0M-0.5S"
        );
        assert_eq!(
            iso_string(&from_text("00:00:00").unwrap()),
            "P0Y0M0DT0H0M0S"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(from_binary(&[0; 15]).is_err());
        assert!(from_text("1 fortnight").is_err());
        assert!(from_text("x:y:z").is_err());
        assert!(from_text("1:2:3.1234567").is_err());
    }
}
