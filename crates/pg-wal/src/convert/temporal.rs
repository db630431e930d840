//! DATE, TIME, TIMETZ, TIMESTAMP and TIMESTAMPTZ: both wire formats to one form, then Debezium's
//! value per `time.precision.mode`.

use cdc_core::Value;

use super::calendar::{
    java_date, java_date_time, java_time, java_time_of, parse_date, parse_time, parse_timestamp,
    parse_timetz, MICROS_PER_DAY, MICROS_PER_SECOND, PG_EPOCH_DAYS, PG_EPOCH_MICROS,
};
use super::modes::{TimePrecision, TypeModes};
use super::wire::{exact, Decoded, Fault, Wire};

/// A date as PostgreSQL stores it: days since 2000-01-01, `i32::MAX`/`MIN` for ±infinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PgDate(pub(crate) i32);

/// A timestamp as PostgreSQL stores it: microseconds since 2000-01-01 (UTC for timestamptz),
/// `i64::MAX`/`MIN` for ±infinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PgTimestamp(pub(crate) i64);

/// `PGStatement.DATE_POSITIVE_INFINITY` and `DATE_NEGATIVE_INFINITY`, which Debezium reads as
/// microseconds since the epoch for an infinite TIMESTAMP.
const POSITIVE_INFINITY_MICROS: i64 = 9_223_372_036_825_200_000;
const NEGATIVE_INFINITY_MICROS: i64 = -9_223_372_036_832_400_000;

impl PgDate {
    pub(crate) fn from_binary(raw: &[u8]) -> Decoded<PgDate> {
        Ok(PgDate(i32::from_be_bytes(exact(raw)?)))
    }

    pub(crate) fn from_text(s: &str) -> Decoded<PgDate> {
        match s {
            "infinity" => Ok(PgDate(i32::MAX)),
            "-infinity" => Ok(PgDate(i32::MIN)),
            _ => {
                let days = parse_date(s)? - PG_EPOCH_DAYS;
                i32::try_from(days)
                    .map(PgDate)
                    .map_err(|_| Fault::OutOfRange("date out of range"))
            }
        }
    }

    pub(crate) fn is_infinite(self) -> bool {
        self.0 == i32::MAX || self.0 == i32::MIN
    }

    /// Days since 1970-01-01 as Debezium reports them. Its infinity dates
    /// (`POSITIVE_INFINITY_LOCAL_DATE` = -5877611-06-21, `NEGATIVE_...` = -5877611-06-22) are
    /// PostgreSQL's ±infinity shifted to the Unix epoch with 32-bit overflow, which is what
    /// `wrapping_add` gives: +infinity becomes -2147472692 and -infinity -2147472691.
    pub(crate) fn epoch_day(self) -> i32 {
        self.0.wrapping_add(PG_EPOCH_DAYS as i32)
    }
}

impl PgTimestamp {
    pub(crate) fn from_binary(raw: &[u8]) -> Decoded<PgTimestamp> {
        Ok(PgTimestamp(i64::from_be_bytes(exact(raw)?)))
    }

    pub(crate) fn from_text(s: &str, zoned: bool) -> Decoded<PgTimestamp> {
        match s {
            "infinity" => Ok(PgTimestamp(i64::MAX)),
            "-infinity" => Ok(PgTimestamp(i64::MIN)),
            _ => parse_timestamp(s, zoned)?
                .checked_sub(PG_EPOCH_MICROS)
                .map(PgTimestamp)
                .ok_or(Fault::OutOfRange("timestamp out of range")),
        }
    }

    pub(crate) fn infinity(self) -> Option<bool> {
        match self.0 {
            i64::MAX => Some(true),
            i64::MIN => Some(false),
            _ => None,
        }
    }

    /// Microseconds since 1970-01-01; Debezium's stand-ins for the infinities.
    pub(crate) fn epoch_micros(self) -> i64 {
        match self.infinity() {
            Some(true) => POSITIVE_INFINITY_MICROS,
            Some(false) => NEGATIVE_INFINITY_MICROS,
            None => self.0.saturating_add(PG_EPOCH_MICROS),
        }
    }
}

/// A DATE column's value.
pub(crate) fn date_value(date: PgDate, modes: &TypeModes) -> Value {
    let day = date.epoch_day();
    match modes.time_precision {
        TimePrecision::IsoString => {
            let mut s = String::with_capacity(16);
            java_date(&mut s, i64::from(day));
            s.push('Z');
            Value::String(s.into())
        }
        // Connect's Date is days too.
        _ => Value::Int32(day),
    }
}

pub(crate) fn time_from_binary(raw: &[u8]) -> Decoded<i64> {
    let micros = i64::from_be_bytes(exact(raw)?);
    if !(0..=MICROS_PER_DAY).contains(&micros) {
        return Err(Fault::OutOfRange("time of day out of range"));
    }
    Ok(micros)
}

pub(crate) fn time_from_text(s: &str) -> Decoded<i64> {
    parse_time(s)
}

/// A TIME column's value (24:00:00 included, as Debezium accepts "large" values).
pub(crate) fn time_value(micros: i64, precision: i32, modes: &TypeModes) -> Value {
    let millis = || Value::Int32((micros / 1000) as i32);
    let nanos = || Value::Int64(micros * 1000);
    match modes.time_precision {
        TimePrecision::Adaptive if precision <= 3 => millis(),
        TimePrecision::Adaptive if precision <= 6 => Value::Int64(micros),
        TimePrecision::Adaptive | TimePrecision::Nanoseconds => nanos(),
        TimePrecision::AdaptiveTimeMicroseconds | TimePrecision::Microseconds => {
            Value::Int64(micros)
        }
        TimePrecision::Connect => millis(),
        // LocalTime.of(0, 0).plus(duration): 24:00:00 wraps to midnight.
        TimePrecision::IsoString => {
            let mut s = String::with_capacity(20);
            java_time(&mut s, micros.rem_euclid(MICROS_PER_DAY));
            s.push('Z');
            Value::String(s.into())
        }
    }
}

/// TIMETZ's binary form: microseconds of local time, then the zone in seconds *west* of UTC.
pub(crate) fn timetz_from_binary(raw: &[u8]) -> Decoded<(i64, i64)> {
    let mut w = Wire::new(raw);
    let micros = w.i64()?;
    let west = w.i32()?;
    w.finish()?;
    if !(0..=MICROS_PER_DAY).contains(&micros) {
        return Err(Fault::OutOfRange("time of day out of range"));
    }
    Ok((micros, -i64::from(west)))
}

pub(crate) fn timetz_from_text(s: &str) -> Decoded<(i64, i64)> {
    parse_timetz(s)
}

/// A TIMETZ column's value: `io.debezium.time.ZonedTime`, the time shifted to UTC
/// (`OffsetTime.withOffsetSameInstant(UTC)`), with Debezium's `24:00:00Z` for the end of day.
pub(crate) fn timetz_value(micros: i64, east_seconds: i64) -> Value {
    if micros == MICROS_PER_DAY && east_seconds == 0 {
        return Value::String("24:00:00Z".into());
    }
    let utc = (micros - east_seconds * MICROS_PER_SECOND).rem_euclid(MICROS_PER_DAY);
    let mut s = String::with_capacity(20);
    java_time(&mut s, utc);
    s.push('Z');
    Value::String(s.into())
}

/// A TIMESTAMP column's value.
pub(crate) fn timestamp_value(
    ts: PgTimestamp,
    precision: i32,
    modes: &TypeModes,
) -> Decoded<Value> {
    let micros = ts.epoch_micros();
    let millis = || Value::Int64(micros.div_euclid(1000));
    let nanos = || match ts.infinity() {
        // convertTimestampToEpochNanos maps the infinities to Long.MAX_VALUE / MIN_VALUE.
        Some(true) => Ok(Value::Int64(i64::MAX)),
        Some(false) => Ok(Value::Int64(i64::MIN)),
        // Outside 1677..2262 Debezium logs a warning and emits null (failing a NOT NULL
        // column); we return an error and let the caller decide.
        None => micros
            .checked_mul(1000)
            .map(Value::Int64)
            .ok_or(Fault::OutOfRange(
                "timestamp outside the range of int64 nanoseconds",
            )),
    };
    Ok(match modes.time_precision {
        TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds if precision <= 3 => {
            millis()
        }
        TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds if precision <= 6 => {
            Value::Int64(micros)
        }
        TimePrecision::Adaptive
        | TimePrecision::AdaptiveTimeMicroseconds
        | TimePrecision::Nanoseconds => nanos()?,
        TimePrecision::Microseconds => Value::Int64(micros),
        TimePrecision::Connect => millis(),
        TimePrecision::IsoString => {
            let mut s = String::with_capacity(32);
            java_date_time(&mut s, micros, None);
            s.push('Z');
            Value::String(s.into())
        }
    })
}

/// A TIMESTAMPTZ column's value: `io.debezium.time.ZonedTimestamp` in UTC, `infinity` and
/// `-infinity` as such. With a fraction width of 1 to 9 (6 for an unconstrained column) the
/// fraction always has exactly that many digits: `2016-11-04T11:51:30.000000Z`.
pub(crate) fn timestamptz_value(ts: PgTimestamp, fraction: i32) -> Value {
    match ts.infinity() {
        Some(true) => Value::String("infinity".into()),
        Some(false) => Value::String("-infinity".into()),
        None => {
            let mut s = String::with_capacity(32);
            java_date_time(&mut s, ts.epoch_micros(), fraction_width(fraction));
            s.push('Z');
            Value::String(s.into())
        }
    }
}

/// ZonedTimestamp's fixed fraction width for a column's fraction digits (none outside 1..=9).
fn fraction_width(fraction: i32) -> Option<usize> {
    usize::try_from(fraction)
        .ok()
        .filter(|w| (1..=9).contains(w))
}

/// Appends [`timestamptz_value`]'s string as a JSON string, without building the value.
pub(crate) fn write_timestamptz_json(ts: PgTimestamp, fraction: i32, out: &mut Vec<u8>) {
    match ts.infinity() {
        Some(true) => out.extend_from_slice(b"\"infinity\""),
        Some(false) => out.extend_from_slice(b"\"-infinity\""),
        None => {
            // The digits, dashes and colons of a date-time never need escaping: they go straight
            // into the JSON. This runs once per value of a snapshot: the date's text is kept
            // per thread while the day repeats (as it does down a column of rows inserted in
            // time order).
            thread_local! {
                static DAY: std::cell::Cell<DayText> = const {
                    std::cell::Cell::new(DayText { day: i64::MIN, len: 0, text: [0; 24] })
                };
            }
            let micros = ts.epoch_micros();
            let day = micros.div_euclid(MICROS_PER_DAY);
            out.push(b'"');
            let mut cached = DAY.get();
            if cached.day != day || cached.len == 0 {
                let mut date = Vec::with_capacity(24);
                java_date(&mut date, day);
                cached = DayText::new(day, &date);
                DAY.set(cached);
                out.extend_from_slice(&date);
            } else {
                out.extend_from_slice(&cached.text[..usize::from(cached.len)]);
            }
            out.push(b'T');
            java_time_of(out, micros, fraction_width(fraction));
            out.extend_from_slice(b"Z\"");
        }
    }
}

/// The text of one day's date, kept between values (`len` 0: not kept, as for a year too
/// long to fit).
#[derive(Clone, Copy)]
struct DayText {
    day: i64,
    len: u8,
    text: [u8; 24],
}

impl DayText {
    fn new(day: i64, date: &[u8]) -> DayText {
        let mut text = [0; 24];
        let len = match text.get_mut(..date.len()) {
            Some(t) => {
                t.copy_from_slice(date);
                date.len() as u8
            }
            None => 0,
        };
        DayText { day, len, text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::calendar::days_from_civil;

    #[test]
    fn infinities_match_debezium_constants() {
        assert_eq!(PgDate(i32::MAX).epoch_day(), -2_147_472_692);
        assert_eq!(PgDate(i32::MIN).epoch_day(), -2_147_472_691);
        assert_eq!(days_from_civil(-5_877_611, 6, 21), -2_147_472_692);
        let modes = TypeModes::default();
        assert_eq!(
            timestamp_value(PgTimestamp(i64::MAX), 6, &modes).unwrap(),
            Value::Int64(9_223_372_036_825_200_000)
        );
        assert_eq!(
            timestamptz_value(PgTimestamp(i64::MIN), 6),
            Value::String("-infinity".into())
        );
    }

    #[test]
    fn timetz_shifts_to_utc() {
        assert_eq!(
            timetz_value(49_890_123_789, 7200),
            Value::String("11:51:30.123789Z".into())
        );
        assert_eq!(
            timetz_value(3_600_000_000, 7200),
            Value::String("23:00:00Z".into())
        );
        assert_eq!(
            timetz_value(MICROS_PER_DAY, 0),
            Value::String("24:00:00Z".into())
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(PgDate::from_binary(&[1, 2]).is_err());
        assert!(time_from_binary(&[0xff; 8]).is_err());
        assert!(timetz_from_binary(&[0; 11]).is_err());
        assert!(PgTimestamp::from_text("2016-11-04", false).is_err());
    }
}
