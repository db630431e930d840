//! The REST listeners: every `listeners` entry bound (HTTP and/or HTTPS), basic auth wrapped
//! around whatever router the REST API provides, graceful shutdown.
//!
//! * [`serve`] binds and starts serving; [`RestServer::wait`] ends once `shutdown` is cancelled
//!   and the open requests are answered.
//! * [`check`] opens the TLS material and the credentials file without binding anything, so
//!   `WorkerConfig::load` reports their problems with the others.
//! * [`tls`]: PEM → rustls, and the TLS listener; [`auth`]: basic auth and Connect's JAAS file.

pub mod auth;
pub mod tls;

use std::fmt;
use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use cdc_core::{ConfigErrors, ConfigProblem};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::info;

pub use auth::BasicAuth;

use crate::worker_config::{Scheme, WorkerConfig};

#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    #[error("the REST listener settings are invalid:{}", list(.0))]
    Config(ConfigErrors),
    #[error("cannot listen on {listener}")]
    Bind {
        listener: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the REST listener on {address} failed")]
    Serve {
        address: String,
        #[source]
        source: std::io::Error,
    },
}

fn list(errors: &ConfigErrors) -> String {
    errors.0.iter().map(|p| format!("\n  {p}")).collect()
}

/// A listener that is bound and serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundListener {
    pub scheme: Scheme,
    pub address: SocketAddr,
}

impl fmt::Display for BoundListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.address)
    }
}

/// The running REST listeners; they stop when the `shutdown` given to [`serve`] is cancelled.
#[derive(Debug)]
pub struct RestServer {
    bound: Vec<BoundListener>,
    tasks: JoinSet<Result<(), ListenerError>>,
}

impl RestServer {
    /// The bound addresses, in `listeners` order (with the real port when 0 was asked for).
    pub fn listeners(&self) -> &[BoundListener] {
        &self.bound
    }

    /// The first bound listener of a scheme.
    pub fn address(&self, scheme: Scheme) -> Option<SocketAddr> {
        self.bound
            .iter()
            .find(|b| b.scheme == scheme)
            .map(|b| b.address)
    }

    /// Waits until every listener has stopped: after `shutdown`, once open requests are answered.
    pub async fn wait(mut self) -> Result<(), ListenerError> {
        let mut first = Ok(());
        while let Some(joined) = self.tasks.join_next().await {
            let result = joined.unwrap_or_else(|e| {
                Err(ListenerError::Serve {
                    address: "?".into(),
                    source: std::io::Error::other(e.to_string()),
                })
            });
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}

/// Opens what the TLS and basic-auth settings name, reporting every problem; binds nothing.
pub fn check(cfg: &WorkerConfig) -> Result<(), ConfigErrors> {
    let mut problems: Vec<ConfigProblem> = Vec::new();
    if let Some(tls) = &cfg.tls {
        if let Err(e) = tls::server_config(tls) {
            problems.extend(e.0);
        }
    }
    if let Some(settings) = &cfg.basic_auth {
        if let Err(e) = BasicAuth::load(settings) {
            problems.extend(e.0);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Binds every listener of `cfg`, wraps `router` with basic auth when configured, and serves
/// until `shutdown`. Nothing is served unless every listener could be bound.
pub async fn serve(
    router: Router,
    cfg: &WorkerConfig,
    shutdown: CancellationToken,
) -> Result<RestServer, ListenerError> {
    let tls = match &cfg.tls {
        Some(settings) => Some(tls::server_config(settings).map_err(ListenerError::Config)?),
        None => None,
    };
    let router = match &cfg.basic_auth {
        Some(settings) => {
            let auth = BasicAuth::load(settings).map_err(ListenerError::Config)?;
            auth.warn_if_readable_by_others();
            auth.protect(router)
        }
        None => router,
    };

    let mut bound = Vec::new();
    for listener in &cfg.listeners {
        let tcp = TcpListener::bind((listener.bind_host(), listener.port))
            .await
            .map_err(|source| ListenerError::Bind {
                listener: listener.to_string(),
                source,
            })?;
        let address = tcp.local_addr().map_err(|source| ListenerError::Bind {
            listener: listener.to_string(),
            source,
        })?;
        bound.push((listener.scheme, tcp, address));
    }

    let mut tasks = JoinSet::new();
    let mut addresses = Vec::new();
    for (scheme, tcp, address) in bound {
        let b = BoundListener { scheme, address };
        let app = router.clone().into_make_service();
        let stop = shutdown.clone().cancelled_owned();
        let name = b.to_string();
        match scheme {
            Scheme::Http => {
                tasks.spawn(async move {
                    axum::serve(tcp, app)
                        .with_graceful_shutdown(stop)
                        .await
                        .map_err(|source| ListenerError::Serve {
                            address: name,
                            source,
                        })
                });
            }
            Scheme::Https => {
                let config = tls.clone().expect("https listeners come with TLS settings");
                let listener = tls::TlsListener::new(tcp, config);
                tasks.spawn(async move {
                    axum::serve(listener, app)
                        .with_graceful_shutdown(stop)
                        .await
                        .map_err(|source| ListenerError::Serve {
                            address: name,
                            source,
                        })
                });
            }
        }
        info!(
            basic_auth = cfg.basic_auth.is_some(),
            "REST API listening on {b}"
        );
        addresses.push(b);
    }
    if let Some(url) = cfg.advertised_url() {
        if cfg.advertised != Default::default() {
            info!(url = %url, "REST API advertised");
        }
    }
    Ok(RestServer {
        bound: addresses,
        tasks,
    })
}

/// `GET /` → `{"version": ...}` until the REST API's router replaces it.
pub fn placeholder_router() -> Router {
    Router::new().route(
        "/",
        get(|| async {
            axum::Json(serde_json::json!({
                "version": env!("CARGO_PKG_VERSION"),
                "commit": "",
                "kafka_cluster_id": null,
            }))
        }),
    )
}
