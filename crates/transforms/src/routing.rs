//! Connect's record-level transforms: `RegexRouter`, `TimestampRouter`, `Filter`,
//! `DropHeaders`, `InsertHeader`.

use cdc_core::{ConfigErrors, ConfigMap};
use regex::Regex;

use crate::chain::Props;
use crate::{java_regex, ConnectRecord, Transform};

const PKG: &str = "org.apache.kafka.connect.transforms.";

pub const CLASSES: &[&str] = &[
    "org.apache.kafka.connect.transforms.DropHeaders",
    "org.apache.kafka.connect.transforms.Filter",
    "org.apache.kafka.connect.transforms.InsertHeader",
    "org.apache.kafka.connect.transforms.RegexRouter",
    "org.apache.kafka.connect.transforms.TimestampRouter",
];

/// The transform `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Box<dyn Transform>, ConfigErrors>> {
    let mut p = Props::new(config, prefix);
    let t: Box<dyn Transform> = match class.strip_prefix(PKG)? {
        "RegexRouter" => {
            let regex = p.required_string("regex");
            let replacement = p.raw(config, "replacement");
            if replacement.is_none() {
                p.problem(
                    "replacement",
                    "Missing required configuration \"replacement\" which has no default value.",
                );
            }
            let re = java_regex::whole(&regex).unwrap_or_else(|e| {
                p.problem("regex", e);
                Regex::new("^$").expect("valid")
            });
            let replacement = java_regex::replacement(replacement.as_deref().unwrap_or(""))
                .unwrap_or_else(|e| {
                    p.problem("replacement", e);
                    String::new()
                });
            let missing_group = java_regex::missing_group(&re, &replacement);
            Box::new(RegexRouter {
                re,
                replacement,
                missing_group,
            })
        }
        "TimestampRouter" => {
            let topic_format = p.string("topic.format", "${topic}-${timestamp}");
            let timestamp_format = p.string("timestamp.format", "yyyyMMdd");
            let format = DateFormat::parse(&timestamp_format);
            Box::new(TimestampRouter {
                topic_format,
                format,
            })
        }
        "Filter" => Box::new(Filter),
        "DropHeaders" => {
            let headers = p.list("headers");
            if headers.is_empty() {
                p.problem(
                    "headers",
                    "Missing required configuration \"headers\" which has no default value.",
                );
            }
            Box::new(DropHeaders(headers))
        }
        "InsertHeader" => {
            let header = p.required_string("header");
            let literal = p.raw(config, "value.literal");
            if literal.is_none() {
                p.problem(
                    "value.literal",
                    "Missing required configuration \"value.literal\" which has no default value.",
                );
            }
            Box::new(InsertHeader {
                header,
                value: literal
                    .as_deref()
                    .and_then(header_text)
                    .map(String::into_bytes),
            })
        }
        _ => return None,
    };
    Some(p.finish().map(|()| t))
}

/// Renames the topic when it matches `regex` (whole), as `Matcher.replaceFirst` does.
struct RegexRouter {
    re: Regex,
    replacement: String,
    /// A group the replacement names that the regex lacks: each matching topic fails, as in
    /// Java.
    missing_group: Option<String>,
}

impl Transform for RegexRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        if self.re.is_match(&record.topic) {
            if let Some(why) = &self.missing_group {
                return Err(why.clone());
            }
            let topic = self.re.replace(&record.topic, self.replacement.as_str());
            record.topic = topic.as_ref().into();
        }
        Ok(Some(record))
    }
}

/// `topic.format` with `${topic}` and `${timestamp}` (the record's timestamp in UTC, in
/// `timestamp.format`).
struct TimestampRouter {
    topic_format: String,
    format: DateFormat,
}

impl Transform for TimestampRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(ts) = record.timestamp_ms else {
            return Err(format!(
                "Timestamp missing on record: topic {}",
                record.topic
            ));
        };
        let topic = self
            .topic_format
            .replace("${topic}", &record.topic)
            .replace("${timestamp}", &self.format.format(ts)?);
        record.topic = topic.into();
        Ok(Some(record))
    }
}

/// Drops every record (with a predicate, the ones it matches).
struct Filter;

impl Transform for Filter {
    fn apply(&self, _: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        Ok(None)
    }
}

struct DropHeaders(Vec<String>);

impl Transform for DropHeaders {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        record.headers.retain(|(n, _)| !self.0.contains(n));
        Ok(Some(record))
    }
}

/// Adds a header with `value.literal` as its text (what `SimpleHeaderConverter` writes for it).
struct InsertHeader {
    header: String,
    /// `None`: the literal `null`.
    value: Option<Vec<u8>>,
}

impl Transform for InsertHeader {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        record
            .headers
            .push((self.header.clone(), self.value.clone()));
        Ok(Some(record))
    }
}

/// What `SimpleHeaderConverter` writes for a header whose value Connect's `Values.parseString`
/// read from `literal`: trimmed; `null` is a null header; booleans, numbers, and JSON-like arrays
/// and maps in their canonical text; anything else as it is.
fn header_text(literal: &str) -> Option<String> {
    let t = literal.trim();
    if t == "null" {
        return None;
    }
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return Some(t.to_ascii_lowercase());
    }
    if let Ok(n) = t.parse::<i64>() {
        return Some(n.to_string());
    }
    let numeric = t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.')
        && t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
    if numeric {
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 {
                return Some((f as i64).to_string());
            }
            if f.is_finite() {
                return Some(f.to_string());
            }
        }
    }
    if t.starts_with('[') || t.starts_with('{') {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(t) {
            return Some(json.to_string());
        }
    }
    Some(t.to_owned())
}

/// `java.text.SimpleDateFormat` in UTC with the US locale (what Connect's `TimestampRouter`
/// uses): the pattern letters G y Y M w D d E u a H k K h m s S z Z X, text in single quotes,
/// and any other character as itself. A letter it does not know fails each record, as Java's
/// does when the router first formats one.
struct DateFormat(Result<Vec<Part>, String>);

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
    fn parse(pattern: &str) -> DateFormat {
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

    fn format(&self, ms: i64) -> Result<String, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_formats_in_utc() {
        let f = DateFormat::parse("yyyyMMdd'T'HH:mm:ss.SSS");
        assert_eq!(
            f.format(1_700_000_000_123).unwrap(),
            "20231114T22:13:20.123"
        );
        let f = DateFormat::parse("YYYY-ww EEE MMM D a hh");
        // 9999-12-31 (a Friday) is in week 1 of 10000.
        assert_eq!(
            f.format(253_402_214_400_000).unwrap(),
            "10000-01 Fri Dec 365 AM 12"
        );
        assert!(DateFormat::parse("yyyy-bb").format(0).is_err());
    }
}
