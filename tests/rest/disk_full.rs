//! A full disk (issue 17, "health that tells the truth"): the worker's data directory on a
//! small tmpfs is filled up while a PostgreSQL connector streams. `/health` turns unhealthy
//! (500, naming the storage failure) instead of answering "healthy" over FAILED tasks; once
//! space is freed the worker reopens its log by itself, `/health` is 200 again, the task
//! restarts through the REST API, and every change arrives exactly once.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{topic_count, topic_values, wait_for_count, Worker};
use crate::support::PgFixture;

/// A tmpfs mounted on a fresh directory for the test's life (the test runs as root, as
/// scripts/test.sh does; mounting fails the test otherwise).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mounting a tmpfs (the test needs root, as scripts/test.sh runs): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes zeros into `file` until the filesystem is full.
fn fill(file: &PathBuf) {
    let mut f = std::fs::File::create(file).unwrap();
    let chunk = vec![0u8; 1 << 20];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
}

fn health(w: &Worker) -> (u16, Value) {
    let r = w.get("/health");
    let body = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, body)
}

fn wait_for_health(w: &Worker, status: u16, secs: u64) -> Value {
    let start = Instant::now();
    loop {
        let (s, body) = health(w);
        if s == status {
            return body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "/health is {s} {body} after {secs} s, not {status}; log:\n{}",
            w.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_turns_health_unhealthy_and_the_worker_recovers_when_space_returns() {
    let fs = Tmpfs::mount("48m");
    let data = fs.path().join("data");
    let src = PgFixture::start("disk_full").await;
    src.exec(
        "CREATE TABLE items (id int PRIMARY KEY, pad text);
         INSERT INTO items SELECT g, repeat('x', 500) FROM generate_series(1, 1000) g;",
    )
    .await;
    let topic = "test.public.items";
    let w = Worker::serve(&data);
    let config: serde_json::Map<String, Value> = src
        .connector_config(&[])
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "pg", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    wait_for_count(&data, topic, 1000, &|| w.log_text());
    assert_eq!(health(&w).0, 200);

    // The disk fills up; then the table changes.
    let filler = fs.path().join("filler");
    fill(&filler);
    src.exec("INSERT INTO items SELECT g, repeat('y', 1000) FROM generate_series(1001, 9000) g;")
        .await;
    let body = wait_for_health(&w, 500, 60);
    assert_eq!(body["status"], "unhealthy", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("storage failed"), "{message}");

    // Space returns: the log is reopened without a process restart.
    std::fs::remove_file(&filler).unwrap();
    let body = wait_for_health(&w, 200, 30);
    assert_eq!(body["status"], "healthy", "{body}");
    let restart = w.send(
        "POST",
        "/connectors/pg/restart?includeTasks=true&onlyFailed=false",
        &Value::Null,
    );
    assert!(
        (200..300).contains(&restart.status),
        "{}: {}",
        restart.status,
        restart.body
    );
    // Every change, exactly once: the offsets committed with the records before the failure
    // say where streaming resumes.
    let start = Instant::now();
    while topic_count(&data, topic) < 9000 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} of 9000 records; log:\n{}",
            topic_count(&data, topic),
            w.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let values = topic_values(&data, topic);
    let ids: BTreeSet<i64> = values
        .iter()
        .map(|v| v["payload"]["after"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (1..=9000).collect::<BTreeSet<_>>(), "none missing");
    assert_eq!(values.len(), 9000, "none twice");
    w.stop();
}
