//! Kafka Connect's REST API on axum: the paths, status codes and JSON shapes of Connect
//! (`RestServer`/`ConnectorsResource` and friends), served from the [`Herder`].
//!
//! * [`router`] builds every route; a security layer (basic auth, TLS) wraps its result.
//! * [`bind`] and [`serve`] start the listener (bind first, so the API answers at once: until
//!   the herder is ready, `/health` answers 503 `starting`).

mod connectors;
pub mod error;
mod forward;
pub mod loggers;
mod plugins;

use std::sync::{Arc, OnceLock};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use cdc_core::ConfigMap;

pub use error::ApiError;
pub use loggers::{ApplyFilter, Loggers};

use crate::herder::Herder;

/// Request bodies above this many bytes are refused with 413.
pub const BODY_LIMIT: usize = 1 << 20;

/// What every handler reads. Cheap to clone.
#[derive(Clone)]
pub struct RestState {
    herder: Arc<OnceLock<Herder>>,
    loggers: Loggers,
    worker_config: Arc<ConfigMap>,
    /// For requests forwarded to another worker of a cluster.
    forward_client: reqwest::Client,
}

impl RestState {
    pub fn new(loggers: Loggers, worker_config: ConfigMap) -> RestState {
        RestState {
            herder: Arc::new(OnceLock::new()),
            loggers,
            worker_config: Arc::new(worker_config),
            forward_client: reqwest::Client::new(),
        }
    }

    /// Marks the worker ready: requests reach `herder` from now on.
    pub fn set_herder(&self, herder: Herder) {
        let _ = self.herder.set(herder);
    }

    fn herder(&self) -> Result<&Herder, ApiError> {
        self.herder.get().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Worker is still starting up.",
            )
        })
    }

    fn forward_client(&self) -> &reqwest::Client {
        &self.forward_client
    }

    fn worker_flag(&self, key: &str, default: bool) -> bool {
        self.worker_config
            .get(key)
            .map_or(default, |v| v.trim().eq_ignore_ascii_case("true"))
    }
}

/// Every route of the API.
pub fn router(state: RestState) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route(
            "/connectors",
            get(connectors::list).post(connectors::create),
        )
        .route(
            "/connectors/{name}",
            get(connectors::info).delete(connectors::delete),
        )
        .route(
            "/connectors/{name}/config",
            get(connectors::config)
                .put(connectors::put_config)
                .patch(connectors::patch_config),
        )
        .route("/connectors/{name}/status", get(connectors::status))
        .route("/connectors/{name}/tasks", get(connectors::tasks))
        .route(
            "/connectors/{name}/tasks-config",
            get(connectors::tasks_config),
        )
        .route(
            "/connectors/{name}/tasks/{task}/status",
            get(connectors::task_status),
        )
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(connectors::restart_task),
        )
        .route("/connectors/{name}/restart", post(connectors::restart))
        .route("/connectors/{name}/pause", put(connectors::pause))
        .route("/connectors/{name}/resume", put(connectors::resume))
        .route("/connectors/{name}/stop", put(connectors::stop))
        .route(
            "/connectors/{name}/offsets",
            get(connectors::offsets)
                .patch(connectors::alter_offsets)
                .delete(connectors::reset_offsets),
        )
        .route("/connectors/{name}/topics", get(connectors::topics))
        .route(
            "/connectors/{name}/topics/reset",
            put(connectors::reset_topics),
        )
        .route("/connector-plugins", get(plugins::list))
        .route("/connector-plugins/{plugin}/config", get(plugins::config))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(plugins::validate),
        )
        .route("/admin/loggers", get(loggers::list))
        .route(
            "/admin/loggers/{logger}",
            get(loggers::get).put(loggers::put),
        )
        .fallback(|| async { ApiError::no_route() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "HTTP 405 Method Not Allowed",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::forward,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The query string's pairs, in order (repeated keys kept).
fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("Invalid query string: {}", e.body_text())))
}

/// A boolean query parameter as JAX-RS reads it: `true` (any case) or false.
fn query_flag(pairs: &[(String, String)], key: &str, default: bool) -> bool {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map_or(default, |(_, v)| v.eq_ignore_ascii_case("true"))
}

async fn root(State(state): State<RestState>) -> Json<serde_json::Value> {
    let _ = state;
    Json(serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("TRIBUTARY_GIT_COMMIT").unwrap_or("unknown"),
        // No Kafka cluster backs the embedded log.
        "kafka_cluster_id": null,
    }))
}

async fn health(State(state): State<RestState>) -> Response {
    // As Connect's worker answers when it cannot serve: 500 "unhealthy", naming why.
    if let Some(why) = state.herder.get().and_then(|h| h.storage_failure()) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({
                "status": "unhealthy",
                "message": format!(
                    "The worker's storage failed ({why}) and cannot be written. It is reopened \
                     once the storage works again (free disk space if it is full); if this \
                     lasts after that, restart the worker process."
                ),
            })),
        )
            .into_response();
    }
    if state.herder.get().is_some() {
        Json(serde_json::json!({
            "status": "healthy",
            "message": "Worker has completed startup and is ready to handle requests.",
        }))
        .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({
                "status": "starting",
                "message": "Worker is still starting up.",
            })),
        )
            .into_response()
    }
}
