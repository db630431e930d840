//! End-to-end latency for `bench/kafka.sh`: inserts rows at a steady rate (one transaction of
//! RATE/1000 rows every millisecond) into a table a running worker captures onto Kafka, and
//! reads the topic with a consumer assigned to its partitions (no group). For every event:
//! the time it was read minus its commit time in the database (`source.ts_us`): commit → record
//! readable by a consumer, the end-to-end latency a user sees. Prints p50, p99, p99.9 and max
//! in ms.
//!
//!     cargo bench --bench kafka_latency -- PG_CONN BOOTSTRAP TOPIC TABLE RATE SECONDS
//!
//! The broker's own floor, in the same way: `--plain` sends RATE messages/s with a plain rdkafka
//! producer (Tributary's producer defaults, no database) whose values carry their send time as
//! `source.ts_us`, and the same reader measures send → read.
//!
//!     cargo bench --bench kafka_latency -- --plain BOOTSTRAP TOPIC RATE SECONDS

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::producer::{BaseRecord, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

#[path = "kafka_common.rs"]
mod kafka_common;

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros() as i64
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (pg, bootstrap, topic, table, rate, seconds) = match &args[..] {
        [flag, bootstrap, topic, rate, seconds] if flag == "--plain" => {
            (None, bootstrap, topic, None, rate, seconds)
        }
        [pg, bootstrap, topic, table, rate, seconds] => {
            (Some(pg), bootstrap, topic, Some(table), rate, seconds)
        }
        _ => {
            eprintln!("usage: kafka_latency PG_CONN BOOTSTRAP TOPIC TABLE RATE SECONDS");
            eprintln!("       kafka_latency --plain BOOTSTRAP TOPIC RATE SECONDS");
            std::process::exit(2);
        }
    };
    let rate: u64 = rate.parse().expect("RATE");
    let seconds: u64 = seconds.parse().expect("SECONDS");
    let expected = rate * seconds;

    let plain = match pg {
        None => Some(plain_producer(bootstrap, topic).await),
        Some(_) => None,
    };
    let mut consumer_config = ClientConfig::new();
    consumer_config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "tributary-bench")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "5")
        .set("fetch.error.backoff.ms", "5");
    // Extra consumer settings, `k=v,k=v`.
    kafka_common::apply_env(&mut consumer_config, "KAFKA_CONSUMER_SET");
    let consumer: BaseConsumer = consumer_config.create().expect("consumer");
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let mut tpl = TopicPartitionList::new();
    for t in md.topics() {
        for p in t.partitions() {
            tpl.add_partition_offset(topic, p.id(), Offset::End)
                .unwrap();
        }
    }
    consumer.assign(&tpl).expect("assign");
    // Let the consumer settle at the end before the load starts.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(2) {
        let _ = consumer.poll(Duration::from_millis(50));
    }

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut lat = Vec::with_capacity(expected as usize);
            // The event's own `ts_us` (when the connector built it) splits each latency into
            // commit -> built (database and capture) and built -> read (runtime, producer, broker).
            let mut built = Vec::with_capacity(expected as usize);
            let deadline_after_done = Duration::from_secs(120);
            let mut done_at: Option<Instant> = None;
            while (lat.len() as u64) < expected {
                if done.load(Ordering::Relaxed) {
                    let at = *done_at.get_or_insert_with(Instant::now);
                    if at.elapsed() > deadline_after_done {
                        break;
                    }
                }
                let Some(m) = consumer.poll(Duration::from_millis(100)) else {
                    continue;
                };
                let m = m.expect("consume");
                let read = now_us();
                let Some(v) = m.payload() else { continue };
                let v: serde_json::Value = serde_json::from_slice(v).expect("JSON value");
                let payload = v.get("payload").map_or(&v, |p| p);
                if let Some(ts) = payload["source"]["ts_us"].as_i64() {
                    lat.push(read - ts);
                    if let Some(at) = payload["ts_us"].as_i64() {
                        built.push((at - ts, read - at));
                    }
                }
            }
            (lat, built)
        })
    };

    let client = match (pg, table) {
        (Some(pg), Some(_)) => {
            let (client, conn) = tokio_postgres::connect(pg, tokio_postgres::NoTls)
                .await
                .expect("connect to PostgreSQL");
            tokio::spawn(conn);
            // The bench server runs with `synchronous_commit = off` (fast loads). Logical
            // decoding reads only flushed WAL, so under it a commit reaches the walsender when
            // the WAL writer next flushes (`wal_writer_delay`, 200 ms): 100 ms of latency on
            // average that no client can remove. Commit as a default server does.
            client
                .batch_execute("SET synchronous_commit = on")
                .await
                .expect("set synchronous_commit");
            Some(client)
        }
        _ => None,
    };
    let per_tick = (rate / 1000).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut next: u64 = 1;
    let start = Instant::now();
    while next <= expected {
        tick.tick().await;
        let last = (next + per_tick - 1).min(expected);
        match (&client, table, &plain) {
            (Some(client), Some(table), _) => client
                .batch_execute(&format!(
                    "INSERT INTO {table} SELECT g, 'name-' || g, g % 100, now() FROM generate_series({next}, {last}) g"
                ))
                .await
                .expect("insert"),
            (_, _, Some(producer)) => {
                for id in next..=last {
                    let value = format!(
                        r#"{{"before":null,"after":{{"id":{id},"name":"name-{id}","qty":{},"updated":"2024-01-01T00:00:00Z"}},"source":{{"ts_us":{}}},"op":"c"}}"#,
                        id % 100,
                        now_us()
                    );
                    let key = format!(r#"{{"id":{id}}}"#);
                    let mut record = BaseRecord::to(topic).key(&key).payload(&value);
                    loop {
                        match producer.send(record) {
                            Ok(()) => break,
                            Err((_, r)) => {
                                record = r;
                                std::thread::sleep(Duration::from_millis(1));
                            }
                        }
                    }
                }
            }
            _ => unreachable!("a database or a plain producer"),
        }
        next = last + 1;
    }
    let load_secs = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let (mut lat, built) = reader.join().expect("reader");
    lat.sort_unstable();
    println!(
        "rate {:.0} changes/s over {load_secs:.1} s; events read {} of {expected}",
        expected as f64 / load_secs,
        lat.len()
    );
    println!(
        "latency ms: p50 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}",
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        percentile(&lat, 1.0)
    );
    if !built.is_empty() {
        let (mut capture, mut deliver): (Vec<i64>, Vec<i64>) = built.into_iter().unzip();
        capture.sort_unstable();
        deliver.sort_unstable();
        for (what, v) in [
            ("commit -> event built", &capture),
            ("event built -> read", &deliver),
        ] {
            println!(
                "  {what:<22} ms: p50 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}",
                percentile(v, 0.50),
                percentile(v, 0.99),
                percentile(v, 0.999),
                percentile(v, 1.0)
            );
        }
    }
}

/// A producer with Tributary's defaults, and its topic created (one partition).
async fn plain_producer(bootstrap: &str, topic: &str) -> ThreadedProducer<DefaultProducerContext> {
    kafka_common::create_topic(bootstrap, topic).await;
    kafka_common::producer_config(bootstrap)
        .create()
        .expect("producer")
}
