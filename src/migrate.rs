//! `tributary offsets export|import`: moving a standalone worker's connectors into a cluster
//! without taking their snapshots again.
//!
//! * **export** reads a stopped standalone worker's data directory: each connector's config
//!   (its sealed secrets opened with the worker's key, so the file holds them in clear: keep it
//!   private), its target state and its source offsets, as one JSON document.
//! * **import** replays that document through any cluster worker's REST API, the way a person
//!   would with Connect 3.6+: create each connector STOPPED, `PATCH` its offsets, then resume
//!   (or pause) it. Nothing of ours is needed on the other side: the target may be a Tributary
//!   cluster or a Kafka Connect one running the same connectors.
//!
//! A sink's positions are not exported: on Kafka they already are in its consumer group
//! (`connect-<name>`), which the cluster's tasks use; on the embedded log they are positions in
//! topics the cluster does not have.

use std::path::Path;

use cdc_core::ConfigMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::herder::TargetState;
use crate::log::EmbeddedLog;

/// The exported document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Export {
    pub connectors: Vec<ExportedConnector>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportedConnector {
    pub name: String,
    pub config: ConfigMap,
    pub target_state: TargetState,
    /// Connect's `GET /connectors/{name}/offsets` entries (`{"partition","offset"}`).
    pub offsets: Vec<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot read the data directory {dir}: {source}")]
    Log {
        dir: String,
        #[source]
        source: Box<crate::log::LogError>,
    },
    #[error("{0}")]
    Secrets(String),
    #[error("a stored connector config of {name:?} cannot be read: {reason}")]
    Stored { name: String, reason: String },
    #[error("{method} {url} failed: {reason}")]
    Http {
        method: &'static str,
        url: String,
        reason: String,
    },
    #[error("{method} {url} answered {status}: {body}")]
    Refused {
        method: &'static str,
        url: String,
        status: u16,
        body: String,
    },
}

/// What the standalone herder stores per connector (`herder::Stored`).
#[derive(Deserialize)]
struct Stored {
    config: ConfigMap,
    target_state: TargetState,
}

/// Reads `data_dir` (no worker may hold it) with the worker properties `worker` (for the
/// secrets key).
pub fn export(data_dir: &Path, worker: &ConfigMap) -> Result<Export, MigrateError> {
    let log_error = |source| MigrateError::Log {
        dir: data_dir.display().to_string(),
        source: Box::new(source),
    };
    let log = EmbeddedLog::open_read_only(data_dir).map_err(log_error)?;
    let secrets = crate::secrets::Secrets::load(worker, data_dir, &|n| std::env::var(n).ok())
        .map_err(|e| MigrateError::Secrets(e.to_string()))?;
    let mut connectors = Vec::new();
    for (name, bytes) in log.connector_configs().map_err(log_error)? {
        let stored: Stored = serde_json::from_slice(&bytes).map_err(|e| MigrateError::Stored {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        let (config, _) = secrets
            .open(&name, &stored.config)
            .map_err(|e| MigrateError::Secrets(e.to_string()))?;
        let offsets = if crate::plugins::is_sink(&config) {
            Vec::new()
        } else {
            log.source_offsets(&name)
                .map_err(log_error)?
                .into_iter()
                .map(|o| json!({"partition": o.partition, "offset": o.offset}))
                .collect()
        };
        connectors.push(ExportedConnector {
            name,
            config,
            target_state: stored.target_state,
            offsets,
        });
    }
    Ok(Export { connectors })
}

/// A connector name as one URL path segment (RFC 3986's unreserved characters kept).
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One REST call; a status other than `ok` is an error naming it.
async fn call(
    client: &reqwest::Client,
    method: &'static str,
    url: String,
    body: Option<Value>,
    ok: &[u16],
) -> Result<(), MigrateError> {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut request = client.request(m, &url);
    if let Some(b) = body {
        request = request.json(&b);
    }
    let answer = request.send().await.map_err(|e| MigrateError::Http {
        method,
        url: url.clone(),
        reason: cdc_core::error::error_chain(&e),
    })?;
    let status = answer.status().as_u16();
    if ok.contains(&status) {
        return Ok(());
    }
    Err(MigrateError::Refused {
        method,
        url,
        status,
        body: answer.text().await.unwrap_or_default(),
    })
}

/// Creates each connector of `export` through the worker at `base` (e.g.
/// `http://127.0.0.1:8083`): STOPPED, its offsets set, then its target state. Returns the
/// names created.
pub async fn import(base: &str, export: &Export) -> Result<Vec<String>, MigrateError> {
    let client = reqwest::Client::new();
    let base = base.trim_end_matches('/');
    let mut done = Vec::new();
    for c in &export.connectors {
        let mut config = c.config.clone();
        config.insert("name".into(), c.name.clone());
        call(
            &client,
            "POST",
            format!("{base}/connectors"),
            Some(json!({"name": c.name, "config": config, "initial_state": "STOPPED"})),
            &[201],
        )
        .await?;
        if !c.offsets.is_empty() {
            call(
                &client,
                "PATCH",
                format!("{base}/connectors/{}/offsets", segment(&c.name)),
                Some(json!({"offsets": c.offsets})),
                &[200],
            )
            .await?;
        }
        let then = match c.target_state {
            TargetState::Running => Some("resume"),
            TargetState::Paused => Some("pause"),
            TargetState::Stopped => None,
        };
        if let Some(action) = then {
            call(
                &client,
                "PUT",
                format!("{base}/connectors/{}/{action}", segment(&c.name)),
                None,
                &[202, 204],
            )
            .await?;
        }
        done.push(c.name.clone());
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    #[test]
    fn connector_names_are_one_path_segment() {
        assert_eq!(
            super::segment("inventory-connector_1.x~"),
            "inventory-connector_1.x~"
        );
        assert_eq!(super::segment("a/b c?#"), "a%2Fb%20c%3F%23");
        assert_eq!(super::segment("été"), "%C3%A9t%C3%A9");
    }
}
