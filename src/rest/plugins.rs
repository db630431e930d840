//! `/connector-plugins/...`: installed plugins, their config definitions, validation.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value as Json_};

use super::error::{ApiError, ConnectJson};
use super::{query_flag, query_pairs, RestState};
use crate::plugins as registry;

/// `GET /connector-plugins[?connectorsOnly=false]`: `[{"class","type","version"}]`.
pub async fn list(State(_state): State<RestState>, uri: Uri) -> Result<Response, ApiError> {
    let connectors_only = query_flag(&query_pairs(&uri)?, "connectorsOnly", true);
    let out: Vec<Json_> = registry::plugins()
        .into_iter()
        .filter(|p| !connectors_only || matches!(p.type_, "source" | "sink"))
        .map(|p| json!({"class": p.class, "type": p.type_, "version": p.version}))
        .collect();
    Ok(Json(out).into_response())
}

fn unknown_plugin(plugin: &str) -> ApiError {
    ApiError::not_found(format!("Unknown plugin {plugin}."))
}

/// `GET /connector-plugins/{plugin}/config`: the plugin's ConfigKeyInfo list.
pub async fn config(
    State(_state): State<RestState>,
    Path(plugin): Path<String>,
) -> Result<Response, ApiError> {
    registry::plugin_config(&plugin)
        .map(|c| Json(c).into_response())
        .ok_or_else(|| unknown_plugin(&plugin))
}

/// Connect's plugin-name comparison: case-insensitive, without a trailing `Connector`.
fn normalized(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    lower.strip_suffix("connector").unwrap_or(&lower).to_owned()
}

/// `PUT /connector-plugins/{plugin}/config/validate`: 200 ConfigInfos, errors inside.
pub async fn validate(
    State(state): State<RestState>,
    Path(plugin): Path<String>,
    ConnectJson(raw): ConnectJson<BTreeMap<String, Json_>>,
) -> Result<Response, ApiError> {
    let mut config = cdc_core::ConfigMap::new();
    for (k, v) in raw {
        let v = match v {
            Json_::String(s) => s,
            Json_::Number(n) => n.to_string(),
            Json_::Bool(b) => b.to_string(),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Invalid value for configuration {k}: expected a string"
                )))
            }
        };
        config.insert(k, v);
    }
    if let Some(included) = config.get("connector.class") {
        let same = match (
            registry::find_plugin(included),
            registry::find_plugin(&plugin),
        ) {
            (Some(a), Some(b)) => a.class == b.class,
            _ => normalized(included).ends_with(&normalized(&plugin)),
        };
        if !same {
            return Err(ApiError::bad_request(format!(
                "Included connector type {included} does not match request type {plugin}"
            )));
        }
    }
    if registry::find_plugin(&plugin).is_none() {
        return Err(unknown_plugin(&plugin));
    }
    let worker = state.herder()?.worker_config();
    Ok(Json(registry::validate_for_worker(&plugin, &config, worker)).into_response())
}
