//! A sink connector on Kafka: PostgreSQL → the broker → Connect's `FileStreamSinkConnector`,
//! with the sink's position committed to the consumer group `connect-<name>` (what Kafka's
//! tools read) and a worker restart going on from it.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::json;

use super::broker;
use crate::rest::client::Standalone;
use crate::rest::file_sink::wait_for_lines;
use crate::support::PgFixture;

/// The offset group `group` committed for partition 0 of `topic`, as Kafka's tools show it.
fn committed(bootstrap: &str, group: &str, topic: &str) -> Option<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let got = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    match got.elements()[0].offset() {
        Offset::Offset(n) => Some(n),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sink_on_kafka_commits_to_its_consumer_group_and_resumes_from_it() {
    let bootstrap = broker::bootstrap();
    let db = PgFixture::start("kafka_file_sink").await;
    db.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text);
         INSERT INTO items VALUES (1, 'one'), (2, 'two');",
    )
    .await;
    let prefix = format!("sink_{}", db.dbname);
    let topic = format!("{prefix}.public.items");
    let worker = Standalone::new(
        &format!("bootstrap.servers={bootstrap}\noffset.flush.interval.ms=100\n"),
        "pg",
        db.connector_config(&[
            ("topic.prefix", &prefix),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ]),
    );
    let out = worker.dir.path().join("items.txt");
    let w = worker.start();
    let log = || w.log_text();
    let sink = json!({
        "connector.class": "FileStreamSink",
        "topics": topic,
        "file": out.display().to_string(),
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    });
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "file", "config": sink}),
    );
    assert_eq!(created.status, 201, "{}", created.body);

    let got = wait_for_lines(&out, 2, &log);
    assert!(got[0].contains("after={id=1, name=one}"), "{got:?}");
    db.exec("INSERT INTO items VALUES (3, 'three')").await;
    let got = wait_for_lines(&out, 3, &log);
    assert!(got[2].contains("after={id=3, name=three}"), "{got:?}");

    // Stopping flushes and commits: the group holds the next offset, 3.
    assert_eq!(
        w.request("PUT", "/connectors/file/stop", None, b"").status,
        204
    );
    assert_eq!(committed(&bootstrap, "connect-file", &topic), Some(3));

    // A new worker (the same data directory) resumes the sink from the group's offset.
    assert_eq!(
        w.request("PUT", "/connectors/file/resume", None, b"")
            .status,
        202
    );
    w.stop();
    db.exec("INSERT INTO items VALUES (4, 'four')").await;
    let w = worker.start();
    let log = || w.log_text();
    let got = wait_for_lines(&out, 4, &log);
    assert!(got[3].contains("after={id=4, name=four}"), "{got:?}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().lines().count(),
        4,
        "nothing repeated"
    );
    // The offsets API reads and changes the group while the connector is STOPPED.
    assert_eq!(
        w.request("PUT", "/connectors/file/stop", None, b"").status,
        204
    );
    let offsets = w.get("/connectors/file/offsets").json();
    assert_eq!(
        offsets,
        json!({"offsets": [{"partition": {"kafka_partition": 0, "kafka_topic": topic},
                            "offset": {"kafka_offset": 4}}]})
    );
    let patch = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0},
                                    "offset": {"kafka_offset": 2}}]});
    let r = w.send("PATCH", "/connectors/file/offsets", &patch);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(committed(&bootstrap, "connect-file", &topic), Some(2));
    // Resumed, it reads again from offset 2: records 3 and 4 a second time.
    assert_eq!(
        w.request("PUT", "/connectors/file/resume", None, b"")
            .status,
        202
    );
    let got = wait_for_lines(&out, 6, &log);
    assert!(got[4].contains("after={id=3, name=three}"), "{got:?}");
    assert_eq!(
        w.request("PUT", "/connectors/file/stop", None, b"").status,
        204
    );
    // A partition's offset set to null, and DELETE: the group forgets it.
    let forget = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0},
                                     "offset": null}]});
    let r = w.send("PATCH", "/connectors/file/offsets", &forget);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(committed(&bootstrap, "connect-file", &topic), None);
    let r = w.send("PATCH", "/connectors/file/offsets", &patch);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(committed(&bootstrap, "connect-file", &topic), Some(2));
    let r = w.request("DELETE", "/connectors/file/offsets", None, b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(committed(&bootstrap, "connect-file", &topic), None);
    assert_eq!(
        w.get("/connectors/file/offsets").json(),
        json!({"offsets": []})
    );
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_a_sink_cannot_convert_go_to_a_dead_letter_topic_on_kafka() {
    let bootstrap = broker::bootstrap();
    let db = PgFixture::start("kafka_sink_dlq").await;
    db.exec("CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1), (2);")
        .await;
    let prefix = format!("dlq_{}", db.dbname);
    let topic = format!("{prefix}.public.items");
    let dlq = format!("{prefix}-dlq");
    // The source writes JSON without schemas; the sink reads with schemas (the default), so
    // every value fails its VALUE_CONVERTER stage.
    let worker = Standalone::new(
        &format!("bootstrap.servers={bootstrap}\noffset.flush.interval.ms=100\n"),
        "pg",
        db.connector_config(&[
            ("topic.prefix", &prefix),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ]),
    );
    let out = worker.dir.path().join("items.txt");
    let w = worker.start();
    let sink = json!({
        "connector.class": "FileStreamSink",
        "topics": topic,
        "file": out.display().to_string(),
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    });
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "file", "config": sink}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let letters = broker::read_all(&bootstrap, &dlq, 2, Duration::from_secs(60));
    assert_eq!(letters.len(), 2, "two dead letters; log:\n{}", w.log_text());
    let originals = broker::read_all(&bootstrap, &topic, 2, Duration::from_secs(10));
    for (letter, original) in letters.iter().zip(&originals) {
        assert_eq!(letter.value, original.value, "the original bytes");
        let header = |name: &str| {
            letter
                .headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        assert_eq!(
            header("__connect.errors.stage").as_deref(),
            Some("VALUE_CONVERTER")
        );
        assert_eq!(header("__connect.errors.topic"), Some(topic.clone()));
        assert_eq!(
            header("__connect.errors.offset"),
            Some(original.offset.to_string())
        );
        assert!(
            header("__connect.errors.exception.message")
                .unwrap_or_default()
                .contains("schemas.enable"),
            "{:?}",
            header("__connect.errors.exception.message")
        );
    }
    assert_eq!(
        w.get("/connectors/file/status").json()["tasks"][0]["state"],
        "RUNNING"
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap_or_default(),
        "",
        "nothing written"
    );
    w.stop();
}

/// Sends `records` (key, value; `None` value: a tombstone) to `topic`, acknowledged.
async fn produce(bootstrap: &str, topic: &str, records: &[(String, Option<String>)]) {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    for (key, value) in records {
        let mut record: FutureRecord<'_, str, str> = FutureRecord::to(topic).key(key);
        if let Some(v) = value {
            record = record.payload(v);
        }
        producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(e, _)| e)
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluents_jdbc_sink_writes_flat_records_from_kafka() {
    let bootstrap = broker::bootstrap();
    let dst = PgFixture::start("kafka_confluent_jdbc").await;
    let topic = format!("flat_{}", dst.dbname);
    let key = |id: i32| {
        json!({"schema": {"type": "struct", "fields": [{"field": "id", "type": "int32"}], "optional": false},
               "payload": {"id": id}})
        .to_string()
    };
    let value = |id: i32, name: &str| {
        json!({"schema": {"type": "struct", "optional": false, "name": "flat", "fields": [
                  {"field": "id", "type": "int32"},
                  {"field": "name", "type": "string", "optional": true}]},
               "payload": {"id": id, "name": name}})
        .to_string()
    };
    produce(
        &bootstrap,
        &topic,
        &[
            (key(1), Some(value(1, "one"))),
            (key(2), Some(value(2, "two"))),
            (key(1), Some(value(1, "uno"))),
            (key(2), None),
        ],
    )
    .await;
    let worker = Standalone::new(
        &format!("bootstrap.servers={bootstrap}\noffset.flush.interval.ms=100\n"),
        "pg",
        dst.connector_config(&[("topic.prefix", &format!("unused_{}", dst.dbname))]),
    );
    let w = worker.start();
    let server = &dst.server;
    let sink = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": topic,
        "connection.url": format!("jdbc:postgresql://{}:{}/{}", server.host, server.port, dst.dbname),
        "connection.user": server.user,
        "connection.password": server.password,
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "auto.create": "true",
        "delete.enabled": "true",
    });
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "flat", "config": sink}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let start = std::time::Instant::now();
    loop {
        let rows: Vec<String> = dst
            .client
            .query(
                &format!("SELECT id || ':' || name FROM \"{topic}\" ORDER BY id"),
                &[],
            )
            .await
            .map(|rows| rows.iter().map(|r| r.get::<_, String>(0)).collect())
            .unwrap_or_default();
        if rows == ["1:uno"] {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "target holds {rows:?}; status {}; log:\n{}",
            w.get("/connectors/flat/status").body,
            w.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    w.stop();
}
