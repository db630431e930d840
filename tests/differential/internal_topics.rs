//! Kafka Connect's internal topics as the reference worker writes them (distributed mode,
//! issue 18): a FileStream source connector is created, runs, is paused, resumed and deleted
//! on the reference Connect worker, and every record its worker wrote for it to the config,
//! status and offsets topics is read back with `connect-group`'s records. Each must parse, the
//! status values we would write must be Connect's bytes, and the sequence must be Connect's.

use std::time::{Duration, Instant};

use connect_group::{parse_offset_key, ConfigRecord, StatusRecord, TargetState};
use serde_json::Value;

use super::{connect_addr, Reference};
use crate::kafka::broker;
use crate::rest::client;

/// The reference worker's group id (scripts/lib/connect-worker.sh: `reference-connect-<port>`).
fn group() -> String {
    let port = connect_addr().rsplit(':').next().unwrap().to_owned();
    format!("reference-connect-{port}")
}

fn ours<'a>(records: &'a [broker::Read], name: &str) -> Vec<&'a broker::Read> {
    records
        .iter()
        .filter(|r| {
            r.key
                .as_deref()
                .is_some_and(|k| String::from_utf8_lossy(k).contains(name))
        })
        .collect()
}

fn key(r: &broker::Read) -> String {
    String::from_utf8(r.key.clone().unwrap()).unwrap()
}

fn wait_state(name: &str, want: &str) {
    let start = Instant::now();
    loop {
        let s = client::request(
            &connect_addr(),
            "GET",
            &format!("/connectors/{name}/status"),
            None,
            b"",
        );
        if s.status == 200 && s.json()["tasks"][0]["state"] == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{name} not {want}: {}",
            s.body
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn connects_internal_topics_read_back_with_our_records() {
    let bootstrap = broker::bootstrap();
    let group = group();
    let name = format!("internal-topics-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.txt");
    std::fs::write(&file, "one\ntwo\nthree\n").unwrap();
    let path = file.display().to_string();
    let config: cdc_core::ConfigMap = [
        (
            "connector.class",
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
        ),
        ("tasks.max", "1"),
        ("file", path.as_str()),
        ("topic", &format!("{name}-lines")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let reference = Reference::create(&name, &config);

    // The task's offset is flushed every second (offset.flush.interval.ms=1000).
    let offsets_topic = format!("{group}-offsets");
    let start = Instant::now();
    let offsets = loop {
        let all = broker::read_all(&bootstrap, &offsets_topic, 1, Duration::from_secs(20));
        let mine: Vec<broker::Read> = ours(&all, &name).into_iter().cloned().collect();
        if mine.iter().any(|r| r.value.is_some()) {
            break mine;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no offset of {name} in {offsets_topic}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    for r in &offsets {
        let (connector, partition) = parse_offset_key(r.key.as_deref().unwrap()).unwrap();
        assert_eq!(connector, name);
        assert_eq!(
            partition.get("filename"),
            Some(&Value::String(path.clone()))
        );
        if let Some(v) = &r.value {
            let v: Value = serde_json::from_slice(v).unwrap();
            assert!(v["position"].as_i64().is_some(), "{v}");
        }
    }

    for (action, state) in [("pause", "PAUSED"), ("resume", "RUNNING")] {
        let r = client::request(
            &connect_addr(),
            "PUT",
            &format!("/connectors/{name}/{action}"),
            None,
            b"",
        );
        assert_eq!(r.status, 202, "{action}: {}", r.body);
        wait_state(&name, state);
    }
    drop(reference); // DELETE /connectors/<name>
    std::thread::sleep(Duration::from_secs(2));

    // The config topic: the connector, its task and commit, the target states, the deletion.
    let configs = broker::read_all(
        &bootstrap,
        &format!("{group}-configs"),
        1,
        Duration::from_secs(20),
    );
    let parsed: Vec<ConfigRecord> = ours(&configs, &name)
        .into_iter()
        .map(|r| {
            ConfigRecord::parse(&key(r), r.value.as_deref())
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("a key we do not know: {}", key(r)))
        })
        .collect();
    let mut stored = config.clone();
    stored.insert("name".into(), name.clone());
    let stored: connect_group::Properties = stored.into_iter().collect();
    assert!(
        parsed.contains(&ConfigRecord::Connector {
            name: name.clone(),
            config: Some(stored)
        }),
        "{parsed:#?}"
    );
    assert!(parsed.iter().any(|r| matches!(r,
        ConfigRecord::Task { id, config: Some(c) }
            if id.connector == name && id.task == 0 && c.contains_key("task.class"))));
    assert!(parsed.contains(&ConfigRecord::Commit {
        name: name.clone(),
        tasks: Some(1)
    }));
    let states: Vec<Option<TargetState>> = parsed
        .iter()
        .filter_map(|r| match r {
            ConfigRecord::TargetState { state, .. } => Some(*state),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [Some(TargetState::Paused), Some(TargetState::Started), None],
        "pause, resume, then the deletion's tombstone"
    );
    // removeConnectorConfig: the connector's tombstone, then its target state's.
    assert_eq!(
        parsed[parsed.len().saturating_sub(2)..],
        [
            ConfigRecord::Connector {
                name: name.clone(),
                config: None
            },
            ConfigRecord::TargetState {
                name: name.clone(),
                state: None
            }
        ],
        "the deletion's tombstones"
    );

    // The same records, applied as a worker applies them: before the deletion the connector
    // runs one committed task and is STARTED again; after it, nothing is left.
    let mut state = connect_group::ClusterConfigState::default();
    let keep = parsed.len() - 2;
    for (i, r) in parsed.iter().take(keep).enumerate() {
        state.apply(i as i64, r.clone());
    }
    assert_eq!(
        state.tasks(&name),
        [connect_group::ConnectorTaskId::new(name.clone(), 0)]
    );
    assert_eq!(state.target_state(&name), Some(TargetState::Started));
    assert_eq!(state.inconsistent().count(), 0);
    for (i, r) in parsed.iter().enumerate().skip(keep) {
        state.apply(i as i64, r.clone());
    }
    assert_eq!(state.connectors().count(), 0);
    assert_eq!(state.target_state(&name), None);

    // The status topic: each value is what we would write, byte for byte.
    let statuses = broker::read_all(
        &bootstrap,
        &format!("{group}-status"),
        1,
        Duration::from_secs(20),
    );
    let worker = connect_addr();
    let mut task_states = Vec::new();
    for r in ours(&statuses, &name) {
        let record = StatusRecord::parse(&key(r), r.value.as_deref())
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("a key we do not know: {}", key(r)));
        assert_eq!(record.key(), key(r));
        assert_eq!(
            record.value().map(String::from_utf8),
            r.value.clone().map(String::from_utf8),
            "{}",
            key(r)
        );
        match &record {
            StatusRecord::Task {
                id,
                status: Some(s),
            } => {
                assert_eq!(id.connector, name);
                assert_eq!(s.worker_id, worker);
                assert!(s.generation >= 0);
                task_states.push(s.state.clone());
            }
            StatusRecord::Connector {
                status: Some(s), ..
            } => assert_eq!(s.worker_id, worker),
            _ => {}
        }
    }
    for want in ["RUNNING", "PAUSED"] {
        assert!(
            task_states.iter().any(|s| s == want),
            "no {want} task status in {task_states:?}"
        );
    }
}
