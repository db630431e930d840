//! A sink connector's tasks share its topic's partitions across the workers: PostgreSQL →
//! (a 3-partition topic) → the JDBC sink with `tasks.max=3` into another database, each task on
//! a different worker, every row delivered.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cluster::Cluster;
use super::formats::pg_connector;
use crate::support::PgFixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_connectors_tasks_share_its_partitions_across_the_workers() {
    const ROWS: i64 = 3_000;
    let src = PgFixture::start("dist_sink_src").await;
    let dst = PgFixture::start("dist_sink_dst").await;
    src.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)")
        .await;
    src.exec(&format!(
        "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, {ROWS}) g"
    ))
    .await;
    let cluster = Cluster::start(
        &src.unique("sink"),
        3,
        &[("offset.flush.interval.ms", "500")],
    );
    let leader = cluster.wait_for_group(3);
    let mut source = pg_connector(&src, &src.dbname);
    for (k, v) in [
        ("topic.creation.default.partitions", "3"),
        ("topic.creation.default.replication.factor", "1"),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("key.converter.schemas.enable", "true"),
        ("value.converter.schemas.enable", "true"),
    ] {
        source[k] = json!(v);
    }
    let created = cluster.nodes[leader].send(
        "POST",
        "/connectors",
        &json!({"name": "pg", "config": source}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let topic = format!("{}.public.t", src.dbname);
    let server = &dst.server;
    let sink = json!({
        "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
        "tasks.max": "3",
        "topics": topic,
        "connection.url": format!("jdbc:postgresql://{}:{}/{}", server.host, server.port, dst.dbname),
        "connection.username": server.user,
        "connection.password": server.password,
        "insert.mode": "upsert",
        "primary.key.mode": "record_key",
        "schema.evolution": "basic",
        "table.name.format": "t_copy",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "true",
        "value.converter.schemas.enable": "true",
    });
    // Through a follower.
    let created = cluster.nodes[(leader + 1) % 3].send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": sink}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["tasks"].as_array().unwrap().len(), 3);
    let status = cluster.wait_for(leader, "/connectors/jdbc/status", "3 RUNNING tasks", |s| {
        s["tasks"]
            .as_array()
            .is_some_and(|t| t.len() == 3 && t.iter().all(|t| t["state"] == "RUNNING"))
    });
    let mut owners: Vec<&str> = status["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["worker_id"].as_str().unwrap())
        .collect();
    owners.sort();
    owners.dedup();
    assert_eq!(
        owners.len(),
        3,
        "the three tasks run on three workers: {status}"
    );
    // Every row arrives once the tasks read their partitions.
    let start = Instant::now();
    loop {
        let n: i64 = match dst
            .client
            .query_one("SELECT count(*) FROM t_copy", &[])
            .await
        {
            Ok(row) => row.get(0),
            Err(_) => 0,
        };
        if n == ROWS {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{n} of {ROWS} rows in t_copy; logs:\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Each task commits its partitions' positions to the connector's consumer group: all three
    // are there, read from any worker.
    let sum = |o: &Value| -> i64 {
        o["offsets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["offset"]["kafka_offset"].as_i64())
            .sum()
    };
    let offsets: Value = cluster.wait_for(
        (leader + 2) % 3,
        "/connectors/jdbc/offsets",
        "the positions of three partitions, past every row",
        |o| o["offsets"].as_array().is_some_and(|a| a.len() == 3) && sum(o) == ROWS,
    );
    assert_eq!(sum(&offsets), ROWS, "{offsets}");
}
