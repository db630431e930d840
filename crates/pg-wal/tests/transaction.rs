//! Debezium's transaction metadata and heartbeats on the PostgreSQL connector.

use std::time::Duration;

use serde_json::json;

use crate::support::{CapturedRecord, PgFixture};

#[tokio::test]
async fn transactions_are_framed_by_begin_and_end_and_events_carry_their_block() {
    let db = PgFixture::start("txmeta").await;
    db.exec("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);")
        .await;
    let mut cap = db
        .capture(&[
            ("provide.transaction.metadata", "true"),
            ("snapshot.mode", "no_data"),
        ])
        .await;
    db.exec("BEGIN; INSERT INTO a VALUES (1); INSERT INTO b VALUES (1); INSERT INTO a VALUES (2); COMMIT;")
        .await;
    let got = cap.take(5).await;
    let topics: Vec<&str> = got.iter().map(|r| r.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "test.transaction",
            "test.public.a",
            "test.public.b",
            "test.public.a",
            "test.transaction"
        ]
    );
    let begin = &got[0];
    assert_eq!(begin.value["status"], "BEGIN");
    let id = begin.value["id"].as_str().unwrap().to_owned();
    let xid = got[1].value["source"]["txId"].as_i64().unwrap();
    assert!(id.starts_with(&format!("{xid}:")), "{id} is <txId>:<lsn>");
    assert_eq!(begin.key, json!({"id": id}));
    assert_eq!(begin.value["event_count"], json!(null));
    assert_eq!(
        begin.value_with_schema["schema"]["name"],
        "io.debezium.connector.common.TransactionMetadataValue"
    );
    assert_eq!(
        begin.key_with_schema["schema"]["name"],
        "io.debezium.connector.common.TransactionMetadataKey"
    );
    let blocks: Vec<_> = got[1..4]
        .iter()
        .map(|r| r.value["transaction"].clone())
        .collect();
    // As Debezium's PostgreSQL id: `<xid>:<lsn>` at the position of the moment, so each event
    // has its own (the first event's is the BEGIN's), and the END has the commit's.
    let at = |r: &CapturedRecord| format!("{xid}:{}", r.value["source"]["lsn"]);
    assert_eq!(at(&got[1]), id, "the BEGIN's id is the first event's");
    assert_eq!(
        blocks,
        vec![
            json!({"id": at(&got[1]), "total_order": 1, "data_collection_order": 1}),
            json!({"id": at(&got[2]), "total_order": 2, "data_collection_order": 1}),
            json!({"id": at(&got[3]), "total_order": 3, "data_collection_order": 2}),
        ]
    );
    let end = &got[4];
    let end_id = end.value["id"].as_str().unwrap().to_owned();
    let end_lsn: i64 = end_id
        .strip_prefix(&format!("{xid}:"))
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("{end_id} is <txId>:<lsn>"));
    assert!(
        end_lsn > got[3].value["source"]["lsn"].as_i64().unwrap(),
        "the END's id has the commit's position, after the last event"
    );
    assert_eq!(
        end.value,
        json!({"status": "END", "id": end_id, "event_count": 3,
               "data_collections": [{"data_collection": "public.a", "event_count": 2},
                                    {"data_collection": "public.b", "event_count": 1}],
               "ts_ms": begin.value["ts_ms"]})
    );
    assert_eq!(
        begin.value["ts_ms"].as_i64().unwrap(),
        got[1].value["source"]["ts_ms"].as_i64().unwrap(),
        "ts_ms is the commit time"
    );
    // Without the property: no metadata, null blocks.
    cap.stop().await.0.unwrap();
    let db2 = PgFixture::start("txmeta_off").await;
    db2.exec("CREATE TABLE a (id int PRIMARY KEY)").await;
    let mut cap2 = db2.capture(&[("snapshot.mode", "no_data")]).await;
    db2.exec("INSERT INTO a VALUES (1)").await;
    let r = cap2.next().await;
    assert_eq!(r.topic, "test.public.a");
    assert_eq!(r.value["transaction"], json!(null));
    cap2.expect_quiet(500).await;
    cap2.stop().await.0.unwrap();
}

#[tokio::test]
async fn heartbeats_are_written_and_run_the_action_query_while_tables_are_idle() {
    let db = PgFixture::start("heartbeat").await;
    db.exec("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE hb (id int PRIMARY KEY, ts timestamptz); INSERT INTO hb VALUES (1, now());")
        .await;
    // The action query runs as the connector's user, which may write only what it is granted.
    db.exec(&format!("GRANT UPDATE ON hb TO {}", db.server.cdc_user))
        .await;
    let mut cap = db
        .capture(&[
            ("snapshot.mode", "no_data"),
            ("heartbeat.interval.ms", "200"),
            (
                "heartbeat.action.query",
                "UPDATE hb SET ts = now() WHERE id = 1",
            ),
            ("table.include.list", "public.a"),
        ])
        .await;
    let first = cap.next().await;
    assert_eq!(first.topic, "__debezium-heartbeat.test");
    assert_eq!(first.key, json!({"serverName": "test"}));
    assert!(first.value["ts_ms"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(
        first.value_with_schema["schema"]["name"],
        "io.debezium.connector.common.Heartbeat"
    );
    assert_eq!(
        first.key_with_schema["schema"]["name"],
        "io.debezium.connector.common.ServerNameKey"
    );
    // More heartbeats follow; the action query's writes (an uncaptured table) move the slot.
    let start_lsn = db
        .client
        .query_one(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
            &[&db.unique("slot")],
        )
        .await
        .unwrap()
        .get::<_, String>(0);
    for _ in 0..3 {
        let r = cap.next().await;
        assert_eq!(r.topic, "__debezium-heartbeat.test");
    }
    let mut moved = false;
    for _ in 0..50 {
        let now: String = db
            .client
            .query_one(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
                &[&db.unique("slot")],
            )
            .await
            .unwrap()
            .get(0);
        if now != start_lsn {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        moved,
        "the slot stays at {start_lsn} although heartbeats write WAL"
    );
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn the_heartbeat_topic_prefix_and_transaction_topic_are_configurable() {
    let db = PgFixture::start("topics_cfg").await;
    db.exec("CREATE TABLE a (id int PRIMARY KEY)").await;
    let mut cap = db
        .capture(&[
            ("snapshot.mode", "no_data"),
            ("heartbeat.interval.ms", "300"),
            ("topic.heartbeat.prefix", "hb"),
            ("provide.transaction.metadata", "true"),
            ("topic.transaction", "tx"),
        ])
        .await;
    db.exec("INSERT INTO a VALUES (1)").await;
    let mut topics = std::collections::BTreeSet::new();
    for _ in 0..6 {
        topics.insert(cap.next().await.topic);
    }
    assert!(topics.contains("hb.test"), "{topics:?}");
    assert!(topics.contains("test.tx"), "{topics:?}");
    cap.stop().await.0.unwrap();
}
