//! The JDBC sink reading Avro: PostgreSQL → the embedded log with the AvroConverter (key and
//! value, schemas in the worker's embedded registry, which the converters of both connectors
//! use in-process) → Debezium's `JdbcSinkConnector` with AvroConverter key and value
//! converters into a second PostgreSQL database. Snapshot, inserts, updates, deletes and a new
//! column (a second schema version) over a table of varied types: the target ends equal to the
//! source.
//! The second version registers under the registry's default BACKWARD level (a table with
//! numeric columns: decimals).

use super::client::Standalone;
use super::jdbc_sink::{create_jdbc_sink, wait_equal};
use super::state;
use crate::support::PgFixture;

const AVRO: &str = "io.confluent.connect.avro.AvroConverter";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jdbc_sink_reads_avro_written_by_the_postgresql_source() {
    let src = PgFixture::start("avro_src").await;
    let dst = PgFixture::start("avro_dst").await;
    src.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty smallint, big bigint,
           price numeric(12, 3), anynum numeric, ratio real, dbl double precision, ok boolean,
           seen timestamptz, local timestamp, day date, at time, raw bytea, doc json,
           docb jsonb, uid uuid, label varchar(20), tags text[]);
         INSERT INTO items VALUES
           (1, 'one', 1, 9007199254740993, 1.500, 123456789.000000001, 0.25, 1e300, true,
            '2024-01-02 03:04:05.123456+00', '2024-01-02 03:04:05.5', '2024-02-29', '23:59:59.999999',
            '\\x00ff10', '{\"a\": [1, 2]}', '{\"b\": null}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
            'ünïcødé ✓', ARRAY['a', 'b']),
           (2, 'two', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL),
           (3, 'three', -32768, -1, -99999.999, -0.5, -1.5, -0.0, false,
            '1969-12-31 23:59:59.999999+00', '0001-01-01 00:00:00', '1900-01-01', '00:00:00',
            '\\x', '[]', '{}', '00000000-0000-0000-0000-000000000000', '', '{}');",
    )
    .await;
    let avro = [
        ("key.converter", AVRO),
        ("value.converter", AVRO),
        ("topic.prefix", "avro"),
    ];
    // The registry listens on a port of its own (the default 8081 is shared by parallel tests).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let worker = Standalone::new(
        &format!(
            "offset.flush.interval.ms=100\nschema.registry.listeners=http://127.0.0.1:{port}\n"
        ),
        "pg",
        src.connector_config(&avro),
    );
    let w = worker.start();
    let log = || w.log_text();
    create_jdbc_sink(
        &w,
        "avro.public.items",
        &dst,
        &[
            ("key.converter", AVRO),
            ("value.converter", AVRO),
            ("insert.mode", "upsert"),
            ("primary.key.mode", "record_key"),
            ("delete.enabled", "true"),
            ("schema.evolution", "basic"),
        ],
    );
    w.wait_for("/connectors/jdbc/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    let target = "avro_public_items";
    let columns = "id, name, qty, big, price, anynum, ratio, dbl, ok, seen, local, day, at, raw,
        doc::jsonb, docb, uid, label, tags";
    wait_equal(&src, &dst, target, columns, &log).await;

    src.exec(
        "UPDATE items SET qty = 7, name = 'uno', price = 2.25, doc = '{\"c\": 3}' WHERE id = 1",
    )
    .await;
    src.exec("DELETE FROM items WHERE id = 2").await;
    src.exec(
        "INSERT INTO items (id, name, price, seen, raw, uid) VALUES
           (4, 'four', 0.001, now(), '\\xdeadbeef', gen_random_uuid())",
    )
    .await;
    src.exec("UPDATE items SET id = 40 WHERE id = 4").await;
    wait_equal(&src, &dst, target, columns, &log).await;

    // A new column: a new schema, registered as a second version (BACKWARD compatible) and
    // read by its own id.
    src.exec("ALTER TABLE items ADD COLUMN note varchar(40)")
        .await;
    src.exec("INSERT INTO items (id, name, note) VALUES (5, 'five', 'new column')")
        .await;
    src.exec("UPDATE items SET note = 'old row' WHERE id = 1")
        .await;
    wait_equal(&src, &dst, target, &format!("{columns}, note"), &log).await;
    assert!(
        !log().contains("Unknown magic byte"),
        "the records were Avro throughout"
    );
    w.stop();
}
