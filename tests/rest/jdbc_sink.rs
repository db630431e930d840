//! The JDBC sink end to end: PostgreSQL → the embedded log (or Kafka: `tests/kafka/jdbc.rs`) →
//! Debezium's `JdbcSinkConnector` into a second PostgreSQL database. Snapshot, inserts, updates, deletes,
//! a primary-key change, a new upstream column (added downstream by `schema.evolution=basic`), a
//! column named `a"; drop table x; --` (a literal name downstream); the target table ends equal
//! to the source table, column by column.

use std::time::{Duration, Instant};

use serde_json::json;

use super::client::Standalone;
use super::state;
use crate::support::PgFixture;

/// Where the scenario runs: the topic prefix, and the worker's extra properties (Kafka's
/// `bootstrap.servers`, or nothing for the embedded log).
pub(crate) struct Backend {
    pub prefix: String,
    pub worker: String,
}

impl Backend {
    pub(crate) fn embedded() -> Backend {
        Backend {
            prefix: "test".into(),
            worker: String::new(),
        }
    }
    pub(crate) fn topic(&self) -> String {
        format!("{}.public.items", self.prefix)
    }
    /// Debezium's default table name for `${topic}`: dots become underscores.
    pub(crate) fn target(&self) -> String {
        format!("{}_public_items", self.prefix)
    }
}

/// Every row as text, ordered by id (`columns` may cast): what the comparison reads on both
/// sides.
pub(crate) async fn rows(db: &PgFixture, table: &str, columns: &str) -> Vec<String> {
    let sql = format!("SELECT ({columns})::text FROM {table} ORDER BY id");
    match db.client.query(&sql, &[]).await {
        Ok(rows) => rows.iter().map(|r| r.get::<_, String>(0)).collect(),
        Err(_) => Vec::new(),
    }
}

/// Waits (30 s at most) until `columns` of `dst`'s `target` table read as those of `src`'s
/// `items`, which must not be empty.
pub(crate) async fn wait_equal(
    src: &PgFixture,
    dst: &PgFixture,
    target: &str,
    columns: &str,
    log: &dyn Fn() -> String,
) {
    let start = Instant::now();
    loop {
        let want = rows(src, "items", columns).await;
        assert!(!want.is_empty(), "the source query failed: {columns}");
        let got = rows(dst, target, columns).await;
        if want == got {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "target differs from source after 30 s:\nsource {want:?}\ntarget {got:?}\nlog:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates JDBC sink connector `jdbc` on `w`, Debezium's class, consuming `topic` into `dst`'s
/// database as the superuser, with `extra` properties.
pub(crate) fn create_jdbc_sink(
    w: &super::client::Worker,
    topic: &str,
    dst: &PgFixture,
    extra: &[(&str, &str)],
) -> super::client::Resp {
    let server = &dst.server;
    let mut config = json!({
        "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
        "topics": topic,
        "connection.url": format!("jdbc:postgresql://{}:{}/{}", server.host, server.port, dst.dbname),
        "connection.username": server.user,
        "connection.password": server.password,
    });
    for (k, v) in extra {
        config[*k] = json!(v);
    }
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    created
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jdbc_sink_replicates_postgresql_into_postgresql_through_the_embedded_log() {
    replicate_into_postgresql(Backend::embedded()).await;
}

/// The scenario of the module's documentation on `backend`.
pub(crate) async fn replicate_into_postgresql(backend: Backend) {
    let (topic, target) = (backend.topic(), backend.target());
    let src = PgFixture::start("jdbc_src").await;
    let dst = PgFixture::start("jdbc_dst").await;
    src.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int,
           price numeric(10, 2), seen timestamptz, tags text[]);
         INSERT INTO items VALUES
           (1, 'one', 1, 1.50, '2024-01-02 03:04:05.123456+00', ARRAY['a', 'b']),
           (2, 'two', NULL, NULL, NULL, NULL);",
    )
    .await;
    let worker = Standalone::new(
        &format!("offset.flush.interval.ms=100\n{}", backend.worker),
        "pg",
        src.connector_config(&[("topic.prefix", &backend.prefix)]),
    );
    let w = worker.start();
    let log = || w.log_text();

    let created = create_jdbc_sink(
        &w,
        &topic,
        &dst,
        &[
            ("insert.mode", "upsert"),
            ("primary.key.mode", "record_key"),
            ("delete.enabled", "true"),
            ("schema.evolution", "basic"),
        ],
    );
    assert_eq!(created.json()["config"]["connection.password"], "[hidden]");
    w.wait_for("/connectors/jdbc/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });

    let columns = "id, name, qty, price, seen, tags";
    wait_equal(&src, &dst, &target, columns, &log).await;

    src.exec("UPDATE items SET qty = 7, name = 'uno' WHERE id = 1")
        .await;
    src.exec("DELETE FROM items WHERE id = 2").await;
    src.exec("INSERT INTO items VALUES (3, 'three', 3, 3.33, now(), '{}')")
        .await;
    // A primary-key change: Debezium's delete + create.
    src.exec("UPDATE items SET id = 30 WHERE id = 3").await;
    wait_equal(&src, &dst, &target, columns, &log).await;

    // A new upstream column is added downstream.
    src.exec("ALTER TABLE items ADD COLUMN note varchar(40)")
        .await;
    src.exec("INSERT INTO items VALUES (4, 'four', 4, 4.00, NULL, NULL, 'new column')")
        .await;
    wait_equal(
        &src,
        &dst,
        &target,
        "id, name, qty, price, seen, tags, note",
        &log,
    )
    .await;

    // A hostile column name is a literal name downstream; the table it names survives.
    dst.exec("CREATE TABLE x (id int)").await;
    src.exec(r#"ALTER TABLE items ADD COLUMN "a""; drop table x; --" text"#)
        .await;
    src.exec(r#"INSERT INTO items (id, name, "a""; drop table x; --") VALUES (5, 'five', 'kept')"#)
        .await;
    wait_equal(
        &src,
        &dst,
        &target,
        r#"id, name, qty, price, seen, tags, note, "a""; drop table x; --""#,
        &log,
    )
    .await;
    let x = dst
        .client
        .query_one("SELECT to_regclass('x') IS NOT NULL", &[])
        .await
        .unwrap();
    assert!(x.get::<_, bool>(0), "table x was dropped");

    // A burst in one transaction arrives whole.
    src.exec("INSERT INTO items SELECT g, 'n' || g, g, g, now(), NULL, NULL, NULL FROM generate_series(100, 2099) g")
        .await;
    wait_equal(
        &src,
        &dst,
        &target,
        "id, name, qty, price, seen, tags, note",
        &log,
    )
    .await;
    let offsets = w.get("/connectors/jdbc/offsets").json();
    assert_eq!(
        offsets["offsets"][0]["partition"]["kafka_topic"], topic,
        "{offsets}"
    );
    w.stop();
}
