//! Waits until a topic holds COUNT records (the sum of its partitions' high watermarks) and
//! prints the wall-clock time it got there, in seconds since the Unix epoch: the benchmarks'
//! "last event readable on the topic" clock, for Tributary and for Debezium on Connect alike.
//! One lightweight client polling metadata every 50 ms, so the process being measured keeps
//! the machine's cores.
//!
//!     cargo bench --bench kafka_watermark -- BOOTSTRAP TOPIC COUNT TIMEOUT_SECONDS
//!
//! Exits 1 with a message when TIMEOUT_SECONDS pass first (the topic may not exist yet: a
//! missing topic counts as empty).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

fn records(consumer: &BaseConsumer, topic: &str) -> i64 {
    let Ok(md) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) else {
        return 0;
    };
    let Some(t) = md.topics().first() else {
        return 0;
    };
    t.partitions()
        .iter()
        .filter_map(|p| {
            consumer
                .fetch_watermarks(topic, p.id(), Duration::from_secs(5))
                .ok()
        })
        .map(|(low, high)| high - low)
        .sum()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [bootstrap, topic, count, timeout] = &args[..] else {
        eprintln!("usage: kafka_watermark BOOTSTRAP TOPIC COUNT TIMEOUT_SECONDS");
        std::process::exit(2);
    };
    let count: i64 = count.parse().expect("COUNT is a number of records");
    let timeout = Duration::from_secs(timeout.parse().expect("TIMEOUT_SECONDS is a number"));
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("allow.auto.create.topics", "false")
        .create()
        .expect("a Kafka client");
    let start = Instant::now();
    let mut seen = 0;
    while start.elapsed() < timeout {
        seen = records(&consumer, topic);
        if seen >= count {
            let at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            println!("{}.{:06}", at.as_secs(), at.subsec_micros());
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("{topic}: {seen} of {count} records after {timeout:?}");
    std::process::exit(1);
}
