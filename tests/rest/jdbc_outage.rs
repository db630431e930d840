//! The target's connection lost mid-stream, five times (its backend terminated by the server, as
//! a restart or failover does): the JDBC sink reconnects (retrying with backoff when the loss
//! surfaces in a write), stays RUNNING, sends nothing to the dead-letter queue, and the target
//! ends with every row once.

use std::time::{Duration, Instant};

use super::client::{PrivatePg, Standalone};
use super::jdbc_sink::create_jdbc_sink;
use crate::support::PgFixture;

const TOPIC: &str = "test.public.items";

async fn count(db: &PgFixture, sql: &str) -> i64 {
    db.client
        .query_one(sql, &[])
        .await
        .map(|r| r.get::<_, i64>(0))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_target_connections_lose_nothing_and_the_task_stays_running() {
    let src = PgFixture::start("jdbc_outage_src").await;
    let dst = PgFixture::start("jdbc_outage_dst").await;
    src.exec("CREATE TABLE items (id int PRIMARY KEY, name text)")
        .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    create_jdbc_sink(
        &w,
        TOPIC,
        &dst,
        &[
            ("insert.mode", "upsert"),
            ("primary.key.mode", "record_key"),
            ("schema.evolution", "basic"),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", "dlq"),
            ("errors.retry.delay.max.ms", "200"),
            ("consumer.override.max.poll.records", "100"),
        ],
    );
    // Rows keep coming while the sink's connections are terminated, five times.
    let mut next = 1;
    for _ in 0..5 {
        src.exec(&format!(
            "INSERT INTO items SELECT g, 'n' || g FROM generate_series({next}, {}) g",
            next + 1999
        ))
        .await;
        next += 2000;
        tokio::time::sleep(Duration::from_millis(150)).await;
        dst.exec(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'tributary-jdbc-sink' AND datname = '{}'",
            dst.dbname
        ))
        .await;
    }
    let total = next - 1;
    let start = Instant::now();
    while count(&dst, "SELECT count(*) FROM test_public_items").await < total {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "not every row after 60 s; status {}; log:\n{}",
            w.get("/connectors/jdbc/status").body,
            w.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = w.get("/connectors/jdbc/status").json();
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert_eq!(
        count(&dst, "SELECT count(DISTINCT id) FROM test_public_items").await,
        total
    );
    w.stop();
    let log = tributary::log::EmbeddedLog::open_read_only(&worker.data).unwrap();
    assert!(
        log.read("dlq", 0, 10).map(|r| r.is_empty()).unwrap_or(true),
        "a lost connection sends nothing to the dead-letter queue"
    );
}

impl PrivatePg {
    async fn count(&self) -> Option<(i64, i64)> {
        let client = self.try_connect().await?;
        let row = client
            .query_one(
                "SELECT count(*), count(DISTINCT (id, name)) FROM test_public_items",
                &[],
            )
            .await
            .ok()?;
        Some((row.get(0), row.get(1)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_stopped_for_30_seconds_mid_stream_loses_nothing() {
    let src = PgFixture::start("jdbc_stopped_src").await;
    let dst = PrivatePg::start();
    src.exec("CREATE TABLE items (id int PRIMARY KEY, name text)")
        .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    let created = w.send(
        "POST",
        "/connectors",
        &serde_json::json!({"name": "jdbc", "config": {
            "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
            "topics": TOPIC,
            "connection.url": format!("jdbc:postgresql://127.0.0.1:{}/postgres", dst.port),
            "connection.username": "postgres",
            "connection.password": "postgres",
            "insert.mode": "upsert",
            "primary.key.mode": "record_key",
            "schema.evolution": "basic",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": "dlq",
            "errors.retry.delay.max.ms": "2000",
            "consumer.override.max.poll.records": "100",
        }}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let insert = |from: i32| {
        format!(
            "INSERT INTO items SELECT g, 'n' || g FROM generate_series({from}, {}) g",
            from + 999
        )
    };
    src.exec(&insert(1)).await;
    let start = Instant::now();
    while dst.count().await.map(|c| c.0) != Some(1000) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the first rows did not arrive; log:\n{}",
            w.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The target stops for 30 s while rows keep coming: the task stays RUNNING throughout.
    dst.script("pg_stop");
    let stopped = Instant::now();
    let mut next = 1001;
    while stopped.elapsed() < Duration::from_secs(30) {
        src.exec(&insert(next)).await;
        next += 1000;
        let status = w.get("/connectors/jdbc/status").json();
        assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    dst.script("pg_start");
    let total = i64::from(next - 1);
    let start = Instant::now();
    while dst.count().await != Some((total, total)) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{:?} of {total} rows 60 s after the target came back; status {}; log:\n{}",
            dst.count().await,
            w.get("/connectors/jdbc/status").body,
            w.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = w.get("/connectors/jdbc/status").json();
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    w.stop();
    let log = tributary::log::EmbeddedLog::open_read_only(&worker.data).unwrap();
    assert!(
        log.read("dlq", 0, 10).map(|r| r.is_empty()).unwrap_or(true),
        "a stopped target sends nothing to the dead-letter queue"
    );
}
