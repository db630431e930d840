//! The statuses read from the status topic, as Connect's `KafkaStatusBackingStore` keeps them:
//! the last value per connector and task, a tombstone removing it, and one guard: an
//! UNASSIGNED task status from a generation no later than a cached RUNNING one is stale (a
//! worker that had not read the RUNNING yet) and ignored. Writers check
//! [`crate::Status::can_overwrite`] against this cache before a safe write.

use std::collections::BTreeMap;

use crate::protocol::ConnectorTaskId;
use crate::records::{Status, StatusRecord, TopicStatus};

/// The statuses as last read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCache {
    connectors: BTreeMap<String, Status>,
    tasks: BTreeMap<ConnectorTaskId, Status>,
    /// KIP-558's active topics, by connector then topic.
    topics: BTreeMap<String, BTreeMap<String, TopicStatus>>,
}

impl StatusCache {
    /// Applies one record read from the topic.
    pub fn apply(&mut self, record: StatusRecord) {
        match record {
            StatusRecord::Connector { name, status: None } => {
                self.connectors.remove(&name);
            }
            StatusRecord::Connector {
                name,
                status: Some(s),
            } => {
                self.connectors.insert(name, s);
            }
            StatusRecord::Task { id, status: None } => {
                self.tasks.remove(&id);
            }
            StatusRecord::Task {
                id,
                status: Some(s),
            } => {
                let stale = s.state == "UNASSIGNED"
                    && self
                        .tasks
                        .get(&id)
                        .is_some_and(|c| c.state == "RUNNING" && c.generation >= s.generation);
                if !stale {
                    self.tasks.insert(id, s);
                }
            }
            // Topic tracking (KIP-558) is kept elsewhere.
            StatusRecord::Topic {
                topic,
                connector,
                status: Some(s),
            } => {
                self.topics.entry(connector).or_default().insert(topic, s);
            }
            StatusRecord::Topic {
                topic,
                connector,
                status: None,
            } => {
                if let Some(t) = self.topics.get_mut(&connector) {
                    t.remove(&topic);
                    if t.is_empty() {
                        self.topics.remove(&connector);
                    }
                }
            }
        }
    }

    pub fn connector(&self, name: &str) -> Option<&Status> {
        self.connectors.get(name)
    }

    pub fn task(&self, id: &ConnectorTaskId) -> Option<&Status> {
        self.tasks.get(id)
    }

    /// The tasks of `connector` with a status.
    /// The topics a connector's tasks used (KIP-558), by name.
    pub fn topics_of(&self, connector: &str) -> Vec<String> {
        self.topics
            .get(connector)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn tasks_of<'a>(
        &'a self,
        connector: &'a str,
    ) -> impl Iterator<Item = (&'a ConnectorTaskId, &'a Status)> + 'a {
        self.tasks
            .iter()
            .filter(move |(id, _)| id.connector == connector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: &str, worker: &str, generation: i32) -> Status {
        Status {
            state: state.into(),
            trace: None,
            worker_id: worker.into(),
            generation,
            version: None,
        }
    }

    fn task(s: Status) -> StatusRecord {
        StatusRecord::Task {
            id: ConnectorTaskId::new("c", 0),
            status: Some(s),
        }
    }

    #[test]
    fn a_stale_unassigned_does_not_hide_a_running_task() {
        let mut cache = StatusCache::default();
        let id = ConnectorTaskId::new("c", 0);
        cache.apply(task(status("RUNNING", "w2", 5)));
        cache.apply(task(status("UNASSIGNED", "w1", 5)));
        assert_eq!(cache.task(&id).unwrap().state, "RUNNING");
        // A later generation's UNASSIGNED is news.
        cache.apply(task(status("UNASSIGNED", "w1", 6)));
        assert_eq!(cache.task(&id).unwrap().state, "UNASSIGNED");
        cache.apply(StatusRecord::Task {
            id: id.clone(),
            status: None,
        });
        assert!(cache.task(&id).is_none());
    }

    #[test]
    fn a_zombies_write_is_refused_against_the_cache() {
        let mut cache = StatusCache::default();
        cache.apply(task(status("RUNNING", "w2", 9)));
        let cached = cache.task(&ConnectorTaskId::new("c", 0));
        assert!(!status("FAILED", "w1", 8).can_overwrite(cached));
        assert!(status("FAILED", "w2", 8).can_overwrite(cached));
        assert_eq!(cache.tasks_of("c").count(), 1);
    }

    #[test]
    fn active_topics_are_kept_per_connector_and_removed_by_their_tombstones() {
        let mut c = StatusCache::default();
        let topic = |t: &str, status: bool| StatusRecord::Topic {
            topic: t.into(),
            connector: "c".into(),
            status: status.then(|| TopicStatus {
                topic: t.into(),
                connector: "c".into(),
                task: 0,
                discover_timestamp: 1,
            }),
        };
        c.apply(topic("b", true));
        c.apply(topic("a", true));
        assert_eq!(c.topics_of("c"), ["a", "b"]);
        c.apply(topic("a", false));
        assert_eq!(c.topics_of("c"), ["b"]);
        c.apply(topic("b", false));
        assert!(c.topics_of("c").is_empty());
    }
}
