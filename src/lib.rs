//! Tributary's worker: the embedded log, the task runtime, the connector registry and
//! standalone mode. The `tributary` binary (`src/main.rs`) is the command-line edge.
//!
//! * [`log`]: durable topics and source offsets in the data directory (redb).
//! * [`runtime`]: runs a source connector task onto a topic backend, committing offsets in order.
//! * [`kafka`]: Kafka as the topic backend (`bootstrap.servers`): producer, topic creation.
//! * [`plugins`]: `connector.class` → source connector.
//! * [`connector_file`]: Debezium-style JSON and `.properties` connector files.
//! * [`herder`]: connector and task lifecycle (Kafka Connect's states, pause/resume/stop,
//!   restart, offsets), configs and target states persisted in the data directory.
//! * [`rest`]: Kafka Connect's REST API on axum, served from the herder.
//! * [`worker`]: the REST API and the herder on one data directory (`tributary serve`).
//! * [`standalone`]: connectors from files on one data directory, with the REST API.
//! * [`worker_config`]: Kafka Connect worker properties.
//! * [`listener`]: the REST listeners: HTTP/HTTPS (rustls), basic auth, graceful shutdown.
//! * [`registry`]: the embedded Confluent Schema Registry (REST API, compatibility checks) and
//!   the converters' registry client.

pub mod connector_file;
pub mod distributed;
pub mod herder;
pub mod kafka;
pub mod listener;
pub mod log;
pub mod migrate;
pub mod plugins;
pub mod registry;
pub mod rest;
pub mod runtime;
pub mod secrets;
pub mod standalone;
pub mod worker;
pub mod worker_config;
