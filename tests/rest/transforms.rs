//! Transforms on a sink connector, end to end: the Debezium tutorial's pairing of a PostgreSQL
//! source with Confluent's JDBC sink, whose flat records come from Debezium's
//! `ExtractNewRecordState` and whose table name from a `RegexRouter`; and the configurations we
//! refuse rather than run without their transforms.

use serde_json::json;

use super::client::{Standalone, Worker};
use super::jdbc_sink::wait_equal;
use super::state;
use crate::support::PgFixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorials_confluent_jdbc_sink_with_unwrap_and_a_router_replicates_inserts_updates_and_deletes(
) {
    let src = PgFixture::start("smt_src").await;
    let dst = PgFixture::start("smt_dst").await;
    src.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int);
         INSERT INTO items VALUES (1, 'one', 1), (2, 'two', NULL);",
    )
    .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[("topic.prefix", "test")]),
    );
    let w = worker.start();
    let log = || w.log_text();
    let server = &dst.server;
    // The tutorial's sink config (credentials in the URL, as there), plus a router in place of
    // the tutorial's source-side one.
    let config = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "tasks.max": "1",
        "topics": "test.public.items",
        "connection.url": format!(
            "jdbc:postgresql://{}:{}/{}?user={}&password={}",
            server.host, server.port, dst.dbname, server.user, server.password
        ),
        "transforms": "unwrap,route",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "([^.]+)\\.([^.]+)\\.([^.]+)",
        "transforms.route.replacement": "$3",
        "auto.create": "true",
        "insert.mode": "upsert",
        "delete.enabled": "true",
        "pk.fields": "id",
        "pk.mode": "record_key"
    });
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    w.wait_for("/connectors/jdbc/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    // The routed topic names the table: `items`, not `test_public_items`.
    wait_equal(&src, &dst, "items", "id, name, qty", &log).await;
    src.exec("UPDATE items SET qty = 7, name = 'uno' WHERE id = 1")
        .await;
    src.exec("DELETE FROM items WHERE id = 2").await;
    src.exec("INSERT INTO items VALUES (3, 'three', 3)").await;
    wait_equal(&src, &dst, "items", "id, name, qty", &log).await;
    // The flat table has the row's columns only: no envelope, no Debezium metadata.
    let columns: Vec<String> = dst
        .client
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(columns, ["id", "name", "qty"]);
    // Positions are committed for the topic read, not the routed name.
    let offsets = w.get("/connectors/jdbc/offsets").json();
    assert_eq!(
        offsets["offsets"][0]["partition"]["kafka_topic"], "test.public.items",
        "{offsets}"
    );
    w.stop();
}

#[test]
fn transforms_we_cannot_apply_are_refused_naming_the_property() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::serve(&dir.path().join("data"));
    // An unknown transform class on a sink connector.
    let sink = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": "t", "file": "/tmp/never-written.txt",
        "transforms": "x", "transforms.x.type": "com.acme.Nope"
    });
    let refused = w.send("POST", "/connectors", &json!({"name": "s", "config": sink}));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("transforms.x.type"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("com.acme.Nope"), "{}", refused.body);
    // A predicate that is not defined.
    let sink = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": "t", "file": "/tmp/never-written.txt",
        "transforms": "f", "transforms.f.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.f.predicate": "nope"
    });
    let refused = w.send("POST", "/connectors", &json!({"name": "s", "config": sink}));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("transforms.f.predicate"),
        "{}",
        refused.body
    );
    // Any transform on a source connector: not applied there yet, so refused.
    let source = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "topic": "t", "file": "/tmp/never-read.txt",
        "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)", "transforms.route.replacement": "p-$1"
    });
    let refused = w.send(
        "POST",
        "/connectors",
        &json!({"name": "src", "config": source}),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("sink connectors only"),
        "{}",
        refused.body
    );
    // The same checks answer through validate.
    let validated = w.send(
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        &source,
    );
    assert_eq!(validated.status, 200, "{}", validated.body);
    assert!(
        validated.json()["error_count"].as_u64().unwrap() > 0,
        "{}",
        validated.body
    );
    w.stop();
}
