//! Standalone mode: connectors from files, run on the embedded log of one data directory.

use std::path::Path;

use cdc_core::{ConfigErrors, ConfigMap, ConnectorError};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::connector_file::ConnectorFile;
use crate::log::{socket, EmbeddedLog, LogError};
use crate::plugins;
use crate::runtime::{self, Converters};

#[derive(Debug, thiserror::Error)]
pub enum StandaloneError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("connector {name:?} is misconfigured: {errors}")]
    Config { name: String, errors: ConfigErrors },
    #[error("two connector files define the connector {0:?}")]
    Duplicate(String),
    #[error("no connector file was given")]
    NoConnectors,
    #[error("{failed} of {total} connector(s) failed: {first}")]
    Failed {
        failed: usize,
        total: usize,
        first: String,
    },
}

/// Runs every connector until `shutdown` or until all have ended. Configs are validated, all at
/// once, before anything starts; the data directory's lock is taken before any connector runs.
pub async fn run(
    data_dir: &Path,
    connectors: Vec<ConnectorFile>,
    worker: ConfigMap,
    shutdown: CancellationToken,
) -> Result<(), StandaloneError> {
    if connectors.is_empty() {
        return Err(StandaloneError::NoConnectors);
    }
    let mut tasks: Vec<(
        String,
        Box<dyn cdc_core::Source>,
        Converters,
        cdc_core::QueueBounds,
    )> = Vec::new();
    for c in connectors {
        if tasks.iter().any(|(n, ..)| *n == c.name) {
            return Err(StandaloneError::Duplicate(c.name));
        }
        let config_error = |errors| StandaloneError::Config {
            name: c.name.clone(),
            errors,
        };
        let converters = Converters::from_config(&c.config, &worker).map_err(config_error)?;
        let bounds = runtime::queue_bounds(&c.config).map_err(config_error)?;
        let source = plugins::make_source(&c.config).map_err(config_error)?;
        tasks.push((c.name, source, converters, bounds));
    }

    let dir = data_dir.to_owned();
    let log = tokio::task::spawn_blocking(move || EmbeddedLog::open(&dir))
        .await
        .unwrap_or_else(|e| Err(LogError::RemoteFailed(e.to_string())))?;
    info!(data_dir = %data_dir.display(), "embedded log open");

    let socket_stop = CancellationToken::new();
    let server = match socket::bind(&log) {
        Ok(listener) => Some(tokio::spawn(socket::serve(
            log.clone(),
            listener,
            socket_stop.clone(),
        ))),
        Err(error) => {
            warn!(%error, path = %socket::socket_path(data_dir).display(),
                "cannot serve reads to other processes; `tributary topics` will not work while this worker runs");
            None
        }
    };

    let total = tasks.len();
    let mut set = JoinSet::new();
    for (name, source, converters, bounds) in tasks {
        let (log, stop) = (log.clone(), shutdown.clone());
        set.spawn(async move {
            let result =
                runtime::run_source(name.clone(), source, log, converters, bounds, stop).await;
            (name, result)
        });
    }
    let mut failures: Vec<(String, ConnectorError)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((name, Ok(()))) => info!(connector = %name, "connector stopped"),
            Ok((name, Err(e))) => {
                error!(connector = %name, error = %e, "connector failed");
                failures.push((name, e));
            }
            Err(e) => {
                error!(error = %e, "connector task panicked");
                failures.push(("?".into(), ConnectorError::fatal_msg(e.to_string())));
            }
        }
    }
    socket_stop.cancel();
    if let Some(server) = server {
        let _ = server.await;
    }
    match failures.first() {
        None => Ok(()),
        Some((name, e)) => Err(StandaloneError::Failed {
            failed: failures.len(),
            total,
            first: format!("{name}: {e}"),
        }),
    }
}
