//! The records of Connect's internal topics, in Connect's exact keys and JSON values (its
//! internal converter is `JsonConverter` with `schemas.enable=false`: compact JSON, struct
//! fields in schema order, a deletion is a tombstone).
//!
//! * config topic ([`ConfigRecord`]): `connector-<name>`, `target-state-<name>`,
//!   `task-<name>-<n>`, `commit-<name>`, `session-key`, `restart-connector-<name>`,
//!   `tasks-fencing-<name>`, `logger-cluster-<namespace>`;
//! * status topic ([`StatusRecord`]): `status-connector-<name>`, `status-task-<name>-<n>`,
//!   `status-topic-<topic>:connector-<name>`, with Connect's write guard
//!   ([`Status::can_overwrite`]);
//! * offsets topic: keys `["<connector>",{<source partition>}]` ([`offset_key`]).
//!
//! Reading follows Connect's consumers: a key with an unknown prefix is skipped (`Ok(None)`),
//! a value of the wrong shape is an error naming the key.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::protocol::ConnectorTaskId;

/// A config or status record whose value is not what Connect writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct RecordError {
    pub key: String,
    pub reason: String,
}

fn bad(key: &str, reason: impl Into<String>) -> RecordError {
    RecordError {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

/// A connector's target state (`state.v2`; `state` carries `PAUSED` for `STOPPED`, for
/// workers older than 3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

impl TargetState {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Started => "STARTED",
            TargetState::Paused => "PAUSED",
            TargetState::Stopped => "STOPPED",
        }
    }

    fn parse(s: &str) -> Option<TargetState> {
        match s {
            "STARTED" => Some(TargetState::Started),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }
}

/// The inter-worker request signing key (KIP-507).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    pub key: Vec<u8>,
    pub algorithm: String,
    pub creation_timestamp: i64,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKey")
            .field("key", &"[hidden]")
            .field("algorithm", &self.algorithm)
            .field("creation_timestamp", &self.creation_timestamp)
            .finish()
    }
}

/// A connector's or task's configuration, as Connect stores it (raw: `${provider:...}`
/// placeholders unresolved).
pub type Properties = BTreeMap<String, String>;

/// One record of the config topic. `None` values are tombstones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigRecord {
    Connector {
        name: String,
        config: Option<Properties>,
    },
    TargetState {
        name: String,
        state: Option<TargetState>,
    },
    /// A task's config, applied only once a [`ConfigRecord::Commit`] covers it.
    Task {
        id: ConnectorTaskId,
        config: Option<Properties>,
    },
    Commit {
        name: String,
        tasks: Option<u32>,
    },
    SessionKey(Option<SessionKey>),
    Restart {
        name: String,
        include_tasks: bool,
        only_failed: bool,
    },
    TaskCount {
        name: String,
        task_count: Option<u32>,
    },
    LoggerLevel {
        namespace: String,
        level: Option<String>,
    },
}

const CONNECTOR: &str = "connector-";
const TARGET_STATE: &str = "target-state-";
const TASK: &str = "task-";
const COMMIT: &str = "commit-";
const SESSION_KEY: &str = "session-key";
const RESTART: &str = "restart-connector-";
const TASK_COUNT: &str = "tasks-fencing-";
const LOGGER: &str = "logger-cluster-";

fn properties_value(p: &Properties) -> Value {
    json!({ "properties": p })
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn parse_json(key: &str, value: &[u8]) -> Result<Map<String, Value>, RecordError> {
    match serde_json::from_slice::<Value>(value) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad(key, "the value is not a JSON object")),
        Err(e) => Err(bad(key, format!("the value is not JSON: {e}"))),
    }
}

fn properties(key: &str, m: &Map<String, Value>) -> Result<Properties, RecordError> {
    let Some(Value::Object(p)) = m.get("properties") else {
        return Err(bad(key, "no \"properties\" object"));
    };
    p.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            // Connect writes every property as a string; a null stays out of the config.
            other => Err(bad(
                key,
                format!("property {k:?} is not a string but {other}"),
            )),
        })
        .collect()
}

fn count(key: &str, m: &Map<String, Value>, field: &str) -> Result<u32, RecordError> {
    m.get(field)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| bad(key, format!("no whole number {field:?}")))
}

/// The task number after the last `-` (Connect's `parseTaskId`: connector names may hold `-`).
fn task_id(key: &str, rest: &str) -> Result<ConnectorTaskId, RecordError> {
    let (name, n) = rest
        .rsplit_once('-')
        .ok_or_else(|| bad(key, "no task number"))?;
    let n = n
        .parse::<i32>()
        .map_err(|_| bad(key, "the task number is not a number"))?;
    Ok(ConnectorTaskId::new(name, n))
}

impl ConfigRecord {
    /// The record's key.
    pub fn key(&self) -> String {
        match self {
            ConfigRecord::Connector { name, .. } => format!("{CONNECTOR}{name}"),
            ConfigRecord::TargetState { name, .. } => format!("{TARGET_STATE}{name}"),
            ConfigRecord::Task { id, .. } => format!("{TASK}{}-{}", id.connector, id.task),
            ConfigRecord::Commit { name, .. } => format!("{COMMIT}{name}"),
            ConfigRecord::SessionKey(_) => SESSION_KEY.to_owned(),
            ConfigRecord::Restart { name, .. } => format!("{RESTART}{name}"),
            ConfigRecord::TaskCount { name, .. } => format!("{TASK_COUNT}{name}"),
            ConfigRecord::LoggerLevel { namespace, .. } => format!("{LOGGER}{namespace}"),
        }
    }

    /// The record's value as Connect writes it; `None` for a tombstone.
    pub fn value(&self) -> Option<Vec<u8>> {
        let v = match self {
            ConfigRecord::Connector { config, .. } | ConfigRecord::Task { config, .. } => {
                properties_value(config.as_ref()?)
            }
            ConfigRecord::TargetState { state, .. } => {
                let state = (*state)?;
                let old = match state {
                    TargetState::Stopped => TargetState::Paused,
                    s => s,
                };
                json!({"state": old.as_str(), "state.v2": state.as_str()})
            }
            ConfigRecord::Commit { tasks, .. } => json!({ "tasks": (*tasks)? }),
            ConfigRecord::SessionKey(k) => {
                let k = k.as_ref()?;
                json!({
                    "key": base64::engine::general_purpose::STANDARD.encode(&k.key),
                    "algorithm": k.algorithm,
                    "creation-timestamp": k.creation_timestamp,
                })
            }
            ConfigRecord::Restart {
                include_tasks,
                only_failed,
                ..
            } => json!({"include-tasks": include_tasks, "only-failed": only_failed}),
            ConfigRecord::TaskCount { task_count, .. } => {
                json!({ "task-count": (*task_count)? })
            }
            ConfigRecord::LoggerLevel { level, .. } => json!({ "level": level.as_ref()? }),
        };
        Some(to_bytes(&v))
    }

    /// Reads a record; `Ok(None)` for a key Connect does not know either (it logs and skips).
    pub fn parse(key: &str, value: Option<&[u8]>) -> Result<Option<ConfigRecord>, RecordError> {
        let map = |v: &[u8]| parse_json(key, v);
        // Connect's dispatch order (ConsumeCallback): the longer prefixes that share a start
        // with a shorter one come first.
        if let Some(name) = key.strip_prefix(TARGET_STATE) {
            let state = match value {
                None => None,
                Some(v) => {
                    let m = map(v)?;
                    let s = m
                        .get("state.v2")
                        .or_else(|| m.get("state"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad(key, "no \"state\""))?;
                    Some(
                        TargetState::parse(s)
                            .ok_or_else(|| bad(key, format!("unknown target state {s:?}")))?,
                    )
                }
            };
            return Ok(Some(ConfigRecord::TargetState {
                name: name.to_owned(),
                state,
            }));
        }
        if let Some(name) = key.strip_prefix(CONNECTOR) {
            let config = value.map(|v| properties(key, &map(v)?)).transpose()?;
            return Ok(Some(ConfigRecord::Connector {
                name: name.to_owned(),
                config,
            }));
        }
        if let Some(rest) = key
            .strip_prefix(TASK)
            .filter(|_| !key.starts_with(TASK_COUNT))
        {
            let config = value.map(|v| properties(key, &map(v)?)).transpose()?;
            return Ok(Some(ConfigRecord::Task {
                id: task_id(key, rest)?,
                config,
            }));
        }
        if let Some(name) = key.strip_prefix(COMMIT) {
            let tasks = value.map(|v| count(key, &map(v)?, "tasks")).transpose()?;
            return Ok(Some(ConfigRecord::Commit {
                name: name.to_owned(),
                tasks,
            }));
        }
        if let Some(name) = key.strip_prefix(RESTART) {
            let m = match value {
                Some(v) => map(v)?,
                None => return Ok(None),
            };
            // Connect's defaults: includeTasks false, onlyFailed false.
            let flag = |f: &str| m.get(f).and_then(Value::as_bool).unwrap_or(false);
            return Ok(Some(ConfigRecord::Restart {
                name: name.to_owned(),
                include_tasks: flag("include-tasks"),
                only_failed: flag("only-failed"),
            }));
        }
        if let Some(name) = key.strip_prefix(TASK_COUNT) {
            let task_count = value
                .map(|v| count(key, &map(v)?, "task-count"))
                .transpose()?;
            return Ok(Some(ConfigRecord::TaskCount {
                name: name.to_owned(),
                task_count,
            }));
        }
        if key == SESSION_KEY {
            let Some(v) = value else {
                return Ok(Some(ConfigRecord::SessionKey(None)));
            };
            let m = map(v)?;
            let text = |f: &str| {
                m.get(f)
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(key, format!("no {f:?}")))
            };
            let raw = base64::engine::general_purpose::STANDARD
                .decode(text("key")?)
                .map_err(|_| bad(key, "the key is not base64"))?;
            let creation_timestamp = m
                .get("creation-timestamp")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad(key, "no \"creation-timestamp\""))?;
            return Ok(Some(ConfigRecord::SessionKey(Some(SessionKey {
                key: raw,
                algorithm: text("algorithm")?.to_owned(),
                creation_timestamp,
            }))));
        }
        if let Some(namespace) = key.strip_prefix(LOGGER) {
            let level = match value {
                None => None,
                Some(v) => Some(
                    map(v)?
                        .get("level")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad(key, "no \"level\""))?
                        .to_owned(),
                ),
            };
            return Ok(Some(ConfigRecord::LoggerLevel {
                namespace: namespace.to_owned(),
                level,
            }));
        }
        Ok(None)
    }
}

/// A connector's or task's state in the status topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `UNASSIGNED`, `RUNNING`, `PAUSED`, `FAILED`, `RESTARTING`, `STOPPED` (connectors).
    pub state: String,
    pub trace: Option<String>,
    /// `host:port` of the writer's advertised REST URL.
    pub worker_id: String,
    /// The group generation when it was written.
    pub generation: i32,
    /// The connector's or task's plugin version (Kafka 4.0+, KIP-891; older workers write no
    /// such field, and Connect 4.x writes `null` when unknown).
    pub version: Option<String>,
}

impl Status {
    /// Connect's write guard (`CacheEntry.canWriteSafely`): a status may replace `previous`
    /// when there is none, when the same worker wrote it, or when it is not from a later
    /// generation than this one. A zombie's late write loses.
    pub fn can_overwrite(&self, previous: Option<&Status>) -> bool {
        previous.is_none_or(|p| p.worker_id == self.worker_id || p.generation <= self.generation)
    }

    fn value(&self) -> Value {
        json!({
            "state": self.state,
            "trace": self.trace,
            "worker_id": self.worker_id,
            "generation": self.generation,
            "version": self.version,
        })
    }

    fn parse(key: &str, m: &Map<String, Value>) -> Result<Status, RecordError> {
        let text = |f: &str| m.get(f).and_then(Value::as_str).map(str::to_owned);
        Ok(Status {
            state: text("state").ok_or_else(|| bad(key, "no \"state\""))?,
            trace: text("trace"),
            worker_id: text("worker_id").ok_or_else(|| bad(key, "no \"worker_id\""))?,
            generation: m
                .get("generation")
                .and_then(Value::as_i64)
                .and_then(|g| i32::try_from(g).ok())
                .ok_or_else(|| bad(key, "no \"generation\""))?,
            version: text("version"),
        })
    }
}

/// A topic a connector's tasks used (KIP-558).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStatus {
    pub topic: String,
    pub connector: String,
    pub task: i32,
    pub discover_timestamp: i64,
}

/// One record of the status topic. `None` values are tombstones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusRecord {
    Connector {
        name: String,
        status: Option<Status>,
    },
    Task {
        id: ConnectorTaskId,
        status: Option<Status>,
    },
    Topic {
        topic: String,
        connector: String,
        status: Option<TopicStatus>,
    },
}

const STATUS_CONNECTOR: &str = "status-connector-";
const STATUS_TASK: &str = "status-task-";
const STATUS_TOPIC: &str = "status-topic-";
const TOPIC_SEPARATOR: &str = ":connector-";

impl StatusRecord {
    pub fn key(&self) -> String {
        match self {
            StatusRecord::Connector { name, .. } => format!("{STATUS_CONNECTOR}{name}"),
            StatusRecord::Task { id, .. } => {
                format!("{STATUS_TASK}{}-{}", id.connector, id.task)
            }
            StatusRecord::Topic {
                topic, connector, ..
            } => format!("{STATUS_TOPIC}{topic}{TOPIC_SEPARATOR}{connector}"),
        }
    }

    pub fn value(&self) -> Option<Vec<u8>> {
        let v = match self {
            StatusRecord::Connector { status, .. } | StatusRecord::Task { status, .. } => {
                status.as_ref()?.value()
            }
            StatusRecord::Topic { status, .. } => {
                let s = status.as_ref()?;
                json!({"topic": {
                    "name": s.topic,
                    "connector": s.connector,
                    "task": s.task,
                    "discoverTimestamp": s.discover_timestamp,
                }})
            }
        };
        Some(to_bytes(&v))
    }

    /// Reads a record; `Ok(None)` for a key with an unknown prefix.
    pub fn parse(key: &str, value: Option<&[u8]>) -> Result<Option<StatusRecord>, RecordError> {
        let map = |v: &[u8]| parse_json(key, v);
        if let Some(name) = key.strip_prefix(STATUS_CONNECTOR) {
            let status = value.map(|v| Status::parse(key, &map(v)?)).transpose()?;
            return Ok(Some(StatusRecord::Connector {
                name: name.to_owned(),
                status,
            }));
        }
        if let Some(rest) = key.strip_prefix(STATUS_TASK) {
            let status = value.map(|v| Status::parse(key, &map(v)?)).transpose()?;
            return Ok(Some(StatusRecord::Task {
                id: task_id(key, rest)?,
                status,
            }));
        }
        if let Some(rest) = key.strip_prefix(STATUS_TOPIC) {
            let (topic, connector) = rest
                .split_once(TOPIC_SEPARATOR)
                .ok_or_else(|| bad(key, "no \":connector-\" in the key"))?;
            let status = match value {
                None => None,
                Some(v) => {
                    let m = map(v)?;
                    let t = m
                        .get("topic")
                        .and_then(Value::as_object)
                        .ok_or_else(|| bad(key, "no \"topic\" object"))?;
                    let text = |f: &str| {
                        t.get(f)
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .ok_or_else(|| bad(key, format!("no {f:?}")))
                    };
                    Some(TopicStatus {
                        topic: text("name")?,
                        connector: text("connector")?,
                        task: t
                            .get("task")
                            .and_then(Value::as_i64)
                            .and_then(|n| i32::try_from(n).ok())
                            .ok_or_else(|| bad(key, "no \"task\""))?,
                        discover_timestamp: t
                            .get("discoverTimestamp")
                            .and_then(Value::as_i64)
                            .ok_or_else(|| bad(key, "no \"discoverTimestamp\""))?,
                    })
                }
            };
            return Ok(Some(StatusRecord::Topic {
                topic: topic.to_owned(),
                connector: connector.to_owned(),
                status,
            }));
        }
        Ok(None)
    }
}

/// The offsets topic key of a source partition: compact JSON of `[connector, partition]`.
/// Connect looks offsets up by these bytes, so a multi-field partition must keep the field
/// order of the map given (Java writes a `HashMap`'s order; Debezium's relational partitions
/// have one field).
pub fn offset_key(connector: &str, partition: &Map<String, Value>) -> Vec<u8> {
    to_bytes(&json!([connector, partition]))
}

/// Reads an offsets topic key back into its connector and partition.
pub fn parse_offset_key(key: &[u8]) -> Result<(String, Map<String, Value>), RecordError> {
    let text = String::from_utf8_lossy(key);
    let fail = |reason: &str| bad(&text, reason);
    match serde_json::from_slice::<Value>(key) {
        Ok(Value::Array(items)) if items.len() == 2 => match (&items[0], &items[1]) {
            (Value::String(c), Value::Object(p)) => Ok((c.clone(), p.clone())),
            _ => Err(fail("not [connector name, partition object]")),
        },
        Ok(_) => Err(fail("not a two-element JSON array")),
        Err(_) => Err(fail("not JSON")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn config_records_round_trip_through_their_keys_and_values() {
        let records = [
            ConfigRecord::Connector {
                name: "inventory-connector".into(),
                config: Some(props(&[
                    ("connector.class", "x"),
                    ("name", "inventory-connector"),
                ])),
            },
            ConfigRecord::TargetState {
                name: "a".into(),
                state: Some(TargetState::Stopped),
            },
            ConfigRecord::Task {
                id: ConnectorTaskId::new("my-conn-1", 12),
                config: Some(props(&[("task.class", "T")])),
            },
            ConfigRecord::Commit {
                name: "a".into(),
                tasks: Some(2),
            },
            ConfigRecord::SessionKey(Some(SessionKey {
                key: vec![1, 2, 3, 250],
                algorithm: "HmacSHA256".into(),
                creation_timestamp: 1_732_180_000_000,
            })),
            ConfigRecord::Restart {
                name: "a".into(),
                include_tasks: true,
                only_failed: false,
            },
            ConfigRecord::TaskCount {
                name: "a".into(),
                task_count: Some(3),
            },
            ConfigRecord::LoggerLevel {
                namespace: "org.apache".into(),
                level: Some("DEBUG".into()),
            },
            ConfigRecord::Connector {
                name: "gone".into(),
                config: None,
            },
        ];
        for r in records {
            let value = r.value();
            assert_eq!(
                ConfigRecord::parse(&r.key(), value.as_deref()),
                Ok(Some(r.clone())),
                "{}",
                r.key()
            );
        }
    }

    #[test]
    fn target_states_keep_the_old_field_for_old_workers() {
        let r = ConfigRecord::TargetState {
            name: "a".into(),
            state: Some(TargetState::Stopped),
        };
        assert_eq!(
            r.value().unwrap(),
            br#"{"state":"PAUSED","state.v2":"STOPPED"}"#
        );
        // An old worker's record has only "state".
        assert_eq!(
            ConfigRecord::parse("target-state-a", Some(br#"{"state":"PAUSED"}"#)),
            Ok(Some(ConfigRecord::TargetState {
                name: "a".into(),
                state: Some(TargetState::Paused)
            }))
        );
    }

    #[test]
    fn unknown_keys_are_skipped_and_bad_values_name_their_key() {
        assert_eq!(ConfigRecord::parse("something-else", Some(b"{}")), Ok(None));
        let err = ConfigRecord::parse("commit-a", Some(b"[1]")).unwrap_err();
        assert_eq!(err.key, "commit-a");
        assert!(ConfigRecord::parse("task-a", Some(br#"{"properties":{}}"#)).is_err());
    }

    #[test]
    fn status_writes_follow_connects_guard() {
        let s = |w: &str, g: i32| Status {
            state: "RUNNING".into(),
            trace: None,
            worker_id: w.into(),
            generation: g,
            version: None,
        };
        assert!(s("w1", 3).can_overwrite(None));
        assert!(s("w1", 3).can_overwrite(Some(&s("w1", 9))), "same worker");
        assert!(s("w2", 9).can_overwrite(Some(&s("w1", 9))));
        assert!(!s("w2", 8).can_overwrite(Some(&s("w1", 9))), "a zombie");
    }

    #[test]
    fn status_records_round_trip() {
        let records = [
            StatusRecord::Task {
                id: ConnectorTaskId::new("inventory-connector", 0),
                status: Some(Status {
                    state: "FAILED".into(),
                    trace: Some("boom\n\tat x".into()),
                    worker_id: "10.0.0.5:8083".into(),
                    generation: 7,
                    version: Some("3.6.1.Final".into()),
                }),
            },
            StatusRecord::Topic {
                topic: "db.inv.customers".into(),
                connector: "inv".into(),
                status: Some(TopicStatus {
                    topic: "db.inv.customers".into(),
                    connector: "inv".into(),
                    task: 0,
                    discover_timestamp: 1_732_180_000_000,
                }),
            },
            StatusRecord::Connector {
                name: "inv".into(),
                status: None,
            },
        ];
        for r in records {
            let value = r.value();
            assert_eq!(
                StatusRecord::parse(&r.key(), value.as_deref()),
                Ok(Some(r.clone()))
            );
        }
        let v = StatusRecord::Connector {
            name: "c".into(),
            status: Some(Status {
                state: "RUNNING".into(),
                trace: None,
                worker_id: "h:8083".into(),
                generation: 2,
                version: Some("4.3.0".into()),
            }),
        }
        .value()
        .unwrap();
        assert_eq!(
            v,
            br#"{"state":"RUNNING","trace":null,"worker_id":"h:8083","generation":2,"version":"4.3.0"}"#
        );
    }

    #[test]
    fn offset_keys_are_compact_json_pairs() {
        let mut p = Map::new();
        p.insert("server".into(), Value::String("dbserver1".into()));
        let key = offset_key("inventory-connector", &p);
        assert_eq!(key, br#"["inventory-connector",{"server":"dbserver1"}]"#);
        assert_eq!(
            parse_offset_key(&key),
            Ok(("inventory-connector".into(), p))
        );
        assert!(parse_offset_key(b"{}").is_err());
    }
}
