//! Topic retention on the embedded log: which records a topic keeps (`retention.ms`,
//! `retention.bytes`, `cleanup.policy`, `delete.retention.ms`, `min.compaction.lag.ms`), read the
//! way Kafka reads them, and the background sweep that deletes whole chunks from the oldest and
//! compacts compacted topics (`super::compaction`).
//!
//! * Worker defaults ([`RetentionDefaults`]): the broker's `log.retention.ms` (else
//!   `log.retention.minutes`, else `log.retention.hours`, default 168 = 7 days),
//!   `log.retention.bytes` (default -1, unlimited), `log.retention.check.interval.ms` (default
//!   300000) and `log.cleanup.policy` (only `delete`: a worker-wide `compact` is refused by
//!   name). The cleaner's worker defaults ([`CleanerDefaults`]: `log.cleaner.delete.retention.ms`,
//!   `log.cleaner.min.compaction.lag.ms`), read by the worker and passed to
//!   [`super::EmbeddedLog::start_cleanup`]; the cleaner knobs the log has no use for are refused
//!   by name.
//! * Per topic ([`TopicConfig`]): a source connector's `topic.creation.default.*` /
//!   `topic.creation.<group>.*` (KIP-158 groups, as [`crate::kafka::TopicCreation`] matches them)
//!   are stored with the topic when the log creates it (the `topic_configs` table). Only what the
//!   connector set is stored; the rest follows the worker's defaults, as a Kafka topic without an
//!   override follows the broker's.
//! * `cleanup.policy=compact` keeps the latest record per key (Kafka's log compaction, see
//!   `super::compaction`), `compact,delete` compacts and deletes by `retention.*` too. Cleaner
//!   knobs that would change what is kept and that the log does not implement
//!   (`min.cleanable.dirty.ratio`, `max.compaction.lag.ms`) are refused by name.
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

/// Kafka's `log.cleaner.delete.retention.ms` default: 1 day.
pub const DEFAULT_DELETE_RETENTION_MS: i64 = 86_400_000;

const WORKER_COMPACT_REFUSED: &str = "log.cleanup.policy=compact (every topic compacted unless it \
sets its own cleanup.policy) is not supported by the embedded log's worker defaults yet; set \
cleanup.policy=compact on the topics that need it (topic.creation.<group>.cleanup.policy)";

/// Cleaner properties a topic may set that the embedded log does not implement, and why.
const TOPIC_REFUSED: &[(&str, &str)] = &[
    (
        "min.cleanable.dirty.ratio",
        "is not supported by the embedded log: it compacts a compacted topic at every \
log.retention.check.interval.ms, whatever the share of records not yet compacted",
    ),
    (
        "max.compaction.lag.ms",
        "is not supported by the embedded log: its newest chunk (Kafka's active segment) is never \
compacted and is not rolled by age",
    ),
];

/// Worker cleaner properties refused while the worker does not pass them to the log.
const WORKER_REFUSED: &[(&str, &str)] = &[
    (
        "log.cleaner.min.cleanable.ratio",
        "is not supported by the embedded log: it compacts a compacted topic at every \
log.retention.check.interval.ms",
    ),
    (
        "log.cleaner.max.compaction.lag.ms",
        "is not supported by the embedded log: its newest chunk is never compacted",
    ),
    (
        "log.cleaner.enable",
        "is not supported by the embedded log: compacted topics are always compacted",
    ),
];

/// A topic's `cleanup.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CleanupPolicy {
    #[serde(rename = "delete")]
    Delete,
    #[serde(rename = "compact")]
    Compact,
    #[serde(rename = "compact,delete")]
    CompactDelete,
}

impl CleanupPolicy {
    /// Whether old chunks are deleted by `retention.ms` / `retention.bytes`.
    pub fn deletes(self) -> bool {
        matches!(self, CleanupPolicy::Delete | CleanupPolicy::CompactDelete)
    }

    /// Whether only the latest record per key is kept.
    pub fn compacts(self) -> bool {
        matches!(self, CleanupPolicy::Compact | CleanupPolicy::CompactDelete)
    }

    /// Kafka's list of `delete` and `compact` (any order, case-insensitive); `Ok(None)` for an
    /// empty list.
    pub fn parse(value: &str) -> Result<Option<Self>, String> {
        let (mut delete, mut compact) = (false, false);
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item.to_ascii_lowercase().as_str() {
                "delete" => delete = true,
                "compact" => compact = true,
                other => {
                    return Err(format!(
                        "Invalid value {other} for configuration cleanup.policy: String must be one of: compact, delete"
                    ))
                }
            }
        }
        Ok(match (delete, compact) {
            (false, false) => None,
            (true, false) => Some(CleanupPolicy::Delete),
            (false, true) => Some(CleanupPolicy::Compact),
            (true, true) => Some(CleanupPolicy::CompactDelete),
        })
    }
}

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
    /// `cleanup.policy` (`None`: `delete`, the worker's `log.cleanup.policy`).
    #[serde(
        rename = "cleanup.policy",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub cleanup_policy: Option<CleanupPolicy>,
    /// `delete.retention.ms`: how long a compaction keeps a tombstone after it first compacted
    /// past it.
    #[serde(
        rename = "delete.retention.ms",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub delete_retention_ms: Option<i64>,
    /// `min.compaction.lag.ms`: chunks with a record newer than this are not compacted yet.
    #[serde(
        rename = "min.compaction.lag.ms",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub min_compaction_lag_ms: Option<i64>,
}

impl TopicConfig {
    pub fn is_empty(&self) -> bool {
        *self == TopicConfig::default()
    }

    /// The topic's `cleanup.policy`: `delete` unless it set its own.
    pub fn policy(&self) -> CleanupPolicy {
        self.cleanup_policy.unwrap_or(CleanupPolicy::Delete)
    }
}

/// What a compaction of one topic keeps (see `super::compaction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// A tombstone is dropped once this long has passed since a compaction first kept it as
    /// its key's latest record.
    pub delete_retention_ms: i64,
    /// Chunks whose newest record is younger than this are not compacted.
    pub min_compaction_lag_ms: i64,
}

/// The worker's cleaner defaults (Kafka's broker `log.cleaner.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanerDefaults {
    pub delete_retention_ms: i64,
    pub min_compaction_lag_ms: i64,
}

impl Default for CleanerDefaults {
    fn default() -> Self {
        CleanerDefaults {
            delete_retention_ms: DEFAULT_DELETE_RETENTION_MS,
            min_compaction_lag_ms: 0,
        }
    }
}

impl CleanerDefaults {
    /// Reads `log.cleaner.delete.retention.ms` (default 86400000) and
    /// `log.cleaner.min.compaction.lag.ms` (default 0), both at least 0, reporting problems into
    /// `r`, for [`super::EmbeddedLog::start_cleanup`].
    pub fn read(r: &mut ConfigReader<'_>) -> CleanerDefaults {
        CleanerDefaults {
            delete_retention_ms: r.int(
                "log.cleaner.delete.retention.ms",
                DEFAULT_DELETE_RETENTION_MS,
                0,
                i64::MAX,
            ),
            min_compaction_lag_ms: r.int("log.cleaner.min.compaction.lag.ms", 0, 0, i64::MAX),
        }
    }

    /// How `config`'s topic is compacted (`None`: it is not, its policy is `delete`).
    pub fn compaction(&self, config: &TopicConfig) -> Option<Compaction> {
        config.policy().compacts().then(|| Compaction {
            delete_retention_ms: config
                .delete_retention_ms
                .unwrap_or(self.delete_retention_ms),
            min_compaction_lag_ms: config
                .min_compaction_lag_ms
                .unwrap_or(self.min_compaction_lag_ms),
        })
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
        if let Ok(Some(p)) = check_policy(r, "log.cleanup.policy") {
            if p.compacts() {
                r.problem("log.cleanup.policy", WORKER_COMPACT_REFUSED);
            }
        }
        for (name, why) in WORKER_REFUSED {
            if r.optional_string(name).is_some() {
                r.problem(name, format!("{name} {why}"));
            }
        }
        RetentionDefaults {
            retention_ms,
            retention_bytes,
            check_interval: Duration::from_millis(check as u64),
        }
    }

    /// The limits for a topic with `config`'s overrides (none when its `cleanup.policy` is
    /// `compact` alone: a compacted topic is never trimmed by age or size).
    pub fn limits(&self, config: &TopicConfig) -> Limits {
        if !config.policy().deletes() {
            return Limits {
                retention_ms: None,
                retention_bytes: None,
            };
        }
        let ms = config.retention_ms.unwrap_or(self.retention_ms);
        let bytes = config.retention_bytes.unwrap_or(self.retention_bytes);
        Limits {
            retention_ms: (ms >= 0).then_some(ms),
            retention_bytes: u64::try_from(bytes).ok(),
        }
    }
}

/// `cleanup.policy`: Kafka's list of `delete` and `compact`.
fn check_policy(r: &mut ConfigReader<'_>, name: &str) -> Result<Option<CleanupPolicy>, ()> {
    let value = r.optional_string(name).unwrap_or_default();
    CleanupPolicy::parse(&value).map_err(|message| {
        r.problem(name, message.replace("cleanup.policy", name));
    })
}

/// How a source connector's topics are configured when the embedded log creates them: its
/// `topic.creation.*` groups (when the worker's `topic.creation.enable` is on).
#[derive(Debug, Clone)]
pub struct TopicRules {
    creation: TopicCreation,
}

/// The topic configs the embedded log applies; other `topic.creation.<group>.<config>`
/// (`compression.type`, `min.insync.replicas`, ...) concern Kafka's storage and are not used.
const APPLIED: &[&str] = &[
    "retention.ms",
    "retention.bytes",
    "cleanup.policy",
    "delete.retention.ms",
    "min.compaction.lag.ms",
];

impl TopicRules {
    /// Reads and validates the connector's `topic.creation.*` for the embedded log: every
    /// group's `retention.ms` (≥ -1), `retention.bytes` (a whole number; negative is unlimited),
    /// `cleanup.policy` (`delete`, `compact` or both), `delete.retention.ms` and
    /// `min.compaction.lag.ms` (≥ 0); the cleaner knobs the log does not implement are refused
    /// by name. Every problem at once.
    pub fn from_config(worker: &ConfigMap, connector: &ConfigMap) -> Result<Self, ConfigErrors> {
        let creation = TopicCreation::from_config(worker, connector);
        let mut r = ConfigReader::new(connector);
        for key in connector.keys() {
            let Some(rest) = key.strip_prefix("topic.creation.") else {
                continue;
            };
            if rest.ends_with(".delete.retention.ms") || rest.ends_with(".min.compaction.lag.ms") {
                r.int(key, 0, 0, i64::MAX);
            } else if let Some((_, why)) = TOPIC_REFUSED
                .iter()
                .find(|(name, _)| rest.ends_with(&format!(".{name}")))
            {
                r.problem(key, format!("{key} {why}"));
            } else if rest.ends_with(".retention.ms") {
                r.int(key, -1, -1, i64::MAX);
            } else if rest.ends_with(".retention.bytes") {
                r.int(key, -1, i64::MIN, i64::MAX);
            } else if rest.ends_with(".cleanup.policy") {
                let _ = check_policy(&mut r, key);
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
                "delete.retention.ms" => out.delete_retention_ms = v,
                "min.compaction.lag.ms" => out.min_compaction_lag_ms = v,
                "cleanup.policy" => out.cleanup_policy = CleanupPolicy::parse(value).ok().flatten(),
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
    /// (topic, records a compaction removed, chunk bytes before, chunk bytes after) for each
    /// topic a compaction rewrote.
    pub compacted: Vec<(String, u64, u64, u64)>,
}

/// Runs [`super::EmbeddedLog::apply_retention`] every check interval on its own thread until
/// stopped (or dropped, or the log is closed: the thread holds the log weakly).
pub struct RetentionSweeper {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RetentionSweeper {
    pub(super) fn start(
        inner: Weak<super::store::Inner>,
        defaults: RetentionDefaults,
        cleaner: CleanerDefaults,
    ) -> Self {
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
                match log.apply_cleanup(&defaults, &cleaner, now_ms()) {
                    Ok(report) => {
                        for (topic, records, bytes, first) in report.deleted {
                            tracing::info!(%topic, records, bytes, first_kept = first,
                                "retention deleted the topic's oldest records");
                        }
                        for (topic, records, before, after) in report.compacted {
                            tracing::info!(%topic, records, bytes_before = before, bytes_after = after,
                                "compaction removed records superseded by a later one of the same key");
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
