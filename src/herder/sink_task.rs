//! One sink task: built from the connector's config, run with `runtime::sink::run_sink` on the
//! embedded log or on Kafka (`bootstrap.servers`), its status kept where the herder reads it
//! (as `super::task` does for sources).

use std::sync::Arc;

use cdc_core::{ConfigErrors, ConfigMap, SinkTask};
use tokio_util::sync::CancellationToken;
use tracing::error;

use super::entities::State;
use super::task::{
    lock, no_embedded_log, Observer, RunningTask, SharedStatus, SharedTopics, TaskEnv, TaskStatus,
};
use crate::kafka::config::ProducerProperties;
use crate::plugins;
use crate::runtime::sink::{
    self, DeadLetterQueue, KafkaDeadLetterQueue, KafkaSide, LogConsumer, LogDeadLetterQueue,
    LogSide, SinkConsumer, SinkConverters, SinkSettings,
};

/// Starts the task of sink connector `name`; its status goes RUNNING now and FAILED (with the
/// error chain as `trace`) if it cannot be built or ends with a fatal error.
pub(crate) fn spawn(
    env: &TaskEnv,
    name: &str,
    (task_id, tasks): (u32, u32),
    config: &ConfigMap,
    status: SharedStatus,
    topics: SharedTopics,
    parent: &CancellationToken,
) -> RunningTask {
    let cancel = parent.child_token();
    *lock(&status) = TaskStatus::new(State::Running);
    let built = build(name, task_id, config, &env.worker_config);
    let (name, log, token) = (name.to_owned(), env.log.clone(), cancel.clone());
    let join = tokio::spawn(async move {
        let (task, mut converters, settings, kafka, producer) = match built {
            Ok(b) => b,
            Err(errors) => return cannot_start(&name, &status, errors.to_string()),
        };
        // AvroConverters without schema.registry.url read the worker's embedded registry.
        if converters.key.needs_embedded_registry() || converters.value.needs_embedded_registry() {
            let Some(log) = &log else {
                let trace = no_embedded_log(
                    "an AvroConverter without schema.registry.url (the embedded schema registry)",
                );
                return cannot_start(&name, &status, trace);
            };
            match crate::registry::Registry::of(log) {
                Ok(r) => {
                    converters.key.use_embedded_registry(r.clone());
                    converters.value.use_embedded_registry(r);
                }
                Err(e) => {
                    let trace = format!("cannot open the embedded schema registry: {e}");
                    return cannot_start(&name, &status, trace);
                }
            }
        }
        // Dead letters go to the backend the task reads from.
        let errors = &settings.errors;
        let dlq = match (&errors.dlq_topic, &producer) {
            (None, _) => None,
            (Some(topic), None) => Some(DeadLetterQueue::Log(LogDeadLetterQueue {
                log: match &log {
                    Some(log) => log.clone(),
                    None => {
                        return cannot_start(
                            &name,
                            &status,
                            no_embedded_log("a dead letter queue on the embedded log"),
                        )
                    }
                },
                topic: topic.clone(),
                connector: name.clone(),
                context_headers: errors.dlq_context_headers,
            })),
            (Some(topic), Some(props)) => {
                let started = KafkaDeadLetterQueue::start(
                    props,
                    topic,
                    errors.dlq_replication_factor,
                    &name,
                    errors.dlq_context_headers,
                )
                .await;
                match started {
                    Ok(q) => Some(DeadLetterQueue::Kafka(q)),
                    Err(e) => return cannot_start(&name, &status, e.chain()),
                }
            }
        };
        let consumer: Box<dyn SinkConsumer> = match (kafka, log) {
            (None, None) => {
                return cannot_start(
                    &name,
                    &status,
                    no_embedded_log("a worker without bootstrap.servers"),
                )
            }
            (None, Some(log)) => Box::new(LogSide {
                consumer: LogConsumer::new(log.clone(), settings.topics.clone())
                    .with_offset_reset(settings.offset_reset),
                log,
                connector: name.clone(),
            }),
            (Some(props), _) => match KafkaSide::new(&props, settings.topics.clone()) {
                Ok(k) => Box::new(k.with_share(task_id, tasks)),
                Err(e) => return cannot_start(&name, &status, e.chain()),
            },
        };
        let observer = Arc::new(Observer {
            connector: name.clone(),
            status: status.clone(),
            topics,
            pausing: cdc_core::Pausing::default(),
        });
        let result = sink::run_sink(
            &name,
            task,
            consumer,
            converters,
            settings,
            dlq,
            token.clone(),
            observer,
        )
        .await;
        super::task::ended(&name, &status, &token, result);
    });
    RunningTask {
        cancel,
        join,
        pausing: cdc_core::Pausing::default(),
    }
}

/// The task could not start: FAILED with `trace`.
fn cannot_start(name: &str, status: &SharedStatus, trace: String) {
    error!(connector = %name, error = %trace, "cannot start the connector's task");
    let mut s = lock(status);
    s.state = State::Failed;
    s.trace = Some(trace);
}

type Built = (
    Box<dyn SinkTask>,
    SinkConverters,
    SinkSettings,
    Option<ProducerProperties>,
    Option<ProducerProperties>,
);

fn build(
    name: &str,
    task_id: u32,
    config: &ConfigMap,
    worker: &ConfigMap,
) -> Result<Built, ConfigErrors> {
    let providers = cdc_core::configdef::ConfigProviders::from_worker(worker)?;
    let config = &providers.resolve(config)?;
    let settings = SinkSettings::from_config(config, worker)?;
    let converters = SinkConverters::from_config(config, worker)?;
    plugins::file_access::check(worker, config)?;
    let task = plugins::make_sink(config)?;
    // On Kafka when the worker has `bootstrap.servers`, else on the embedded log.
    let kafka = crate::kafka::config::bootstrap_servers(worker)
        .map(|_| crate::kafka::config::consumer_properties(worker, config, name, task_id))
        .transpose()?;
    // The dead-letter queue's producer, on Kafka.
    let producer = match (&settings.errors.dlq_topic, &kafka) {
        (Some(_), Some(_)) => Some(crate::kafka::config::producer_properties(
            worker, config, name, task_id,
        )?),
        _ => None,
    };
    Ok((task, converters, settings, kafka, producer))
}
