//! One source task: built from the connector's config, run with `runtime::run_source_observed`,
//! its status kept where the herder reads it. Sink connectors' tasks: `super::sink_task`.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cdc_core::{ConfigMap, ConnectorError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::entities::State;
use crate::kafka::{KafkaBackend, KafkaSettings};
use crate::log::EmbeddedLog;
use crate::plugins;
use crate::runtime::{self, Converters, OffsetStore, TaskObserver, TopicBackend};

/// A task's live status, shared between the running task and the herder.
#[derive(Debug, Clone)]
pub(crate) struct TaskStatus {
    pub state: State,
    /// The error chain of a FAILED task.
    pub trace: Option<String>,
    /// The last transient error (the task stayed RUNNING and retries with backoff).
    pub last_transient_error: Option<String>,
    /// What the running source says about itself, such as "stalled: ..." (shown as the
    /// `trace` of a RUNNING task: a documented deviation from Connect, docs/compat.md).
    pub note: Option<String>,
}

impl TaskStatus {
    pub fn new(state: State) -> Self {
        TaskStatus {
            state,
            trace: None,
            last_transient_error: None,
            note: None,
        }
    }
}

pub(crate) type SharedStatus = Arc<Mutex<TaskStatus>>;
pub(crate) type SharedTopics = Arc<Mutex<BTreeSet<String>>>;

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running task: cancel it and wait for it with [`RunningTask::stop`].
pub(crate) struct RunningTask {
    pub(super) cancel: CancellationToken,
    pub(super) join: JoinHandle<()>,
    /// Told before `cancel` when the stop is a pause (a source keeps its replication slot).
    pub(super) pausing: cdc_core::Pausing,
}

impl RunningTask {
    /// Cancels the task and waits until it has written what it had in flight (the runtime
    /// aborts a source that does not stop within its grace period).
    pub async fn stop(self) {
        self.cancel.cancel();
        self.join_stopped().await;
    }

    /// Stops the task for a pause: the source keeps what a resume needs.
    pub async fn pause(self) {
        self.pausing.set();
        self.cancel.cancel();
        self.join_stopped().await;
    }

    async fn join_stopped(self) {
        if let Err(e) = self.join.await {
            if e.is_panic() {
                error!("connector task panicked while stopping");
            }
        }
    }
}

pub(super) struct Observer {
    pub connector: String,
    pub status: SharedStatus,
    pub topics: SharedTopics,
    pub pausing: cdc_core::Pausing,
}

impl TaskObserver for Observer {
    fn pausing(&self) -> cdc_core::Pausing {
        self.pausing.clone()
    }
    fn started(&self) {
        let mut s = lock(&self.status);
        if s.state != State::Failed {
            s.state = State::Running;
        }
    }

    fn transient_error(&self, error: &ConnectorError, retry_in: Duration) {
        // The task stays RUNNING while it retries (Connect shows no trace for it); the error is
        // kept for `Herder::last_transient_error` and logged here with the connector's name.
        warn!(connector = %self.connector, error = %error, retry_in_ms = retry_in.as_millis() as u64,
            "task is retrying after a transient error; it stays RUNNING");
        let mut s = lock(&self.status);
        s.state = State::Running;
        s.last_transient_error = Some(error.chain());
    }

    fn note(&self, note: Option<String>) {
        lock(&self.status).note = note;
    }

    fn topics_written(&self, topics: &[Arc<str>]) {
        let mut set = lock(&self.topics);
        for t in topics {
            if !set.contains(&**t) {
                set.insert(t.to_string());
            }
        }
    }
}

/// Starts the task of connector `name` on `log`; its status goes RUNNING now and FAILED (with
/// the error chain as `trace`) if it cannot be built or ends with a fatal error.
pub(crate) fn spawn(
    name: &str,
    config: &ConfigMap,
    worker_config: &ConfigMap,
    log: &EmbeddedLog,
    status: SharedStatus,
    topics: SharedTopics,
    parent: &CancellationToken,
) -> RunningTask {
    let env = TaskEnv {
        worker_config: worker_config.clone(),
        log: Some(log.clone()),
        offsets: Arc::new(log.clone()),
    };
    spawn_on(&env, name, (0, 1), config, status, topics, parent)
}

/// What a task runs on: the worker's properties, its embedded log (standalone mode; `None` in
/// distributed mode, where records, offsets and dead letters are in Kafka) and where source
/// offsets go when records go to Kafka.
#[derive(Clone)]
pub(crate) struct TaskEnv {
    pub worker_config: ConfigMap,
    pub log: Option<EmbeddedLog>,
    pub offsets: Arc<dyn OffsetStore>,
}

/// Why a task cannot use what only a worker with a data directory has.
pub(crate) fn no_embedded_log(what: &str) -> String {
    format!("{what} needs the worker's embedded log, which a distributed worker does not have (its topics and offsets are in Kafka)")
}

/// Starts task `task.0` of connector `name`'s `task.1` tasks on `env`.
pub(crate) fn spawn_on(
    env: &TaskEnv,
    name: &str,
    task: (u32, u32),
    config: &ConfigMap,
    status: SharedStatus,
    topics: SharedTopics,
    parent: &CancellationToken,
) -> RunningTask {
    if plugins::is_sink(config) {
        return super::sink_task::spawn(env, name, task, config, status, topics, parent);
    }
    let cancel = parent.child_token();
    *lock(&status) = TaskStatus::new(State::Running);
    let config = &match &env.log {
        Some(log) => plugins::with_worker_defaults(config, name, log.dir()),
        None => config.clone(),
    };
    let worker_config = &env.worker_config;
    let built = build(name, config, worker_config);
    let (name, env, token) = (name.to_owned(), env.clone(), cancel.clone());
    let pausing = cdc_core::Pausing::default();
    let task_pausing = pausing.clone();
    let join = tokio::spawn(async move {
        let fail = |trace: String| {
            let mut s = lock(&status);
            s.state = State::Failed;
            s.trace = Some(trace);
        };
        let (source, mut converters, bounds, kafka, topic_rules) = match built {
            Ok(b) => b,
            Err(errors) => {
                error!(connector = %name, %errors, "cannot start the connector's task");
                fail(errors.to_string());
                return;
            }
        };
        if converters.needs_embedded_registry() {
            let Some(log) = &env.log else {
                let trace = no_embedded_log(
                    "an AvroConverter without schema.registry.url (the embedded schema registry)",
                );
                error!(connector = %name, error = %trace, "cannot start the connector's task");
                fail(trace);
                return;
            };
            match crate::registry::Registry::of(log) {
                Ok(r) => converters = converters.with_embedded_registry(r),
                Err(e) => {
                    error!(connector = %name, error = %e, "cannot open the embedded schema registry");
                    fail(format!("cannot open the embedded schema registry: {e}"));
                    return;
                }
            }
        }
        // Kafka when the worker has `bootstrap.servers`; offsets stay in the data directory.
        let backend: TopicBackend = match (kafka, env.log) {
            (None, None) => {
                let trace = no_embedded_log("a worker without bootstrap.servers");
                error!(connector = %name, error = %trace, "cannot start the connector's task");
                fail(trace);
                return;
            }
            (None, Some(log)) => match topic_rules {
                Some(rules) => log.with_topic_rules(rules).into(),
                None => log.into(),
            },
            (Some(settings), _) => {
                match KafkaBackend::start(&name, &settings, env.offsets, token.clone()) {
                    Ok(k) => k.into(),
                    Err(e) => {
                        error!(connector = %name, error = %e, "cannot start the connector's task");
                        fail(e.chain());
                        return;
                    }
                }
            }
        };
        let observer = Arc::new(Observer {
            connector: name.clone(),
            status: status.clone(),
            topics,
            pausing: task_pausing,
        });
        let result = runtime::run_source_observed(
            name.clone(),
            source,
            backend,
            converters,
            bounds,
            token.clone(),
            observer,
        )
        .await;
        ended(&name, &status, &token, result);
    });
    RunningTask {
        cancel,
        join,
        pausing,
    }
}

/// Records how a task's run ended: FAILED with the error chain, nothing when it was cancelled
/// (the herder sets the state it stopped the task for), UNASSIGNED when it ended by itself.
pub(super) fn ended(
    name: &str,
    status: &SharedStatus,
    token: &CancellationToken,
    result: Result<(), ConnectorError>,
) {
    let mut s = lock(status);
    match result {
        Err(e) => {
            error!(connector = %name, error = %e.chain(), "the connector's task failed");
            s.state = State::Failed;
            s.trace = Some(e.chain());
        }
        Ok(()) if token.is_cancelled() => {}
        Ok(()) => {
            info!(connector = %name, "the connector's task ended by itself");
            s.state = State::Unassigned;
        }
    }
}

type Built = (
    Box<dyn cdc_core::Source>,
    Converters,
    cdc_core::QueueBounds,
    Option<KafkaSettings>,
    Option<crate::log::TopicRules>,
);

fn build(
    name: &str,
    config: &ConfigMap,
    worker: &ConfigMap,
) -> Result<Built, cdc_core::ConfigErrors> {
    // `${env:}` / `${file:}` placeholders are resolved here, for the task only, and only for the
    // providers the worker's `config.providers` allows; the stored config keeps them unresolved.
    let providers = cdc_core::configdef::ConfigProviders::from_worker(worker)?;
    let resolved = providers.resolve(config)?;
    let config = &resolved;
    let converters = Converters::from_config(config, worker)?
        .with_context_headers(plugins::context_headers(config)?)
        .with_transforms(transforms::Chain::from_config(config)?)
        .with_tolerance(runtime::SourceTolerance::from_config(name, config)?)
        .with_retry(runtime::TransientRetry::from_config(config)?);
    let bounds = runtime::queue_bounds(config)?;
    let kafka = KafkaSettings::from_config(worker, config, name)?;
    // On the embedded log, topic.creation.* gives the retention of the topics it creates.
    let topic_rules = match kafka {
        None => Some(crate::log::TopicRules::from_config(worker, config)?),
        Some(_) => None,
    };
    // Checked again at each start: the worker's allowed paths may have changed since.
    plugins::file_access::check(worker, config)?;
    let source = plugins::make_source_on(config, kafka.as_ref())?;
    Ok((source, converters, bounds, kafka, topic_rules))
}
