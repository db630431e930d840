//! Retention on the embedded log: limits from the worker and from `topic.creation.*`, the sweep
//! by age and by size, the newest chunk kept, the first kept offset, and the file staying bounded.

use std::time::Duration;

use cdc_core::ConfigMap;

use super::retention::{CleanupPolicy, Limits, RetentionDefaults, TopicConfig, TopicRules};
use super::*;

use cdc_core::config_map as map;

fn rec_at<'a>(topic: &'a str, ts: i64, value: &'a [u8]) -> StoredRecordRef<'a> {
    StoredRecordRef {
        topic,
        timestamp_ms: ts,
        key: Some(b"k".into()),
        value: Some(Payload::whole(value)),
        headers: &[],
        context: &[],
        context_block: &[],
    }
}

/// Appends `chunks` appends (one chunk each) of `per` records to `topic`, the n-th append's
/// records stamped `ts(n)`.
fn fill(log: &EmbeddedLog, topic: &str, chunks: usize, per: usize, ts: impl Fn(usize) -> i64) {
    for n in 0..chunks {
        let values: Vec<Vec<u8>> = (0..per)
            .map(|i| format!("value {i} of {topic}").into_bytes())
            .collect();
        let records: Vec<StoredRecordRef<'_>> =
            values.iter().map(|v| rec_at(topic, ts(n), v)).collect();
        log.append(&records, None).unwrap();
    }
}

fn defaults(ms: i64, bytes: i64) -> RetentionDefaults {
    RetentionDefaults {
        retention_ms: ms,
        retention_bytes: bytes,
        check_interval: Duration::from_secs(3600),
    }
}

fn worker_defaults(pairs: &[(&str, &str)]) -> Result<RetentionDefaults, cdc_core::ConfigErrors> {
    let m = map(pairs);
    let mut r = cdc_core::ConfigReader::new(&m);
    let d = RetentionDefaults::read(&mut r);
    r.finish().map(|()| d)
}

#[test]
fn worker_defaults_are_kafkas_with_its_precedence() {
    let d = worker_defaults(&[]).unwrap();
    assert_eq!(d.retention_ms, 604_800_000, "7 days");
    assert_eq!(d.retention_bytes, -1);
    assert_eq!(d.check_interval, Duration::from_millis(300_000));
    let hours = worker_defaults(&[("log.retention.hours", "1")]).unwrap();
    assert_eq!(hours.retention_ms, 3_600_000);
    let minutes =
        worker_defaults(&[("log.retention.hours", "1"), ("log.retention.minutes", "2")]).unwrap();
    assert_eq!(minutes.retention_ms, 120_000);
    let ms =
        worker_defaults(&[("log.retention.minutes", "2"), ("log.retention.ms", "-1")]).unwrap();
    assert_eq!(ms.retention_ms, -1, "ms wins, -1 is unlimited");
    assert_eq!(ms.limits(&TopicConfig::default()).retention_ms, None);

    let bad = worker_defaults(&[
        ("log.retention.ms", "0"),
        ("log.retention.bytes", "lots"),
        ("log.retention.check.interval.ms", "0"),
        ("log.cleanup.policy", "compact"),
    ])
    .unwrap_err();
    let names: Vec<&str> = bad.0.iter().map(|p| p.property.as_str()).collect();
    assert_eq!(
        names,
        [
            "log.retention.ms",
            "log.retention.bytes",
            "log.retention.check.interval.ms",
            "log.cleanup.policy"
        ]
    );
    assert!(bad.0[3]
        .message
        .contains("not supported by the embedded log's worker defaults"));

    // The cleaner's knobs the log has no use for are refused by name (the worker reads
    // log.cleaner.delete.retention.ms and log.cleaner.min.compaction.lag.ms: CleanerDefaults).
    let bad = worker_defaults(&[
        ("log.cleaner.delete.retention.ms", "1000"),
        ("log.cleaner.min.cleanable.ratio", "0.1"),
        ("log.cleanup.policy", "delete,klean"),
    ])
    .unwrap_err();
    let names: Vec<&str> = bad.0.iter().map(|p| p.property.as_str()).collect();
    assert_eq!(
        names,
        ["log.cleanup.policy", "log.cleaner.min.cleanable.ratio"]
    );
    assert!(
        bad.0[0].message.contains("Invalid value klean"),
        "{}",
        bad.0[0].message
    );
    assert!(worker_defaults(&[("log.cleanup.policy", "delete")]).is_ok());
}

#[test]
fn topic_creation_groups_give_per_topic_overrides_and_unsupported_cleaner_knobs_are_refused() {
    let connector = map(&[
        ("topic.creation.groups", "big"),
        ("topic.creation.default.retention.ms", "86400000"),
        ("topic.creation.big.include", "db\\.public\\..*"),
        ("topic.creation.big.retention.bytes", "1048576"),
        ("topic.creation.big.cleanup.policy", "delete"),
        ("topic.creation.big.compression.type", "lz4"),
    ]);
    let rules = TopicRules::from_config(&ConfigMap::new(), &connector).unwrap();
    assert_eq!(
        rules.config_for("db.public.orders"),
        TopicConfig {
            retention_bytes: Some(1 << 20),
            cleanup_policy: Some(CleanupPolicy::Delete),
            ..TopicConfig::default()
        },
        "a group does not inherit the default group's topic configs (KIP-158)"
    );
    assert_eq!(
        rules.config_for("other"),
        TopicConfig {
            retention_ms: Some(86_400_000),
            ..TopicConfig::default()
        }
    );
    let off =
        TopicRules::from_config(&map(&[("topic.creation.enable", "false")]), &connector).unwrap();
    assert!(off.config_for("other").is_empty());

    let limits = defaults(-1, 100).limits(&rules.config_for("db.public.orders"));
    assert_eq!(
        limits,
        Limits {
            retention_ms: None,
            retention_bytes: Some(1 << 20)
        }
    );

    for (policy, expected) in [
        ("compact", CleanupPolicy::Compact),
        ("compact,delete", CleanupPolicy::CompactDelete),
        ("Delete, compact", CleanupPolicy::CompactDelete),
        ("delete", CleanupPolicy::Delete),
    ] {
        let rules = TopicRules::from_config(
            &ConfigMap::new(),
            &map(&[
                ("topic.creation.default.cleanup.policy", policy),
                ("topic.creation.default.delete.retention.ms", "100"),
                ("topic.creation.default.min.compaction.lag.ms", "5"),
            ]),
        )
        .unwrap();
        assert_eq!(
            rules.config_for("t"),
            TopicConfig {
                cleanup_policy: Some(expected),
                delete_retention_ms: Some(100),
                min_compaction_lag_ms: Some(5),
                ..TopicConfig::default()
            }
        );
    }
    // A compacted topic is never trimmed by retention unless its policy also says delete.
    let compact = TopicConfig {
        cleanup_policy: Some(CleanupPolicy::Compact),
        retention_ms: Some(1),
        ..TopicConfig::default()
    };
    assert!(defaults(1, 1).limits(&compact).unlimited());
    let both = TopicConfig {
        cleanup_policy: Some(CleanupPolicy::CompactDelete),
        ..compact
    };
    assert_eq!(defaults(5, -1).limits(&both).retention_ms, Some(1));
    // The cleaner knobs the log does not implement are refused by name.
    let e = TopicRules::from_config(
        &ConfigMap::new(),
        &map(&[
            ("topic.creation.default.min.cleanable.dirty.ratio", "0.1"),
            ("topic.creation.default.max.compaction.lag.ms", "1000"),
            ("topic.creation.default.delete.retention.ms", "-1"),
        ]),
    )
    .unwrap_err();
    let mut names: Vec<&str> = e.0.iter().map(|p| p.property.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "topic.creation.default.delete.retention.ms",
            "topic.creation.default.max.compaction.lag.ms",
            "topic.creation.default.min.cleanable.dirty.ratio",
        ]
    );
    assert!(e
        .0
        .iter()
        .any(|p| p.message.contains("is not supported by the embedded log")));
    let e = TopicRules::from_config(
        &ConfigMap::new(),
        &map(&[
            ("topic.creation.default.retention.ms", "-2"),
            ("topic.creation.default.retention.bytes", "x"),
            ("topic.creation.default.cleanup.policy", "keep"),
        ]),
    )
    .unwrap_err();
    let mut names: Vec<&str> = e.0.iter().map(|p| p.property.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "topic.creation.default.cleanup.policy",
            "topic.creation.default.retention.bytes",
            "topic.creation.default.retention.ms"
        ]
    );
}

#[test]
fn a_topic_is_created_with_its_overrides_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let connector = map(&[("topic.creation.default.retention.bytes", "0")]);
    {
        let log = EmbeddedLog::open(dir.path()).unwrap();
        // A topic that exists before the connector's first append keeps its (empty) config.
        fill(&log, "old", 1, 1, |_| 0);
        let source =
            log.with_topic_rules(TopicRules::from_config(&ConfigMap::new(), &connector).unwrap());
        fill(&source, "new", 1, 1, |_| 0);
        fill(&source, "old", 1, 1, |_| 0);
    }
    let log = EmbeddedLog::open(dir.path()).unwrap();
    assert_eq!(
        log.topic_config("new").unwrap(),
        Some(TopicConfig {
            retention_bytes: Some(0),
            ..TopicConfig::default()
        })
    );
    assert_eq!(
        log.topic_config("old").unwrap(),
        Some(TopicConfig::default())
    );
    assert_eq!(log.topic_config("none").unwrap(), None);
}

#[test]
fn retention_bytes_deletes_the_oldest_chunks_keeping_at_least_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    fill(&log, "p", 1, 10, |_| 0);
    let one = log.topic_bytes("p").unwrap();
    // Ten chunks of ten records, each the same size as the probe's.
    fill(&log, "t", 10, 10, |_| 0);
    assert_eq!(log.topic_bytes("t").unwrap(), 10 * one);

    // Kafka's rule: a chunk goes while the rest still holds retention.bytes.
    let d = defaults(-1, (3 * one + 1) as i64);
    let report = log.apply_retention(&d, 0).unwrap();
    let t: Vec<_> = report.deleted.iter().filter(|d| d.0 == "t").collect();
    assert_eq!(t, [&("t".to_owned(), 60, 6 * one, 60)]);
    assert_eq!(log.topic_bytes("t").unwrap(), 4 * one);
    assert_eq!(log.topic_range("t").unwrap(), (60, 100));
    let info = log.topics().unwrap();
    let t = info.iter().find(|i| i.name == "t").unwrap();
    assert_eq!((t.records, t.next_offset), (40, 100));

    // Reads start at the first record kept; a checked read of a deleted offset names the range.
    assert_eq!(log.read("t", 0, 1).unwrap()[0].offset, 60);
    assert_eq!(log.read_checked("t", 75, 1).unwrap()[0].offset, 75);
    match log.read_checked("t", 12, 5) {
        Err(LogError::Deleted {
            topic,
            from,
            first_kept,
            next,
        }) => assert_eq!((topic.as_str(), from, first_kept, next), ("t", 12, 60, 100)),
        other => panic!("{other:?}"),
    }
    let text = log.read_checked("t", 12, 5).unwrap_err().to_string();
    assert!(
        text.starts_with("records 12..59 of topic t partition 0 were deleted by retention before the sink consumed them"),
        "{text}"
    );

    // Nothing more to delete: a second sweep is a no-op.
    assert!(log
        .apply_retention(&d, 0)
        .unwrap()
        .deleted
        .iter()
        .all(|d| d.0 != "t"));

    // The new first offset survives a restart, and appends continue after the last offset.
    drop(log);
    let log = EmbeddedLog::open(dir.path()).unwrap();
    assert_eq!(log.topic_range("t").unwrap(), (60, 100));
    fill(&log, "t", 1, 1, |_| 0);
    assert_eq!(log.topic_range("t").unwrap(), (60, 101));
    assert_eq!(log.read("t", 100, 10).unwrap()[0].offset, 100);
}

#[test]
fn retention_ms_deletes_chunks_whose_newest_record_is_too_old_but_never_the_newest_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    // Chunk n's records are stamped 1000·(n+1).
    fill(&log, "t", 5, 3, |n| 1000 * (n as i64 + 1));
    let rules = TopicRules::from_config(
        &ConfigMap::new(),
        &map(&[("topic.creation.default.retention.ms", "-1")]),
    )
    .unwrap();
    fill(&log.with_topic_rules(rules), "forever", 5, 3, |_| 0);

    // now = 6000, retention 2500 ms: chunks stamped 1000, 2000, 3000 are older than that.
    let report = log.apply_retention(&defaults(2500, -1), 6000).unwrap();
    assert_eq!(
        report.deleted,
        [("t".to_owned(), 9, report.deleted[0].2, 9)]
    );
    assert_eq!(log.topic_range("t").unwrap(), (9, 15));
    assert_eq!(
        log.topic_range("forever").unwrap(),
        (0, 15),
        "retention.ms=-1 on the topic overrides the worker's default"
    );

    // Far in the future every chunk is expired, and the newest one stays.
    log.apply_retention(&defaults(2500, -1), 1_000_000).unwrap();
    assert_eq!(log.topic_range("t").unwrap(), (12, 15));
    let kept: Vec<u64> = log
        .read("t", 0, 100)
        .unwrap()
        .iter()
        .map(|r| r.offset)
        .collect();
    assert_eq!(kept, [12, 13, 14]);
    // And by size too: retention.bytes=0 keeps the newest chunk.
    log.apply_retention(&defaults(-1, 0), 0).unwrap();
    assert_eq!(log.topic_range("t").unwrap(), (12, 15));
    assert_eq!(log.topic_range("forever").unwrap(), (12, 15));
}

#[test]
fn a_layout_1_log_is_upgraded_with_its_chunks_sizes_and_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = EmbeddedLog::open(dir.path()).unwrap();
        fill(&log, "t", 4, 2, |n| 1000 * (n as i64 + 1));
    }
    {
        // What a layout 1 log looks like: no chunk_info, no topic_configs.
        let db = redb::Database::create(dir.path().join(store::FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn
                .open_table(redb::TableDefinition::<&str, u64>::new("meta"))
                .unwrap();
            meta.insert("format", 1).unwrap();
        }
        txn.delete_table(redb::TableDefinition::<(u32, u64), (u64, i64)>::new(
            "chunk_info",
        ))
        .unwrap();
        txn.delete_table(redb::TableDefinition::<&str, &[u8]>::new("topic_configs"))
            .unwrap();
        txn.commit().unwrap();
    }
    // Readable read-only as it is.
    let ro = EmbeddedLog::open_read_only(dir.path()).unwrap();
    assert_eq!(ro.read("t", 0, 100).unwrap().len(), 8);
    drop(ro);
    let log = EmbeddedLog::open(dir.path()).unwrap();
    assert!(log.topic_bytes("t").unwrap() > 0);
    log.apply_retention(&defaults(1500, -1), 4000).unwrap();
    assert_eq!(log.topic_range("t").unwrap(), (4, 8));
}

#[test]
fn the_sweeper_runs_every_check_interval_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    let sweeper = log.start_retention(RetentionDefaults {
        retention_ms: -1,
        retention_bytes: 0,
        check_interval: Duration::from_millis(10),
    });
    fill(&log, "t", 3, 2, |_| 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while log.topic_range("t").unwrap().0 != 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweep did not run"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    sweeper.stop();

    // A sweeper holds the log weakly: dropping the log releases the directory.
    let sweeper = log.start_retention(defaults(-1, 0));
    drop(log);
    let again = EmbeddedLog::open(dir.path()).unwrap();
    assert_eq!(again.topic_range("t").unwrap(), (4, 6));
    drop(sweeper);
}

/// The issue's "must show": a topic with `retention.bytes` stays bounded while 1,000,000
/// events pass through. The redb file does not shrink when chunks are deleted, but the pages
/// they freed are reused: after the first sweeps the file stops growing.
#[test]
fn a_topic_with_retention_bytes_stays_bounded_while_a_million_events_pass() {
    const EVENTS: usize = 1_000_000;
    const BATCH: usize = 10_000;
    const LIMIT: u64 = 4 << 20;
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    let file = dir.path().join(store::FILE_NAME);
    let d = defaults(-1, LIMIT as i64);
    let mut sizes = Vec::new();
    let mut values: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for b in 0..EVENTS / BATCH {
        values.clear();
        for i in 0..BATCH {
            // ~100 bytes with a random part, so lz4 cannot fold the records away.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(
                format!(
                    r#"{{"id":{},"op":"c","name":"row {x:016x}","balance":{}}}"#,
                    b * BATCH + i,
                    x % 100_000
                )
                .into_bytes(),
            );
        }
        let records: Vec<StoredRecordRef<'_>> =
            values.iter().map(|v| rec_at("orders", 0, v)).collect();
        log.append(&records, None).unwrap();
        log.apply_retention(&d, 0).unwrap();
        sizes.push(std::fs::metadata(&file).unwrap().len());
    }
    let stored = log.topic_bytes("orders").unwrap();
    let (start, next) = log.topic_range("orders").unwrap();
    assert_eq!(next, EVENTS as u64);
    assert!(start > 0);
    assert!((LIMIT..LIMIT + (2 << 20)).contains(&stored), "{stored}");
    let first_quarter = *sizes[..sizes.len() / 4].iter().max().unwrap();
    let last_half = *sizes[sizes.len() / 2..].iter().max().unwrap();
    let last = *sizes.last().unwrap();
    eprintln!(
        "1,000,000 events with retention.bytes={LIMIT}: topic keeps {stored} bytes ({} records), \
         log file {} bytes after the first quarter, at most {} bytes in the second half, {} at the end",
        next - start,
        first_quarter,
        last_half,
        last
    );
    assert!(
        last_half <= first_quarter,
        "the file kept growing: {first_quarter} then {last_half}"
    );
    assert!(last < 32 << 20, "{last}");
}
