//! Differential tests: Debezium on the reference Kafka Connect worker and Tributary capture the
//! same database changes onto the same Apache Kafka broker, each with its own slot (or server
//! id) and topic prefix, and `compare` checks every record field by field. The reference
//! worker is started by `scripts/test.sh` (`TRIBUTARY_CONNECT_URL`, `scripts/lib/connect.sh`).

mod compare;
mod golden;
mod internal_topics;
pub use compare::record_summary_line;
mod mariadb;
mod pg;

use std::time::{Duration, Instant};

use serde_json::json;

use crate::kafka::broker;
use crate::rest::client;

pub(crate) fn connect_addr() -> String {
    let url = std::env::var("TRIBUTARY_CONNECT_URL").unwrap_or_else(|_| {
        panic!("TRIBUTARY_CONNECT_URL is not set: run the tests through scripts/test.sh, which starts the reference Kafka Connect worker")
    });
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

/// A connector on the reference Connect worker, deleted when dropped.
pub struct Reference {
    name: String,
}

impl Reference {
    /// `POST /connectors` and waits until the connector and its task are RUNNING.
    pub fn create(name: &str, config: &cdc_core::ConfigMap) -> Reference {
        let addr = connect_addr();
        let body = json!({"name": name, "config": config}).to_string();
        let r = client::request(
            &addr,
            "POST",
            "/connectors",
            Some("application/json"),
            body.as_bytes(),
        );
        assert_eq!(
            r.status, 201,
            "creating {name} on Kafka Connect: {}",
            r.body
        );
        let me = Reference {
            name: name.to_owned(),
        };
        let start = Instant::now();
        loop {
            let s = client::request(
                &addr,
                "GET",
                &format!("/connectors/{name}/status"),
                None,
                b"",
            );
            if s.status == 200 {
                let v = s.json();
                let task = &v["tasks"][0];
                assert_ne!(
                    task["state"], "FAILED",
                    "Debezium's task failed: {}",
                    task["trace"]
                );
                if v["connector"]["state"] == "RUNNING" && task["state"] == "RUNNING" {
                    return me;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "{name} not RUNNING on Kafka Connect after 120 s: {}",
                s.body
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `GET /connectors/<name>/status` (`null` when it does not answer 200).
    pub fn status(&self) -> serde_json::Value {
        let s = client::request(
            &connect_addr(),
            "GET",
            &format!("/connectors/{}/status", self.name),
            None,
            b"",
        );
        if s.status == 200 {
            s.json()
        } else {
            serde_json::Value::Null
        }
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = client::request(
            &connect_addr(),
            "DELETE",
            &format!("/connectors/{}", self.name),
            None,
            b"",
        );
    }
}

/// Every topic on the broker whose name starts with `prefix`.
pub fn topics_with_prefix(bootstrap: &str, prefix: &str) -> Vec<String> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("create a metadata client");
    let md = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("broker metadata");
    let mut names: Vec<String> = md
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

/// Reads `topic` until it holds `n` records and nothing more arrives for a second (the caller
/// knows `n` from the other side's topic).
pub fn read_topic(bootstrap: &str, topic: &str, n: usize) -> Vec<broker::Read> {
    broker::read_for(
        bootstrap,
        topic,
        n,
        Duration::from_secs(1),
        Duration::from_secs(120),
    )
}

/// Debezium's topic names with its prefix mapped to ours, and a summary that already holds the
/// difference when the two sets of topics differ.
pub fn map_topics(
    theirs: &[String],
    ours: &[String],
    (from, to): (&str, &str),
) -> (Vec<String>, compare::Summary) {
    let mapped: Vec<String> = theirs.iter().map(|t| t.replacen(from, to, 1)).collect();
    let mut summary = compare::Summary::default();
    if mapped != ours {
        summary.unexpected.push((
            "{topics}".to_owned(),
            format!("topics: Debezium {theirs:?} / Tributary {ours:?}"),
        ));
    }
    (mapped, summary)
}

/// Reads our topic (as many records as Debezium's, `theirs`) and adds its comparison.
pub fn compare_topic(
    summary: &mut compare::Summary,
    scenario: &str,
    bootstrap: &str,
    our_topic: &str,
    theirs: &[broker::Read],
    prefixes: (&str, &str),
) {
    let ours = read_topic(bootstrap, our_topic, theirs.len());
    compare::merge(
        summary,
        compare::compare(scenario, our_topic, theirs, &ours, prefixes),
    );
}
