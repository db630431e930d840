//! Proleptic Gregorian calendar arithmetic, PostgreSQL's ISO text forms (parse and print), and
//! Java's ISO-8601 formatter output.

use std::fmt::Write as _;

use super::wire::{Decoded, Fault};

/// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
pub(crate) const PG_EPOCH_DAYS: i64 = 10_957;
pub(crate) const MICROS_PER_SECOND: i64 = 1_000_000;
pub(crate) const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;
/// Microseconds from 1970-01-01 to 2000-01-01.
pub(crate) const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * MICROS_PER_DAY;

const BAD_DATE: Fault = Fault::Malformed("not a date");
const BAD_TIME: Fault = Fault::Malformed("not a time");
const BAD_ZONE: Fault = Fault::Malformed("not a time zone offset");

pub(crate) use cdc_core::calendar::{civil_from_days, days_from_civil};

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Appends `n` (which must be below `10^width`) as exactly `width` decimal digits.
///
/// Dates and times are formatted on the snapshot's hot path (a million rows, each with several
/// timestamps), where `write!`'s formatting machinery costs several times more than this.
fn push_digits(out: &mut impl TextOut, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let width = width.min(buf.len());
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    // One append instead of one per digit.
    out.ascii(&buf[..width]);
}

/// Where the date and time text goes: a `String`, or the bytes of a JSON document being
/// written (no UTF-8 check for what is ASCII by construction).
pub(crate) trait TextOut {
    /// Appends `text`, which is ASCII.
    fn ascii(&mut self, text: &[u8]);
}

impl TextOut for String {
    fn ascii(&mut self, text: &[u8]) {
        self.extend(text.iter().copied().map(char::from));
    }
}

impl TextOut for Vec<u8> {
    fn ascii(&mut self, text: &[u8]) {
        self.extend_from_slice(text);
    }
}

/// `a:b:c` (`sep` between) as two-digit numbers below 100, in one append.
fn push_2_2_2(out: &mut impl TextOut, [a, b, c]: [u64; 3], sep: u8) {
    let digit = |n: u64, place: u64| b'0' + (n / place % 10) as u8;
    let text = [
        digit(a, 10),
        digit(a, 1),
        sep,
        digit(b, 10),
        digit(b, 1),
        sep,
        digit(c, 10),
        digit(c, 1),
    ];
    out.ascii(&text);
}

/// Java's `ISO_LOCAL_DATE` year: at least 4 digits, `+` above 9999, `-` below zero.
fn java_year(out: &mut impl TextOut, year: i64) {
    if year > 9999 {
        out.ascii(format!("+{year}").as_bytes());
    } else if year < 0 {
        out.ascii(format!("-{:04}", year.unsigned_abs()).as_bytes());
    } else {
        push_digits(out, year as u64, 4);
    }
}

/// Java's `ISO_LOCAL_DATE` of a day count since 1970-01-01.
pub(crate) fn java_date(out: &mut impl TextOut, epoch_day: i64) {
    let (y, m, d) = civil_from_days(epoch_day);
    if (0..100).contains(&y) {
        // Years 0000-0099 keep their leading zeros: "00YY-MM-DD".
        out.ascii(b"00");
        push_2_2_2(out, [y as u64, m.into(), d.into()], b'-');
    } else if (100..=9999).contains(&y) {
        push_digits(out, (y / 100) as u64, 2);
        push_2_2_2(out, [(y % 100) as u64, m.into(), d.into()], b'-');
    } else {
        java_year(out, y);
        out.ascii(b"-");
        push_digits(out, u64::from(m), 2);
        out.ascii(b"-");
        push_digits(out, u64::from(d), 2);
    }
}

/// `HH:MM:SS` of a second of the day.
fn hh_mm_ss(out: &mut impl TextOut, secs: i64) {
    let secs = secs.max(0) as u64;
    push_2_2_2(out, [secs / 3600, secs / 60 % 60, secs % 60], b':');
}

/// Java's `ISO_LOCAL_TIME`: seconds always, the fraction only as long as needed.
pub(crate) fn java_time(out: &mut impl TextOut, micros_of_day: i64) {
    let secs = micros_of_day.div_euclid(MICROS_PER_SECOND);
    let frac = micros_of_day.rem_euclid(MICROS_PER_SECOND) as u64;
    hh_mm_ss(out, secs);
    if frac != 0 {
        let (mut digits, mut width) = (frac, 6);
        while digits % 10 == 0 {
            digits /= 10;
            width -= 1;
        }
        out.ascii(b".");
        push_digits(out, digits, width);
    }
}

/// Java's ISO date-time of microseconds since 1970-01-01, optionally with a fixed fraction width
/// (ZonedTimestamp's `appendFraction(NANO_OF_SECOND, w, w, true)`).
pub(crate) fn java_date_time(
    out: &mut impl TextOut,
    epoch_micros: i64,
    fixed_fraction: Option<usize>,
) {
    java_date(out, epoch_micros.div_euclid(MICROS_PER_DAY));
    out.ascii(b"T");
    java_time_of(out, epoch_micros, fixed_fraction);
}

/// The part of [`java_date_time`] after the `T`.
pub(crate) fn java_time_of(
    out: &mut impl TextOut,
    epoch_micros: i64,
    fixed_fraction: Option<usize>,
) {
    let time = epoch_micros.rem_euclid(MICROS_PER_DAY);
    match fixed_fraction {
        Some(width) => {
            hh_mm_ss(out, time / MICROS_PER_SECOND);
            let width = width.min(9);
            let nanos = ((time % MICROS_PER_SECOND) * 1000) as u64;
            out.ascii(b".");
            push_digits(out, nanos / 10u64.pow(9 - width as u32), width);
        }
        None => java_time(out, time),
    }
}

/// PostgreSQL's ISO date (`2024-01-31`, `0044-03-15 BC`) of a day count since 1970-01-01.
pub(crate) fn pg_date(out: &mut String, epoch_day: i64) {
    let (y, m, d) = civil_from_days(epoch_day);
    let _ = write!(out, "{:04}-{m:02}-{d:02}", if y > 0 { y } else { 1 - y });
}

fn pg_is_bc(epoch_day: i64) -> bool {
    civil_from_days(epoch_day).0 <= 0
}

/// PostgreSQL's ISO timestamp of microseconds since 1970-01-01, in UTC with `+00` when `zoned`.
pub(crate) fn pg_timestamp(out: &mut String, epoch_micros: i64, zoned: bool) {
    let day = epoch_micros.div_euclid(MICROS_PER_DAY);
    pg_date(out, day);
    out.push(' ');
    // PostgreSQL's AppendSeconds trims fraction zeros exactly as Java's ISO_LOCAL_TIME does.
    java_time(out, epoch_micros.rem_euclid(MICROS_PER_DAY));
    if zoned {
        out.push_str("+00");
    }
    if pg_is_bc(day) {
        out.push_str(" BC");
    }
}

pub(crate) fn pg_date_text(out: &mut String, epoch_day: i64) {
    pg_date(out, epoch_day);
    if pg_is_bc(epoch_day) {
        out.push_str(" BC");
    }
}

/// A cursor over ASCII text.
struct Scan<'a> {
    s: &'a [u8],
}

impl Scan<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let n = self
            .s
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let mut v: i64 = 0;
        for &b in &self.s[..n] {
            v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        }
        self.s = &self.s[n..];
        Some((v, n))
    }

    fn eat(&mut self, c: u8) -> bool {
        match self.s.split_first() {
            Some((&b, rest)) if b == c => {
                self.s = rest;
                true
            }
            _ => false,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.first().copied()
    }

    fn at_end(&self) -> bool {
        self.s.is_empty()
    }
}

/// `YYYY-MM-DD` into (astronomical year, month, day), the BC suffix applied by the caller.
fn scan_date(scan: &mut Scan<'_>) -> Decoded<(i64, u32, u32)> {
    let (y, _) = scan.digits(1, 10).ok_or(BAD_DATE)?;
    let (m, d) = if scan.eat(b'-') {
        let (m, _) = scan.digits(2, 2).ok_or(BAD_DATE)?;
        if !scan.eat(b'-') {
            return Err(BAD_DATE);
        }
        let (d, _) = scan.digits(2, 2).ok_or(BAD_DATE)?;
        (m, d)
    } else {
        return Err(BAD_DATE);
    };
    let (m, d) = (
        u32::try_from(m).map_err(|_| BAD_DATE)?,
        u32::try_from(d).map_err(|_| BAD_DATE)?,
    );
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(BAD_DATE);
    }
    Ok((y, m, d))
}

/// `HH:MM:SS[.ffffff]` into microseconds (hour 24 allowed, as PostgreSQL does).
fn scan_time(scan: &mut Scan<'_>) -> Decoded<i64> {
    let (h, _) = scan.digits(2, 2).ok_or(BAD_TIME)?;
    if !scan.eat(b':') {
        return Err(BAD_TIME);
    }
    let (m, _) = scan.digits(2, 2).ok_or(BAD_TIME)?;
    let s = if scan.eat(b':') {
        scan.digits(2, 2).ok_or(BAD_TIME)?.0
    } else {
        0
    };
    let mut micros = 0;
    if scan.eat(b'.') {
        let (f, n) = scan.digits(1, 6).ok_or(BAD_TIME)?;
        micros = f * 10_i64.pow(6 - n as u32);
    }
    if h > 24 || m > 59 || s > 60 {
        return Err(BAD_TIME);
    }
    Ok(((h * 60 + m) * 60 + s) * MICROS_PER_SECOND + micros)
}

/// `+HH[:MM[:SS]]` into seconds east of UTC.
fn scan_zone(scan: &mut Scan<'_>) -> Decoded<i64> {
    let sign = match scan.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(BAD_ZONE),
    };
    scan.s = &scan.s[1..];
    let (h, _) = scan.digits(2, 2).ok_or(BAD_ZONE)?;
    let mut secs = h * 3600;
    if scan.eat(b':') {
        secs += scan.digits(2, 2).ok_or(BAD_ZONE)?.0 * 60;
        if scan.eat(b':') {
            secs += scan.digits(2, 2).ok_or(BAD_ZONE)?.0;
        }
    }
    Ok(sign * secs)
}

fn scan_bc(scan: &mut Scan<'_>, year: i64) -> Decoded<i64> {
    if scan.s == b" BC" {
        scan.s = &[];
        return Ok(1 - year);
    }
    if scan.s == b" AD" {
        scan.s = &[];
    }
    Ok(year)
}

/// A date's text (`2024-01-31`, `0044-03-15 BC`) into days since 1970-01-01; infinities are the
/// caller's business.
pub(crate) fn parse_date(s: &str) -> Decoded<i64> {
    let mut scan = Scan { s: s.as_bytes() };
    let (y, m, d) = scan_date(&mut scan)?;
    let y = scan_bc(&mut scan, y)?;
    if !scan.at_end() {
        return Err(BAD_DATE);
    }
    Ok(days_from_civil(y, m, d))
}

/// A time of day's text into microseconds.
pub(crate) fn parse_time(s: &str) -> Decoded<i64> {
    let mut scan = Scan { s: s.as_bytes() };
    let t = scan_time(&mut scan)?;
    if !scan.at_end() {
        return Err(BAD_TIME);
    }
    Ok(t)
}

/// A timetz's text into (microseconds of local time, seconds east of UTC).
pub(crate) fn parse_timetz(s: &str) -> Decoded<(i64, i64)> {
    let mut scan = Scan { s: s.as_bytes() };
    let t = scan_time(&mut scan)?;
    let zone = scan_zone(&mut scan)?;
    if !scan.at_end() {
        return Err(BAD_ZONE);
    }
    Ok((t, zone))
}

/// A timestamp's text into microseconds since 1970-01-01 (UTC when it carries an offset).
pub(crate) fn parse_timestamp(s: &str, zoned: bool) -> Decoded<i64> {
    let mut scan = Scan { s: s.as_bytes() };
    let (y, m, d) = scan_date(&mut scan)?;
    if !scan.eat(b' ') && !scan.eat(b'T') {
        return Err(BAD_TIME);
    }
    let t = scan_time(&mut scan)?;
    let zone = if zoned { scan_zone(&mut scan)? } else { 0 };
    let y = scan_bc(&mut scan, y)?;
    if !scan.at_end() {
        return Err(BAD_TIME);
    }
    days_from_civil(y, m, d)
        .checked_mul(MICROS_PER_DAY)
        .and_then(|v| v.checked_add(t))
        .and_then(|v| v.checked_sub(zone * MICROS_PER_SECOND))
        .ok_or(Fault::OutOfRange("timestamp out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_and_matches_java() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 1, 1), PG_EPOCH_DAYS);
        // LocalDate.MIN.toEpochDay()
        assert_eq!(days_from_civil(-999_999_999, 1, 1), -365_243_219_162);
        for d in [-800_000_000, -1, 0, 59, 10_957, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn formats_like_java_and_postgres() {
        let mut s = String::new();
        java_date_time(
            &mut s,
            days_from_civil(21016, 11, 4) * MICROS_PER_DAY,
            Some(6),
        );
        assert_eq!(s, "+21016-11-04T00:00:00.000000");
        s.clear();
        java_date_time(&mut s, -1, None);
        assert_eq!(s, "1969-12-31T23:59:59.999999");
        s.clear();
        pg_timestamp(
            &mut s,
            days_from_civil(-43, 3, 15) * MICROS_PER_DAY + 1_500_000,
            true,
        );
        assert_eq!(s, "0044-03-15 00:00:01.5+00 BC");
    }

    #[test]
    fn java_dates_of_every_year_shape() {
        let java = |y: i64, m: u32, d: u32| match y {
            10_000.. => format!("+{y}-{m:02}-{d:02}"),
            0..=9999 => format!("{y:04}-{m:02}-{d:02}"),
            _ => format!("-{:04}-{m:02}-{d:02}", y.unsigned_abs()),
        };
        for (y, m, d) in [
            (-12_345, 1, 1),
            (-1, 12, 31),
            (0, 2, 29),
            (7, 7, 7),
            (99, 12, 31),
            (100, 1, 1),
            (999, 10, 5),
            (2024, 2, 29),
            (9999, 12, 31),
            (10_000, 1, 1),
        ] {
            let mut s = String::new();
            java_date(&mut s, days_from_civil(y, m, d));
            assert_eq!(s, java(y, m, d));
        }
        let mut s = String::new();
        java_time(&mut s, (23 * 3600 + 59 * 60 + 58) * MICROS_PER_SECOND + 10);
        assert_eq!(s, "23:59:58.00001");
    }

    #[test]
    fn parses_postgres_text() {
        assert_eq!(
            parse_date("0044-03-15 BC").unwrap(),
            days_from_civil(-43, 3, 15)
        );
        assert_eq!(parse_time("24:00:00").unwrap(), MICROS_PER_DAY);
        assert_eq!(
            parse_timetz("13:51:30.123789+02").unwrap(),
            (49_890_123_789, 7200)
        );
        assert_eq!(
            parse_timestamp("2016-11-04 13:51:30.5+05:30", true).unwrap(),
            days_from_civil(2016, 11, 4) * MICROS_PER_DAY
                + (8 * 3600 + 21 * 60 + 30) * MICROS_PER_SECOND
                + 500_000
        );
        for bad in [
            "",
            "2016-13-01",
            "2016-02-30",
            "2016-1-1",
            "x",
            "2016-11-04 BC x",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        for bad in [
            "",
            "1:00:00",
            "12:00:00.",
            "12:00:00+",
            "99999999999999999999-01-01 00:00:00",
        ] {
            assert!(parse_timestamp(bad, true).is_err(), "{bad}");
        }
    }
}
