//! The Elasticsearch sink while its engine is away: an OpenSearch node of the test's own
//! (`TRIBUTARY_SEARCH_NODE`, the launcher `scripts/test.sh` exports) is killed for 30 s while
//! rows keep changing; the task stays RUNNING, retries, and once the node is back every change is
//! there, nothing lost. The launchers of Elasticsearch take the same arguments: with
//! `TRIBUTARY_SEARCH_NODE=scripts/lib/elasticsearch-node.sh` (or `elasticsearch8-node.sh`) and
//! their `TRIBUTARY_ELASTICSEARCH*_LIBS` the test runs against Elasticsearch 7 (or 8).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::client::Standalone;
use super::search_sink::{create_sink, doc, documents_at, engine_request_at, source, CLASS};
use super::state;
use crate::support::PgFixture;

/// A node of the test's own, killed when dropped (a failing test leaves no JVM behind).
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the launcher on `dir` and `port` and waits (120 s at most) until the node answers.
fn start_node(dir: &Path, port: u16) -> Node {
    let launcher = std::env::var("TRIBUTARY_SEARCH_NODE")
        .expect("TRIBUTARY_SEARCH_NODE (scripts/test.sh installs OpenSearch and sets it)");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("node.log"))
        .unwrap();
    let child = Command::new("bash")
        .arg(&launcher)
        .arg(dir.join("home"))
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {launcher}: {e}"));
    let mut node = Node(child);
    let addr = format!("127.0.0.1:{port}");
    let start = Instant::now();
    loop {
        if std::net::TcpStream::connect(&addr).is_ok()
            && engine_request_at(&addr, "GET", "/_cluster/health", None).0 == 200
        {
            return node;
        }
        if let Ok(Some(status)) = node.0.try_wait() {
            panic!(
                "the search node exited ({status}):\n{}",
                std::fs::read_to_string(dir.join("node.log")).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the node did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_away_for_30_s_loses_nothing() {
    let node_dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let node = start_node(node_dir.path(), port);

    let db = PgFixture::start("search_outage").await;
    db.exec(
        "CREATE TABLE search_outage (id int PRIMARY KEY, n int);
         INSERT INTO search_outage SELECT g, 0 FROM generate_series(1, 50) g;",
    )
    .await;
    let worker = Standalone::new("offset.flush.interval.ms=100\n", "pg", source(&db));
    let w = worker.start();
    let log = || w.log_text();
    create_sink(
        &w,
        "es",
        json!({"connector.class": CLASS, "connection.url": format!("http://{addr}"),
               "topics": "search_outage", "schema.ignore": "true",
               "behavior.on.null.values": "delete", "errors.retry.delay.max.ms": "2000"}),
    );
    let wait = |want: &[(String, serde_json::Value)], within: Duration| {
        let start = Instant::now();
        loop {
            let got = documents_at(&addr, "search_outage");
            if got == want {
                return;
            }
            assert!(
                start.elapsed() < within,
                "want {} documents, got {}: {got:?}\nlog:\n{}",
                want.len(),
                got.len(),
                log()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    let rows = |n: i64, deleted: i64| {
        let mut v: Vec<_> = (1..=50)
            .filter(|id| *id > deleted)
            .map(|id| doc(id, json!({"id": id, "n": n})))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    wait(&rows(0, 0), Duration::from_secs(30));

    // The engine goes away; changes keep coming for 30 s.
    drop(node);
    let start = Instant::now();
    let mut round = 0;
    while start.elapsed() < Duration::from_secs(30) {
        round += 1;
        db.exec(&format!("UPDATE search_outage SET n = {round}"))
            .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    db.exec("DELETE FROM search_outage WHERE id <= 5").await;
    let status = w.get("/connectors/es/status").json();
    assert_eq!(state(&status), ("RUNNING", vec!["RUNNING"]), "{status}");

    // Back on the same port with its data: every change arrives (rows 1 to 5 deleted).
    let _node = start_node(node_dir.path(), port);
    wait(&rows(round, 5), Duration::from_secs(90));
    assert!(
        log().contains("search engine request failed; retrying"),
        "no retry was logged:\n{}",
        log()
    );
    w.stop();
}
