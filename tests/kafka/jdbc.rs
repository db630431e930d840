//! The JDBC sink end to end on Kafka: the same scenarios as on the embedded log
//! (`tests/rest/jdbc_sink.rs`, `tests/rest/jdbc_mariadb.rs`) with the worker on the broker —
//! PostgreSQL → Kafka → Debezium's `JdbcSinkConnector` into PostgreSQL and into MariaDB; the
//! target tables end equal to the source table, column by column.

use super::broker;
use crate::rest::jdbc_mariadb::replicate_into_mariadb;
use crate::rest::jdbc_sink::{replicate_into_postgresql, Backend};

fn on_kafka(tag: &str) -> Backend {
    Backend {
        // Topics are the broker's, shared by every test run: unique per run.
        prefix: format!("jdbc_{tag}_{}", std::process::id()),
        worker: format!("bootstrap.servers={}\n", broker::bootstrap()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jdbc_sink_replicates_postgresql_into_postgresql_through_kafka() {
    replicate_into_postgresql(on_kafka("pg")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jdbc_sink_replicates_postgresql_into_mariadb_through_kafka() {
    replicate_into_mariadb(on_kafka("maria")).await;
}
