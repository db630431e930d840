//! pg-wal scenarios against the real PostgreSQL server started by `scripts/test.sh`.

mod pgoutput;
mod support;

mod capture;
mod replication;
