//! End-to-end scenarios: the `tributary` binary against the real PostgreSQL that
//! `scripts/test.sh` starts.

#[path = "../crates/pg-wal/tests/support.rs"]
mod support;

mod worker;

mod avro;
mod big_transaction;
mod cli;
mod crash;
mod listener;
mod rest;
