//! `/admin/loggers` (KIP-495): log levels changed at runtime, mapped to a `tracing_subscriber`
//! reload filter. Logger names are tracing targets (`tributary::runtime`, `pg_wal`); `root` is
//! the default level.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value as Json_};

use super::error::{ApiError, ConnectJson};
use super::{query_pairs, RestState};

/// Applies a filter directive string (`info,pg_wal=debug`) to the process's subscriber.
pub type ApplyFilter = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

const ROOT: &str = "root";

/// The worker's log levels. Cheap to clone.
#[derive(Clone)]
pub struct Loggers {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    /// Directives from RUST_LOG other than the bare default level, kept in front.
    base: Vec<String>,
    /// Logger → (level as shown, last modified in ms since the epoch).
    levels: BTreeMap<String, (String, Option<u64>)>,
    apply: Option<ApplyFilter>,
}

const LEVELS: &[(&str, &str)] = &[
    ("OFF", "off"),
    ("FATAL", "error"),
    ("ERROR", "error"),
    ("WARN", "warn"),
    ("INFO", "info"),
    ("DEBUG", "debug"),
    ("TRACE", "trace"),
    ("ALL", "trace"),
];

fn tracing_level(level: &str) -> Option<&'static str> {
    LEVELS
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(level))
        .map(|(_, t)| *t)
}

impl Loggers {
    /// `base` is the filter the process started with (RUST_LOG); `apply` reloads the filter
    /// (`None`: levels are recorded but not applied, as in tests of the library).
    pub fn new(base: &str, apply: Option<ApplyFilter>) -> Loggers {
        let mut root = "INFO".to_owned();
        let mut kept = Vec::new();
        for d in base.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            match LEVELS.iter().find(|(_, t)| t.eq_ignore_ascii_case(d)) {
                Some((l, _)) => root = (*l).to_owned(),
                None => kept.push(d.to_owned()),
            }
        }
        let mut levels = BTreeMap::new();
        levels.insert(ROOT.to_owned(), (root, None));
        Loggers {
            inner: Arc::new(Mutex::new(Inner {
                base: kept,
                levels,
                apply,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every logger with an explicit level: `{"<logger>":{"level","last_modified"}}`.
    pub fn all(&self) -> Json_ {
        let inner = self.lock();
        let map: serde_json::Map<String, Json_> = inner
            .levels
            .iter()
            .map(|(k, (l, m))| (k.clone(), json!({"level": l, "last_modified": m})))
            .collect();
        Json_::Object(map)
    }

    /// One logger's level: its own, else its nearest configured parent's, else root's.
    pub fn get(&self, logger: &str) -> Option<Json_> {
        let inner = self.lock();
        if let Some((l, m)) = inner.levels.get(logger) {
            return Some(json!({"level": l, "last_modified": m}));
        }
        None
    }

    /// Sets `logger` (and the configured loggers below it; every logger for `root`) to `level`;
    /// returns the affected loggers.
    pub fn set(&self, logger: &str, level: &str) -> Result<Vec<String>, ApiError> {
        let Some(_) = tracing_level(level) else {
            return Err(ApiError::not_found(format!("invalid log level '{level}'.")));
        };
        if logger.is_empty()
            || !logger
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-'))
        {
            return Err(ApiError::bad_request(format!(
                "Invalid logger name {logger:?}: a logger is a tracing target such as tributary::runtime"
            )));
        }
        let level = level.to_ascii_uppercase();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .ok();
        let mut inner = self.lock();
        let affected: Vec<String> = if logger == ROOT {
            inner.levels.keys().cloned().collect()
        } else {
            let mut a: Vec<String> = inner
                .levels
                .keys()
                .filter(|k| {
                    k.as_str() == logger
                        || k.starts_with(&format!("{logger}::"))
                        || k.starts_with(&format!("{logger}."))
                })
                .cloned()
                .collect();
            if !a.iter().any(|k| k == logger) {
                a.push(logger.to_owned());
                a.sort();
            }
            a
        };
        let previous = inner.levels.clone();
        for k in &affected {
            inner.levels.insert(k.clone(), (level.clone(), now));
        }
        let directives = directives(&inner);
        if let Some(apply) = &inner.apply {
            if let Err(e) = apply(&directives) {
                inner.levels = previous;
                return Err(ApiError::bad_request(format!(
                    "Cannot set the level of logger {logger}: {e}"
                )));
            }
        }
        Ok(affected)
    }
}

fn directives(inner: &Inner) -> String {
    let root = inner
        .levels
        .get(ROOT)
        .and_then(|(l, _)| tracing_level(l))
        .unwrap_or("info");
    let mut out = vec![root.to_owned()];
    out.extend(inner.base.iter().cloned());
    for (k, (l, _)) in &inner.levels {
        if k != ROOT {
            out.push(format!("{k}={}", tracing_level(l).unwrap_or("info")));
        }
    }
    out.join(",")
}

pub async fn list(State(state): State<RestState>) -> Json<Json_> {
    Json(state.loggers.all())
}

pub async fn get(
    State(state): State<RestState>,
    Path(logger): Path<String>,
) -> Result<Json<Json_>, ApiError> {
    state
        .loggers
        .get(&logger)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Logger {logger} not found.")))
}

pub async fn put(
    State(state): State<RestState>,
    Path(logger): Path<String>,
    uri: Uri,
    ConnectJson(body): ConnectJson<BTreeMap<String, Json_>>,
) -> Result<Response, ApiError> {
    let level = match body.get("level") {
        Some(Json_::String(l)) => l.clone(),
        _ => {
            return Err(ApiError::bad_request(
                "Desired 'level' parameter was not specified in request.",
            ))
        }
    };
    let cluster = query_pairs(&uri)?
        .iter()
        .any(|(k, v)| k == "scope" && v.eq_ignore_ascii_case("cluster"));
    let affected = state.loggers.set(&logger, &level)?;
    // One worker is the whole cluster: the cluster scope applies here and answers 204.
    if cluster {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Json(affected).into_response())
}
