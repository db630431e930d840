//! The tests' Apache Kafka broker (started by `scripts/test.sh` from Maven Central's jars), a
//! broker of a test's own for outage tests, and two readers: rdkafka (ours) and kafka-python
//! (not ours). Both read as a user's consumer would: in a consumer group, up to the partitions'
//! high watermarks.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test.sh, which starts the Kafka broker")
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
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub timestamp_ms: Option<i64>,
}

/// A consumer group of its own for one read: `tributary-tests-<pid>-<n>`.
fn group_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "tributary-tests-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// An rdkafka consumer in a fresh group, reading from the earliest offset.
fn consumer(bootstrap: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group_id())
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "100")
        .create()
        .expect("create a consumer")
}

/// The partitions of `topic` once it exists (empty if it does not within `timeout`).
fn partitions(consumer: &BaseConsumer, topic: &str, timeout: Duration) -> Vec<i32> {
    let start = Instant::now();
    loop {
        let found: Vec<i32> = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .map(|md| {
                md.topics()
                    .iter()
                    .filter(|t| t.error().is_none())
                    .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                    .collect()
            })
            .unwrap_or_default();
        if !found.is_empty() || start.elapsed() > timeout {
            return found;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The high watermark of each partition of `topic`.
fn high_watermarks(consumer: &BaseConsumer, topic: &str, parts: &[i32]) -> Vec<(i32, i64)> {
    parts
        .iter()
        .map(|&p| (p, watermarks(consumer, topic, p).1))
        .collect()
}

/// Reads `topic` from the beginning in a consumer group of its own until at least `at_least`
/// records arrived and every partition is read up to its high watermark, or until `timeout`
/// (then it returns what it has). Records come in partition order, then offset order.
pub fn read_all(bootstrap: &str, topic: &str, at_least: usize, timeout: Duration) -> Vec<Read> {
    read_for(bootstrap, topic, at_least, Duration::MAX, timeout)
}

/// [`read_all`] that also stops once `at_least` records arrived and then nothing for `linger`
/// (for a topic that keeps growing under load).
pub fn read_for(
    bootstrap: &str,
    topic: &str,
    at_least: usize,
    linger: Duration,
    timeout: Duration,
) -> Vec<Read> {
    let consumer = consumer(bootstrap);
    let start = Instant::now();
    let parts = partitions(&consumer, topic, timeout);
    if parts.is_empty() {
        return Vec::new();
    }
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut out: Vec<Read> = Vec::new();
    let mut next: std::collections::HashMap<i32, i64> = std::collections::HashMap::new();
    let mut last = Instant::now();
    let caught_up = |next: &std::collections::HashMap<i32, i64>| {
        high_watermarks(&consumer, topic, &parts)
            .iter()
            .all(|(p, high)| *high == 0 || next.get(p).is_some_and(|n| n >= high))
    };
    while start.elapsed() < timeout {
        let Some(m) = consumer.poll(Duration::from_millis(200)) else {
            // Nothing more for now: done once there is enough and every partition is read to
            // its end (the watermarks are asked only here, not per record).
            if out.len() >= at_least && (last.elapsed() >= linger || caught_up(&next)) {
                break;
            }
            continue;
        };
        let m = m.expect("consume");
        last = Instant::now();
        next.insert(m.partition(), m.offset() + 1);
        out.push(Read {
            partition: m.partition(),
            offset: m.offset(),
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
        if linger.is_zero() && out.len() >= at_least {
            break;
        }
    }
    out.sort_by_key(|r| (r.partition, r.offset));
    out
}

/// How many records each of `topics` holds (missing topics are left out): the sum over its
/// partitions of high watermark minus low watermark, as Kafka's tools count them.
pub fn counts<'a>(
    bootstrap: &str,
    topics: impl Iterator<Item = &'a str>,
) -> std::collections::HashMap<String, u64> {
    let consumer = consumer(bootstrap);
    let mut out = std::collections::HashMap::new();
    for topic in topics {
        let Ok(md) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) else {
            continue;
        };
        for t in md.topics().iter().filter(|t| t.error().is_none()) {
            for p in t.partitions() {
                let (low, high) = watermarks(&consumer, topic, p.id());
                *out.entry(topic.to_owned()).or_insert(0) += (high - low) as u64;
            }
        }
    }
    out
}

/// A partition's watermarks. A topic created moments ago may still be electing its leader
/// (`NotLeaderForPartition`, `LeaderNotAvailable`): Kafka's clients retry those, and so does
/// this, for up to 30 s; any other error fails the test.
fn watermarks(consumer: &BaseConsumer, topic: &str, partition: i32) -> (i64, i64) {
    use rdkafka::error::KafkaError;
    use rdkafka::types::RDKafkaErrorCode::{LeaderNotAvailable, NotLeaderForPartition};
    let start = std::time::Instant::now();
    loop {
        match consumer.fetch_watermarks(topic, partition, Duration::from_secs(10)) {
            Ok(w) => return w,
            Err(KafkaError::MetadataFetch(LeaderNotAvailable | NotLeaderForPartition))
                if start.elapsed() < Duration::from_secs(30) =>
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("watermarks of {topic}/{partition}: {e}"),
        }
    }
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

/// An Apache Kafka broker of a test's own (the same launcher as the shared one), with its data
/// in `dir`, that the test can `kill -9` and start again on the same ports (the shared broker
/// must not go away under other tests).
pub struct OwnBroker {
    pub port: u16,
    /// The SASL_SSL listener's port (`localhost`), when started with [`OwnBroker::start_sasl_ssl`].
    pub sasl_ssl_port: Option<u16>,
    pub dir: PathBuf,
    child: Option<Child>,
    starts: usize,
}

impl OwnBroker {
    pub fn start(dir: &Path) -> OwnBroker {
        Self::start_with(dir, None)
    }

    /// [`OwnBroker::start`] with a SASL_SSL listener too (`scripts/lib/kafka-broker.sh`: the
    /// test CA in `<dir>/tls/ca.crt`, user `tributary`, password `tributary-secret`).
    pub fn start_sasl_ssl(dir: &Path) -> OwnBroker {
        let port = free_port();
        Self::start_with(dir, Some(port))
    }

    fn start_with(dir: &Path, sasl_ssl_port: Option<u16>) -> OwnBroker {
        std::fs::create_dir_all(dir).unwrap();
        let port = free_port();
        let mut b = OwnBroker {
            port,
            sasl_ssl_port,
            dir: dir.to_owned(),
            child: None,
            starts: 0,
        };
        b.resume();
        b
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.dir.join("broker.log")).unwrap_or_default()
    }

    /// Starts the broker process (again) on its ports and data; waits until it has started.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "the broker runs already");
        let launcher = var("TRIBUTARY_KAFKA_BROKER");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("broker.log"))
            .unwrap();
        let mut command = Command::new("bash");
        if let Some(p) = self.sasl_ssl_port {
            command.env("TRIBUTARY_KAFKA_SASL_SSL_PORT", p.to_string());
        }
        let child = command
            .arg(&launcher)
            .arg(&self.dir)
            .arg(self.port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {launcher}: {e}"));
        self.child = Some(child);
        self.starts += 1;
        let start = Instant::now();
        while self.log_text().matches("Kafka Server started").count() < self.starts {
            let exited = self.child.as_mut().unwrap().try_wait().unwrap();
            assert!(
                exited.is_none() && start.elapsed() < Duration::from_secs(60),
                "the broker did not start within 60 s ({exited:?}); its log:\n{}",
                self.log_text()
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        self.kill();
    }
}
