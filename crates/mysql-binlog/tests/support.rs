//! Test fixtures: a fresh database per test on the MariaDB `scripts/test.sh` started.
//!
//! Tests read `TRIBUTARY_MYSQL_HOST`, `TRIBUTARY_MYSQL_PORT`, `TRIBUTARY_MYSQL_USER` and
//! `TRIBUTARY_MYSQL_PASSWORD` (root: fixtures create databases, tables and changes with it), and
//! `TRIBUTARY_MYSQL_CDC_USER` and `TRIBUTARY_MYSQL_CDC_PASSWORD`: the user every connector runs
//! as, with exactly the global privileges Debezium's documentation lists (`SELECT, RELOAD,
//! SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT`; see `scripts/lib/mariadb.sh`).
//! A missing server is a failure, never a skip.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use mysql_async::prelude::Queryable;

#[derive(Debug, Clone)]
pub struct MyServer {
    pub host: String,
    pub port: u16,
    /// Root, for fixtures.
    pub user: String,
    pub password: String,
    /// The connector's user.
    pub cdc_user: String,
    pub cdc_password: String,
}

impl MyServer {
    pub fn from_env() -> MyServer {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: run the tests through scripts/test.sh, which starts MariaDB")
            })
        };
        MyServer {
            host: var("TRIBUTARY_MYSQL_HOST"),
            port: var("TRIBUTARY_MYSQL_PORT").parse().expect("a port number"),
            user: var("TRIBUTARY_MYSQL_USER"),
            password: var("TRIBUTARY_MYSQL_PASSWORD"),
            cdc_user: var("TRIBUTARY_MYSQL_CDC_USER"),
            cdc_password: var("TRIBUTARY_MYSQL_CDC_PASSWORD"),
        }
    }

    pub async fn connect(&self) -> mysql_async::Conn {
        let opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .prefer_socket(false);
        mysql_async::Conn::new(opts).await.unwrap_or_else(|e| {
            panic!(
                "cannot connect to the test server at {}:{}: {e}",
                self.host, self.port
            )
        })
    }
}

/// A fresh database, unique to one test.
pub struct MyFixture {
    pub server: MyServer,
    pub db: String,
    pub conn: mysql_async::Conn,
    pub dir: tempfile::TempDir,
    pub server_id: u32,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl MyFixture {
    pub async fn start(tag: &str) -> MyFixture {
        Self::start_on(MyServer::from_env(), tag).await
    }

    /// A fresh database on `server`.
    pub async fn start_on(server: MyServer, tag: &str) -> MyFixture {
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
        let db = format!("t_{}_{}_{}", std::process::id(), n, tag);
        let mut conn = server.connect().await;
        conn.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
            .await
            .unwrap();
        conn.query_drop(format!("CREATE DATABASE `{db}`"))
            .await
            .unwrap();
        conn.query_drop(format!("USE `{db}`")).await.unwrap();
        let server_id = 10_000 + (std::process::id() % 10_000) * 100 + n;
        MyFixture {
            server,
            db,
            conn,
            dir: tempfile::tempdir().unwrap(),
            server_id,
        }
    }

    pub async fn exec(&mut self, sql: &str) {
        self.conn
            .query_drop(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub fn connector_config(&self, extra: &[(&str, &str)]) -> cdc_core::ConfigMap {
        let mut m = cdc_core::ConfigMap::new();
        for (k, v) in [
            (
                "connector.class",
                "io.debezium.connector.mariadb.MariaDbConnector",
            ),
            ("database.hostname", self.server.host.as_str()),
            ("database.user", self.server.cdc_user.as_str()),
            ("database.password", self.server.cdc_password.as_str()),
            ("topic.prefix", "test"),
            ("database.include.list", self.db.as_str()),
        ] {
            m.insert(k.to_owned(), v.to_owned());
        }
        m.insert("database.port".into(), self.server.port.to_string());
        m.insert("database.server.id".into(), self.server_id.to_string());
        m.insert(
            "schema.history.internal.file.filename".into(),
            self.dir.path().join("history.jsonl").display().to_string(),
        );
        for (k, v) in extra {
            m.insert((*k).to_owned(), (*v).to_owned());
        }
        m
    }

    pub async fn capture_from(
        &self,
        extra: &[(&str, &str)],
        offset: Option<cdc_core::SourceOffset>,
    ) -> Capture {
        let fresh = offset.is_none();
        let config = self.connector_config(extra);
        let mut source =
            mysql_binlog::MySqlSource::from_config(&config).expect("valid connector config");
        let (tx, mut rx) = cdc_core::source::batch_queue(cdc_core::QueueBounds::default());
        let (commit_tx, commit_rx) = tokio::sync::watch::channel(offset.clone());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let ctx = cdc_core::SourceContext {
            output: tx,
            committed: commit_rx,
            start_offsets: offset.iter().cloned().collect(),
            start_offset: offset,
            shutdown: shutdown.clone(),
            note: cdc_core::StatusNote::default(),
            pausing: cdc_core::Pausing::default(),
        };
        let task = tokio::spawn(async move {
            use cdc_core::Source;
            source.run(ctx).await
        });
        let (ev_tx, events) = tokio::sync::mpsc::unbounded_channel();
        let committed = std::sync::Arc::new(std::sync::Mutex::new(None));
        let committed2 = committed.clone();
        tokio::spawn(async move {
            let plain = cdc_core::JsonConverter {
                schemas_enable: false,
                ..Default::default()
            };
            let full = cdc_core::JsonConverter::default();
            let json =
                |c: &cdc_core::JsonConverter, d: Option<&cdc_core::Data>| -> serde_json::Value {
                    c.to_bytes(d)
                        .map(|b| serde_json::from_slice(&b).expect("converter writes JSON"))
                        .unwrap_or(serde_json::Value::Null)
                };
            while let Some(batch) = rx.recv().await {
                for r in &batch.records {
                    let _ = ev_tx.send(CapturedRecord {
                        topic: r.topic.to_string(),
                        key: json(&plain, r.key.as_ref()),
                        value: json(&plain, r.value.as_ref()),
                        key_with_schema: json(&full, r.key.as_ref()),
                        value_with_schema: json(&full, r.value.as_ref()),
                        offset: batch.offset.clone(),
                    });
                }
                *committed2.lock().unwrap() = Some(batch.offset.clone());
                let _ = commit_tx.send(Some(batch.offset.clone()));
            }
        });
        let cap = Capture {
            events,
            committed,
            shutdown,
            task,
        };
        if fresh {
            for _ in 0..300 {
                if cap.committed.lock().unwrap().is_some() || cap.task.is_finished() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        cap
    }

    pub async fn capture(&self, extra: &[(&str, &str)]) -> Capture {
        self.capture_from(extra, None).await
    }
}

pub struct Capture {
    pub events: tokio::sync::mpsc::UnboundedReceiver<CapturedRecord>,
    pub committed: std::sync::Arc<std::sync::Mutex<Option<cdc_core::SourceOffset>>>,
    pub shutdown: tokio_util::sync::CancellationToken,
    pub task: tokio::task::JoinHandle<Result<(), cdc_core::ConnectorError>>,
}

#[derive(Debug, Clone)]
pub struct CapturedRecord {
    pub topic: String,
    pub key: serde_json::Value,
    pub value: serde_json::Value,
    pub key_with_schema: serde_json::Value,
    pub value_with_schema: serde_json::Value,
    /// The offset of the batch the record came in.
    pub offset: cdc_core::SourceOffset,
}

impl Capture {
    pub async fn next(&mut self) -> CapturedRecord {
        match tokio::time::timeout(std::time::Duration::from_secs(30), self.events.recv()).await {
            Ok(Some(r)) => r,
            Ok(None) => panic!("the connector stopped"),
            Err(_) => {
                if self.task.is_finished() {
                    panic!("no record within 30 seconds; the connector ended");
                }
                panic!("no record within 30 seconds")
            }
        }
    }

    /// The next record on a table topic (schema change records skipped).
    pub async fn next_row(&mut self) -> CapturedRecord {
        loop {
            let r = self.next().await;
            if r.topic != "test" {
                return r;
            }
        }
    }

    pub async fn take_rows(&mut self, n: usize) -> Vec<CapturedRecord> {
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            v.push(self.next_row().await);
        }
        v
    }

    pub async fn stop(
        self,
    ) -> (
        Result<(), cdc_core::ConnectorError>,
        Option<cdc_core::SourceOffset>,
    ) {
        self.shutdown.cancel();
        let res = tokio::time::timeout(std::time::Duration::from_secs(30), self.task)
            .await
            .expect("connector stops within 30 s")
            .expect("connector task does not panic");
        let off = self.committed.lock().unwrap().clone();
        (res, off)
    }

    pub async fn failure(self) -> cdc_core::ConnectorError {
        let res = tokio::time::timeout(std::time::Duration::from_secs(30), self.task)
            .await
            .expect("connector fails within 30 s")
            .expect("connector task does not panic");
        res.expect_err("the connector should have failed")
    }
}
