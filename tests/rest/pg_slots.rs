//! What a PostgreSQL connector leaves in its database (issue 17, item 6): deleting it, or
//! moving it to another slot, warns (log and `Warning` header) naming the slot it leaves and
//! the statement that drops it; `slot.drop.on.stop=true` drops the slot on delete, not on a
//! pause; an
//! invalidated slot (`wal_status = 'lost'`) fails with the recovery steps, and
//! `snapshot.mode=when_needed` recovers by itself with a new slot and a new snapshot.

use std::time::Duration;

use serde_json::{json, Value};

use super::client::{topic_count, topic_values, wait_for_count, PrivatePg, Worker};
use super::state;
use crate::support::PgFixture;

fn as_json(config: cdc_core::ConfigMap) -> Value {
    Value::Object(
        config
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// `POST /connectors`, which must answer 201.
fn create(w: &Worker, name: &str, config: cdc_core::ConfigMap) {
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": name, "config": as_json(config)}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
}

async fn slot_exists(client: &tokio_postgres::Client, slot: &str) -> bool {
    client
        .query_one(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
        == 1
}

async fn drop_slot(client: &tokio_postgres::Client, slot: &str) {
    client
        .execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active",
            &[&slot],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_or_moving_a_postgres_connector_warns_about_the_slot_it_leaves() {
    let db = PgFixture::start("slot_left").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
        .await;
    let (first, second) = (db.unique("slot"), db.unique("slot2"));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    let log = || w.log_text();
    let config = db.connector_config(&[]);
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "pg", "config": as_json(config.clone())}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("warning"), None);
    wait_for_count(&data, "test.public.t", 1, &log);

    // Another slot: the first one stays, and the answer (Connect's body unchanged) warns.
    let mut moved = config.clone();
    moved.insert("slot.name".into(), second.clone());
    // A new slot with a stored offset is a FAILED task unless when_needed re-snapshots.
    moved.insert("snapshot.mode".into(), "when_needed".into());
    let put = w.send("PUT", "/connectors/pg/config", &as_json(moved.clone()));
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json()["config"]["slot.name"], second.as_str());
    let warning = put.header("warning").expect("a Warning header").to_owned();
    assert!(
        warning.starts_with("299 - \"connector pg now uses replication slot")
            && warning.contains(&format!("pg_drop_replication_slot('{first}')"))
            && warning.contains(&db.dbname),
        "{warning}"
    );
    assert!(slot_exists(&db.client, &first).await);
    w.wait_for("/connectors/pg/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    for _ in 0..300 {
        if slot_exists(&db.client, &second).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(slot_exists(&db.client, &second).await, "{}", log());

    // A config change that keeps the slot says nothing.
    moved.insert("status.update.interval.ms".into(), "300".into());
    let put = w.send("PUT", "/connectors/pg/config", &as_json(moved));
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.header("warning"), None);

    // Delete: 204 with no body, a Warning header and a WARN line naming the slot it leaves.
    let deleted = w.delete("/connectors/pg");
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.body, "");
    let warning = deleted.header("warning").expect("a Warning header");
    assert!(
        warning.contains("connector pg was deleted")
            && warning.contains(&format!("pg_drop_replication_slot('{second}')")),
        "{warning}"
    );
    assert!(slot_exists(&db.client, &second).await);
    let logged = log();
    assert!(
        logged.lines().any(|l| l.contains("WARN")
            && l.contains("connector pg was deleted")
            && l.contains(&format!("pg_drop_replication_slot('{second}')"))),
        "{logged}"
    );
    drop_slot(&db.client, &first).await;
    drop_slot(&db.client, &second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_connector_with_slot_drop_on_stop_drops_its_slot() {
    let db = PgFixture::start("slot_drop_delete").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
        .await;
    let slot = db.unique("slot");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    let log = || w.log_text();
    let config = db.connector_config(&[("slot.drop.on.stop", "true")]);
    create(&w, "pg", config);
    wait_for_count(&data, "test.public.t", 1, &log);
    assert!(slot_exists(&db.client, &slot).await);
    let deleted = w.delete("/connectors/pg");
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.header("warning"), None, "{}", log());
    assert!(!slot_exists(&db.client, &slot).await, "{}", log());

    // A connector whose task is not running (STOPPED) does not drop its slot by stopping: the
    // delete does.
    db.exec(&format!(
        "SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')"
    ))
    .await;
    let config = db.connector_config(&[("slot.drop.on.stop", "true")]);
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "idle", "config": as_json(config), "initial_state": "STOPPED"}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(slot_exists(&db.client, &slot).await);
    let deleted = w.delete("/connectors/idle");
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.header("warning"), None, "{}", log());
    assert!(!slot_exists(&db.client, &slot).await, "{}", log());
    assert!(
        log().contains("dropped the connector's replication slot (slot.drop.on.stop=true)"),
        "{}",
        log()
    );
}

/// Pausing is not stopping: with `slot.drop.on.stop=true` a paused connector keeps its slot
/// (Connect pauses a task without stopping it, so Debezium's slot stays too), and the rows
/// written during the pause arrive after the resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_a_connector_with_slot_drop_on_stop_keeps_its_slot_and_loses_nothing() {
    let db = PgFixture::start("slot_drop_pause").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
        .await;
    let slot = db.unique("slot");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    let log = || w.log_text();
    let config = db.connector_config(&[("slot.drop.on.stop", "true")]);
    create(&w, "pg", config);
    wait_for_count(&data, "test.public.t", 1, &log);
    db.exec("INSERT INTO t VALUES (2)").await;
    wait_for_count(&data, "test.public.t", 2, &log);
    let paused = w.request("PUT", "/connectors/pg/pause", None, b"");
    assert_eq!(paused.status, 202, "{}", paused.body);
    assert_eq!(
        state(&w.get("/connectors/pg/status").json()),
        ("PAUSED", vec!["PAUSED"])
    );
    assert!(slot_exists(&db.client, &slot).await, "{}", log());
    assert!(
        log().contains("paused: the replication slot is kept for the resume"),
        "{}",
        log()
    );
    db.exec("INSERT INTO t VALUES (3), (4)").await;
    let resumed = w.request("PUT", "/connectors/pg/resume", None, b"");
    assert_eq!(resumed.status, 202, "{}", resumed.body);
    wait_for_count(&data, "test.public.t", 4, &log);
    let ids: Vec<i64> = topic_values(&data, "test.public.t")
        .iter()
        .map(|v| v["payload"]["after"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    let deleted = w.delete("/connectors/pg");
    assert_eq!(deleted.status, 204);
    assert!(!slot_exists(&db.client, &slot).await, "{}", log());
}

async fn wal_status(client: &tokio_postgres::Client, slot: &str) -> Option<String> {
    client
        .query_opt(
            "SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .unwrap()
        .and_then(|r| r.get(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidated_slot_fails_with_the_recovery_steps_and_when_needed_recovers() {
    let pg = PrivatePg::start();
    let client = pg.connect().await;
    // One statement per call: ALTER SYSTEM refuses to run inside a (batch's) transaction.
    for sql in [
        "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'",
        "ALTER SYSTEM SET wal_keep_size = 0",
        "SELECT pg_reload_conf()",
        "CREATE TABLE t (id serial PRIMARY KEY, pad text)",
        "INSERT INTO t (pad) VALUES ('a'), ('b')",
    ] {
        client.batch_execute(sql).await.unwrap();
    }
    let topic = "lost.public.t";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    let log = || w.log_text();
    let mut config = json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1",
        "database.port": pg.port.to_string(),
        "database.user": "postgres",
        "database.password": "postgres",
        "database.dbname": "postgres",
        "topic.prefix": "lost",
        "slot.name": "lost_slot",
        "publication.name": "lost_pub",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    });
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "lost", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    wait_for_count(&data, topic, 2, &log);
    client
        .batch_execute("INSERT INTO t (pad) VALUES ('c')")
        .await
        .unwrap();
    wait_for_count(&data, topic, 3, &log);
    // Let the streamed change's offset be committed before the task stops.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        w.request("PUT", "/connectors/lost/stop", None, b"").status,
        204
    );
    w.wait_for("/connectors/lost/status", "STOPPED", |s| {
        s["connector"]["state"] == "STOPPED"
    });

    // More WAL than max_slot_wal_keep_size, then checkpoints, until the server gives up on it.
    let mut status = None;
    for _ in 0..30 {
        for sql in [
            "INSERT INTO t (pad) SELECT repeat('x', 1000) FROM generate_series(1, 100)",
            "SELECT pg_switch_wal()",
            "CHECKPOINT",
        ] {
            client.batch_execute(sql).await.unwrap();
        }
        status = wal_status(&client, "lost_slot").await;
        if status.as_deref() == Some("lost") {
            break;
        }
    }
    assert_eq!(
        status.as_deref(),
        Some("lost"),
        "the slot was not invalidated"
    );
    let rows: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);

    // The default snapshot mode: FAILED, and the trace says how to recover.
    assert_eq!(
        w.request("PUT", "/connectors/lost/resume", None, b"")
            .status,
        202
    );
    let status = w.wait_for("/connectors/lost/status", "FAILED", |s| {
        s["tasks"][0]["state"] == "FAILED"
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("\"lost_slot\" on database \"postgres\" has been invalidated")
            && trace.contains("pg_drop_replication_slot('lost_slot')")
            && trace.contains("DELETE /connectors/<name>/offsets")
            && trace.contains("snapshot.mode=when_needed"),
        "{trace}"
    );
    assert_eq!(topic_count(&data, topic), 3);

    // when_needed: the slot is dropped and recreated, a new snapshot is taken, streaming works.
    config["snapshot.mode"] = json!("when_needed");
    let put = w.send("PUT", "/connectors/lost/config", &config);
    assert_eq!(put.status, 200, "{}", put.body);
    let expected = 3 + rows as u64;
    wait_for_count(&data, topic, expected, &log);
    let values = topic_values(&data, topic);
    assert!(
        values[3..].iter().all(|v| v["op"] == "r"),
        "a new snapshot after the invalidated slot"
    );
    w.wait_for("/connectors/lost/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    let recreated = wal_status(&client, "lost_slot").await;
    assert!(
        recreated.is_some() && recreated.as_deref() != Some("lost"),
        "{recreated:?}"
    );
    client
        .batch_execute("INSERT INTO t (pad) VALUES ('after')")
        .await
        .unwrap();
    wait_for_count(&data, topic, expected + 1, &log);
    let last = topic_values(&data, topic).pop().unwrap();
    assert_eq!(
        (last["op"].as_str(), last["after"]["pad"].as_str()),
        (Some("c"), Some("after"))
    );
    assert!(
        log().contains("dropped the invalidated replication slot"),
        "{}",
        log()
    );
    w.stop();
}
