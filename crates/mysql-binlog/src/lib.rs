//! MySQL and MariaDB change capture for Tributary.
//!
//! * [`source`]: the connector (`MySqlSource`): server and offset checks, schema recovery,
//!   snapshot, then streaming.
//! * [`config`], [`configdef`]: its configuration with Debezium's property names and defaults.
//! * [`stream`]: binlog events (via `mysql_async`'s binlog client) → records and offsets.
//! * [`mariadb`]: the pure decoder of MariaDB's own events (GTID, GTID list, checkpoint, annotate).
//! * [`catalog`], [`ddl`], [`history`]: table definitions kept from DDL, and their durable history.
//! * [`rows`], [`json`]: row events checked against the schema history and read into column
//!   values; MySQL's binary JSON and partial JSON updates.
//! * [`convert`], [`table`], [`event`], [`source_info`]: type mapping and Debezium's records.
//! * [`snapshot`]: the consistent snapshot; [`offset`]: positions and offsets; [`gtid`]: GTIDs.

pub mod catalog;
pub mod charset;
pub mod config;
pub mod configdef;
pub mod conn;
pub mod convert;
pub mod ddl;
pub mod dump;
pub mod error;
pub mod event;
pub mod gtid;
pub mod history;
pub mod json;
pub mod mariadb;
pub mod offset;
pub mod rows;
pub mod snapshot;
pub mod source;
pub mod source_info;
pub mod stall;
pub mod stream;
pub mod table;
pub mod tls;

pub use config::MySqlConfig;
pub use configdef::config_def;
pub use error::MySqlSourceError;
pub use source::MySqlSource;
