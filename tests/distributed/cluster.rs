//! A cluster of `tributary distributed` worker processes on loopback, sharing one group on the
//! tests' Apache Kafka broker, and what the tests ask of it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::kafka::broker;
use crate::rest::client::{follow_stderr, request, Resp, BIN};

/// One worker process.
pub struct Node {
    pub child: Option<Child>,
    pub addr: String,
    pub log: Arc<Mutex<String>>,
}

impl Node {
    pub fn worker_id(&self) -> &str {
        &self.addr
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn get(&self, path: &str) -> Resp {
        request(&self.addr, "GET", path, None, b"")
    }

    pub fn send(&self, method: &str, path: &str, body: &Value) -> Resp {
        request(
            &self.addr,
            method,
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }

    /// A request without a body.
    pub fn request_with(&self, method: &str, path: &str) -> Resp {
        request(&self.addr, method, path, None, b"")
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {}", self.pid());
    }

    /// `kill -9`, reaped.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    /// SIGTERM and a clean exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "exit {status}; log:\n{}", self.log_text());
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "did not stop; log:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-CONT", &c.id().to_string()])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A cluster's shared settings and its workers.
pub struct Cluster {
    pub name: String,
    pub bootstrap: String,
    pub properties: PathBuf,
    pub nodes: Vec<Node>,
    started: usize,
}

impl Cluster {
    /// Writes the workers' properties (group `name`, its own internal topics, `extra`) and
    /// starts `n` workers.
    pub fn start(name: &str, n: usize, extra: &[(&str, &str)]) -> Cluster {
        let bootstrap = broker::bootstrap();
        let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dist-{name}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let mut props: Vec<(String, String)> = [
            ("bootstrap.servers", bootstrap.as_str()),
            ("group.id", name),
            ("config.storage.replication.factor", "1"),
            ("offset.storage.replication.factor", "1"),
            ("status.storage.replication.factor", "1"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("key.converter.schemas.enable", "false"),
            ("value.converter.schemas.enable", "false"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in [
            ("config.storage.topic", format!("{name}-configs")),
            ("offset.storage.topic", format!("{name}-offsets")),
            ("status.storage.topic", format!("{name}-status")),
        ] {
            props.push((k.to_owned(), v));
        }
        for (k, v) in extra {
            props.retain(|(p, _)| p != k);
            props.push(((*k).to_owned(), (*v).to_owned()));
        }
        let text: String = props.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let properties = root.join("worker.properties");
        std::fs::write(&properties, text).unwrap();
        let mut c = Cluster {
            name: name.to_owned(),
            bootstrap,
            properties,
            nodes: Vec::new(),
            started: 0,
        };
        for _ in 0..n {
            c.add();
        }
        c
    }

    /// Starts one more worker; returns its index.
    pub fn add(&mut self) -> usize {
        let node = self.spawn();
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Starts worker `i` again (after a kill or stop).
    pub fn restart(&mut self, i: usize) {
        self.nodes[i] = self.spawn();
    }

    fn spawn(&mut self) -> Node {
        self.started += 1;
        let mut child = Command::new(BIN)
            .args(["distributed", "--listen", "127.0.0.1:0"])
            .arg(&self.properties)
            .env(
                "RUST_LOG",
                std::env::var("TRIBUTARY_TEST_WORKER_LOG")
                    .unwrap_or_else(|_| "info,librdkafka=warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tributary distributed");
        let (log, rx) = follow_stderr(&mut child);
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no REST listener; log:\n{}", log.lock().unwrap()));
        let node = Node {
            child: Some(child),
            addr,
            log,
        };
        let start = Instant::now();
        while node.get("/health").status != 200 {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "worker never healthy; log:\n{}",
                node.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        node
    }

    /// Every worker's log, for failure messages.
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| format!("---- worker {i} ({}) ----\n{}", n.addr, n.log_text()))
            .collect()
    }

    /// Waits until the running workers form one generation with `members` members; returns
    /// the leader's index.
    pub fn wait_for_group(&self, members: usize) -> usize {
        let needle = format!("members={members} ");
        let start = Instant::now();
        loop {
            // The last "assigning as the leader" line of each worker says whom it led.
            let leader = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.child.is_some())
                .filter_map(|(i, n)| {
                    let log = n.log_text();
                    let last = log
                        .lines()
                        .rev()
                        .find(|l| l.contains("assigning as the leader"))?;
                    let generation = last.split("generation=").nth(1)?.split(' ').next()?;
                    let generation: i32 = generation.parse().ok()?;
                    last.contains(&needle).then_some((generation, i))
                })
                .max();
            if let Some((generation, i)) = leader {
                // Every running worker has completed that round (knows its leader: a write
                // through it is forwarded, not answered 409).
                let synced = format!("generation={generation} leader_url=");
                let joined = self.nodes.iter().filter(|n| n.child.is_some()).all(|n| {
                    n.log_text()
                        .lines()
                        .any(|l| l.contains("round synced") && l.contains(&synced))
                });
                if joined {
                    return i;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "no generation of {members} members formed; logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `GET path` on worker `i` satisfies `ok`.
    pub fn wait_for(&self, i: usize, path: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let r = self.nodes[i].get(path);
            if r.status == 200 && ok(&r.json()) {
                return r.json();
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "waiting for {what}: last {} {}; logs:\n{}",
                r.status,
                r.body,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The worker id of connector `name`'s task 0 as worker `i` reports it, once RUNNING.
    pub fn task_owner(&self, i: usize, name: &str) -> String {
        let status = self.wait_for(
            i,
            &format!("/connectors/{name}/status"),
            "a RUNNING task",
            |s| s["tasks"][0]["state"] == "RUNNING",
        );
        status["tasks"][0]["worker_id"].as_str().unwrap().to_owned()
    }

    /// The index of the worker whose id is `id`.
    pub fn index_of(&self, id: &str) -> usize {
        self.nodes
            .iter()
            .position(|n| n.addr == id && n.child.is_some())
            .unwrap_or_else(|| panic!("no running worker {id}"))
    }

    pub fn topic(&self, kind: &str) -> String {
        format!("{}-{kind}", self.name)
    }
}
