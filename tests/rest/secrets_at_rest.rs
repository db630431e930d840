//! Secrets at rest (`src/secrets.rs`, docs/secrets.md): a connector's password is nowhere in
//! clear in the data directory, nor in a copy of it; the directory is private; a copy without
//! the key cannot be started with the passwords; plaintext stored by an older version is
//! sealed on start.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use super::client::{Worker, BIN};
use super::masking::{contains, files};

/// The files under `dir` holding `needle`.
fn holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut all = Vec::new();
    files(dir, &mut all);
    all.into_iter()
        .filter(|(_, bytes)| contains(bytes, needle))
        .map(|(p, _)| p)
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// An S3 sink config whose secret is `secret` (its bucket does not exist: the task fails, the
/// config is stored all the same).
fn sink(secret: &str) -> serde_json::Value {
    json!({"name": "lake", "config": {
        "connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": "t",
        "s3.bucket.name": "no-such-bucket", "flush.size": "10",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "store.url": "http://127.0.0.1:9", "aws.access.key.id": "AKIDEXAMPLE",
        "aws.secret.access.key": secret,
    }})
}

#[test]
fn a_password_is_nowhere_in_the_data_directory_and_a_copy_without_the_key_reveals_none() {
    const SECRET: &str = "PW-AT-REST-7f3a9c51e2";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    let created = w.send("POST", "/connectors", &sink(SECRET));
    assert_eq!(created.status, 201, "{}", created.body);
    // The worker reads it back as it was given (masked by the REST API).
    let config = w.get("/connectors/lake/config").json();
    assert_eq!(config["aws.secret.access.key"], "[hidden]");
    w.stop();

    assert_eq!(holding(&data, SECRET), Vec::<PathBuf>::new());
    let key = dir.path().join("data.key");
    assert!(key.is_file(), "the key lives beside the data directory");
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("log.redb")), 0o600);
        assert_eq!(mode(&key), 0o600);
    }

    // Started again with its key, the connector has its secret (it runs, its task is tried).
    let w = Worker::serve(&data);
    assert_eq!(w.get("/connectors/lake").status, 200);
    w.stop();

    // A copy elsewhere, without the key: no password in it, and a worker on it refuses to start
    // rather than run the connector without its secret, naming the key it needs.
    let copy = tempfile::tempdir().unwrap();
    let copied = copy.path().join("data");
    let status = Command::new("cp")
        .args(["-a"])
        .arg(&data)
        .arg(&copied)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(holding(copy.path(), SECRET), Vec::<PathBuf>::new());
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&copied)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("was encrypted with key") && stderr.contains("secrets.key.file"),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET));
    // Given the key (secrets.key.file), the copy starts.
    let props = copy.path().join("worker.properties");
    std::fs::write(&props, format!("secrets.key.file={}\n", key.display())).unwrap();
    let props = props.display().to_string();
    let w = Worker::start(&copied, &["--config", &props, "serve"], &[]);
    assert_eq!(w.get("/connectors/lake").status, 200);
    w.stop();
}

#[test]
fn plaintext_stored_by_an_older_version_is_sealed_on_start() {
    const SECRET: &str = "PW-OLD-PLAIN-c41d0b7e9a";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        // What an older worker stored: the herder's JSON, the secret in clear.
        let log = tributary::log::EmbeddedLog::open(&data).unwrap();
        let stored = json!({"config": sink(SECRET)["config"].clone(), "target_state": "STOPPED"});
        log.set_connector_config("lake", stored.to_string().as_bytes())
            .unwrap();
    }
    assert!(!holding(&data, SECRET).is_empty(), "the fixture holds it");
    let w = Worker::serve(&data);
    assert_eq!(w.get("/connectors/lake").status, 200);
    assert!(
        w.log_text().contains("stored secrets sealed"),
        "{}",
        w.log_text()
    );
    w.stop();
    assert_eq!(holding(&data, SECRET), Vec::<PathBuf>::new());
}
