//! The JSON entities of Kafka Connect's REST API that the herder produces (field for field).

use cdc_core::ConfigMap;
use serde::{Deserialize, Serialize};

/// What the user asked a connector to be (persisted): Connect's target states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetState {
    Running,
    Paused,
    Stopped,
}

impl TargetState {
    /// Parses `initial_state` as Connect does (case-insensitive).
    pub fn parse(s: &str) -> Option<TargetState> {
        match s.to_ascii_uppercase().as_str() {
            "RUNNING" => Some(TargetState::Running),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }
}

/// A connector's or task's state as the status endpoints show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    /// Connectors only, never tasks.
    Stopped,
    Failed,
    Restarting,
}

/// `{"connector","task"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

/// ConnectorInfo: `{"name","config","tasks","type"}` (secrets masked).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: ConfigMap,
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type")]
    pub type_: String,
}

/// The `connector` part of ConnectorStateInfo; `trace` is omitted when empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectorState {
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// One task's status: `{"id","state","worker_id","trace"?}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskState {
    pub id: u32,
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// ConnectorStateInfo: `{"name","connector","tasks","type"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub type_: String,
}

/// One entry of `GET /connectors/{name}/tasks`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: ConfigMap,
}

/// One partition's offset in `GET|PATCH /connectors/{name}/offsets`; `offset: null` resets it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectorOffset {
    pub partition: Option<serde_json::Map<String, serde_json::Value>>,
    pub offset: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `{"offsets":[...]}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    pub offsets: Option<Vec<ConnectorOffset>>,
}

/// `{"message": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub message: String,
}
