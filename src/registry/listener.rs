//! Where the embedded registry's REST API listens: the worker property
//! `schema.registry.listeners` (like Confluent's `listeners`), default `http://127.0.0.1:8081`;
//! an empty value turns the listener off (converters in the worker still use the registry
//! in-process). A default port that is taken is logged and skipped; a configured one that
//! cannot be bound stops the worker.
//!
//! The registry is guarded as the REST API is: with the worker's basic authentication
//! (`rest.extension.classes=...BasicAuthSecurityRestExtension`) every request needs the same
//! credentials, and `https://` listeners serve TLS with the REST listener's certificate
//! settings (`listeners.https.ssl.*`, `ssl.*`).

use cdc_core::ConfigMap;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{api, Registry, RegistryError};
use crate::listener::auth::BasicAuth;
use crate::listener::tls;
use crate::log::EmbeddedLog;
use crate::worker_config::{Scheme, WorkerConfig};

pub const PROPERTY: &str = "schema.registry.listeners";
pub const DEFAULT: &str = "http://127.0.0.1:8081";

/// `(scheme, host:port)` addresses to bind, and whether they were configured (not the
/// default).
pub fn addresses(raw: &ConfigMap) -> Result<(Vec<(Scheme, String)>, bool), String> {
    let (value, explicit) = match raw.get(PROPERTY) {
        Some(v) => (v.as_str(), true),
        None => (DEFAULT, false),
    };
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (scheme, rest) = if let Some(rest) = item.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = item.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(format!(
                "invalid value {item:?} for configuration {PROPERTY}: must be http://<host>:<port> or https://<host>:<port>"
            ));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| {
            format!("invalid value {item:?} for configuration {PROPERTY}: no port")
        })?;
        let port: u16 = port.parse().map_err(|_| {
            format!("invalid value {item:?} for configuration {PROPERTY}: bad port {port:?}")
        })?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        out.push((
            scheme,
            if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            },
        ));
    }
    Ok((out, explicit))
}

/// Opens the registry of `log` and serves its REST API on `schema.registry.listeners` until
/// `shutdown`, behind the worker's basic authentication and TLS settings.
pub async fn start(
    log: &EmbeddedLog,
    worker: &WorkerConfig,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<()>>, RegistryError> {
    let (addrs, explicit) = addresses(&worker.raw).map_err(RegistryError::BadRequest)?;
    if addrs.is_empty() {
        return Ok(Vec::new());
    }
    let tls = match (&worker.tls, addrs.iter().any(|(s, _)| *s == Scheme::Https)) {
        (Some(settings), true) => Some(
            tls::server_config(settings)
                .map_err(|e| RegistryError::BadRequest(e.to_string()))?,
        ),
        (None, true) => {
            return Err(RegistryError::BadRequest(format!(
                "{PROPERTY} has an https:// listener but the worker has no TLS settings: set the REST listener's (listeners.https.ssl.keystore.location, ... or ssl.*), which the registry shares"
            )))
        }
        (_, false) => None,
    };
    let registry = {
        let log = log.clone();
        tokio::task::spawn_blocking(move || Registry::of(&log))
            .await
            .map_err(|e| RegistryError::Storage(e.to_string()))??
    };
    let router = api::router(registry);
    let router = match &worker.basic_auth {
        Some(settings) => BasicAuth::load(settings)
            .map_err(|e| RegistryError::BadRequest(e.to_string()))?
            .protect(router),
        None => router,
    };
    let mut servers = Vec::new();
    for (scheme, addr) in addrs {
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
            scheme = scheme.as_str(), basic_auth = worker.basic_auth.is_some(),
            "embedded schema registry listening");
        let app = router.clone().into_make_service();
        let stop = shutdown.clone();
        servers.push(match (scheme, &tls) {
            (Scheme::Https, Some(config)) => {
                let listener = tls::TlsListener::new(listener, config.clone());
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async move { stop.cancelled().await })
                        .await;
                })
            }
            _ => tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
            }),
        });
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
            (vec![(Scheme::Http, "127.0.0.1:8081".into())], false)
        );
        assert_eq!(addresses(&map(Some(""))).unwrap(), (vec![], true));
        assert_eq!(
            addresses(&map(Some("http://:18081, http://[::1]:18082")))
                .unwrap()
                .0,
            vec![
                (Scheme::Http, "0.0.0.0:18081".to_owned()),
                (Scheme::Http, "[::1]:18082".to_owned())
            ]
        );
        assert_eq!(
            addresses(&map(Some("https://h:1"))).unwrap().0,
            vec![(Scheme::Https, "h:1".to_owned())]
        );
        assert!(addresses(&map(Some("ftp://h:1")))
            .unwrap_err()
            .contains(PROPERTY));
        assert!(addresses(&map(Some("http://h"))).is_err());
    }
}
