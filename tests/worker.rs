//! Runs the `tributary` binary as a user would, on a fresh data directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::PgFixture;

/// A data directory and connector file for one test.
pub struct WorkerDir {
    pub root: PathBuf,
    pub data: PathBuf,
    pub connector: PathBuf,
    pub name: String,
    /// Worker properties passed with `--worker-config`, when set.
    pub worker_properties: Option<PathBuf>,
}

impl WorkerDir {
    /// Writes a Debezium-style connector JSON for the fixture's database.
    pub fn new(db: &PgFixture, extra: &[(&str, &str)]) -> WorkerDir {
        WorkerDir::named(db, "", extra)
    }

    /// [`WorkerDir::new`] for one of several workers on the same database: `suffix` keeps the
    /// directories and connector names apart (give each its own `slot.name`).
    pub fn named(db: &PgFixture, suffix: &str, extra: &[(&str, &str)]) -> WorkerDir {
        WorkerDir::with_config(&format!("{}{suffix}", db.dbname), |more| {
            let mut all = more.to_vec();
            all.extend_from_slice(extra);
            db.connector_config(&all)
        })
    }

    /// Writes a connector JSON named after `dbname`, from `config` given the JSON converter
    /// settings every worker test uses.
    pub fn with_config(
        dbname: &str,
        config: impl FnOnce(&[(&str, &str)]) -> cdc_core::ConfigMap,
    ) -> WorkerDir {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dbname);
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let name = format!("{dbname}-connector");
        let with_converters: Vec<(&str, &str)> = vec![
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ];
        let config: serde_json::Map<String, serde_json::Value> = config(&with_converters)
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        let connector = root.join("connector.json");
        std::fs::write(
            &connector,
            serde_json::to_vec_pretty(&serde_json::json!({"name": name, "config": config}))
                .unwrap(),
        )
        .unwrap();
        WorkerDir {
            data: root.join("data"),
            root,
            connector,
            name,
            worker_properties: None,
        }
    }

    /// Writes `worker.properties` with these properties; the worker starts with it.
    pub fn with_worker_properties(mut self, props: &[(&str, &str)]) -> WorkerDir {
        let path = self.root.join("worker.properties");
        let text: String = props.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(&path, text).unwrap();
        self.worker_properties = Some(path);
        self
    }

    /// Starts `tributary standalone --data-dir <data> <connector.json>`.
    pub fn start(&self) -> RunningWorker {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join("worker.log"))
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tributary"));
        cmd.args(["standalone", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&self.data);
        if let Some(p) = &self.worker_properties {
            cmd.arg("--worker-config").arg(p);
        }
        cmd.arg(&self.connector)
            // TRIBUTARY_TEST_WORKER_LOG (a RUST_LOG filter) for more detail while debugging.
            .env(
                "RUST_LOG",
                std::env::var("TRIBUTARY_TEST_WORKER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .map(RunningWorker)
            .expect("start the tributary binary")
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.root.join("worker.log")).unwrap_or_default()
    }

    /// Waits until the worker's log contains `needle`, failing with the log after `timeout`.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let start = Instant::now();
        while !self.log_text().contains(needle) {
            assert!(
                start.elapsed() < timeout,
                "the worker log has no {needle:?} after {timeout:?}; its log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `tributary topics list` and returns (topic, records).
    pub fn topics(&self) -> Vec<(String, u64)> {
        let out = Command::new(env!("CARGO_BIN_EXE_tributary"))
            .args(["topics", "list", "--data-dir"])
            .arg(&self.data)
            .output()
            .expect("run tributary topics list");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                Some((it.next()?.to_owned(), it.next()?.parse().ok()?))
            })
            .collect()
    }

    pub fn count(&self, topic: &str) -> u64 {
        self.topics()
            .into_iter()
            .find(|(t, _)| t == topic)
            .map_or(0, |(_, n)| n)
    }

    /// Waits until `topic` holds at least `n` records.
    pub fn wait_for(&self, topic: &str, n: u64, timeout: Duration) {
        let start = Instant::now();
        loop {
            let have = self.count(topic);
            if have >= n {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "{topic} has {have} of {n} records after {timeout:?}; worker log:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every value on a topic, read with `tributary topics tail --from-beginning`.
    pub fn values(&self, topic: &str) -> Vec<serde_json::Value> {
        let out = Command::new(env!("CARGO_BIN_EXE_tributary"))
            .args(["topics", "tail", topic, "--from-beginning", "--data-dir"])
            .arg(&self.data)
            .output()
            .expect("run tributary topics tail");
        assert!(
            out.status.success(),
            "topics tail failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// Sends SIGTERM and waits for a clean exit.
/// A started worker process: a `Child` that is killed when dropped, so a test that fails (panics)
/// while its worker runs does not leave the worker running, holding its slot and ports.
pub struct RunningWorker(Child);

impl std::ops::Deref for RunningWorker {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for RunningWorker {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "worker exited with {status} after SIGTERM"
            );
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "worker did not stop within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Peak resident set size of a running process, in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
