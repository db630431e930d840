//! A row the target refuses goes to the dead-letter queue (`errors.tolerance=all`,
//! `errors.deadletterqueue.topic.name`) with its original bytes and Connect's
//! `__connect.errors.*` headers; every other row arrives.

use std::time::{Duration, Instant};

use super::client::Standalone;
use super::jdbc_sink::create_jdbc_sink;
use crate::support::PgFixture;

const TOPIC: &str = "test.public.items";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_the_target_refuses_goes_to_the_dead_letter_queue_and_the_rest_arrive() {
    refused_row_to_the_dead_letter_queue("upsert").await;
}

/// The same with `insert.mode=insert`, written through COPY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_a_copy_refuses_goes_to_the_dead_letter_queue_and_the_rest_arrive() {
    refused_row_to_the_dead_letter_queue("insert").await;
}

async fn refused_row_to_the_dead_letter_queue(mode: &str) {
    let src = PgFixture::start("jdbc_dlq_src").await;
    let dst = PgFixture::start("jdbc_dlq_dst").await;
    src.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int);
         INSERT INTO items VALUES (1, 'one', 1), (2, 'too many', 500), (3, 'three', 3);",
    )
    .await;
    // The target allows fewer than 100: row 2 violates its constraint.
    dst.exec(
        "CREATE TABLE test_public_items (id int PRIMARY KEY, name text, qty int CHECK (qty < 100))",
    )
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
            ("insert.mode", mode),
            ("primary.key.mode", "record_key"),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", "dlq-items"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ],
    );
    let start = Instant::now();
    loop {
        let ids: Vec<i32> = dst
            .client
            .query("SELECT id FROM test_public_items ORDER BY id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        if ids == [1, 3] {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "target holds {ids:?}; status {}; log:\n{}",
            w.get("/connectors/jdbc/status").body,
            w.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = w.get("/connectors/jdbc/status").json();
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    w.stop();

    // The dead letter: the source's record as it was, with where it came from and why.
    let log = tributary::log::EmbeddedLog::open_read_only(&worker.data).unwrap();
    let letters = log.read("dlq-items", 0, 10).unwrap();
    assert_eq!(letters.len(), 1, "one dead letter");
    let original = log.read(TOPIC, 0, 10).unwrap();
    let source_record = original
        .iter()
        .find(|r| r.value == letters[0].value)
        .expect("the dead letter's value is the source record's bytes");
    assert_eq!(letters[0].key, source_record.key);
    let header = |name: &str| {
        letters[0]
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    assert_eq!(header("__connect.errors.topic").as_deref(), Some(TOPIC));
    assert_eq!(header("__connect.errors.partition").as_deref(), Some("0"));
    assert_eq!(
        header("__connect.errors.offset"),
        Some(source_record.offset.to_string())
    );
    assert_eq!(
        header("__connect.errors.connector.name").as_deref(),
        Some("jdbc")
    );
    assert_eq!(
        header("__connect.errors.stage").as_deref(),
        Some("TASK_PUT")
    );
    assert!(
        header("__connect.errors.exception.message")
            .unwrap_or_default()
            .contains("check constraint"),
        "{:?}",
        header("__connect.errors.exception.message")
    );
}
