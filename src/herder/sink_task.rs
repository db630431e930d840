//! One sink task: built from the connector's config, run with `runtime::sink::run_sink` on the
//! embedded log, its status kept where the herder reads it (as `super::task` does for sources).

use std::sync::Arc;

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem, SinkTask};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use super::entities::State;
use super::task::{lock, Observer, RunningTask, SharedStatus, SharedTopics, TaskStatus};
use crate::log::EmbeddedLog;
use crate::plugins;
use crate::runtime::sink::{self, LogConsumer, LogSide, SinkConverters, SinkSettings};

/// Starts the task of sink connector `name`; its status goes RUNNING now and FAILED (with the
/// error chain as `trace`) if it cannot be built or ends with a fatal error.
pub(crate) fn spawn(
    name: &str,
    config: &ConfigMap,
    worker_config: &ConfigMap,
    log: &EmbeddedLog,
    status: SharedStatus,
    topics: SharedTopics,
    parent: &CancellationToken,
) -> RunningTask {
    let cancel = parent.child_token();
    *lock(&status) = TaskStatus::new(State::Running);
    let built = build(config, worker_config);
    let (name, log, token) = (name.to_owned(), log.clone(), cancel.clone());
    let join = tokio::spawn(async move {
        let (task, converters, settings) = match built {
            Ok(b) => b,
            Err(errors) => {
                error!(connector = %name, %errors, "cannot start the connector's task");
                let mut s = lock(&status);
                s.state = State::Failed;
                s.trace = Some(errors.to_string());
                return;
            }
        };
        let consumer = Box::new(LogSide {
            consumer: LogConsumer::new(log.clone(), settings.topics.clone())
                .with_offset_reset(settings.offset_reset),
            log,
            connector: name.clone(),
        });
        let observer = Arc::new(Observer {
            connector: name.clone(),
            status: status.clone(),
            topics,
        });
        let result = sink::run_sink(
            &name,
            task,
            consumer,
            converters,
            settings,
            token.clone(),
            observer,
        )
        .await;
        let mut s = lock(&status);
        match result {
            Err(e) => {
                error!(connector = %name, error = %e.chain(), "sink task failed");
                s.state = State::Failed;
                s.trace = Some(e.chain());
            }
            Ok(()) if token.is_cancelled() => {}
            Ok(()) => {
                info!(connector = %name, "the connector's task ended by itself");
                s.state = State::Unassigned;
            }
        }
    });
    RunningTask { cancel, join }
}

fn build(
    config: &ConfigMap,
    worker: &ConfigMap,
) -> Result<(Box<dyn SinkTask>, SinkConverters, SinkSettings), ConfigErrors> {
    let providers = cdc_core::configdef::ConfigProviders::from_worker(worker)?;
    let config = &providers.resolve(config)?;
    if worker.contains_key("bootstrap.servers") {
        return Err(ConfigErrors(vec![ConfigProblem {
            property: "connector.class".into(),
            value: config.get("connector.class").cloned(),
            message: "sink connectors run on the embedded log only for now: a worker with \
                      bootstrap.servers cannot run them yet (issue 14)"
                .into(),
        }]));
    }
    let settings = SinkSettings::from_config(config, worker)?;
    let converters = SinkConverters::from_config(config, worker)?;
    let task = plugins::make_sink(config)?;
    Ok((task, converters, settings))
}
