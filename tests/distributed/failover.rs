//! Failures of workers under load: `kill -9` of the worker running a PostgreSQL connector, a
//! worker frozen past its session, and a rolling restart of every worker. No row is ever
//! missing; duplicates (the replay window after a failover) are counted and printed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use super::cluster::Cluster;
use super::formats::{ids, pg_connector};
use crate::kafka::broker;
use crate::support::PgFixture;

/// Small timeouts so that failures are noticed in seconds.
const FAST: &[(&str, &str)] = &[
    ("session.timeout.ms", "6000"),
    ("heartbeat.interval.ms", "1000"),
    ("rebalance.timeout.ms", "20000"),
    ("scheduled.rebalance.max.delay.ms", "2000"),
];

/// Inserts `rows` rows into `t` in `txs` transactions, one every `pause`.
fn load(db: &PgFixture, rows: i64, txs: i64, pause: Duration) -> tokio::task::JoinHandle<()> {
    let (server, dbname) = (db.server.clone(), db.dbname.clone());
    tokio::spawn(async move {
        let client = server.connect(&dbname).await;
        let per_tx = rows / txs;
        for i in 0..txs {
            let sql = format!(
                "INSERT INTO t SELECT g, 'v' || g FROM generate_series({}, {}) g",
                i * per_tx + 1,
                (i + 1) * per_tx
            );
            client.batch_execute(&sql).await.unwrap();
            tokio::time::sleep(pause).await;
        }
    })
}

/// Reads the topic until every id in 1..=rows is there; returns how often each id was seen.
fn every_row(cluster: &Cluster, topic: &str, rows: i64) -> BTreeMap<i64, u32> {
    let start = Instant::now();
    loop {
        let records = broker::read_for(
            &cluster.bootstrap,
            topic,
            rows as usize,
            Duration::from_secs(3),
            Duration::from_secs(60),
        );
        let mut seen: BTreeMap<i64, u32> = BTreeMap::new();
        for id in ids(&records) {
            *seen.entry(id).or_default() += 1;
        }
        if seen.len() as i64 >= rows || start.elapsed() > Duration::from_secs(120) {
            let missing: Vec<i64> = (1..=rows)
                .filter(|i| !seen.contains_key(i))
                .take(10)
                .collect();
            assert!(
                missing.is_empty(),
                "rows missing from {topic}: {missing:?} ({} of {rows} there); logs:\n{}",
                seen.len(),
                cluster.logs()
            );
            return seen;
        }
    }
}

fn duplicates(seen: &BTreeMap<i64, u32>) -> u32 {
    seen.values().map(|n| n - 1).sum()
}

/// Waits (from `since`, up to `limit`) until worker `ask` reports connector pg's task RUNNING on
/// another worker than `owner`; returns that worker.
async fn moved_off(
    cluster: &Cluster,
    ask: usize,
    owner: &str,
    since: Instant,
    limit: Duration,
) -> String {
    loop {
        let s = cluster.nodes[ask].get("/connectors/pg/status").json();
        let w = s["tasks"][0]["worker_id"].as_str().unwrap_or("").to_owned();
        if s["tasks"][0]["state"] == "RUNNING" && w != owner {
            return w;
        }
        assert!(
            since.elapsed() < limit,
            "the task did not move off {owner}; logs:\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn setup(tag: &str) -> (PgFixture, Cluster) {
    let db = PgFixture::start(tag).await;
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)")
        .await;
    let cluster = Cluster::start(&db.unique(tag), 3, FAST);
    let leader = cluster.wait_for_group(3);
    let created = cluster.nodes[leader].send(
        "POST",
        "/connectors",
        &json!({"name": "pg", "config": pg_connector(&db, &db.dbname)}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    (db, cluster)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_worker_running_a_postgres_connector_moves_its_task_and_loses_no_row() {
    const ROWS: i64 = 30_000;
    let (db, mut cluster) = setup("dist_kill").await;
    let owner = cluster.task_owner(0, "pg");
    let victim = cluster.index_of(&owner);
    let other = (victim + 1) % 3;
    let load = load(&db, ROWS, 60, Duration::from_millis(100));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let killed = Instant::now();
    cluster.nodes[victim].kill();
    // The task moves within scheduled.rebalance.max.delay.ms + session.timeout.ms (+ a
    // round's time).
    let new_owner = moved_off(&cluster, other, &owner, killed, Duration::from_secs(30)).await;
    let moved_after = killed.elapsed();
    load.await.unwrap();
    let seen = every_row(&cluster, &format!("{}.public.t", db.dbname), ROWS);
    println!(
        "kill -9 failover: task moved from {owner} to {new_owner} in {} ms (session.timeout.ms 6000 + scheduled.rebalance.max.delay.ms 2000); {ROWS} rows, none missing, {} duplicates from the replay window",
        moved_after.as_millis(),
        duplicates(&seen)
    );
    assert!(moved_after < Duration::from_secs(20), "{moved_after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_frozen_past_its_session_fences_itself_and_its_late_writes_lose() {
    const ROWS: i64 = 20_000;
    let (db, cluster) = setup("dist_freeze").await;
    let owner = cluster.task_owner(0, "pg");
    let victim = cluster.index_of(&owner);
    let other = (victim + 1) % 3;
    let load = load(&db, ROWS, 40, Duration::from_millis(100));
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.nodes[victim].freeze();
    let frozen = Instant::now();
    let new_owner = moved_off(&cluster, other, &owner, frozen, Duration::from_secs(40)).await;
    // Frozen well past its session, then it runs again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.nodes[victim].thaw();
    let log = &cluster.nodes[victim];
    let start = Instant::now();
    while !(log.log_text().contains("fenced") || log.log_text().contains("lease lapsed")) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the thawed worker did not fence itself; its log:\n{}",
            log.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    load.await.unwrap();
    let seen = every_row(&cluster, &format!("{}.public.t", db.dbname), ROWS);
    // The zombie's late status writes lost: every worker still shows the new owner.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for i in 0..3 {
        let s = cluster.nodes[i].get("/connectors/pg/status").json();
        assert_eq!(
            s["tasks"][0]["worker_id"],
            new_owner,
            "worker {i} after the thaw: {s}; logs:\n{}",
            cluster.logs()
        );
        assert_eq!(s["tasks"][0]["state"], "RUNNING", "worker {i}: {s}");
    }
    // The thawed worker never ran the task again, and its task committed nothing after the
    // thaw (its lease had lapsed).
    let zombie = cluster.nodes[victim].log_text();
    assert_eq!(
        zombie.matches("task started connector=pg").count(),
        1,
        "the thawed worker started the task again:\n{zombie}"
    );
    println!(
        "SIGSTOP: the task moved from {owner} to {new_owner}; the thawed worker fenced itself; {ROWS} rows, none missing, {} duplicates",
        duplicates(&seen)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_of_every_worker_under_load_loses_nothing() {
    const ROWS: i64 = 30_000;
    let (db, mut cluster) = setup("dist_rolling").await;
    cluster.task_owner(0, "pg");
    let load = load(&db, ROWS, 100, Duration::from_millis(100));
    for i in 0..3 {
        cluster.nodes[i].stop();
        cluster.restart(i);
        // Someone runs the task again before the next worker goes.
        let s = cluster.wait_for(i, "/connectors/pg/status", "a RUNNING task", |s| {
            s["tasks"][0]["state"] == "RUNNING"
                && cluster
                    .nodes
                    .iter()
                    .any(|n| n.child.is_some() && s["tasks"][0]["worker_id"] == n.addr.as_str())
        });
        println!(
            "rolling restart: worker {i} restarted; the task runs on {}",
            s["tasks"][0]["worker_id"]
        );
    }
    load.await.unwrap();
    let seen = every_row(&cluster, &format!("{}.public.t", db.dbname), ROWS);
    println!(
        "rolling restart of 3 workers: {ROWS} rows, none missing, {} duplicates",
        duplicates(&seen)
    );
}
