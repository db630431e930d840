//! Kafka Connect's REST API over real HTTP against the `tributary` binary: every endpoint's
//! success body, status code and headers, and Connect's error shape for each failure.

pub(crate) mod client;
mod differential;
mod disk_full;
pub(crate) mod file_sink;
mod frozen_database;
mod jdbc_avro;
mod jdbc_dlq;
mod jdbc_exactly_once;
pub(crate) mod jdbc_mariadb;
mod jdbc_outage;
pub(crate) mod jdbc_sink;
mod jdbc_source;
pub(crate) mod jdbc_types;
pub(crate) mod jdbc_types_mariadb;
mod masking;
mod pg_slots;
mod postgres;
mod resilience;
mod s3_sink;
mod search_outage;
mod search_sink;
mod secrets_at_rest;
mod transforms;
mod validate_transforms;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use client::{wait_for_count, Worker};

const FILE_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";

fn file_config(input: &Path, topic: &str) -> Value {
    json!({
        "connector.class": FILE_CLASS,
        "file": input.to_str().unwrap(),
        "topic": topic,
        "database.password": "s3cret",
    })
}

fn append(path: &Path, lines: &[&str]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

fn state(status: &Value) -> (&str, Vec<&str>) {
    (
        status["connector"]["state"].as_str().unwrap(),
        status["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["state"].as_str().unwrap())
            .collect(),
    )
}

#[test]
fn the_rest_api_answers_as_kafka_connect_for_every_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let input = dir.path().join("in.txt");
    append(&input, &["one", "two"]);
    let w = Worker::serve(&data);
    println!(
        "REST ready {} ms after process start",
        w.ready_after.as_millis()
    );
    assert!(
        w.ready_after < Duration::from_secs(2),
        "{:?}",
        w.ready_after
    );

    // Worker info and health.
    let root = w.get("/");
    assert_eq!(root.status, 200);
    assert_eq!(root.header("content-type"), Some("application/json"));
    let root = root.json();
    assert!(root["version"].is_string() && root["commit"].is_string());
    assert!(root.as_object().unwrap().contains_key("kafka_cluster_id"));
    assert_eq!(w.get("/health").json()["status"], "healthy");
    assert_eq!(w.get("/connectors").json(), json!([]));

    // Create: 201, Location, ConnectorInfo with the secret hidden.
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "lines", "config": file_config(&input, "lines")}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("location"), Some("/connectors/lines"));
    assert_eq!(created.header("content-type"), Some("application/json"));
    let info = created.json();
    assert_eq!(info["name"], "lines");
    assert_eq!(info["type"], "source");
    assert_eq!(info["tasks"], json!([{"connector": "lines", "task": 0}]));
    assert_eq!(info["config"]["database.password"], "[hidden]");
    assert_eq!(info["config"]["name"], "lines");

    let dup = w.send(
        "POST",
        "/connectors",
        &json!({"name": "lines", "config": file_config(&input, "x")}),
    );
    assert_eq!(dup.error(409), "Connector lines already exists");

    let status = w.wait_for("/connectors/lines/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    assert_eq!(status["name"], "lines");
    assert_eq!(status["type"], "source");
    assert_eq!(status["connector"]["worker_id"], w.addr.as_str());
    assert!(
        status["tasks"][0].get("trace").is_none(),
        "trace omitted when empty"
    );
    wait_for_count(&data, "lines", 2, &|| w.log_text());

    // Reads.
    assert_eq!(w.get("/connectors").json(), json!(["lines"]));
    assert_eq!(
        w.get("/connectors/lines").json()["config"]["database.password"],
        "[hidden]"
    );
    let config = w.get("/connectors/lines/config").json();
    assert_eq!(config["database.password"], "[hidden]");
    assert_eq!(config["topic"], "lines");
    let tasks = w.get("/connectors/lines/tasks").json();
    assert_eq!(tasks[0]["id"], json!({"connector": "lines", "task": 0}));
    assert_eq!(tasks[0]["config"]["database.password"], "[hidden]");
    let tasks_config = w.get("/connectors/lines/tasks-config").json();
    assert_eq!(tasks_config["lines-0"]["topic"], "lines");
    let task = w.get("/connectors/lines/tasks/0/status").json();
    assert_eq!(task["id"], 0);
    assert_eq!(task["state"], "RUNNING");
    assert_eq!(
        w.get("/connectors/lines/tasks/1/status").error(404),
        "No status found for task lines-1"
    );
    w.get("/connectors/lines/tasks/x/status").error(404);
    let both = w
        .get("/connectors?expand=status&expand=info&expand=bogus")
        .json();
    assert_eq!(both["lines"]["status"]["connector"]["state"], "RUNNING");
    assert_eq!(
        both["lines"]["info"]["config"]["database.password"],
        "[hidden]"
    );
    let only_status = w.get("/connectors?expand=status").json();
    assert!(only_status["lines"].get("info").is_none());

    // Topics (KIP-558).
    assert_eq!(
        w.get("/connectors/lines/topics").json(),
        json!({"lines": {"topics": ["lines"]}})
    );
    let reset = w.request("PUT", "/connectors/lines/topics/reset", None, b"");
    assert_eq!(reset.status, 202);
    assert_eq!(
        w.get("/connectors/lines/topics").json(),
        json!({"lines": {"topics": []}})
    );

    // Unknown connectors: 404 with Connect's message (its wording differs by path).
    for (m, p, message) in [
        ("GET", "/connectors/nope", "Connector nope not found"),
        ("GET", "/connectors/nope/config", "Connector nope not found"),
        (
            "GET",
            "/connectors/nope/status",
            "No status found for connector nope",
        ),
        ("GET", "/connectors/nope/tasks", "Connector nope not found"),
        (
            "GET",
            "/connectors/nope/tasks/0/status",
            "No status found for task nope-0",
        ),
        (
            "GET",
            "/connectors/nope/offsets",
            "Connector nope not found",
        ),
        ("GET", "/connectors/nope/topics", "Connector nope not found"),
        ("DELETE", "/connectors/nope", "Connector nope not found"),
        ("PUT", "/connectors/nope/pause", "Unknown connector nope"),
        ("PUT", "/connectors/nope/resume", "Unknown connector nope"),
        ("PUT", "/connectors/nope/stop", "Unknown connector nope"),
        (
            "POST",
            "/connectors/nope/restart",
            "Unknown connector: nope",
        ),
        (
            "POST",
            "/connectors/nope/restart?includeTasks=true",
            "Unknown connector: nope",
        ),
        (
            "POST",
            "/connectors/nope/tasks/0/restart",
            "Unknown connector: nope",
        ),
    ] {
        assert_eq!(w.request(m, p, None, b"").error(404), message, "{m} {p}");
    }
    assert_eq!(w.get("/no/such/path").error(404), "HTTP 404 Not Found");
    assert_eq!(
        w.delete("/connectors").error(405),
        "HTTP 405 Method Not Allowed"
    );

    // Bad requests.
    let bad_json = w.request(
        "POST",
        "/connectors",
        Some("application/json"),
        b"{\"name\": ",
    );
    assert!(bad_json.error(400).contains("JSON"));
    let wrong_type = w.request("POST", "/connectors", Some("text/plain"), b"{}");
    assert_eq!(wrong_type.error(415), "HTTP 415 Unsupported Media Type");
    let big = vec![b' '; 2 << 20];
    w.request("POST", "/connectors", Some("application/json"), &big)
        .error(413);
    let missing_topic = w.send(
        "POST",
        "/connectors",
        &json!({"name": "t", "config": {"connector.class": FILE_CLASS}}),
    );
    let m = missing_topic.error(400);
    assert!(
        m.starts_with(
            "Connector configuration is invalid and contains the following 2 error(s):\n"
        ),
        "{m}"
    );
    assert!(m.contains("\"topic\"") && m.contains("\"file\""), "{m}");
    assert!(
        m.ends_with("/connector-plugins/{connectorType}/config/validate`"),
        "{m}"
    );
    let unknown_class = w.send(
        "POST",
        "/connectors",
        &json!({"name": "u", "config": {"connector.class": "com.example.Nope"}}),
    );
    assert!(unknown_class.error(400).contains("connector.class"));
    let empty_name = w.send(
        "POST",
        "/connectors",
        &json!({"name": "", "config": file_config(&input, "e")}),
    );
    assert!(empty_name.error(400).contains("String may not be empty"));
    let no_name = w.send(
        "POST",
        "/connectors",
        &json!({"config": file_config(&input, "e")}),
    );
    no_name.error(400);
    let control = w.send(
        "POST",
        "/connectors",
        &json!({"name": "a\u{7}b", "config": file_config(&input, "e")}),
    );
    assert!(control.error(400).contains("control"));
    let mismatch = w.send(
        "POST",
        "/connectors",
        &json!({"name": "a", "config": {"name": "b", "connector.class": FILE_CLASS, "topic": "t"}}),
    );
    assert_eq!(
        mismatch.error(400),
        "Connector name configuration (b) doesn't match connector name in the URL (a)"
    );
    let bad_initial = w.send(
        "POST",
        "/connectors",
        &json!({"name": "i", "config": file_config(&input, "i"), "initial_state": "SLEEPING"}),
    );
    bad_initial.error(400);
    let bad_value = w.send(
        "PUT",
        "/connectors/v/config",
        &json!({"connector.class": FILE_CLASS, "topic": {"a": 1}}),
    );
    bad_value.error(400);
    assert_eq!(
        w.get("/connectors").json(),
        json!(["lines"]),
        "nothing was created"
    );

    // Names: surrounding whitespace is trimmed on create, as Connect does.
    let padded = w.send(
        "POST",
        "/connectors",
        &json!({"name": "  padded ", "config": file_config(&input, "padded"), "initial_state": "STOPPED"}),
    );
    assert_eq!(padded.status, 201, "{}", padded.body);
    assert_eq!(padded.header("location"), Some("/connectors/padded"));
    assert_eq!(
        padded.json()["tasks"],
        json!([]),
        "a STOPPED connector has no tasks"
    );
    assert_eq!(
        w.get("/connectors/padded/status").json()["connector"]["state"],
        "STOPPED"
    );
    assert_eq!(w.delete("/connectors/padded").status, 204);

    // PUT config: 201 + Location when new, 200 when updated; [hidden] keeps the secret.
    let put_new = w.send(
        "PUT",
        "/connectors/second/config",
        &file_config(&input, "second"),
    );
    assert_eq!(put_new.status, 201, "{}", put_new.body);
    assert_eq!(put_new.header("location"), Some("/connectors/second"));
    let mut hidden = file_config(&input, "second");
    hidden["database.password"] = json!("[hidden]");
    hidden["batch.size"] = json!(100);
    let put_again = w.send("PUT", "/connectors/second/config", &hidden);
    assert_eq!(put_again.status, 200, "{}", put_again.body);
    assert_eq!(put_again.json()["config"]["batch.size"], "100");
    // The same config once more: 200, and the task is not restarted (as Kafka Connect, which
    // reconfigures tasks only when their configs change; standalone mode relies on it).
    let restarts = |w: &Worker| w.log_text().matches("restarting its task").count();
    let t0 = std::time::Instant::now();
    while restarts(&w) == 0 && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20)); // the log arrives through a pipe
    }
    let before = restarts(&w);
    assert!(before > 0, "the changed config restarted the task");
    let put_same = w.send("PUT", "/connectors/second/config", &hidden);
    assert_eq!(put_same.status, 200, "{}", put_same.body);
    assert_eq!(put_same.json()["config"]["batch.size"], "100");
    std::thread::sleep(Duration::from_millis(300)); // room for a line that should not come
    assert_eq!(
        restarts(&w),
        before,
        "an unchanged config restarted the task"
    );
    let wrong_name = w.send(
        "PUT",
        "/connectors/second/config",
        &json!({"name": "other", "connector.class": FILE_CLASS}),
    );
    assert!(wrong_name
        .error(400)
        .contains("doesn't match connector name in the URL (second)"));

    // PATCH config (KIP-477): merge, null removes.
    let patched = w.send(
        "PATCH",
        "/connectors/second/config",
        &json!({"batch.size": null, "topic": "second2"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let cfg = &patched.json()["config"];
    assert_eq!(cfg["topic"], "second2");
    assert!(cfg.get("batch.size").is_none());
    assert_eq!(
        w.send("PATCH", "/connectors/nope/config", &json!({"a": "b"}))
            .error(404),
        "Connector nope not found"
    );

    // Pause, resume, stop; offsets only while STOPPED.
    assert_eq!(
        w.request("PUT", "/connectors/lines/pause", None, b"")
            .status,
        202
    );
    assert_eq!(
        state(&w.get("/connectors/lines/status").json()),
        ("PAUSED", vec!["PAUSED"])
    );
    let while_paused = w.send(
        "PATCH",
        "/connectors/lines/offsets",
        &json!({"offsets": [{"partition": {"filename": "x"}, "offset": null}]}),
    );
    assert!(while_paused.error(400).starts_with(
        "Connectors must be in the STOPPED state before their offsets can be modified."
    ));
    w.delete("/connectors/lines/offsets").error(400);
    assert_eq!(
        w.request("PUT", "/connectors/lines/resume", None, b"")
            .status,
        202
    );
    w.wait_for("/connectors/lines/status", "RUNNING again", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    append(&input, &["three"]);
    wait_for_count(&data, "lines", 3, &|| w.log_text());
    assert_eq!(
        w.request("PUT", "/connectors/lines/stop", None, b"").status,
        204
    );
    assert_eq!(
        w.request("PUT", "/connectors/lines/stop", None, b"").status,
        204,
        "idempotent"
    );
    let stopped = w.get("/connectors/lines/status").json();
    assert_eq!(state(&stopped), ("STOPPED", vec![]));
    assert_eq!(w.get("/connectors/lines/tasks").json(), json!([]));
    let offsets = w.get("/connectors/lines/offsets").json();
    assert_eq!(
        offsets["offsets"][0]["partition"]["filename"],
        input.to_str().unwrap()
    );
    assert!(
        offsets["offsets"][0]["offset"]["position"]
            .as_i64()
            .unwrap()
            > 0
    );
    let altered = w.send(
        "PATCH",
        "/connectors/lines/offsets",
        &json!({"offsets": [{"partition": {"filename": input.to_str().unwrap()}, "offset": {"position": 4}}]}),
    );
    assert_eq!(altered.status, 200, "{}", altered.body);
    assert_eq!(
        altered.json(),
        json!({"message": "The offsets for this connector have been altered successfully"})
    );
    assert_eq!(
        w.get("/connectors/lines/offsets").json()["offsets"][0]["offset"]["position"],
        4
    );
    w.send(
        "PATCH",
        "/connectors/lines/offsets",
        &json!({"offsets": []}),
    )
    .error(400);
    w.send("PATCH", "/connectors/lines/offsets", &json!({}))
        .error(400);
    let reset = w.delete("/connectors/lines/offsets");
    assert_eq!(
        reset.json(),
        json!({"message": "The offsets for this connector have been reset successfully"})
    );
    assert_eq!(
        w.get("/connectors/lines/offsets").json(),
        json!({"offsets": []})
    );
    // From the altered... reset offset: the file is read again from its start.
    assert_eq!(
        w.request("PUT", "/connectors/lines/resume", None, b"")
            .status,
        202
    );
    wait_for_count(&data, "lines", 6, &|| w.log_text());

    // Restarts.
    assert_eq!(
        w.request("POST", "/connectors/lines/restart", None, b"")
            .status,
        204
    );
    let bulk = w.request(
        "POST",
        "/connectors/lines/restart?includeTasks=true",
        None,
        b"",
    );
    assert_eq!(bulk.status, 202, "{}", bulk.body);
    assert_eq!(state(&bulk.json()), ("RESTARTING", vec!["RESTARTING"]));
    let only_failed = w.request(
        "POST",
        "/connectors/lines/restart?includeTasks=true&onlyFailed=true",
        None,
        b"",
    );
    assert_eq!(only_failed.status, 202);
    assert_eq!(
        state(&only_failed.json()),
        ("RUNNING", vec!["RUNNING"]),
        "nothing failed"
    );
    assert_eq!(
        w.request("POST", "/connectors/lines/tasks/0/restart", None, b"")
            .status,
        204
    );
    assert_eq!(
        w.request("POST", "/connectors/lines/tasks/3/restart", None, b"")
            .error(404),
        "Unknown task: lines-3"
    );
    w.wait_for("/connectors/lines/status", "RUNNING after restart", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });

    // Plugins.
    let plugins = w.get("/connector-plugins").json();
    let classes: Vec<&str> = plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["class"].as_str().unwrap())
        .collect();
    assert!(classes.contains(&"io.debezium.connector.postgresql.PostgresConnector"));
    assert!(classes.contains(&FILE_CLASS));
    assert!(classes.contains(&"org.apache.kafka.connect.file.FileStreamSinkConnector"));
    assert!(plugins
        .as_array()
        .unwrap()
        .iter()
        .all(|p| { (p["type"] == "source" || p["type"] == "sink") && p["version"].is_string() }));
    let all = w.get("/connector-plugins?connectorsOnly=false").json();
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["type"] == "converter"));
    let defs = w.get("/connector-plugins/PostgresConnector/config").json();
    assert!(defs
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == "connector.class" && d.get("order").is_some()));
    w.get("/connector-plugins/com.example.Nope/config")
        .error(404);
    let validated = w.send(
        "PUT",
        "/connector-plugins/FileStreamSourceConnector/config/validate",
        &json!({"connector.class": FILE_CLASS, "database.password": "p"}),
    );
    assert_eq!(validated.status, 200, "{}", validated.body);
    let v = validated.json();
    assert_eq!(v["name"], FILE_CLASS);
    // name (required by Connect's framework definition), file and topic.
    assert_eq!(v["error_count"], 3, "{v}");
    assert!(
        !v.to_string().contains("\"p\""),
        "the secret is not echoed: {v}"
    );
    assert!(v["groups"].is_array());
    let topic = v["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "topic")
        .unwrap();
    assert!(!topic["value"]["errors"].as_array().unwrap().is_empty());
    // A property the plugin does not know is a warning, not an error, and its value is not shown.
    assert!(
        v["warnings"].to_string().contains("database.password"),
        "{v}"
    );
    let mismatched = w.send(
        "PUT",
        "/connector-plugins/PostgresConnector/config/validate",
        &json!({"connector.class": FILE_CLASS}),
    );
    assert_eq!(
        mismatched.error(400),
        format!(
            "Included connector type {FILE_CLASS} does not match request type PostgresConnector"
        )
    );

    // Admin loggers (KIP-495).
    let loggers = w.get("/admin/loggers").json();
    assert_eq!(loggers["root"]["level"], "INFO");
    let set = w.send(
        "PUT",
        "/admin/loggers/tributary::runtime",
        &json!({"level": "DEBUG"}),
    );
    assert_eq!(set.json(), json!(["tributary::runtime"]));
    let one = w.get("/admin/loggers/tributary::runtime").json();
    assert_eq!(one["level"], "DEBUG");
    assert!(one["last_modified"].is_u64());
    assert_eq!(
        w.send("PUT", "/admin/loggers/pg_wal", &json!({}))
            .error(400),
        "Desired 'level' parameter was not specified in request."
    );
    assert_eq!(
        w.send("PUT", "/admin/loggers/pg_wal", &json!({"level": "LOUD"}))
            .error(404),
        "invalid log level 'LOUD'."
    );
    assert_eq!(
        w.send(
            "PUT",
            "/admin/loggers/pg_wal?scope=cluster",
            &json!({"level": "WARN"})
        )
        .status,
        204
    );
    w.get("/admin/loggers/never.set").error(404);

    // A restart of the worker keeps configs and target states.
    assert_eq!(
        w.request("PUT", "/connectors/second/pause", None, b"")
            .status,
        202
    );
    let third = w.send(
        "POST",
        "/connectors",
        &json!({"name": "third", "config": file_config(&input, "third"), "initial_state": "STOPPED"}),
    );
    assert_eq!(third.status, 201);
    w.stop();
    let raw = tributary::log::EmbeddedLog::open_read_only(&data)
        .unwrap()
        .connector_configs()
        .unwrap();
    let second = raw.iter().find(|(n, _)| n == "second").unwrap();
    // Stored sealed (docs/secrets.md); opened with the worker's key, it is the secret sent first.
    assert!(!String::from_utf8_lossy(&second.1).contains("s3cret"));
    let stored: Value = serde_json::from_slice(&second.1).unwrap();
    let stored: cdc_core::ConfigMap = serde_json::from_value(stored["config"].clone()).unwrap();
    let secrets =
        tributary::secrets::Secrets::load(&cdc_core::ConfigMap::new(), &data, &|_| None).unwrap();
    let (opened, _) = secrets.open("second", &stored).unwrap();
    assert!(
        opened.values().any(|v| v.contains("s3cret")),
        "a PUT sending [hidden] back kept the stored secret"
    );
    let w = Worker::serve(&data);
    println!(
        "REST ready {} ms after a restart",
        w.ready_after.as_millis()
    );
    assert_eq!(
        w.get("/connectors").json(),
        json!(["lines", "second", "third"])
    );
    assert_eq!(
        state(&w.get("/connectors/second/status").json()),
        ("PAUSED", vec!["PAUSED"])
    );
    assert_eq!(
        state(&w.get("/connectors/third/status").json()),
        ("STOPPED", vec![])
    );
    w.wait_for(
        "/connectors/lines/status",
        "RUNNING after the worker restart",
        |s| state(s) == ("RUNNING", vec!["RUNNING"]),
    );
    assert_eq!(
        w.get("/connectors/second/config").json()["topic"],
        "second2"
    );

    // Delete: 204, then gone; the offsets stay for a connector of the same name.
    assert_eq!(w.delete("/connectors/lines").status, 204);
    w.get("/connectors/lines").error(404);
    w.delete("/connectors/lines").error(404);
    assert_eq!(w.get("/connectors").json(), json!(["second", "third"]));
    w.stop();
}

#[test]
fn standalone_serves_the_rest_api_with_its_file_connectors() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    append(&input, &["a"]);
    let file = dir.path().join("c.json");
    std::fs::write(
        &file,
        json!({"name": "from-file", "config": file_config(&input, "ff")}).to_string(),
    )
    .unwrap();
    let data = dir.path().join("data");
    let w = Worker::start(&data, &["standalone"], &[file.to_str().unwrap()]);
    w.wait_for("/connectors/from-file/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    wait_for_count(&data, "ff", 1, &|| w.log_text());
    assert_eq!(
        w.get("/connectors/from-file/config").json()["database.password"],
        "[hidden]"
    );
    w.stop();
}
