//! TLS to MariaDB (`database.ssl.mode`, `database.ssl.truststore`, `database.ssl.keystore`) on
//! the connector's connections: queries, snapshot and the binlog stream. The server
//! `scripts/test.sh` starts has `ssl_cert`/`ssl_key`/`ssl_ca` with a certificate for `localhost`
//! only, signed by the test CA at `TRIBUTARY_MYSQL_SSL_CA`; beside it are a client certificate
//! and a second CA that signed nothing (see scripts/lib/tls.sh).

use std::path::PathBuf;

use cdc_core::{Classify, Retry};
use mysql_async::prelude::Queryable;
use mysql_binlog::MySqlConfig;
use serde_json::json;

use crate::support::MyFixture;

/// A file beside the test CA: `ca.crt`, `other-ca.crt`, `client.crt`, `client.key`,
/// `client-encrypted.key` (password `keypass`).
fn tls_file(name: &str) -> String {
    let ca = std::env::var("TRIBUTARY_MYSQL_SSL_CA").unwrap_or_else(|_| {
        panic!("TRIBUTARY_MYSQL_SSL_CA is not set: run the tests through scripts/test.sh, which starts MariaDB with TLS")
    });
    let path = PathBuf::from(ca).with_file_name(name);
    assert!(path.exists(), "{} is missing", path.display());
    path.display().to_string()
}

/// A connector property and its value.
type Prop<'a> = (&'a str, &'a str);

fn config(db: &MyFixture, extra: &[(&str, &str)]) -> MySqlConfig {
    MySqlConfig::from_map(&db.connector_config(extra)).expect("valid config")
}

/// The TLS version of a connection the connector opens, empty in plaintext.
async fn tls_version(cfg: &MySqlConfig) -> Result<String, mysql_binlog::MySqlSourceError> {
    let mut conn = mysql_binlog::conn::connect(cfg).await?;
    let row: Option<(String, String)> = conn
        .query_first("SHOW SESSION STATUS LIKE 'Ssl_version'")
        .await
        .unwrap();
    let _ = conn.disconnect().await;
    Ok(row.map(|(_, v)| v).unwrap_or_default())
}

#[tokio::test]
async fn tls_each_ssl_mode_connects_as_debezium_would() {
    let db = MyFixture::start("tls_modes").await;
    let ca = tls_file("ca.crt");
    let cases: &[(&str, Vec<Prop>, bool)] = &[
        ("disabled", vec![("database.ssl.mode", "disabled")], false),
        ("preferred (the default)", vec![], true),
        ("required", vec![("database.ssl.mode", "required")], true),
        (
            "verify_ca by the certificate's host name",
            vec![
                ("database.ssl.mode", "verify_ca"),
                ("database.ssl.truststore", &ca),
                ("database.hostname", "localhost"),
            ],
            true,
        ),
        (
            // The certificate names `localhost` only: verify_ca checks the chain, not the name.
            "verify_ca by address",
            vec![
                ("database.ssl.mode", "verify_ca"),
                ("database.ssl.truststore", &ca),
            ],
            true,
        ),
        (
            "verify_identity by the certificate's host name",
            vec![
                ("database.ssl.mode", "verify_identity"),
                ("database.ssl.truststore", &ca),
                ("database.hostname", "localhost"),
            ],
            true,
        ),
    ];
    for (what, extra, tls) in cases {
        let version = tls_version(&config(&db, extra))
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(!version.is_empty(), *tls, "{what}: Ssl_version {version:?}");
    }
}

#[tokio::test]
async fn tls_a_certificate_from_another_ca_or_for_another_host_is_refused_and_fatal() {
    let db = MyFixture::start("tls_refused").await;
    let (ca, other) = (tls_file("ca.crt"), tls_file("other-ca.crt"));
    let cases = [
        (
            "another CA",
            vec![
                ("database.ssl.mode", "verify_ca"),
                ("database.ssl.truststore", other.as_str()),
            ],
        ),
        (
            "another CA, verify_identity",
            vec![
                ("database.ssl.mode", "verify_identity"),
                ("database.ssl.truststore", other.as_str()),
                ("database.hostname", "localhost"),
            ],
        ),
        (
            // The certificate names `localhost` only.
            "another host name",
            vec![
                ("database.ssl.mode", "verify_identity"),
                ("database.ssl.truststore", ca.as_str()),
                ("database.hostname", "127.0.0.1"),
            ],
        ),
    ];
    for (what, extra) in cases {
        let err = tls_version(&config(&db, &extra))
            .await
            .err()
            .unwrap_or_else(|| panic!("{what}: the certificate was accepted"));
        assert_eq!(err.retry(), Retry::Fatal, "{what}: {err:?}");
    }
}

#[tokio::test]
async fn tls_a_client_certificate_from_the_keystore_logs_in() {
    let mut db = MyFixture::start("tls_x509").await;
    db.exec("CREATE USER IF NOT EXISTS 'tributary_x509'@'127.0.0.1' REQUIRE X509")
        .await;
    db.exec("GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'tributary_x509'@'127.0.0.1'")
        .await;
    // Debezium's keystore holds the certificate and its key: here one PEM file with both.
    let keystore = db.dir.path().join("keystore.pem");
    let pem = [tls_file("client.crt"), tls_file("client.key")]
        .map(|p| std::fs::read_to_string(p).unwrap())
        .concat();
    std::fs::write(&keystore, pem).unwrap();
    let mut map = db.connector_config(&[
        ("database.ssl.mode", "verify_identity"),
        ("database.ssl.truststore", &tls_file("ca.crt")),
        ("database.ssl.keystore", keystore.to_str().unwrap()),
        ("database.hostname", "localhost"),
        ("database.user", "tributary_x509"),
    ]);
    map.remove("database.password");
    let cfg = MySqlConfig::from_map(&map).unwrap();
    let mut conn = mysql_binlog::conn::connect(&cfg).await.expect("x509 login");
    let user: Option<String> = conn.query_first("SELECT CURRENT_USER()").await.unwrap();
    assert_eq!(user.as_deref(), Some("tributary_x509@127.0.0.1"));
    // The key encrypted (PKCS#8) with database.ssl.keystore.password; a wrong one fails
    // validation.
    let encrypted = db.dir.path().join("keystore-encrypted.pem");
    let pem = [tls_file("client.crt"), tls_file("client-encrypted.key")]
        .map(|p| std::fs::read_to_string(p).unwrap())
        .concat();
    std::fs::write(&encrypted, pem).unwrap();
    map.insert(
        "database.ssl.keystore".into(),
        encrypted.to_str().unwrap().into(),
    );
    map.insert("database.ssl.keystore.password".into(), "keypass".into());
    let cfg = MySqlConfig::from_map(&map).unwrap();
    let mut conn = mysql_binlog::conn::connect(&cfg)
        .await
        .expect("x509 login with the encrypted key");
    let user: Option<String> = conn.query_first("SELECT CURRENT_USER()").await.unwrap();
    assert_eq!(user.as_deref(), Some("tributary_x509@127.0.0.1"));
    map.insert("database.ssl.keystore.password".into(), "wrong".into());
    let err = MySqlConfig::from_map(&map).unwrap_err().to_string();
    assert!(
        err.contains("with database.ssl.keystore.password: the password is wrong"),
        "{err}"
    );
    map.remove("database.ssl.keystore.password");
    // Without the keystore the server refuses the user (REQUIRE X509).
    map.remove("database.ssl.keystore");
    let cfg = MySqlConfig::from_map(&map).unwrap();
    assert!(mysql_binlog::conn::connect(&cfg).await.is_err());
}

#[tokio::test]
async fn tls_capture_over_verify_identity_snapshots_and_streams_the_binlog() {
    let mut db = MyFixture::start("tls_capture").await;
    db.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")
        .await;
    db.exec("INSERT INTO t VALUES (1, 'a')").await;
    let ca = tls_file("ca.crt");
    let mut cap = db
        .capture(&[
            ("database.ssl.mode", "verify_identity"),
            ("database.ssl.truststore", &ca),
            ("database.hostname", "localhost"),
        ])
        .await;
    let snap = cap.take_rows(1).await;
    assert_eq!(snap[0].value["op"], "r");
    assert_eq!(snap[0].value["after"], json!({"id": 1, "v": "a"}));
    db.exec("INSERT INTO t VALUES (2, 'b')").await;
    let ins = cap.next_row().await;
    assert_eq!(ins.value["op"], "c");
    assert_eq!(ins.value["after"], json!({"id": 2, "v": "b"}));
}
