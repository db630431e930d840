//! The Kafka-protocol broker of the tests (`tansu`, started by `scripts/test.sh`), a broker of a
//! test's own for outage tests, and two readers: rdkafka (ours) and kafka-python (not ours).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::TopicPartitionList;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test.sh, which starts the Kafka broker (tansu)")
    })
}

/// The shared broker's `host:port`.
pub fn bootstrap() -> String {
    var("TRIBUTARY_KAFKA_BOOTSTRAP")
}

/// One record as read back from a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub partition: i32,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub timestamp_ms: Option<i64>,
}

/// An rdkafka consumer for reading back (partitions are assigned directly, no group joins).
fn consumer(bootstrap: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "tributary-tests")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "100")
        .create()
        .expect("create a consumer")
}

/// Reads `topic` from the beginning of every partition with rdkafka (partitions assigned
/// directly, no consumer group) until at least `at_least` records arrived and then nothing more
/// for a second, or until `timeout` (then it returns what it has). Watermarks are not used:
/// tansu 0.6 reports a high watermark that counts record batches, not records.
pub fn read_all(bootstrap: &str, topic: &str, at_least: usize, timeout: Duration) -> Vec<Read> {
    read_for(bootstrap, topic, at_least, Duration::from_secs(1), timeout)
}

/// [`read_all`] that stops once `at_least` records arrived and then nothing for `linger`.
pub fn read_for(
    bootstrap: &str,
    topic: &str,
    at_least: usize,
    linger: Duration,
    timeout: Duration,
) -> Vec<Read> {
    let consumer = consumer(bootstrap);
    let start = Instant::now();
    let partitions: Vec<i32> = loop {
        let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10));
        let found: Vec<i32> = md
            .map(|md| {
                md.topics()
                    .iter()
                    .filter(|t| t.error().is_none())
                    .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                    .collect()
            })
            .unwrap_or_default();
        if !found.is_empty() || start.elapsed() > timeout {
            break found;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut tpl = TopicPartitionList::new();
    for p in &partitions {
        tpl.add_partition_offset(topic, *p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    if partitions.is_empty() {
        return Vec::new();
    }
    consumer.assign(&tpl).expect("assign");
    let mut out = Vec::new();
    let mut last = Instant::now();
    while start.elapsed() < timeout {
        if out.len() >= at_least && last.elapsed() >= linger {
            break;
        }
        let Some(m) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let m = m.expect("consume");
        last = Instant::now();
        out.push(Read {
            partition: m.partition(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            headers: m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                        .collect()
                })
                .unwrap_or_default(),
            timestamp_ms: m.timestamp().to_millis(),
        });
    }
    out
}

/// How many records each of `topics` holds (missing topics are left out), read with one
/// consumer assigned to every partition of them from the beginning, until nothing more arrives
/// for half a second.
pub fn counts<'a>(
    bootstrap: &str,
    topics: impl Iterator<Item = &'a str>,
) -> std::collections::HashMap<String, u64> {
    let consumer = consumer(bootstrap);
    let mut tpl = TopicPartitionList::new();
    for topic in topics {
        let Ok(md) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) else {
            continue;
        };
        for t in md.topics().iter().filter(|t| t.error().is_none()) {
            for p in t.partitions() {
                tpl.add_partition_offset(topic, p.id(), rdkafka::Offset::Beginning)
                    .unwrap();
            }
        }
    }
    let mut out = std::collections::HashMap::new();
    if tpl.count() == 0 {
        return out;
    }
    consumer.assign(&tpl).expect("assign");
    let start = Instant::now();
    let mut last = Instant::now();
    while last.elapsed() < Duration::from_millis(500) && start.elapsed() < Duration::from_secs(30) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            *out.entry(m.topic().to_owned()).or_insert(0) += 1;
            last = Instant::now();
        }
    }
    out
}

/// [`read_all`], failing with the worker's log unless at least `n` records arrived in time.
pub fn read_at_least(
    bootstrap: &str,
    topic: &str,
    n: usize,
    timeout: Duration,
    log: impl Fn() -> String,
) -> Vec<Read> {
    let got = read_all(bootstrap, topic, n, timeout);
    assert!(
        got.len() >= n,
        "{topic} has {} of {n} records after {timeout:?}; worker log:\n{}",
        got.len(),
        log()
    );
    got
}

/// Reads every record of `topic` with the pure-Python `kafka-python` client (the interpreter
/// `scripts/test.sh` prepared in `TRIBUTARY_KAFKA_PYTHON`): one JSON object per record with
/// `partition`, `offset`, `key`, `value` (UTF-8 text or null) and `headers` (`[[name, text]]`).
pub fn kafka_python_read(bootstrap: &str, topic: &str, expected: usize) -> Vec<serde_json::Value> {
    let python = var("TRIBUTARY_KAFKA_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/read_topic.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(bootstrap)
        .arg(topic)
        .arg(expected.to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "kafka-python failed reading {topic}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A tansu broker of a test's own, with durable SQLite storage, that the test can stop and
/// start again on the same port (the shared broker must not go away under other tests).
pub struct OwnBroker {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl OwnBroker {
    pub fn start(dir: &Path) -> OwnBroker {
        std::fs::create_dir_all(dir).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut b = OwnBroker {
            port,
            dir: dir.to_owned(),
            child: None,
        };
        b.resume();
        b
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the broker process (again) on its port and storage; waits until it accepts
    /// connections.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "the broker runs already");
        let bin = var("TRIBUTARY_TANSU");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("tansu.log"))
            .unwrap();
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = Command::new(&bin)
            // tansu resolves sqlite:// paths against its working directory.
            .current_dir(&self.dir)
            .args(crate::kafka::broker_args(&url, "sqlite://tansu.db"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "tansu did not listen on {} within 30 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the broker process (`kill -9`).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        self.kill();
    }
}
