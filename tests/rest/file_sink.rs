//! A sink connector through the REST API, on the embedded log: PostgreSQL → topic →
//! Connect's `FileStreamSinkConnector` into a file. Type `sink`, the consumed topics, offsets
//! in Connect's sink shape (GET, PATCH and DELETE while STOPPED), and positions that survive a
//! worker restart (nothing repeated, nothing lost).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use super::client::{wait_for_count, Standalone, Worker};
use super::state;
use crate::support::PgFixture;

const TOPIC: &str = "test.public.items";

fn lines(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub(crate) fn wait_for_lines(file: &Path, n: usize, log: &dyn Fn() -> String) -> Vec<String> {
    let start = Instant::now();
    loop {
        let got = lines(file);
        if got.len() >= n {
            return got;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}: {} of {n} lines; log:\n{}",
            file.display(),
            got.len(),
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sink_delivers_a_topic_and_resumes_after_its_committed_position() {
    let db = PgFixture::start("rest_file_sink").await;
    db.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text);
         INSERT INTO items VALUES (1, 'one'), (2, 'two');",
    )
    .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        db.connector_config(&[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ]),
    );
    let (data, out) = (&worker.data, worker.dir.path().join("items.txt"));
    let sink = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": TOPIC,
        "file": out.display().to_string(),
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    });

    // The source comes from a connector file (standalone mode), the sink through the REST API.
    let w = worker.start();
    let log = || w.log_text();
    wait_for_count(data, TOPIC, 2, &log);
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "file", "config": sink}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["type"], "sink");
    w.wait_for("/connectors/file/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    assert_eq!(w.get("/connectors/file/status").json()["type"], "sink");

    // The snapshot's two rows, then a streamed change, each a line: the value's map printed as
    // Java prints a map (in the JSON's order; Connect's HashMap has its own: docs/compat.md).
    let got = wait_for_lines(&out, 2, &log);
    assert!(
        got[0].starts_with("{before=null, after={id=1, name=one}, source={"),
        "{got:?}"
    );
    assert!(got[0].contains(", op=r, "), "{got:?}");
    db.exec("INSERT INTO items VALUES (3, 'three')").await;
    let got = wait_for_lines(&out, 3, &log);
    assert!(
        got[2].contains("after={id=3, name=three}") && got[2].contains("op=c"),
        "{got:?}"
    );
    assert_eq!(
        w.get("/connectors/file/topics").json(),
        json!({"file": {"topics": [TOPIC]}})
    );

    // Stop: offsets in Connect's sink shape, three records consumed.
    assert_eq!(
        w.request("PUT", "/connectors/file/stop", None, b"").status,
        204
    );
    let offsets = w.get("/connectors/file/offsets").json();
    assert_eq!(
        offsets,
        json!({"offsets": [{"partition": {"kafka_partition": 0, "kafka_topic": TOPIC}, "offset": {"kafka_offset": 3}}]})
    );
    // Rewind by one: the last record is delivered again after resume.
    let altered = w.send(
        "PATCH",
        "/connectors/file/offsets",
        &json!({"offsets": [{"partition": {"kafka_topic": TOPIC, "kafka_partition": 0}, "offset": {"kafka_offset": 2}}]}),
    );
    assert_eq!(altered.status, 200, "{}", altered.body);
    let bad = w.send(
        "PATCH",
        "/connectors/file/offsets",
        &json!({"offsets": [{"partition": {"kafka_topic": TOPIC}, "offset": {"kafka_offset": 2}}]}),
    );
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("must contain the keys 'kafka_topic' and 'kafka_partition'"),
        "{}",
        bad.body
    );
    assert_eq!(
        w.request("PUT", "/connectors/file/resume", None, b"")
            .status,
        202
    );
    let got = wait_for_lines(&out, 4, &log);
    assert!(got[3].contains("after={id=3, name=three}"), "{got:?}");

    // A worker restart: the sink goes on from its committed position.
    db.exec("INSERT INTO items VALUES (4, 'four')").await;
    wait_for_lines(&out, 5, &log);
    w.stop();
    db.exec("INSERT INTO items VALUES (5, 'five')").await;
    let w = worker.start();
    let log = || w.log_text();
    let got = wait_for_lines(&out, 6, &log);
    std::thread::sleep(Duration::from_millis(500));
    let got_later = lines(&out);
    assert_eq!(
        got_later.len(),
        6,
        "nothing repeated after the restart: {got_later:?}"
    );
    assert!(got[5].contains("after={id=5, name=five}"), "{got:?}");

    // Reset while stopped: everything again from the beginning.
    assert_eq!(
        w.request("PUT", "/connectors/file/stop", None, b"").status,
        204
    );
    assert_eq!(
        w.request("DELETE", "/connectors/file/offsets", None, b"")
            .status,
        200
    );
    assert_eq!(
        w.get("/connectors/file/offsets").json(),
        json!({"offsets": []})
    );
    assert_eq!(
        w.request("PUT", "/connectors/file/resume", None, b"")
            .status,
        202
    );
    wait_for_lines(&out, 6 + 5, &log);
    w.stop();
}

/// Issue 17's closed door: the FileStream connectors are off unless the worker properties allow
/// them, and then only for files under the allowed directories.
#[test]
fn file_connectors_are_refused_unless_the_worker_allows_their_directory() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = dir.path().join("allowed");
    std::fs::create_dir(&allowed).unwrap();
    let source = |file: &Path| {
        json!({"name": "lines", "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": file.display().to_string(), "topic": "lines",
        }})
    };
    // The worker property, even empty, decides (the test harness's environment allows all).
    let props = dir.path().join("closed.properties");
    std::fs::write(&props, "tributary.file.connectors.allowed.paths=\n").unwrap();
    let props = props.display().to_string();
    let w = Worker::start(&dir.path().join("a"), &["--config", &props, "serve"], &[]);
    let r = w.send("POST", "/connectors", &source(&allowed.join("in.txt")));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("tributary.file.connectors.allowed.paths") && r.body.contains("disabled"),
        "{}",
        r.body
    );
    w.stop();

    let props = dir.path().join("open.properties");
    std::fs::write(
        &props,
        format!(
            "tributary.file.connectors.allowed.paths={}\n",
            allowed.display()
        ),
    )
    .unwrap();
    let props = props.display().to_string();
    let w = Worker::start(&dir.path().join("b"), &["--config", &props, "serve"], &[]);
    let r = w.send(
        "POST",
        "/connectors",
        &source(std::path::Path::new("/etc/passwd")),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("not inside the directories"), "{}", r.body);
    let r = w.send("POST", "/connectors", &source(&allowed.join("in.txt")));
    assert_eq!(r.status, 201, "{}", r.body);
    w.stop();
}
