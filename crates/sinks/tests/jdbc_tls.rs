//! The JDBC sink's connections over TLS, per the `connection.url`'s `sslmode` (PostgreSQL) and
//! `sslMode` (MySQL/MariaDB), against the servers `scripts/test.sh` starts with TLS on: a
//! certificate for `localhost` only, signed by the test CA at `TRIBUTARY_PG_SSL_CA` /
//! `TRIBUTARY_MYSQL_SSL_CA`, and beside it a second CA that signed nothing.

use std::path::PathBuf;

use cdc_core::ConfigMap;
use mysql_async::prelude::Queryable;
use sinks::jdbc::my_writer::MyWriter;
use sinks::jdbc::pg_writer::{PgWriter, WriteError};
use sinks::jdbc::JdbcSinkConfig;

const CLASS: &str = "io.debezium.connector.jdbc.JdbcSinkConnector";

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test.sh, which starts the servers with TLS")
    })
}

/// `name` beside the CA file in `ca_var`.
fn beside(ca_var: &str, name: &str) -> String {
    let path = PathBuf::from(var(ca_var)).with_file_name(name);
    assert!(path.exists(), "{} is missing", path.display());
    path.display().to_string()
}

fn config(url: String, user: &str, password: &str) -> JdbcSinkConfig {
    let map: ConfigMap = [
        ("connection.url", url),
        ("connection.username", user.to_owned()),
        ("connection.password", password.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    JdbcSinkConfig::from_map(CLASS, &map).expect("valid config")
}

fn pg(host: &str, params: &str) -> JdbcSinkConfig {
    let url = format!(
        "jdbc:postgresql://{host}:{}/postgres?{params}",
        var("TRIBUTARY_PG_PORT")
    );
    config(
        url,
        &var("TRIBUTARY_PG_USER"),
        &var("TRIBUTARY_PG_PASSWORD"),
    )
}

fn my(host: &str, params: &str) -> JdbcSinkConfig {
    let url = format!(
        "jdbc:mysql://{host}:{}/?{params}",
        var("TRIBUTARY_MYSQL_PORT")
    );
    config(
        url,
        &var("TRIBUTARY_MYSQL_USER"),
        &var("TRIBUTARY_MYSQL_PASSWORD"),
    )
}

async fn pg_encrypted(cfg: &JdbcSinkConfig) -> Result<bool, WriteError> {
    let w = PgWriter::connect(cfg).await?;
    let row = w
        .client
        .query_one(
            "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    Ok(row.get::<_, String>(0) == "true")
}

async fn my_encrypted(cfg: &JdbcSinkConfig) -> Result<bool, WriteError> {
    let mut w = MyWriter::connect(cfg).await?;
    let conn = w.conn.as_mut().unwrap();
    let row: Option<(String, String)> = conn
        .query_first("SHOW SESSION STATUS LIKE 'Ssl_version'")
        .await
        .unwrap();
    Ok(row.is_some_and(|(_, v)| !v.is_empty()))
}

#[tokio::test]
async fn tls_postgresql_target_in_each_sslmode() {
    let ca = beside("TRIBUTARY_PG_SSL_CA", "ca.crt");
    let cases = [
        ("127.0.0.1", "sslmode=disable".to_owned(), false),
        ("127.0.0.1", String::new(), true),
        ("127.0.0.1", "sslmode=require".to_owned(), true),
        (
            "127.0.0.1",
            format!("sslmode=verify-ca&sslrootcert={ca}"),
            true,
        ),
        (
            "localhost",
            format!("sslmode=verify-full&sslrootcert={ca}"),
            true,
        ),
    ];
    for (host, params, tls) in cases {
        let got = pg_encrypted(&pg(host, &params))
            .await
            .unwrap_or_else(|e| panic!("{host} {params}: {e}"));
        assert_eq!(got, tls, "{host} {params}");
    }
}

#[tokio::test]
async fn tls_postgresql_target_refuses_another_ca_or_host_name() {
    let ca = beside("TRIBUTARY_PG_SSL_CA", "ca.crt");
    let other = beside("TRIBUTARY_PG_SSL_CA", "other-ca.crt");
    let cases = [
        (
            "localhost",
            format!("sslmode=verify-full&sslrootcert={other}"),
        ),
        ("localhost", format!("sslmode=require&sslrootcert={other}")),
        // The certificate names `localhost` only.
        ("127.0.0.1", format!("sslmode=verify-full&sslrootcert={ca}")),
    ];
    for (host, params) in cases {
        match pg_encrypted(&pg(host, &params)).await {
            Err(WriteError::Fatal(msg)) => assert!(msg.contains("TLS"), "{msg}"),
            Err(e) => panic!("{host} {params}: not fatal: {e}"),
            Ok(_) => panic!("{host} {params}: the certificate was accepted"),
        }
    }
}

#[tokio::test]
async fn tls_mysql_target_in_each_ssl_mode_and_refusals() {
    let ca = beside("TRIBUTARY_MYSQL_SSL_CA", "ca.crt");
    let other = beside("TRIBUTARY_MYSQL_SSL_CA", "other-ca.crt");
    let cases = [
        ("127.0.0.1", "sslMode=DISABLED".to_owned(), false),
        ("127.0.0.1", String::new(), true),
        ("127.0.0.1", "sslMode=REQUIRED".to_owned(), true),
        (
            "localhost",
            format!("sslMode=VERIFY_CA&serverSslCert={ca}"),
            true,
        ),
        // The certificate names `localhost` only: VERIFY_CA checks the chain, not the name.
        (
            "127.0.0.1",
            format!("sslMode=VERIFY_CA&serverSslCert={ca}"),
            true,
        ),
        (
            "localhost",
            format!("sslMode=VERIFY_IDENTITY&serverSslCert={ca}"),
            true,
        ),
    ];
    for (host, params, tls) in cases {
        let got = my_encrypted(&my(host, &params))
            .await
            .unwrap_or_else(|e| panic!("{host} {params}: {e}"));
        assert_eq!(got, tls, "{host} {params}");
    }
    let refused = [
        (
            "localhost",
            format!("sslMode=VERIFY_CA&serverSslCert={other}"),
        ),
        (
            "127.0.0.1",
            format!("sslMode=VERIFY_IDENTITY&serverSslCert={ca}"),
        ),
    ];
    for (host, params) in refused {
        match my_encrypted(&my(host, &params)).await {
            Err(WriteError::Fatal(msg)) => assert!(msg.contains("TLS"), "{msg}"),
            Err(e) => panic!("{host} {params}: not fatal: {e}"),
            Ok(_) => panic!("{host} {params}: the certificate was accepted"),
        }
    }
}
