//! `tributary distributed worker.properties` (Connect's `connect-distributed`): the REST API
//! first (503 until ready), then the three internal topics (created or checked), their
//! readers, the herder, and the group membership; no data directory is used.

use std::sync::Arc;
use std::time::Instant;

use cdc_core::ConfigErrors;
use connect_group::{DistributedSettings, Subprotocol};
use group_client::Lease;
use rdkafka::config::ClientConfig;
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::herder::DistributedHerder;
use super::stores::{ConfigStore, OffsetsStore, StatusStore};
use super::topic_log::{ensure_topic, InternalTopic};
use crate::herder::task::TaskEnv;
use crate::herder::Herder;
use crate::listener;
use crate::rest::{self, Loggers, RestState};
use crate::worker::{WorkerError, WorkerSettings, DEFAULT_LISTENER};

/// Why a distributed worker cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DistributedError {
    #[error("the worker's distributed properties are invalid: {0}")]
    Config(ConfigErrors),
    #[error("{0}")]
    Kafka(String),
    #[error(transparent)]
    Worker(#[from] Box<WorkerError>),
}

/// The worker's properties Connect's internal clients use to reach the brokers: the top-level
/// `bootstrap.servers`, `security.protocol`, `sasl.*` and (for SSL and SASL_SSL) `ssl.*`, in
/// librdkafka's names (Java-only names translated as for producers, `kafka::config::translate`).
fn internal_client(
    worker: &cdc_core::ConfigMap,
    worker_id: &str,
) -> Result<ClientConfig, ConfigErrors> {
    let mut problems = Vec::new();
    let mut client = ClientConfig::new();
    if let Some(b) = crate::kafka::config::bootstrap_servers(worker) {
        client.set("bootstrap.servers", b);
    }
    let protocol = worker
        .get("security.protocol")
        .map(|p| p.trim().to_ascii_uppercase())
        .unwrap_or_else(|| "PLAINTEXT".into());
    let tls = protocol.ends_with("SSL");
    for (key, value) in worker {
        let wanted = key == "security.protocol"
            || key.starts_with("sasl.")
            || (tls && key.starts_with("ssl."));
        if !wanted {
            continue;
        }
        match crate::kafka::config::translate(key, value) {
            Ok(pairs) => {
                for (k, v) in pairs {
                    client.set(k, v);
                }
            }
            Err(message) => problems.push(cdc_core::ConfigProblem {
                property: key.clone(),
                value: None,
                message,
            }),
        }
    }
    client.set("client.id", format!("connect-{worker_id}"));
    if problems.is_empty() {
        Ok(client)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// The group membership client's TLS and SASL, from the internal clients' settings.
fn group_security(client: &ClientConfig) -> Result<group_client::Security, ConfigErrors> {
    let get = |k: &str| client.get(k).map(str::trim).filter(|v| !v.is_empty());
    let protocol = get("security.protocol")
        .unwrap_or("PLAINTEXT")
        .to_ascii_uppercase();
    let problem = |property: &str, message: String| {
        ConfigErrors(vec![cdc_core::ConfigProblem {
            property: property.into(),
            value: None,
            message,
        }])
    };
    let (tls, sasl) = match protocol.as_str() {
        "PLAINTEXT" => (false, false),
        "SSL" => (true, false),
        "SASL_PLAINTEXT" => (false, true),
        "SASL_SSL" => (true, true),
        other => {
            return Err(problem(
                "security.protocol",
                format!("{other:?} is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
            ))
        }
    };
    let mut security = group_client::Security::default();
    if tls {
        // What librdkafka would use but the group client cannot: refused, not ignored.
        for key in [
            "ssl.keystore.location",
            "ssl.ca.pem",
            "ssl.certificate.pem",
            "ssl.key.pem",
        ] {
            if get(key).is_some() {
                return Err(problem(
                    key,
                    "a distributed worker's group membership reads PEM files: give ssl.ca.location, ssl.certificate.location and ssl.key.location".into(),
                ));
            }
        }
        if get("ssl.certificate.location").is_some() != get("ssl.key.location").is_some() {
            return Err(problem(
                "ssl.key.location",
                "a client certificate needs both ssl.certificate.location and ssl.key.location"
                    .into(),
            ));
        }
        use cdc_core::tls::{ClientTls, Identity, Roots, Verify};
        let roots = match get("ssl.ca.location") {
            Some(path) => Roots::Pem {
                property: "ssl.ca.location".into(),
                path: path.into(),
            },
            None => Roots::BuiltIn,
        };
        let identity = match (get("ssl.certificate.location"), get("ssl.key.location")) {
            (Some(cert), Some(key)) => Some(Identity {
                cert_property: "ssl.certificate.location".into(),
                cert: cert.into(),
                key_property: "ssl.key.location".into(),
                key: key.into(),
                key_password: get("ssl.key.password").map(|p| cdc_core::Secret::new(p.to_owned())),
            }),
            _ => None,
        };
        // librdkafka's (and Java's) default checks the broker's host name.
        let verify = match get("ssl.endpoint.identification.algorithm") {
            Some(a) if a.eq_ignore_ascii_case("none") => Verify::Chain,
            _ => Verify::Full,
        };
        let config = ClientTls {
            verify,
            roots,
            identity,
        }
        .client_config()
        .map_err(|e| problem(&e.property, e.message))?;
        security.tls = Some(config);
    }
    if sasl {
        let name = get("sasl.mechanism")
            .or_else(|| get("sasl.mechanisms"))
            .unwrap_or("GSSAPI");
        let mechanism = group_client::Mechanism::parse(name).ok_or_else(|| {
            problem(
                "sasl.mechanism",
                format!("{name:?}: a distributed worker's group membership speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512"),
            )
        })?;
        let (Some(username), Some(password)) = (get("sasl.username"), get("sasl.password")) else {
            return Err(problem(
                "sasl.jaas.config",
                "SASL needs a username and password: a PlainLoginModule or ScramLoginModule sasl.jaas.config (or sasl.username and sasl.password)".into(),
            ));
        };
        security.sasl = Some(group_client::Sasl {
            mechanism,
            username: username.to_owned(),
            password: password.to_owned(),
        });
    }
    Ok(security)
}

/// Reads and checks what distributed mode needs beyond a worker's own properties.
pub fn settings(worker: &cdc_core::ConfigMap) -> Result<DistributedSettings, ConfigErrors> {
    let settings = DistributedSettings::read(worker)?;
    let mut problems = Vec::new();
    if crate::kafka::config::bootstrap_servers(worker).is_none() {
        problems.push(cdc_core::ConfigProblem {
            property: "bootstrap.servers".into(),
            value: None,
            message: "a distributed worker keeps its configs, offsets and statuses in Kafka: set bootstrap.servers".into(),
        });
    }
    if settings.protocol == Subprotocol::Default {
        problems.push(cdc_core::ConfigProblem {
            property: "connect.protocol".into(),
            value: worker.get("connect.protocol").cloned(),
            message: "eager (stop-the-world) rebalancing is not supported; use compatible or sessioned (the default)".into(),
        });
    }
    // What the internal clients and the group membership would connect with.
    match internal_client(worker, "check") {
        Ok(client) => {
            if let Err(e) = group_security(&client) {
                problems.extend(e.0);
            }
        }
        Err(e) => problems.extend(e.0),
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Runs one worker of the cluster until `shutdown`.
pub async fn run(
    worker: WorkerSettings,
    loggers: Option<Loggers>,
    shutdown: CancellationToken,
) -> Result<(), DistributedError> {
    let started = Instant::now();
    let raw = worker.config.raw.clone();
    let settings = settings(&raw).map_err(DistributedError::Config)?;
    let loggers = loggers.unwrap_or_else(|| Loggers::new("info", None));
    let state = RestState::new(loggers, raw.clone());
    let server_stop = CancellationToken::new();
    let server = listener::serve(
        rest::router(state.clone()),
        &worker.config,
        server_stop.clone(),
    )
    .await
    .map_err(|e| Box::new(WorkerError::Listen(e)))?;
    let bound = server
        .listeners()
        .first()
        .map(|b| b.address)
        .unwrap_or(DEFAULT_LISTENER);
    // The advertised URL (rest.advertised.*), with the port actually bound for port 0.
    let url = match worker.config.advertised_url() {
        Some(u) if worker.config.advertised.port.is_some() || !u.ends_with(":0/") => u,
        _ => format!("http://{bound}/"),
    };
    let worker_id = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();

    let client = internal_client(&raw, &worker_id).map_err(DistributedError::Config)?;
    let security = group_security(&client).map_err(DistributedError::Config)?;
    let (config_client, s) = (client.clone(), settings.clone());
    tokio::task::spawn_blocking(move || {
        ensure_topic(&config_client, InternalTopic::Config, &s.config_topic)?;
        ensure_topic(&config_client, InternalTopic::Offsets, &s.offset_topic)?;
        ensure_topic(&config_client, InternalTopic::Status, &s.status_topic)
    })
    .await
    .map_err(|e| DistributedError::Kafka(e.to_string()))?
    .map_err(DistributedError::Kafka)?;

    let lease = Lease::new(settings.session_timeout);
    let (changes_tx, changes) = tokio::sync::mpsc::unbounded_channel();
    let (c, s2) = (client.clone(), settings.clone());
    let l = lease.clone();
    let (config, status, offsets) = tokio::task::spawn_blocking(move || {
        // A task's start reads the whole offsets topic: more time than a round's catch-up.
        let read = s2
            .worker_sync_timeout
            .max(std::time::Duration::from_secs(60));
        let offsets = OffsetsStore::start(&c, &s2.offset_topic.name, l, read)?;
        let status = StatusStore::start(&c, &s2.status_topic.name)?;
        let config = ConfigStore::start(&c, &s2.config_topic.name, changes_tx)?;
        Ok::<_, String>((config, status, offsets))
    })
    .await
    .map_err(|e| DistributedError::Kafka(e.to_string()))?
    .map_err(DistributedError::Kafka)?;
    config
        .read_to_end(settings.worker_sync_timeout)
        .await
        .map_err(DistributedError::Kafka)?;
    status
        .read_to_end(settings.worker_sync_timeout)
        .await
        .map_err(DistributedError::Kafka)?;
    let offsets = Arc::new(offsets);
    let env = TaskEnv {
        worker_config: raw.clone(),
        log: None,
        offsets: offsets.clone(),
    };
    let tasks_stop = shutdown.child_token();
    let herder = DistributedHerder::new(
        security,
        worker_id.clone(),
        url.clone(),
        settings,
        raw,
        env,
        config,
        status,
        offsets,
        lease,
        tasks_stop.clone(),
    );
    let group_stop = CancellationToken::new();
    let follow = tokio::spawn(super::group::follow_changes(
        herder.clone(),
        changes,
        group_stop.clone(),
    ));
    let publish = tokio::spawn(super::group::publish_statuses(
        herder.clone(),
        group_stop.clone(),
    ));
    let watchdog = tokio::spawn(super::group::watchdog(herder.clone(), group_stop.clone()));
    let group = tokio::spawn(super::group::run(herder.clone(), group_stop.clone()));
    state.set_herder(Herder::Distributed(herder.clone()));
    info!(
        worker_id = %worker_id,
        url = %url,
        ready_ms = started.elapsed().as_millis() as u64,
        "distributed worker ready"
    );

    shutdown.cancelled().await;
    // Leave the group (stopping every task first), then stop the readers and the REST API.
    group_stop.cancel();
    let _ = group.await;
    let _ = follow.await;
    let _ = publish.await;
    let _ = watchdog.await;
    herder.shutdown().await;
    server_stop.cancel();
    server
        .wait()
        .await
        .map_err(|e| Box::new(WorkerError::Listen(e)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    const BASE: &[(&str, &str)] = &[
        ("group.id", "g"),
        ("config.storage.topic", "c"),
        ("offset.storage.topic", "o"),
        ("status.storage.topic", "s"),
    ];

    #[test]
    fn what_a_distributed_worker_cannot_do_is_refused_by_name() {
        let mut m = map(BASE);
        m.insert("connect.protocol".into(), "eager".into());
        m.insert("security.protocol".into(), "SASL_SSL".into());
        m.insert("sasl.mechanism".into(), "GSSAPI".into());
        let e = settings(&m).unwrap_err();
        let named: Vec<&str> = e.0.iter().map(|p| p.property.as_str()).collect();
        assert_eq!(
            named,
            ["bootstrap.servers", "connect.protocol", "sasl.mechanism"],
            "{e}"
        );
        let mut m = map(BASE);
        m.insert("bootstrap.servers".into(), "k:9092".into());
        m.insert("security.protocol".into(), "plaintext".into());
        assert!(settings(&m).is_ok());
    }
}
