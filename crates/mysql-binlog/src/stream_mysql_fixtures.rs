//! MySQL-only binlog paths on byte fixtures (MySQL 8 is not available to the tests): a MySQL 8.0
//! FORMAT_DESCRIPTION, GTID_LOG_EVENT (0x21) / ANONYMOUS_GTID_LOG_EVENT (0x22) in the 8.0
//! layout, TABLE_MAP, and WRITE/UPDATE/DELETE_ROWS_EVENT v2 (30/31/32, with an extra-data
//! header), built byte by byte from the documented layouts, read by `mysql_common`'s
//! `EventStreamReader` exactly as `mysql_async` reads the network, then handed to the streamer.

use cdc_core::source::{batch_queue, BatchReceiver};
use cdc_core::{ConfigMap, JsonConverter, QueueBounds};
use mysql_common::binlog::consts::BinlogVersion;
use mysql_common::binlog::events::Event;
use mysql_common::binlog::EventStreamReader;
use serde_json::Value as Json;

use super::*;
use crate::offset::Stored;

const UUID: [u8; 16] = [
    0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62,
];
const UUID_TEXT: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const TABLE_ID: u64 = 0x0102_0304_0506;

/// The common 19-byte header (v4) followed by the body; no checksum (the FDE says OFF).
fn event(etype: u8, log_pos: u32, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    v.push(etype);
    v.extend_from_slice(&1u32.to_le_bytes()); // server id
    v.extend_from_slice(&(19 + body.len() as u32).to_le_bytes());
    v.extend_from_slice(&log_pos.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(body);
    v
}

/// MySQL 8.0's FORMAT_DESCRIPTION_EVENT: its post-header lengths per event type
/// (libbinlogevents' `server_event_header_length`), checksum algorithm OFF.
fn fde() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&4u16.to_le_bytes());
    let mut version = [0u8; 50];
    version[..6].copy_from_slice(b"8.0.36");
    b.extend_from_slice(&version);
    b.extend_from_slice(&0u32.to_le_bytes());
    b.push(19);
    b.extend_from_slice(&[
        56, 13, 0, 8, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 98, 0, 4, 26, 8, 0, 0, 0, 8, 8, 8, 2, 0, 0, 0,
        10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0,
    ]);
    b.push(0); // BINLOG_CHECKSUM_ALG_OFF
    b.extend_from_slice(&[0; 4]);
    event(0x0f, 0, &b)
}

/// GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT in MySQL 8.0's layout.
fn gtid(etype: u8, sid: [u8; 16], gno: i64, log_pos: u32) -> Vec<u8> {
    let mut b = vec![1u8]; // commit flag
    b.extend_from_slice(&sid);
    b.extend_from_slice(&gno.to_le_bytes());
    b.push(2); // LOGICAL_TIMESTAMP_TYPECODE
    b.extend_from_slice(&7i64.to_le_bytes()); // last_committed
    b.extend_from_slice(&8i64.to_le_bytes()); // sequence_number
    b.extend_from_slice(&[0x10, 0x32, 0x54, 0x76, 0x98, 0x0a, 0x00]); // immediate_commit_timestamp (no original)
    b.push(200); // transaction_length (packed integer)
    b.extend_from_slice(&80036u32.to_le_bytes()); // immediate_server_version (no original)
    event(etype, log_pos, &b)
}

fn query(sql: &str, log_pos: u32) -> Vec<u8> {
    let db = b"shop";
    let mut b = Vec::new();
    b.extend_from_slice(&5u32.to_le_bytes()); // thread id
    b.extend_from_slice(&0u32.to_le_bytes()); // exec time
    b.push(db.len() as u8);
    b.extend_from_slice(&0u16.to_le_bytes()); // error code
    b.extend_from_slice(&0u16.to_le_bytes()); // status vars length
    b.extend_from_slice(db);
    b.push(0);
    b.extend_from_slice(sql.as_bytes());
    event(0x02, log_pos, &b)
}

fn xid(log_pos: u32) -> Vec<u8> {
    event(0x10, log_pos, &42u64.to_le_bytes())
}

/// TABLE_MAP for shop.items (id BIGINT, name VARCHAR(64) utf8mb4, qty INT).
fn table_map(log_pos: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&TABLE_ID.to_le_bytes()[..6]);
    b.extend_from_slice(&1u16.to_le_bytes());
    b.push(4);
    b.extend_from_slice(b"shop\0");
    b.push(5);
    b.extend_from_slice(b"items\0");
    b.push(3); // column count
    b.extend_from_slice(&[0x08, 0x0f, 0x03]); // LONGLONG, VARCHAR, LONG
    b.push(2); // metadata length
    b.extend_from_slice(&256u16.to_le_bytes()); // VARCHAR max bytes
    b.push(0b110); // name and qty nullable
    event(0x13, log_pos, &b)
}

fn row_image(id: i64, name: &str, qty: Option<i32>) -> Vec<u8> {
    let mut b = vec![if qty.is_none() { 0b100 } else { 0 }];
    b.extend_from_slice(&id.to_le_bytes());
    b.extend_from_slice(&(name.len() as u16).to_le_bytes());
    b.extend_from_slice(name.as_bytes());
    if let Some(q) = qty {
        b.extend_from_slice(&q.to_le_bytes());
    }
    b
}

/// A v2 rows event with an extra-data header (partition info: type 1, partition id).
fn rows_v2(etype: u8, images: &[Vec<u8>], log_pos: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&TABLE_ID.to_le_bytes()[..6]);
    b.extend_from_slice(&1u16.to_le_bytes()); // STMT_END_F
    let extra: &[u8] = if etype == 31 {
        &[1, 2, 0, 3, 0]
    } else {
        &[1, 2, 0]
    };
    b.extend_from_slice(&(2 + extra.len() as u16).to_le_bytes());
    b.extend_from_slice(extra);
    b.push(3); // column count
    b.push(0b111); // columns present
    if etype == 31 {
        b.push(0b111); // columns present in the after image
    }
    for i in images {
        b.extend_from_slice(i);
    }
    event(etype, log_pos, &b)
}

struct Rig {
    cfg: MySqlConfig,
    server: ServerInfo,
    history: History,
    catalog: Catalog,
    _dir: tempfile::TempDir,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let mut map = ConfigMap::new();
    for (k, v) in [
        (
            "connector.class",
            "io.debezium.connector.mysql.MySqlConnector",
        ),
        ("database.hostname", "127.0.0.1"),
        ("database.user", "u"),
        ("database.server.id", "5"),
        ("topic.prefix", "fx"),
    ] {
        map.insert(k.into(), v.into());
    }
    let cfg = MySqlConfig::from_map(&map).expect("valid config");
    let history = History::open(&dir.path().join("h.jsonl")).unwrap();
    let mut catalog = Catalog::default();
    ddl::apply(
        &mut catalog,
        "shop",
        "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(64), qty INT)",
    )
    .unwrap();
    Rig {
        cfg,
        server: ServerInfo {
            mariadb: false,
            version: "8.0.36".into(),
            uid: UUID_TEXT.into(),
            server_id: 1,
            charsets: Default::default(),
        },
        history,
        catalog,
        _dir: dir,
    }
}

/// Reads `bytes` as `mysql_async` would, hands every event to the streamer, then returns the
/// records' values (JSON, no schemas) and the offset of each batch.
async fn stream(
    rig: &mut Rig,
    start_gtids: Option<&str>,
    events: &[Vec<u8>],
) -> (Vec<Json>, Vec<Stored>) {
    let start = StartAt {
        pos: BinlogPos::new("binlog.000001", 4),
        gtids: start_gtids.map(str::to_owned),
        skip_events: 0,
        skip_rows: 0,
    };
    let (tx, mut rx): (_, BatchReceiver) = batch_queue(QueueBounds::default());
    let mut s = Streamer::new(
        &rig.cfg,
        &rig.server,
        &mut rig.history,
        rig.catalog.clone(),
        &start,
    );
    let mut esr = EventStreamReader::new(BinlogVersion::Version4);
    for bytes in events {
        let ev: Event = esr
            .read(&bytes[..])
            .expect("a well-formed fixture")
            .expect("an event");
        let tmes = |id: u64| esr.get_tme(id).cloned();
        s.handle(&ev, tmes, &tx).await.expect("handled");
    }
    s.flush(&tx).await.unwrap();
    drop(tx);
    let json = JsonConverter {
        schemas_enable: false,
        ..Default::default()
    };
    let mut values = Vec::new();
    let mut offsets = Vec::new();
    while let Some(b) = rx.recv().await {
        for r in &b.records {
            values.push(
                json.to_bytes(r.value.as_ref())
                    .map(|b| serde_json::from_slice(&b).unwrap())
                    .unwrap_or(Json::Null),
            );
        }
        offsets.push(Stored::from_offset(&b.offset));
    }
    (values, offsets)
}

fn transaction(gno: i64, first_pos: u32) -> Vec<Vec<u8>> {
    let p = |n: u32| first_pos + n * 100;
    vec![
        gtid(0x21, UUID, gno, p(1)),
        query("BEGIN", p(2)),
        table_map(p(3)),
        rows_v2(
            30,
            &[row_image(1, "apple", Some(3)), row_image(2, "pear", None)],
            p(4),
        ),
        table_map(p(5)),
        rows_v2(
            31,
            &[
                row_image(1, "apple", Some(3)),
                row_image(1, "apple", Some(4)),
            ],
            p(6),
        ),
        table_map(p(7)),
        rows_v2(32, &[row_image(2, "pear", None)], p(8)),
        xid(p(9)),
    ]
}

#[tokio::test]
async fn mysql_gtid_and_v2_row_events_become_debezium_changes() {
    let mut rig = rig();
    let mut events = vec![fde()];
    events.extend(transaction(42, 1000));
    let (values, offsets) = stream(&mut rig, Some(&format!("{UUID_TEXT}:1-41")), &events).await;
    let ops: Vec<&str> = values
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["c", "c", "u", "d"]);
    assert_eq!(values.len(), 5, "the delete is followed by a tombstone");
    assert!(values[4].is_null());
    let c = &values[1];
    assert_eq!(
        c["after"],
        serde_json::json!({"id": 2, "name": "pear", "qty": null})
    );
    let u = &values[2];
    assert_eq!(u["before"]["qty"], 3);
    assert_eq!(u["after"]["qty"], 4);
    assert_eq!(values[3]["before"]["id"], 2);
    for v in values.iter().filter(|v| !v.is_null()) {
        assert_eq!(v["source"]["gtid"], format!("{UUID_TEXT}:42"));
        assert_eq!(v["source"]["connector"], "mysql");
        assert_eq!(v["source"]["db"], "shop");
        assert_eq!(v["source"]["table"], "items");
    }
    assert_eq!(values[1]["source"]["row"], 1);
    // An event starts where the one before it ended (`log_pos` is an event's end).
    assert_eq!(
        values[1]["source"]["pos"], 1300,
        "the rows event's own position"
    );
    // After the commit the offset carries the executed set with this transaction added.
    let last = offsets.last().unwrap();
    assert_eq!(last.gtids.as_deref(), Some(&*format!("{UUID_TEXT}:1-42")));
    assert_eq!(last.pos, Some(BinlogPos::new("binlog.000001", 1900)));
    assert_eq!((last.events, last.rows), (0, 0));
}

#[tokio::test]
async fn mysql_gtid_sets_grow_across_transactions_and_restart_with_them() {
    let mut rig = rig();
    let mut events = vec![fde()];
    events.extend(transaction(1, 1000));
    events.extend(transaction(2, 2000));
    // The second transaction's GTID event and its first rows only: cut mid-transaction.
    events.extend(transaction(3, 3000).into_iter().take(4));
    let (values, offsets) = stream(&mut rig, None, &events).await;
    assert_eq!(values.iter().filter(|v| !v.is_null()).count(), 4 + 4 + 2);
    let last = offsets.last().unwrap();
    // Mid-transaction: the set before it, its start, and how far it is durable.
    assert_eq!(last.gtids.as_deref(), Some(&*format!("{UUID_TEXT}:1-2")));
    assert_eq!(
        last.pos,
        Some(BinlogPos::new("binlog.000001", 2900)),
        "where its GTID event starts"
    );
    assert_eq!((last.events, last.rows), (0, 2));
    // That offset restarts with COM_BINLOG_DUMP_GTID carrying the set.
    let plan =
        crate::dump::plan(5, false, last.pos.as_ref().unwrap(), last.gtids.as_deref()).unwrap();
    let crate::dump::DumpMode::MySqlGtid(sids) = &plan.mode else {
        panic!("MySQL restart with a GTID set must use COM_BINLOG_DUMP_GTID: {plan:?}");
    };
    assert_eq!(sids[0].uuid(), UUID);
    assert_eq!(
        (sids[0].intervals()[0].start(), sids[0].intervals()[0].end()),
        (1, 3)
    );
}

#[tokio::test]
async fn anonymous_gtid_transactions_carry_no_gtid() {
    let mut rig = rig();
    let mut tx = transaction(0, 1000);
    tx[0] = gtid(0x22, [0; 16], 0, 1100);
    let mut events = vec![fde()];
    events.extend(tx);
    let (values, offsets) = stream(&mut rig, None, &events).await;
    assert_eq!(values.iter().filter(|v| !v.is_null()).count(), 4);
    assert!(values[0]["source"]["gtid"].is_null());
    let last = offsets.last().unwrap();
    assert_eq!(last.gtids, None);
    assert_eq!(last.pos, Some(BinlogPos::new("binlog.000001", 1900)));
}

#[tokio::test]
async fn a_v2_rows_event_cut_short_is_a_decode_error_not_a_panic() {
    let mut rig = rig();
    let mut events = vec![fde(), gtid(0x21, UUID, 1, 1100), table_map(1200)];
    let whole = rows_v2(30, &[row_image(1, "apple", Some(3))], 1300);
    let start = StartAt {
        pos: BinlogPos::new("binlog.000001", 4),
        gtids: None,
        skip_events: 0,
        skip_rows: 0,
    };
    let (tx, _rx) = batch_queue(QueueBounds::default());
    let mut s = Streamer::new(
        &rig.cfg,
        &rig.server,
        &mut rig.history,
        rig.catalog.clone(),
        &start,
    );
    let mut esr = EventStreamReader::new(BinlogVersion::Version4);
    for bytes in events.drain(..) {
        let ev = esr.read(&bytes[..]).unwrap().unwrap();
        s.handle(&ev, |id| esr.get_tme(id).cloned(), &tx)
            .await
            .unwrap();
    }
    // Every shorter body, with a header that agrees with its length (what the network would
    // carry): an error or no row, never a panic.
    for cut in 19..whole.len() {
        let mut bytes = whole[..cut].to_vec();
        bytes[9..13].copy_from_slice(&(cut as u32).to_le_bytes());
        let Ok(Some(ev)) = esr.read(&bytes[..]) else {
            continue;
        };
        let _ = s.handle(&ev, |id| esr.get_tme(id).cloned(), &tx).await;
    }
}

/// Binary JSON, partial JSON updates and TABLE_MAPs that disagree with the history.
#[path = "stream_consistency_fixtures.rs"]
mod consistency;
