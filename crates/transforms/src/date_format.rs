//! `java.text.SimpleDateFormat` in UTC with the US locale, as Connect's `TimestampRouter` and
//! `TimestampConverter` use it: formatting with every pattern letter, parsing numeric fields,
//! month names, AM/PM and literals.

/// `java.text.SimpleDateFormat` in UTC with the US locale (what Connect's `TimestampRouter`
/// uses): the pattern letters G y Y M w D d E u a H k K h m s S z Z X, text in single quotes,
/// and any other character as itself. A letter it does not know fails each record, as Java's
/// does when the router first formats one.
pub struct DateFormat(Result<Vec<Part>, String>);

enum Part {
    Literal(String),
    /// A number with at least `width` digits.
    Num(Field, usize),
    /// The year's last two digits (`yy`, `YY`).
    Year2(bool),
    MonthName(bool),
    DayName(bool),
    AmPm,
    Era,
    Zone(char),
}

#[derive(Clone, Copy)]
enum Field {
    Year,
    WeekYear,
    Month,
    WeekOfYear,
    DayOfYear,
    Day,
    DayOfWeek,
    Hour0_23,
    Hour1_24,
    Hour0_11,
    Hour1_12,
    Minute,
    Second,
    Millis,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl DateFormat {
    pub fn new(pattern: &str) -> DateFormat {
        DateFormat(Self::parts(pattern))
    }

    fn parts(pattern: &str) -> Result<Vec<Part>, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut parts = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .ok_or("Unterminated quote")?;
                let text: String = chars[i + 1..i + 1 + end].iter().collect();
                parts.push(Part::Literal(if end == 0 { "'".into() } else { text }));
                i += end + 2;
                continue;
            }
            if !c.is_ascii_alphabetic() {
                parts.push(Part::Literal(c.to_string()));
                i += 1;
                continue;
            }
            let n = chars[i..].iter().take_while(|&&x| x == c).count();
            let num = |f| Part::Num(f, n);
            parts.push(match c {
                'G' => Part::Era,
                'y' if n == 2 => Part::Year2(false),
                'y' => num(Field::Year),
                'Y' if n == 2 => Part::Year2(true),
                'Y' => num(Field::WeekYear),
                'M' | 'L' if n >= 3 => Part::MonthName(n >= 4),
                'M' | 'L' => num(Field::Month),
                'w' => num(Field::WeekOfYear),
                'D' => num(Field::DayOfYear),
                'd' => num(Field::Day),
                'E' => Part::DayName(n >= 4),
                'u' => num(Field::DayOfWeek),
                'a' => Part::AmPm,
                'H' => num(Field::Hour0_23),
                'k' => num(Field::Hour1_24),
                'K' => num(Field::Hour0_11),
                'h' => num(Field::Hour1_12),
                'm' => num(Field::Minute),
                's' => num(Field::Second),
                'S' => num(Field::Millis),
                'z' | 'Z' | 'X' => Part::Zone(c),
                other => return Err(format!("Illegal pattern character '{other}'")),
            });
            i += n;
        }
        Ok(parts)
    }

    /// `SimpleDateFormat.parse` in UTC, for numeric fields (y, M, d, H, k, K, h, m, s, S, D),
    /// month names, AM/PM and literals: milliseconds since the epoch. A number adjacent to
    /// another takes exactly its width; otherwise as many digits as there are.
    pub fn parse_text(&self, text: &str) -> Result<i64, String> {
        use cdc_core::calendar::days_from_civil;
        let parts = self.0.as_ref().map_err(Clone::clone)?;
        let bad = || format!("Unparseable date: \"{text}\"");
        let b = text.as_bytes();
        let mut at = 0;
        let (mut y, mut mo, mut d, mut h, mut mi, mut sec, mut ms) =
            (1970i64, 1i64, 1i64, 0i64, 0i64, 0i64, 0i64);
        let (mut pm, mut h12, mut doy) = (None, None, None);
        for (i, p) in parts.iter().enumerate() {
            let next_numeric = matches!(parts.get(i + 1), Some(Part::Num(..) | Part::Year2(_)));
            match p {
                Part::Literal(l) => {
                    if !text[at..].starts_with(l.as_str()) {
                        return Err(bad());
                    }
                    at += l.len();
                }
                Part::Num(field, width) => {
                    let start = at;
                    let limit = if next_numeric { start + width } else { b.len() };
                    if b.get(at) == Some(&b'-') && matches!(field, Field::Year) {
                        at += 1;
                    }
                    while at < limit.min(b.len()) && b[at].is_ascii_digit() {
                        at += 1;
                    }
                    let n: i64 = text[start..at].parse().map_err(|_| bad())?;
                    match field {
                        Field::Year | Field::WeekYear => y = n,
                        Field::Month => mo = n,
                        Field::Day => d = n,
                        Field::DayOfYear => doy = Some(n),
                        Field::Hour0_23 => h = n,
                        Field::Hour1_24 => h = n % 24,
                        Field::Hour0_11 | Field::Hour1_12 => h12 = Some(n % 12),
                        Field::Minute => mi = n,
                        Field::Second => sec = n,
                        Field::Millis => ms = n,
                        Field::WeekOfYear | Field::DayOfWeek => {}
                    }
                }
                Part::MonthName(_) => {
                    let rest = &text[at..];
                    let (i, len) = MONTHS
                        .iter()
                        .enumerate()
                        .find_map(|(i, m)| {
                            [m.len(), 3]
                                .into_iter()
                                .find(|&n| {
                                    rest.len() >= n && rest[..n].eq_ignore_ascii_case(&m[..n])
                                })
                                .map(|n| (i, n))
                        })
                        .ok_or_else(bad)?;
                    mo = i as i64 + 1;
                    at += len;
                }
                Part::AmPm => {
                    let rest = &text[at..];
                    pm = Some(if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case("PM") {
                        true
                    } else if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case("AM") {
                        false
                    } else {
                        return Err(bad());
                    });
                    at += 2;
                }
                Part::Zone(_) => {
                    for z in ["UTC", "+0000", "+00:00", "Z"] {
                        if text[at..].starts_with(z) {
                            at += z.len();
                            break;
                        }
                    }
                }
                _ => return Err(format!("Tributary cannot parse this pattern yet: {text}")),
            }
        }
        if let Some(h12) = h12 {
            h = h12 + if pm == Some(true) { 12 } else { 0 };
        }
        let days = match doy {
            Some(doy) => days_from_civil(y, 1, 1) + doy - 1,
            // Lenient, as SimpleDateFormat: a month past 12 or a day past the month's end rolls over.
            None => {
                let months = y * 12 + (mo - 1);
                days_from_civil(months.div_euclid(12), (months.rem_euclid(12) + 1) as u32, 1) + d
                    - 1
            }
        };
        Ok(days * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms)
    }

    pub fn format(&self, ms: i64) -> Result<String, String> {
        use cdc_core::calendar::{civil_from_days, days_from_civil};
        let parts = self.0.as_ref().map_err(Clone::clone)?;
        let days = ms.div_euclid(86_400_000);
        let in_day = ms.rem_euclid(86_400_000);
        let (y, mo, d) = civil_from_days(days);
        // 0 = Sunday.
        let dow = |days: i64| (days + 4).rem_euclid(7);
        let jan1 = days_from_civil(y, 1, 1);
        let next_jan1 = days_from_civil(y + 1, 1, 1);
        // US weeks: from Sunday; week 1 holds January 1st.
        let (week_year, week) = if days >= next_jan1 - dow(next_jan1) {
            (y + 1, 1)
        } else {
            (y, (days - jan1 + dow(jan1)) / 7 + 1)
        };
        let hour = in_day / 3_600_000;
        let mut out = String::new();
        for p in parts {
            match p {
                Part::Literal(t) => out.push_str(t),
                Part::Num(f, width) => {
                    let v = match f {
                        Field::Year => y,
                        Field::WeekYear => week_year,
                        Field::Month => i64::from(mo),
                        Field::WeekOfYear => week,
                        Field::DayOfYear => days - jan1 + 1,
                        Field::Day => i64::from(d),
                        Field::DayOfWeek => (dow(days) + 6) % 7 + 1,
                        Field::Hour0_23 => hour,
                        Field::Hour1_24 => {
                            if hour == 0 {
                                24
                            } else {
                                hour
                            }
                        }
                        Field::Hour0_11 => hour % 12,
                        Field::Hour1_12 => {
                            if hour % 12 == 0 {
                                12
                            } else {
                                hour % 12
                            }
                        }
                        Field::Minute => in_day / 60_000 % 60,
                        Field::Second => in_day / 1000 % 60,
                        Field::Millis => in_day % 1000,
                    };
                    out.push_str(&format!("{v:0width$}", width = *width));
                }
                Part::Year2(week_based) => {
                    let year = if *week_based { week_year } else { y };
                    out.push_str(&format!("{:02}", year.rem_euclid(100)));
                }
                Part::MonthName(long) => {
                    let name = MONTHS[(mo - 1) as usize];
                    out.push_str(if *long { name } else { &name[..3] });
                }
                Part::DayName(long) => {
                    let name = DAYS[dow(days) as usize];
                    out.push_str(if *long { name } else { &name[..3] });
                }
                Part::AmPm => out.push_str(if hour < 12 { "AM" } else { "PM" }),
                Part::Era => out.push_str(if y > 0 { "AD" } else { "BC" }),
                Part::Zone('z') => out.push_str("UTC"),
                Part::Zone('Z') => out.push_str("+0000"),
                Part::Zone(_) => out.push('Z'),
            }
        }
        Ok(out)
    }
}
