//! pg-wal scenarios against the real PostgreSQL server started by `scripts/test.sh`.

mod support;

mod capture;
mod convert;
mod modes;
mod pgoutput;
mod privileges;
mod replication;
mod tls;
mod transaction;
mod types;
