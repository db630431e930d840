//! The three internal topics as the herder uses them: each followed by a [`Tail`] into its
//! snapshot (the config state, the status cache, the offsets cache) and written with a
//! [`TopicWriter`] in Connect's formats.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use cdc_core::{ConnectorError, SourceOffset};
use connect_group::{
    offset_key, ClusterConfigState, ConfigChange, ConfigRecord, OffsetCache, Status, StatusCache,
    StatusRecord,
};
use group_client::Lease;
use rdkafka::config::ClientConfig;
use tokio::sync::mpsc;
use tracing::warn;

use super::tail::Tail;
use super::topic_log::TopicWriter;
use crate::herder::task::lock;
use crate::runtime::OffsetStore;

async fn read_to_end(tail: &Arc<Tail>, timeout: Duration) -> Result<(), String> {
    let tail = tail.clone();
    tokio::task::spawn_blocking(move || tail.read_to_end(timeout))
        .await
        .map_err(|e| e.to_string())?
}

/// The config topic: Connect's `KafkaConfigBackingStore`.
pub struct ConfigStore {
    state: Arc<Mutex<ClusterConfigState>>,
    tail: Arc<Tail>,
    writer: TopicWriter,
}

impl ConfigStore {
    /// Follows `topic`; every change applied is sent to `changes`.
    pub fn start(
        client: &ClientConfig,
        topic: &str,
        changes: mpsc::UnboundedSender<ConfigChange>,
    ) -> Result<ConfigStore, String> {
        let state = Arc::new(Mutex::new(ClusterConfigState::default()));
        let s = state.clone();
        let tail = Tail::start(client, topic, move |r| {
            let Some(key) = r.key.as_deref().map(String::from_utf8_lossy) else {
                return;
            };
            match ConfigRecord::parse(&key, r.value.as_deref()) {
                Ok(Some(record)) => {
                    let change = lock(&s).apply(r.offset, record);
                    if change != ConfigChange::None {
                        let _ = changes.send(change);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    warn!(error = %e, offset = r.offset, "skipping a config record that is not in Connect's format")
                }
            }
        })?;
        Ok(ConfigStore {
            state,
            tail: Arc::new(tail),
            writer: TopicWriter::new(client, topic)?,
        })
    }

    /// The configuration as read so far.
    pub fn snapshot(&self) -> MutexGuard<'_, ClusterConfigState> {
        lock(&self.state)
    }

    pub async fn read_to_end(&self, timeout: Duration) -> Result<(), String> {
        read_to_end(&self.tail, timeout).await
    }

    /// Writes `records` in order, each acknowledged before the next.
    pub async fn write(&self, records: &[ConfigRecord]) -> Result<(), String> {
        for r in records {
            self.writer
                .send(r.key().as_bytes(), r.value().as_deref())
                .await?;
        }
        Ok(())
    }
}

/// The status topic: Connect's `KafkaStatusBackingStore`.
pub struct StatusStore {
    cache: Arc<Mutex<StatusCache>>,
    tail: Arc<Tail>,
    writer: TopicWriter,
}

impl StatusStore {
    pub fn start(client: &ClientConfig, topic: &str) -> Result<StatusStore, String> {
        let cache = Arc::new(Mutex::new(StatusCache::default()));
        let c = cache.clone();
        let tail = Tail::start(client, topic, move |r| {
            let Some(key) = r.key.as_deref().map(String::from_utf8_lossy) else {
                return;
            };
            match StatusRecord::parse(&key, r.value.as_deref()) {
                Ok(Some(record)) => lock(&c).apply(record),
                Ok(None) => {}
                Err(e) => {
                    warn!(error = %e, "skipping a status record that is not in Connect's format")
                }
            }
        })?;
        Ok(StatusStore {
            cache,
            tail: Arc::new(tail),
            writer: TopicWriter::new(client, topic)?,
        })
    }

    pub fn cache(&self) -> MutexGuard<'_, StatusCache> {
        lock(&self.cache)
    }

    pub async fn read_to_end(&self, timeout: Duration) -> Result<(), String> {
        read_to_end(&self.tail, timeout).await
    }

    /// Writes `record` unless the cache holds a status of the same connector or task that a
    /// later generation of another worker wrote (Connect's `putSafe`).
    pub async fn put_safe(&self, record: StatusRecord) -> Result<bool, String> {
        let allowed = {
            let cache = self.cache();
            match &record {
                StatusRecord::Connector {
                    name,
                    status: Some(s),
                } => s.can_overwrite(cache.connector(name)),
                StatusRecord::Task {
                    id,
                    status: Some(s),
                } => s.can_overwrite(cache.task(id)),
                _ => true,
            }
        };
        if allowed {
            self.put(record).await?;
        }
        Ok(allowed)
    }

    /// Writes `record`.
    pub async fn put(&self, record: StatusRecord) -> Result<(), String> {
        self.writer
            .send(record.key().as_bytes(), record.value().as_deref())
            .await
            .map(|_| ())
    }
}

/// A status written by `worker_id` in `generation`.
pub fn status(state: &str, trace: Option<String>, worker_id: &str, generation: i32) -> Status {
    Status {
        state: state.to_owned(),
        trace,
        worker_id: worker_id.to_owned(),
        generation,
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    }
}

/// The offsets topic: Connect's `KafkaOffsetBackingStore`, and the [`OffsetStore`] of every
/// source task on a distributed worker.
pub struct OffsetsStore {
    cache: Arc<Mutex<OffsetCache>>,
    /// Each connector's most recently written partition (what a task resumes from, as the
    /// standalone worker's single stored offset).
    latest:
        Arc<Mutex<std::collections::HashMap<String, serde_json::Map<String, serde_json::Value>>>>,
    tail: Arc<Tail>,
    writer: TopicWriter,
    lease: Lease,
    /// How long a task's start may wait for the topic to be read.
    read_timeout: Duration,
}

impl OffsetsStore {
    pub fn start(
        client: &ClientConfig,
        topic: &str,
        lease: Lease,
        read_timeout: Duration,
    ) -> Result<OffsetsStore, String> {
        let cache = Arc::new(Mutex::new(OffsetCache::default()));
        let latest = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let (c, l) = (cache.clone(), latest.clone());
        let tail = Tail::start(client, topic, move |r| {
            let Some(key) = r.key.as_deref() else { return };
            if let Err(e) = lock(&c).apply(key, r.value.as_deref()) {
                warn!(error = %e, "skipping an offsets record that is not in Connect's format");
                return;
            }
            if let Ok((connector, partition)) = connect_group::parse_offset_key(key) {
                let mut latest = lock(&l);
                match r.value {
                    Some(_) => {
                        latest.insert(connector, partition);
                    }
                    None if latest.get(&connector) == Some(&partition) => {
                        latest.remove(&connector);
                    }
                    None => {}
                }
            }
        })?;
        Ok(OffsetsStore {
            cache,
            latest,
            tail: Arc::new(tail),
            writer: TopicWriter::new(client, topic)?,
            lease,
            read_timeout,
        })
    }

    /// Every stored offset of `connector`, after reading the topic to its end.
    pub async fn of(&self, connector: &str) -> Result<Vec<SourceOffset>, String> {
        read_to_end(&self.tail, self.read_timeout).await?;
        Ok(self.cached(connector))
    }

    fn cached(&self, connector: &str) -> Vec<SourceOffset> {
        lock(&self.cache)
            .of(connector)
            .map(|o| SourceOffset::new(o.partition.clone(), o.offset.clone()))
            .collect()
    }

    /// Writes (or with `None`, removes) one partition's offset, without the lease check: the
    /// leader's REST `PATCH`/`DELETE .../offsets` of a STOPPED connector.
    pub async fn put(
        &self,
        connector: &str,
        partition: &serde_json::Map<String, serde_json::Value>,
        offset: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Result<(), String> {
        let key = offset_key(connector, partition);
        let value = offset.map(|o| serde_json::to_vec(o).unwrap_or_default());
        self.writer.send(&key, value.as_deref()).await.map(|_| ())
    }

    pub async fn read_to_end(&self) -> Result<(), String> {
        read_to_end(&self.tail, self.read_timeout).await
    }
}

fn offsets_error(what: &str, e: String) -> ConnectorError {
    ConnectorError::transient(std::io::Error::other(format!("{what}: {e}")))
}

impl OffsetStore for OffsetsStore {
    fn commit(&self, connector: &str, offset: &SourceOffset) -> Result<(), ConnectorError> {
        // A worker that is no longer surely a member (frozen past its session, fenced) must not
        // move a connector's offset: another worker may run the connector now.
        if !self.lease.valid() {
            // Transient: if the worker keeps its membership (the brokers were away a while) the
            // task goes on from its last committed offset; if not, the herder stops it.
            return Err(ConnectorError::transient(std::io::Error::other(
                "this worker's group membership lapsed (no heartbeat within session.timeout.ms): \
                 the offset is not committed until it is a member again (another worker may run \
                 this connector now)",
            )));
        }
        let key = offset_key(connector, &offset.partition);
        let value = serde_json::to_vec(&offset.offset)
            .map_err(|e| offsets_error("cannot encode a source offset", e.to_string()))?;
        // While the brokers are away the commit waits (as the task's records do), for as long
        // as this worker is surely a member; the herder stops the task otherwise.
        let mut warned = false;
        loop {
            match futures::executor::block_on(self.writer.send(&key, Some(&value))) {
                Ok(_) => return Ok(()),
                Err(e) if self.lease.valid() => {
                    if !warned {
                        warn!(connector, error = %e, "cannot commit the source offset yet; trying again");
                        warned = true;
                    }
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
                Err(e) => return Err(offsets_error("cannot commit the source offset", e)),
            }
        }
    }

    /// The offset most recently written for the connector (a `PATCH .../offsets` included).
    fn read(&self, connector: &str) -> Result<Option<SourceOffset>, ConnectorError> {
        self.tail
            .read_to_end(self.read_timeout)
            .map_err(|e| offsets_error("cannot read the offsets topic", e))?;
        let Some(partition) = lock(&self.latest).get(connector).cloned() else {
            return Ok(None);
        };
        Ok(lock(&self.cache)
            .of(connector)
            .find(|o| o.partition == partition)
            .map(|o| SourceOffset::new(o.partition.clone(), o.offset.clone())))
    }

    /// Every partition's offset of the connector, after reading the topic to its end.
    fn read_all(&self, connector: &str) -> Result<Vec<SourceOffset>, ConnectorError> {
        self.tail
            .read_to_end(self.read_timeout)
            .map_err(|e| offsets_error("cannot read the offsets topic", e))?;
        Ok(self.cached(connector))
    }
}
