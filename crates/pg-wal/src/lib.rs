//! PostgreSQL change capture for Tributary.
//!
//! * [`lsn`]: WAL positions.
//! * [`pgoutput`]: the pure pgoutput message decoder.
//! * [`replication`]: our replication-protocol client (startup, auth, slots, CopyBoth streaming).
//! * [`convert`]: Postgres types and values to Connect schemas and values (Debezium's mapping).

pub mod convert;
pub mod lsn;
pub mod pgoutput;
pub mod replication;

pub use lsn::Lsn;
