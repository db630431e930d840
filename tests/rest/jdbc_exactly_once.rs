//! `kill -9` of the worker at four points of a 500,000-row replication into PostgreSQL, in both
//! delivery modes:
//! - at least once (`insert.mode=upsert`): records after the last committed position are
//!   written again after each restart, and the upserts converge: the target equals the source;
//! - exactly once (`tributary.exactly.once=true`, `insert.mode=insert` into a table without a
//!   primary key, where any record written twice would be a second row): the positions written
//!   in the same transactions as the rows say where to resume, whatever the worker had
//!   committed: no duplicate, no missing row.
//!
//! The topic is filled first (the source is then stopped), so only the sink moves during the
//! kills. The comparison is the row count and a checksum of every column.

use std::time::{Duration, Instant};

use super::client::{wait_for_count, Standalone};
use super::jdbc_sink::create_jdbc_sink;
use crate::support::PgFixture;

const TOPIC: &str = "test.public.items";
const ROWS: i64 = 500_000;
const TARGET: &str = "test_public_items";

async fn count(db: &PgFixture, sql: &str) -> i64 {
    db.client
        .query_one(sql, &[])
        .await
        .map(|r| r.get::<_, i64>(0))
        .unwrap_or(0)
}

/// The row count and an md5 of every row's columns in id order.
async fn checksum(db: &PgFixture, table: &str) -> (i64, String) {
    let row = db
        .client
        .query_one(
            &format!(
                "SELECT count(*), md5(coalesce(string_agg((id, name, qty, seen)::text, '|' ORDER BY id), '')) FROM {table}"
            ),
            &[],
        )
        .await
        .expect("checksum");
    (row.get(0), row.get(1))
}

async fn kill_9_four_times(exactly_once: bool) {
    let tag = if exactly_once { "eo" } else { "alo" };
    let src = PgFixture::start(&format!("jdbc_kill_{tag}_src")).await;
    let dst = PgFixture::start(&format!("jdbc_kill_{tag}_dst")).await;
    src.exec(&format!(
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int, seen timestamptz);
         INSERT INTO items SELECT g, 'n' || g, g % 97, '2024-01-01'::timestamptz + g * interval '1 ms'
           FROM generate_series(1, {ROWS}) g;"
    ))
    .await;
    let sink: &[(&str, &str)] = if exactly_once {
        // No primary key downstream: a record written twice is a second row.
        dst.exec(&format!(
            "CREATE TABLE {TARGET} (id int, name text, qty int, seen timestamptz)"
        ))
        .await;
        &[
            ("insert.mode", "insert"),
            ("primary.key.mode", "none"),
            ("tributary.exactly.once", "true"),
        ]
    } else {
        &[
            ("insert.mode", "upsert"),
            ("primary.key.mode", "record_key"),
            ("schema.evolution", "basic"),
        ]
    };
    // Positions are committed every second: each kill loses up to a second of them.
    let worker = Standalone::new(
        "offset.flush.interval.ms=1000\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    wait_for_count(&worker.data, TOPIC, ROWS as u64, &|| w.log_text());
    assert_eq!(
        w.request("PUT", "/connectors/pg/stop", None, b"").status,
        204
    );
    create_jdbc_sink(&w, TOPIC, &dst, sink);

    // SIGKILL once 10 %, 30 %, 55 % and 80 % of the rows have arrived.
    let mut w = Some(w);
    for (kill, percent) in [10, 30, 55, 80].into_iter().enumerate() {
        let at = ROWS * percent / 100;
        let start = Instant::now();
        loop {
            let n = count(&dst, &format!("SELECT count(*) FROM {TARGET}")).await;
            if n >= at {
                assert!(n < ROWS, "the sink finished before kill {kill}");
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(180),
                "{n} rows, not {at}, before kill {kill}; log:\n{}",
                w.as_ref().unwrap().log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(w.take()); // SIGKILL
        w = Some(worker.start());
    }
    let want = checksum(&src, "items").await;
    let start = Instant::now();
    loop {
        let n = count(&dst, &format!("SELECT count(*) FROM {TARGET}")).await;
        if n >= ROWS && checksum(&dst, TARGET).await == want {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "{n} rows in the target, {ROWS} in the source after 300 s; log:\n{}",
            w.as_ref().unwrap().log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing more arrives after that (a duplicate would be a row too many).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(checksum(&dst, TARGET).await, want);
    if exactly_once {
        let stored = count(
            &dst,
            "SELECT next_offset FROM tributary_sink_offsets WHERE connector = 'jdbc'",
        )
        .await;
        assert_eq!(stored, ROWS, "the bookkeeping table's position");
    }
    w.take().unwrap().stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_least_once_upserts_converge_after_kill_9_at_four_points_of_500k_rows() {
    kill_9_four_times(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_inserts_survive_kill_9_at_four_points_of_500k_rows_without_duplicates() {
    kill_9_four_times(true).await;
}
