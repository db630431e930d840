//! A connector created through a follower runs once in the cluster; every worker reports the
//! same status; the internal topics hold Connect's records.

use std::collections::BTreeSet;
use std::time::Duration;

use connect_group::{ConfigRecord, StatusRecord};
use serde_json::{json, Value};

use super::cluster::Cluster;
use crate::kafka::broker;
use crate::support::PgFixture;

pub(crate) fn pg_connector(db: &PgFixture, prefix: &str) -> Value {
    let config: serde_json::Map<String, Value> = db
        .connector_config(&[("topic.prefix", prefix)])
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Value::Object(config)
}

/// What Kafka Connect's own config and status stores read from the cluster's topics
/// (`scripts/lib/connect-golden.sh read-topics`, Connect 4.3's classes).
fn connect_reads(cluster: &Cluster) -> Value {
    let golden = std::env::var("TRIBUTARY_CONNECT_GOLDEN").unwrap_or_else(|_| {
        panic!("TRIBUTARY_CONNECT_GOLDEN is not set: run the tests through scripts/test.sh")
    });
    let out = std::process::Command::new("bash")
        .arg(golden)
        .args([
            "read-topics",
            &cluster.bootstrap,
            &cluster.name,
            &cluster.topic("configs"),
            &cluster.topic("status"),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("{\"connectors\""))
        .unwrap_or_else(|| {
            panic!(
                "Connect's stores printed nothing: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).unwrap()
}

pub(crate) fn ids(records: &[broker::Read]) -> Vec<i64> {
    records
        .iter()
        .filter_map(|r| r.value.as_ref())
        .filter_map(|v| {
            let v: Value = serde_json::from_slice(v).ok()?;
            v["after"]["id"].as_i64()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_created_through_a_follower_runs_once_and_the_internal_topics_hold_connects_records(
) {
    let db = PgFixture::start("dist_formats").await;
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)")
        .await;
    db.exec("INSERT INTO t SELECT g, 'r' || g FROM generate_series(1, 100) g")
        .await;
    let cluster = Cluster::start(&db.unique("formats"), 3, &[]);
    let leader = cluster.wait_for_group(3);
    let follower = (leader + 1) % 3;
    let name = "pg";
    let created = cluster.nodes[follower].send(
        "POST",
        "/connectors",
        &json!({"name": name, "config": pg_connector(&db, &db.dbname)}),
    );
    assert_eq!(
        created.status,
        201,
        "{}; logs:\n{}",
        created.body,
        cluster.logs()
    );
    assert_eq!(
        created.json()["tasks"],
        json!([{"connector": name, "task": 0}])
    );
    // The same connector again, through another follower: 409 from the leader.
    let again = cluster.nodes[(leader + 2) % 3].send(
        "POST",
        "/connectors",
        &json!({"name": name, "config": pg_connector(&db, &db.dbname)}),
    );
    assert_eq!(again.status, 409, "{}", again.body);

    let owner = cluster.task_owner(leader, name);
    // Every worker answers reads from the status topic: the same owner everywhere.
    for i in 0..3 {
        assert_eq!(cluster.task_owner(i, name), owner, "worker {i}");
        assert_eq!(
            cluster.nodes[i].get("/connectors").json(),
            json!([name]),
            "worker {i}"
        );
    }
    db.exec("INSERT INTO t SELECT g, 'r' || g FROM generate_series(101, 150) g")
        .await;
    let topic = format!("{}.public.t", db.dbname);
    let records = broker::read_all(&cluster.bootstrap, &topic, 150, Duration::from_secs(60));
    let seen: BTreeSet<i64> = ids(&records).into_iter().collect();
    assert_eq!(
        seen.len(),
        150,
        "rows on {topic}; logs:\n{}",
        cluster.logs()
    );
    // Exactly one worker ever started the task.
    let starters: Vec<usize> = (0..3)
        .filter(|i| {
            cluster.nodes[*i]
                .log_text()
                .contains("task started connector=pg")
        })
        .collect();
    assert_eq!(
        starters.len(),
        1,
        "workers that started the task: {starters:?}"
    );
    assert_eq!(cluster.nodes[starters[0]].addr, owner);

    // The config topic: what Connect's KafkaConfigBackingStore reads.
    let config = broker::read_all(
        &cluster.bootstrap,
        &cluster.topic("configs"),
        5,
        Duration::from_secs(30),
    );
    let keys: Vec<String> = config
        .iter()
        .map(|r| String::from_utf8(r.key.clone().unwrap()).unwrap())
        .collect();
    for r in &config {
        let key = String::from_utf8(r.key.clone().unwrap()).unwrap();
        ConfigRecord::parse(&key, r.value.as_deref())
            .unwrap_or_else(|e| panic!("{key}: {e}"))
            .unwrap_or_else(|| panic!("{key}: not a Connect config key"));
    }
    let position = |k: &str| {
        keys.iter()
            .position(|x| x == k)
            .unwrap_or_else(|| panic!("no {k} in {keys:?}"))
    };
    // As Connect writes a new connector created without initial_state: its config, task
    // configs, commit (no target state record: STARTED is implied).
    assert!(!keys.contains(&"target-state-pg".to_owned()), "{keys:?}");
    assert!(position("connector-pg") < position("task-pg-0"));
    assert!(position("task-pg-0") < position("commit-pg"));
    assert!(keys.contains(&"session-key".to_owned()), "{keys:?}");
    // The status topic: the owner's RUNNING with its generation.
    let status = broker::read_all(
        &cluster.bootstrap,
        &cluster.topic("status"),
        2,
        Duration::from_secs(30),
    );
    let running = status.iter().rev().find_map(|r| {
        let key = String::from_utf8(r.key.clone()?).ok()?;
        match StatusRecord::parse(&key, r.value.as_deref()).ok()?? {
            StatusRecord::Task {
                id,
                status: Some(s),
            } if id.connector == "pg" => Some(s),
            _ => None,
        }
    });
    let running = running.expect("a task status record");
    assert_eq!(running.state, "RUNNING");
    assert_eq!(running.worker_id, owner);
    assert!(running.generation >= 1);
    // The offsets topic: Connect's key ["pg",{"server":<prefix>}] and Debezium's offset.
    let offsets = broker::read_all(
        &cluster.bootstrap,
        &cluster.topic("offsets"),
        1,
        Duration::from_secs(30),
    );
    let r = offsets.last().expect("an offset record");
    let (connector, partition) =
        connect_group::parse_offset_key(r.key.as_deref().unwrap()).unwrap();
    assert_eq!(connector, "pg");
    assert_eq!(partition["server"], json!(db.dbname));
    let offset: Value = serde_json::from_slice(r.value.as_deref().unwrap()).unwrap();
    assert!(offset["lsn"].is_i64(), "{offset}");
    // And the REST offsets endpoint reads it back from any worker.
    let rest = cluster.nodes[follower].get("/connectors/pg/offsets").json();
    assert_eq!(rest["offsets"][0]["partition"]["server"], json!(db.dbname));

    // The active topics (KIP-558's status-topic records), the same from every worker; a reset
    // through any worker removes them.
    for i in 0..3 {
        cluster.wait_for(i, "/connectors/pg/topics", "the active topic", |v| {
            v == &json!({"pg": {"topics": [topic.clone()]}})
        });
    }
    // Connect's own KafkaConfigBackingStore and KafkaStatusBackingStore read the same.
    let connect = connect_reads(&cluster);
    let c = &connect["connectors"]["pg"];
    let ours = cluster.nodes[follower].get("/connectors/pg/config").json();
    for (k, v) in ours.as_object().unwrap() {
        if k != "database.password" {
            assert_eq!(&c["config"][k], v, "{k}: Connect read {c}");
        }
    }
    assert_eq!(c["target_state"], "STARTED", "{c}");
    assert_eq!(c["state"], "RUNNING", "{c}");
    assert_eq!(c["worker_id"], owner.as_str(), "{c}");
    assert_eq!(c["tasks"][0]["id"], 0, "{c}");
    assert_eq!(c["tasks"][0]["state"], "RUNNING", "{c}");
    assert_eq!(c["tasks"][0]["worker_id"], owner.as_str(), "{c}");
    assert_eq!(
        c["tasks"][0]["config"]["task.class"],
        "io.debezium.connector.postgresql.PostgresConnectorTask"
    );
    assert_eq!(c["topics"], json!([topic.clone()]), "{c}");
    assert_eq!(connect["inconsistent"], json!([]));
    assert_eq!(connect["session_key_algorithm"], "HmacSHA256");

    let reset = cluster.nodes[follower].request_with("PUT", "/connectors/pg/topics/reset");
    assert_eq!(reset.status, 202, "{}", reset.body);
    for i in 0..3 {
        cluster.wait_for(i, "/connectors/pg/topics", "no active topic", |v| {
            v == &json!({"pg": {"topics": []}})
        });
    }

    // Pause and resume through a follower (written by the worker asked, as in Connect).
    let paused = cluster.nodes[follower].send("PUT", "/connectors/pg/pause", &json!(null));
    assert_eq!(paused.status, 202, "{}", paused.body);
    for i in 0..3 {
        cluster.wait_for(i, "/connectors/pg/status", "PAUSED", |s| {
            s["connector"]["state"] == "PAUSED" && s["tasks"][0]["state"] == "PAUSED"
        });
    }
    db.exec("INSERT INTO t SELECT g, 'p' || g FROM generate_series(151, 160) g")
        .await;
    let resumed = cluster.nodes[follower].send("PUT", "/connectors/pg/resume", &json!(null));
    assert_eq!(resumed.status, 202, "{}", resumed.body);
    cluster.task_owner(leader, name);
    // A config change through a follower restarts the task with it (here: a new column
    // filter, seen in the records that follow).
    let mut changed = pg_connector(&db, &db.dbname);
    changed["column.exclude.list"] = json!("public.t.v");
    let put = cluster.nodes[follower].send("PUT", "/connectors/pg/config", &changed);
    assert_eq!(
        put.status,
        200,
        "{}; logs:
{}",
        put.body,
        cluster.logs()
    );
    cluster.wait_for(follower, "/connectors/pg/config", "the new config", |c| {
        c["column.exclude.list"] == "public.t.v"
    });
    let owner_log = |c: &Cluster| {
        c.nodes
            .iter()
            .map(|n| n.log_text())
            .filter(|l| l.contains("task config changed; restarting the task"))
            .count()
    };
    let start = std::time::Instant::now();
    while owner_log(&cluster) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no restart; logs:\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cluster.task_owner(leader, name);
    db.exec("INSERT INTO t SELECT g, 'q' || g FROM generate_series(161, 170) g")
        .await;
    let records = broker::read_all(&cluster.bootstrap, &topic, 170, Duration::from_secs(60));
    let last: Value =
        serde_json::from_slice(records.last().unwrap().value.as_deref().unwrap()).unwrap();
    assert_eq!(last["after"]["id"], 170, "{last}");
    assert!(
        last["after"].get("v").is_none(),
        "the new config excludes v: {last}"
    );
    let seen: BTreeSet<i64> = ids(&records).into_iter().collect();
    assert_eq!(seen.len(), 170, "rows paused and resumed are all there");
    // A restart through a follower (the leader writes Connect's restart request).
    let restarted =
        cluster.nodes[follower].request_with("POST", "/connectors/pg/restart?includeTasks=true");
    assert_eq!(restarted.status, 202, "{}", restarted.body);
    cluster.task_owner(leader, name);

    // Deleting through a follower removes it everywhere.
    let deleted = cluster.nodes[follower].send("DELETE", "/connectors/pg", &json!(null));
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    for i in 0..3 {
        cluster.wait_for(i, "/connectors", "no connectors", |v| v == &json!([]));
    }
}
