//! MariaDB on Kafka: the schema history lives in `schema.history.internal.kafka.topic`, not in
//! the data directory, and a restarted worker recovers from it the schema current at its stored
//! position, although the table changed again while it was stopped.

use std::time::Duration;

use serde_json::Value;

use super::broker;
use crate::my_support::MyFixture;
use crate::worker::{stop, WorkerDir};

/// The `after` blocks of the records on `topic`, in order (tombstones left out).
fn afters(bootstrap: &str, topic: &str, n: usize, log: impl Fn() -> String) -> Vec<Value> {
    broker::read_at_least(bootstrap, topic, n, Duration::from_secs(60), log)
        .into_iter()
        .filter_map(|r| r.value)
        .map(|v| serde_json::from_slice::<Value>(&v).unwrap()["after"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_history_lives_in_its_kafka_topic_and_recovers_the_schema_after_a_restart() {
    let bootstrap = broker::bootstrap();
    let mut db = MyFixture::start("kafka_history").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY, a int)").await;
    let prefix = db.db.clone();
    let history_topic = format!("{prefix}-schema-history");
    let dir = WorkerDir::with_config(&db.db, |more| {
        let mut all = more.to_vec();
        all.extend_from_slice(&[
            ("topic.prefix", prefix.as_str()),
            (
                "schema.history.internal.kafka.topic",
                history_topic.as_str(),
            ),
            // As in a Debezium config: the worker's brokers are the history's.
            (
                "schema.history.internal.kafka.bootstrap.servers",
                bootstrap.as_str(),
            ),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.replication.factor", "1"),
        ]);
        db.connector_config(&all)
    })
    .with_worker_properties(&[("bootstrap.servers", &bootstrap)]);
    let history_file = db.connector_config(&[])["schema.history.internal.file.filename"].clone();
    let topic = format!("{prefix}.{}.t", db.db);

    let mut worker = dir.start();
    dir.wait_for_log("starting the binlog stream", Duration::from_secs(60))
        .await;
    db.exec("INSERT INTO t VALUES (1, 10)").await;
    db.exec("ALTER TABLE t ADD COLUMN b varchar(10)").await;
    db.exec("INSERT INTO t VALUES (2, 20, 'two')").await;
    let seen = afters(&bootstrap, &topic, 2, || dir.log_text());
    assert_eq!(seen[1]["b"], "two", "{seen:?}");
    stop(&mut worker);

    // While the worker is stopped: a row with the column, then the column goes.
    db.exec("INSERT INTO t VALUES (3, 30, 'three')").await;
    db.exec("ALTER TABLE t DROP COLUMN b").await;
    db.exec("INSERT INTO t VALUES (4, 40)").await;

    let _worker = dir.start();
    let seen = afters(&bootstrap, &topic, 4, || dir.log_text());
    let by_id = |id: i64| {
        seen.iter()
            .rfind(|a| a["id"].as_i64() == Some(id))
            .unwrap_or_else(|| panic!("no row {id} in {seen:?}"))
            .clone()
    };
    // Row 3 is decoded with the schema of its binlog position (b still there), row 4 with the
    // schema after the DROP: the history replayed up to the stored position, then the DDL.
    assert_eq!(by_id(3)["b"], "three", "{seen:?}");
    assert_eq!(by_id(4)["a"], 40);
    assert!(by_id(4).get("b").is_none(), "{seen:?}");

    // The history is in its topic, in Debezium's record shape, and nowhere on disk.
    let records = broker::read_at_least(
        &bootstrap,
        &history_topic,
        1,
        Duration::from_secs(30),
        || dir.log_text(),
    );
    let ddl: Vec<Value> = records
        .iter()
        .filter_map(|r| r.value.as_deref())
        .map(|v| serde_json::from_slice(v).unwrap())
        .collect();
    assert!(
        ddl.iter().any(|r| r["ddl"]
            .as_str()
            .is_some_and(|d| d.to_lowercase().contains("add column b"))
            && r["databaseName"] == db.db.as_str()
            && r["source"]["server"] == prefix.as_str()
            && r["position"]["file"].is_string()),
        "{ddl:?}"
    );
    assert!(
        !std::path::Path::new(&history_file).exists(),
        "a history file was written at {history_file}"
    );
}
