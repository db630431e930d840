//! `kill -9` the worker in the middle of a stream: nothing is lost, the stored offset never
//! passes a transaction the embedded log does not hold whole, and the slot is never confirmed
//! past the stored offset.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::PgFixture;
use crate::worker::{stop, WorkerDir};

const ROWS: i64 = 100_000;
const TXS: i64 = 50;

async fn slot_confirmed(db: &PgFixture) -> Option<pg_wal::Lsn> {
    let row = db
        .client
        .query_opt(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
            &[&db.unique("slot")],
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_several_points_loses_no_row_and_never_confirms_ahead_of_the_log() {
    let db = PgFixture::start("crash").await;
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)")
        .await;
    let dir = WorkerDir::new(
        &db,
        &[("max.batch.size", "512"), ("max.queue.size", "2048")],
    );
    let mut worker = dir.start();
    // The slot exists once the (empty) snapshot is done.
    for _ in 0..300 {
        if slot_confirmed(&db).await.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The WAL insert position inside each load transaction, after its rows and just before
    // its commit: below the commit record, so a stored offset past it means the worker stored
    // a position beyond rows it had not received (PostgreSQL skips a transaction whose commit
    // lies before the slot's confirmed position).
    let before_commit: Arc<Mutex<Vec<pg_wal::Lsn>>> = Arc::default();
    let load = {
        let server = db.server.clone();
        let dbname = db.dbname.clone();
        let before_commit = before_commit.clone();
        tokio::spawn(async move {
            let client = server.connect(&dbname).await;
            let per_tx = ROWS / TXS;
            for i in 0..TXS {
                let sql = format!(
                    "INSERT INTO t SELECT g, repeat('x', 50) || g FROM generate_series({}, {}) g",
                    i * per_tx + 1,
                    (i + 1) * per_tx
                );
                client.batch_execute("BEGIN").await.unwrap();
                client.batch_execute(&sql).await.unwrap();
                let lsn: String = client
                    .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
                    .await
                    .unwrap()
                    .get(0);
                before_commit.lock().unwrap().push(lsn.parse().unwrap());
                client.batch_execute("COMMIT").await.unwrap();
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        })
    };

    let topic = "test.public.t";
    let mut kills = 0;
    for wait_ms in [300u64, 700, 500, 900] {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        worker.kill().expect("kill -9 the worker");
        worker.wait().unwrap();
        kills += 1;
        let confirmed = slot_confirmed(&db).await.expect("slot exists");
        let stored = stored_lsn(&dir).expect("an offset is stored");
        assert!(
            confirmed <= stored,
            "after kill #{kills}: slot confirmed_flush_lsn {confirmed} is ahead of the durable offset {stored}"
        );
        // The first load transaction the log does not hold whole: the stored offset must not
        // have passed its rows, or a restart would skip it.
        let held = ids_on(&dir, topic);
        let per_tx = ROWS / TXS;
        let first_missing =
            (0..TXS).find(|i| (i * per_tx + 1..=(i + 1) * per_tx).any(|id| !held.contains(&id)));
        let written = before_commit.lock().unwrap().clone();
        if let Some(lsn) = first_missing.and_then(|i| written.get(i as usize).copied()) {
            assert!(
                stored <= lsn,
                "after kill #{kills}: the stored offset {stored} is past the rows ({lsn}) of transaction {} the log does not hold whole",
                first_missing.unwrap()
            );
        }
        worker = dir.start();
    }
    load.await.unwrap();
    dir.wait_for(topic, ROWS as u64, Duration::from_secs(180));
    stop(&mut worker);

    let ids = ids_on(&dir, topic);
    let missing: Vec<i64> = (1..=ROWS).filter(|i| !ids.contains(i)).take(10).collect();
    assert!(
        missing.is_empty(),
        "rows missing after {kills} kills: {missing:?}..."
    );
    assert_eq!(ids.len() as i64, ROWS);
}

/// The ids of the rows the topic holds (with repeats removed); none before its first record.
fn ids_on(dir: &WorkerDir, topic: &str) -> BTreeSet<i64> {
    if !dir.topics().iter().any(|(t, _)| t == topic) {
        return BTreeSet::new();
    }
    dir.values(topic)
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v["after"]["id"].as_i64().expect("after.id"))
        .collect()
}
