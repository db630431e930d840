//! The cluster's configuration as the config topic says it, record after record (Connect's
//! `KafkaConfigBackingStore` consumer and its `ClusterConfigState` snapshot):
//!
//! * a connector's config replaces the previous one; its tombstone removes the connector with
//!   its tasks;
//! * task configs are held back until a commit record names how many tasks the connector has,
//!   then applied together; a commit whose tasks are not all there (compaction removed some)
//!   marks the connector *inconsistent* until the leader publishes its tasks again;
//! * a connector without a target state record is STARTED.
//!
//! [`ClusterConfigState::offset`] is the config topic offset after the last record applied, the
//! number workers compare when they join.

use std::collections::{BTreeMap, BTreeSet};

use crate::assignor::Work;
use crate::protocol::ConnectorTaskId;
use crate::records::{ConfigRecord, Properties, SessionKey, TargetState};

/// What a record changed, for the herder to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChange {
    /// A connector's config was created or changed.
    Connector(String),
    ConnectorRemoved(String),
    TargetState(String),
    /// A connector's tasks were committed (applied or found inconsistent).
    Tasks(String),
    Restart {
        name: String,
        include_tasks: bool,
        only_failed: bool,
    },
    SessionKey,
    LoggerLevel(String),
    /// Nothing the herder acts on.
    None,
}

/// The configuration read from the config topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterConfigState {
    offset: i64,
    connectors: BTreeMap<String, Properties>,
    target_states: BTreeMap<String, TargetState>,
    task_configs: BTreeMap<ConnectorTaskId, Properties>,
    task_counts: BTreeMap<String, u32>,
    inconsistent: BTreeSet<String>,
    deferred: BTreeMap<String, BTreeMap<i32, Properties>>,
    session_key: Option<SessionKey>,
    task_count_records: BTreeMap<String, u32>,
}

impl ClusterConfigState {
    /// The config topic offset after the last record applied (-1 before any).
    pub fn offset(&self) -> i64 {
        if self.offset == 0 {
            -1
        } else {
            self.offset
        }
    }

    /// Applies the record at `offset` of the config topic.
    pub fn apply(&mut self, offset: i64, record: ConfigRecord) -> ConfigChange {
        self.offset = offset + 1;
        match record {
            ConfigRecord::Connector {
                name,
                config: Some(config),
            } => {
                self.connectors.insert(name.clone(), config);
                ConfigChange::Connector(name)
            }
            ConfigRecord::Connector { name, config: None } => {
                self.connectors.remove(&name);
                self.task_counts.remove(&name);
                self.task_configs.retain(|id, _| id.connector != name);
                self.deferred.remove(&name);
                self.inconsistent.remove(&name);
                ConfigChange::ConnectorRemoved(name)
            }
            ConfigRecord::TargetState { name, state } => {
                match state {
                    Some(s) => self.target_states.insert(name.clone(), s),
                    None => self.target_states.remove(&name),
                };
                ConfigChange::TargetState(name)
            }
            // Connect ignores a task config tombstone.
            ConfigRecord::Task { config: None, .. } => ConfigChange::None,
            ConfigRecord::Task {
                id,
                config: Some(config),
            } => {
                self.deferred
                    .entry(id.connector)
                    .or_default()
                    .insert(id.task, config);
                ConfigChange::None
            }
            ConfigRecord::Commit { tasks: None, .. } => ConfigChange::None,
            ConfigRecord::Commit {
                name,
                tasks: Some(count),
            } => {
                let deferred = self.deferred.remove(&name).unwrap_or_default();
                // Connect's completeTaskIdSet: every task below the count is there (more may be,
                // left over from a larger count before compaction).
                let complete = (0..count).all(|t| deferred.contains_key(&(t as i32)));
                if complete {
                    for (task, config) in deferred {
                        self.task_configs
                            .insert(ConnectorTaskId::new(name.clone(), task), config);
                    }
                    self.inconsistent.remove(&name);
                } else {
                    self.inconsistent.insert(name.clone());
                }
                self.task_counts.insert(name.clone(), count);
                ConfigChange::Tasks(name)
            }
            ConfigRecord::SessionKey(key) => {
                self.session_key = key;
                ConfigChange::SessionKey
            }
            ConfigRecord::Restart {
                name,
                include_tasks,
                only_failed,
            } => ConfigChange::Restart {
                name,
                include_tasks,
                only_failed,
            },
            ConfigRecord::TaskCount { name, task_count } => {
                match task_count {
                    Some(n) => self.task_count_records.insert(name, n),
                    None => self.task_count_records.remove(&name),
                };
                ConfigChange::None
            }
            ConfigRecord::LoggerLevel { namespace, .. } => ConfigChange::LoggerLevel(namespace),
        }
    }

    /// The configured connectors, by name.
    pub fn connectors(&self) -> impl Iterator<Item = &String> {
        self.connectors.keys()
    }

    pub fn connector_config(&self, name: &str) -> Option<&Properties> {
        self.connectors.get(name)
    }

    /// The connector's target state: STARTED without a record.
    pub fn target_state(&self, name: &str) -> Option<TargetState> {
        self.connectors.contains_key(name).then(|| {
            *self
                .target_states
                .get(name)
                .unwrap_or(&TargetState::Started)
        })
    }

    /// The connector's tasks, `0..count` of its last commit; none while it is inconsistent.
    pub fn tasks(&self, name: &str) -> Vec<ConnectorTaskId> {
        if self.inconsistent.contains(name) || !self.connectors.contains_key(name) {
            return Vec::new();
        }
        let count = self.task_counts.get(name).copied().unwrap_or(0);
        (0..count as i32)
            .map(|t| ConnectorTaskId::new(name, t))
            .collect()
    }

    pub fn task_config(&self, id: &ConnectorTaskId) -> Option<&Properties> {
        self.task_configs.get(id)
    }

    /// Connectors whose committed tasks are incomplete: the leader must publish them again.
    pub fn inconsistent(&self) -> impl Iterator<Item = &String> {
        self.inconsistent.iter()
    }

    pub fn session_key(&self) -> Option<&SessionKey> {
        self.session_key.as_ref()
    }

    /// Every configured connector and task, for the assignor.
    pub fn work(&self) -> Work {
        let mut w = Work::default();
        for name in self.connectors.keys() {
            w.connectors.insert(name.clone());
            w.tasks.extend(self.tasks(name));
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(k: &str, v: &str) -> Properties {
        [(k.to_owned(), v.to_owned())].into_iter().collect()
    }

    fn task(c: &str, t: i32, v: &str) -> ConfigRecord {
        ConfigRecord::Task {
            id: ConnectorTaskId::new(c, t),
            config: Some(props("v", v)),
        }
    }

    fn commit(c: &str, n: u32) -> ConfigRecord {
        ConfigRecord::Commit {
            name: c.into(),
            tasks: Some(n),
        }
    }

    fn connector(c: &str) -> ConfigRecord {
        ConfigRecord::Connector {
            name: c.into(),
            config: Some(props("name", c)),
        }
    }

    fn state(records: Vec<ConfigRecord>) -> ClusterConfigState {
        let mut s = ClusterConfigState::default();
        for (i, r) in records.into_iter().enumerate() {
            s.apply(i as i64, r);
        }
        s
    }

    #[test]
    fn tasks_apply_only_with_their_commit() {
        let mut s = state(vec![connector("a"), task("a", 0, "x"), task("a", 1, "x")]);
        assert!(s.tasks("a").is_empty(), "not committed yet");
        assert_eq!(s.offset(), 3);
        assert_eq!(s.apply(3, commit("a", 2)), ConfigChange::Tasks("a".into()));
        assert_eq!(s.tasks("a").len(), 2);
        assert_eq!(
            s.task_config(&ConnectorTaskId::new("a", 1)),
            Some(&props("v", "x"))
        );
        assert_eq!(s.target_state("a"), Some(TargetState::Started));
        assert_eq!(s.work().tasks.len(), 2);
    }

    #[test]
    fn a_commit_missing_tasks_marks_the_connector_inconsistent_until_a_complete_one() {
        // Compaction kept the commit but lost task 1's config.
        let mut s = state(vec![connector("a"), task("a", 0, "x"), commit("a", 2)]);
        assert_eq!(s.inconsistent().collect::<Vec<_>>(), ["a"]);
        assert!(s.tasks("a").is_empty());
        s.apply(3, task("a", 0, "y"));
        s.apply(4, task("a", 1, "y"));
        s.apply(5, commit("a", 2));
        assert_eq!(s.inconsistent().count(), 0);
        assert_eq!(s.tasks("a").len(), 2);
    }

    #[test]
    fn fewer_tasks_after_compaction_still_commit() {
        // Two tasks once, then one: compaction may leave task 1's old config beside the commit.
        let s = state(vec![
            connector("a"),
            task("a", 0, "new"),
            task("a", 1, "old"),
            commit("a", 1),
        ]);
        assert_eq!(s.tasks("a"), [ConnectorTaskId::new("a", 0)]);
    }

    #[test]
    fn a_deleted_connector_takes_its_tasks_and_a_target_state_record_overrides_started() {
        let mut s = state(vec![
            connector("a"),
            task("a", 0, "x"),
            commit("a", 1),
            ConfigRecord::TargetState {
                name: "a".into(),
                state: Some(TargetState::Paused),
            },
        ]);
        assert_eq!(s.target_state("a"), Some(TargetState::Paused));
        s.apply(
            4,
            ConfigRecord::Connector {
                name: "a".into(),
                config: None,
            },
        );
        assert_eq!(s.connectors().count(), 0);
        assert!(s.tasks("a").is_empty());
        assert_eq!(s.target_state("a"), None);
        assert!(s.task_config(&ConnectorTaskId::new("a", 0)).is_none());
    }
}
