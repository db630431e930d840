//! Connect's predicates (`org.apache.kafka.connect.transforms.predicates.*`).

use std::sync::Arc;

use cdc_core::{ConfigErrors, ConfigMap};
use regex::Regex;

use crate::chain::Props;
use crate::{java_regex, ConnectRecord, Predicate};

const PKG: &str = "org.apache.kafka.connect.transforms.predicates.";

pub const CLASSES: &[&str] = &[
    "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
];

/// The predicate `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Arc<dyn Predicate>, ConfigErrors>> {
    let mut props = Props::new(config, prefix);
    let predicate: Arc<dyn Predicate> = match class.strip_prefix(PKG)? {
        "TopicNameMatches" => {
            let pattern = props.required_string("pattern");
            match java_regex::whole(&pattern) {
                Ok(re) if !pattern.is_empty() => Arc::new(TopicNameMatches(re)),
                Ok(_) => Arc::new(TopicNameMatches(Regex::new("^$").expect("valid"))),
                Err(e) => {
                    props.problem("pattern", e);
                    Arc::new(TopicNameMatches(Regex::new("^$").expect("valid")))
                }
            }
        }
        "HasHeaderKey" => {
            let name = props.required_string("name");
            Arc::new(HasHeaderKey(name))
        }
        "RecordIsTombstone" => Arc::new(RecordIsTombstone),
        _ => return None,
    };
    Some(props.finish().map(|()| predicate))
}

/// The record's topic matches `pattern` (whole).
struct TopicNameMatches(Regex);

impl Predicate for TopicNameMatches {
    fn test(&self, record: &ConnectRecord) -> bool {
        self.0.is_match(&record.topic)
    }
}

/// The record has at least one header named `name`.
struct HasHeaderKey(String);

impl Predicate for HasHeaderKey {
    fn test(&self, record: &ConnectRecord) -> bool {
        record.headers.iter().any(|(n, _)| *n == self.0)
    }
}

/// The record's value is null.
struct RecordIsTombstone;

impl Predicate for RecordIsTombstone {
    fn test(&self, record: &ConnectRecord) -> bool {
        // Connect's `record.value() == null`: no value, or a null one with a schema (what
        // ExtractNewRecordState makes of a delete).
        record.value.as_ref().is_none_or(|v| v.value.is_null())
    }
}
