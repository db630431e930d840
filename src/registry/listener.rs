//! Where the embedded registry's REST API listens: the worker property
//! `schema.registry.listeners` (like Confluent's `listeners`), default `http://127.0.0.1:8081`;
//! an empty value turns the listener off (converters in the worker still use the registry
//! in-process). A default port that is taken is logged and skipped; a configured one that
//! cannot be bound stops the worker.

use cdc_core::ConfigMap;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{api, Registry, RegistryError};
use crate::log::EmbeddedLog;

pub const PROPERTY: &str = "schema.registry.listeners";
pub const DEFAULT: &str = "http://127.0.0.1:8081";

/// `host:port` addresses to bind, and whether they were configured (not the default).
pub fn addresses(raw: &ConfigMap) -> Result<(Vec<String>, bool), String> {
    let (value, explicit) = match raw.get(PROPERTY) {
        Some(v) => (v.as_str(), true),
        None => (DEFAULT, false),
    };
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let rest = item.strip_prefix("http://").ok_or_else(|| {
            format!("invalid value {item:?} for configuration {PROPERTY}: must be http://<host>:<port> (the embedded registry serves plain HTTP)")
        })?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| {
            format!("invalid value {item:?} for configuration {PROPERTY}: no port")
        })?;
        let port: u16 = port.parse().map_err(|_| {
            format!("invalid value {item:?} for configuration {PROPERTY}: bad port {port:?}")
        })?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        out.push(if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        });
    }
    Ok((out, explicit))
}

/// Opens the registry of `log` and serves its REST API on `schema.registry.listeners` until
/// `shutdown`.
pub async fn start(
    log: &EmbeddedLog,
    raw: &ConfigMap,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<()>>, RegistryError> {
    let (addrs, explicit) = addresses(raw).map_err(RegistryError::BadRequest)?;
    if addrs.is_empty() {
        return Ok(Vec::new());
    }
    let registry = {
        let log = log.clone();
        tokio::task::spawn_blocking(move || Registry::of(&log))
            .await
            .map_err(|e| RegistryError::Storage(e.to_string()))??
    };
    let mut servers = Vec::new();
    for addr in addrs {
        let listener = match tokio::net::TcpListener::bind(&addr).await {
            Ok(l) => l,
            Err(e) if !explicit => {
                warn!(address = %addr, error = %e,
                    "cannot serve the embedded schema registry on its default address; set schema.registry.listeners to choose another");
                continue;
            }
            Err(e) => {
                return Err(RegistryError::Storage(format!(
                    "cannot listen on {addr} ({PROPERTY}): {e}"
                )))
            }
        };
        info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or(addr),
            "embedded schema registry listening");
        let router = api::router(registry.clone());
        let stop = shutdown.clone();
        servers.push(tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
        }));
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Option<&str>) -> ConfigMap {
        let mut m = ConfigMap::new();
        if let Some(v) = v {
            m.insert(PROPERTY.into(), v.into());
        }
        m
    }

    #[test]
    fn the_default_is_loopback_8081_and_empty_turns_it_off() {
        assert_eq!(
            addresses(&map(None)).unwrap(),
            (vec!["127.0.0.1:8081".into()], false)
        );
        assert_eq!(addresses(&map(Some(""))).unwrap(), (vec![], true));
        assert_eq!(
            addresses(&map(Some("http://:18081, http://[::1]:18082")))
                .unwrap()
                .0,
            vec!["0.0.0.0:18081".to_owned(), "[::1]:18082".to_owned()]
        );
        assert!(addresses(&map(Some("https://h:1")))
            .unwrap_err()
            .contains(PROPERTY));
        assert!(addresses(&map(Some("http://h"))).is_err());
    }
}
