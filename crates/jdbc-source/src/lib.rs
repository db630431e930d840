//! Confluent's query-based JDBC source (`io.confluent.connect.jdbc.JdbcSourceConnector`, issue
//! 19), re-implemented for PostgreSQL and MySQL/MariaDB from what kafka-connect-jdbc 10.9.7 does
//! (`docs/research/jdbc-source.md`): the same properties and validation, the same SQL per mode,
//! the same offsets, so a config copied from a tutorial runs unchanged and a worker that takes
//! over from Kafka Connect resumes where Connect stopped.
//!
//! The database side is [`db`] (connections, catalog, a pass's rows) and [`source`] (the
//! connector: queriers, table monitor, `tasks.max` connections). The rest is pure:
//! * [`config`]: Confluent's properties, validators and `validate()` messages;
//! * [`sql`]: the query each mode runs (bulk, incrementing, timestamp, timestamp+incrementing,
//!   table or custom query), byte for byte as Confluent's query builder writes it, and the order
//!   of its parameters;
//! * [`offsets`]: source partitions (`{"protocol":"1","table":...}`, the legacy `{"table":...}`,
//!   `{"query":"query"}`) and offsets (`incrementing`, `timestamp`, `timestamp_nanos`);
//! * [`types`]: column types to Connect schemas (`numeric.mapping`); [`dialect_types`]: what
//!   PostgreSQL's and MySQL's catalogs say a column is, as the JDBC drivers report it;
//! * [`tables`]: which tables a config selects, their topics, their spread over tasks;
//! * [`temporal`]: dates (UTC days), times and timestamps read in `db.timezone`;
//! * [`errors`]: which query errors are retried (by SQLSTATE class);
//! * [`pass`]: what a pass binds and the offset each record it reads carries;
//! * [`record`]: rows as Confluent's records (a struct named after the table, no key), and the
//!   log line on what polling misses;
//! * [`values`]: database values → Connect values.

pub mod config;
pub mod db;
pub mod dialect_types;
pub mod errors;
pub mod offsets;
pub mod pass;
pub mod record;
pub mod source;
pub mod sql;
pub mod tables;
pub mod temporal;
pub mod types;
pub mod values;

pub use config::{JdbcSourceConfig, NumericMapping, Tables};
pub use offsets::{starting_offset, timestamp_mode_offsets, Offset, Partition};
pub use sql::{build, Mode, Param, Query, Quoting, Rows, SqlDialect, TableId};
pub use types::{schema_of, Jdbc};
