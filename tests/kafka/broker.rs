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

/// Reads every record of `topic` (all partitions, from the beginning to the current end) with
/// rdkafka, assigning partitions directly (no consumer group).
pub fn read_all(bootstrap: &str, topic: &str) -> Vec<Read> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "tributary-tests")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .expect("create a consumer");
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(20))
        .expect("topic metadata");
    let partitions: Vec<i32> = md
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    let mut out = Vec::new();
    for p in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(20))
            .expect("watermarks");
        if high <= low {
            continue;
        }
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, p, rdkafka::Offset::Offset(low))
            .unwrap();
        consumer.assign(&tpl).expect("assign");
        let start = Instant::now();
        let mut next = low;
        while next < high {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "reading {topic}/{p}: at offset {next} of {high} after 120 s"
            );
            let Some(m) = consumer.poll(Duration::from_millis(500)) else {
                continue;
            };
            let m = m.expect("consume");
            next = m.offset() + 1;
            out.push(Read {
                partition: p,
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
    }
    out
}

/// How many records `topic` holds (sum of high watermarks minus low), 0 when it does not exist.
pub fn count(bootstrap: &str, topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "tributary-tests")
        .create()
        .expect("create a consumer");
    let Ok(md) = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)) else {
        return 0;
    };
    let mut n = 0;
    for t in md.topics() {
        if t.error().is_some() {
            return 0;
        }
        for p in t.partitions() {
            if let Ok((low, high)) =
                consumer.fetch_watermarks(topic, p.id(), Duration::from_secs(10))
            {
                n += high - low;
            }
        }
    }
    n
}

/// Waits until `topic` holds at least `n` records.
pub fn wait_for_count(
    bootstrap: &str,
    topic: &str,
    n: i64,
    timeout: Duration,
    log: impl Fn() -> String,
) {
    let start = Instant::now();
    loop {
        let have = count(bootstrap, topic);
        if have >= n {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "{topic} has {have} of {n} records after {timeout:?}; worker log:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Reads every record of `topic` with the pure-Python `kafka-python` client (the interpreter
/// `scripts/test.sh` prepared in `TRIBUTARY_KAFKA_PYTHON`): one JSON object per record with
/// `partition`, `offset`, `key`, `value` (UTF-8 text or null) and `headers` (`[[name, text]]`).
pub fn kafka_python_read(bootstrap: &str, topic: &str) -> Vec<serde_json::Value> {
    let python = var("TRIBUTARY_KAFKA_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/read_topic.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(bootstrap)
        .arg(topic)
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
            .args(crate::kafka::broker_args(
                &url,
                &format!("sqlite://{}", self.dir.join("tansu.db").display()),
            ))
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
