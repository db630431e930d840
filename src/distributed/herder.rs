//! The distributed herder (Connect's `DistributedHerder`): what the REST API asks of a worker
//! in a cluster, and the connectors and tasks this worker was assigned.
//!
//! * Reads (connectors, configs, task configs, statuses, offsets) are answered from the
//!   internal topics as this worker has read them, on every worker.
//! * Writes of configs, stop, deletes, restarts and offsets are made by the leader only; on
//!   another worker they end in [`HerderError::Forward`], which the REST layer turns into a
//!   forwarded request (`rest::forward`). Pause and resume are written by any worker, as in
//!   Connect.
//! * The leader writes a connector's task configs with its config (our connectors' task
//!   configs are a function of the connector config alone, so no worker-to-worker request is
//!   needed for them) and then asks for a rebalance when the set of connectors or tasks
//!   changed.
//! * Each worker starts and stops what its assignments say (`super::group`), follows config
//!   changes for what it runs, and publishes its tasks' statuses with its generation; a worker
//!   whose lease lapsed writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cdc_core::ConfigMap;
use connect_group::{
    ConfigChange, ConfigRecord, ConnectorTaskId as TaskId, DistributedSettings, Load, StatusRecord,
    TargetState as Target,
};
use group_client::Lease;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::stores::{status, ConfigStore, OffsetsStore, StatusStore};
use crate::herder::task::{
    self, lock, RunningTask, SharedStatus, SharedTopics, TaskEnv, TaskStatus,
};
use crate::herder::{
    invalid_config_message, mask, sink_group_of, sink_offsets, task_class, ConnectorInfo,
    ConnectorOffsets, ConnectorState, ConnectorStateInfo, ConnectorTaskId, Created, HerderError,
    Message, RestartRequest, State, TargetState, TaskInfo, TaskState,
};
use crate::plugins;

/// Who leads the group and which generation this worker is in, as of its last round.
#[derive(Debug, Clone, Default)]
pub(super) struct View {
    pub generation: i32,
    pub member_id: String,
    pub leader_id: String,
    pub leader_url: Option<String>,
}

impl View {
    fn is_leader(&self) -> bool {
        !self.member_id.is_empty() && self.member_id == self.leader_id
    }
}

/// One task this worker was assigned.
struct LocalTask {
    run: Option<RunningTask>,
    status: SharedStatus,
    topics: SharedTopics,
    /// The task config it runs with.
    config: Option<ConfigMap>,
    /// What was last written to the status topic.
    published: Option<(State, Option<String>)>,
    /// Topics whose KIP-558 record this task wrote.
    published_topics: BTreeSet<String>,
}

#[derive(Default)]
struct Local {
    connectors: BTreeSet<String>,
    tasks: BTreeMap<TaskId, LocalTask>,
}

/// A distributed worker's herder. Cheap to clone.
#[derive(Clone)]
pub struct DistributedHerder {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    /// TLS and SASL for the group membership.
    pub security: group_client::Security,
    pub worker_id: String,
    pub url: String,
    pub settings: DistributedSettings,
    pub worker_config: ConfigMap,
    pub env: TaskEnv,
    pub config: ConfigStore,
    pub status: StatusStore,
    pub offsets: Arc<OffsetsStore>,
    pub lease: Lease,
    pub view: Mutex<View>,
    local: Mutex<Local>,
    ops: tokio::sync::Mutex<()>,
    /// Serialises starting and stopping local tasks (a round's apply, config changes,
    /// restarts), so a task revoked by one is never started again by another.
    lifecycle: tokio::sync::Mutex<()>,
    /// One status publication at a time (a later one never writes an older state).
    publishing: tokio::sync::Mutex<()>,
    /// Asks the group loop for a rebalance.
    pub rejoin: tokio::sync::Notify,
    pub shutdown: CancellationToken,
}

fn not_found(name: &str) -> HerderError {
    HerderError::NotFound(format!("Connector {name} not found"))
}

fn kafka(e: String) -> HerderError {
    HerderError::Kafka(e)
}

/// A status topic's state as the REST entity (the same names, `State`'s serde form); an
/// unknown one reads as UNASSIGNED.
fn state_of(s: &str) -> State {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).unwrap_or(State::Unassigned)
}

/// The REST entity's state as the status topic writes it.
fn state_name(s: State) -> String {
    match serde_json::to_value(s) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "UNASSIGNED".to_owned(),
    }
}

fn target_of(t: TargetState) -> Target {
    match t {
        TargetState::Running => Target::Started,
        TargetState::Paused => Target::Paused,
        TargetState::Stopped => Target::Stopped,
    }
}

/// How many tasks a connector has: a sink's `tasks.max` (its tasks share the partitions), one
/// for a source (a database's change stream is read by one task, as Debezium's).
fn task_count(config: &ConfigMap) -> u32 {
    if !plugins::is_sink(config) {
        return 1;
    }
    config
        .get("tasks.max")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}

/// The task configs the leader writes for `config`: the connector's config with Connect's
/// `task.class`.
fn task_records(name: &str, config: &ConfigMap) -> Vec<ConfigRecord> {
    let n = task_count(config);
    let class = config.get("connector.class").map_or("", String::as_str);
    let mut out: Vec<ConfigRecord> = (0..n)
        .map(|t| {
            let mut c = config.clone();
            c.insert("task.class".into(), task_class(class).into());
            ConfigRecord::Task {
                id: TaskId::new(name, t as i32),
                config: Some(c),
            }
        })
        .collect();
    out.push(ConfigRecord::Commit {
        name: name.to_owned(),
        tasks: Some(n),
    });
    out
}

impl DistributedHerder {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        security: group_client::Security,
        worker_id: String,
        url: String,
        settings: DistributedSettings,
        worker_config: ConfigMap,
        env: TaskEnv,
        config: ConfigStore,
        status: StatusStore,
        offsets: Arc<OffsetsStore>,
        lease: Lease,
        shutdown: CancellationToken,
    ) -> DistributedHerder {
        DistributedHerder {
            inner: Arc::new(Inner {
                security,
                worker_id,
                url,
                settings,
                worker_config,
                env,
                config,
                status,
                offsets,
                lease,
                view: Mutex::new(View::default()),
                local: Mutex::new(Local::default()),
                ops: tokio::sync::Mutex::new(()),
                lifecycle: tokio::sync::Mutex::new(()),
                publishing: tokio::sync::Mutex::new(()),
                rejoin: tokio::sync::Notify::new(),
                shutdown,
            }),
        }
    }

    pub fn worker_config(&self) -> &ConfigMap {
        &self.inner.worker_config
    }

    pub fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    /// The leader's REST URL, when this worker knows it.
    pub fn leader_url(&self) -> Option<String> {
        lock(&self.inner.view).leader_url.clone()
    }

    pub fn is_leader(&self) -> bool {
        lock(&self.inner.view).is_leader()
    }

    /// The leader's answer to a write this worker cannot make.
    fn to_leader(&self) -> HerderError {
        HerderError::Forward {
            url: self.leader_url(),
        }
    }

    fn sync_timeout(&self) -> Duration {
        self.inner.settings.worker_sync_timeout
    }

    fn config_of(&self, name: &str) -> Option<ConfigMap> {
        self.inner.config.snapshot().connector_config(name).cloned()
    }

    // ---- reads -------------------------------------------------------------------------

    pub fn connectors(&self) -> Vec<String> {
        self.inner.config.snapshot().connectors().cloned().collect()
    }

    pub fn connector_config(&self, name: &str) -> Result<ConfigMap, HerderError> {
        self.config_of(name).ok_or_else(|| not_found(name))
    }

    pub fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        let snapshot = self.inner.config.snapshot();
        let config = snapshot
            .connector_config(name)
            .ok_or_else(|| not_found(name))?;
        Ok(ConnectorInfo {
            name: name.to_owned(),
            config: mask(config),
            tasks: snapshot
                .tasks(name)
                .into_iter()
                .map(|t| ConnectorTaskId {
                    connector: t.connector,
                    task: t.task.max(0) as u32,
                })
                .collect(),
            type_: plugins::connector_type(config).into(),
        })
    }

    pub fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        let snapshot = self.inner.config.snapshot();
        if snapshot.connector_config(name).is_none() {
            return Err(not_found(name));
        }
        Ok(snapshot
            .tasks(name)
            .into_iter()
            .map(|t| TaskInfo {
                config: snapshot.task_config(&t).map(mask).unwrap_or_default(),
                id: ConnectorTaskId {
                    connector: t.connector,
                    task: t.task.max(0) as u32,
                },
            })
            .collect())
    }

    pub fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        let config = self.config_of(name).ok_or_else(|| not_found(name))?;
        // Never two of the stores' locks at once.
        let configured: BTreeSet<u32> = self
            .inner
            .config
            .snapshot()
            .tasks(name)
            .iter()
            .map(|t| t.task.max(0) as u32)
            .collect();
        let cache = self.inner.status.cache();
        let c = cache.connector(name).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for connector {name}"))
        })?;
        let mut tasks: Vec<TaskState> = cache
            .tasks_of(name)
            .map(|(id, s)| TaskState {
                id: id.task.max(0) as u32,
                state: state_of(&s.state),
                worker_id: s.worker_id.clone(),
                trace: s.trace.clone(),
            })
            .collect();
        // Tasks of a connector with fewer tasks now keep a status until it is removed.
        tasks.retain(|t| configured.contains(&t.id));
        Ok(ConnectorStateInfo {
            name: name.to_owned(),
            connector: ConnectorState {
                state: state_of(&c.state),
                worker_id: c.worker_id.clone(),
                trace: c.trace.clone(),
            },
            tasks,
            type_: plugins::connector_type(&config).into(),
        })
    }

    /// The topics the connector's tasks used, from the status topic's `status-topic-*`
    /// records (KIP-558), as every worker reads them.
    pub fn active_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        if self.config_of(name).is_none() {
            return Err(not_found(name));
        }
        Ok(self.inner.status.cache().topics_of(name))
    }

    /// Writes a tombstone for each of the connector's topic records (in the background: the
    /// REST answer is 202 Accepted, as Connect's) and forgets what local tasks reported.
    pub fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        if self.config_of(name).is_none() {
            return Err(not_found(name));
        }
        {
            let mut local = lock(&self.inner.local);
            for (id, t) in local.tasks.iter_mut() {
                if id.connector == name {
                    lock(&t.topics).clear();
                    t.published_topics.clear();
                }
            }
        }
        let topics = self.inner.status.cache().topics_of(name);
        let (herder, name) = (self.clone(), name.to_owned());
        tokio::spawn(async move {
            for topic in topics {
                let record = StatusRecord::Topic {
                    topic,
                    connector: name.clone(),
                    status: None,
                };
                if let Err(e) = herder.inner.status.put(record).await {
                    warn!(connector = %name, error = %e, "cannot reset an active topic");
                }
            }
        });
        Ok(())
    }

    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        let config = self.connector_config(name)?;
        if plugins::is_sink(&config) {
            let (props, topics) = sink_group_of(&self.inner.worker_config, &config, name)?
                .ok_or_else(|| HerderError::Kafka("no bootstrap.servers".into()))?;
            let positions = crate::runtime::sink::group_offsets::read(&props, topics)
                .await
                .map_err(|e| HerderError::Kafka(e.chain()))?;
            return Ok(sink_offsets::to_rest(crate::runtime::sink::to_stored(
                &positions,
            )));
        }
        let stored = self.inner.offsets.of(name).await.map_err(kafka)?;
        Ok(crate::herder::source_offsets_rest(stored))
    }

    // ---- writes ------------------------------------------------------------------------

    /// Writes `records` and waits until this worker has read them back.
    async fn write(&self, records: &[ConfigRecord]) -> Result<(), HerderError> {
        self.inner.config.write(records).await.map_err(kafka)?;
        self.inner
            .config
            .read_to_end(self.sync_timeout())
            .await
            .map_err(kafka)
    }

    /// The leader's check before a write: leader, and the config topic read to its end.
    async fn lead(&self) -> Result<(), HerderError> {
        if !self.is_leader() {
            return Err(self.to_leader());
        }
        self.inner
            .config
            .read_to_end(self.sync_timeout())
            .await
            .map_err(kafka)
    }

    pub async fn put_connector_config(
        &self,
        name: &str,
        mut config: ConfigMap,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> Result<Created, HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.lead().await?;
        let (existing, target) = {
            let s = self.inner.config.snapshot();
            (s.connector_config(name).cloned(), s.target_state(name))
        };
        if existing.is_some() && !allow_replace {
            return Err(HerderError::AlreadyExists(name.to_owned()));
        }
        if let Some(old) = &existing {
            cdc_core::configdef::keep_hidden(&mut config, old);
        }
        let class = config.get("connector.class").cloned().unwrap_or_default();
        let infos = plugins::validate_for_worker(&class, &config, &self.inner.worker_config);
        if infos["error_count"].as_u64().unwrap_or(0) > 0 {
            return Err(HerderError::BadRequest(invalid_config_message(&infos)));
        }
        let problems = plugins::embedded_log_problems(&config, &self.inner.worker_config);
        if !problems.is_empty() {
            return Err(HerderError::BadRequest(
                cdc_core::ConfigErrors(problems).to_string(),
            ));
        }
        let created = existing.is_none();
        if existing.as_ref() != Some(&config) {
            let mut records = Vec::new();
            // As Connect: a target state record only when one was asked for.
            let target = match (created, initial_state, target) {
                (true, Some(initial), _) => {
                    let t = target_of(initial);
                    records.push(ConfigRecord::TargetState {
                        name: name.to_owned(),
                        state: Some(t),
                    });
                    t
                }
                (true, None, _) => Target::Started,
                (false, _, t) => t.unwrap_or(Target::Started),
            };
            records.push(ConfigRecord::Connector {
                name: name.to_owned(),
                config: Some(config.clone()),
            });
            if target != Target::Stopped {
                records.extend(task_records(name, &config));
            }
            let old_tasks = self.inner.config.snapshot().tasks(name).len();
            self.write(&records).await?;
            info!(connector = %name, created, "connector config written to the config topic");
            if created || self.inner.config.snapshot().tasks(name).len() != old_tasks {
                // New work to hand out: a rebalance.
                self.inner.rejoin.notify_one();
            }
        }
        Ok(Created {
            created,
            info: self.connector_info(name)?,
            warnings: Vec::new(),
        })
    }

    pub async fn delete_connector(&self, name: &str) -> Result<Vec<String>, HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.lead().await?;
        let tasks = {
            let s = self.inner.config.snapshot();
            if s.connector_config(name).is_none() {
                return Err(not_found(name));
            }
            s.tasks(name)
        };
        // As Connect: the connector's tombstone, then its target state's.
        self.write(&[
            ConfigRecord::Connector {
                name: name.to_owned(),
                config: None,
            },
            ConfigRecord::TargetState {
                name: name.to_owned(),
                state: None,
            },
        ])
        .await?;
        for id in tasks {
            let _ = self
                .inner
                .status
                .put(StatusRecord::Task { id, status: None })
                .await;
        }
        let _ = self
            .inner
            .status
            .put(StatusRecord::Connector {
                name: name.to_owned(),
                status: None,
            })
            .await;
        let topics = self.inner.status.cache().topics_of(name);
        for topic in topics {
            let record = StatusRecord::Topic {
                topic,
                connector: name.to_owned(),
                status: None,
            };
            let _ = self.inner.status.put(record).await;
        }
        info!(connector = %name, "connector deleted (its source offsets are kept)");
        self.inner.rejoin.notify_one();
        Ok(Vec::new())
    }

    async fn set_target(&self, name: &str, target: Target) -> Result<(), HerderError> {
        let (config, old) = {
            let s = self.inner.config.snapshot();
            let c = s
                .connector_config(name)
                .cloned()
                .ok_or_else(|| not_found(name))?;
            (c, s.target_state(name).unwrap_or(Target::Started))
        };
        let mut records = Vec::new();
        match (old, target) {
            // Stopping removes the tasks first, as Connect's stopConnector.
            (_, Target::Stopped) if old != Target::Stopped => {
                records.push(ConfigRecord::Commit {
                    name: name.to_owned(),
                    tasks: Some(0),
                });
            }
            _ => {}
        }
        records.push(ConfigRecord::TargetState {
            name: name.to_owned(),
            state: Some(target),
        });
        if old == Target::Stopped && target != Target::Stopped {
            records.extend(task_records(name, &config));
        }
        self.write(&records).await?;
        info!(connector = %name, target_state = target.as_str(), "connector target state written");
        if old == Target::Stopped || target == Target::Stopped {
            self.inner.rejoin.notify_one();
        }
        Ok(())
    }

    /// Pause and resume are written by whichever worker is asked, as in Connect; leaving
    /// STOPPED writes task configs too, the leader's work.
    async fn pause_or_resume(&self, name: &str, target: Target) -> Result<(), HerderError> {
        if self.inner.config.snapshot().target_state(name) == Some(Target::Stopped) {
            let _ops = self.inner.ops.lock().await;
            self.lead().await?;
            return self.set_target(name, target).await;
        }
        self.set_target(name, target).await
    }

    pub async fn pause(&self, name: &str) -> Result<(), HerderError> {
        self.pause_or_resume(name, Target::Paused).await
    }

    pub async fn resume(&self, name: &str) -> Result<(), HerderError> {
        self.pause_or_resume(name, Target::Started).await
    }

    pub async fn stop(&self, name: &str) -> Result<(), HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.lead().await?;
        self.set_target(name, Target::Stopped).await
    }

    pub async fn restart(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> Result<Option<ConnectorStateInfo>, HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.lead().await?;
        if self.config_of(name).is_none() {
            return Err(not_found(name));
        }
        if !request.include_tasks && !request.only_failed {
            // The connector instance holds no resources of its own here: nothing to restart.
            return Ok(None);
        }
        let mut status = self
            .connector_status(name)
            .map_err(|_| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        if !request.only_failed || status.connector.state == State::Failed {
            status.connector.state = State::Restarting;
        }
        if request.include_tasks {
            for t in &mut status.tasks {
                if !request.only_failed || t.state == State::Failed {
                    t.state = State::Restarting;
                    t.trace = None;
                }
            }
        }
        self.write(&[ConfigRecord::Restart {
            name: name.to_owned(),
            include_tasks: request.include_tasks,
            only_failed: request.only_failed,
        }])
        .await?;
        Ok(Some(status))
    }

    /// Restarts a task here when this worker runs it; else the request goes to the worker
    /// that does (as the status topic says), or to the leader.
    pub async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError> {
        if self.config_of(name).is_none() {
            return Err(not_found(name));
        }
        let id = TaskId::new(name, task as i32);
        if !self.inner.config.snapshot().tasks(name).contains(&id) {
            return Err(HerderError::NotFound(format!(
                "Task {name}-{task} not found"
            )));
        }
        let lifecycle = self.inner.lifecycle.lock().await;
        if lock(&self.inner.local).tasks.contains_key(&id) {
            self.restart_local(&id).await;
            return Ok(());
        }
        drop(lifecycle);
        let owner = self
            .inner
            .status
            .cache()
            .task(&id)
            .map(|s| s.worker_id.clone());
        match owner {
            Some(w) if w != self.inner.worker_id => Err(HerderError::Forward {
                url: Some(format!("{}://{w}/", scheme_of(&self.inner.url))),
            }),
            _ => Err(self.to_leader()),
        }
    }

    /// Checks the connector is STOPPED with no tasks in the config (Connect's check: the
    /// config state, not the statuses, which a dead worker may have left RUNNING).
    fn check_stopped(&self, name: &str) -> Result<ConfigMap, HerderError> {
        let s = self.inner.config.snapshot();
        let config = s
            .connector_config(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        if s.target_state(name) != Some(Target::Stopped) || !s.tasks(name).is_empty() {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. \
                 This can be done for the specified connector by issuing a 'PUT' request to the \
                 '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(config)
    }

    pub async fn alter_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<Message, HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.lead().await?;
        let config = self.check_stopped(name)?;
        let offsets = match offsets.offsets {
            Some(o) if !o.is_empty() => o,
            _ => {
                return Err(HerderError::BadRequest(
                    "Partitions / offsets need to be provided for an alter offsets request".into(),
                ))
            }
        };
        if plugins::is_sink(&config) {
            let changes = sink_offsets::parse(&offsets).map_err(HerderError::BadRequest)?;
            let (props, topics) = sink_group_of(&self.inner.worker_config, &config, name)?
                .ok_or_else(|| HerderError::Kafka("no bootstrap.servers".into()))?;
            crate::herder::alter_sink_group(&props, topics, changes).await?;
        } else {
            for o in offsets {
                let Some(partition) = o.partition else {
                    return Err(HerderError::BadRequest(
                        "Source partitions may not be null".into(),
                    ));
                };
                self.inner
                    .offsets
                    .put(name, &partition, o.offset.as_ref())
                    .await
                    .map_err(kafka)?;
            }
        }
        info!(connector = %name, "offsets altered");
        Ok(Message {
            message: "The offsets for this connector have been altered successfully".into(),
        })
    }

    pub async fn reset_offsets(&self, name: &str) -> Result<Message, HerderError> {
        let _ops = self.inner.ops.lock().await;
        self.lead().await?;
        let config = self.check_stopped(name)?;
        if plugins::is_sink(&config) {
            if let Some((props, _)) = sink_group_of(&self.inner.worker_config, &config, name)? {
                crate::runtime::sink::group_offsets::reset(&props)
                    .await
                    .map_err(|e| HerderError::Kafka(e.chain()))?;
            }
        } else {
            for o in self.inner.offsets.of(name).await.map_err(kafka)? {
                self.inner
                    .offsets
                    .put(name, &o.partition, None)
                    .await
                    .map_err(kafka)?;
            }
        }
        info!(connector = %name, "offsets reset");
        Ok(Message {
            message: "The offsets for this connector have been reset successfully".into(),
        })
    }

    /// The leader's repair after a round (Connect's reconfiguration): a connector that should
    /// have tasks but has none or an inconsistent set (a leader that died between a connector's
    /// config and its commit, compaction, a pause racing a stop) gets its task configs again.
    pub(super) async fn repair_tasks(&self) {
        let _ops = self.inner.ops.lock().await;
        if !self.is_leader() {
            return;
        }
        let broken: Vec<(String, ConfigMap)> = {
            let s = self.inner.config.snapshot();
            let inconsistent: BTreeSet<String> = s.inconsistent().cloned().collect();
            s.connectors()
                .filter(|name| {
                    s.target_state(name) != Some(Target::Stopped)
                        && (s.tasks(name).is_empty() || inconsistent.contains(*name))
                })
                .filter_map(|name| Some((name.clone(), s.connector_config(name)?.clone())))
                .collect()
        };
        for (name, config) in broken {
            warn!(connector = %name, "the connector has no consistent task configs; writing them again");
            if let Err(e) = self.write(&task_records(&name, &config)).await {
                warn!(connector = %name, error = %e, "cannot write the connector's task configs");
                return;
            }
            self.inner.rejoin.notify_one();
        }
    }

    /// Forgets who leads (fenced or evicted: this worker's view is stale).
    pub(super) fn forget_leader(&self) {
        let mut v = lock(&self.inner.view);
        v.member_id.clear();
        v.leader_id.clear();
        v.leader_url = None;
    }

    // ---- this worker's work ------------------------------------------------------------

    /// What this worker runs, for its next join.
    pub(super) fn running(&self) -> Load {
        let local = lock(&self.inner.local);
        Load {
            connectors: local.connectors.iter().cloned().collect(),
            tasks: local.tasks.keys().cloned().collect(),
        }
    }

    fn generation(&self) -> i32 {
        lock(&self.inner.view).generation
    }

    /// Writes a connector's status (guarded, and only while this worker is a member).
    async fn put_connector_status(&self, name: &str, state: &str) {
        if !self.inner.lease.valid() {
            return;
        }
        let record = StatusRecord::Connector {
            name: name.to_owned(),
            status: Some(status(
                state,
                None,
                &self.inner.worker_id,
                self.generation(),
            )),
        };
        if let Err(e) = self.inner.status.put_safe(record).await {
            warn!(connector = %name, error = %e, "cannot write the connector's status");
        }
    }

    fn connector_state(&self, name: &str) -> &'static str {
        match self.inner.config.snapshot().target_state(name) {
            Some(Target::Paused) => "PAUSED",
            Some(Target::Stopped) => "STOPPED",
            _ => "RUNNING",
        }
    }

    /// Starts or pauses one task per its connector's target state: a newly assigned one
    /// (`assigned`), else only one this worker still holds.
    fn start_local(&self, id: &TaskId, assigned: bool) {
        let (config, target, tasks) = {
            let s = self.inner.config.snapshot();
            (
                s.connector_config(&id.connector).cloned(),
                s.target_state(&id.connector).unwrap_or(Target::Started),
                s.tasks(&id.connector).len() as u32,
            )
        };
        let mut local = lock(&self.inner.local);
        if !assigned && !local.tasks.contains_key(id) {
            // Revoked meanwhile: it may run elsewhere now.
            return;
        }
        let entry = local.tasks.entry(id.clone()).or_insert_with(|| LocalTask {
            run: None,
            status: Arc::new(Mutex::new(TaskStatus::new(State::Unassigned))),
            topics: Default::default(),
            config: None,
            published: None,
            published_topics: BTreeSet::new(),
        });
        if entry.run.is_some() {
            return;
        }
        match (config, target) {
            (Some(config), Target::Started) => {
                entry.run = Some(task::spawn_on(
                    &self.inner.env,
                    &id.connector,
                    (id.task.max(0) as u32, tasks.max(1)),
                    &config,
                    entry.status.clone(),
                    entry.topics.clone(),
                    &self.inner.shutdown,
                ));
                entry.config = Some(config);
                info!(connector = %id.connector, task = id.task, "task started");
            }
            (_, Target::Paused) => *lock(&entry.status) = TaskStatus::new(State::Paused),
            _ => *lock(&entry.status) = TaskStatus::new(State::Unassigned),
        }
    }

    /// Stops one task (kept as assigned unless `forget`).
    async fn stop_local(&self, id: &TaskId, then: State, forget: bool) {
        let (run, status) = {
            let mut local = lock(&self.inner.local);
            let Some(t) = local.tasks.get_mut(id) else {
                return;
            };
            let run = t.run.take();
            let status = t.status.clone();
            if forget {
                local.tasks.remove(id);
            }
            (run, status)
        };
        if let Some(run) = run {
            if then == State::Paused {
                run.pause().await;
            } else {
                run.stop().await;
            }
            info!(connector = %id.connector, task = id.task, "task stopped");
        }
        let mut s = lock(&status);
        if s.state != State::Failed || then != State::Unassigned {
            *s = TaskStatus::new(then);
        }
    }

    async fn restart_local(&self, id: &TaskId) {
        self.stop_local(id, State::Restarting, false).await;
        self.start_local(id, false);
    }

    /// Applies a round: stops what was revoked (writing UNASSIGNED for it, guarded), then
    /// starts what was assigned.
    pub(super) async fn apply(&self, stop: &Load, start: &Load) {
        let _lifecycle = self.inner.lifecycle.lock().await;
        for id in &stop.tasks {
            self.stop_local(id, State::Unassigned, true).await;
            // A deleted connector's statuses were removed with it.
            let exists = self.config_of(&id.connector).is_some();
            if exists && self.inner.lease.valid() {
                let record = StatusRecord::Task {
                    id: id.clone(),
                    status: Some(status(
                        "UNASSIGNED",
                        None,
                        &self.inner.worker_id,
                        self.generation(),
                    )),
                };
                let _ = self.inner.status.put_safe(record).await;
            }
        }
        for c in &stop.connectors {
            lock(&self.inner.local).connectors.remove(c);
        }
        for c in &start.connectors {
            lock(&self.inner.local).connectors.insert(c.clone());
            let state = self.connector_state(c);
            self.put_connector_status(c, state).await;
        }
        for id in &start.tasks {
            // Fenced while the revoked ones stopped: start nothing.
            if !self.inner.lease.valid() {
                warn!("this worker's lease lapsed while applying its assignment; starting nothing");
                break;
            }
            self.start_local(id, true);
        }
        if !stop.is_empty() || !start.is_empty() {
            info!(
                stopped_tasks = stop.tasks.len(),
                started_tasks = start.tasks.len(),
                connectors = start.connectors.len(),
                "assignment applied"
            );
        }
        self.publish().await;
    }

    /// Stops everything at once (fenced, or shutting down); nothing is written.
    pub(super) async fn stop_all(&self) {
        let _lifecycle = self.inner.lifecycle.lock().await;
        let ids: Vec<TaskId> = lock(&self.inner.local).tasks.keys().cloned().collect();
        for id in &ids {
            self.stop_local(id, State::Unassigned, true).await;
        }
        lock(&self.inner.local).connectors.clear();
    }

    /// Acts on a config change for what this worker runs.
    pub(super) async fn on_change(&self, change: ConfigChange) {
        let lifecycle = self.inner.lifecycle.lock().await;
        match change {
            ConfigChange::ConnectorRemoved(name) => {
                let ids: Vec<TaskId> = lock(&self.inner.local)
                    .tasks
                    .keys()
                    .filter(|t| t.connector == name)
                    .cloned()
                    .collect();
                for id in &ids {
                    self.stop_local(id, State::Unassigned, true).await;
                }
                lock(&self.inner.local).connectors.remove(&name);
            }
            ConfigChange::TargetState(name) => {
                let target = self.inner.config.snapshot().target_state(&name);
                let ids = self.local_tasks_of(&name);
                for id in &ids {
                    match target {
                        Some(Target::Paused) => self.stop_local(id, State::Paused, false).await,
                        Some(Target::Stopped) => {
                            self.stop_local(id, State::Unassigned, false).await
                        }
                        _ => self.start_local(id, false),
                    }
                }
                if lock(&self.inner.local).connectors.contains(&name) {
                    let state = self.connector_state(&name);
                    self.put_connector_status(&name, state).await;
                }
            }
            ConfigChange::Tasks(name) => {
                // New task configs: running tasks restart with the connector's config.
                let config = self.config_of(&name);
                for id in self.local_tasks_of(&name) {
                    let stale = lock(&self.inner.local)
                        .tasks
                        .get(&id)
                        .is_some_and(|t| t.run.is_some() && t.config != config);
                    if stale {
                        info!(connector = %name, task = id.task, "task config changed; restarting the task");
                        self.restart_local(&id).await;
                    }
                }
            }
            ConfigChange::Restart {
                name,
                include_tasks,
                only_failed,
            } => {
                if include_tasks {
                    for id in self.local_tasks_of(&name) {
                        let failed = lock(&self.inner.local)
                            .tasks
                            .get(&id)
                            .is_some_and(|t| lock(&t.status).state == State::Failed);
                        if !only_failed || failed {
                            self.restart_local(&id).await;
                        }
                    }
                }
            }
            ConfigChange::Connector(_)
            | ConfigChange::SessionKey
            | ConfigChange::LoggerLevel(_)
            | ConfigChange::None => {}
        }
        drop(lifecycle);
        self.publish().await;
    }

    fn local_tasks_of(&self, name: &str) -> Vec<TaskId> {
        lock(&self.inner.local)
            .tasks
            .keys()
            .filter(|t| t.connector == name)
            .cloned()
            .collect()
    }

    /// Writes the status of every local task whose state changed since it was last written.
    pub(super) async fn publish(&self) {
        let _one = self.inner.publishing.lock().await;
        if !self.inner.lease.valid() {
            return;
        }
        let changed: Vec<(TaskId, State, Option<String>)> = {
            let local = lock(&self.inner.local);
            local
                .tasks
                .iter()
                .filter_map(|(id, t)| {
                    let s = lock(&t.status);
                    let now = (s.state, s.trace.clone());
                    (t.published.as_ref() != Some(&now)).then(|| (id.clone(), now.0, now.1))
                })
                .collect()
        };
        self.publish_topics().await;
        let generation = self.generation();
        for (id, state, trace) in changed {
            let record = StatusRecord::Task {
                id: id.clone(),
                status: Some(status(
                    &state_name(state),
                    trace.clone(),
                    &self.inner.worker_id,
                    generation,
                )),
            };
            match self.inner.status.put_safe(record).await {
                Ok(_) => {
                    if let Some(t) = lock(&self.inner.local).tasks.get_mut(&id) {
                        t.published = Some((state, trace));
                    }
                }
                Err(e) => {
                    warn!(connector = %id.connector, task = id.task, error = %e, "cannot write the task's status")
                }
            }
        }
    }

    /// Writes a KIP-558 record for each topic a local task used that has none yet.
    async fn publish_topics(&self) {
        let fresh: Vec<(TaskId, String)> = {
            let local = lock(&self.inner.local);
            let cache = self.inner.status.cache();
            local
                .tasks
                .iter()
                .flat_map(|(id, t)| {
                    let known = cache.topics_of(&id.connector);
                    lock(&t.topics)
                        .iter()
                        .filter(|topic| {
                            !t.published_topics.contains(*topic) && !known.contains(*topic)
                        })
                        .map(|topic| (id.clone(), topic.clone()))
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let now = crate::log::retention::now_ms();
        for (id, topic) in fresh {
            let record = StatusRecord::Topic {
                topic: topic.clone(),
                connector: id.connector.clone(),
                status: Some(connect_group::TopicStatus {
                    topic: topic.clone(),
                    connector: id.connector.clone(),
                    task: id.task,
                    discover_timestamp: now,
                }),
            };
            match self.inner.status.put(record).await {
                Ok(()) => {
                    if let Some(t) = lock(&self.inner.local).tasks.get_mut(&id) {
                        t.published_topics.insert(topic);
                    }
                }
                Err(e) => {
                    warn!(connector = %id.connector, %topic, error = %e, "cannot write an active topic")
                }
            }
        }
    }

    /// Stops every task and waits for them (the worker's shutdown).
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.stop_all().await;
    }
}

fn scheme_of(url: &str) -> &str {
    url.split("://").next().unwrap_or("http")
}
