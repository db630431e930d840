//! Dates, times and timestamps as Confluent's source reads them (research §4): a `DATE` always
//! as a UTC calendar day (`db.timezone` is not used for it), a `TIME` and a `TIMESTAMP` without
//! a zone read as wall-clock time in `db.timezone`, into Connect's `Date` (days since the
//! epoch), `Time` (milliseconds of the day) and `Timestamp` (epoch milliseconds; the offset
//! keeps nanoseconds).

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

/// `db.timezone`: an IANA zone name (`UTC`, `Europe/Paris`) or a fixed offset; Java's
/// three-letter short ids (`EST`) are refused, naming the IANA name to use.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    let name = name.trim();
    if jiff::tz::db().available().any(|n| n.as_str() == name) {
        return TimeZone::get(name).map_err(|e| format!("{name:?}: {e}"));
    }
    Err(format!(
        "Invalid time zone {name:?}: give an IANA time zone name such as UTC or Europe/Paris"
    ))
}

/// Connect's `Date`: days since 1970-01-01 of the calendar day.
pub fn date_days(d: Date) -> i32 {
    let epoch = Date::constant(1970, 1, 1);
    d.since(epoch)
        .map(|span| span.get_days())
        .unwrap_or_default()
}

/// Connect's `Time`: milliseconds since midnight (a `TIME` is wall-clock time in the zone; a
/// time of day has no date to shift, so the zone does not change it).
pub fn time_millis(t: Time) -> i32 {
    (i32::from(t.hour()) * 3600 + i32::from(t.minute()) * 60 + i32::from(t.second())) * 1000
        + i32::from(t.millisecond())
}

/// A `TIMESTAMP` without a zone, read as wall-clock time in `zone`: seconds since the epoch and
/// nanoseconds of that second. A wall-clock time in a spring-forward gap is read with the offset
/// before the gap (so it lands after it), an ambiguous one with the earlier offset, as Java's
/// lenient `Calendar` reads them.
pub fn timestamp_in(dt: DateTime, zone: &TimeZone) -> Result<(i64, u32), String> {
    let ts = zone
        .to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(|e| format!("{dt} in {}: {e}", zone.iana_name().unwrap_or("the zone")))?;
    Ok((ts.as_second(), ts.subsec_nanosecond().max(0) as u32))
}

/// Epoch milliseconds of (seconds, nanoseconds), as `Timestamp.getTime()`.
pub fn millis(secs: i64, nanos: u32) -> i64 {
    secs * 1000 + i64::from(nanos / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_days_and_times_are_milliseconds_of_the_day() {
        assert_eq!(date_days(Date::constant(1970, 1, 2)), 1);
        assert_eq!(date_days(Date::constant(1969, 12, 31)), -1);
        assert_eq!(date_days(Date::constant(2024, 2, 29)), 19782);
        assert_eq!(time_millis(Time::constant(1, 2, 3, 456_000_000)), 3_723_456);
    }

    #[test]
    fn timestamps_are_read_in_db_timezone() {
        let dt = DateTime::constant(2024, 7, 1, 12, 0, 0, 123_456_789);
        let utc = zone("UTC").unwrap();
        let (s, n) = timestamp_in(dt, &utc).unwrap();
        assert_eq!((s, n), (1_719_835_200, 123_456_789));
        assert_eq!(millis(s, n), 1_719_835_200_123);
        // Paris is UTC+2 in July: noon there is 10:00 UTC.
        let (s, _) = timestamp_in(dt, &zone("Europe/Paris").unwrap()).unwrap();
        assert_eq!(s, 1_719_835_200 - 7200);
        // A spring-forward gap (02:30 does not exist in Paris on 2024-03-31) moves forward.
        let gap = DateTime::constant(2024, 3, 31, 2, 30, 0, 0);
        let (s, _) = timestamp_in(gap, &zone("Europe/Paris").unwrap()).unwrap();
        assert_eq!(s, 1_711_848_600);
        assert!(zone("Not/AZone").unwrap_err().contains("IANA"));
    }
}
