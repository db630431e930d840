//! Standalone mode (connect-standalone): connectors from files, validated all at once before
//! anything starts, then run by the worker's herder with the REST API beside them.

use cdc_core::ConfigErrors;
use tokio_util::sync::CancellationToken;

use crate::connector_file::ConnectorFile;
use crate::plugins;
use crate::rest::Loggers;
use crate::runtime::{self, Converters};
use crate::worker::{self, WorkerError, WorkerExtras, WorkerSettings};

#[derive(Debug, thiserror::Error)]
pub enum StandaloneError {
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error("connector {name:?} is misconfigured: {errors}")]
    Config { name: String, errors: ConfigErrors },
    #[error("two connector files define the connector {0:?}")]
    Duplicate(String),
    #[error("no connector file was given")]
    NoConnectors,
}

/// Runs the files' connectors (created, or replacing stored ones of the same name) and any
/// connectors stored in the data directory, with the REST API, until `shutdown`. A REST port
/// that cannot be bound is logged and the connectors run without it.
pub async fn run(
    settings: WorkerSettings,
    connectors: Vec<ConnectorFile>,
    loggers: Option<Loggers>,
    shutdown: CancellationToken,
) -> Result<(), StandaloneError> {
    if connectors.is_empty() {
        return Err(StandaloneError::NoConnectors);
    }
    let mut names: Vec<&str> = Vec::new();
    for c in &connectors {
        if names.contains(&c.name.as_str()) {
            return Err(StandaloneError::Duplicate(c.name.clone()));
        }
        names.push(&c.name);
        let config_error = |errors| StandaloneError::Config {
            name: c.name.clone(),
            errors,
        };
        plugins::file_access::check(&settings.config.raw, &c.config).map_err(config_error)?;
        if plugins::is_sink(&c.config) {
            let worker = &settings.config.raw;
            runtime::sink::SinkSettings::from_config(&c.config, worker).map_err(config_error)?;
            runtime::sink::SinkConverters::from_config(&c.config, worker).map_err(config_error)?;
            plugins::make_sink(&c.config).map_err(config_error)?;
        } else {
            Converters::from_config(&c.config, &settings.config.raw).map_err(config_error)?;
            runtime::queue_bounds(&c.config).map_err(config_error)?;
            plugins::make_source(&c.config).map_err(config_error)?;
        }
    }
    let extras = WorkerExtras {
        connectors,
        loggers,
        rest_optional: true,
    };
    worker::run_worker_with(settings, extras, shutdown).await?;
    Ok(())
}
