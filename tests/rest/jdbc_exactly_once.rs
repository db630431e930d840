//! Exactly once into the database (`tributary.exactly.once=true`): the JDBC sink in
//! `insert.mode=insert` into a table without a primary key, where any record written twice
//! would show as a duplicate row, while the worker is killed with SIGKILL three times in the
//! middle of the topic. Every record arrives once: the positions written in the same
//! transactions as the rows say where to resume, whatever the worker had committed.

use std::time::{Duration, Instant};

use super::client::{wait_for_count, Standalone};
use super::jdbc_sink::create_jdbc_sink;
use crate::support::PgFixture;

const TOPIC: &str = "test.public.items";
const ROWS: i64 = 30_000;

async fn count(db: &PgFixture, sql: &str) -> i64 {
    db.client
        .query_one(sql, &[])
        .await
        .map(|r| r.get::<_, i64>(0))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_inserts_survive_kill_9_without_duplicates() {
    let src = PgFixture::start("jdbc_eo_src").await;
    let dst = PgFixture::start("jdbc_eo_dst").await;
    src.exec(&format!(
        "CREATE TABLE items (id int PRIMARY KEY, name text);
         INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, {ROWS}) g;"
    ))
    .await;
    // No primary key downstream: a record written twice is a second row.
    dst.exec("CREATE TABLE test_public_items (id int, name text)")
        .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=60000\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    wait_for_count(&worker.data, TOPIC, ROWS as u64, &|| w.log_text());
    // The topic is complete: the source is stopped, so only the sink moves from here on.
    assert_eq!(
        w.request("PUT", "/connectors/pg/stop", None, b"").status,
        204
    );
    create_jdbc_sink(
        &w,
        TOPIC,
        &dst,
        &[
            ("insert.mode", "insert"),
            ("primary.key.mode", "none"),
            ("tributary.exactly.once", "true"),
            // Small transactions, so the kills land between many of them.
            ("consumer.override.max.poll.records", "50"),
        ],
    );

    // Kill -9 whenever more rows have arrived, three times, then let it finish.
    let mut w = Some(w);
    let mut last = 0;
    for kill in 1..=3 {
        let start = Instant::now();
        loop {
            let n = count(&dst, "SELECT count(*) FROM test_public_items").await;
            if n > last && n < ROWS {
                last = n;
                break;
            }
            assert!(
                n < ROWS,
                "the sink finished before kill {kill}: make the batches smaller"
            );
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no progress before kill {kill}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(w.take()); // SIGKILL
        w = Some(worker.start());
    }
    let start = Instant::now();
    while count(&dst, "SELECT count(*) FROM test_public_items").await < ROWS {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "not every row after 120 s; log:\n{}",
            w.as_ref().unwrap().log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        count(&dst, "SELECT count(*) FROM test_public_items").await,
        ROWS
    );
    assert_eq!(
        count(&dst, "SELECT count(DISTINCT id) FROM test_public_items").await,
        ROWS,
        "duplicates"
    );
    let stored = count(
        &dst,
        "SELECT next_offset FROM tributary_sink_offsets WHERE connector = 'jdbc'",
    )
    .await;
    assert_eq!(stored, ROWS, "the bookkeeping table's position");
    w.take().unwrap().stop();
}
