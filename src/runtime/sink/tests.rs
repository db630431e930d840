//! The sink runtime on a temporary embedded log with an in-memory sink task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cdc_core::{
    ConfigMap, ConnectorError, Positions, Refused, Schema, SchemaAndValue, SinkRecord, SinkTask,
    TopicPartition, Value,
};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::log::{EmbeddedLog, Payload, StoredRecordRef};
use crate::runtime::NoObserver;

/// Bytes as a string value (the converter of these tests); `bad` fails to convert.
struct Utf8;

impl ReadConverter for Utf8 {
    fn read(
        &mut self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<Option<SchemaAndValue>, String> {
        let Some(bytes) = bytes else { return Ok(None) };
        if bytes == b"bad" {
            return Err("not convertible".into());
        }
        let s = String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())?;
        Ok(Some(SchemaAndValue {
            schema: Some(Arc::new(Schema::string())),
            value: Value::String(s.into()),
        }))
    }
}

fn converters() -> SinkConverters {
    SinkConverters {
        key: Box::new(Utf8),
        value: Box::new(Utf8),
        transforms: Default::default(),
    }
}

/// What the in-memory target holds and how it misbehaves.
#[derive(Default)]
struct Target {
    /// Accepted, not flushed.
    buffered: Vec<(String, u64, String)>,
    /// Flushed: (topic, offset, value).
    durable: Vec<(String, u64, String)>,
    /// `put` fails transiently this many more times.
    transient_failures: usize,
    /// Values `put` refuses for good.
    refuse: Vec<String>,
    /// What `open` returns.
    own_positions: Option<Positions>,
    /// `open` fails transiently this many more times (the target is away at start).
    open_failures: usize,
    puts: usize,
}

struct MemorySink(Arc<Mutex<Target>>);

fn text(d: &Option<SchemaAndValue>) -> String {
    match d.as_ref().map(|d| &d.value) {
        Some(Value::String(s)) => s.to_string(),
        _ => "<null>".into(),
    }
}

#[async_trait]
impl SinkTask for MemorySink {
    async fn open(&mut self, _: &[TopicPartition]) -> Result<Option<Positions>, ConnectorError> {
        let mut t = self.0.lock().unwrap();
        if t.open_failures > 0 {
            t.open_failures -= 1;
            return Err(ConnectorError::transient(std::io::Error::other(
                "target not up yet",
            )));
        }
        Ok(t.own_positions.clone())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<Vec<Refused>, ConnectorError> {
        let mut t = self.0.lock().unwrap();
        t.puts += 1;
        if t.transient_failures > 0 {
            t.transient_failures -= 1;
            return Err(ConnectorError::transient(std::io::Error::other(
                "target restarting",
            )));
        }
        let mut refused = Vec::new();
        for (index, r) in records.iter().enumerate() {
            let v = text(&r.value);
            if t.refuse.contains(&v) {
                refused.push(Refused {
                    index,
                    error: ConnectorError::fatal_msg(format!("constraint violated by {v}")),
                });
            } else {
                t.buffered.push((r.topic.to_string(), r.offset, v));
            }
        }
        Ok(refused)
    }

    async fn flush(&mut self) -> Result<(), ConnectorError> {
        let mut t = self.0.lock().unwrap();
        let b = std::mem::take(&mut t.buffered);
        t.durable.extend(b);
        Ok(())
    }
}

fn append(log: &EmbeddedLog, topic: &str, values: &[&str]) {
    let records: Vec<StoredRecordRef<'_>> = values
        .iter()
        .map(|v| StoredRecordRef {
            topic,
            timestamp_ms: 1_700_000_000_000,
            key: Some(Payload::whole(b"k")),
            value: Some(Payload::whole(v.as_bytes())),
            headers: &[],
            context: &[],
            context_block: &[],
        })
        .collect();
    log.append(&records, None).unwrap();
}

fn settings(extra: &[(&str, &str)], flush_ms: &str) -> SinkSettings {
    let mut c: ConfigMap = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    c.entry("topics".into()).or_insert_with(|| "a,b".into());
    let worker: ConfigMap = [("offset.flush.interval.ms".to_owned(), flush_ms.to_owned())]
        .into_iter()
        .collect();
    SinkSettings::from_config(&c, &worker).unwrap()
}

fn log_side(log: &EmbeddedLog, settings: &SinkSettings) -> Box<dyn SinkConsumer> {
    Box::new(LogSide {
        consumer: LogConsumer::new(log.clone(), settings.topics.clone())
            .with_offset_reset(settings.offset_reset),
        log: log.clone(),
        connector: "sink".into(),
    })
}

/// Runs the sink until `done` says so (or 20 s pass), then stops it; returns its result.
async fn run_until(
    log: &EmbeddedLog,
    target: &Arc<Mutex<Target>>,
    settings: SinkSettings,
    done: impl Fn(&Target) -> bool,
) -> Result<(), ConnectorError> {
    let shutdown = CancellationToken::new();
    let consumer = log_side(log, &settings);
    let run = tokio::spawn({
        let (task, shutdown) = (Box::new(MemorySink(target.clone())), shutdown.clone());
        async move {
            run_sink(
                "sink",
                task,
                consumer,
                converters(),
                settings,
                None,
                shutdown,
                Arc::new(NoObserver),
            )
            .await
        }
    });
    let start = std::time::Instant::now();
    while !done(&target.lock().unwrap()) && !run.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not done in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    shutdown.cancel();
    run.await.unwrap()
}

fn values(records: &[(String, u64, String)], topic: &str) -> Vec<String> {
    records
        .iter()
        .filter(|(t, _, _)| t == topic)
        .map(|(_, _, v)| v.clone())
        .collect()
}

fn committed(log: &EmbeddedLog) -> Option<crate::log::SinkPositions> {
    log.sink_offsets("sink").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_arrives_in_order_and_a_restart_resumes_after_the_committed_position() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "a", &["a0", "a1", "a2"]);
    append(&log, "b", &["b0"]);
    append(&log, "ignored", &["x"]);
    let target = Arc::new(Mutex::new(Target::default()));
    run_until(&log, &target, settings(&[], "50"), |t| t.durable.len() == 4)
        .await
        .unwrap();
    let t = target.lock().unwrap().durable.clone();
    assert_eq!(values(&t, "a"), ["a0", "a1", "a2"]);
    assert_eq!(values(&t, "b"), ["b0"]);
    let stored = committed(&log).unwrap();
    assert_eq!((stored["a"][&0], stored["b"][&0]), (3, 1));

    // More records while it is stopped, then a restart: only those arrive.
    append(&log, "a", &["a3"]);
    let target = Arc::new(Mutex::new(Target::default()));
    run_until(&log, &target, settings(&[], "50"), |t| {
        !t.durable.is_empty()
    })
    .await
    .unwrap();
    assert_eq!(values(&target.lock().unwrap().durable, "a"), ["a3"]);
    assert_eq!(committed(&log).unwrap()["a"][&0], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_is_committed_only_after_the_task_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "a", &["a0", "a1"]);
    let target = Arc::new(Mutex::new(Target::default()));
    let shutdown = CancellationToken::new();
    let s = settings(&[], "3600000");
    let run = tokio::spawn({
        let consumer = log_side(&log, &s);
        let (task, shutdown) = (Box::new(MemorySink(target.clone())), shutdown.clone());
        async move {
            run_sink(
                "sink",
                task,
                consumer,
                converters(),
                s,
                None,
                shutdown,
                Arc::new(NoObserver),
            )
            .await
        }
    });
    while target.lock().unwrap().buffered.len() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        committed(&log),
        None,
        "accepted is not durable: nothing committed yet"
    );
    shutdown.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(target.lock().unwrap().durable.len(), 2, "stopping flushes");
    assert_eq!(committed(&log).unwrap()["a"][&0], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_target_error_is_retried_and_nothing_is_lost_or_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "a", &["a0", "a1", "a2"]);
    let target = Arc::new(Mutex::new(Target {
        transient_failures: 3,
        ..Target::default()
    }));
    let s = settings(&[("errors.retry.delay.max.ms", "20")], "50");
    run_until(&log, &target, s, |t| t.durable.len() == 3)
        .await
        .unwrap();
    let t = target.lock().unwrap();
    assert_eq!(values(&t.durable, "a"), ["a0", "a1", "a2"]);
    assert!(
        t.puts >= 4,
        "three failed puts and one that worked: {}",
        t.puts
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_record_fails_the_task_naming_it_unless_errors_are_tolerated() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "a", &["a0", "refuse-me", "a2"]);
    let target = Arc::new(Mutex::new(Target {
        refuse: vec!["refuse-me".into()],
        ..Target::default()
    }));
    let err = run_until(&log, &target, settings(&[], "50"), |_| false)
        .await
        .unwrap_err()
        .chain();
    assert!(
        err.contains("TASK_PUT failed for the record at offset 1 of a partition 0"),
        "{err}"
    );
    assert!(err.contains("constraint violated by refuse-me"), "{err}");
    assert_eq!(committed(&log), None, "nothing committed past the failure");

    let target = Arc::new(Mutex::new(Target {
        refuse: vec!["refuse-me".into()],
        ..Target::default()
    }));
    let s = settings(&[("errors.tolerance", "all")], "50");
    run_until(&log, &target, s, |t| t.durable.len() == 2)
        .await
        .unwrap();
    assert_eq!(values(&target.lock().unwrap().durable, "a"), ["a0", "a2"]);
    assert_eq!(committed(&log).unwrap()["a"][&0], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_cannot_be_converted_names_its_stage() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "b", &["b0", "bad"]);
    let target = Arc::new(Mutex::new(Target::default()));
    let err = run_until(&log, &target, settings(&[], "50"), |_| false)
        .await
        .unwrap_err()
        .chain();
    assert!(
        err.contains(
            "VALUE_CONVERTER failed for the record at offset 1 of b partition 0: not convertible"
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exactly_once_tasks_own_positions_override_the_committed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "a", &["a0", "a1", "a2", "a3"]);
    let mut own = Positions::new();
    own.insert(
        TopicPartition {
            topic: "a".into(),
            partition: 0,
        },
        2,
    );
    let target = Arc::new(Mutex::new(Target {
        own_positions: Some(own),
        ..Target::default()
    }));
    run_until(&log, &target, settings(&[("topics", "a")], "50"), |t| {
        t.durable.len() == 2
    })
    .await
    .unwrap();
    assert_eq!(values(&target.lock().unwrap().durable, "a"), ["a2", "a3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_regex_picks_up_a_topic_created_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "db.public.a", &["a0"]);
    let target = Arc::new(Mutex::new(Target::default()));
    let s = settings(
        &[("topics.regex", "db\\.public\\..*"), ("topics", "")],
        "50",
    );
    let writer = log.clone();
    let later = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        append(&writer, "db.public.new", &["n0"]);
        append(&writer, "other", &["o0"]);
    });
    run_until(&log, &target, s, |t| t.durable.len() == 2)
        .await
        .unwrap();
    later.await.unwrap();
    let t = target.lock().unwrap();
    assert_eq!(values(&t.durable, "db.public.new"), ["n0"]);
    assert!(values(&t.durable, "other").is_empty());
}

/// Topic `a` with records a0..a4 in three chunks, the sink's committed position at 1, and
/// retention having deleted the chunks before a4 (offsets 0..3).
fn behind_retention() -> (tempfile::TempDir, EmbeddedLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "a", &["a0", "a1"]);
    append(&log, "a", &["a2", "a3"]);
    append(&log, "a", &["a4"]);
    let mut positions = crate::log::SinkPositions::new();
    positions.entry("a".into()).or_default().insert(0, 1);
    log.set_sink_offsets("sink", &positions).unwrap();
    let limits = crate::log::RetentionDefaults {
        retention_ms: -1,
        retention_bytes: 0,
        check_interval: Duration::from_secs(3600),
    };
    log.apply_retention(&limits, 0).unwrap();
    assert_eq!(log.topic_range("a").unwrap(), (4, 5));
    (dir, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_deleted_by_retention_fails_the_task_naming_the_lost_range() {
    let (_dir, log) = behind_retention();
    for extra in [&[][..], &[("consumer.override.auto.offset.reset", "none")]] {
        let target = Arc::new(Mutex::new(Target::default()));
        let e = run_until(&log, &target, settings(extra, "50"), |_| false)
            .await
            .unwrap_err();
        assert!(
            e.chain().contains(
                "records 1..3 of topic a partition 0 were deleted by retention before the sink consumed them"
            ),
            "{}",
            e.chain()
        );
        assert_eq!(e.retry(), cdc_core::Retry::Fatal);
        assert!(target.lock().unwrap().durable.is_empty(), "nothing skipped");
        assert_eq!(committed(&log).unwrap()["a"][&0], 1, "position kept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_offset_reset_earliest_continues_at_the_first_record_kept() {
    let (_dir, log) = behind_retention();
    let target = Arc::new(Mutex::new(Target::default()));
    let s = settings(&[("consumer.override.auto.offset.reset", "earliest")], "50");
    run_until(&log, &target, s, |t| !t.durable.is_empty())
        .await
        .unwrap();
    assert_eq!(values(&target.lock().unwrap().durable, "a"), ["a4"]);
    assert_eq!(committed(&log).unwrap()["a"][&0], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_offset_reset_latest_jumps_to_the_end_and_none_needs_a_position() {
    let (_dir, log) = behind_retention();
    let selection = TopicSelection::Listed(vec!["a".into()]);
    let mut consumer =
        LogConsumer::new(log.clone(), selection.clone()).with_offset_reset(OffsetReset::Latest);
    let tp = TopicPartition {
        topic: "a".into(),
        partition: 0,
    };
    consumer.seek(&[(tp.clone(), 1)].into_iter().collect());
    let stop = CancellationToken::new();
    let cancel = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    assert!(consumer
        .poll(10, 1 << 20, None, &stop)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(consumer.positions()[&tp], 5, "jumped past a4 to the end");
    append(&log, "a", &["a5"]);
    let got = consumer
        .poll(10, 1 << 20, None, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].record.offset, 5);

    // `none`: a partition without a committed position is an error, not a start anywhere.
    let mut none = LogConsumer::new(log.clone(), selection).with_offset_reset(OffsetReset::None);
    let e = none
        .poll(10, 1 << 20, None, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("has no committed position"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_is_away_at_start_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    append(&log, "a", &["a0"]);
    let target = Arc::new(Mutex::new(Target {
        open_failures: 2,
        ..Target::default()
    }));
    let s = settings(&[("errors.retry.delay.max.ms", "20")], "50");
    run_until(&log, &target, s, |t| t.durable.len() == 1)
        .await
        .unwrap();
    assert_eq!(values(&target.lock().unwrap().durable, "a"), ["a0"]);
}
