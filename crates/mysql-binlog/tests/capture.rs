//! Snapshot then streaming of inserts, updates and deletes, in Debezium's event shapes.

use mysql_async::prelude::Queryable;
use serde_json::json;

use crate::support::MyFixture;

#[tokio::test]
async fn snapshot_then_streaming_insert_update_delete() {
    let mut db = MyFixture::start("crud").await;
    db.exec("CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50), email VARCHAR(100))")
        .await;
    db.exec("INSERT INTO customers VALUES (1, 'Sally', 'sally@example.com'), (2, 'George', NULL)")
        .await;
    let mut cap = db.capture(&[]).await;

    let snap = cap.take_rows(2).await;
    let topic = format!("test.{}.customers", db.db);
    assert_eq!(snap[0].topic, topic);
    assert_eq!(snap[0].key, json!({"id": 1}));
    let v = &snap[0].value;
    assert_eq!(v["op"], "r");
    assert_eq!(v["before"], json!(null));
    assert_eq!(
        v["after"],
        json!({"id": 1, "name": "Sally", "email": "sally@example.com"})
    );
    assert_eq!(v["source"]["connector"], "mariadb");
    assert_eq!(v["source"]["name"], "test");
    assert_eq!(v["source"]["db"], db.db.as_str());
    assert_eq!(v["source"]["table"], "customers");
    assert_eq!(v["source"]["snapshot"], "first");
    assert_eq!(snap[1].value["source"]["snapshot"], "last");
    assert_eq!(
        snap[0].value_with_schema["schema"]["name"],
        format!("{topic}.Envelope")
    );
    assert_eq!(
        snap[0].key_with_schema["schema"]["name"],
        format!("{topic}.Key")
    );

    db.exec("INSERT INTO customers VALUES (3, 'Edward', 'ed@example.com')")
        .await;
    db.exec("UPDATE customers SET name = 'Sal' WHERE id = 1")
        .await;
    db.exec("DELETE FROM customers WHERE id = 2").await;

    let c = cap.next_row().await;
    assert_eq!(c.value["op"], "c");
    assert_eq!(
        c.value["after"],
        json!({"id": 3, "name": "Edward", "email": "ed@example.com"})
    );
    assert_eq!(c.value["source"]["snapshot"], "false");
    assert!(
        c.value["source"]["gtid"]
            .as_str()
            .is_some_and(|g| g.starts_with("0-1-")),
        "{}",
        c.value
    );
    assert!(c.value["source"]["file"]
        .as_str()
        .is_some_and(|f| f.starts_with("binlog.")));
    assert!(c.value["source"]["pos"].as_i64().unwrap() > 4);
    assert_eq!(c.value["source"]["row"], 0);
    assert_eq!(c.value["source"]["server_id"], 1);

    let u = cap.next_row().await;
    assert_eq!(u.value["op"], "u");
    assert_eq!(u.value["before"]["name"], "Sally");
    assert_eq!(u.value["after"]["name"], "Sal");
    assert_eq!(u.key, json!({"id": 1}));

    let d = cap.next_row().await;
    assert_eq!(d.value["op"], "d");
    assert_eq!(
        d.value["before"],
        json!({"id": 2, "name": "George", "email": null})
    );
    assert_eq!(d.value["after"], json!(null));
    let tomb = cap.next_row().await;
    assert_eq!(tomb.key, json!({"id": 2}));
    assert_eq!(tomb.value, json!(null));

    let (res, offset) = cap.stop().await;
    res.unwrap();
    let offset = offset.unwrap();
    assert!(
        offset.offset.contains_key("file") && offset.offset.contains_key("pos"),
        "{offset:?}"
    );
}

#[tokio::test]
async fn message_key_columns_replace_the_primary_key_in_snapshot_and_binlog() {
    let mut db = MyFixture::start("keycols").await;
    db.exec("CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(20) NOT NULL, region VARCHAR(10))")
        .await;
    db.exec("CREATE TABLE plain (id INT PRIMARY KEY, x INT)")
        .await;
    db.exec("INSERT INTO orders VALUES (1, 'ann', 'eu')").await;
    db.exec("INSERT INTO plain VALUES (1, 1)").await;
    let entry = format!("{}.orders:region,customer", db.db);
    let mut cap = db.capture(&[("message.key.columns", &entry)]).await;
    let snap = cap.take_rows(2).await;
    let orders = snap.iter().find(|r| r.topic.ends_with(".orders")).unwrap();
    assert_eq!(orders.key, json!({"region": "eu", "customer": "ann"}));
    assert_eq!(
        orders.key_with_schema["schema"]["fields"],
        json!([
            {"field": "region", "type": "string", "optional": true},
            {"field": "customer", "type": "string", "optional": false}
        ])
    );
    let plain = snap.iter().find(|r| r.topic.ends_with(".plain")).unwrap();
    assert_eq!(
        plain.key,
        json!({"id": 1}),
        "other tables keep their primary key"
    );

    db.exec("INSERT INTO orders VALUES (2, 'bob', NULL)").await;
    let c = cap.next_row().await;
    assert_eq!(c.key, json!({"region": null, "customer": "bob"}));
}

/// `heartbeat.interval.ms`: heartbeat records on `__debezium-heartbeat.<prefix>` while the
/// captured table is idle, each carrying the current binlog position as its offset, which moves
/// on past changes made elsewhere on the server; `heartbeat.action.query` runs on each.
#[tokio::test]
async fn heartbeats_are_written_while_tables_are_idle_and_carry_the_position() {
    let mut db = MyFixture::start("heartbeat").await;
    db.exec("CREATE TABLE t (id INT PRIMARY KEY)").await;
    db.exec("CREATE TABLE other (id INT PRIMARY KEY)").await;
    db.exec("CREATE TABLE beats (id INT AUTO_INCREMENT PRIMARY KEY)")
        .await;
    let action = format!("INSERT INTO `{}`.beats VALUES ()", db.db);
    // The action query runs as the connector's user, which may write only what it is granted.
    let grant = format!(
        "GRANT INSERT ON `{}`.beats TO '{}'@'{}'",
        db.db, db.server.cdc_user, db.server.host
    );
    db.exec(&grant).await;
    let mut cap = db
        .capture(&[
            ("heartbeat.interval.ms", "200"),
            ("heartbeat.action.query", &action),
            ("table.include.list", &format!("{}.t", db.db)),
        ])
        .await;
    let first = next_heartbeat(&mut cap).await;
    assert_eq!(first.key, json!({"serverName": "test"}));
    assert!(first.value["ts_ms"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(
        first.key_with_schema["schema"]["name"],
        "io.debezium.connector.common.ServerNameKey"
    );
    // Changes to a table that is not captured move the binlog on; a later heartbeat's offset
    // follows.
    let pos = |r: &crate::support::CapturedRecord| {
        (
            r.offset.offset["file"].as_str().unwrap().to_owned(),
            r.offset.offset["pos"].as_i64().unwrap(),
        )
    };
    let before = pos(&first);
    db.exec("INSERT INTO other VALUES (1), (2), (3)").await;
    let mut moved = false;
    for _ in 0..50 {
        let h = next_heartbeat(&mut cap).await;
        if pos(&h) > before {
            moved = true;
            break;
        }
    }
    assert!(moved, "no heartbeat carried a position past {before:?}");
    cap.stop().await.0.unwrap();
    let beats: Option<i64> = db
        .conn
        .query_first("SELECT COUNT(*) FROM beats")
        .await
        .unwrap();
    assert!(
        beats.unwrap_or(0) >= 2,
        "heartbeat.action.query ran {beats:?} times"
    );
}

/// The next record on the heartbeat topic.
async fn next_heartbeat(cap: &mut crate::support::Capture) -> crate::support::CapturedRecord {
    loop {
        let r = cap.next().await;
        if r.topic == "__debezium-heartbeat.test" {
            return r;
        }
    }
}

/// `provide.transaction.metadata`: BEGIN and END records on `<prefix>.transaction` around a
/// transaction's events, which carry their `transaction` block; the id is the GTID.
#[tokio::test]
async fn transaction_metadata_frames_each_transaction_with_the_gtid_as_id() {
    let mut db = MyFixture::start("txmeta").await;
    db.exec("CREATE TABLE a (id INT PRIMARY KEY)").await;
    db.exec("CREATE TABLE b (id INT PRIMARY KEY)").await;
    let mut cap = db
        .capture(&[("provide.transaction.metadata", "true")])
        .await;
    db.exec("BEGIN").await;
    db.exec("INSERT INTO a VALUES (1), (2)").await;
    db.exec("INSERT INTO b VALUES (10)").await;
    db.exec("COMMIT").await;
    let mut got = Vec::new();
    while got.len() < 5 {
        let r = cap.next().await;
        if r.topic == "test" {
            continue; // schema changes
        }
        got.push(r);
    }
    let topics: Vec<&str> = got.iter().map(|r| r.topic.as_str()).collect();
    let (ta, tb) = (format!("test.{}.a", db.db), format!("test.{}.b", db.db));
    assert_eq!(
        topics,
        [
            "test.transaction",
            ta.as_str(),
            ta.as_str(),
            tb.as_str(),
            "test.transaction"
        ]
    );
    let begin = &got[0].value;
    assert_eq!(begin["status"], "BEGIN");
    let id = begin["id"].as_str().unwrap().to_owned();
    // MariaDB's GTID: domain-server-sequence.
    assert_eq!(id.split('-').count(), 3, "{id}");
    assert_eq!(got[0].key, json!({"id": id}));
    let blocks: Vec<(i64, i64)> = got[1..4]
        .iter()
        .map(|r| {
            let t = &r.value["transaction"];
            assert_eq!(t["id"], id.as_str());
            (
                t["total_order"].as_i64().unwrap(),
                t["data_collection_order"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(blocks, [(1, 1), (2, 2), (3, 1)]);
    let end = &got[4].value;
    assert_eq!(end["status"], "END");
    assert_eq!(end["event_count"], 3);
    assert_eq!(
        end["data_collections"],
        json!([
            {"data_collection": format!("{}.a", db.db), "event_count": 2},
            {"data_collection": format!("{}.b", db.db), "event_count": 1}
        ])
    );
    cap.stop().await.0.unwrap();
}
