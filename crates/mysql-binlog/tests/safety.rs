//! Restart safety: restarts from GTID and from file/position, mid-transaction restarts with no
//! row missing, a purged position stops the connector with a clear reason.

use std::collections::BTreeSet;

use mysql_async::prelude::Queryable;

use crate::support::MyFixture;

async fn ids(cap: &mut crate::support::Capture, n: usize) -> Vec<i64> {
    ids_and_offset(cap, n).await.0
}

async fn ids_and_offset(
    cap: &mut crate::support::Capture,
    n: usize,
) -> (Vec<i64>, Option<cdc_core::SourceOffset>) {
    let mut out = Vec::new();
    let mut offset = None;
    while out.len() < n {
        let r = cap.next_row().await;
        if let Some(id) = r.value["after"]["id"].as_i64() {
            out.push(id);
        }
        offset = Some(r.offset);
    }
    (out, offset)
}

#[tokio::test]
async fn restart_from_gtid_and_from_file_position() {
    let mut db = MyFixture::start("restart").await;
    db.exec("CREATE TABLE t (id INT PRIMARY KEY)").await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    db.exec("INSERT INTO t VALUES (1)").await;
    assert_eq!(ids(&mut cap, 1).await, [1]);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (res, offset) = cap.stop().await;
    res.unwrap();
    let offset = offset.unwrap();
    assert!(offset.offset.get("gtids").is_some(), "{offset:?}");

    // From the GTID position.
    db.exec("INSERT INTO t VALUES (2)").await;
    let mut cap = db
        .capture_from(&[("snapshot.mode", "no_data")], Some(offset.clone()))
        .await;
    assert_eq!(ids(&mut cap, 1).await, [2]);
    cap.stop().await.0.unwrap();

    // From file/position only (an offset without gtids, as MySQL without GTIDs stores it).
    let mut by_pos = offset.clone();
    by_pos.offset.remove("gtids");
    let mut cap = db
        .capture_from(&[("snapshot.mode", "no_data")], Some(by_pos))
        .await;
    assert_eq!(ids(&mut cap, 1).await, [2]);
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn an_abort_mid_transaction_loses_no_row() {
    let mut db = MyFixture::start("abort").await;
    db.exec("CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(100))")
        .await;
    let extra = [
        ("snapshot.mode", "no_data"),
        ("max.batch.size", "100"),
        ("max.queue.size", "400"),
    ];
    let cap = db.capture(&extra).await;
    let n = 20_000;
    db.exec(&format!(
        "INSERT INTO t SELECT seq, REPEAT('x', 100) FROM seq_1_to_{n}"
    ))
    .await;
    // Read part of the one big transaction, then kill the task without a graceful stop; the
    // offset is the one committed with the last record read (a crash right after that commit).
    let mut cap = cap;
    let (mut first, offset) = ids_and_offset(&mut cap, 7_000).await;
    let offset = offset.unwrap();
    // The rest of that batch is covered by its offset too.
    loop {
        let r = cap.next_row().await;
        if r.offset != offset {
            break;
        }
        first.extend(r.value["after"]["id"].as_i64());
    }
    cap.task.abort();
    assert!(
        offset.get_i64("event").unwrap_or(0) > 0 || offset.get_i64("row").unwrap_or(0) > 0,
        "the offset is inside the transaction: {offset:?}"
    );
    let mut seen: BTreeSet<i64> = first.into_iter().collect();
    let mut cap = db.capture_from(&extra, Some(offset)).await;
    while seen.len() < n {
        seen.extend(ids(&mut cap, 1).await);
    }
    assert_eq!(seen.len(), n);
    assert_eq!(*seen.iter().next_back().unwrap(), n as i64);
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn a_purged_binlog_position_fails_with_a_clear_reason() {
    let db = MyFixture::start("purged").await;
    let mut offset_map = serde_json::Map::new();
    offset_map.insert("file".into(), "binlog.000000".into());
    offset_map.insert("pos".into(), 4.into());
    let mut partition = serde_json::Map::new();
    partition.insert("server".into(), "test".into());
    let offset = cdc_core::SourceOffset::new(partition, offset_map);
    let cap = db
        .capture_from(&[("snapshot.mode", "no_data")], Some(offset))
        .await;
    let err = cap.failure().await;
    assert_eq!(err.retry(), cdc_core::Retry::Fatal);
    let text = err.to_string();
    assert!(
        text.contains("binlog.000000") && text.contains("purged"),
        "{text}"
    );

    // The server also refuses missing GTIDs; the connector says so and stops.
    let mut conn = db.server.connect().await;
    let _: Vec<mysql_async::Row> = conn.query("SHOW BINARY LOGS").await.unwrap();
}
