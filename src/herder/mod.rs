//! The herder: connector and task lifecycle, as Kafka Connect's standalone herder.
//!
//! Each connector has one source task (id 0; Debezium's Postgres connector has one task, so
//! `tasks.max` is accepted and ignored). The task runs `runtime::run_source_observed` under a
//! cancellation token:
//!
//! * pause cancels the task (its committed offset stays); resume starts it again from that
//!   offset, so changes made meanwhile arrive then;
//! * stop (KIP-875) tears the task down and shows no tasks;
//! * a config change stops the task and starts it with the new config;
//! * delete stops the task and forgets config and status; the source offset stays.
//!
//! Configs and target states live in the embedded log's `connector_configs` table (one redb
//! file, one lock), so they survive a restart of the worker.
//!
//! Mutations are serialized by one async lock; the state map is behind a short synchronous lock
//! never held across `.await`.

pub mod entities;
pub(crate) mod sink_offsets;
mod sink_task;
pub(crate) mod task;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cdc_core::{ConfigMap, SourceOffset};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use entities::{
    ConnectorInfo, ConnectorOffset, ConnectorOffsets, ConnectorState, ConnectorStateInfo,
    ConnectorTaskId, Message, State, TargetState, TaskInfo, TaskState,
};

use crate::log::{EmbeddedLog, LogError};
use crate::plugins;
use crate::secrets::Secrets;
use task::{lock, RunningTask, SharedStatus, SharedTopics, TaskStatus};

/// Why a herder request failed; the REST layer maps each to Connect's status code.
#[derive(Debug, thiserror::Error)]
pub enum HerderError {
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 409.
    #[error("Connector {0} already exists")]
    AlreadyExists(String),
    /// 400: invalid config, name mismatch, offsets change while not STOPPED, ...
    #[error("{0}")]
    BadRequest(String),
    /// 500: the data directory failed.
    #[error("the worker's storage failed: {0}")]
    Storage(#[from] LogError),
    /// 500: a blocking storage call did not complete.
    #[error("the worker's storage call failed: {0}")]
    Join(String),
    /// 500: a call to Kafka (a sink's consumer group) failed.
    #[error("the worker's call to Kafka failed: {0}")]
    Kafka(String),
    /// 500: a stored secret cannot be sealed or opened with the worker's keys.
    #[error("{0}")]
    Secrets(String),
    /// A distributed worker cannot do this itself: the request goes to `url` (the leader, or
    /// the worker running the task); without a URL (a rebalance is under way), 409.
    #[error("Cannot complete request because of a conflicting operation (e.g. worker rebalance)")]
    Forward { url: Option<String> },
}

/// What a config PUT did.
#[derive(Debug)]
pub struct Created {
    pub created: bool,
    pub info: ConnectorInfo,
    /// What the change left behind that a person should know (a PostgreSQL connector's former
    /// replication slot, `plugins::slot`); logged, and sent as `Warning` headers.
    pub warnings: Vec<String>,
}

/// A restart request (`POST /connectors/{name}/restart`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RestartRequest {
    pub include_tasks: bool,
    pub only_failed: bool,
}

/// What is persisted per connector.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    config: ConfigMap,
    target_state: TargetState,
}

struct Connector {
    config: ConfigMap,
    target: TargetState,
    status: SharedStatus,
    topics: SharedTopics,
    task: Option<RunningTask>,
}

/// The connector lifecycle of a standalone worker. Cheap to clone.
#[derive(Clone)]
pub struct Standalone {
    inner: Arc<Inner>,
}

struct Inner {
    log: EmbeddedLog,
    /// Seals the secret properties of what is stored (`crate::secrets`).
    secrets: Arc<Secrets>,
    worker_id: String,
    worker_config: ConfigMap,
    shutdown: CancellationToken,
    ops: tokio::sync::Mutex<()>,
    connectors: Mutex<BTreeMap<String, Connector>>,
}

fn not_found(name: &str) -> HerderError {
    HerderError::NotFound(format!("Connector {name} not found"))
}

/// Shows `[hidden]` for every secret property (`cdc_core::config::is_secret`).
pub fn mask(config: &ConfigMap) -> ConfigMap {
    cdc_core::configdef::mask_secrets(config, None)
}

/// The task class Connect would show in a task config.
pub(crate) fn task_class(connector_class: &str) -> &'static str {
    match plugins::find_plugin(connector_class).map(|p| p.class) {
        Some("io.debezium.connector.postgresql.PostgresConnector") => {
            "io.debezium.connector.postgresql.PostgresConnectorTask"
        }
        Some("io.debezium.connector.mysql.MySqlConnector") => {
            "io.debezium.connector.mysql.MySqlConnectorTask"
        }
        Some("io.debezium.connector.mariadb.MariaDbConnector") => {
            "io.debezium.connector.mariadb.MariaDbConnectorTask"
        }
        Some("org.apache.kafka.connect.file.FileStreamSourceConnector") => {
            "org.apache.kafka.connect.file.FileStreamSourceTask"
        }
        Some("org.apache.kafka.connect.file.FileStreamSinkConnector") => {
            "org.apache.kafka.connect.file.FileStreamSinkTask"
        }
        Some("io.debezium.connector.jdbc.JdbcSinkConnector") => {
            "io.debezium.connector.jdbc.JdbcSinkConnectorTask"
        }
        Some("io.confluent.connect.jdbc.JdbcSinkConnector") => {
            "io.confluent.connect.jdbc.sink.JdbcSinkTask"
        }
        Some("io.confluent.connect.s3.S3SinkConnector") => "io.confluent.connect.s3.S3SinkTask",
        Some("io.confluent.connect.elasticsearch.ElasticsearchSinkConnector") => {
            "io.confluent.connect.elasticsearch.ElasticsearchSinkTask"
        }
        _ => "unknown",
    }
}

/// Connect's 400 message for a config with errors, built from ConfigInfos.
pub fn invalid_config_message(infos: &serde_json::Value) -> String {
    let errors: Vec<&str> = infos["configs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["value"]["errors"].as_array().into_iter().flatten())
        .filter_map(|e| e.as_str())
        .collect();
    let mut m = format!(
        "Connector configuration is invalid and contains the following {} error(s):",
        errors.len()
    );
    for e in errors {
        m.push('\n');
        m.push_str(e);
    }
    m.push_str("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    m
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LogError> + Send + 'static,
) -> Result<T, HerderError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| HerderError::Join(e.to_string()))?
        .map_err(HerderError::from)
}

impl Standalone {
    /// Loads the stored connectors and starts those whose target state is RUNNING.
    pub async fn start(
        log: EmbeddedLog,
        secrets: Arc<Secrets>,
        worker_id: String,
        worker_config: ConfigMap,
        shutdown: CancellationToken,
    ) -> Result<Standalone, HerderError> {
        let herder = Standalone {
            inner: Arc::new(Inner {
                log: log.clone(),
                secrets,
                worker_id,
                worker_config,
                shutdown,
                ops: tokio::sync::Mutex::new(()),
                connectors: Mutex::new(BTreeMap::new()),
            }),
        };
        let stored = blocking(move || log.connector_configs()).await?;
        // Nobody else can reach the herder yet: no `ops` lock needed while loading.
        for (name, bytes) in stored {
            let stored: Stored = match serde_json::from_slice(&bytes) {
                Ok(s) => s,
                Err(error) => {
                    warn!(connector = %name, %error, "ignoring an unreadable stored connector config");
                    continue;
                }
            };
            // A secret the worker's keys cannot open stops the start: running without it
            // would fail later, and a new key must not silently replace a password.
            let (config, rewrite) = herder
                .inner
                .secrets
                .open(&name, &stored.config)
                .map_err(|e| HerderError::Secrets(e.to_string()))?;
            if rewrite {
                // Plaintext from an older version, or the previous key: sealed with this one.
                herder.persist(&name, &config, stored.target_state).await?;
                info!(connector = %name, key = herder.inner.secrets.key_id(), "stored secrets sealed with the worker's key");
            }
            info!(connector = %name, target_state = ?stored.target_state, "loading connector");
            herder.insert(&name, config, stored.target_state);
        }
        Ok(herder)
    }

    /// Why the worker's storage stopped writing (see `EmbeddedLog::failure`), if it did.
    pub fn storage_failure(&self) -> Option<String> {
        self.inner.log.failure()
    }

    /// The worker's properties.
    pub fn worker_config(&self) -> &ConfigMap {
        &self.inner.worker_config
    }

    /// `<host>:<port>` of the REST listener.
    pub fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    /// The embedded log the tasks write to.
    pub fn log(&self) -> &EmbeddedLog {
        &self.inner.log
    }

    /// Inserts a connector and starts its task per `target` (caller holds `ops`).
    fn insert(&self, name: &str, config: ConfigMap, target: TargetState) {
        let status: SharedStatus = Arc::new(Mutex::new(TaskStatus::new(match target {
            TargetState::Paused => State::Paused,
            _ => State::Unassigned,
        })));
        let topics: SharedTopics = Default::default();
        let task = (target == TargetState::Running)
            .then(|| self.spawn_task(name, &config, &status, &topics));
        lock(&self.inner.connectors).insert(
            name.to_owned(),
            Connector {
                config,
                target,
                status,
                topics,
                task,
            },
        );
    }

    fn spawn_task(
        &self,
        name: &str,
        config: &ConfigMap,
        status: &SharedStatus,
        topics: &SharedTopics,
    ) -> RunningTask {
        task::spawn(
            name,
            config,
            &self.inner.worker_config,
            &self.inner.log,
            status.clone(),
            topics.clone(),
            &self.inner.shutdown,
        )
    }

    /// Stops a connector's task, if one runs, and sets its status to `then`.
    async fn stop_task(&self, name: &str, then: State) {
        let (task, status) = {
            let mut map = lock(&self.inner.connectors);
            match map.get_mut(name) {
                Some(c) => (c.task.take(), c.status.clone()),
                None => return,
            }
        };
        match task {
            Some(t) if then == State::Paused => t.pause().await,
            Some(t) => t.stop().await,
            None => {}
        }
        let mut s = lock(&status);
        // A FAILED task keeps its trace until it is restarted.
        if s.state != State::Failed || then != State::Unassigned {
            *s = TaskStatus::new(then);
        }
    }

    /// Starts a connector's task with its current config (no-op if one runs).
    fn start_task(&self, name: &str) {
        let mut map = lock(&self.inner.connectors);
        if let Some(c) = map.get_mut(name) {
            if c.task.is_none() {
                c.task = Some(self.spawn_task(name, &c.config, &c.status, &c.topics));
            }
        }
    }

    async fn persist(
        &self,
        name: &str,
        config: &ConfigMap,
        target: TargetState,
    ) -> Result<(), HerderError> {
        let config = self
            .inner
            .secrets
            .seal(name, config)
            .map_err(|e| HerderError::Secrets(e.to_string()))?;
        let bytes = serde_json::to_vec(&Stored {
            config,
            target_state: target,
        })
        .map_err(|e| HerderError::Join(e.to_string()))?;
        let (log, name) = (self.inner.log.clone(), name.to_owned());
        blocking(move || log.set_connector_config(&name, &bytes)).await
    }

    fn exists(&self, name: &str) -> bool {
        lock(&self.inner.connectors).contains_key(name)
    }

    /// Connector names, sorted.
    pub fn connectors(&self) -> Vec<String> {
        lock(&self.inner.connectors).keys().cloned().collect()
    }

    /// Validates `config` (which carries `name`), then creates or replaces the connector.
    /// `[hidden]` sent back for a secret keeps the stored value. Without `allow_replace` an
    /// existing connector is a 409.
    pub async fn put_connector_config(
        &self,
        name: &str,
        mut config: ConfigMap,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> Result<Created, HerderError> {
        let _ops = self.inner.ops.lock().await;
        let existing = lock(&self.inner.connectors)
            .get(name)
            .map(|c| (c.config.clone(), c.target));
        if existing.is_some() && !allow_replace {
            return Err(HerderError::AlreadyExists(name.to_owned()));
        }
        if let Some((old, _)) = &existing {
            cdc_core::configdef::keep_hidden(&mut config, old);
        }
        let class = config.get("connector.class").cloned().unwrap_or_default();
        let infos = plugins::validate_for_worker(&class, &config, &self.inner.worker_config);
        if infos["error_count"].as_u64().unwrap_or(0) > 0 {
            return Err(HerderError::BadRequest(invalid_config_message(&infos)));
        }
        let mut warnings = Vec::new();
        let created = match existing {
            // As Kafka Connect: the same config again does not reconfigure the running task
            // (standalone mode puts every file's config at each start).
            Some((old, _)) if old == config => false,
            Some((old, target)) => {
                self.persist(name, &config, target).await?;
                info!(connector = %name, "connector config updated; restarting its task");
                let running = target == TargetState::Running;
                if running {
                    self.stop_task(name, State::Unassigned).await;
                }
                // The old task has stopped: a slot the new config no longer uses is released.
                warnings.extend(self.release(name, &old, Some(&config)).await);
                if let Some(c) = lock(&self.inner.connectors).get_mut(name) {
                    c.config = config;
                }
                if running {
                    self.start_task(name);
                }
                false
            }
            None => {
                let target = initial_state.unwrap_or(TargetState::Running);
                self.persist(name, &config, target).await?;
                info!(connector = %name, target_state = ?target, "connector created");
                self.insert(name, config, target);
                true
            }
        };
        Ok(Created {
            created,
            info: self.connector_info(name)?,
            warnings,
        })
    }

    /// The raw stored config (unmasked; the REST layer masks it).
    pub fn connector_config(&self, name: &str) -> Result<ConfigMap, HerderError> {
        lock(&self.inner.connectors)
            .get(name)
            .map(|c| c.config.clone())
            .ok_or_else(|| not_found(name))
    }

    pub fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        let map = lock(&self.inner.connectors);
        let c = map.get(name).ok_or_else(|| not_found(name))?;
        Ok(ConnectorInfo {
            name: name.to_owned(),
            config: mask(&c.config),
            tasks: task_ids(name, c.target),
            type_: plugins::connector_type(&c.config).into(),
        })
    }

    pub fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        let map = lock(&self.inner.connectors);
        let c = map.get(name).ok_or_else(|| not_found(name))?;
        let worker_id = self.inner.worker_id.clone();
        let connector_state = match c.target {
            TargetState::Running => State::Running,
            TargetState::Paused => State::Paused,
            TargetState::Stopped => State::Stopped,
        };
        let tasks = if c.target == TargetState::Stopped {
            Vec::new()
        } else {
            let s = lock(&c.status);
            vec![TaskState {
                id: 0,
                state: s.state,
                worker_id: worker_id.clone(),
                trace: s.trace.clone().or_else(|| {
                    // A RUNNING task's note (e.g. "stalled: ..."), see TaskStatus::note.
                    (s.state == State::Running)
                        .then(|| s.note.clone())
                        .flatten()
                }),
            }]
        };
        Ok(ConnectorStateInfo {
            name: name.to_owned(),
            connector: ConnectorState {
                state: connector_state,
                worker_id,
                trace: None,
            },
            tasks,
            type_: plugins::connector_type(&c.config).into(),
        })
    }

    /// The last transient error of a connector's task (it stayed RUNNING and retries).
    pub fn last_transient_error(&self, name: &str) -> Result<Option<String>, HerderError> {
        let map = lock(&self.inner.connectors);
        let c = map.get(name).ok_or_else(|| not_found(name))?;
        let e = lock(&c.status).last_transient_error.clone();
        Ok(e)
    }

    /// Task configs: the connector's config (masked) with Connect's `task.class`.
    pub fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        let map = lock(&self.inner.connectors);
        let c = map.get(name).ok_or_else(|| not_found(name))?;
        Ok(task_ids(name, c.target)
            .into_iter()
            .map(|id| {
                let mut config = mask(&c.config);
                let class = c.config.get("connector.class").map_or("", String::as_str);
                config.insert("task.class".into(), task_class(class).into());
                TaskInfo { id, config }
            })
            .collect())
    }

    /// Deletes the connector once its task stopped; returns the warnings about what it leaves
    /// behind (a PostgreSQL connector's replication slot, unless `slot.drop.on.stop` dropped it).
    pub async fn delete_connector(&self, name: &str) -> Result<Vec<String>, HerderError> {
        let _ops = self.inner.ops.lock().await;
        if !self.exists(name) {
            return Err(not_found(name));
        }
        self.stop_task(name, State::Unassigned).await;
        let (log, n) = (self.inner.log.clone(), name.to_owned());
        blocking(move || log.delete_connector_config(&n)).await?;
        let config = lock(&self.inner.connectors).remove(name).map(|c| c.config);
        info!(connector = %name, "connector deleted (its source offset is kept)");
        Ok(match config {
            Some(config) => self
                .release(name, &config, None)
                .await
                .into_iter()
                .collect(),
            None => Vec::new(),
        })
    }

    /// Releases what the stopped connector held in its database (`plugins::slot::release`),
    /// with its `${...}` placeholders resolved as its task would resolve them.
    async fn release(
        &self,
        name: &str,
        old: &ConfigMap,
        new: Option<&ConfigMap>,
    ) -> Option<String> {
        let providers =
            cdc_core::configdef::ConfigProviders::from_worker(&self.inner.worker_config);
        let resolve = |c: &ConfigMap| match &providers {
            Ok(p) => p.resolve(c).unwrap_or_else(|_| c.clone()),
            Err(_) => c.clone(),
        };
        let new = new.map(resolve);
        plugins::slot::release(name, &resolve(old), new.as_ref()).await
    }

    async fn set_target(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        let (config, old) = {
            let map = lock(&self.inner.connectors);
            let c = map.get(name).ok_or_else(|| not_found(name))?;
            (c.config.clone(), c.target)
        };
        if old != target {
            self.persist(name, &config, target).await?;
        }
        match target {
            TargetState::Running => {
                if let Some(c) = lock(&self.inner.connectors).get_mut(name) {
                    c.target = target;
                }
                self.start_task(name);
            }
            TargetState::Paused | TargetState::Stopped => {
                let then = if target == TargetState::Paused {
                    State::Paused
                } else {
                    State::Unassigned
                };
                if let Some(c) = lock(&self.inner.connectors).get_mut(name) {
                    c.target = target;
                }
                self.stop_task(name, then).await;
            }
        }
        info!(connector = %name, target_state = ?target, "connector target state changed");
        Ok(())
    }

    pub async fn pause(&self, name: &str) -> Result<(), HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.set_target(name, TargetState::Paused).await
    }

    pub async fn resume(&self, name: &str) -> Result<(), HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.set_target(name, TargetState::Running).await
    }

    pub async fn stop(&self, name: &str) -> Result<(), HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.set_target(name, TargetState::Stopped).await
    }

    /// Restarts the connector's task if it should run (a paused or stopped connector keeps its
    /// state).
    async fn restart_task_now(&self, name: &str) {
        let target = lock(&self.inner.connectors).get(name).map(|c| c.target);
        if target == Some(TargetState::Running) {
            self.stop_task(name, State::Restarting).await;
            self.start_task(name);
        }
    }

    /// `POST /connectors/{name}/restart`. Without either flag only the connector restarts
    /// (Connect's legacy behaviour: tasks, even FAILED ones, are left alone) and `None` is
    /// returned (204). With a flag, returns the status with the instances being restarted shown
    /// as RESTARTING (202).
    pub async fn restart(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> Result<Option<ConnectorStateInfo>, HerderError> {
        let _ops = self.inner.ops.lock().await;
        if !request.include_tasks && !request.only_failed {
            if !self.exists(name) {
                return Err(not_found(name));
            }
            // The connector instance holds no resources of its own here: nothing to restart.
            return Ok(None);
        }
        let mut status = self
            .connector_status(name)
            .map_err(|_| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        if !request.only_failed || status.connector.state == State::Failed {
            status.connector.state = State::Restarting;
        }
        let mut restart_task = false;
        if request.include_tasks {
            for t in &mut status.tasks {
                if !request.only_failed || t.state == State::Failed {
                    t.state = State::Restarting;
                    t.trace = None;
                    restart_task = true;
                }
            }
        }
        if restart_task {
            self.restart_task_now(name).await;
        }
        Ok(Some(status))
    }

    /// `POST /connectors/{name}/tasks/{task}/restart`.
    pub async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError> {
        let _ops = self.inner.ops.lock().await;
        let target = lock(&self.inner.connectors)
            .get(name)
            .map(|c| c.target)
            .ok_or_else(|| not_found(name))?;
        if task != 0 || target == TargetState::Stopped {
            return Err(HerderError::NotFound(format!(
                "Task {name}-{task} not found"
            )));
        }
        self.restart_task_now(name).await;
        Ok(())
    }

    /// Topics the connector's task has written to since it was created or reset.
    pub fn active_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        let map = lock(&self.inner.connectors);
        let c = map.get(name).ok_or_else(|| not_found(name))?;
        let topics = lock(&c.topics).iter().cloned().collect();
        Ok(topics)
    }

    pub fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        let map = lock(&self.inner.connectors);
        let c = map.get(name).ok_or_else(|| not_found(name))?;
        lock(&c.topics).clear();
        Ok(())
    }

    /// Whether the connector is a sink (404 when there is no such connector).
    fn sink(&self, name: &str) -> Result<bool, HerderError> {
        let map = lock(&self.inner.connectors);
        let c = map.get(name).ok_or_else(|| not_found(name))?;
        Ok(plugins::is_sink(&c.config))
    }

    /// For a sink when the worker runs on Kafka: its consumer's properties and topics.
    fn sink_group(&self, name: &str) -> Result<Option<SinkGroup>, HerderError> {
        let config = {
            let map = lock(&self.inner.connectors);
            map.get(name).ok_or_else(|| not_found(name))?.config.clone()
        };
        sink_group_of(&self.inner.worker_config, &config, name)
    }

    /// The connector's committed offsets: a source's, or a sink's consumed positions in
    /// Connect's sink shape (from its consumer group on Kafka).
    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        if self.sink(name)? {
            if let Some((props, topics)) = self.sink_group(name)? {
                let positions = crate::runtime::sink::group_offsets::read(&props, topics)
                    .await
                    .map_err(|e| HerderError::Kafka(e.chain()))?;
                return Ok(sink_offsets::to_rest(crate::runtime::sink::to_stored(
                    &positions,
                )));
            }
            let (log, n) = (self.inner.log.clone(), name.to_owned());
            let stored = blocking(move || log.sink_offsets(&n)).await?;
            return Ok(sink_offsets::to_rest(stored.unwrap_or_default()));
        }
        let (log, n) = (self.inner.log.clone(), name.to_owned());
        let stored = blocking(move || log.source_offsets(&n)).await?;
        Ok(source_offsets_rest(stored))
    }

    /// Checks the connector exists and is STOPPED with no task running (caller holds `ops`).
    fn check_stopped(&self, name: &str) -> Result<(), HerderError> {
        let map = lock(&self.inner.connectors);
        let c = map.get(name).ok_or_else(|| not_found(name))?;
        if c.target != TargetState::Stopped || c.task.is_some() {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. \
                 This can be done for the specified connector by issuing a 'PUT' request to the \
                 '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(())
    }

    /// `PATCH /connectors/{name}/offsets`: each partition's offset is set; `offset: null`
    /// resets that partition only.
    pub async fn alter_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<Message, HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.check_stopped(name)?;
        let offsets = match offsets.offsets {
            Some(o) if !o.is_empty() => o,
            _ => {
                return Err(HerderError::BadRequest(
                    "Partitions / offsets need to be provided for an alter offsets request".into(),
                ))
            }
        };
        if self.sink(name)? {
            let changes = sink_offsets::parse(&offsets).map_err(HerderError::BadRequest)?;
            if let Some((props, topics)) = self.sink_group(name)? {
                alter_sink_group(&props, topics, changes).await?;
                info!(connector = %name, "sink offsets altered in the consumer group");
                return Ok(Message {
                    message: "The offsets for this connector have been altered successfully".into(),
                });
            }
            let (log, n) = (self.inner.log.clone(), name.to_owned());
            blocking(move || {
                let mut stored = log.sink_offsets(&n)?.unwrap_or_default();
                sink_offsets::apply(&mut stored, changes);
                log.set_sink_offsets(&n, &stored)
            })
            .await?;
            info!(connector = %name, "sink offsets altered");
            return Ok(Message {
                message: "The offsets for this connector have been altered successfully".into(),
            });
        }
        let mut changes = Vec::new();
        for o in offsets {
            let Some(partition) = o.partition else {
                return Err(HerderError::BadRequest(
                    "Source partitions may not be null".into(),
                ));
            };
            changes.push((partition, o.offset));
        }
        let (log, n) = (self.inner.log.clone(), name.to_owned());
        blocking(move || {
            for (partition, offset) in changes {
                match offset {
                    Some(offset) => {
                        log.set_source_offset(&n, &SourceOffset::new(partition, offset))?
                    }
                    None => {
                        log.delete_partition_offset(&n, &partition)?;
                    }
                }
            }
            Ok(())
        })
        .await?;
        info!(connector = %name, "source offsets altered");
        Ok(Message {
            message: "The offsets for this connector have been altered successfully".into(),
        })
    }

    /// `DELETE /connectors/{name}/offsets`.
    pub async fn reset_offsets(&self, name: &str) -> Result<Message, HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.check_stopped(name)?;
        let (log, n) = (self.inner.log.clone(), name.to_owned());
        if self.sink(name)? {
            if let Some((props, _)) = self.sink_group(name)? {
                crate::runtime::sink::group_offsets::reset(&props)
                    .await
                    .map_err(|e| HerderError::Kafka(e.chain()))?;
            }
            blocking(move || log.delete_sink_offsets(&n)).await?;
        } else {
            blocking(move || log.delete_source_offset(&n)).await?;
        }
        info!(connector = %name, "offsets reset");
        Ok(Message {
            message: "The offsets for this connector have been reset successfully".into(),
        })
    }

    /// Stops every task and waits for them (the worker's shutdown).
    pub async fn shutdown(&self) {
        let _ops = self.inner.ops.lock().await;
        self.inner.shutdown.cancel();
        let tasks: Vec<RunningTask> = lock(&self.inner.connectors)
            .values_mut()
            .filter_map(|c| c.task.take())
            .collect();
        for t in tasks {
            t.stop().await;
        }
    }
}

/// A source's stored offsets in Connect's `GET .../offsets` shape.
pub(crate) fn source_offsets_rest(
    stored: impl IntoIterator<Item = SourceOffset>,
) -> ConnectorOffsets {
    ConnectorOffsets {
        offsets: Some(
            stored
                .into_iter()
                .map(|o| ConnectorOffset {
                    partition: Some(o.partition),
                    offset: Some(o.offset),
                })
                .collect(),
        ),
    }
}

/// Applies a `PATCH .../offsets` of a sink to its consumer group (`None` resets a partition).
pub(crate) async fn alter_sink_group(
    props: &crate::kafka::config::ProducerProperties,
    topics: crate::runtime::sink::TopicSelection,
    changes: Vec<sink_offsets::Change>,
) -> Result<(), HerderError> {
    let mut set = cdc_core::Positions::new();
    let mut reset = Vec::new();
    for ((topic, partition), offset) in changes {
        let tp = cdc_core::TopicPartition {
            topic: topic.into(),
            partition,
        };
        match offset {
            Some(o) => {
                set.insert(tp, o);
            }
            None => reset.push(tp),
        }
    }
    crate::runtime::sink::group_offsets::alter(props, topics, set, reset)
        .await
        .map_err(|e| HerderError::Kafka(e.chain()))
}

/// A sink's consumer properties (group `connect-<name>`) and topics, where its offsets live.
pub(crate) type SinkGroup = (
    crate::kafka::config::ProducerProperties,
    crate::runtime::sink::TopicSelection,
);

/// For a sink when the worker runs on Kafka: its consumer's properties and topics.
pub(crate) fn sink_group_of(
    worker: &ConfigMap,
    config: &ConfigMap,
    name: &str,
) -> Result<Option<SinkGroup>, HerderError> {
    if crate::kafka::config::bootstrap_servers(worker).is_none() {
        return Ok(None);
    }
    let bad = |e: cdc_core::ConfigErrors| HerderError::BadRequest(e.to_string());
    let providers = cdc_core::configdef::ConfigProviders::from_worker(worker).map_err(bad)?;
    let config = providers.resolve(config).map_err(bad)?;
    let settings = crate::runtime::sink::SinkSettings::from_config(&config, worker).map_err(bad)?;
    let props = crate::kafka::config::consumer_properties(worker, &config, name, 0).map_err(bad)?;
    Ok(Some((props, settings.topics)))
}

fn task_ids(name: &str, target: TargetState) -> Vec<ConnectorTaskId> {
    if target == TargetState::Stopped {
        Vec::new()
    } else {
        vec![ConnectorTaskId {
            connector: name.to_owned(),
            task: 0,
        }]
    }
}

/// A worker's herder: standalone (configs and offsets in its data directory) or one worker of
/// a distributed cluster (`crate::distributed`). The REST API serves either. Cheap to clone.
#[derive(Clone)]
pub enum Herder {
    Standalone(Standalone),
    Distributed(crate::distributed::DistributedHerder),
}

impl From<Standalone> for Herder {
    fn from(h: Standalone) -> Self {
        Herder::Standalone(h)
    }
}

/// Calls the same method on whichever herder this is.
macro_rules! either {
    ($self:ident, $h:ident => $call:expr) => {
        match $self {
            Herder::Standalone($h) => $call,
            Herder::Distributed($h) => $call,
        }
    };
}

impl Herder {
    pub fn worker_config(&self) -> &ConfigMap {
        either!(self, h => h.worker_config())
    }

    pub fn worker_id(&self) -> &str {
        either!(self, h => h.worker_id())
    }

    /// Why the worker's storage stopped writing, if it did (standalone only: a distributed
    /// worker's storage is Kafka).
    pub fn storage_failure(&self) -> Option<String> {
        match self {
            Herder::Standalone(h) => h.storage_failure(),
            Herder::Distributed(_) => None,
        }
    }

    pub fn connectors(&self) -> Vec<String> {
        either!(self, h => h.connectors())
    }

    pub fn connector_config(&self, name: &str) -> Result<ConfigMap, HerderError> {
        either!(self, h => h.connector_config(name))
    }

    pub fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        either!(self, h => h.connector_info(name))
    }

    pub fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        either!(self, h => h.connector_status(name))
    }

    /// One task's status; 404 `No status found for task <name>-<id>` when there is none.
    pub fn task_status(&self, name: &str, task: u32) -> Result<TaskState, HerderError> {
        self.connector_status(name)?
            .tasks
            .into_iter()
            .find(|t| t.id == task)
            .ok_or_else(|| HerderError::NotFound(format!("No status found for task {name}-{task}")))
    }

    pub fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        either!(self, h => h.task_configs(name))
    }

    pub fn active_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        either!(self, h => h.active_topics(name))
    }

    pub fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        either!(self, h => h.reset_active_topics(name))
    }

    pub async fn put_connector_config(
        &self,
        name: &str,
        config: ConfigMap,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> Result<Created, HerderError> {
        either!(self, h => h.put_connector_config(name, config, initial_state, allow_replace).await)
    }

    /// Merges `patch` into the stored config (`None` removes a key), then as a PUT.
    pub async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError> {
        let mut config = self.connector_config(name)?;
        for (k, v) in patch {
            match v {
                Some(v) => {
                    config.insert(k, v);
                }
                None => {
                    config.remove(&k);
                }
            }
        }
        if let Some(n) = config.get("name") {
            if n != name {
                return Err(HerderError::BadRequest(format!(
                    "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
                )));
            }
        }
        config.insert("name".into(), name.to_owned());
        Ok(self
            .put_connector_config(name, config, None, true)
            .await?
            .info)
    }

    pub async fn delete_connector(&self, name: &str) -> Result<Vec<String>, HerderError> {
        either!(self, h => h.delete_connector(name).await)
    }

    pub async fn pause(&self, name: &str) -> Result<(), HerderError> {
        either!(self, h => h.pause(name).await)
    }

    pub async fn resume(&self, name: &str) -> Result<(), HerderError> {
        either!(self, h => h.resume(name).await)
    }

    pub async fn stop(&self, name: &str) -> Result<(), HerderError> {
        either!(self, h => h.stop(name).await)
    }

    pub async fn restart(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> Result<Option<ConnectorStateInfo>, HerderError> {
        either!(self, h => h.restart(name, request).await)
    }

    pub async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError> {
        either!(self, h => h.restart_task(name, task).await)
    }

    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        either!(self, h => h.offsets(name).await)
    }

    pub async fn alter_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<Message, HerderError> {
        either!(self, h => h.alter_offsets(name, offsets).await)
    }

    pub async fn reset_offsets(&self, name: &str) -> Result<Message, HerderError> {
        either!(self, h => h.reset_offsets(name).await)
    }

    pub async fn shutdown(&self) {
        either!(self, h => h.shutdown().await)
    }
}
