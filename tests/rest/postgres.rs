//! The Debezium tutorial flow through the REST API, on the PostgreSQL test server: create,
//! snapshot, stream, pause (nothing new), resume (what happened meanwhile arrives), stop,
//! offsets, restart, delete.

use std::time::Duration;

use serde_json::{json, Value};

use super::client::{topic_count, topic_values, wait_for_count, Worker};
use super::state;
use crate::support::PgFixture;

const TOPIC: &str = "test.public.customers";

fn ids(data: &std::path::Path) -> Vec<i64> {
    topic_values(data, TOPIC)
        .iter()
        .filter_map(|v| v["after"]["id"].as_i64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debezium_tutorial_flow_runs_through_the_rest_api() {
    let db = PgFixture::start("rest_tutorial").await;
    db.exec(
        "CREATE TABLE customers (id int PRIMARY KEY, first_name text, email text);
         INSERT INTO customers VALUES (1001, 'Sally', 'sally@example.com'), (1002, 'George', 'gbailey@foobar.com');",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config: serde_json::Map<String, Value> = db
        .connector_config(&[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
            ("tasks.max", "1"),
        ])
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let w = Worker::serve(&data);
    let log = || w.log_text();

    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "inventory-connector", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["config"]["database.password"], "[hidden]");
    w.wait_for("/connectors/inventory-connector/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });

    // Snapshot, then streaming.
    wait_for_count(&data, TOPIC, 2, &log);
    let snapshot = topic_values(&data, TOPIC);
    assert!(snapshot.iter().all(|v| v["op"] == "r"), "{snapshot:?}");
    db.exec("INSERT INTO customers VALUES (1003, 'Edward', 'ed@walker.com')")
        .await;
    wait_for_count(&data, TOPIC, 3, &log);
    assert_eq!(topic_values(&data, TOPIC)[2]["op"], "c");
    assert_eq!(
        w.get("/connectors/inventory-connector/topics").json()["inventory-connector"]["topics"],
        json!([TOPIC])
    );

    // Pause: nothing new arrives; resume: what happened meanwhile arrives.
    assert_eq!(
        w.request("PUT", "/connectors/inventory-connector/pause", None, b"")
            .status,
        202
    );
    assert_eq!(
        state(&w.get("/connectors/inventory-connector/status").json()),
        ("PAUSED", vec!["PAUSED"])
    );
    db.exec("INSERT INTO customers VALUES (1004, 'Anne', 'annek@noanswer.org')")
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(topic_count(&data, TOPIC), 3, "no events while paused");
    assert_eq!(
        w.request("PUT", "/connectors/inventory-connector/resume", None, b"")
            .status,
        202
    );
    wait_for_count(&data, TOPIC, 4, &log);
    assert_eq!(ids(&data), vec![1001, 1002, 1003, 1004]);

    // Stop; the offsets are Debezium's (partition {"server": topic.prefix}) and can be set.
    assert_eq!(
        w.request("PUT", "/connectors/inventory-connector/stop", None, b"")
            .status,
        204
    );
    assert_eq!(
        state(&w.get("/connectors/inventory-connector/status").json()),
        ("STOPPED", vec![])
    );
    let offsets = w.get("/connectors/inventory-connector/offsets").json();
    let entry = &offsets["offsets"][0];
    assert_eq!(entry["partition"], json!({"server": "test"}), "{offsets}");
    assert!(
        entry["offset"]["lsn"].is_i64() || entry["offset"]["lsn_commit"].is_i64(),
        "{offsets}"
    );
    let altered = w.send(
        "PATCH",
        "/connectors/inventory-connector/offsets",
        &json!({"offsets": [entry]}),
    );
    assert_eq!(altered.status, 200, "{}", altered.body);
    db.exec("INSERT INTO customers VALUES (1005, 'Stop', 'stopped@example.com')")
        .await;
    assert_eq!(
        w.request("PUT", "/connectors/inventory-connector/resume", None, b"")
            .status,
        202
    );
    wait_for_count(&data, TOPIC, 5, &log);
    assert_eq!(ids(&data).last(), Some(&1005));

    // Restart the connector and its task; streaming continues.
    let restarted = w.request(
        "POST",
        "/connectors/inventory-connector/restart?includeTasks=true",
        None,
        b"",
    );
    assert_eq!(restarted.status, 202, "{}", restarted.body);
    w.wait_for(
        "/connectors/inventory-connector/status",
        "RUNNING after restart",
        |s| state(s) == ("RUNNING", vec!["RUNNING"]),
    );
    db.exec("UPDATE customers SET email = 'sally@new.example.com' WHERE id = 1001")
        .await;
    wait_for_count(&data, TOPIC, 6, &log);
    let last = topic_values(&data, TOPIC).pop().unwrap();
    assert_eq!(last["op"], "u");
    assert_eq!(last["after"]["email"], "sally@new.example.com");

    // Delete.
    assert_eq!(w.delete("/connectors/inventory-connector").status, 204);
    w.get("/connectors/inventory-connector/status").error(404);
    assert_eq!(w.get("/connectors").json(), json!([]));
    w.stop();
}
