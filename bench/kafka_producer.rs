//! The broker's ceiling for `bench/kafka.sh`: a plain rdkafka producer, no database and no
//! encoding, sending COUNT copies of one key and value (taken from a real event) with
//! Tributary's producer defaults, waiting for every acknowledgement. Prints one line:
//! `messages seconds bytes`.
//!
//!     cargo bench --bench kafka_producer -- BOOTSTRAP TOPIC COUNT KEY_FILE VALUE_FILE

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;

#[path = "kafka_common.rs"]
mod kafka_common;

struct Counter {
    acked: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl ClientContext for Counter {}

impl ProducerContext for Counter {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        match r {
            Ok(_) => self.acked.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.failed.fetch_add(1, Ordering::Relaxed),
        };
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [bootstrap, topic, count, key_file, value_file] = &args[..] else {
        eprintln!("usage: kafka_producer BOOTSTRAP TOPIC COUNT KEY_FILE VALUE_FILE");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("COUNT is a number");
    let key = std::fs::read(key_file).expect("read KEY_FILE");
    let value = std::fs::read(value_file).expect("read VALUE_FILE");

    kafka_common::create_topic(bootstrap, topic).await;
    let config = kafka_common::producer_config(bootstrap);
    let (acked, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let producer: ThreadedProducer<Counter> = config
        .create_with_context(Counter {
            acked: acked.clone(),
            failed: failed.clone(),
        })
        .expect("producer");

    let start = Instant::now();
    for _ in 0..count {
        let mut record = BaseRecord::to(topic).key(&key[..]).payload(&value[..]);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((e, _)) => panic!("send: {e}"),
            }
        }
    }
    producer.flush(Duration::from_secs(600)).expect("flush");
    while acked.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < count {
        std::thread::sleep(Duration::from_millis(1));
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(failed.load(Ordering::Relaxed), 0, "deliveries failed");
    println!(
        "{count} {secs:.3} {}",
        count * (key.len() + value.len()) as u64
    );
}
