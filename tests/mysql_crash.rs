//! `kill -9` the worker in the middle of a MariaDB binlog stream, at several points, restarting
//! it each time: every row reaches the topic at least once and none is missing.

use std::collections::BTreeSet;
use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::my_support::MyFixture;
use crate::worker::{stop, WorkerDir};

const ROWS: i64 = 100_000;
const TXS: i64 = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_kill_9_at_several_points_loses_no_row() {
    let mut db = MyFixture::start("crash").await;
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v varchar(80) NOT NULL)")
        .await;
    let dir = WorkerDir::with_config(&db.db, |more| {
        let mut all = more.to_vec();
        all.extend_from_slice(&[("max.batch.size", "512"), ("max.queue.size", "2048")]);
        db.connector_config(&all)
    });
    let mut worker = dir.start();
    // Streaming has started once the (empty) snapshot is done.
    dir.wait_for_log("starting the binlog stream", Duration::from_secs(60))
        .await;

    let load = {
        let server = db.server.clone();
        let name = db.db.clone();
        tokio::spawn(async move {
            let mut conn = server.connect().await;
            // The sequence engine's seq_N_to_M tables live in the current database.
            conn.query_drop(format!("USE `{name}`")).await.unwrap();
            let per_tx = ROWS / TXS;
            for i in 0..TXS {
                let sql = format!(
                    "INSERT INTO t SELECT seq, CONCAT(REPEAT('x', 50), seq) FROM seq_{}_to_{}",
                    i * per_tx + 1,
                    (i + 1) * per_tx
                );
                conn.query_drop(&sql).await.unwrap();
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        })
    };

    let topic = format!("test.{}.t", db.db);
    let log = &dir;
    let streams = move || log.log_text().matches("starting the binlog stream").count();
    // Waits until run `kills + 1` of the worker has started its stream (its log line).
    let streaming = move |kills: usize| async move {
        let start = std::time::Instant::now();
        while streams() <= kills {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "run {} of the worker did not start streaming within 60 s; its log:\n{}",
                kills + 1,
                log.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let mut kills = 0;
    for wait_ms in [300u64, 700, 500, 900] {
        // Each kill lands while the stream runs: wait for this run's stream to start, then
        // let it stream for a while. A kill before that would test the restart path, not the
        // stream, and leave the count below unpredictable.
        streaming(kills).await;
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        worker.kill().expect("kill -9 the worker");
        worker.wait().unwrap();
        kills += 1;
        worker = dir.start();
    }
    load.await.unwrap();
    // The last run too: when the runs before it delivered every row, waiting for the rows alone
    // would stop it before its stream starts, and the count below would be one short.
    streaming(kills).await;
    dir.wait_for(&topic, ROWS as u64, Duration::from_secs(180));
    stop(&mut worker);
    assert_eq!(
        streams(),
        kills + 1,
        "the worker streamed {} times for {kills} kills",
        streams()
    );

    let ids: BTreeSet<i64> = dir
        .values(&topic)
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v["after"]["id"].as_i64().expect("after.id"))
        .collect();
    let missing: Vec<i64> = (1..=ROWS).filter(|i| !ids.contains(i)).take(10).collect();
    assert!(
        missing.is_empty(),
        "rows missing after {kills} kills: {missing:?}..."
    );
    assert_eq!(ids.len() as i64, ROWS);
}
