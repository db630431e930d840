//! Kafka Connect's distributed mode, the parts that are bytes on the wire and pure functions
//! over them (issue 18): what a worker says when it joins the `connect` group
//! ([`WorkerMetadata`]), what the leader hands each member ([`Assignment`]), and where the Java
//! producer puts a keyed record ([`partition_for_key`]), which the offsets and status topics
//! must follow so that compaction keeps one value per key; and the records of the config, status
//! and offsets topics in Connect's keys and JSON ([`ConfigRecord`], [`StatusRecord`],
//! [`offset_key`]).
//!
//! Formats as Kafka Connect 4.3's `ConnectProtocol` (v0, `default`) and
//! `IncrementalCooperativeConnectProtocol` (v1 `compatible`, v2 `sessioned`); the tests compare
//! with the bytes Connect's own classes write (`scripts/lib/connect-golden.sh`). Decoding never
//! panics: a truncated or malformed buffer is a [`WireError`] naming the field.

mod assignor;
mod config;
mod config_state;
mod member_state;
mod murmur2;
mod offset_cache;
mod protocol;
mod records;
pub mod signing;
mod status_cache;
mod wire;

pub use assignor::{config_mismatch, ClusterAssignment, IncrementalAssignor, Load, Work};
pub use config::{DistributedSettings, TopicSettings, HMAC_ALGORITHMS};
pub use config_state::{ClusterConfigState, ConfigChange};
pub use member_state::{MemberState, Next};
pub use murmur2::{murmur2, partition_for_key};
pub use offset_cache::{OffsetCache, StoredOffset};
pub use protocol::{
    Assignment, AssignmentError, ConnectorTaskId, Subprotocol, WorkerMetadata, CONNECTOR_TASK,
    PROTOCOL_TYPE,
};
pub use records::{
    offset_key, parse_offset_key, ConfigRecord, Properties, RecordError, SessionKey, Status,
    StatusRecord, TargetState, TopicStatus,
};
pub use status_cache::StatusCache;
pub use wire::WireError;
