//! The connector end to end against the real server: snapshot, streaming, shapes, restarts.

use serde_json::json;

use crate::support::PgFixture;

async fn customers(db: &PgFixture) {
    db.exec(
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text);
         INSERT INTO customers VALUES (1, 'Sally', 's@x.org'), (2, 'George', NULL);",
    )
    .await;
}

#[tokio::test]
async fn snapshot_then_streaming_of_insert_update_delete_and_truncate() {
    let db = PgFixture::start("lifecycle").await;
    customers(&db).await;
    let mut cap = db.capture(&[("skipped.operations", "none")]).await;

    let snap = cap.take(2).await;
    assert_eq!(snap[0].topic, "test.public.customers");
    assert_eq!(snap[0].key, json!({"id": 1}));
    assert_eq!(snap[0].value["op"], "r");
    assert_eq!(snap[0].value["before"], json!(null));
    assert_eq!(
        snap[0].value["after"],
        json!({"id": 1, "name": "Sally", "email": "s@x.org"})
    );
    assert_eq!(snap[0].value["source"]["snapshot"], "first");
    assert_eq!(snap[1].value["source"]["snapshot"], "last");
    assert_eq!(snap[1].value["after"]["email"], json!(null));

    db.exec("INSERT INTO customers VALUES (3, 'Ann', 'a@x.org')")
        .await;
    let ins = cap.next().await;
    assert_eq!(ins.value["op"], "c");
    assert_eq!(ins.key, json!({"id": 3}));
    assert_eq!(ins.value["after"]["name"], "Ann");
    let src = &ins.value["source"];
    assert_eq!(src["connector"], "postgresql");
    assert_eq!(src["name"], "test");
    assert_eq!(src["db"], db.dbname.as_str());
    assert_eq!(src["schema"], "public");
    assert_eq!(src["table"], "customers");
    assert_eq!(src["snapshot"], "false");
    assert!(src["txId"].as_i64().unwrap() > 0);
    assert!(src["lsn"].as_i64().unwrap() > 0);
    // The first change after the snapshot: no commit streamed yet, as Debezium ([null,"<lsn>"]).
    assert!(src["sequence"].as_str().unwrap().starts_with("[null,\""));
    for ts in ["ts_ms", "ts_us", "ts_ns"] {
        assert!(ins.value[ts].as_i64().unwrap() > 0, "{ts}");
        assert!(src[ts].as_i64().unwrap() > 0, "source.{ts}");
    }

    db.exec("UPDATE customers SET email = 'ann@x.org' WHERE id = 3")
        .await;
    let upd = cap.next().await;
    assert_eq!(upd.value["op"], "u");
    assert_eq!(
        upd.value["before"],
        json!(null),
        "REPLICA IDENTITY DEFAULT sends no old row"
    );
    assert_eq!(upd.value["after"]["email"], "ann@x.org");

    db.exec("DELETE FROM customers WHERE id = 3").await;
    let del = cap.next().await;
    assert_eq!(del.value["op"], "d");
    assert_eq!(del.value["before"]["id"], 3);
    assert_eq!(del.value["after"], json!(null));
    let tomb = cap.next().await;
    assert_eq!(tomb.key, json!({"id": 3}));
    assert_eq!(tomb.value, json!(null), "a tombstone follows the delete");

    db.exec("TRUNCATE customers").await;
    let tr = cap.next().await;
    assert_eq!(tr.value["op"], "t");
    assert_eq!(tr.key, json!(null));
    let (res, _) = cap.stop().await;
    res.unwrap();
}

#[tokio::test]
async fn events_with_schemas_have_debeziums_schema_names_and_types() {
    let db = PgFixture::start("schemas").await;
    customers(&db).await;
    let mut cap = db.capture(&[]).await;
    let r = cap.next().await;
    let ks = &r.key_with_schema["schema"];
    assert_eq!(ks["name"], "test.public.customers.Key");
    assert_eq!(
        ks["fields"],
        json!([{"type": "int32", "optional": false, "field": "id"}])
    );
    let vs = &r.value_with_schema["schema"];
    assert_eq!(vs["name"], "test.public.customers.Envelope");
    assert_eq!(vs["version"], 2);
    let names: Vec<&str> = vs["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "before",
            "after",
            "source",
            "transaction",
            "op",
            "ts_ms",
            "ts_us",
            "ts_ns"
        ]
    );
    let before = &vs["fields"][0];
    assert_eq!(before["name"], "test.public.customers.Value");
    assert_eq!(before["optional"], true);
    assert_eq!(
        before["fields"],
        json!([
            {"type": "int32", "optional": false, "field": "id"},
            {"type": "string", "optional": false, "field": "name"},
            {"type": "string", "optional": true, "field": "email"}
        ])
    );
    let source = &vs["fields"][2];
    assert_eq!(source["name"], "io.debezium.connector.postgresql.Source");
    let snapshot = source["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "snapshot")
        .unwrap();
    assert_eq!(snapshot["name"], "io.debezium.data.Enum");
    assert_eq!(snapshot["default"], "false");
    assert_eq!(r.value_with_schema["payload"]["op"], "r");
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn replica_identity_full_carries_the_old_row() {
    let db = PgFixture::start("ident_full").await;
    customers(&db).await;
    db.exec("ALTER TABLE customers REPLICA IDENTITY FULL").await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    db.exec("UPDATE customers SET name = 'Sal' WHERE id = 1")
        .await;
    let upd = cap.next().await;
    assert_eq!(
        upd.value["before"],
        json!({"id": 1, "name": "Sally", "email": "s@x.org"})
    );
    assert_eq!(upd.value["after"]["name"], "Sal");
    db.exec("DELETE FROM customers WHERE id = 2").await;
    let del = cap.next().await;
    assert_eq!(
        del.value["before"],
        json!({"id": 2, "name": "George", "email": null})
    );
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn update_with_unchanged_toast_column_is_marked_unavailable() {
    let db = PgFixture::start("toast").await;
    db.exec(
        "CREATE TABLE docs (id int PRIMARY KEY, small int, big text);
         ALTER TABLE docs ALTER COLUMN big SET STORAGE EXTERNAL;
         INSERT INTO docs VALUES (1, 0, repeat('x', 100000));",
    )
    .await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    db.exec("UPDATE docs SET small = 1 WHERE id = 1").await;
    let upd = cap.next().await;
    assert_eq!(upd.value["after"]["small"], 1);
    assert_eq!(upd.value["after"]["big"], "__debezium_unavailable_value");
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn unchanged_toast_under_replica_identity_full_is_filled_from_the_old_row() {
    let db = PgFixture::start("toast_full").await;
    db.exec(
        "CREATE TABLE docs (id int PRIMARY KEY, small int, big text);
         ALTER TABLE docs ALTER COLUMN big SET STORAGE EXTERNAL;
         ALTER TABLE docs REPLICA IDENTITY FULL;
         INSERT INTO docs VALUES (1, 0, repeat('y', 100000));",
    )
    .await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    db.exec("UPDATE docs SET small = 1 WHERE id = 1").await;
    let upd = cap.next().await;
    assert_eq!(
        upd.value["after"]["big"].as_str().map(str::len),
        Some(100000)
    );
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn primary_key_change_is_a_delete_tombstone_and_create() {
    let db = PgFixture::start("pk_change").await;
    customers(&db).await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    db.exec("UPDATE customers SET id = 10 WHERE id = 1").await;
    let recs = cap.take(3).await;
    assert_eq!(recs[0].value["op"], "d");
    assert_eq!(recs[0].key, json!({"id": 1}));
    assert!(recs[0]
        .headers
        .iter()
        .any(|(k, v)| k == "__debezium.newkey" && v == br#"{"id":10}"#));
    assert_eq!(recs[1].value, json!(null));
    assert_eq!(recs[2].value["op"], "c");
    assert_eq!(recs[2].key, json!({"id": 10}));
    assert!(recs[2]
        .headers
        .iter()
        .any(|(k, v)| k == "__debezium.oldkey" && v == br#"{"id":1}"#));
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn restart_from_the_committed_offset_misses_nothing() {
    let db = PgFixture::start("restart").await;
    customers(&db).await;
    let mut cap = db.capture(&[]).await;
    cap.take(2).await;
    db.exec("INSERT INTO customers VALUES (3, 'c', NULL)").await;
    assert_eq!(cap.next().await.value["after"]["id"], 3);
    let (res, offset) = cap.stop().await;
    res.unwrap();
    let offset = offset.expect("an offset was committed");
    db.exec(
        "INSERT INTO customers VALUES (4, 'd', NULL); INSERT INTO customers VALUES (5, 'e', NULL);",
    )
    .await;
    let mut cap = db.capture_from(&[], Some(offset)).await;
    let recs = cap.take(2).await;
    let ids: Vec<i64> = recs
        .iter()
        .map(|r| r.value["after"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [4, 5], "no snapshot again, no gap, no repeat of id 3");
    cap.expect_quiet(500).await;
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn the_slot_is_confirmed_only_up_to_the_committed_offset() {
    let db = PgFixture::start("confirm").await;
    customers(&db).await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    db.exec("INSERT INTO customers VALUES (3, 'c', NULL)").await;
    cap.next().await;
    // The in-test runtime committed the batch; the slot follows within a status interval.
    let slot = db.unique("slot");
    let mut confirmed = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let row = db
            .client
            .query_one(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
                &[&slot],
            )
            .await
            .unwrap();
        confirmed = row.get(0);
        let committed = cap.committed.lock().unwrap().clone().unwrap();
        let stored = pg_wal::offset::Position::from_offset(&committed)
            .resume_lsn()
            .unwrap();
        let slot_lsn: pg_wal::Lsn = confirmed.parse().unwrap();
        assert!(
            slot_lsn <= stored,
            "slot {slot_lsn} is ahead of the stored offset {stored}"
        );
        if slot_lsn == stored {
            break;
        }
    }
    assert!(!confirmed.is_empty());
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn a_stored_offset_for_a_recreated_slot_stops_the_connector() {
    let db = PgFixture::start("slot_recreated").await;
    customers(&db).await;
    let mut cap = db.capture(&[]).await;
    cap.take(2).await;
    db.exec("INSERT INTO customers VALUES (3, 'c', NULL)").await;
    cap.next().await;
    let (_, offset) = cap.stop().await;
    let slot = db.unique("slot");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    db.exec(&format!("SELECT pg_drop_replication_slot('{slot}')"))
        .await;
    // Changes made while the slot is gone are lost to it; the connector must say so.
    db.exec("INSERT INTO customers VALUES (4, 'lost', NULL)")
        .await;
    db.exec(&format!(
        "SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')"
    ))
    .await;
    let cap = db.capture_from(&[], offset.clone()).await;
    let err = cap.failure().await;
    assert_eq!(err.retry(), cdc_core::Retry::Fatal);
    let msg = err.to_string();
    assert!(
        msg.contains(&slot) && msg.contains("ahead of this connector's stored offset"),
        "{msg}"
    );

    // A missing slot with a stored offset is just as clear.
    db.exec(&format!("SELECT pg_drop_replication_slot('{slot}')"))
        .await;
    let cap = db.capture_from(&[], offset).await;
    let msg = cap.failure().await.to_string();
    assert!(msg.contains("does not exist but a stored offset"), "{msg}");
}

#[tokio::test]
async fn bad_configs_name_the_property_the_value_and_what_is_valid() {
    let db = PgFixture::start("badcfg").await;
    let mut cfg =
        db.connector_config(&[("snapshot.mode", "sometimes"), ("slot.name", "Bad-Slot!")]);
    cfg.remove("database.hostname");
    let err = match pg_wal::PostgresSource::from_config(&cfg) {
        Err(e) => e,
        Ok(_) => panic!("config should be rejected"),
    };
    let text = err.to_string();
    assert!(
        text.contains("database.hostname") && text.contains("required"),
        "{text}"
    );
    assert!(
        text.contains("snapshot.mode")
            && text.contains("\"sometimes\"")
            && text.contains("initial"),
        "{text}"
    );
    assert!(
        text.contains("slot.name")
            && text.contains("\"Bad-Slot!\"")
            && text.contains("lower-case letters"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_during_the_snapshot_appear_exactly_once_across_snapshot_and_stream() {
    let db = PgFixture::start("handoff").await;
    db.exec(
        "CREATE TABLE h (id int PRIMARY KEY, v int NOT NULL);
         INSERT INTO h SELECT g, 0 FROM generate_series(1, 20000) g;",
    )
    .await;
    // A writer inserts new rows and updates old ones while the slot is created and the
    // snapshot runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let server = db.server.clone();
        let dbname = db.dbname.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let client = server.connect(&dbname).await;
            let mut next = 20001;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                client
                    .batch_execute(&format!(
                        "INSERT INTO h VALUES ({next}, 1); UPDATE h SET v = v + 1 WHERE id = {}",
                        next % 20000 + 1
                    ))
                    .await
                    .unwrap();
                next += 1;
            }
            next - 1
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut cap = db.capture(&[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let last = writer.await.unwrap();

    // Every id must be created exactly once: by the snapshot (r) or the stream (c), never both.
    let mut seen = std::collections::BTreeMap::<i64, &'static str>::new();
    while seen.len() < last as usize {
        let r = cap.next().await;
        let op = r.value["op"].as_str().unwrap().to_owned();
        if op == "r" || op == "c" {
            let id = r.value["after"]["id"].as_i64().unwrap();
            let kind = if op == "r" { "snapshot" } else { "stream" };
            if let Some(prev) = seen.insert(id, kind) {
                panic!("id {id} created twice: by the {prev} and by the {kind}");
            }
        }
    }
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        (1..=last).collect::<Vec<_>>()
    );
    assert!(
        seen.values().any(|k| *k == "stream"),
        "some rows arrived after the snapshot point"
    );
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn tombstones_on_delete_false_writes_no_tombstone() {
    let db = PgFixture::start("no_tombstone").await;
    customers(&db).await;
    let mut cap = db
        .capture(&[
            ("snapshot.mode", "no_data"),
            ("tombstones.on.delete", "false"),
        ])
        .await;
    db.exec("DELETE FROM customers WHERE id = 1; INSERT INTO customers VALUES (9, 'n', NULL);")
        .await;
    assert_eq!(cap.next().await.value["op"], "d");
    assert_eq!(
        cap.next().await.value["op"],
        "c",
        "no tombstone between the delete and the next event"
    );
    cap.stop().await.0.unwrap();
}

async fn confirmed_flush(db: &PgFixture) -> pg_wal::Lsn {
    let row = db
        .client
        .query_one(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
            &[&db.unique("slot")],
        )
        .await
        .unwrap();
    row.get::<_, String>(0).parse().unwrap()
}

async fn wait_for_confirmed_past(db: &PgFixture, target: pg_wal::Lsn) -> pg_wal::Lsn {
    let mut last = confirmed_flush(db).await;
    for _ in 0..100 {
        if last >= target {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        last = confirmed_flush(db).await;
    }
    last
}

#[tokio::test]
async fn idle_captured_tables_do_not_pin_wal_when_other_tables_change() {
    let db = PgFixture::start("idle_other_table").await;
    db.exec("CREATE TABLE captured (id int PRIMARY KEY); CREATE TABLE busy (id int PRIMARY KEY);")
        .await;
    let mut cap = db
        .capture(&[
            ("snapshot.mode", "no_data"),
            ("table.include.list", "public\\.captured"),
        ])
        .await;
    db.exec("INSERT INTO busy SELECT generate_series(1, 5000)")
        .await;
    let target: String = db
        .client
        // The insert position: with the test server's `synchronous_commit = off` the write
        // position may not have moved past the insert yet, which made the target vacuous.
        .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
        .await
        .unwrap()
        .get(0);
    let target: pg_wal::Lsn = target.parse().unwrap();
    let confirmed = wait_for_confirmed_past(&db, target).await;
    assert!(
        confirmed >= target,
        "slot confirmed {confirmed}, WAL is at {target}: the idle table pins WAL"
    );
    cap.expect_quiet(200).await;
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn idle_captured_tables_do_not_pin_wal_when_another_database_changes() {
    let db = PgFixture::start("idle_other_db").await;
    let other = PgFixture::start("idle_other_db_busy").await;
    db.exec("CREATE TABLE captured (id int PRIMARY KEY)").await;
    other.exec("CREATE TABLE busy (id int PRIMARY KEY)").await;
    let cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    let before = confirmed_flush(&db).await;
    other
        .exec("INSERT INTO busy SELECT generate_series(1, 5000)")
        .await;
    // A little WAL in our database too, so its walsender has a position to report past the
    // other database's writes (keepalives carry the position decoding has reached).
    db.exec("SELECT pg_logical_emit_message(false, 'tick', 'x')")
        .await;
    let target: String = other
        .client
        // The insert position: with the test server's `synchronous_commit = off` the write
        // position may not have moved past the insert yet, which made the target vacuous.
        .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
        .await
        .unwrap()
        .get(0);
    let target: pg_wal::Lsn = target.parse().unwrap();
    let confirmed = wait_for_confirmed_past(&db, target).await;
    assert!(confirmed > before, "the slot never advanced from {before}");
    assert!(
        confirmed >= target,
        "slot confirmed {confirmed}, WAL is at {target}: the idle slot pins WAL"
    );
    cap.stop().await.0.unwrap();
}
