//! The `tributary` binary with worker properties: `--config`, `standalone worker.properties`, and
//! what it logs (never a password, even at trace).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::StatusCode;

use super::{connect_basic_auth, Dir};

const BIN: &str = env!("CARGO_BIN_EXE_tributary");

/// A running binary whose stderr is collected line by line.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(args: &[&str], rust_log: &str) -> Running {
        let mut child = Command::new(BIN)
            // The FileStream connectors the tests use are off unless the worker allows them.
            .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
            .args(args)
            .env("RUST_LOG", rust_log)
            .env_remove("KAFKA_OPTS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tributary");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The URL from the "REST API listening on ..." line.
    fn listening(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    let url = line
                        .split_once("REST API listening on ")
                        .map(|(_, rest)| rest.split_whitespace().next().unwrap().to_owned());
                    self.seen.push(line);
                    if let Some(url) = url {
                        return url;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("the REST API did not start:\n{}", self.seen.join("\n"));
    }

    /// SIGTERM, then everything the binary wrote to stderr.
    fn stop(mut self) -> (bool, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        self.seen.extend(self.lines.iter());
        (exit.success(), self.seen.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `url` refuses a call without credentials or with `wrong` (401) and answers `admin` with
/// `password` (200): that answer.
async fn guarded(url: &str, password: &str, wrong: &str) -> reqwest::Response {
    let client = reqwest::Client::new();
    let none = client.get(url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let refused = client
        .get(url)
        .basic_auth("admin", Some(wrong))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let right = client
        .get(url)
        .basic_auth("admin", Some(password))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    right
}

#[tokio::test]
async fn config_flag_serves_with_basic_auth_and_never_logs_the_password() {
    let dir = Dir::new();
    let password = "Zq9-very-secret-pw";
    let auth = connect_basic_auth(&dir, &format!("admin: {password}\n"));
    let worker = dir.write(
        "worker.properties",
        &format!(
            "listeners=http://127.0.0.1:0\n{auth}plugin.path=/usr/share/java\ntributary.data.dir={}\n",
            dir.0.path().join("data").display()
        ),
    );
    let mut running = Running::start(&["--config", worker.to_str().unwrap()], "trace");
    let url = running.listening();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let right = guarded(&url, password, "Zq9-wrong-pw").await;
    let body: serde_json::Value = right.json().await.unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

    let (success, log) = running.stop();
    assert!(success, "{log}");
    assert!(
        log.contains("failed authentication"),
        "trace logging is on:\n{log}"
    );
    assert!(log.contains("plugin.path is ignored"), "{log}");
    let header = base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"));
    for secret in [password, "Zq9-wrong-pw", "Zq9", &header] {
        assert!(
            !log.contains(secret),
            "{secret:?} leaked into the log:\n{log}"
        );
    }
}

#[tokio::test]
async fn standalone_takes_a_worker_properties_file_first() {
    let dir = Dir::new();
    let data = dir.0.path().join("offsets");
    let worker = dir.write(
        "worker.properties",
        &format!(
            "listeners=http://127.0.0.1:0\n\
             offset.storage.file.filename={}/connect.offsets\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable=false\n",
            data.display()
        ),
    );
    let input = dir.write("in.txt", "one\n");
    let connector = dir.write(
        "lines.properties",
        &format!(
            "name=lines\nconnector.class=FileStreamSource\nfile={}\ntopic=lines\n",
            input.display()
        ),
    );
    let mut running = Running::start(
        &[
            "standalone",
            worker.to_str().unwrap(),
            connector.to_str().unwrap(),
        ],
        "info",
    );
    let url = running.listening();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);
    // The data directory comes from offset.storage.file.filename's directory.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !data.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(data.exists(), "the embedded log is in {}", data.display());
    let (success, log) = running.stop();
    assert!(success, "{log}");
}

#[test]
fn a_jks_keystore_is_refused_before_anything_starts() {
    let dir = Dir::new();
    let worker = dir.write(
        "worker.properties",
        "listeners=https://127.0.0.1:0,gopher://x:1\n\
         listeners.https.ssl.keystore.location=/etc/kafka/keystore.jks\n\
         listeners.https.ssl.keystore.password=changeit\n",
    );
    let out = Command::new(BIN)
        // The FileStream connectors the tests use are off unless the worker allows them.
        .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
        .args(["--config", worker.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("listeners.https.ssl.keystore.type"), "{err}");
    assert!(err.contains("PEM"), "{err}");
    assert!(err.contains("gopher://x:1"), "{err}");
    assert!(!err.contains("changeit"), "{err}");
}

/// Issue 17's closed door: the embedded Schema Registry's listener takes the REST API's basic
/// authentication, so its subjects and schemas are not open to whoever reaches the port.
#[tokio::test]
async fn the_schema_registry_refuses_unauthenticated_calls_when_basic_auth_is_on() {
    let dir = Dir::new();
    let password = "Reg-7c1e-secret";
    let auth = connect_basic_auth(&dir, &format!("admin: {password}\n"));
    let worker = dir.write(
        "worker.properties",
        &format!(
            "listeners=http://127.0.0.1:0\n{auth}schema.registry.listeners=http://127.0.0.1:0\ntributary.data.dir={}\n",
            dir.0.path().join("data").display()
        ),
    );
    let mut running = Running::start(&["--config", worker.to_str().unwrap()], "info");
    running.listening();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !running
        .seen
        .iter()
        .any(|l| l.contains("embedded schema registry listening"))
        && Instant::now() < deadline
    {
        if let Ok(line) = running.lines.recv_timeout(Duration::from_millis(200)) {
            running.seen.push(line);
        }
    }
    let registry = running
        .seen
        .iter()
        .find(|l| l.contains("embedded schema registry listening"))
        .and_then(|l| l.split("address=").nth(1))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap()
                .trim_matches('"')
                .to_owned()
        })
        .unwrap_or_else(|| panic!("no registry listener:\n{}", running.seen.join("\n")));
    let url = format!("http://{registry}/subjects");
    guarded(&url, password, "nope").await;
    let (success, log) = running.stop();
    assert!(success, "{log}");
}
