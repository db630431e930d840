//! Typed connector configuration read from the flat Debezium/Connect property map.
//!
//! A [`ConfigReader`] reads properties with Debezium's names and defaults and collects every
//! problem instead of stopping at the first, so `/config/validate` can show them all.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;

/// The flat string map of a connector config (`{"name": ..., "config": {...}}`'s `config`).
pub type ConfigMap = BTreeMap<String, String>;

/// Is this property a secret that must never be shown (Debezium's and Connect's sanitizing rule)?
pub fn is_secret(property: &str) -> bool {
    let p = property.to_ascii_lowercase();
    p.ends_with("password")
        || p.ends_with("secret")
        || p.ends_with("sasl.jaas.config")
        || p.ends_with("basic.auth.user.info")
        || p.ends_with("sslpassword")
        || p.ends_with(".key.password")
        || p.ends_with("secret.access.key")
}

/// The placeholder shown instead of a secret value.
pub const HIDDEN: &str = "[hidden]";

/// A password or key: `Debug` and `Display` print `[hidden]`, so it cannot leak into logs or
/// status traces by accident. [`Secret::expose`] is the one way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HIDDEN)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HIDDEN)
    }
}

/// One problem with one property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub property: String,
    /// The offending value, already hidden when the property is a secret.
    pub value: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(
                f,
                "invalid value {v:?} for configuration {}: {}",
                self.property, self.message
            ),
            None => write!(f, "configuration {}: {}", self.property, self.message),
        }
    }
}

/// Every problem found in a config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigProblem>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "connector configuration is invalid and contains the following {n} error(s):"
        )?;
        for p in &self.0 {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl crate::error::Classify for ConfigErrors {
    fn retry(&self) -> crate::error::Retry {
        crate::error::Retry::Fatal
    }
}

/// Reads typed properties from a [`ConfigMap`], collecting problems.
pub struct ConfigReader<'a> {
    map: &'a ConfigMap,
    problems: Vec<ConfigProblem>,
    read: Vec<String>,
}

impl<'a> ConfigReader<'a> {
    pub fn new(map: &'a ConfigMap) -> Self {
        ConfigReader {
            map,
            problems: Vec::new(),
            read: Vec::new(),
        }
    }

    /// Records a problem with a property.
    pub fn problem(&mut self, property: &str, message: impl Into<String>) {
        let value = self.map.get(property).map(|v| {
            if is_secret(property) {
                HIDDEN.to_owned()
            } else {
                v.clone()
            }
        });
        self.problems.push(ConfigProblem {
            property: property.to_owned(),
            value,
            message: message.into(),
        });
    }

    /// Every property name read so far, in reading order (lets a connector check that each
    /// property it reads is in its config definition).
    pub fn names_read(&self) -> &[String] {
        &self.read
    }

    fn raw(&mut self, name: &str) -> Option<&'a str> {
        self.read.push(name.to_owned());
        self.map
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    pub fn optional_string(&mut self, name: &str) -> Option<String> {
        self.raw(name).map(str::to_owned)
    }

    pub fn string(&mut self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or(default).to_owned()
    }

    pub fn required_string(&mut self, name: &str) -> String {
        match self.raw(name) {
            Some(v) => v.to_owned(),
            None => {
                self.problem(name, "a value is required and none was given");
                String::new()
            }
        }
    }

    /// Debezium's `topic.prefix`, required. A config that still names the prefix the Debezium
    /// 1.x way (`database.server.name`) is refused with the rename spelled out, as Debezium 2+
    /// refuses it (accepting it would keep a 1.x config working here and nowhere else); beside
    /// `topic.prefix` the old name is ignored, as Debezium ignores it.
    pub fn topic_prefix(&mut self) -> String {
        let legacy = self.optional_string("database.server.name");
        match (self.raw("topic.prefix").map(str::to_owned), legacy) {
            (None, Some(old)) => {
                self.read.push("topic.prefix".to_owned());
                self.problem(
                    "topic.prefix",
                    format!("a value is required and none was given; Debezium 2.0 renamed database.server.name (here {old:?}) to topic.prefix: rename the property"),
                );
                String::new()
            }
            _ => self.required_string("topic.prefix"),
        }
    }

    /// Password-like values are not trimmed.
    pub fn secret(&mut self, name: &str) -> Option<Secret> {
        self.read.push(name.to_owned());
        self.map.get(name).cloned().map(Secret)
    }

    pub fn int(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        let Some(raw) = self.raw(name) else {
            return default;
        };
        match raw.parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => v,
            Ok(_) => {
                self.problem(name, format!("must be between {min} and {max}"));
                default
            }
            Err(_) => {
                self.problem(name, "must be a whole number");
                default
            }
        }
    }

    /// A duration in milliseconds where 0 turns the feature off (`None`); otherwise 1 s to 1
    /// day (Tributary's own liveness and stall settings).
    pub fn optional_ms(&mut self, name: &str, default: i64) -> Option<std::time::Duration> {
        match self.int(name, default, 0, 86_400_000) {
            0 => None,
            ms if ms < 1000 => {
                self.problem(name, "must be 0 (off) or between 1000 and 86400000");
                Some(std::time::Duration::from_millis(default as u64))
            }
            ms => Some(std::time::Duration::from_millis(ms as u64)),
        }
    }

    pub fn bool(&mut self, name: &str, default: bool) -> bool {
        match self.raw(name).map(str::to_ascii_lowercase).as_deref() {
            None => default,
            Some("true") => true,
            Some("false") => false,
            Some(_) => {
                self.problem(name, "must be true or false");
                default
            }
        }
    }

    /// One of `allowed` (case-insensitive); returns the canonical lower-case spelling.
    pub fn one_of(&mut self, name: &str, default: &str, allowed: &[&str]) -> String {
        let Some(raw) = self.raw(name) else {
            return default.to_owned();
        };
        let lower = raw.to_ascii_lowercase();
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(&lower)) {
            Some(a) => (*a).to_owned(),
            None => {
                self.problem(name, format!("must be one of: {}", allowed.join(", ")));
                default.to_owned()
            }
        }
    }

    /// A comma-separated list of trimmed, non-empty items.
    pub fn list(&mut self, name: &str) -> Vec<String> {
        self.raw(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A comma-separated list of regular expressions, each anchored at both ends as Debezium does.
    pub fn regex_list(&mut self, name: &str) -> Vec<Regex> {
        let mut out = Vec::new();
        for item in self.list(name) {
            match Regex::new(&format!("^(?:{item})$")) {
                Ok(r) => out.push(r),
                Err(e) => self.problem(
                    name,
                    format!("{item:?} is not a valid regular expression: {e}"),
                ),
            }
        }
        out
    }

    /// Ends reading: every problem found, or nothing.
    pub fn finish(self) -> Result<(), ConfigErrors> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(self.problems))
        }
    }
}

/// A config map from pairs (tests and examples).
pub fn config_map(pairs: &[(&str, &str)]) -> ConfigMap {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Include/exclude lists of anchored regexes, as Debezium applies them to `schema.table` names.
#[derive(Debug, Clone, Default)]
pub struct NameFilter {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
}

impl NameFilter {
    pub fn new(include: Vec<Regex>, exclude: Vec<Regex>) -> Self {
        NameFilter { include, exclude }
    }

    pub fn matches(&self, name: &str) -> bool {
        if !self.include.is_empty() {
            return self.include.iter().any(|r| r.is_match(name));
        }
        !self.exclude.iter().any(|r| r.is_match(name))
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// Reads an include list and its exclude list, reporting both being set.
pub fn read_filter(reader: &mut ConfigReader<'_>, include: &str, exclude: &str) -> NameFilter {
    let inc = reader.regex_list(include);
    let exc = reader.regex_list(exclude);
    if !inc.is_empty() && !exc.is_empty() {
        reader.problem(
            exclude,
            format!("cannot be used together with {include}; set only one of them"),
        );
    }
    NameFilter::new(inc, exc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_debezium_1_server_name_alone_is_refused_naming_the_rename() {
        let map: ConfigMap = [("database.server.name".to_owned(), "dbserver1".to_owned())]
            .into_iter()
            .collect();
        let mut r = ConfigReader::new(&map);
        assert_eq!(r.topic_prefix(), "");
        let e = r.finish().unwrap_err();
        assert_eq!(e.0[0].property, "topic.prefix");
        assert!(
            e.0[0]
                .message
                .contains("renamed database.server.name (here \"dbserver1\") to topic.prefix"),
            "{e}"
        );
        let map: ConfigMap = [
            ("database.server.name".to_owned(), "old".to_owned()),
            ("topic.prefix".to_owned(), "new".to_owned()),
        ]
        .into_iter()
        .collect();
        let mut r = ConfigReader::new(&map);
        assert_eq!(r.topic_prefix(), "new");
        assert!(r.finish().is_ok());
    }
}
