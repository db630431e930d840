//! Scenarios of the embedded log on a temporary data directory.

use serde_json::json;

use std::sync::Arc;

use super::*;
use cdc_core::SourceOffset;
use store::AppendChain;

fn rec<'a>(topic: &'a str, key: &'a [u8], value: Option<&'a [u8]>) -> StoredRecordRef<'a> {
    StoredRecordRef {
        topic,
        timestamp_ms: 1_700_000_000_000,
        key: Some(key.into()),
        value: value.map(Payload::whole),
        headers: &[],
        context: &[],
        context_block: &[],
    }
}

fn offset(lsn: i64) -> SourceOffset {
    let m = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
    SourceOffset::new(m(json!({"server": "p"})), m(json!({"lsn": lsn})))
}

#[test]
fn records_get_per_topic_offsets_and_read_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    let got = log
        .append(
            &[
                rec("a", b"1", Some(b"v1")),
                rec("b", b"1", Some(b"w1")),
                rec("a", b"2", None),
            ],
            None,
        )
        .unwrap();
    assert_eq!(got, vec![0, 0, 1]);
    let got = log.append(&[rec("a", b"3", Some(b"v3"))], None).unwrap();
    assert_eq!(got, vec![2]);

    let a = log.read("a", 0, 100).unwrap();
    let offsets: Vec<u64> = a.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, vec![0, 1, 2]);
    assert_eq!(a[1].value, None, "a tombstone stays a tombstone");
    assert_eq!(a[2].value.as_deref(), Some(&b"v3"[..]));
    assert_eq!(
        log.read("a", 1, 1).unwrap()[0].key.as_deref(),
        Some(&b"2"[..])
    );
    assert!(log.read("a", 3, 10).unwrap().is_empty());
    assert!(matches!(
        log.read("nope", 0, 1),
        Err(LogError::UnknownTopic(_))
    ));

    let topics = log.topics().unwrap();
    assert_eq!(
        topics
            .iter()
            .map(|t| (t.name.as_str(), t.records, t.next_offset))
            .collect::<Vec<_>>(),
        vec![("a", 3, 3), ("b", 1, 1)]
    );
}

#[test]
fn the_source_offset_is_stored_with_the_records_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = EmbeddedLog::open(dir.path()).unwrap();
        assert_eq!(log.source_offset("c").unwrap(), None);
        log.append(&[rec("t", b"k", Some(b"v"))], Some(("c", &offset(10))))
            .unwrap();
        log.append(&[rec("t", b"k", Some(b"v"))], Some(("c", &offset(20))))
            .unwrap();
    }
    let log = EmbeddedLog::open(dir.path()).unwrap();
    assert_eq!(log.source_offset("c").unwrap(), Some(offset(20)));
    assert_eq!(
        log.append(&[rec("t", b"k", None)], None).unwrap(),
        vec![2],
        "offsets continue after a reopen"
    );
    log.set_source_offset("c", &offset(5)).unwrap();
    assert_eq!(log.source_offset("c").unwrap(), Some(offset(5)));
    assert!(log.delete_source_offset("c").unwrap());
    assert!(!log.delete_source_offset("c").unwrap());
    assert_eq!(log.source_offset("c").unwrap(), None);
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _held = EmbeddedLog::open(dir.path()).unwrap();
    let err = EmbeddedLog::open(dir.path())
        .err()
        .expect("must be refused");
    assert!(matches!(err, LogError::Locked { .. }), "{err:?}");
    assert!(err
        .to_string()
        .contains("in use by another tributary process"));
    assert!(matches!(
        EmbeddedLog::open_read_only(dir.path()),
        Err(LogError::Locked { .. })
    ));
}

#[test]
fn big_appends_are_split_into_chunks_and_read_from_any_offset() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    let values: Vec<Vec<u8>> = (0..5000)
        .map(|i| format!("{i:0>400}").into_bytes())
        .collect();
    let headers = vec![("h".to_owned(), b"x".to_vec())];
    let recs: Vec<StoredRecordRef<'_>> = values
        .iter()
        .map(|v| StoredRecordRef {
            topic: "big",
            timestamp_ms: 5,
            key: None,
            value: Some(Payload::whole(v)),
            headers: &headers,
            context: &[],
            context_block: &[],
        })
        .collect();
    log.append(&recs[..2500], None).unwrap();
    log.append(&recs[2500..], None).unwrap();
    for from in [0u64, 1, 2499, 2500, 2600, 4999] {
        let got = log.read("big", from, 3).unwrap();
        assert_eq!(got[0].offset, from);
        assert_eq!(
            got[0].value.as_deref(),
            Some(values[from as usize].as_slice())
        );
        assert_eq!(got[0].headers, headers);
    }
    assert_eq!(log.read("big", 0, usize::MAX).unwrap().len(), 5000);
}

#[test]
fn a_reader_opens_the_file_read_only_when_no_worker_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        LogReader::new(dir.path()).topics(),
        Err(LogError::NotFound(_))
    ));
    EmbeddedLog::open(dir.path())
        .unwrap()
        .append(&[rec("t", b"k", Some(b"v"))], None)
        .unwrap();
    let mut reader = LogReader::new(dir.path());
    assert_eq!(reader.topics().unwrap()[0].records, 1);
    assert_eq!(reader.read("t", 0, 10).unwrap().len(), 1);
    // The reader does not keep the directory: a worker can start.
    let _worker = EmbeddedLog::open(dir.path()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_goes_through_the_worker_socket_while_a_worker_holds_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    let listener = socket::bind(&log).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(socket::serve(log.clone(), listener, stop.clone()));
    let headers = vec![("h".to_owned(), b"1".to_vec())];
    log.append(
        &[
            StoredRecordRef {
                topic: "t",
                timestamp_ms: 9,
                key: None,
                value: Some(b"{\"a\":1}".into()),
                headers: &headers,
                context: &[],
                context_block: &[],
            },
            rec("t", b"k", None),
        ],
        None,
    )
    .unwrap();

    let path = dir.path().to_owned();
    let (topics, records, unknown) = tokio::task::spawn_blocking(move || {
        let mut reader = LogReader::new(&path);
        (
            reader.topics().unwrap(),
            reader.read("t", 0, 10).unwrap(),
            reader.read("other", 0, 10),
        )
    })
    .await
    .unwrap();
    assert_eq!(topics[0].name, "t");
    assert_eq!(topics[0].records, 2);
    assert_eq!(records, log.read("t", 0, 10).unwrap());
    assert!(matches!(unknown, Err(LogError::UnknownTopic(t)) if t == "other"));

    stop.cancel();
    server.await.unwrap();
    assert!(!socket::socket_path(dir.path()).exists());
}

/// The data directory, its log and its read socket are its owner's only; a request line
/// longer than the socket takes is refused without being buffered, and the connection closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_its_socket_are_private_and_request_lines_are_bounded() {
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    // An older directory, readable by all, is brought to owner-only modes on open.
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = EmbeddedLog::open(&dir).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(store::FILE_NAME)), 0o600);
    let listener = socket::bind(&log).unwrap();
    assert_eq!(mode(&socket::socket_path(&dir)), 0o600);
    let stop = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(socket::serve(log.clone(), listener, stop.clone()));

    let path = socket::socket_path(&dir);
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::os::unix::net::UnixStream::connect(&path).unwrap();
        let long = "x".repeat(socket::MAX_REQUEST_LINE * 4);
        // The server may close before all of it is written.
        let _ = s.write_all(long.as_bytes());
        let _ = s.write_all(b"\n");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    })
    .await
    .unwrap();
    assert_eq!(answer.first(), Some(&2), "a failure frame: {answer:?}");
    assert!(String::from_utf8_lossy(&answer[5..]).contains("request line longer than"));

    // Other connections are served as before.
    let path = dir.clone();
    let topics = tokio::task::spawn_blocking(move || LogReader::new(&path).topics().unwrap())
        .await
        .unwrap();
    assert!(topics.is_empty());
    stop.cancel();
    server.await.unwrap();
}

#[test]
fn the_log_is_shareable_across_threads() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<EmbeddedLog>();
}

#[test]
fn appends_queued_together_are_committed_in_order_with_their_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    // Four writers, each appending 50 times to its own topic and a shared one, at once: appends
    // that queue behind a commit are committed together (group commit), each in its place.
    std::thread::scope(|s| {
        for writer in 0..4 {
            let log = log.clone();
            s.spawn(move || {
                let chain = Arc::new(AppendChain::default());
                let own = format!("own-{writer}");
                let connector = format!("c{writer}");
                for i in 0..50i64 {
                    let key = format!("{writer}-{i}");
                    let recs = [
                        rec(&own, key.as_bytes(), Some(b"v")),
                        rec("shared", key.as_bytes(), Some(b"v")),
                    ];
                    let prepared = log.prepare(&recs);
                    let mut queued = 0;
                    let offsets = log
                        .commit(
                            prepared,
                            Some((&connector, &offset(i))),
                            Some(&chain),
                            &mut || queued += 1,
                        )
                        .unwrap();
                    assert_eq!(queued, 1, "queued is called once");
                    assert_eq!(offsets[0], i as u64, "the writer's own topic is contiguous");
                }
            });
        }
    });
    for writer in 0..4 {
        let own = log.read(&format!("own-{writer}"), 0, usize::MAX).unwrap();
        let keys: Vec<String> = own
            .iter()
            .map(|r| String::from_utf8(r.key.clone().unwrap()).unwrap())
            .collect();
        let expected: Vec<String> = (0..50).map(|i| format!("{writer}-{i}")).collect();
        assert_eq!(keys, expected);
        assert_eq!(
            log.source_offset(&format!("c{writer}")).unwrap(),
            Some(offset(49)),
            "the last append's offset is stored"
        );
    }
    let shared = log.read("shared", 0, usize::MAX).unwrap();
    assert_eq!(shared.len(), 200);
    for (i, r) in shared.iter().enumerate() {
        assert_eq!(r.offset, i as u64);
    }
    // Each writer's records keep their order within the shared topic.
    for writer in 0..4 {
        let mine: Vec<String> = shared
            .iter()
            .map(|r| String::from_utf8(r.key.clone().unwrap()).unwrap())
            .filter(|k| k.starts_with(&format!("{writer}-")))
            .collect();
        let expected: Vec<String> = (0..50).map(|i| format!("{writer}-{i}")).collect();
        assert_eq!(mine, expected);
    }
}

#[test]
fn an_append_behind_a_failed_one_of_its_chain_is_refused_and_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    let chain = Arc::new(AppendChain::default());
    let first = [rec("t", b"a", Some(b"1"))];
    log.commit(log.prepare(&first), None, Some(&chain), &mut || {})
        .unwrap();
    chain.fail();
    let second = [rec("t", b"b", Some(b"2"))];
    let err = log
        .commit(
            log.prepare(&second),
            Some(("c", &offset(2))),
            Some(&chain),
            &mut || {},
        )
        .unwrap_err();
    assert!(matches!(err, LogError::AfterFailedAppend), "{err}");
    assert_eq!(log.read("t", 0, usize::MAX).unwrap().len(), 1);
    assert_eq!(log.source_offset("c").unwrap(), None);
    // Another writer's chain is not affected.
    let other = Arc::new(AppendChain::default());
    log.commit(log.prepare(&second), None, Some(&other), &mut || {})
        .unwrap();
    assert_eq!(log.read("t", 0, usize::MAX).unwrap().len(), 2);
}

#[test]
fn sink_offsets_are_stored_per_connector_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    assert_eq!(log.sink_offsets("jdbc").unwrap(), None);
    let mut positions = SinkPositions::new();
    positions
        .entry("db.public.a".into())
        .or_default()
        .insert(0, 42);
    positions
        .entry("db.public.b".into())
        .or_default()
        .insert(0, 7);
    log.set_sink_offsets("jdbc", &positions).unwrap();
    log.set_sink_offsets("other", &SinkPositions::new())
        .unwrap();
    drop(log);

    let log = EmbeddedLog::open(dir.path()).unwrap();
    assert_eq!(log.sink_offsets("jdbc").unwrap(), Some(positions));
    assert_eq!(
        log.sink_offsets("other").unwrap(),
        Some(SinkPositions::new())
    );
    assert!(log.delete_sink_offsets("jdbc").unwrap());
    assert!(!log.delete_sink_offsets("jdbc").unwrap());
    assert_eq!(log.sink_offsets("jdbc").unwrap(), None);
    assert_eq!(
        log.source_offset("jdbc").unwrap(),
        None,
        "sink and source offsets are apart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_waiting_at_the_end_wakes_when_records_are_appended() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    let mut appended = log.subscribe_appends();
    let writer = log.clone();
    let append = tokio::task::spawn_blocking(move || {
        writer.append(&[rec("t", b"k", Some(b"v"))], None).unwrap()
    });
    tokio::time::timeout(std::time::Duration::from_secs(10), appended.changed())
        .await
        .expect("woken within 10 s")
        .unwrap();
    append.await.unwrap();
    assert_eq!(log.read("t", 0, 10).unwrap().len(), 1);
}

fn part_offset(table: &str, n: i64) -> SourceOffset {
    let m = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
    SourceOffset::new(
        m(json!({"protocol": "1", "table": table})),
        m(json!({"incrementing": n})),
    )
}

/// The raw keys of the source offsets table, in order.
fn offset_rows(log: &EmbeddedLog) -> Vec<String> {
    use redb::ReadableTable;
    let txn = log.begin_read().unwrap();
    let table = txn
        .open_table(redb::TableDefinition::<&str, &[u8]>::new("source_offsets"))
        .unwrap();
    table
        .iter()
        .unwrap()
        .map(|r| r.unwrap().0.value().to_owned())
        .collect()
}

#[test]
fn a_single_partition_source_keeps_its_one_row_under_the_connector_name() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    for n in 1..=3 {
        log.append(&[rec("t", b"k", Some(b"v"))], Some(("c", &offset(n))))
            .unwrap();
    }
    log.set_source_offset("c", &offset(7)).unwrap();
    assert_eq!(offset_rows(&log), vec!["c".to_owned()]);
    assert_eq!(log.source_offset("c").unwrap(), Some(offset(7)));
    assert_eq!(log.source_offsets("c").unwrap(), vec![offset(7)]);
}

#[test]
fn every_source_partition_has_its_own_offset_and_they_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = EmbeddedLog::open(dir.path()).unwrap();
        assert!(log.source_offsets("c").unwrap().is_empty());
        for n in 1..=4 {
            let table = if n % 2 == 1 {
                "db.public.a"
            } else {
                "db.public.b"
            };
            log.append(
                &[rec("t", b"k", Some(b"v"))],
                Some(("c", &part_offset(table, n))),
            )
            .unwrap();
        }
        // The first partition written stays the primary one.
        assert_eq!(
            log.source_offset("c").unwrap(),
            Some(part_offset("db.public.a", 3))
        );
        // Another connector, whose name starts with this one's, keeps to itself.
        log.set_source_offset("c2", &part_offset("db.public.z", 9))
            .unwrap();
        log.set_source_offset("b", &part_offset("db.public.y", 8))
            .unwrap();
    }
    let log = EmbeddedLog::open(dir.path()).unwrap();
    assert_eq!(
        log.source_offsets("c").unwrap(),
        vec![part_offset("db.public.a", 3), part_offset("db.public.b", 4)]
    );
    assert_eq!(
        offset_rows(&log),
        vec![
            "b".to_owned(),
            "c".to_owned(),
            "c\0{\"protocol\":\"1\",\"table\":\"db.public.b\"}".to_owned(),
            "c2".to_owned(),
        ]
    );
    assert_eq!(
        log.source_offsets("c2").unwrap(),
        vec![part_offset("db.public.z", 9)]
    );

    // The REST path stores each partition in its row; equal partitions with their keys in
    // another order share it.
    let m = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
    let reordered = SourceOffset::new(
        m(json!({"table": "db.public.b", "protocol": "1"})),
        m(json!({"incrementing": 40})),
    );
    log.set_source_offset("c", &reordered).unwrap();
    log.set_source_offset("c", &part_offset("db.public.a", 30))
        .unwrap();
    let all = log.source_offsets("c").unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], part_offset("db.public.a", 30));
    assert_eq!(all[1].get_i64("incrementing"), Some(40));

    // Deleting one partition leaves the other; deleting all leaves the other connectors.
    assert!(log
        .delete_partition_offset("c", &part_offset("db.public.b", 0).partition)
        .unwrap());
    assert!(!log
        .delete_partition_offset("c", &part_offset("db.public.b", 0).partition)
        .unwrap());
    assert_eq!(
        log.source_offsets("c").unwrap(),
        vec![part_offset("db.public.a", 30)]
    );
    log.set_source_offset("c", &part_offset("db.public.b", 41))
        .unwrap();
    assert!(log.delete_source_offset("c").unwrap());
    assert!(!log.delete_source_offset("c").unwrap());
    assert!(log.source_offsets("c").unwrap().is_empty());
    assert_eq!(offset_rows(&log), vec!["b".to_owned(), "c2".to_owned()]);
}

#[test]
fn a_partition_is_never_stored_twice_after_the_primary_one_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    let (a, b) = ("db.public.a", "db.public.b");
    log.append(
        &[rec("t", b"k", Some(b"v"))],
        Some(("c", &part_offset(a, 1))),
    )
    .unwrap();
    log.append(
        &[rec("t", b"k", Some(b"v"))],
        Some(("c", &part_offset(b, 2))),
    )
    .unwrap();
    // The primary row goes; B still has its own row.
    assert!(log
        .delete_partition_offset("c", &part_offset(a, 0).partition)
        .unwrap());
    assert_eq!(log.source_offset("c").unwrap(), None);
    assert_eq!(log.source_offsets("c").unwrap(), vec![part_offset(b, 2)]);
    // B written again takes the free primary row and leaves its old one.
    log.append(
        &[rec("t", b"k", Some(b"v"))],
        Some(("c", &part_offset(b, 3))),
    )
    .unwrap();
    assert_eq!(offset_rows(&log), vec!["c".to_owned()]);
    assert_eq!(log.source_offsets("c").unwrap(), vec![part_offset(b, 3)]);
    // And A comes back beside it.
    log.set_source_offset("c", &part_offset(a, 4)).unwrap();
    log.append(
        &[rec("t", b"k", Some(b"v"))],
        Some(("c", &part_offset(a, 5))),
    )
    .unwrap();
    assert_eq!(
        log.source_offsets("c").unwrap(),
        vec![part_offset(b, 3), part_offset(a, 5)]
    );
}

#[test]
fn appends_of_several_partitions_committed_together_keep_one_row_each() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    // Concurrent writers of one connector's partitions: their appends are group-committed,
    // several partitions in one transaction.
    std::thread::scope(|s| {
        for writer in 0..4i64 {
            let log = log.clone();
            s.spawn(move || {
                for i in 0..50 {
                    let table = format!("db.public.t{}", (writer + i) % 3);
                    log.append(
                        &[rec("t", b"k", Some(b"v"))],
                        Some(("c", &part_offset(&table, writer * 100 + i))),
                    )
                    .unwrap();
                }
            });
        }
    });
    let all = log.source_offsets("c").unwrap();
    let mut tables: Vec<&str> = all
        .iter()
        .map(|o| o.partition["table"].as_str().unwrap())
        .collect();
    tables.sort();
    assert_eq!(tables, vec!["db.public.t0", "db.public.t1", "db.public.t2"]);
    assert_eq!(offset_rows(&log).len(), 3);
}
