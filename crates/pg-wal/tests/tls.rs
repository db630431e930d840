//! TLS to PostgreSQL (`database.sslmode` and its files) on every kind of connection: the
//! replication connection (our own client), plain protocol connections (the snapshot's COPY),
//! and tokio-postgres (SQL). The server `scripts/test.sh` starts has `ssl=on` with a certificate
//! for `localhost` only, signed by the test CA at `TRIBUTARY_PG_SSL_CA`; beside the CA are a
//! client certificate (CN `tributary_cert`, a role that may log in with it only) and a second CA
//! that signed nothing (see scripts/lib/tls.sh).

use std::path::PathBuf;

use cdc_core::{Classify, Retry};
use pg_wal::replication::{CopyClient, ReplicationClient, ReplicationError};
use pg_wal::PostgresConfig;
use serde_json::json;

use crate::support::PgFixture;

/// A file beside the test CA: `ca.crt`, `other-ca.crt`, `client.crt`, `client.key`,
/// `client-encrypted.key` (password `keypass`).
fn tls_file(name: &str) -> String {
    let ca = std::env::var("TRIBUTARY_PG_SSL_CA").unwrap_or_else(|_| {
        panic!("TRIBUTARY_PG_SSL_CA is not set: run the tests through scripts/test.sh, which starts PostgreSQL with TLS")
    });
    let path = PathBuf::from(ca).with_file_name(name);
    assert!(path.exists(), "{} is missing", path.display());
    path.display().to_string()
}

fn config(db: &PgFixture, extra: &[(&str, &str)]) -> PostgresConfig {
    PostgresConfig::from_map(&db.connector_config(extra)).expect("valid config")
}

/// A connector property and its value.
type Prop<'a> = (&'a str, &'a str);

const SSL_IN_USE: &str = "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

/// Is each kind of connection encrypted? (replication, COPY client, tokio-postgres)
async fn encrypted(cfg: &PostgresConfig) -> Result<[bool; 3], String> {
    let mut repl = ReplicationClient::connect(&cfg.protocol_config())
        .await
        .map_err(|e| format!("replication: {e:?}"))?;
    let rows = repl.simple_query(SSL_IN_USE).await.unwrap();
    let on_repl = rows[0][0].as_deref() == Some("true");
    repl.close().await;
    let mut copy = CopyClient::connect(&cfg.protocol_config())
        .await
        .map_err(|e| format!("copy: {e:?}"))?;
    let rows = copy.simple_query("ssl check", SSL_IN_USE).await.unwrap();
    let on_copy = rows[0][0].as_deref() == Some("true");
    copy.close().await;
    let sql = pg_wal::snapshot::connect(cfg)
        .await
        .map_err(|e| format!("sql: {e:?}"))?;
    let row = sql.query_one(SSL_IN_USE, &[]).await.unwrap();
    let on_sql = row.get::<_, String>(0) == "true";
    Ok([on_repl, on_copy, on_sql])
}

#[tokio::test]
async fn tls_each_sslmode_connects_as_libpq_would() {
    let db = PgFixture::start("tls_modes").await;
    let ca = tls_file("ca.crt");
    let cases: &[(&str, &[Prop], bool)] = &[
        ("disable", &[("database.sslmode", "disable")], false),
        ("allow", &[("database.sslmode", "allow")], true),
        ("prefer (the default)", &[], true),
        ("require", &[("database.sslmode", "require")], true),
        (
            "require with the CA (verified like verify-ca)",
            &[
                ("database.sslmode", "require"),
                ("database.sslrootcert", &ca),
            ],
            true,
        ),
        (
            "verify-ca by address",
            &[
                ("database.sslmode", "verify-ca"),
                ("database.sslrootcert", &ca),
            ],
            true,
        ),
        (
            "verify-full by the certificate's host name",
            &[
                ("database.sslmode", "verify-full"),
                ("database.sslrootcert", &ca),
                ("database.hostname", "localhost"),
            ],
            true,
        ),
    ];
    for (what, extra, tls) in cases {
        let got = encrypted(&config(&db, extra))
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got, [*tls; 3], "{what}");
    }
}

#[tokio::test]
async fn tls_a_certificate_from_another_ca_is_refused_and_fatal() {
    let db = PgFixture::start("tls_wrong_ca").await;
    let other = tls_file("other-ca.crt");
    for mode in ["verify-ca", "verify-full", "require"] {
        let cfg = config(
            &db,
            &[
                ("database.sslmode", mode),
                ("database.sslrootcert", &other),
                ("database.hostname", "localhost"),
            ],
        );
        let err = ReplicationClient::connect(&cfg.protocol_config())
            .await
            .err()
            .unwrap_or_else(|| panic!("{mode}: a server certificate from another CA was accepted"));
        assert!(
            matches!(err, ReplicationError::TlsHandshake { .. }),
            "{mode}: {err:?}"
        );
        assert_eq!(err.retry(), Retry::Fatal, "{mode}");
        let chain = format!("{:?}", err);
        assert!(chain.contains("UnknownIssuer"), "{mode}: {chain}");
        let err = pg_wal::snapshot::connect(&cfg)
            .await
            .err()
            .unwrap_or_else(|| panic!("{mode}: tokio-postgres accepted another CA"));
        assert_eq!(err.retry(), Retry::Fatal, "{mode}: {err:?}");
    }
}

#[tokio::test]
async fn tls_verify_full_refuses_a_host_name_the_certificate_is_not_for() {
    let db = PgFixture::start("tls_wrong_host").await;
    let ca = tls_file("ca.crt");
    // The certificate names `localhost` only; 127.0.0.1 is the same server by another name.
    let by_address = [
        ("database.sslrootcert", ca.as_str()),
        ("database.hostname", "127.0.0.1"),
    ];
    let full = config(
        &db,
        &[&[("database.sslmode", "verify-full")][..], &by_address].concat(),
    );
    let err = ReplicationClient::connect(&full.protocol_config())
        .await
        .err()
        .expect("verify-full accepted a certificate for another host name");
    assert!(format!("{err:?}").contains("NotValidForName"), "{err:?}");
    assert_eq!(err.retry(), Retry::Fatal);
    let err = pg_wal::snapshot::connect(&full).await.err().unwrap();
    assert_eq!(err.retry(), Retry::Fatal, "{err:?}");
    // verify-ca checks the chain only.
    let ca_only = config(
        &db,
        &[&[("database.sslmode", "verify-ca")][..], &by_address].concat(),
    );
    assert_eq!(encrypted(&ca_only).await.unwrap(), [true; 3]);
}

#[tokio::test]
async fn tls_a_client_certificate_logs_in_where_the_server_asks_for_one() {
    let db = PgFixture::start("tls_client_cert").await;
    let (ca, cert, key) = (
        tls_file("ca.crt"),
        tls_file("client.crt"),
        tls_file("client.key"),
    );
    let mut map = db.connector_config(&[
        ("database.sslmode", "verify-full"),
        ("database.hostname", "localhost"),
        ("database.sslrootcert", &ca),
        ("database.sslcert", &cert),
        ("database.sslkey", &key),
        ("database.user", "tributary_cert"),
    ]);
    map.remove("database.password");
    let cfg = PostgresConfig::from_map(&map).unwrap();
    let mut repl = ReplicationClient::connect(&cfg.protocol_config())
        .await
        .expect("the client certificate logs in");
    let rows = repl.simple_query("SELECT current_user").await.unwrap();
    assert_eq!(rows, vec![vec![Some("tributary_cert".to_owned())]]);
    repl.close().await;
    let sql = pg_wal::snapshot::connect(&cfg)
        .await
        .expect("tokio-postgres");
    let user: String = sql
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(user, "tributary_cert");
    // The same key encrypted (PKCS#8, as `openssl pkcs8 -topk8 -v2 aes256` writes it), with
    // its password; a wrong password fails validation naming database.sslpassword.
    map.insert("database.sslkey".into(), tls_file("client-encrypted.key"));
    map.insert("database.sslpassword".into(), "keypass".into());
    let cfg = PostgresConfig::from_map(&map).unwrap();
    let mut repl = ReplicationClient::connect(&cfg.protocol_config())
        .await
        .expect("the client certificate with its encrypted key logs in");
    let rows = repl.simple_query("SELECT current_user").await.unwrap();
    assert_eq!(rows, vec![vec![Some("tributary_cert".to_owned())]]);
    repl.close().await;
    let sql = pg_wal::snapshot::connect(&cfg)
        .await
        .expect("tokio-postgres with the encrypted key");
    drop(sql);
    map.insert("database.sslpassword".into(), "wrong".into());
    let err = PostgresConfig::from_map(&map).unwrap_err().to_string();
    assert!(
        err.contains("database.sslkey")
            && err.contains("with database.sslpassword: the password is wrong"),
        "{err}"
    );
    map.remove("database.sslpassword");
    // Without the certificate, the server refuses the role (hba `cert`).
    map.remove("database.sslcert");
    map.remove("database.sslkey");
    let cfg = PostgresConfig::from_map(&map).unwrap();
    assert!(ReplicationClient::connect(&cfg.protocol_config())
        .await
        .is_err());
}

#[tokio::test]
async fn tls_capture_over_verify_full_snapshots_and_streams() {
    let db = PgFixture::start("tls_capture").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');")
        .await;
    let ca = tls_file("ca.crt");
    let mut cap = db
        .capture(&[
            ("database.sslmode", "verify-full"),
            ("database.sslrootcert", &ca),
            ("database.hostname", "localhost"),
        ])
        .await;
    let snap = cap.next().await;
    assert_eq!(snap.value["op"], "r");
    assert_eq!(snap.value["after"], json!({"id": 1, "v": "a"}));
    db.exec("INSERT INTO t VALUES (2, 'b')").await;
    let ins = cap.next().await;
    assert_eq!(ins.value["op"], "c");
    assert_eq!(ins.value["after"], json!({"id": 2, "v": "b"}));
}

#[test]
fn tls_a_java_truststore_is_refused_naming_the_property() {
    let dir = tempfile_dir();
    let jks = dir.join("truststore.jks");
    std::fs::write(&jks, [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
    let mut map = cdc_core::ConfigMap::new();
    for (k, v) in [
        ("database.hostname", "localhost"),
        ("database.user", "u"),
        ("database.dbname", "d"),
        ("topic.prefix", "t"),
        ("database.sslmode", "verify-ca"),
        ("database.sslrootcert", jks.to_str().unwrap()),
    ] {
        map.insert(k.into(), v.into());
    }
    let err = PostgresConfig::from_map(&map).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert_eq!(err.0[0].property, "database.sslrootcert");
    assert!(err.0[0].message.contains("is not a PEM file"), "{err}");
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pg-wal-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
