//! The worker: the REST API and the herder on one data directory (`tributary serve`, and
//! `tributary standalone`, which also creates connectors from files).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use cdc_core::ConfigMap;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::connector_file::ConnectorFile;
use crate::herder::{Herder, HerderError, Standalone};
use crate::listener::{self, ListenerError};
use crate::log::{socket, EmbeddedLog, LogError};
use crate::rest::{self, Loggers, RestState};
use crate::worker_config::{Listener, Scheme, WorkerConfig};

/// Connect's default REST listener (`listeners=http://:8083`), on loopback only.
pub const DEFAULT_LISTENER: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8083);

/// How to run a worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub data_dir: PathBuf,
    /// The worker properties: listeners, TLS, basic auth, and in `raw` everything else
    /// (`key.converter`, `config.providers`, `topic.tracking.enable`, ...).
    pub config: WorkerConfig,
}

impl WorkerSettings {
    pub fn new(data_dir: PathBuf) -> Self {
        WorkerSettings {
            data_dir,
            config: WorkerConfig::default(),
        }
    }

    /// Replaces the listeners with one plain HTTP listener on `addr` (`--listen`).
    pub fn listen_on(mut self, addr: SocketAddr) -> Self {
        self.config.listeners = vec![Listener {
            scheme: Scheme::Http,
            host: addr.ip().to_string(),
            port: addr.port(),
        }];
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("cannot serve the REST API")]
    Listen(#[source] ListenerError),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("cannot start the herder")]
    Herder(#[source] HerderError),
    #[error("cannot serve the embedded schema registry")]
    Registry(#[source] crate::registry::RegistryError),
    #[error("connector {name:?} from a file cannot be created")]
    Connector {
        name: String,
        #[source]
        source: HerderError,
    },
}

/// Options beyond [`WorkerSettings`] (standalone mode and the binary's log levels).
#[derive(Default)]
pub struct WorkerExtras {
    /// Connectors created (or replaced) at start, as connect-standalone's files.
    pub connectors: Vec<ConnectorFile>,
    /// Runtime log levels (`/admin/loggers`); recorded only when absent.
    pub loggers: Option<Loggers>,
    /// Keep running without the REST API when its port cannot be bound (standalone mode).
    pub rest_optional: bool,
}

/// Runs the REST worker until `shutdown`.
pub async fn run_worker(
    worker: WorkerSettings,
    shutdown: CancellationToken,
) -> Result<(), WorkerError> {
    run_worker_with(worker, WorkerExtras::default(), shutdown).await
}

/// [`run_worker`] with files' connectors, log levels and standalone's optional REST API.
pub async fn run_worker_with(
    worker: WorkerSettings,
    extras: WorkerExtras,
    shutdown: CancellationToken,
) -> Result<(), WorkerError> {
    let started = Instant::now();
    // Bind before any blocking work, so the API answers (503 `starting`) at once.
    let loggers = extras.loggers.unwrap_or_else(|| Loggers::new("info", None));
    let state = RestState::new(loggers, worker.config.raw.clone());
    let server_stop = CancellationToken::new();
    let server = match listener::serve(
        rest::router(state.clone()),
        &worker.config,
        server_stop.clone(),
    )
    .await
    {
        Ok(s) => Some(s),
        Err(error) if extras.rest_optional => {
            warn!(%error, "cannot serve the REST API; running the connectors without it");
            None
        }
        Err(error) => return Err(WorkerError::Listen(error)),
    };
    let worker_id = server
        .as_ref()
        .and_then(|s| s.listeners().first().map(|b| b.address.to_string()))
        .or_else(|| {
            worker
                .config
                .listeners
                .first()
                .map(|l| format!("{}:{}", l.host, l.port))
        })
        .unwrap_or_else(|| DEFAULT_LISTENER.to_string());

    let log = open_log(&worker.data_dir).await?;
    info!(data_dir = %worker.data_dir.display(), "embedded log open");
    // Topic retention (log.retention.*, and each topic's retention.ms/retention.bytes) and
    // compaction (cleanup.policy=compact topics, log.cleaner.*).
    let retention = log.start_cleanup(worker.config.retention, worker.config.cleaner);
    // After a storage I/O error (a full disk), the log is reopened once the storage works.
    let recovery = tokio::spawn(recover_storage(log.clone(), shutdown.child_token()));
    let socket_stop = CancellationToken::new();
    let socket_server = match socket::bind(&log) {
        Ok(l) => Some(tokio::spawn(socket::serve(
            log.clone(),
            l,
            socket_stop.clone(),
        ))),
        Err(error) => {
            warn!(%error, path = %socket::socket_path(&worker.data_dir).display(),
                "cannot serve reads to other processes; `tributary topics` will not work while this worker runs");
            None
        }
    };

    let registry_servers =
        crate::registry::listener::start(&log, &worker.config, server_stop.clone())
            .await
            .map_err(WorkerError::Registry)?;

    let secrets = crate::secrets::Secrets::load(&worker.config.raw, &worker.data_dir, &|n| {
        std::env::var(n).ok()
    })
    .map_err(|e| WorkerError::Herder(crate::herder::HerderError::Secrets(e.to_string())))?;
    info!(
        key = secrets.key_id(),
        "secrets at rest sealed with this key"
    );
    let herder: Herder = Standalone::start(
        log,
        std::sync::Arc::new(secrets),
        worker_id,
        worker.config.raw.clone(),
        shutdown.child_token(),
    )
    .await
    .map_err(WorkerError::Herder)?
    .into();
    for c in extras.connectors {
        herder
            .put_connector_config(&c.name, with_name(&c.name, c.config), None, true)
            .await
            .map_err(|source| WorkerError::Connector {
                name: c.name.clone(),
                source,
            })?;
    }
    state.set_herder(herder.clone());
    info!(
        ready_ms = started.elapsed().as_millis() as u64,
        "worker ready"
    );

    shutdown.cancelled().await;
    recovery.abort();
    herder.shutdown().await;
    let _ = tokio::task::spawn_blocking(move || retention.stop()).await;
    server_stop.cancel();
    socket_stop.cancel();
    if let Some(s) = socket_server {
        let _ = s.await;
    }
    for s in registry_servers {
        let _ = s.await;
    }
    if let Some(s) = server {
        s.wait().await.map_err(WorkerError::Listen)?;
    }
    Ok(())
}

fn with_name(name: &str, mut config: ConfigMap) -> ConfigMap {
    config
        .entry("name".into())
        .or_insert_with(|| name.to_owned());
    config
}

/// How long a worker waits for the data directory's lock before giving up.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Opens the embedded log, waiting up to [`LOCK_WAIT`] while the directory is locked: the lock
/// of a process that was just killed can outlive it briefly (the kernel may release a dead
/// process's files after its parent has already reaped it), which a supervisor restarting the
/// worker at once would otherwise hit. A directory still locked after that is in use.
async fn open_log(data_dir: &std::path::Path) -> Result<EmbeddedLog, LogError> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    let mut waiting = false;
    loop {
        let dir = data_dir.to_owned();
        let opened = tokio::task::spawn_blocking(move || EmbeddedLog::open(&dir))
            .await
            .unwrap_or_else(|e| Err(LogError::RemoteFailed(e.to_string())));
        match opened {
            Err(LogError::Locked { .. }) if std::time::Instant::now() < deadline => {
                if !waiting {
                    info!(data_dir = %data_dir.display(), "the data directory is locked; waiting briefly in case its last holder is still exiting");
                    waiting = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// Every second while the embedded log is failed (a storage I/O error), tries to reopen it;
/// `/health` says unhealthy meanwhile.
async fn recover_storage(log: EmbeddedLog, stop: CancellationToken) {
    let mut attempts = 0u32;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
        if log.failure().is_none() {
            attempts = 0;
            continue;
        }
        let l = log.clone();
        match tokio::task::spawn_blocking(move || l.recover()).await {
            Ok(Ok(_)) => attempts = 0,
            Ok(Err(error)) => {
                attempts += 1;
                // Every attempt at first, then once a minute.
                if attempts <= 3 || attempts.is_multiple_of(60) {
                    warn!(%error, attempts, "the embedded log cannot be reopened yet; /health stays unhealthy (free disk space if it is full, else restart the worker)");
                }
            }
            Err(error) => warn!(%error, "reopening the embedded log panicked"),
        }
    }
}
