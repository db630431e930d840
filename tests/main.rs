//! End-to-end scenarios: the `tributary` binary against the real PostgreSQL that
//! `scripts/test.sh` starts (PostgreSQL, and MariaDB for `mysql_*`).

#[path = "../crates/pg-wal/tests/support.rs"]
mod support;

#[path = "../crates/mysql-binlog/tests/support.rs"]
mod my_support;

mod worker;

mod avro;
mod big_transaction;
mod cli;
mod crash;
mod differential;
mod distributed;
mod kafka;
mod listener;
mod mysql_crash;
mod rest;
mod transforms;
