//! The CLI against real data directories: standalone mode with Kafka Connect's FileStream source,
//! and `topics` reading while the worker runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tributary");

/// A running worker, stopped (SIGTERM) or killed when dropped.
struct Worker {
    child: Option<Child>,
}

impl Worker {
    fn start(data_dir: &Path, connector_files: &[&Path]) -> Worker {
        let child = Command::new(BIN)
            // The FileStream connectors the tests use are off unless the worker allows them.
            .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
            .arg("standalone")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(connector_files)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tributary standalone");
        Worker { child: Some(child) }
    }

    /// Sends SIGTERM and returns how the worker exited.
    fn stop(mut self) -> Output {
        let child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        child.wait_with_output().expect("worker exits")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn tributary(args: &[&str]) -> Output {
    Command::new(BIN)
        // The FileStream connectors the tests use are off unless the worker allows them.
        .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run tributary")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn data_arg(&self) -> String {
        self.data().to_string_lossy().into_owned()
    }

    fn input(&self) -> PathBuf {
        self.dir.path().join("in.txt")
    }

    fn append_lines(&self, lines: &[&str]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.input())
            .unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
    }

    /// A `.properties` connector file for the FileStream source on `in.txt`.
    fn properties_connector(&self) -> PathBuf {
        let path = self.dir.path().join("lines.properties");
        std::fs::write(
            &path,
            format!(
                "name=lines\nconnector.class=org.apache.kafka.connect.file.FileStreamSourceConnector\n\
                 file={}\ntopic=lines\n",
                self.input().display()
            ),
        )
        .unwrap();
        path
    }

    fn json_connector(&self, name: &str, config: serde_json::Value) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.json"));
        let body = serde_json::json!({"name": name, "config": config});
        std::fs::write(&path, body.to_string()).unwrap();
        path
    }

    /// Waits until `topics list` shows `topic` with `count` records.
    fn wait_for_count(&self, topic: &str, count: u64) {
        let want = format!("{topic}\t{count}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = tributary(&["topics", "list", "--data-dir", &self.data_arg()]);
            if stdout(&out).lines().any(|l| l == want) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waiting for {want:?}; last listing: {:?} {:?}",
                stdout(&out),
                stderr(&out)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn tail(&self, extra: &[&str]) -> Output {
        let data = self.data_arg();
        let mut args = vec!["topics", "tail", "lines", "--data-dir", &data];
        args.extend_from_slice(extra);
        tributary(&args)
    }
}

fn value(payload: &str) -> String {
    format!(r#"{{"schema":{{"type":"string","optional":false}},"payload":"{payload}"}}"#)
}

#[test]
fn standalone_writes_a_topic_that_topics_reads_while_the_worker_runs() {
    let fx = Fixture::new();
    fx.append_lines(&["one", "two", "three"]);
    let worker = Worker::start(&fx.data(), &[&fx.properties_connector()]);
    fx.wait_for_count("lines", 3);

    let all = fx.tail(&["--from-beginning"]);
    assert!(all.status.success(), "{}", stderr(&all));
    assert_eq!(
        stdout(&all),
        format!("{}\n{}\n{}\n", value("one"), value("two"), value("three"))
    );
    let keyed = fx.tail(&["--from-beginning", "--keys", "--max", "1"]);
    assert_eq!(stdout(&keyed), format!("null\t{}\n", value("one")));
    let last = fx.tail(&["-n", "1"]);
    assert_eq!(stdout(&last), format!("{}\n", value("three")));

    // A second worker on the same data directory is refused, clearly.
    let second = tributary(&[
        "standalone",
        "--data-dir",
        &fx.data_arg(),
        fx.properties_connector().to_str().unwrap(),
    ]);
    assert!(!second.status.success());
    assert!(
        stderr(&second).contains("is in use by another tributary process"),
        "{}",
        stderr(&second)
    );

    // --follow sees records appended later.
    let data = fx.data_arg();
    let follower = Command::new(BIN)
        // The FileStream connectors the tests use are off unless the worker allows them.
        .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
        .args(["topics", "tail", "lines", "--data-dir", &data])
        .args(["--from-beginning", "--follow", "--max", "4"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    fx.append_lines(&["four"]);
    let followed = follower.wait_with_output().unwrap();
    assert_eq!(
        stdout(&followed).lines().last(),
        Some(value("four").as_str())
    );

    let stopped = worker.stop();
    assert!(
        stopped.status.success(),
        "SIGTERM exits 0: {}",
        stderr(&stopped)
    );

    // A restart resumes after the last committed line: nothing is repeated.
    fx.append_lines(&["five"]);
    let worker = Worker::start(&fx.data(), &[&fx.properties_connector()]);
    fx.wait_for_count("lines", 5);
    assert!(worker.stop().status.success());
    let all = fx.tail(&["--from-beginning"]);
    let payloads: Vec<String> = stdout(&all).lines().map(str::to_owned).collect();
    let expected: Vec<String> = ["one", "two", "three", "four", "five"]
        .iter()
        .map(|p| value(p))
        .collect();
    assert_eq!(payloads, expected);
}

#[test]
fn json_connector_files_and_worker_converter_settings() {
    let fx = Fixture::new();
    fx.append_lines(&["plain"]);
    let file = fx.json_connector(
        "lines",
        serde_json::json!({
            "connector.class": "FileStreamSource",
            "file": fx.input().to_string_lossy(),
            "topic": "lines",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": false,
            "batch.size": 10,
        }),
    );
    let worker = Worker::start(&fx.data(), &[&file]);
    fx.wait_for_count("lines", 1);
    assert_eq!(stdout(&fx.tail(&["--from-beginning"])), "\"plain\"\n");
    assert!(worker.stop().status.success());
}

#[test]
fn bad_connector_configs_are_reported_before_anything_starts() {
    let fx = Fixture::new();
    let unknown = fx.json_connector(
        "x",
        serde_json::json!({"connector.class": "com.example.Nope"}),
    );
    let out = tributary(&[
        "standalone",
        "--data-dir",
        &fx.data_arg(),
        unknown.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("connector.class"), "{err}");
    assert!(err.contains("com.example.Nope"), "{err}");
    assert!(
        err.contains("io.debezium.connector.postgresql.PostgresConnector"),
        "{err}"
    );
    assert!(!fx.data().exists(), "nothing was started");

    let pg = fx.json_connector("pg", serde_json::json!({"connector.class": "postgres"}));
    let out = tributary(&[
        "standalone",
        "--data-dir",
        &fx.data_arg(),
        pg.to_str().unwrap(),
    ]);
    assert!(
        stderr(&out).contains("database.hostname") && stderr(&out).contains("required"),
        "{}",
        stderr(&out)
    );

    let bad_converter = fx.json_connector(
        "c",
        serde_json::json!({
            "connector.class": "FileStreamSource", "file": "/nonexistent", "topic": "t",
            "key.converter": "io.confluent.connect.protobuf.ProtobufConverter",
        }),
    );
    let out = tributary(&[
        "standalone",
        "--data-dir",
        &fx.data_arg(),
        bad_converter.to_str().unwrap(),
    ]);
    assert!(stderr(&out).contains("key.converter"), "{}", stderr(&out));
}

#[test]
fn topics_on_a_missing_data_directory_or_topic_fail_clearly() {
    let fx = Fixture::new();
    let out = tributary(&["topics", "list", "--data-dir", &fx.data_arg()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no embedded log"), "{}", stderr(&out));
    let out = Command::new(BIN)
        // The FileStream connectors the tests use are off unless the worker allows them.
        .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
        .args(["topics", "list"])
        .env("TRIBUTARY_DATA_DIR", fx.data())
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains(&fx.data_arg()),
        "TRIBUTARY_DATA_DIR is used"
    );
}

#[test]
fn help_explains_the_commands() {
    let out = tributary(&["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for word in ["standalone", "topics"] {
        assert!(help.contains(word), "{help}");
    }
    let tail = stdout(&tributary(&["topics", "tail", "--help"]));
    for flag in [
        "--from-beginning",
        "--follow",
        "--max",
        "--keys",
        "--data-dir",
        "TRIBUTARY_DATA_DIR",
    ] {
        assert!(tail.contains(flag), "{flag} in {tail}");
    }
}
