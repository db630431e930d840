//! The comparer: two topics' records, Debezium's on the reference Connect worker and ours, field
//! by field. Every leaf of the key, the value and each header is compared; a difference passes
//! only if `allow-list.json` names its path (for the record's `op`, when the entry says so),
//! with the reason. The summary counts records and fields: equal, allowed, unexpected.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use serde::Deserialize;
use serde_json::Value;

use crate::kafka::broker::Read;

/// One tolerated difference, from `tests/differential/allow-list.json`.
#[derive(Debug, Deserialize)]
struct Allowed {
    /// `key.…`, `value.…` or `header.<name>.…`; array indexes are written `[]`.
    path: String,
    /// Only for records with one of these `op`s (`r`, `c`, `u`, `d`, `t`, `m`); all when absent.
    #[serde(default)]
    ops: Vec<String>,
    /// Only in these scenarios (the test's name for them); all when absent.
    #[serde(default)]
    scenarios: Vec<String>,
    reason: String,
}

fn allow_list() -> &'static [Allowed] {
    static LIST: OnceLock<Vec<Allowed>> = OnceLock::new();
    LIST.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/differential/allow-list.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let list: Vec<Allowed> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for a in &list {
            assert!(
                !a.reason.trim().is_empty(),
                "allow-list entry {} has no reason",
                a.path
            );
        }
        list
    })
}

/// What one comparison found.
#[derive(Debug, Default)]
pub struct Summary {
    pub records: usize,
    pub fields: usize,
    pub equal: usize,
    /// Allowed differences by path.
    pub allowed: BTreeMap<String, usize>,
    /// Unexpected differences: (path, line with topic, record, op and both values).
    pub unexpected: Vec<(String, String)>,
}

impl Summary {
    pub fn allowed_total(&self) -> usize {
        self.allowed.values().sum()
    }

    pub fn line(&self, scenario: &str) -> String {
        format!(
            "differential {scenario}: {} records compared, {} fields compared, {} equal, {} allowed, {} unexpected",
            self.records,
            self.fields,
            self.equal,
            self.allowed_total(),
            self.unexpected.len()
        )
    }

    fn add(&mut self, other: Summary) {
        self.records += other.records;
        self.fields += other.fields;
        self.equal += other.equal;
        for (k, v) in other.allowed {
            *self.allowed.entry(k).or_default() += v;
        }
        self.unexpected.extend(other.unexpected);
    }

    /// Prints the summary, adds it to the run's total (written to
    /// `target/differential-summary.txt`), and fails on any unexpected difference.
    #[track_caller]
    pub fn check(self, scenario: &str) {
        let mut text = self.line(scenario);
        for (path, n) in &self.allowed {
            let _ = write!(text, "\n  allowed {n:>5} × {path}");
        }
        eprintln!("{text}");
        record_total(scenario, &self);
        // Grouped by path: how many, and the first of each.
        let mut groups: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
        for (path, line) in &self.unexpected {
            groups.entry(path).or_insert((0, line)).0 += 1;
        }
        let report: Vec<String> = groups
            .iter()
            .map(|(path, (n, first))| format!("{n:>5} × {path}\n        first: {first}"))
            .collect();
        assert!(
            self.unexpected.is_empty(),
            "{scenario}: {} unexpected differences from Debezium:\n{}",
            self.unexpected.len(),
            report.join("\n")
        );
    }
}

/// Appends one scenario's line to the run's summary file.
fn record_total(scenario: &str, s: &Summary) {
    record_summary_line(&s.line(scenario));
}

/// Appends a line to `target/tmp/differential-summary.txt`, which `scripts/test.sh` empties
/// before the tests and prints after them.
pub fn record_summary_line(line: &str) {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-summary.txt");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str(line);
    text.push('\n');
    let _ = std::fs::write(path, text);
}

/// Parses a key, value or header as JSON (Connect's JsonConverter output), else as text.
fn parse(bytes: Option<&[u8]>) -> Value {
    match bytes {
        None => Value::Null,
        Some(b) => serde_json::from_slice(b)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned())),
    }
}

/// The record's `op`, with or without schemas; `tombstone` for a null value.
fn op(value: &Value) -> String {
    let payload = value.get("payload").unwrap_or(value);
    if value.is_null() {
        return "tombstone".into();
    }
    payload
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

struct Walk<'a> {
    scenario: &'a str,
    op: String,
    at: String,
    summary: Summary,
}

impl Walk<'_> {
    fn allowed(&self, path: &str) -> Option<&'static Allowed> {
        allow_list().iter().find(|a| {
            a.path == path
                && (a.ops.is_empty() || a.ops.contains(&self.op))
                && (a.scenarios.is_empty() || a.scenarios.iter().any(|s| s == self.scenario))
        })
    }

    fn differ(&mut self, path: &str, theirs: &Value, ours: &Value) {
        if self.allowed(path).is_some() {
            *self.summary.allowed.entry(path.to_owned()).or_default() += 1;
        } else {
            self.summary.unexpected.push((
                path.to_owned(),
                format!(
                    "{} op={} {path}: Debezium {} / Tributary {}",
                    self.at,
                    self.op,
                    short(theirs),
                    short(ours)
                ),
            ));
        }
    }

    fn walk(&mut self, path: &str, theirs: &Value, ours: &Value) {
        match (theirs, ours) {
            (Value::Object(a), Value::Object(b)) => {
                let ka: Vec<&String> = a.keys().collect();
                let kb: Vec<&String> = b.keys().collect();
                if ka != kb && self.allowed(&format!("{path}.{{keys}}")).is_none() {
                    // Field order is part of what a consumer sees (JSON text, Avro schemas).
                    let (mut sa, mut sb) = (ka.clone(), kb.clone());
                    sa.sort();
                    sb.sort();
                    if sa == sb {
                        self.summary.unexpected.push((
                            format!("{path}.{{order}}"),
                            format!(
                                "{} op={} {path}: field order Debezium {ka:?} / Tributary {kb:?}",
                                self.at, self.op
                            ),
                        ));
                    }
                }
                for (k, va) in a {
                    let p = format!("{path}.{k}");
                    match b.get(k) {
                        Some(vb) => self.walk(&p, va, vb),
                        None => {
                            self.summary.fields += 1;
                            self.differ(&p, va, &Value::String("<missing>".into()));
                        }
                    }
                }
                for (k, vb) in b {
                    if !a.contains_key(k) {
                        self.summary.fields += 1;
                        self.differ(
                            &format!("{path}.{k}"),
                            &Value::String("<missing>".into()),
                            vb,
                        );
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                let p = format!("{path}[]");
                for (va, vb) in a.iter().zip(b) {
                    self.walk(&p, va, vb);
                }
            }
            _ => {
                self.summary.fields += 1;
                if theirs == ours {
                    self.summary.equal += 1;
                } else {
                    self.differ(path, theirs, ours);
                }
            }
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 160 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(160).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

/// Debezium's record with its topic prefix mapped to ours (`from` → `to` in every key, value
/// and header text: schema names and `source.name` carry the prefix).
fn mapped(bytes: Option<&[u8]>, from: &str, to: &str) -> Value {
    let v = parse(bytes);
    if from.is_empty() {
        return v;
    }
    let text = v.to_string().replace(from, to);
    serde_json::from_str(&text).unwrap()
}

/// Compares Debezium's records of one topic with ours, in order.
pub fn compare(
    scenario: &str,
    topic: &str,
    theirs: &[Read],
    ours: &[Read],
    prefix_map: (&str, &str),
) -> Summary {
    let mut total = Summary::default();
    if theirs.len() != ours.len() {
        total.unexpected.push((
            "{count}".to_owned(),
            format!(
                "{topic}: Debezium wrote {} records, Tributary {}",
                theirs.len(),
                ours.len()
            ),
        ));
    }
    for (i, (a, b)) in theirs.iter().zip(ours).enumerate() {
        let (from, to) = prefix_map;
        let value_a = mapped(a.value.as_deref(), from, to);
        let value_b = parse(b.value.as_deref());
        let mut w = Walk {
            scenario,
            op: op(&value_a),
            at: format!("{topic}#{i}"),
            summary: Summary {
                records: 1,
                ..Summary::default()
            },
        };
        if a.partition != b.partition {
            w.summary.fields += 1;
            w.differ(
                "partition",
                &Value::from(a.partition),
                &Value::from(b.partition),
            );
        }
        w.walk(
            "key",
            &mapped(a.key.as_deref(), from, to),
            &parse(b.key.as_deref()),
        );
        w.walk("value", &value_a, &value_b);
        let names = |r: &Read| r.headers.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        if names(a) != names(b) {
            w.summary.fields += 1;
            w.differ(
                "header.{names}",
                &Value::from(names(a)),
                &Value::from(names(b)),
            );
        }
        for ((ka, va), (_, vb)) in a.headers.iter().zip(&b.headers) {
            w.walk(
                &format!("header.{ka}"),
                &mapped(Some(va), from, to),
                &parse(Some(vb)),
            );
        }
        total.add(w.summary);
    }
    total
}

/// Adds `other` into `total`.
pub fn merge(total: &mut Summary, other: Summary) {
    total.add(other);
}
