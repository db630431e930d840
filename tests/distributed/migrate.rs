//! `tributary offsets export|import`: a standalone worker's PostgreSQL connector moves into a
//! cluster and carries on from its offset, without a second snapshot.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::cluster::Cluster;
use crate::kafka::broker;
use crate::rest::client::BIN;
use crate::support::PgFixture;
use crate::worker::{stop, WorkerDir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standalone_connector_moves_into_a_cluster_with_its_offsets_and_no_new_snapshot() {
    let db = PgFixture::start("dist_migrate").await;
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)")
        .await;
    db.exec("INSERT INTO t SELECT g, 'r' || g FROM generate_series(1, 100) g")
        .await;
    let bootstrap = broker::bootstrap();
    let prefix = db.dbname.clone();
    let topic = format!("{prefix}.public.t");
    let dir = WorkerDir::new(&db, &[("topic.prefix", &prefix)])
        .with_worker_properties(&[("bootstrap.servers", &bootstrap)]);
    let mut worker = dir.start();
    // The snapshot and some streamed rows, then the standalone worker stops.
    broker::read_all(&bootstrap, &topic, 100, Duration::from_secs(60));
    db.exec("INSERT INTO t SELECT g, 's' || g FROM generate_series(101, 150) g")
        .await;
    broker::read_all(&bootstrap, &topic, 150, Duration::from_secs(60));
    stop(&mut worker);

    let mut export = Command::new(BIN);
    export
        .args(["offsets", "export", "--data-dir"])
        .arg(&dir.data);
    if let Some(p) = &dir.worker_properties {
        export.arg("--worker-config").arg(p);
    }
    let out = export.output().unwrap();
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &doc["connectors"][0];
    assert_eq!(c["name"], dir.name.as_str());
    assert_eq!(c["target_state"], "RUNNING");
    assert_eq!(c["offsets"][0]["partition"]["server"], prefix.as_str());
    // The secret is exported in clear, as the connector needs it.
    assert_eq!(
        c["config"]["database.password"],
        db.server.cdc_password.as_str()
    );
    let file = dir.root.join("move.json");
    std::fs::write(&file, &out.stdout).unwrap();

    // Rows written while no one streams.
    db.exec("INSERT INTO t SELECT g, 'm' || g FROM generate_series(151, 200) g")
        .await;
    let cluster = Cluster::start(&db.unique("migrate"), 2, &[]);
    let leader = cluster.wait_for_group(2);
    let imported = Command::new(BIN)
        .args(["offsets", "import", "--url"])
        .arg(format!("http://{}", cluster.nodes[(leader + 1) % 2].addr))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        imported.status.success(),
        "import failed: {}; logs:\n{}",
        String::from_utf8_lossy(&imported.stderr),
        cluster.logs()
    );
    cluster.task_owner(leader, &dir.name);
    db.exec("INSERT INTO t SELECT g, 'c' || g FROM generate_series(201, 250) g")
        .await;
    let records = broker::read_for(
        &bootstrap,
        &topic,
        250,
        Duration::from_secs(3),
        Duration::from_secs(60),
    );
    let mut ops: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = std::collections::BTreeSet::new();
    for r in &records {
        let v: Value = serde_json::from_slice(r.value.as_deref().unwrap()).unwrap();
        *ops.entry(v["op"].as_str().unwrap_or("?").to_owned())
            .or_default() += 1;
        if let Some(id) = v["after"]["id"].as_i64() {
            ids.insert(id);
        }
    }
    assert_eq!(
        ids.len(),
        250,
        "every row on {topic}; logs:\n{}",
        cluster.logs()
    );
    assert_eq!(
        ops.get("r").copied(),
        Some(100),
        "the snapshot was taken once only: {ops:?}"
    );
}
