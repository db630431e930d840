//! PostgreSQL change capture for Tributary.
//!
//! * [`source`]: the connector (`PostgresSource`): slot checks, snapshot, then streaming.
//! * [`config`]: its typed configuration with Debezium's property names and defaults.
//! * [`configdef`]: its Connect config definition, every Debezium property (the known-property list).
//! * [`replication`]: our replication-protocol client (startup, auth, slots, CopyBoth streaming).
//! * [`pgoutput`]: the pure pgoutput message decoder.
//! * [`convert`]: Postgres types and values to Connect schemas and values (Debezium's mapping).
//! * [`snapshot`], [`stream`]: the two phases (`snapshot_rows` decodes the snapshot's raw rows); [`table`] the captured tables' schemas;
//!   [`event`] builds records; [`offset`] the stored positions; [`slot`] slot and publication
//!   management; [`copy`] the COPY BINARY parser; [`lsn`] WAL positions; [`stall`] the stall
//!   watch (a frozen database shows in the task's status).

pub mod config;
pub mod configdef;
pub mod convert;
pub mod copy;
pub mod defaults;
pub mod error;
pub mod event;
pub mod jdbc_column;
pub mod keepalive;
pub mod lsn;
pub mod offset;
pub mod pgoutput;
pub mod replication;
pub mod slot;
pub mod snapshot;
mod snapshot_rows;
pub mod source;
pub mod source_info;
pub mod stall;
pub mod stream;
pub mod table;

pub use config::{PgTls, PostgresConfig, SslMode};
pub use configdef::config_def;
pub use error::PgSourceError;
pub use lsn::Lsn;
pub use source::PostgresSource;
