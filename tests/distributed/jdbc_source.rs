//! Confluent's JDBC source on a cluster: two tables, each with its own offset in the offsets
//! topic (Connect's key `["<connector>", {"protocol":"1","table":...}]`); the worker running it
//! is killed (`kill -9`) and the task resumes elsewhere from each table's offset, every row on
//! its topic, none twice beyond what was not committed yet.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cluster::Cluster;
use crate::kafka::broker;
use crate::support::PgFixture;

const FAST: &[(&str, &str)] = &[
    ("session.timeout.ms", "6000"),
    ("heartbeat.interval.ms", "1000"),
    ("rebalance.timeout.ms", "20000"),
    ("scheduled.rebalance.max.delay.ms", "2000"),
];

/// How many times each id is on `topic`, once at least `rows` distinct ids are there.
fn seen(cluster: &Cluster, topic: &str, rows: usize) -> BTreeMap<i64, u32> {
    let start = Instant::now();
    loop {
        let records = broker::read_all(&cluster.bootstrap, topic, 0, Duration::from_secs(5));
        let mut seen = BTreeMap::new();
        for r in &records {
            let v: Value = serde_json::from_slice(r.value.as_deref().unwrap_or_default()).unwrap();
            // With or without schemas, as the cluster's converter writes it.
            let id = v["payload"]["id"].as_i64().or_else(|| v["id"].as_i64());
            *seen
                .entry(id.unwrap_or_else(|| panic!("no id in {v}")))
                .or_insert(0) += 1;
        }
        if seen.len() >= rows {
            return seen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{topic}: {} of {rows} ids; logs:\n{}",
            seen.len(),
            cluster.logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jdbc_source_resumes_each_table_from_its_offset_after_its_worker_is_killed() {
    let db = PgFixture::start("dist_jdbc").await;
    db.exec(
        "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 500);
         CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT generate_series(1, 300);",
    )
    .await;
    let mut cluster = Cluster::start(&db.unique("jdbc"), 3, FAST);
    let leader = cluster.wait_for_group(3);
    let s = &db.server;
    let prefix = format!("{}-", db.dbname);
    let created = cluster.nodes[leader].send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": {
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url": format!("jdbc:postgresql://{}:{}/{}", s.host, s.port, db.dbname),
            "connection.user": s.user, "connection.password": s.password,
            "table.whitelist": "a,b", "mode": "incrementing", "incrementing.column.name": "id",
            "topic.prefix": prefix, "poll.interval.ms": "200", "tasks.max": "2"}}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    seen(&cluster, &format!("{prefix}a"), 500);
    seen(&cluster, &format!("{prefix}b"), 300);
    // Each table's offset is its own partition, as Connect keeps them.
    let offsets = cluster.wait_for(
        leader,
        "/connectors/jdbc/offsets",
        "both tables' offsets",
        |o| o["offsets"].as_array().is_some_and(|a| a.len() == 2),
    );
    let mut got: Vec<String> = offsets["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            json!({"partition": {"protocol": "1", "table": "public.a"}, "offset": {"incrementing": 500}}).to_string(),
            json!({"partition": {"protocol": "1", "table": "public.b"}, "offset": {"incrementing": 300}}).to_string(),
        ]
    );

    let owner = cluster.task_owner(leader, "jdbc");
    let victim = cluster.index_of(&owner);
    let ask = (victim + 1) % 3;
    cluster.nodes[victim].kill();
    db.exec("INSERT INTO a SELECT generate_series(501, 600); INSERT INTO b SELECT generate_series(301, 350);")
        .await;
    let start = Instant::now();
    loop {
        let st = cluster.nodes[ask].get("/connectors/jdbc/status").json();
        let w = st["tasks"][0]["worker_id"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if st["tasks"][0]["state"] == "RUNNING" && w != owner {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "the task did not move off {owner}; logs:\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every row once: the offsets were committed before the kill, so nothing is read again.
    let a = seen(&cluster, &format!("{prefix}a"), 600);
    let b = seen(&cluster, &format!("{prefix}b"), 350);
    assert_eq!(a.len(), 600);
    assert_eq!(b.len(), 350);
    assert!(a.values().all(|n| *n == 1), "table a read twice: {a:?}");
    assert!(b.values().all(|n| *n == 1), "table b read twice: {b:?}");
}
