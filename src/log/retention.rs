//! Topic retention on the embedded log: which records a topic keeps (`retention.ms`,
//! `retention.bytes`, `cleanup.policy`), read the way Kafka reads them, and the background sweep
//! that deletes whole chunks from the oldest.
//!
//! * Worker defaults ([`RetentionDefaults`]): the broker's `log.retention.ms` (else
//!   `log.retention.minutes`, else `log.retention.hours`, default 168 = 7 days),
//!   `log.retention.bytes` (default -1, unlimited), `log.retention.check.interval.ms` (default
//!   300000) and `log.cleanup.policy` (only `delete`).
//! * Per topic ([`TopicConfig`]): a source connector's `topic.creation.default.*` /
//!   `topic.creation.<group>.*` (KIP-158 groups, as [`crate::kafka::TopicCreation`] matches them)
//!   are stored with the topic when the log creates it (the `topic_configs` table). Only what the
//!   connector set is stored; the rest follows the worker's defaults, as a Kafka topic without an
//!   override follows the broker's.
//! * `cleanup.policy=compact` (and `compact,delete`) is refused by name: the log cannot compact
//!   yet, and keeping every record instead would change what a consumer reads.
//!
//! The sweep itself is [`super::EmbeddedLog::apply_retention`]; [`RetentionSweeper`] runs it
//! every `log.retention.check.interval.ms` on a thread of its own.

use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::time::Duration;

use cdc_core::{ConfigErrors, ConfigMap, ConfigReader};
use serde::{Deserialize, Serialize};

use crate::kafka::TopicCreation;

/// Kafka's `log.retention.hours` default: 7 days.
pub const DEFAULT_RETENTION_HOURS: i64 = 168;
/// Kafka's `log.retention.check.interval.ms` default: 5 minutes.
pub const DEFAULT_CHECK_INTERVAL_MS: i64 = 300_000;

const COMPACT_REFUSED: &str = "cleanup.policy=compact is not supported by the embedded log yet: \
it would keep only the last record per key, and keeping every record instead would change what \
consumers read. Use cleanup.policy=delete (with retention.ms/retention.bytes), or run the worker \
on Kafka (bootstrap.servers)";

/// A topic's retention overrides, as stored in the `topic_configs` table (JSON). `None`: the
/// worker's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicConfig {
    /// `retention.ms`: -1 keeps records whatever their age.
    #[serde(
        rename = "retention.ms",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub retention_ms: Option<i64>,
    /// `retention.bytes`: negative keeps records whatever the topic's size.
    #[serde(
        rename = "retention.bytes",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub retention_bytes: Option<i64>,
}

impl TopicConfig {
    pub fn is_empty(&self) -> bool {
        self.retention_ms.is_none() && self.retention_bytes.is_none()
    }
}

/// The limits a sweep applies to one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Records whose chunk's newest timestamp is older than this (ms) are deleted; `None`: no
    /// age limit.
    pub retention_ms: Option<i64>,
    /// The topic keeps at least this many bytes and deletes older chunks beyond them; `None`:
    /// no size limit.
    pub retention_bytes: Option<u64>,
}

impl Limits {
    pub fn unlimited(&self) -> bool {
        self.retention_ms.is_none() && self.retention_bytes.is_none()
    }
}

/// The worker's retention properties (Kafka's broker defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDefaults {
    /// -1: unlimited.
    pub retention_ms: i64,
    /// Negative: unlimited.
    pub retention_bytes: i64,
    pub check_interval: Duration,
}

impl Default for RetentionDefaults {
    fn default() -> Self {
        RetentionDefaults {
            retention_ms: DEFAULT_RETENTION_HOURS * 3_600_000,
            retention_bytes: -1,
            check_interval: Duration::from_millis(DEFAULT_CHECK_INTERVAL_MS as u64),
        }
    }
}

/// The worker properties [`RetentionDefaults::read`] understands.
pub const WORKER_PROPERTIES: &[&str] = &[
    "log.retention.ms",
    "log.retention.minutes",
    "log.retention.hours",
    "log.retention.bytes",
    "log.retention.check.interval.ms",
    "log.cleanup.policy",
];

impl RetentionDefaults {
    /// Reads the worker's `log.retention.*` with Kafka's precedence (`ms` over `minutes` over
    /// `hours`) and validation, reporting problems into `r`.
    pub fn read(r: &mut ConfigReader<'_>) -> RetentionDefaults {
        let hours = r.int(
            "log.retention.hours",
            DEFAULT_RETENTION_HOURS,
            i32::MIN.into(),
            i32::MAX.into(),
        );
        let minutes = r
            .optional_string("log.retention.minutes")
            .map(|_| r.int("log.retention.minutes", 0, i32::MIN.into(), i32::MAX.into()));
        let ms = r
            .optional_string("log.retention.ms")
            .map(|_| r.int("log.retention.ms", 0, i64::MIN, i64::MAX));
        let retention_ms = match (ms, minutes) {
            (Some(ms), _) => ms,
            (None, Some(m)) => m.saturating_mul(60_000),
            (None, None) => hours.saturating_mul(3_600_000),
        };
        // Kafka's KafkaConfig.logRetentionTimeMillis: any negative value is unlimited; zero is
        // refused.
        let retention_ms = if retention_ms < 0 { -1 } else { retention_ms };
        if retention_ms == 0 {
            let name = if ms.is_some() {
                "log.retention.ms"
            } else if minutes.is_some() {
                "log.retention.minutes"
            } else {
                "log.retention.hours"
            };
            r.problem(name, "must be positive, or -1 for no time limit");
        }
        let retention_bytes = r.int("log.retention.bytes", -1, i64::MIN, i64::MAX);
        let check = r.int(
            "log.retention.check.interval.ms",
            DEFAULT_CHECK_INTERVAL_MS,
            1,
            i64::MAX,
        );
        check_policy(r, "log.cleanup.policy");
        RetentionDefaults {
            retention_ms,
            retention_bytes,
            check_interval: Duration::from_millis(check as u64),
        }
    }

    /// The limits for a topic with `config`'s overrides.
    pub fn limits(&self, config: &TopicConfig) -> Limits {
        let ms = config.retention_ms.unwrap_or(self.retention_ms);
        let bytes = config.retention_bytes.unwrap_or(self.retention_bytes);
        Limits {
            retention_ms: (ms >= 0).then_some(ms),
            retention_bytes: u64::try_from(bytes).ok(),
        }
    }
}

/// `cleanup.policy`: Kafka's list of `delete` and `compact`; only `delete` is accepted.
fn check_policy(r: &mut ConfigReader<'_>, name: &str) {
    for item in r.list(name) {
        match item.to_ascii_lowercase().as_str() {
            "delete" => {}
            "compact" => {
                r.problem(name, COMPACT_REFUSED);
                return;
            }
            other => {
                r.problem(
                    name,
                    format!("Invalid value {other} for configuration {name}: String must be one of: compact, delete"),
                );
                return;
            }
        }
    }
}

/// How a source connector's topics are configured when the embedded log creates them: its
/// `topic.creation.*` groups (when the worker's `topic.creation.enable` is on).
#[derive(Debug, Clone)]
pub struct TopicRules {
    creation: TopicCreation,
}

/// The topic configs the embedded log applies; other `topic.creation.<group>.<config>`
/// (`compression.type`, `min.insync.replicas`, ...) concern Kafka's storage and are not used.
const APPLIED: &[&str] = &["retention.ms", "retention.bytes", "cleanup.policy"];

impl TopicRules {
    /// Reads and validates the connector's `topic.creation.*` for the embedded log: every
    /// group's `retention.ms` (≥ -1), `retention.bytes` (a whole number; negative is unlimited)
    /// and `cleanup.policy` (`delete`; `compact` is refused). Every problem at once.
    pub fn from_config(worker: &ConfigMap, connector: &ConfigMap) -> Result<Self, ConfigErrors> {
        let creation = TopicCreation::from_config(worker, connector);
        let mut r = ConfigReader::new(connector);
        for key in connector.keys() {
            let Some(rest) = key.strip_prefix("topic.creation.") else {
                continue;
            };
            if rest.ends_with(".retention.ms") {
                r.int(key, -1, -1, i64::MAX);
            } else if rest.ends_with(".retention.bytes") {
                r.int(key, -1, i64::MIN, i64::MAX);
            } else if rest.ends_with(".cleanup.policy") {
                check_policy(&mut r, key);
            }
        }
        let checked = r.finish();
        match (creation, checked) {
            (Ok(creation), Ok(())) => Ok(TopicRules { creation }),
            (c, k) => {
                let mut all = c.err().map(|e| e.0).unwrap_or_default();
                all.extend(k.err().map(|e| e.0).unwrap_or_default());
                Err(ConfigErrors(all))
            }
        }
    }

    /// The overrides `topic` is created with (empty when topic creation is off or the group
    /// sets none).
    pub fn config_for(&self, topic: &str) -> TopicConfig {
        let mut out = TopicConfig::default();
        if !self.creation.enabled {
            return out;
        }
        for (name, value) in &self.creation.group_for(topic).configs {
            if !APPLIED.contains(&name.as_str()) {
                continue;
            }
            let v = value.trim().parse::<i64>().ok();
            match name.as_str() {
                "retention.ms" => out.retention_ms = v,
                "retention.bytes" => out.retention_bytes = v,
                _ => {}
            }
        }
        out
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// (topic, records deleted, chunk bytes deleted, the new first offset kept).
    pub deleted: Vec<(String, u64, u64, u64)>,
}

/// Runs [`super::EmbeddedLog::apply_retention`] every check interval on its own thread until
/// stopped (or dropped, or the log is closed: the thread holds the log weakly).
pub struct RetentionSweeper {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RetentionSweeper {
    pub(super) fn start(inner: Weak<super::store::Inner>, defaults: RetentionDefaults) -> Self {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("log-retention".into())
            .spawn(move || loop {
                {
                    let (lock, cvar) = &*signal;
                    let stopped = lock.lock().unwrap_or_else(PoisonError::into_inner);
                    let (stopped, _) = cvar
                        .wait_timeout_while(stopped, defaults.check_interval, |s| !*s)
                        .unwrap_or_else(PoisonError::into_inner);
                    if *stopped {
                        return;
                    }
                }
                let Some(log) = super::store::EmbeddedLog::from_weak(&inner) else {
                    return;
                };
                match log.apply_retention(&defaults, now_ms()) {
                    Ok(report) => {
                        for (topic, records, bytes, first) in report.deleted {
                            tracing::info!(%topic, records, bytes, first_kept = first,
                                "retention deleted the topic's oldest records");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the retention sweep failed; it runs again at the next check interval");
                    }
                }
            })
            .ok();
        if thread.is_none() {
            tracing::error!("cannot start the log retention thread: topics will not be trimmed");
        }
        RetentionSweeper { stop, thread }
    }

    /// Stops the sweep (waiting for a running one to end).
    pub fn stop(mut self) {
        self.signal_and_join();
    }

    fn signal_and_join(&mut self) {
        let (lock, cvar) = &*self.stop;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        cvar.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RetentionSweeper {
    fn drop(&mut self) {
        self.signal_and_join();
    }
}

/// Milliseconds since the Unix epoch (record timestamps' clock).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
