//! The same capture into the embedded log and into Kafka: kafka-python (a client we did not
//! write) reads from the broker exactly the keys, values and headers the embedded log holds.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::broker;
use crate::support::PgFixture;
use crate::worker::{stop, WorkerDir};

const JSON: &str = "org.apache.kafka.connect.json.JsonConverter";

/// Waits until the slot exists and has confirmed a position (the worker's snapshot is done).
pub async fn wait_for_slot(db: &PgFixture, slot: &str, log: impl Fn() -> String) {
    let start = Instant::now();
    loop {
        let row = db
            .client
            .query_opt(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
                &[&slot],
            )
            .await
            .unwrap();
        if row.and_then(|r| r.get::<_, Option<String>>(0)).is_some() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "slot {slot} not ready after 60 s; worker log:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// The value (JsonConverter with schemas) without the envelope's processing times (they differ between two workers).
fn comparable(value: Option<&str>) -> Value {
    let Some(text) = value else {
        return Value::Null;
    };
    let mut v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    if let Some(o) = v.get_mut("payload").and_then(Value::as_object_mut) {
        for k in ["ts_ms", "ts_us", "ts_ns"] {
            o.remove(k);
        }
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_python_reads_back_exactly_what_the_embedded_log_holds() {
    let bootstrap = broker::bootstrap();
    let db = PgFixture::start("kafka_readback").await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, name text, price numeric(10,2), at timestamptz,
                         tags text[], doc jsonb, raw bytea, ok boolean, d date, u uuid)",
    )
    .await;
    // Each run has its own topics on the shared broker.
    let prefix = db.dbname.clone();
    let common = |slot: &str| -> Vec<(String, String)> {
        vec![
            ("topic.prefix".into(), prefix.clone()),
            ("slot.name".into(), slot.into()),
            ("key.converter".into(), JSON.into()),
            ("value.converter.schemas.enable".into(), "true".into()),
        ]
    };
    let log_slot = db.unique("slot_log");
    let kafka_slot = db.unique("slot_kafka");
    let log_cfg = common(&log_slot);
    let mut kafka_cfg = common(&kafka_slot);
    kafka_cfg.push(("topic.creation.default.partitions".into(), "1".into()));
    kafka_cfg.push((
        "topic.creation.default.replication.factor".into(),
        "1".into(),
    ));

    let on_log = WorkerDir::named(&db, "-log", &as_refs(&log_cfg));
    let on_kafka = WorkerDir::named(&db, "-kafka", &as_refs(&kafka_cfg))
        .with_worker_properties(&[("bootstrap.servers", &bootstrap)]);
    let mut w_log = on_log.start();
    wait_for_slot(&db, &log_slot, || on_log.log_text()).await;
    let mut w_kafka = on_kafka.start();
    wait_for_slot(&db, &kafka_slot, || on_kafka.log_text()).await;

    db.exec(
        "INSERT INTO t VALUES
           (1, 'one', 1.50, '2024-01-02 03:04:05.678+00', '{a,b}', '{\"k\": [1, 2]}', '\\x00ff', true, '2024-02-29', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
           (2, 'two', -2.25, NULL, '{}', 'null', NULL, false, NULL, NULL),
           (3, 'thr\"ee é', 0, '1970-01-01 00:00:00+00', NULL, '{}', '\\x', NULL, '0001-01-01', NULL);
         INSERT INTO t (id, name) SELECT g, 'row ' || g FROM generate_series(4, 8) g;",
    )
    .await;
    db.exec("UPDATE t SET price = price * 2, ok = NOT ok WHERE id IN (1, 2)")
        .await;
    // A key change: delete (with __debezium.newkey), tombstone, create (with __debezium.oldkey).
    db.exec("UPDATE t SET id = 1001 WHERE id = 1").await;
    db.exec("DELETE FROM t WHERE id = 2").await;
    let topic = format!("{prefix}.public.t");
    // 8 inserts, 2 updates, key change (3 records), delete and tombstone.
    let expected = 15;
    on_log.wait_for(&topic, expected as u64, Duration::from_secs(60));
    broker::read_at_least(
        &bootstrap,
        &topic,
        expected,
        Duration::from_secs(60),
        || on_kafka.log_text(),
    );
    stop(&mut w_log);
    stop(&mut w_kafka);

    let log = tributary::log::EmbeddedLog::open(&on_log.data).unwrap();
    let stored = log.read(&topic, 0, usize::MAX).unwrap();
    let read = broker::kafka_python_read(&bootstrap, &topic, expected);
    assert_eq!(stored.len(), expected);
    assert_eq!(read.len(), stored.len(), "records on the broker: {read:#?}");
    for (i, (s, r)) in stored.iter().zip(&read).enumerate() {
        let text = |b: &Option<Vec<u8>>| b.as_ref().map(|b| String::from_utf8(b.clone()).unwrap());
        assert_eq!(
            r["key"].as_str().map(str::to_owned),
            text(&s.key),
            "key of record {i}"
        );
        assert_eq!(
            comparable(r["value"].as_str()),
            comparable(text(&s.value).as_deref()),
            "value of record {i}"
        );
        let headers: Vec<(String, String)> = s
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8(v.clone()).unwrap()))
            .collect();
        let read_headers: Vec<(String, String)> = r["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        // Each worker's task run has its own __debezium.context.runId; the rest is equal.
        let without_run_id = |h: Vec<(String, String)>| -> Vec<(String, String)> {
            h.into_iter()
                .map(|(k, v)| {
                    if k == "__debezium.context.runId" {
                        (k, String::new())
                    } else {
                        (k, v)
                    }
                })
                .collect()
        };
        assert_eq!(
            without_run_id(read_headers),
            without_run_id(headers),
            "headers of record {i}"
        );
    }
    // The key change carries Debezium's headers and the delete is followed by a tombstone.
    let ops: Vec<Option<String>> = read
        .iter()
        .map(|r| {
            r["value"].as_str().map(|v| {
                comparable(Some(v))["payload"]["op"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let ops: Vec<&str> = ops
        .iter()
        .map(|o| o.as_deref().unwrap_or("tombstone"))
        .collect();
    assert_eq!(
        ops,
        [
            "c",
            "c",
            "c",
            "c",
            "c",
            "c",
            "c",
            "c",
            "u",
            "u",
            "d",
            "tombstone",
            "c",
            "d",
            "tombstone"
        ]
    );
    assert_eq!(read[10]["headers"][0][0], "__debezium.newkey");
    assert_eq!(read[12]["headers"][0][0], "__debezium.oldkey");
    // Every record, tombstones too, carries Debezium's context headers after its own.
    for (i, r) in read.iter().enumerate() {
        let headers = r["headers"].as_array().unwrap();
        let context: Vec<(&str, &str)> = headers[headers.len().saturating_sub(4)..]
            .iter()
            .map(|h| (h[0].as_str().unwrap(), h[1].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(
            context[..3],
            [
                ("__debezium.context.connectorLogicalName", prefix.as_str()),
                ("__debezium.context.taskId", "0"),
                ("__debezium.context.connectorName", "postgresql"),
            ],
            "context headers of record {i}"
        );
        assert_eq!(context[3].0, "__debezium.context.runId", "record {i}");
    }
    assert_eq!(
        read[11]["key"], read[10]["key"],
        "the tombstone has the deleted key"
    );
}
