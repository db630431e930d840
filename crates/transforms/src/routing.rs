//! Connect's record-level transforms: `RegexRouter`, `TimestampRouter`, `Filter`,
//! `DropHeaders`, `InsertHeader`.

use cdc_core::{ConfigErrors, ConfigMap};
use regex::Regex;

use crate::chain::Props;
use crate::date_format::DateFormat;
use crate::row_plan::RowShape;
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
                routed: Default::default(),
                missing_group,
            })
        }
        "TimestampRouter" => {
            let topic_format = p.string("topic.format", "${topic}-${timestamp}");
            let timestamp_format = p.string("timestamp.format", "yyyyMMdd");
            let format = DateFormat::new(&timestamp_format);
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
    /// Topics routed so far and where to (a connector has few topics; bounded).
    routed: std::sync::Mutex<std::collections::HashMap<std::sync::Arc<str>, std::sync::Arc<str>>>,
    /// A group the replacement names that the regex lacks: each matching topic fails, as in
    /// Java.
    missing_group: Option<String>,
}

impl Transform for RegexRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let mut routed = self
            .routed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(to) = routed.get(&record.topic) {
            record.topic = to.clone();
            return Ok(Some(record));
        }
        if self.re.is_match(&record.topic) {
            if let Some(why) = &self.missing_group {
                return Err(why.clone());
            }
            let to: std::sync::Arc<str> = self
                .re
                .replace(&record.topic, self.replacement.as_str())
                .as_ref()
                .into();
            if routed.len() >= 1024 {
                routed.clear();
            }
            routed.insert(record.topic.clone(), to.clone());
            record.topic = to;
        } else if routed.len() < 1024 {
            let same = record.topic.clone();
            routed.insert(same.clone(), same);
        }
        Ok(Some(record))
    }

    fn row_plan(&self, mut shape: RowShape) -> Option<RowShape> {
        let routed = self
            .apply(ConnectRecord {
                topic: shape.topic.clone(),
                partition: None,
                offset: None,
                timestamp_ms: None,
                key: None,
                value: None,
                headers: Vec::new(),
            })
            .ok()??;
        shape.topic = routed.topic;
        Some(shape)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_formats_in_utc() {
        let f = DateFormat::new("yyyyMMdd'T'HH:mm:ss.SSS");
        assert_eq!(
            f.format(1_700_000_000_123).unwrap(),
            "20231114T22:13:20.123"
        );
        let f = DateFormat::new("YYYY-ww EEE MMM D a hh");
        // 9999-12-31 (a Friday) is in week 1 of 10000.
        assert_eq!(
            f.format(253_402_214_400_000).unwrap(),
            "10000-01 Fri Dec 365 AM 12"
        );
        assert!(DateFormat::new("yyyy-bb").format(0).is_err());
    }
}
