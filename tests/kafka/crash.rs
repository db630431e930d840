//! `kill -9` of the worker mid-stream with Kafka as the backend: every row reaches the topic at
//! least once, and the slot is never confirmed past the offset stored after the broker's acks.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::broker;
use super::readback::wait_for_slot;
use crate::support::PgFixture;
use crate::worker::{stop, WorkerDir};

const ROWS: i64 = 60_000;
const TXS: i64 = 60;

async fn slot_confirmed(db: &PgFixture, slot: &str) -> Option<pg_wal::Lsn> {
    let row = db
        .client
        .query_opt(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap()?;
    row.get::<_, Option<String>>(0).map(|s| s.parse().unwrap())
}

fn stored_lsn(dir: &WorkerDir) -> Option<pg_wal::Lsn> {
    let log = tributary::log::EmbeddedLog::open(&dir.data).expect("open the log of a dead worker");
    let offset = log.source_offset(&dir.name).unwrap()?;
    pg_wal::offset::Position::from_offset(&offset).resume_lsn()
}

fn ids(records: &[broker::Read]) -> BTreeSet<i64> {
    records
        .iter()
        .filter_map(|r| r.value.as_ref())
        .map(|v| {
            let v: serde_json::Value = serde_json::from_slice(v).unwrap();
            v["after"]["id"].as_i64().expect("after.id")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_on_kafka_puts_every_row_on_the_topic_at_least_once() {
    let bootstrap = broker::bootstrap();
    let db = PgFixture::start("kafka_crash").await;
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)")
        .await;
    let prefix = db.dbname.clone();
    let slot = db.unique("slot");
    let dir = WorkerDir::new(
        &db,
        &[
            ("topic.prefix", &prefix),
            ("max.batch.size", "512"),
            ("max.queue.size", "2048"),
        ],
    )
    .with_worker_properties(&[("bootstrap.servers", &bootstrap)]);
    let mut worker = dir.start();
    wait_for_slot(&db, &slot, || dir.log_text()).await;

    let load = {
        let server = db.server.clone();
        let dbname = db.dbname.clone();
        tokio::spawn(async move {
            let client = server.connect(&dbname).await;
            let per_tx = ROWS / TXS;
            for i in 0..TXS {
                let sql = format!(
                    "INSERT INTO t SELECT g, repeat('x', 50) || g FROM generate_series({}, {}) g",
                    i * per_tx + 1,
                    (i + 1) * per_tx
                );
                client.batch_execute(&sql).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let topic = format!("{prefix}.public.t");
    let mut kills = 0;
    for wait_ms in [400u64, 900, 600, 1100] {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        worker.kill().expect("kill -9 the worker");
        worker.wait().unwrap();
        kills += 1;
        if let (Some(confirmed), Some(stored)) =
            (slot_confirmed(&db, &slot).await, stored_lsn(&dir))
        {
            assert!(
                confirmed <= stored,
                "after kill #{kills}: slot confirmed_flush_lsn {confirmed} is ahead of the stored offset {stored}"
            );
        }
        worker = dir.start();
    }
    load.await.unwrap();
    // Duplicates are allowed; read until every row is there (or time is up).
    let start = Instant::now();
    let mut seen = BTreeSet::new();
    while (seen.len() as i64) < ROWS && start.elapsed() < Duration::from_secs(180) {
        seen = ids(&broker::read_all(
            &bootstrap,
            &topic,
            ROWS as usize,
            Duration::from_secs(60),
        ));
    }
    stop(&mut worker);
    let missing: Vec<i64> = (1..=ROWS).filter(|i| !seen.contains(i)).take(10).collect();
    assert!(
        missing.is_empty(),
        "rows missing from {topic} after {kills} kills: {missing:?}...; worker log:\n{}",
        dir.log_text()
    );
    assert_eq!(seen.len() as i64, ROWS);
}
