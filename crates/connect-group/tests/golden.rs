//! Our encodings against the bytes Kafka Connect 4.3's own classes write for the same inputs
//! (`scripts/lib/connect-golden.sh` runs `ConnectGolden.java` on the Kafka jars), and our
//! decoders on Connect's bytes. Java missing is a failure, never a skip: `scripts/test.sh`
//! installs it.

use std::collections::HashMap;
use std::process::Command;

use connect_group::{
    murmur2, partition_for_key, Assignment, AssignmentError, ConnectorTaskId, Subprotocol,
    WorkerMetadata,
};
use serde_json::Value;

const URL: &str = "http://127.0.0.1:8083/";

fn golden() -> Vec<Value> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/lib/connect-golden.sh"
    );
    let out = Command::new("bash")
        .arg(script)
        .output()
        .expect("run bash scripts/lib/connect-golden.sh");
    assert!(
        out.status.success(),
        "scripts/lib/connect-golden.sh failed (it needs Java 17 and the Kafka jars, which scripts/test.sh installs): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn cases(all: &[Value]) -> HashMap<String, Vec<u8>> {
    all.iter()
        .filter(|c| c["hex"].is_string())
        .map(|c| {
            let hex = c["hex"].as_str().unwrap();
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (c["case"].as_str().unwrap().to_owned(), bytes)
        })
        .collect()
}

fn task(c: &str, t: i32) -> ConnectorTaskId {
    ConnectorTaskId::new(c, t)
}

fn assignment(version: i16, error: AssignmentError, leader: &str, offset: i64) -> Assignment {
    Assignment {
        version,
        error,
        leader: leader.into(),
        leader_url: URL.into(),
        config_offset: offset,
        connectors: vec![],
        tasks: vec![],
        revoked_connectors: vec![],
        revoked_tasks: vec![],
        delay_ms: 0,
    }
}

#[test]
fn group_protocol_bytes_are_connects() {
    let all = golden();
    let java = cases(&all);
    let first = WorkerMetadata {
        url: URL.into(),
        config_offset: 5,
        allocation: None,
    };
    assert_eq!(first.encode(Subprotocol::Default), java["metadata_v0"]);
    assert_eq!(
        first.encode(Subprotocol::Compatible),
        java["metadata_v1_first_join"]
    );
    assert_eq!(
        first.encode(Subprotocol::Sessioned),
        java["metadata_v2_first_join"]
    );
    for (name, version) in [
        ("metadata_v0", 0),
        ("metadata_v1_first_join", 1),
        ("metadata_v2_first_join", 2),
    ] {
        assert_eq!(
            WorkerMetadata::decode(&java[name]),
            Ok((version, first.clone())),
            "{name}"
        );
    }

    let held = WorkerMetadata {
        url: URL.into(),
        config_offset: 12,
        allocation: Some(Assignment {
            leader_url: "http://127.0.0.1:8084/".into(),
            connectors: vec!["inventory".into()],
            tasks: vec![
                task("inventory", 0),
                task("inventory", 1),
                task("orders-sink", 2),
            ],
            ..assignment(2, AssignmentError::None, "connect-127.0.0.1:8083-1b2c", 7)
        }),
    };
    assert_eq!(
        held.encode(Subprotocol::Sessioned),
        java["metadata_v2_with_allocation"]
    );
    assert_eq!(
        WorkerMetadata::decode(&java["metadata_v2_with_allocation"]),
        Ok((2, held))
    );

    let v0 = Assignment {
        connectors: vec!["a".into()],
        tasks: vec![task("a", 0), task("a", 1)],
        ..assignment(0, AssignmentError::None, "leader-1", 9)
    };
    assert_eq!(v0.encode(), java["assignment_v0"]);
    assert_eq!(Assignment::decode(&java["assignment_v0"]), Ok(v0));

    let revoking = Assignment {
        connectors: vec!["a".into()],
        tasks: vec![task("a", 0), task("b", 3)],
        revoked_connectors: vec!["c".into()],
        revoked_tasks: vec![task("c", 0), task("c", 1)],
        delay_ms: 300_000,
        ..assignment(1, AssignmentError::None, "leader-1", 9)
    };
    assert_eq!(revoking.encode(), java["assignment_v1_revoking_with_delay"]);
    assert_eq!(
        Assignment::decode(&java["assignment_v1_revoking_with_delay"]),
        Ok(revoking)
    );

    let mismatch = assignment(2, AssignmentError::ConfigMismatch, "leader-1", 41);
    assert_eq!(mismatch.encode(), java["assignment_v2_config_mismatch"]);
    assert_eq!(
        Assignment::decode(&java["assignment_v2_config_mismatch"]),
        Ok(mismatch)
    );
}

#[test]
fn keys_land_on_the_java_producers_partitions() {
    let all = golden();
    let mut checked = 0;
    for c in all.iter().filter(|c| c["case"] == "partition") {
        let key = c["key"].as_str().unwrap().as_bytes();
        let n = c["partitions"].as_u64().unwrap() as u32;
        assert_eq!(
            i64::from(murmur2(key)),
            c["murmur2"].as_i64().unwrap(),
            "{c}"
        );
        assert_eq!(
            u64::from(partition_for_key(key, n)),
            c["partition"].as_u64().unwrap(),
            "{c}"
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} partition cases");
}

#[test]
fn config_records_are_connects_keys_and_json() {
    use connect_group::{ConfigRecord, SessionKey, TargetState};
    let all = golden();
    let java: HashMap<String, String> = all
        .iter()
        .filter(|c| c["case"] == "config")
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let props = |k: &str, v: &str| [(k.to_owned(), v.to_owned())].into_iter().collect();
    let ours = [
        ConfigRecord::Connector {
            name: "inventory-connector".into(),
            config: Some(props("name", "inventory-connector")),
        },
        ConfigRecord::Task {
            id: task("my-conn-1", 12),
            config: Some(props("task.class", "T")),
        },
        ConfigRecord::Commit {
            name: "inventory-connector".into(),
            tasks: Some(2),
        },
        ConfigRecord::TargetState {
            name: "a".into(),
            state: Some(TargetState::Stopped),
        },
        ConfigRecord::TargetState {
            name: "b".into(),
            state: Some(TargetState::Started),
        },
        ConfigRecord::SessionKey(Some(SessionKey {
            key: vec![1, 2, 3, 250],
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_732_180_000_000,
        })),
        ConfigRecord::Restart {
            name: "a".into(),
            include_tasks: true,
            only_failed: false,
        },
        ConfigRecord::TaskCount {
            name: "a".into(),
            task_count: Some(3),
        },
        ConfigRecord::LoggerLevel {
            namespace: "org.apache".into(),
            level: Some("DEBUG".into()),
        },
    ];
    assert_eq!(ours.len(), java.len(), "cases: {:?}", java.keys());
    for record in ours {
        let key = record.key();
        let want = java
            .get(&key)
            .unwrap_or_else(|| panic!("Connect wrote no record with key {key:?}"));
        let value = String::from_utf8(record.value().unwrap()).unwrap();
        assert_eq!(&value, want, "{key}");
        assert_eq!(
            ConfigRecord::parse(&key, Some(want.as_bytes())),
            Ok(Some(record)),
            "{key}"
        );
    }
}

#[test]
fn distributed_defaults_are_connects() {
    use connect_group::DistributedSettings;
    let all = golden();
    let java: HashMap<String, String> = all
        .iter()
        .filter(|c| c["case"] == "distributed_default")
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let map: cdc_core::ConfigMap = [
        ("group.id", "g"),
        ("config.storage.topic", "c"),
        ("offset.storage.topic", "o"),
        ("status.storage.topic", "s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let s = DistributedSettings::read(&map).unwrap();
    let ms = |d: std::time::Duration| d.as_millis().to_string();
    let opt = |v: Option<String>| v.unwrap_or_else(|| "null".to_owned());
    let ours: HashMap<&str, String> = [
        ("session.timeout.ms", ms(s.session_timeout)),
        ("heartbeat.interval.ms", ms(s.heartbeat_interval)),
        ("rebalance.timeout.ms", ms(s.rebalance_timeout)),
        ("worker.sync.timeout.ms", ms(s.worker_sync_timeout)),
        ("worker.unsync.backoff.ms", ms(s.worker_unsync_backoff)),
        (
            "offset.storage.partitions",
            opt(s.offset_topic.partitions.map(|n| n.to_string())),
        ),
        (
            "offset.storage.replication.factor",
            opt(s.offset_topic.replication_factor.map(|n| n.to_string())),
        ),
        (
            "config.storage.replication.factor",
            opt(s.config_topic.replication_factor.map(|n| n.to_string())),
        ),
        (
            "status.storage.partitions",
            opt(s.status_topic.partitions.map(|n| n.to_string())),
        ),
        (
            "status.storage.replication.factor",
            opt(s.status_topic.replication_factor.map(|n| n.to_string())),
        ),
        (
            "connect.protocol",
            match s.protocol {
                Subprotocol::Default => "eager".to_owned(),
                p => p.name().to_owned(),
            },
        ),
        (
            "scheduled.rebalance.max.delay.ms",
            ms(s.scheduled_rebalance_max_delay),
        ),
        (
            "inter.worker.key.generation.algorithm",
            s.key_generation_algorithm.clone(),
        ),
        (
            "inter.worker.key.size",
            opt(s.key_size.map(|n| n.to_string())),
        ),
        ("inter.worker.key.ttl.ms", ms(s.key_ttl)),
        (
            "inter.worker.signature.algorithm",
            s.signature_algorithm.clone(),
        ),
        (
            "inter.worker.verification.algorithms",
            s.verification_algorithms.join(","),
        ),
        ("exactly.once.source.support", "disabled".to_owned()),
    ]
    .into_iter()
    .collect();
    assert_eq!(ours.len(), java.len());
    for (key, want) in &java {
        assert_eq!(ours.get(key.as_str()), Some(want), "{key}");
    }
}

#[test]
fn request_signatures_are_connects() {
    use connect_group::signing::{sign, verify, Verdict};
    let all = golden();
    let case = all
        .iter()
        .find(|c| c["case"] == "signature")
        .expect("a signature case");
    assert_eq!(case["valid"], true, "Connect accepts its own signature");
    let key: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(7).wrapping_add(1))
        .collect();
    let body = case["body"].as_str().unwrap().as_bytes();
    let [(_, ours), _] = sign(&key, "HmacSHA256", body).unwrap();
    assert_eq!(ours, case["signature"].as_str().unwrap());
    assert_eq!(
        verify(
            Some(&key),
            &["HmacSHA256".to_owned()],
            case["signature"].as_str(),
            Some("HmacSHA256"),
            body
        ),
        Verdict::Valid
    );
}
