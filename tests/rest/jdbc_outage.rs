//! The target's connection lost mid-stream, five times (its backend terminated by the server, as
//! a restart or failover does): the JDBC sink reconnects (retrying with backoff when the loss
//! surfaces in a write), stays RUNNING, sends nothing to the dead-letter queue, and the target
//! ends with every row once.

use std::time::{Duration, Instant};

use super::client::Standalone;
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
