//! The broker goes away under load and comes back: the worker waits with bounded memory, keeps
//! its replication connection (keepalives answered), and catches up with nothing lost.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::broker::{self, OwnBroker};
use super::readback::wait_for_slot;
use crate::support::PgFixture;
use crate::worker::{stop, WorkerDir};

const PER_TX: i64 = 1000;
/// Peak resident memory the worker may reach while the broker is away (it starts near 20 MiB;
/// the bounds below hold about 4 MiB of queued records and 8 MiB in librdkafka).
const RSS_BOUND_KIB: u64 = 160 * 1024;

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn walsender_pid(db: &PgFixture, slot: &str) -> Option<i32> {
    db.client
        .query_opt(
            "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap()
        .and_then(|r| r.get(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_outage_under_load_loses_nothing_and_memory_stays_bounded() {
    let db = PgFixture::start("kafka_outage").await;
    // The walsender drops a client that stays silent this long: an outage longer than this
    // shows the worker answers keepalives while it waits for the broker.
    db.exec(&format!(
        "ALTER DATABASE {} SET wal_sender_timeout = '3s'",
        db.dbname
    ))
    .await;
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)")
        .await;
    let root =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-broker", db.dbname));
    let _ = std::fs::remove_dir_all(&root);
    let mut kafka = OwnBroker::start(&root);
    let bootstrap = kafka.bootstrap();
    let slot = db.unique("slot");
    let dir = WorkerDir::new(
        &db,
        &[
            ("max.batch.size", "1024"),
            ("max.queue.size", "4096"),
            ("max.queue.size.in.bytes", "4194304"),
            ("topic.creation.default.partitions", "1"),
        ],
    )
    .with_worker_properties(&[
        ("bootstrap.servers", &bootstrap),
        ("producer.queue.buffering.max.kbytes", "8192"),
    ]);
    let mut worker = dir.start();
    wait_for_slot(&db, &slot, || dir.log_text()).await;
    // The slot exists once it is created; its walsender is active only once streaming starts.
    let started = std::time::Instant::now();
    let pid_before = loop {
        if let Some(pid) = walsender_pid(&db, &slot).await {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the worker does not stream after 30 s; worker log:\n{}",
            dir.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Load: transactions of PER_TX rows until told to stop.
    let inserted = Arc::new(AtomicI64::new(0));
    let stop_load = Arc::new(AtomicBool::new(false));
    let load = {
        let (server, dbname) = (db.server.clone(), db.dbname.clone());
        let (inserted, stop_load) = (inserted.clone(), stop_load.clone());
        tokio::spawn(async move {
            let client = server.connect(&dbname).await;
            let mut next = 1;
            while !stop_load.load(Ordering::SeqCst) {
                client
                    .batch_execute(&format!(
                        "INSERT INTO t SELECT g, repeat('x', 200) || g FROM generate_series({next}, {}) g",
                        next + PER_TX - 1
                    ))
                    .await
                    .unwrap();
                next += PER_TX;
                inserted.store(next - 1, Ordering::SeqCst);
                // At most 10,000 rows/s.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let topic = "test.public.t";
    let first = broker::read_for(
        &bootstrap,
        topic,
        10_000,
        Duration::ZERO,
        Duration::from_secs(60),
    );
    assert!(first.len() >= 10_000, "worker log:\n{}", dir.log_text());
    kafka.kill();
    let down_at = inserted.load(Ordering::SeqCst);
    // The broker stays away while the load goes on; sample the worker's memory meanwhile.
    let mut peak = 0;
    let outage = Instant::now();
    while outage.elapsed() < Duration::from_secs(12) {
        if let Some(kib) = rss_kib(worker.id()) {
            peak = peak.max(kib);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let during = inserted.load(Ordering::SeqCst) - down_at;
    assert!(
        during >= 20_000,
        "only {during} rows were inserted while the broker was away"
    );
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker exited while the broker was away:\n{}",
        dir.log_text()
    );
    kafka.resume();
    stop_load.store(true, Ordering::SeqCst);
    load.await.unwrap();
    let total = inserted.load(Ordering::SeqCst);

    let ids: BTreeSet<i64> = broker::read_at_least(
        &bootstrap,
        topic,
        total as usize,
        Duration::from_secs(180),
        || dir.log_text(),
    )
    .iter()
    .filter_map(|r| r.value.as_ref())
    .map(|v| {
        let v: serde_json::Value = serde_json::from_slice(v).unwrap();
        v["after"]["id"].as_i64().expect("after.id")
    })
    .collect();
    let pid_after = walsender_pid(&db, &slot).await;
    stop(&mut worker);
    let missing: Vec<i64> = (1..=total).filter(|i| !ids.contains(i)).take(10).collect();
    assert!(
        missing.is_empty(),
        "rows missing after the outage: {missing:?}... of {total}"
    );
    assert_eq!(ids.len() as i64, total);
    assert!(
        peak <= RSS_BOUND_KIB,
        "the worker's memory reached {} MiB while the broker was away (bound {} MiB)",
        peak / 1024,
        RSS_BOUND_KIB / 1024
    );
    assert_eq!(
        pid_after,
        Some(pid_before),
        "the replication connection was replaced during the outage (keepalives not answered?); worker log:\n{}",
        dir.log_text()
    );
    eprintln!(
        "outage: {during} rows inserted while the broker was away, {total} in all; peak RSS {} MiB",
        peak / 1024
    );
}
