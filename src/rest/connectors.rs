//! `/connectors/...`: create, configure, inspect and steer connectors.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cdc_core::ConfigMap;
use serde::Deserialize;
use serde_json::Value as Json_;

use super::error::{ApiError, ConnectJson};
use super::{query_flag, query_pairs, RestState};
use crate::herder::{
    mask, ConnectorOffsets, ConnectorStateInfo, Herder, HerderError, Message, RestartRequest,
    TargetState,
};
use crate::plugins as registry;

/// `POST /connectors` body.
#[derive(Debug, Deserialize)]
pub struct CreateRequest {
    name: Option<String>,
    config: Option<BTreeMap<String, Json_>>,
    initial_state: Option<String>,
}

/// A config value as Connect (Jackson) accepts it into a `Map<String, String>`: strings,
/// numbers and booleans (as their text).
fn config_value(key: &str, v: Json_) -> Result<String, ApiError> {
    match v {
        Json_::String(s) => Ok(s),
        Json_::Number(n) => Ok(n.to_string()),
        Json_::Bool(b) => Ok(b.to_string()),
        other => Err(ApiError::bad_request(format!(
            "Invalid value for configuration {key}: expected a string, got {}",
            match other {
                Json_::Null => "null",
                Json_::Array(_) => "an array",
                _ => "an object",
            }
        ))),
    }
}

fn config_map(raw: BTreeMap<String, Json_>) -> Result<ConfigMap, ApiError> {
    raw.into_iter()
        .map(|(k, v)| config_value(&k, v).map(|v| (k, v)))
        .collect()
}

/// Connect's check that a `name` inside the config matches the connector's name.
fn check_and_put_name(name: &str, config: &mut ConfigMap) -> Result<(), ApiError> {
    match config.get("name") {
        Some(included) if included != name => Err(ApiError::bad_request(format!(
            "Connector name configuration ({included}) doesn't match connector name in the URL ({name})"
        ))),
        Some(_) => Ok(()),
        None => {
            config.insert("name".into(), name.to_owned());
            Ok(())
        }
    }
}

fn location(name: &str) -> String {
    // Percent-encode what cannot stand in a path segment.
    let mut out = String::from("/connectors/");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Connect words "no such connector" differently per endpoint; `message` is this endpoint's.
fn not_found_as(message: String) -> impl FnOnce(HerderError) -> ApiError {
    move |e| match e {
        HerderError::NotFound(_) => ApiError::not_found(message),
        e => e.into(),
    }
}

/// The plugin of a connector (by its `connector.class`).
fn plugin_of(herder: &Herder, name: &str) -> Option<registry::PluginInfo> {
    let config = herder.connector_config(name).ok()?;
    registry::find_plugin(config.get("connector.class")?)
}

/// A connector's or task's state with the plugin `version` after `worker_id`, as Kafka
/// Connect 4.1+ writes it (KIP-891).
fn with_version(state: &mut Json_, version: &str) {
    if let Json_::Object(o) = state {
        for (k, v) in std::mem::take(o) {
            let after = k == "worker_id";
            o.insert(k, v);
            if after {
                o.insert("version".into(), version.into());
            }
        }
    }
}

/// A ConnectorStateInfo with the connector's and each task's plugin version.
fn versioned(herder: &Herder, status: ConnectorStateInfo) -> Json_ {
    let version = plugin_of(herder, &status.name).map(|p| p.version);
    let mut v = serde_json::to_value(status).unwrap_or_default();
    if let Some(version) = version {
        if let Some(c) = v.get_mut("connector") {
            with_version(c, &version);
        }
        if let Some(Json_::Array(tasks)) = v.get_mut("tasks") {
            for t in tasks {
                with_version(t, &version);
            }
        }
    }
    v
}

/// `GET /connectors[?expand=status&expand=info]`.
pub async fn list(State(state): State<RestState>, uri: Uri) -> Result<Response, ApiError> {
    let herder = state.herder()?;
    let pairs = query_pairs(&uri)?;
    let expansions: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v.as_str())
        .collect();
    if expansions.is_empty() && !pairs.iter().any(|(k, _)| k == "expand") {
        return Ok(Json(herder.connectors()).into_response());
    }
    let mut out = serde_json::Map::new();
    for name in herder.connectors() {
        let mut e = serde_json::Map::new();
        for x in &expansions {
            match *x {
                "status" => {
                    if let Ok(s) = herder.connector_status(&name) {
                        e.insert("status".into(), versioned(herder, s));
                    }
                }
                "info" => {
                    if let Ok(i) = herder.connector_info(&name) {
                        e.insert("info".into(), serde_json::to_value(i).unwrap_or_default());
                    }
                }
                other => tracing::info!(expansion = other, "ignoring unknown expansion type"),
            }
        }
        out.insert(name, Json_::Object(e));
    }
    Ok(Json(Json_::Object(out)).into_response())
}

/// `POST /connectors`: 201 + `Location` + ConnectorInfo.
pub async fn create(
    State(state): State<RestState>,
    ConnectJson(req): ConnectJson<CreateRequest>,
) -> Result<Response, ApiError> {
    let herder = state.herder()?;
    // As Connect: surrounding whitespace is trimmed, a missing name is an empty one (which the
    // name validation rejects).
    let name = req.name.as_deref().unwrap_or("").trim().to_owned();
    let Some(raw) = req.config else {
        return Err(ApiError::bad_request(
            "Connector config must be provided in the 'config' field",
        ));
    };
    let mut config = config_map(raw)?;
    check_and_put_name(&name, &mut config)?;
    let initial = match req.initial_state.as_deref() {
        None => None,
        Some(s) => Some(TargetState::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Invalid initial_state {s:?}: must be one of RUNNING, PAUSED, STOPPED"
            ))
        })?),
    };
    let created = herder
        .put_connector_config(&name, config, initial, false)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location(&name))],
        Json(created.info),
    )
        .into_response())
}

pub async fn info(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.herder()?.connector_info(&name)?).into_response())
}

/// The stored config with secrets shown as `[hidden]`.
pub async fn config(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(mask(&state.herder()?.connector_config(&name)?)).into_response())
}

/// `PUT /connectors/{name}/config`: 201 (created, with `Location`) or 200 (updated).
pub async fn put_config(
    State(state): State<RestState>,
    Path(name): Path<String>,
    ConnectJson(raw): ConnectJson<BTreeMap<String, Json_>>,
) -> Result<Response, ApiError> {
    let herder = state.herder()?;
    if name.trim() != name {
        // POST trims names, so a name with surrounding whitespace could never be addressed
        // consistently; refuse it here rather than store it.
        return Err(ApiError::bad_request(format!(
            "Connector name {name:?} may not have leading or trailing whitespace"
        )));
    }
    let mut config = config_map(raw)?;
    check_and_put_name(&name, &mut config)?;
    let created = herder
        .put_connector_config(&name, config, None, true)
        .await?;
    let mut response = if created.created {
        (
            StatusCode::CREATED,
            [(header::LOCATION, location(&name))],
            Json(created.info),
        )
            .into_response()
    } else {
        Json(created.info).into_response()
    };
    add_warnings(response.headers_mut(), &created.warnings);
    Ok(response)
}

/// Adds each warning as an HTTP `Warning` header (RFC 7234: `299 - "text"`, code 299 for a
/// persistent warning): Connect's bodies stay as they are, so clients that compare them are not
/// broken. The text is made a valid quoted string (printable ASCII, `"` and `\` escaped).
fn add_warnings(headers: &mut axum::http::HeaderMap, warnings: &[String]) {
    for w in warnings {
        let mut quoted = String::with_capacity(w.len() + 10);
        quoted.push_str("299 - \"");
        for c in w.chars() {
            match c {
                '"' | '\\' => {
                    quoted.push('\\');
                    quoted.push(c);
                }
                ' '..='~' => quoted.push(c),
                _ => quoted.push('?'),
            }
        }
        quoted.push('"');
        if let Ok(value) = axum::http::HeaderValue::from_str(&quoted) {
            headers.append(header::WARNING, value);
        }
    }
}

/// `PATCH /connectors/{name}/config` (KIP-477): JSON merge patch, `null` removes a key.
pub async fn patch_config(
    State(state): State<RestState>,
    Path(name): Path<String>,
    ConnectJson(raw): ConnectJson<BTreeMap<String, Json_>>,
) -> Result<Response, ApiError> {
    let herder = state.herder()?;
    let mut patch = BTreeMap::new();
    for (k, v) in raw {
        let v = match v {
            Json_::Null => None,
            v => Some(config_value(&k, v)?),
        };
        patch.insert(k, v);
    }
    Ok(Json(herder.patch_connector_config(&name, patch).await?).into_response())
}

pub async fn status(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let herder = state.herder()?;
    let status = herder
        .connector_status(&name)
        .map_err(not_found_as(format!(
            "No status found for connector {name}"
        )))?;
    Ok(Json(versioned(herder, status)).into_response())
}

pub async fn tasks(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.herder()?.task_configs(&name)?).into_response())
}

/// Deprecated `{"<name>-<n>": {...}}` form of the task configs.
pub async fn tasks_config(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let tasks = state.herder()?.task_configs(&name)?;
    let out: BTreeMap<String, ConfigMap> = tasks
        .into_iter()
        .map(|t| (format!("{}-{}", t.id.connector, t.id.task), t.config))
        .collect();
    Ok(Json(out).into_response())
}

/// A task id path segment; one that is not a number matches no resource (404, as JAX-RS).
fn task_id(raw: &str) -> Result<u32, ApiError> {
    raw.parse().map_err(|_| ApiError::no_route())
}

pub async fn task_status(
    State(state): State<RestState>,
    Path((name, task)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let task = task_id(&task)?;
    let herder = state.herder()?;
    let status = herder
        .task_status(&name, task)
        .map_err(not_found_as(format!(
            "No status found for task {name}-{task}"
        )))?;
    let mut v = serde_json::to_value(status).unwrap_or_default();
    if let Some(p) = plugin_of(herder, &name) {
        with_version(&mut v, &p.version);
    }
    Ok(Json(v).into_response())
}

pub async fn restart_task(
    State(state): State<RestState>,
    Path((name, task)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let task = task_id(&task)?;
    let herder = state.herder()?;
    if !herder.connectors().contains(&name) {
        return Err(ApiError::not_found(format!("Unknown connector: {name}")));
    }
    herder
        .restart_task(&name, task)
        .await
        .map_err(not_found_as(format!("Unknown task: {name}-{task}")))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /connectors/{name}/restart[?includeTasks=&onlyFailed=]`: 204, or 202 + status.
pub async fn restart(
    State(state): State<RestState>,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(&uri)?;
    let request = RestartRequest {
        include_tasks: query_flag(&pairs, "includeTasks", false),
        only_failed: query_flag(&pairs, "onlyFailed", false),
    };
    let herder = state.herder()?;
    match herder
        .restart(&name, request)
        .await
        .map_err(not_found_as(format!("Unknown connector: {name}")))?
    {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(status) => Ok((StatusCode::ACCEPTED, Json(versioned(herder, status))).into_response()),
    }
}

pub async fn pause(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .herder()?
        .pause(&name)
        .await
        .map_err(not_found_as(format!("Unknown connector {name}")))?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn resume(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .herder()?
        .resume(&name)
        .await
        .map_err(not_found_as(format!("Unknown connector {name}")))?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn stop(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .herder()?
        .stop(&name)
        .await
        .map_err(not_found_as(format!("Unknown connector {name}")))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /connectors/{name}`: 204 with no body, as Connect; what the connector leaves behind
/// (a PostgreSQL replication slot) is logged and sent as `Warning` headers.
pub async fn delete(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let warnings = state.herder()?.delete_connector(&name).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    add_warnings(response.headers_mut(), &warnings);
    Ok(response)
}

pub async fn offsets(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.herder()?.offsets(&name).await?).into_response())
}

/// Kafka's FileStream connectors, whose `alterOffsets` take part in offset changes.
const FILE_STREAM: &[&str] = &[
    "org.apache.kafka.connect.file.FileStreamSourceConnector",
    "org.apache.kafka.connect.file.FileStreamSinkConnector",
];

/// Connect's answer to an offsets change names who took part: the connector's own
/// `alterOffsets` (Kafka's FileStreamSourceConnector and FileStreamSinkConnector implement it)
/// or only the framework (Debezium's connectors do not implement it, so Connect adds a caveat).
fn offsets_message(plugin: Option<registry::PluginInfo>, done: Message, verb: &str) -> Message {
    if plugin.is_some_and(|p| FILE_STREAM.contains(&p.class)) {
        return done;
    }
    Message {
        message: format!(
            "The Connect framework-managed offsets for this connector have been {verb} \
             successfully. However, if this connector manages offsets externally, they will need \
             to be manually {verb} in the system that the connector uses."
        ),
    }
}

pub async fn alter_offsets(
    State(state): State<RestState>,
    Path(name): Path<String>,
    ConnectJson(body): ConnectJson<ConnectorOffsets>,
) -> Result<Response, ApiError> {
    let herder = state.herder()?;
    let plugin = plugin_of(herder, &name);
    let done = herder.alter_offsets(&name, body).await?;
    Ok(Json(offsets_message(plugin, done, "altered")).into_response())
}

pub async fn reset_offsets(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let herder = state.herder()?;
    let plugin = plugin_of(herder, &name);
    let done = herder.reset_offsets(&name).await?;
    Ok(Json(offsets_message(plugin, done, "reset")).into_response())
}

fn tracking_enabled(state: &RestState) -> Result<(), ApiError> {
    if state.worker_flag("topic.tracking.enable", true) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking is disabled.",
        ))
    }
}

/// `GET /connectors/{name}/topics` (KIP-558): `{"<name>":{"topics":[...]}}`.
pub async fn topics(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    tracking_enabled(&state)?;
    let topics = state.herder()?.active_topics(&name)?;
    Ok(Json(serde_json::json!({ name: {"topics": topics} })).into_response())
}

pub async fn reset_topics(
    State(state): State<RestState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    tracking_enabled(&state)?;
    if !state.worker_flag("topic.tracking.allow.reset", true) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking reset is disabled.",
        ));
    }
    state.herder()?.reset_active_topics(&name)?;
    Ok(StatusCode::ACCEPTED)
}
