//! Test fixtures: a fresh database per test on the server `scripts/test.sh` started.
//!
//! Tests read `TRIBUTARY_PG_HOST`, `TRIBUTARY_PG_PORT`, `TRIBUTARY_PG_USER` and
//! `TRIBUTARY_PG_PASSWORD` (a superuser: fixtures create databases, tables and changes with it),
//! and `TRIBUTARY_PG_CDC_USER` and `TRIBUTARY_PG_CDC_PASSWORD`: the user every connector runs
//! as, with only `LOGIN REPLICATION`. Each fixture database grants it what Debezium's
//! documentation asks for (`SELECT` on the captured tables, `USAGE` on their schemas) and has
//! its publication created by the superuser, as Debezium recommends when the connector's user
//! is not one (`CREATE PUBLICATION ... FOR ALL TABLES` needs a superuser). A missing server is a
//! failure, never a skip.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use tokio_postgres::{Client, NoTls};

/// Where the test server is.
#[derive(Debug, Clone)]
pub struct PgServer {
    pub host: String,
    pub port: u16,
    /// The superuser, for fixtures.
    pub user: String,
    pub password: String,
    /// The connector's user: `LOGIN REPLICATION`, plus what each fixture database grants it.
    pub cdc_user: String,
    pub cdc_password: String,
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
            cdc_user: var("TRIBUTARY_PG_CDC_USER"),
            cdc_password: var("TRIBUTARY_PG_CDC_PASSWORD"),
        }
    }

    /// The same server, logged in as the connector's user.
    pub fn as_cdc(&self) -> PgServer {
        PgServer {
            user: self.cdc_user.clone(),
            password: self.cdc_password.clone(),
            ..self.clone()
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
        // Two statements: a multi-statement batch is one implicit transaction, which
        // DROP/CREATE DATABASE refuse.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
            .await
            .expect("drop old test database");
        admin
            .batch_execute(&format!("CREATE DATABASE {dbname}"))
            .await
            .expect("create test database");
        let client = server.connect(&dbname).await;
        // What the connector's user needs in this database, granted as a DBA would (README,
        // "Database privileges"): USAGE on the schemas and SELECT on the tables the superuser
        // creates here from now on (default privileges are per database), and the publication
        // the connector config names, created by the superuser.
        let cdc = &server.cdc_user;
        let publication = format!("pub_{dbname}");
        client
            .batch_execute(&format!(
                "ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO {cdc}; \
                 ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {cdc}; \
                 CREATE PUBLICATION {publication} FOR ALL TABLES"
            ))
            .await
            .expect("grant the connector's user its privileges");
        PgFixture {
            server,
            dbname,
            client,
        }
    }

    /// Creates publication `name` for all tables, as the superuser (what Debezium's
    /// documentation recommends when the connector's user is not a superuser).
    pub async fn create_publication(&self, name: &str) {
        self.exec(&format!("CREATE PUBLICATION {name} FOR ALL TABLES"))
            .await;
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

/// A connector running against the fixture's database, with an in-test runtime that converts
/// records with the JsonConverter and commits every batch's offset at once.
pub struct Capture {
    pub events: tokio::sync::mpsc::UnboundedReceiver<CapturedRecord>,
    pub committed: std::sync::Arc<std::sync::Mutex<Option<cdc_core::SourceOffset>>>,
    pub shutdown: tokio_util::sync::CancellationToken,
    pub task: tokio::task::JoinHandle<Result<(), cdc_core::ConnectorError>>,
}

/// One record as a consumer sees it (schemas.enable=false JSON, and the full JSON with schemas).
#[derive(Debug, Clone)]
pub struct CapturedRecord {
    pub topic: String,
    pub key: serde_json::Value,
    pub value: serde_json::Value,
    pub key_with_schema: serde_json::Value,
    pub value_with_schema: serde_json::Value,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl PgFixture {
    /// The connector config for this database (Debezium property names).
    pub fn connector_config(&self, extra: &[(&str, &str)]) -> cdc_core::ConfigMap {
        let mut m = cdc_core::ConfigMap::new();
        for (k, v) in [
            (
                "connector.class",
                "io.debezium.connector.postgresql.PostgresConnector",
            ),
            ("database.hostname", self.server.host.as_str()),
            ("database.user", self.server.cdc_user.as_str()),
            ("database.password", self.server.cdc_password.as_str()),
            ("database.dbname", self.dbname.as_str()),
            ("topic.prefix", "test"),
            ("status.update.interval.ms", "200"),
        ] {
            m.insert(k.to_owned(), v.to_owned());
        }
        m.insert("database.port".into(), self.server.port.to_string());
        m.insert("slot.name".into(), self.unique("slot"));
        m.insert("publication.name".into(), self.unique("pub"));
        for (k, v) in extra {
            m.insert((*k).to_owned(), (*v).to_owned());
        }
        m
    }

    /// Starts the connector with `extra` config, resuming from `offset` when given.
    /// Without a stored offset it returns once the slot exists (the first committed offset),
    /// so changes made afterwards are captured.
    pub async fn capture_from(
        &self,
        extra: &[(&str, &str)],
        offset: Option<cdc_core::SourceOffset>,
    ) -> Capture {
        let fresh = offset.is_none();
        let config = self.connector_config(extra);
        let mut source =
            pg_wal::PostgresSource::from_config(&config).expect("valid connector config");
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
            while let Some(mut batch) = rx.recv().await {
                if let Some(rows) = batch.deferred_rows() {
                    check_direct_json(rows);
                }
                batch.materialize().expect("the snapshot's rows decode");
                for r in &batch.records {
                    let _ = ev_tx.send(CapturedRecord {
                        topic: r.topic.to_string(),
                        key: json(&plain, r.key.as_ref()),
                        value: json(&plain, r.value.as_ref()),
                        key_with_schema: json(&full, r.key.as_ref()),
                        value_with_schema: json(&full, r.value.as_ref()),
                        headers: r.headers.clone(),
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

impl Capture {
    /// The next record, failing the test after 30 seconds.
    pub async fn next(&mut self) -> CapturedRecord {
        match tokio::time::timeout(std::time::Duration::from_secs(30), self.events.recv()).await {
            Ok(Some(r)) => r,
            Ok(None) => panic!("the connector stopped: {:?}", self.task.is_finished()),
            Err(_) => panic!("no record within 30 seconds"),
        }
    }

    /// The next `n` records.
    pub async fn take(&mut self, n: usize) -> Vec<CapturedRecord> {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.next().await);
        }
        v
    }

    /// Asserts nothing more arrives within `ms`.
    pub async fn expect_quiet(&mut self, ms: u64) {
        if let Ok(Some(r)) =
            tokio::time::timeout(std::time::Duration::from_millis(ms), self.events.recv()).await
        {
            panic!("unexpected record on {}: {}", r.topic, r.value);
        }
    }

    /// Stops the connector and returns its result and the last committed offset.
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

    /// Waits for the task to end on its own (an error), failing after 30 s.
    pub async fn failure(self) -> cdc_core::ConnectorError {
        let res = tokio::time::timeout(std::time::Duration::from_secs(30), self.task)
            .await
            .expect("connector fails within 30 s")
            .expect("connector task does not panic");
        res.expect_err("the connector should have failed")
    }
}

impl Drop for PgFixture {
    fn drop(&mut self) {
        // Slots pin WAL: drop this fixture's slot on a fresh thread (tests run on their own runtimes).
        let server = self.server.clone();
        let slot = self.unique("slot");
        let _ = std::thread::spawn(move || {
            if let Ok((mut c, _)) = postgres_sync_client(&server) {
                let _ = c.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active",
                    &[&slot],
                );
            }
        })
        .join();
    }
}

fn postgres_sync_client(server: &PgServer) -> Result<(SyncClient, ()), ()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| ())?;
    let conn_string = server.conn_string("postgres");
    let client = rt.block_on(async move {
        let (client, conn) = tokio_postgres::connect(&conn_string, NoTls)
            .await
            .map_err(|_| ())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok::<_, ()>(client)
    })?;
    Ok((SyncClient { rt, client }, ()))
}

struct SyncClient {
    rt: tokio::runtime::Runtime,
    client: Client,
}

impl SyncClient {
    fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        self.rt.block_on(self.client.execute(sql, params))
    }
}

/// Every snapshot row's key and value written straight from its COPY bytes must be exactly what
/// a JsonConverter writes for the record the row decodes to, in both decimal formats.
fn check_direct_json(rows: &cdc_core::DeferredRows) {
    use cdc_core::json::DecimalFormat;
    use cdc_core::json_write::write_payload;
    // `direct` writes the part from the row; it must equal the JsonConverter bytes of `data`.
    let check =
        |what: &str,
         decimal: DecimalFormat,
         data: &cdc_core::Data,
         direct: &dyn Fn(&mut Vec<u8>) -> Result<(), cdc_core::ConnectorError>| {
            let (mut got, mut expected) = (Vec::new(), Vec::new());
            direct(&mut got).unwrap_or_else(|e| panic!("the {what} is written: {e}"));
            write_payload(&mut expected, decimal, &data.schema, &data.value);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected),
                "direct {what} JSON ({decimal:?})"
            );
        };
    for row in &rows.rows {
        let record = rows.decoder.record(row).expect("the snapshot row decodes");
        for decimal in [DecimalFormat::Base64, DecimalFormat::Numeric] {
            if let Some(key) = &record.key {
                check("key", decimal, key, &|out| {
                    rows.decoder.write_json_key(row, decimal, out)
                });
            }
            let value = record.value.as_ref().expect("a snapshot event has a value");
            check("value", decimal, value, &|out| {
                rows.decoder.write_json_value(row, decimal, out)
            });
        }
    }
}
