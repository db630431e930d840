//! Date and time arithmetic for bound values: civil dates to epoch days and ISO-8601 parsing of
//! Debezium's `ZonedTimestamp` (`2024-01-02T03:04:05.123456Z`, `...+02:00`) and `ZonedTime`
//! (`03:04:05.5Z`) strings. Proleptic Gregorian calendar, as `java.time`.

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

pub use cdc_core::calendar::{civil_from_days, days_from_civil};

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `HH:MM[:SS[.fraction]]` → microseconds of the day (fraction truncated to microseconds).
fn time_of_day(s: &str) -> Option<i64> {
    let (hms, frac) = match s.split_once('.') {
        Some((a, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => (a, f),
        Some(_) => return None,
        None => (s, ""),
    };
    let mut it = hms.split(':');
    let h = digits(it.next()?, 2)?;
    let m = digits(it.next()?, 2)?;
    let sec = match it.next() {
        Some(x) => digits(x, 2)?,
        None => 0,
    };
    if it.next().is_some() || h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut micros = 0i64;
    for (i, b) in frac.bytes().take(6).enumerate() {
        micros += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
    }
    Some((i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(sec)) * MICROS_PER_SECOND + micros)
}

/// `Z`, `±HH:MM`, `±HHMM`, `±HH`, `±HH:MM:SS` → seconds east of UTC.
fn offset(s: &str) -> Option<i32> {
    if s == "Z" {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &s[1..];
    let parts: Vec<&str> = if body.contains(':') {
        body.split(':').collect()
    } else {
        match body.len() {
            2 => vec![body],
            4 => vec![&body[..2], &body[2..]],
            _ => return None,
        }
    };
    let mut secs = 0i32;
    for (i, p) in parts.iter().enumerate() {
        let v = digits(p, 2)? as i32;
        secs += v * [3600, 60, 1].get(i)?;
    }
    (secs <= 18 * 3600).then_some(sign * secs)
}

/// Splits a trailing zone designator off a time: (time, offset text).
fn split_zone(s: &str) -> Option<(&str, &str)> {
    if let Some(t) = s.strip_suffix('Z') {
        return Some((t, "Z"));
    }
    let i = s.rfind(['+', '-'])?;
    Some((&s[..i], &s[i..]))
}

/// A `ZonedTimestamp` string → microseconds since the epoch (UTC). `infinity` and `-infinity`
/// (what Debezium's PostgreSQL source sends for those values) are `i64::MAX` and `i64::MIN`.
pub fn parse_zoned_timestamp(s: &str) -> Option<i64> {
    match s {
        "infinity" => return Some(i64::MAX),
        "-infinity" => return Some(i64::MIN),
        _ => {}
    }
    let (date, rest) = s.split_once('T')?;
    let (time, zone) = split_zone(rest)?;
    // The year may carry a sign (java.time writes +10000 and -0001).
    let (neg, date) = match date.as_bytes().first()? {
        b'-' => (true, &date[1..]),
        b'+' => (false, &date[1..]),
        _ => (false, date),
    };
    let mut it = date.split('-');
    let y_text = it.next()?;
    if y_text.len() < 4 || !y_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = y_text.parse().ok()?;
    let y = if neg { -y } else { y };
    let m = digits(it.next()?, 2)?;
    let d = digits(it.next()?, 2)?;
    if it.next().is_some() || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let micros = days_from_civil(y, m, d)
        .checked_mul(MICROS_PER_DAY)?
        .checked_add(time_of_day(time)?)?;
    micros.checked_sub(i64::from(offset(zone)?) * MICROS_PER_SECOND)
}

/// A `ZonedTime` string → (microseconds of the day, offset seconds east of UTC).
pub fn parse_zoned_time(s: &str) -> Option<(i64, i32)> {
    let (time, zone) = split_zone(s)?;
    Some((time_of_day(time)?, offset(zone)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
    }

    #[test]
    fn zoned_timestamps() {
        assert_eq!(parse_zoned_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_zoned_timestamp("2024-02-29T01:02:03.123456Z"),
            Some((days_from_civil(2024, 2, 29) * 86_400 + 3723) * 1_000_000 + 123_456)
        );
        assert_eq!(
            parse_zoned_timestamp("1970-01-01T02:00:00+02:00"),
            Some(0),
            "offsets are subtracted"
        );
        assert_eq!(
            parse_zoned_timestamp("1970-01-01T00:00:00.5-0130"),
            Some(5_400_500_000)
        );
        assert_eq!(
            parse_zoned_timestamp("1970-01-01T00:00:00.1234567Z"),
            Some(123_456)
        );
        assert_eq!(
            parse_zoned_timestamp("+10000-01-01T00:00:00Z"),
            Some(days_from_civil(10_000, 1, 1) * MICROS_PER_DAY)
        );
        assert_eq!(parse_zoned_timestamp("infinity"), Some(i64::MAX));
        assert_eq!(parse_zoned_timestamp("-infinity"), Some(i64::MIN));
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+25:00",
            "2024-01-01T00:00:00.Z",
            "",
        ] {
            assert_eq!(parse_zoned_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn zoned_times() {
        assert_eq!(parse_zoned_time("01:02:03Z"), Some((3_723_000_000, 0)));
        assert_eq!(
            parse_zoned_time("01:02:03.000001+05:30"),
            Some((3_723_000_001, 19_800))
        );
        assert_eq!(parse_zoned_time("01:02-08"), Some((3_720_000_000, -28_800)));
        assert_eq!(parse_zoned_time("01:02:03"), None);
    }
}
