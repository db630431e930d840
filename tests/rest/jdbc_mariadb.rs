//! The JDBC sink into MariaDB, end to end: PostgreSQL → the embedded log (or Kafka:
//! `tests/kafka/jdbc.rs`) →
//! Debezium's `JdbcSinkConnector` with a `jdbc:mariadb:` URL. Snapshot, inserts, updates,
//! deletes, a primary-key change, a truncate, a new upstream column (added downstream by
//! `schema.evolution=basic`), a column named `a"; drop table x; --` (a literal name downstream)
//! and a burst; the target table ends equal to the source table, column by column.

use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use serde_json::json;

use super::client::Standalone;
use super::jdbc_sink::Backend;
use super::state;
use crate::my_support::MyFixture;
use crate::support::PgFixture;

/// (id, name, qty, price, seen in UTC to the microsecond, note, hostile)
type Item = (
    i32,
    String,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn source_rows(src: &PgFixture, with_new: bool) -> Vec<Item> {
    let extra = if with_new {
        r#"note, "a""; drop table x; --""#
    } else {
        "NULL::text, NULL::text"
    };
    let sql = format!(
        "SELECT id, name, qty, price::text, \
         to_char(seen AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), {extra} FROM items ORDER BY id"
    );
    src.client
        .query(&sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
            )
        })
        .collect()
}

async fn target_rows(dst: &mut MyFixture, target: &str, with_new: bool) -> Vec<Item> {
    let extra = if with_new {
        "note, `a\"; drop table x; --`"
    } else {
        "NULL, NULL"
    };
    let sql = format!(
        "SELECT id, name, qty, CAST(price AS CHAR), DATE_FORMAT(seen, '%Y-%m-%d %H:%i:%s.%f'), {extra} \
         FROM {target} ORDER BY id"
    );
    dst.conn.query(sql).await.unwrap_or_default()
}

async fn wait_equal(
    src: &PgFixture,
    dst: &mut MyFixture,
    target: &str,
    with_new: bool,
    log: &dyn Fn() -> String,
) {
    let start = Instant::now();
    loop {
        let want = source_rows(src, with_new).await;
        let got = target_rows(dst, target, with_new).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jdbc_sink_replicates_postgresql_into_mariadb_through_the_embedded_log() {
    replicate_into_mariadb(Backend::embedded()).await;
}

/// The scenario of the module's documentation on `backend`.
pub(crate) async fn replicate_into_mariadb(backend: Backend) {
    let (topic, target) = (backend.topic(), backend.target());
    let src = PgFixture::start("jdbc_maria_src").await;
    let mut dst = MyFixture::start("jdbc_maria_dst").await;
    src.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int,
           price numeric(10, 2), seen timestamptz);
         INSERT INTO items VALUES
           (1, 'one', 1, 1.50, '2024-01-02 03:04:05.123456+00'),
           (2, 'two', NULL, NULL, NULL);",
    )
    .await;
    let worker = Standalone::new(
        &format!("offset.flush.interval.ms=100\n{}", backend.worker),
        "pg",
        src.connector_config(&[
            ("skipped.operations", "none"),
            ("topic.prefix", &backend.prefix),
        ]),
    );
    let w = worker.start();
    let log = || w.log_text();
    let server = &dst.server;
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": {
            "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
            "topics": topic,
            "connection.url": format!("jdbc:mariadb://{}:{}/{}", server.host, server.port, dst.db),
            "connection.username": server.user,
            "connection.password": server.password,
            "insert.mode": "upsert",
            "primary.key.mode": "record_key",
            "delete.enabled": "true",
            "truncate.enabled": "true",
            "schema.evolution": "basic",
        }}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    w.wait_for("/connectors/jdbc/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    wait_equal(&src, &mut dst, &target, false, &log).await;

    src.exec("UPDATE items SET qty = 7, name = 'uno' WHERE id = 1")
        .await;
    src.exec("DELETE FROM items WHERE id = 2").await;
    src.exec("INSERT INTO items VALUES (3, 'three', 3, 3.33, now())")
        .await;
    // A primary-key change: Debezium's delete + create.
    src.exec("UPDATE items SET id = 30 WHERE id = 3").await;
    wait_equal(&src, &mut dst, &target, false, &log).await;

    // A truncate empties the target table too; what follows it arrives.
    src.exec("TRUNCATE items").await;
    src.exec("INSERT INTO items VALUES (1, 'again', 1, 0.01, '1969-12-31 23:59:59.999999+00')")
        .await;
    wait_equal(&src, &mut dst, &target, false, &log).await;

    // A new upstream column is added downstream; a hostile name is a literal name there, and
    // the table it names survives.
    dst.exec("CREATE TABLE x (id int)").await;
    src.exec("ALTER TABLE items ADD COLUMN note varchar(40)")
        .await;
    src.exec(r#"ALTER TABLE items ADD COLUMN "a""; drop table x; --" text"#)
        .await;
    src.exec(r#"INSERT INTO items VALUES (4, 'four', 4, 4.00, NULL, 'new column', 'kept')"#)
        .await;
    wait_equal(&src, &mut dst, &target, true, &log).await;
    let x: Option<i64> = dst
        .conn
        .query_first("SELECT COUNT(*) FROM x")
        .await
        .unwrap();
    assert_eq!(x, Some(0), "table x is still there");

    // A burst in one transaction arrives whole.
    src.exec("INSERT INTO items SELECT g, 'n' || g, g, g, now(), NULL, NULL FROM generate_series(100, 2099) g")
        .await;
    wait_equal(&src, &mut dst, &target, true, &log).await;
    w.stop();
}
