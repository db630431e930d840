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
            Box::new(RegexRouter { re, replacement })
        }
        "TimestampRouter" => {
            let topic_format = p.string("topic.format", "${topic}-${timestamp}");
            let timestamp_format = p.string("timestamp.format", "yyyyMMdd");
            let format = DateFormat::parse(&timestamp_format).unwrap_or_else(|e| {
                p.problem("timestamp.format", e);
                DateFormat(Vec::new())
            });
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
                value: literal.unwrap_or_default().into_bytes(),
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
}

impl Transform for RegexRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        if self.re.is_match(&record.topic) {
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
            .replace("${timestamp}", &self.format.format(ts));
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
    value: Vec<u8>,
}

impl Transform for InsertHeader {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        record
            .headers
            .push((self.header.clone(), Some(self.value.clone())));
        Ok(Some(record))
    }
}

/// The subset of `java.text.SimpleDateFormat` patterns a `timestamp.format` uses, in UTC:
/// `yyyy`, `yy`, `MM`, `dd`, `HH`, `mm`, `ss`, `SSS`, literal text in single quotes and any
/// character that is not a letter.
struct DateFormat(Vec<Part>);

enum Part {
    Literal(String),
    Year4,
    Year2,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Millis,
}

impl DateFormat {
    fn parse(pattern: &str) -> Result<DateFormat, String> {
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
                parts.push(Part::Literal(if text.is_empty() {
                    "'".into()
                } else {
                    text
                }));
                i += end + 2;
                continue;
            }
            if !c.is_ascii_alphabetic() {
                parts.push(Part::Literal(c.to_string()));
                i += 1;
                continue;
            }
            let run = chars[i..].iter().take_while(|&&x| x == c).count();
            parts.push(match (c, run) {
                ('y', 2) => Part::Year2,
                ('y', _) => Part::Year4,
                ('M', 2) => Part::Month,
                ('d', 2) => Part::Day,
                ('H', 2) => Part::Hour,
                ('m', 2) => Part::Minute,
                ('s', 2) => Part::Second,
                ('S', 3) => Part::Millis,
                _ => {
                    return Err(format!(
                        "the pattern letters {} are not supported by Tributary's TimestampRouter (supported: yyyy, yy, MM, dd, HH, mm, ss, SSS, quoted text)",
                        c.to_string().repeat(run)
                    ))
                }
            });
            i += run;
        }
        Ok(DateFormat(parts))
    }

    fn format(&self, ms: i64) -> String {
        let days = ms.div_euclid(86_400_000);
        let in_day = ms.rem_euclid(86_400_000);
        let (y, mo, d) = cdc_core::calendar::civil_from_days(days);
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Literal(t) => out.push_str(t),
                Part::Year4 => out.push_str(&format!("{y:04}")),
                Part::Year2 => out.push_str(&format!("{:02}", y.rem_euclid(100))),
                Part::Month => out.push_str(&format!("{mo:02}")),
                Part::Day => out.push_str(&format!("{d:02}")),
                Part::Hour => out.push_str(&format!("{:02}", in_day / 3_600_000)),
                Part::Minute => out.push_str(&format!("{:02}", in_day / 60_000 % 60)),
                Part::Second => out.push_str(&format!("{:02}", in_day / 1000 % 60)),
                Part::Millis => out.push_str(&format!("{:03}", in_day % 1000)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_formats_in_utc() {
        let f = DateFormat::parse("yyyyMMdd'T'HH:mm:ss.SSS").unwrap();
        assert_eq!(f.format(1_700_000_000_123), "20231114T22:13:20.123");
        assert!(DateFormat::parse("EEE").is_err());
    }
}
