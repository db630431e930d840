//! A worker process (`tributary serve`) and a tiny HTTP/1.1 client for it.
//!
//! The client is hand-written over `TcpStream` rather than reqwest: contract tests must send
//! requests a library would refuse to build (wrong content types, malformed JSON, oversized
//! bodies) byte for byte, and it keeps the test build free of an HTTP client stack.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_tributary");

/// A response: status, headers (lower-case names), body.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} (status {})", self.body, self.status))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts Connect's error shape with this code and returns the message.
    #[track_caller]
    pub fn error(&self, code: u16) -> String {
        assert_eq!(self.status, code, "{}", self.body);
        let j = self.json();
        assert_eq!(j["error_code"], code, "{}", self.body);
        assert_eq!(j.as_object().map(|o| o.len()), Some(2), "{}", self.body);
        j["message"].as_str().expect("message").to_owned()
    }
}

/// A running `tributary serve` (or `standalone`), killed when dropped.
pub struct Worker {
    pub child: Option<Child>,
    pub addr: String,
    pub log: Arc<Mutex<String>>,
    /// From process start to `/health` answering 200.
    pub ready_after: Duration,
}

impl Worker {
    pub fn serve(data: &Path) -> Worker {
        Self::start(data, &["serve"], &[])
    }

    pub fn start(data: &Path, command: &[&str], extra: &[&str]) -> Worker {
        Self::start_logging(data, command, extra, "info")
    }

    /// [`Worker::start`] with `RUST_LOG` set to `rust_log`.
    pub fn start_logging(data: &Path, command: &[&str], extra: &[&str], rust_log: &str) -> Worker {
        let started = Instant::now();
        let mut child = Command::new(BIN)
            // The FileStream connectors the tests use are off unless the worker allows them.
            .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
            .args(command)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(extra)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tributary");
        let (log, rx) = follow_stderr(&mut child);
        let addr = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no REST listener; log:\n{}", log.lock().unwrap()));
        let mut w = Worker {
            child: Some(child),
            addr,
            log,
            ready_after: Duration::ZERO,
        };
        loop {
            if w.get("/health").status == 200 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "never healthy");
            std::thread::sleep(Duration::from_millis(5));
        }
        w.ready_after = started.elapsed();
        w
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM and a clean exit.
    pub fn stop(mut self) {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "exit {status}; log:\n{}", self.log_text());
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Resp {
        request(&self.addr, method, path, content_type, body)
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None, b"")
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.request("DELETE", path, None, b"")
    }

    /// A request with a JSON body.
    pub fn send(&self, method: &str, path: &str, body: &Value) -> Resp {
        self.request(
            method,
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }

    /// Waits until `GET path` satisfies `ok`.
    pub fn wait_for(&self, path: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let r = self.get(path);
            if r.status == 200 && ok(&r.json()) {
                return r.json();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "waiting for {what}: last {} {}; log:\n{}",
                r.status,
                r.body,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
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

/// Collects a worker's stderr into a shared log and sends each REST address it announces
/// (`listening on http://ADDR`).
pub fn follow_stderr(child: &mut Child) -> (Arc<Mutex<String>>, mpsc::Receiver<String>) {
    let stderr = child.stderr.take().expect("stderr piped");
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                let _ = tx.send(addr);
            }
            let mut l = sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    (log, rx)
}

pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect to the worker");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading a large body.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Resp {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("bad response {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// `tributary topics list`: records per topic.
pub fn topic_count(data: &Path, topic: &str) -> u64 {
    let out = Command::new(BIN)
        // The FileStream connectors the tests use are off unless the worker allows them.
        .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
        .args(["topics", "list", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(t, _)| *t == topic)
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or(0)
}

/// `tributary topics tail --from-beginning`: every value on a topic.
pub fn topic_values(data: &Path, topic: &str) -> Vec<Value> {
    let out = Command::new(BIN)
        // The FileStream connectors the tests use are off unless the worker allows them.
        .env("TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS", "/")
        .args(["topics", "tail", topic, "--from-beginning", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn wait_for_count(data: &Path, topic: &str, n: u64, log: &dyn Fn() -> String) {
    let start = Instant::now();
    loop {
        let have = topic_count(data, topic);
        if have >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{topic}: {have} of {n} records; log:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A standalone worker whose data directory, worker properties and one source connector file
/// live in a temporary directory: `start` runs it (again, after a stop) on the same data.
pub struct Standalone {
    pub dir: tempfile::TempDir,
    pub data: std::path::PathBuf,
    args: Vec<String>,
}

impl Standalone {
    /// `worker_properties` are the lines of the worker's properties file; `source` the config
    /// of the source connector named `name` its connector file holds.
    pub fn new(worker_properties: &str, name: &str, source: cdc_core::ConfigMap) -> Standalone {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let props = dir.path().join("worker.properties");
        std::fs::write(&props, worker_properties).unwrap();
        let file = dir.path().join(format!("{name}.json"));
        let config: serde_json::Map<String, Value> = source
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let connector = serde_json::json!({"name": name, "config": config});
        std::fs::write(&file, connector.to_string()).unwrap();
        let args = vec![
            "--worker-config".to_owned(),
            props.display().to_string(),
            file.display().to_string(),
        ];
        Standalone { dir, data, args }
    }

    pub fn start(&self) -> Worker {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        Worker::start(&self.data, &["standalone"], &args)
    }
}

/// Runs `action <dir> <port>` of scripts/lib/<lib> (`pg_start`, `mariadb_stop`, ...).
fn server_script(lib: &str, action: &str, dir: &std::path::Path, port: u16) {
    let lib = format!("{}/scripts/lib/{lib}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("source {lib} && {action} {} {port}", dir.display()))
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "{action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL server of the test's own (scripts/lib/pg.sh in a temporary directory), for
/// tests that stop it or change server-wide settings; stopped when dropped.
pub struct PrivatePg {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl PrivatePg {
    /// Runs a function of scripts/lib/pg.sh (`pg_start`, `pg_stop`) on this server.
    pub fn script(&self, action: &str) {
        server_script("pg.sh", action, &self.dir.path().join("pg"), self.port);
    }

    pub fn start() -> PrivatePg {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let pg = PrivatePg {
            dir: tempfile::tempdir().expect("a temporary directory"),
            port,
        };
        pg.script("pg_start");
        pg
    }

    /// A connection as `postgres`, `None` while the server does not answer.
    pub async fn try_connect(&self) -> Option<tokio_postgres::Client> {
        let url = format!(
            "host=127.0.0.1 port={} user=postgres password=postgres dbname=postgres",
            self.port
        );
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .ok()?;
        tokio::spawn(conn);
        Some(client)
    }

    pub async fn connect(&self) -> tokio_postgres::Client {
        self.try_connect()
            .await
            .expect("connect to the private server")
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        self.script("pg_stop");
    }
}

/// A MariaDB server of the test's own (scripts/lib/mariadb.sh in a temporary directory), for
/// tests that stop or freeze it; stopped when dropped.
pub struct PrivateMariaDb {
    pub dir: tempfile::TempDir,
    pub server: crate::my_support::MyServer,
}

impl PrivateMariaDb {
    fn script(dir: &std::path::Path, action: &str, port: u16) {
        server_script("mariadb.sh", action, &dir.join("mariadb"), port);
    }

    pub fn start() -> PrivateMariaDb {
        use std::os::unix::fs::PermissionsExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("a temporary directory");
        // The server runs as the mysql user, which must reach its directory inside this one.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        Self::script(dir.path(), "mariadb_start", port);
        let server = crate::my_support::MyServer {
            host: "127.0.0.1".into(),
            port,
            user: "root".into(),
            password: "root".into(),
            cdc_user: "tributary_cdc".into(),
            cdc_password: "cdcpass".into(),
        };
        PrivateMariaDb { dir, server }
    }

    /// The server's process id.
    pub fn pid(&self) -> i32 {
        let file = self.dir.path().join("mariadb/mysqld.pid");
        std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .trim()
            .parse()
            .expect("a process id")
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        Self::script(self.dir.path(), "mariadb_stop", self.server.port);
    }
}
