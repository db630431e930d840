//! No silent nulls, no shifted columns (issue 17): MySQL 8's binary JSON, partial JSON
//! updates and TABLE_MAPs that disagree with the history, built byte by byte. PARTIAL_UPDATE_ROWS_EVENT (type 39) follows mysql-server's
//! `libbinlogevents/include/rows_event.h` and `sql/log_event.cc` (`Rows_log_event::write_data_body`,
//! `Update_rows_log_event` with `binlog_row_value_options=PARTIAL_JSON`): the post-header and
//! bitmaps of UPDATE_ROWS_EVENT v2; per row the before image, then the after image preceded by
//! `value_options` (packed integer, bit 0 PARTIAL_JSON_UPDATES) and one "partial" bit per JSON
//! column; a partial JSON value is a 4-byte length and the diffs `Json_diff::write_binary`
//! (`sql/json_diff.cc`) writes: operation byte, path (packed length + text), value (packed
//! length + binary JSON, none for REMOVE).

use super::*;

const DOCS_ID: u64 = 0x0102_0304_0507;

/// TABLE_MAP of `shop.<table>` with the given types, metadata and nullable bitmap.
fn table_map_of(
    id: u64,
    table: &str,
    types: &[u8],
    meta: &[u8],
    nullable: u8,
    log_pos: u32,
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&id.to_le_bytes()[..6]);
    b.extend_from_slice(&1u16.to_le_bytes());
    b.push(4);
    b.extend_from_slice(b"shop\0");
    b.push(table.len() as u8);
    b.extend_from_slice(table.as_bytes());
    b.push(0);
    b.push(types.len() as u8);
    b.extend_from_slice(types);
    b.push(meta.len() as u8);
    b.extend_from_slice(meta);
    b.push(nullable);
    event(0x13, log_pos, &b)
}

/// TABLE_MAP of shop.docs (id BIGINT, doc JSON): JSON's metadata is its length bytes (4).
fn docs_map(log_pos: u32) -> Vec<u8> {
    table_map_of(DOCS_ID, "docs", &[0x08, 0xf5], &[4], 0b10, log_pos)
}

/// A rows event (v2, no extra data) of `ncols` columns, all present.
fn rows_of(id: u64, etype: u8, ncols: u8, images: &[Vec<u8>], log_pos: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&id.to_le_bytes()[..6]);
    b.extend_from_slice(&1u16.to_le_bytes()); // STMT_END_F
    b.extend_from_slice(&2u16.to_le_bytes()); // no extra data
    b.push(ncols);
    let all = ((1u16 << ncols) - 1) as u8;
    b.push(all);
    if etype == 31 || etype == 39 {
        b.push(all);
    }
    for i in images {
        b.extend_from_slice(i);
    }
    event(etype, log_pos, &b)
}

/// A small binary JSON object of int16 members, keys in MySQL's order (as given).
fn jsonb_object(members: &[(&str, i16)]) -> Vec<u8> {
    let n = members.len();
    let header = 4 + 4 * n + 3 * n;
    let keys: usize = members.iter().map(|(k, _)| k.len()).sum();
    let mut b = vec![0x00];
    b.extend_from_slice(&(n as u16).to_le_bytes());
    b.extend_from_slice(&((header + keys) as u16).to_le_bytes());
    let mut at = header;
    for (k, _) in members {
        b.extend_from_slice(&(at as u16).to_le_bytes());
        b.extend_from_slice(&(k.len() as u16).to_le_bytes());
        at += k.len();
    }
    for (_, v) in members {
        b.push(0x05); // int16, inlined
        b.extend_from_slice(&v.to_le_bytes());
    }
    for (k, _) in members {
        b.extend_from_slice(k.as_bytes());
    }
    b
}

/// A docs row image: id, then the JSON column's bytes (4-byte length first), or NULL.
fn docs_image(id: i64, doc: Option<&[u8]>) -> Vec<u8> {
    let mut b = vec![if doc.is_none() { 0b10 } else { 0 }];
    b.extend_from_slice(&id.to_le_bytes());
    if let Some(d) = doc {
        b.extend_from_slice(&(d.len() as u32).to_le_bytes());
        b.extend_from_slice(d);
    }
    b
}

/// The after image of a partial update: value_options PARTIAL_JSON_UPDATES, the JSON column
/// marked partial, then the image with the diffs as the JSON column's value.
fn partial_after_image(id: i64, diffs: &[u8]) -> Vec<u8> {
    let mut b = vec![1u8, 0b1];
    b.extend(docs_image(id, Some(diffs)));
    b
}

/// One diff as `Json_diff::write_binary` writes it.
fn diff(op: u8, path: &str, value: Option<&[u8]>) -> Vec<u8> {
    let mut b = vec![op, path.len() as u8];
    b.extend_from_slice(path.as_bytes());
    if let Some(v) = value {
        b.push(v.len() as u8);
        b.extend_from_slice(v);
    }
    b
}

fn docs_rig(extra: &[(&str, &str)]) -> Rig {
    let mut rig = rig();
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
    ]
    .into_iter()
    .chain(extra.iter().copied())
    {
        map.insert(k.into(), v.into());
    }
    rig.cfg = MySqlConfig::from_map(&map).expect("valid config");
    ddl::apply(
        &mut rig.catalog,
        "shop",
        "CREATE TABLE docs (id BIGINT PRIMARY KEY, doc JSON)",
    )
    .unwrap();
    rig
}

/// Hands `events` to the streamer until one fails; the records' values and that error.
async fn stream_until_error(
    rig: &mut Rig,
    events: &[Vec<u8>],
) -> (Vec<Json>, Option<MySqlSourceError>) {
    let start = StartAt {
        pos: BinlogPos::new("binlog.000001", 4),
        gtids: None,
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
    let mut failure = None;
    for bytes in events {
        let ev: Event = esr
            .read(&bytes[..])
            .expect("a well-formed fixture")
            .expect("an event");
        if let Err(e) = s.handle(&ev, |id| esr.get_tme(id).cloned(), &tx).await {
            failure = Some(e);
            break;
        }
    }
    s.flush(&tx).await.unwrap();
    drop(tx);
    let json = JsonConverter {
        schemas_enable: false,
        ..Default::default()
    };
    let mut values = Vec::new();
    while let Some(b) = rx.recv().await {
        for r in &b.records {
            values.push(
                json.to_bytes(r.value.as_ref())
                    .map(|b| serde_json::from_slice(&b).unwrap())
                    .unwrap_or(Json::Null),
            );
        }
    }
    (values, failure)
}

/// A transaction: GTID, BEGIN, then a TABLE_MAP + rows event pair per `rows`, then COMMIT.
fn tx_of(first_pos: u32, gno: i64, pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<Vec<u8>> {
    let mut v = vec![
        gtid(0x21, UUID, gno, first_pos),
        query("BEGIN", first_pos + 100),
    ];
    for (map, rows) in pairs {
        v.push(map);
        v.push(rows);
    }
    v.push(xid(first_pos + 900));
    v
}

#[tokio::test]
async fn binary_json_documents_become_json_text() {
    let mut rig = docs_rig(&[]);
    let doc = jsonb_object(&[("a", 1), ("bb", 2)]);
    let mut events = vec![fde()];
    events.extend(tx_of(
        1000,
        1,
        vec![(
            docs_map(1200),
            rows_of(
                DOCS_ID,
                30,
                2,
                &[docs_image(1, Some(&doc)), docs_image(2, None)],
                1300,
            ),
        )],
    ));
    let (values, failure) = stream_until_error(&mut rig, &events).await;
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(values[0]["after"]["doc"], r#"{"a":1,"bb":2}"#);
    assert!(
        values[1]["after"]["doc"].is_null(),
        "a NULL document stays NULL"
    );
}

/// A document whose member has a value type MySQL does not have (0x7f), and one whose string
/// is not UTF-8: both cannot be decoded.
fn undecodable_docs() -> [Vec<u8>; 2] {
    let mut bad_type = jsonb_object(&[("a", 1)]);
    bad_type[9] = 0x7f; // the member's value type
    let bad_utf8 = vec![0x0c, 2, 0xc3, 0x28];
    [bad_type, bad_utf8]
}

#[tokio::test]
async fn undecodable_json_fails_the_task_naming_table_column_and_position() {
    for doc in undecodable_docs() {
        let mut rig = docs_rig(&[]);
        let mut events = vec![fde()];
        events.extend(tx_of(
            1000,
            1,
            vec![(
                docs_map(1200),
                rows_of(DOCS_ID, 30, 2, &[docs_image(7, Some(&doc))], 1300),
            )],
        ));
        let (values, failure) = stream_until_error(&mut rig, &events).await;
        assert!(values.is_empty(), "nothing is emitted, no NULL: {values:?}");
        let e = failure.expect("the task fails");
        let text = e.to_string();
        assert!(matches!(e, MySqlSourceError::Row { .. }), "{text}");
        for part in [
            "shop.docs",
            "column doc (position 2)",
            "binlog.000001:1200",
            "JSON",
            "event.processing.failure.handling.mode",
        ] {
            assert!(text.contains(part), "{part:?} not in: {text}");
        }
        assert_eq!(cdc_core::Classify::retry(&e), cdc_core::Retry::Fatal);
    }
}

#[tokio::test]
async fn undecodable_json_is_skipped_whole_under_warn_and_skip() {
    for mode in ["warn", "skip"] {
        let mut rig = docs_rig(&[("event.processing.failure.handling.mode", mode)]);
        let good = jsonb_object(&[("a", 1)]);
        let [bad, _] = undecodable_docs();
        let mut events = vec![fde()];
        events.extend(tx_of(
            1000,
            1,
            vec![
                // One event of two rows, the second undecodable: neither is emitted.
                (
                    docs_map(1200),
                    rows_of(
                        DOCS_ID,
                        30,
                        2,
                        &[docs_image(1, Some(&good)), docs_image(2, Some(&bad))],
                        1300,
                    ),
                ),
                (
                    docs_map(1400),
                    rows_of(DOCS_ID, 30, 2, &[docs_image(3, Some(&good))], 1500),
                ),
            ],
        ));
        let (values, failure) = stream_until_error(&mut rig, &events).await;
        assert!(failure.is_none(), "{mode}: {failure:?}");
        let ids: Vec<i64> = values
            .iter()
            .map(|v| v["after"]["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [3], "{mode}");
    }
}

#[tokio::test]
async fn partial_json_updates_are_applied_to_the_before_image() {
    let mut rig = docs_rig(&[]);
    let before = jsonb_object(&[("a", 1), ("b", 2)]);
    let five = [0x05, 5, 0];
    let seven = [0x05, 7, 0];
    let mut diffs = diff(0, "$.a", Some(&five)); // REPLACE
    diffs.extend(diff(1, "$.c", Some(&seven))); // INSERT
    diffs.extend(diff(2, "$.b", None)); // REMOVE
    let mut events = vec![fde()];
    events.extend(tx_of(
        1000,
        1,
        vec![(
            docs_map(1200),
            rows_of(
                DOCS_ID,
                39,
                2,
                &[docs_image(1, Some(&before)), partial_after_image(1, &diffs)],
                1300,
            ),
        )],
    ));
    let (values, failure) = stream_until_error(&mut rig, &events).await;
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(values.len(), 1);
    assert_eq!(values[0]["op"], "u");
    assert_eq!(values[0]["before"]["doc"], r#"{"a":1,"b":2}"#);
    assert_eq!(values[0]["after"]["doc"], r#"{"a":5,"c":7}"#);
}

#[tokio::test]
async fn a_partial_json_update_that_cannot_apply_is_an_error_never_null() {
    let seven = [0x05, 7, 0];
    // REPLACE of a member the before image does not have; any diff on a NULL before image.
    let doc = jsonb_object(&[("a", 1)]);
    for (before, reason) in [
        (Some(&doc[..]), "\"missing\" does not exist"),
        (None, "NULL document"),
    ] {
        let mut rig = docs_rig(&[]);
        let diffs = diff(0, "$.missing", Some(&seven));
        let mut events = vec![fde()];
        events.extend(tx_of(
            1000,
            1,
            vec![(
                docs_map(1200),
                rows_of(
                    DOCS_ID,
                    39,
                    2,
                    &[docs_image(1, before), partial_after_image(1, &diffs)],
                    1300,
                ),
            )],
        ));
        let (values, failure) = stream_until_error(&mut rig, &events).await;
        assert!(values.is_empty(), "{values:?}");
        let text = failure.expect("the task fails").to_string();
        for part in ["shop.docs", "column doc", "binlog.000001:1200", reason] {
            assert!(text.contains(part), "{part:?} not in: {text}");
        }
    }
}

#[tokio::test]
async fn a_table_map_that_disagrees_with_the_history_is_never_read_into_shifted_columns() {
    // shop.items is (id BIGINT, name VARCHAR, qty INT) in the history; the binlog's TABLE_MAP
    // has a fourth column (an ALTER the history did not see), then a type that differs.
    let four = table_map_of(
        TABLE_ID,
        "items",
        &[0x08, 0x0f, 0x03, 0x03],
        &256u16.to_le_bytes(),
        0b1110,
        1200,
    );
    let mut four_cols = row_image(1, "apple", Some(3));
    four_cols[0] = 0b1000; // the fourth column NULL
    let retyped = table_map_of(
        TABLE_ID,
        "items",
        &[0x08, 0x0f, 0x0f],
        &[0, 1, 0, 1],
        0b110,
        1200,
    );
    let mut retyped_row = row_image(1, "apple", None);
    retyped_row[0] = 0b100;
    for (map, image, reason) in [
        (
            four,
            four_cols,
            "TABLE_MAP has 4 columns, the schema history's definition has 3 (id, name, qty)",
        ),
        (
            retyped,
            retyped_row,
            "column 3 (qty) is INT in the schema history",
        ),
    ] {
        let events = |rows_pos: u32| {
            let mut e = vec![fde()];
            e.extend(tx_of(
                1000,
                1,
                vec![
                    (
                        map.clone(),
                        rows_of(
                            TABLE_ID,
                            30,
                            if reason.starts_with("TABLE_MAP") {
                                4
                            } else {
                                3
                            },
                            std::slice::from_ref(&image),
                            rows_pos,
                        ),
                    ),
                    (
                        table_map(1400),
                        rows_v2(30, &[row_image(2, "pear", Some(1))], 1500),
                    ),
                ],
            ));
            e
        };
        let mut rig = docs_rig(&[]);
        let (values, failure) = stream_until_error(&mut rig, &events(1300)).await;
        assert!(values.is_empty(), "{values:?}");
        let e = failure.expect("fail is the default");
        let text = e.to_string();
        assert!(
            matches!(e, MySqlSourceError::InconsistentSchema { .. }),
            "{text}"
        );
        for part in [
            "shop.items",
            "binlog.000001:1200",
            reason,
            "inconsistent.schema.handling.mode",
        ] {
            assert!(text.contains(part), "{part:?} not in: {text}");
        }
        for mode in ["warn", "skip"] {
            let mut rig = docs_rig(&[("inconsistent.schema.handling.mode", mode)]);
            let (values, failure) = stream_until_error(&mut rig, &events(1300)).await;
            assert!(failure.is_none(), "{mode}: {failure:?}");
            let ids: Vec<i64> = values
                .iter()
                .map(|v| v["after"]["id"].as_i64().unwrap())
                .collect();
            assert_eq!(
                ids,
                [2],
                "{mode}: the disagreeing event is skipped, the next one read"
            );
        }
    }
}
