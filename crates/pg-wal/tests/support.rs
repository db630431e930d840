//! Test fixtures: a fresh database per test on the server `scripts/test.sh` started.
//!
//! Tests read `TRIBUTARY_PG_HOST`, `TRIBUTARY_PG_PORT`, `TRIBUTARY_PG_USER` and
//! `TRIBUTARY_PG_PASSWORD`. A missing server is a failure, never a skip.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use tokio_postgres::{Client, NoTls};

/// Where the test server is.
#[derive(Debug, Clone)]
pub struct PgServer {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

impl PgServer {
    /// Reads the server from the environment; panics with instructions when it is not set.
    pub fn from_env() -> PgServer {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: run the tests through scripts/test.sh, which starts PostgreSQL")
            })
        };
        PgServer {
            host: var("TRIBUTARY_PG_HOST"),
            port: var("TRIBUTARY_PG_PORT")
                .parse()
                .expect("TRIBUTARY_PG_PORT is a port number"),
            user: var("TRIBUTARY_PG_USER"),
            password: var("TRIBUTARY_PG_PASSWORD"),
        }
    }

    pub fn conn_string(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user={} password={} dbname={}",
            self.host, self.port, self.user, self.password, dbname
        )
    }

    pub async fn connect(&self, dbname: &str) -> Client {
        let (client, conn) = tokio_postgres::connect(&self.conn_string(dbname), NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot connect to the test server at {}:{}: {e}",
                    self.host, self.port
                )
            });
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client
    }
}

/// A fresh database, unique to one test, with its own slot and publication names.
pub struct PgFixture {
    pub server: PgServer,
    pub dbname: String,
    pub client: Client,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl PgFixture {
    /// Creates database `t_<pid>_<n>_<tag>` on the test server.
    pub async fn start(tag: &str) -> PgFixture {
        let server = PgServer::from_env();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let tag: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let dbname = format!("t_{}_{}_{}", std::process::id(), n, tag);
        let admin = server.connect("postgres").await;
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {dbname} WITH (FORCE); CREATE DATABASE {dbname}"
            ))
            .await
            .expect("create test database");
        let client = server.connect(&dbname).await;
        PgFixture {
            server,
            dbname,
            client,
        }
    }

    pub async fn exec(&self, sql: &str) {
        self.client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A slot or publication name unique to this fixture.
    pub fn unique(&self, base: &str) -> String {
        format!("{base}_{}", self.dbname)
    }
}
