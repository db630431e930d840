//! Our JDBC sink against Debezium's (the real thing, 3.6.0.Final on the reference Kafka Connect
//! worker, `scripts/lib/connect.sh`): the same topic, written by each into a fresh database of
//! its own with the same config, must give the same tables.
//!
//! A PostgreSQL table holding every golden type family (`crates/pg-wal/tests/type_families.rs`,
//! created as `tests/rest/jdbc_types.rs` does; rows snapshotted and rows streamed) is captured by
//! our worker's PostgreSQL source onto Apache Kafka (JsonConverter with schemas). Debezium's
//! `JdbcSinkConnector` on the reference worker and ours on our worker (the same broker) consume
//! that topic with `insert.mode=upsert`, `primary.key.mode=record_key`,
//! `schema.evolution=basic` (Debezium's also names Hibernate's DriverManager connection
//! provider: `scripts/lib/java/debezium-jdbc-pom.xml` says why). Once both targets hold every
//! row, the tables they created are compared: every column's type as the target prints it (on
//! PostgreSQL `format_type(atttypid, atttypmod)`), its nullability and primary-key membership,
//! and every row's value of every column as the target prints it as text. Each difference must
//! be in the allow-list of its target, with its reason (also in docs/compat.md, "JDBC sink");
//! any other fails the test, and so does an allow-list entry that no longer differs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use serde_json::json;

use super::broker;
use crate::differential::Reference;
use crate::my_support::MyFixture;
use crate::rest::client::{Standalone, Worker};
use crate::rest::jdbc_types::{create_table, inserts};
use crate::rest::jdbc_types_mariadb::NOT_HELD;
use crate::support::PgFixture;

include!("../../crates/pg-wal/tests/type_families.rs");

macro_rules! as_list {
    ($($name:ident: $setup:expr, $ty:expr, [$($v:expr),* $(,)?];)*) => {
        &[$((stringify!($name), $setup, $ty, &[$($v),*])),*]
    };
}

const FAMILIES: &[(&str, &str, &str, &[&str])] = type_families!(as_list);

/// What one entry of an allow-list covers: a column's type, nullability, primary-key
/// membership, or some of its values: rows `i` and `100 + i` for each index `i` (the family's
/// `i`th value in `type_families.rs`, of those the test inserts), all rows when empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aspect {
    Type,
    Nullable,
    Key,
    Values(&'static [usize]),
}

/// Families left out of the table for a target, with the reason: Debezium's sink cannot write
/// them there at all (its task fails), so nothing can be compared.
const LEFT_OUT_PG: &[(&str, &str)] = &[(
    "point",
    "Debezium writes a Point through PostGIS (cast(public.ST_GeomFromWKB(?, ?) as point)): without \
     PostGIS on the target its task fails; ours writes (x,y) into a point column",
)];

/// Known differences into PostgreSQL: (column, aspect, reason). Each is also in docs/compat.md
/// ("JDBC sink").
const ALLOWED_PG: &[(&str, Aspect, &str)] = &[
    (
        "c_numeric_precise",
        Aspect::Type,
        "numeric(40, 5): ours keeps the source's precision; Debezium caps it at 38 (numeric(38,5)), \
         so its writes fail on values with more than 33 integer digits",
    ),
    (
        "c_numeric_variable_scale",
        Aspect::Type,
        "VariableScaleDecimal (numeric without a precision): ours numeric; Debezium double \
         precision, which loses digits",
    ),
    (
        "c_numeric_variable_scale",
        Aspect::Values(&[1, 2]),
        "the double rounds: Debezium -9.876543210987654e+19 for -98765432109876543210.123 and \
         1e+20 for 1e20; ours the exact number",
    ),
    (
        "c_floats",
        Aspect::Values(&[1, 2, 3]),
        "NaN, Infinity, -Infinity: the JSON holds the strings Jackson writes for them, which \
         Connect's JsonConverter reads as 0 (TextNode.doubleValue()); ours reads the float they name",
    ),
    (
        "c_real",
        Aspect::Values(&[1]),
        "NaN: as for double precision, Debezium writes 0",
    ),
    (
        "c_date",
        Aspect::Values(&[3]),
        "date 'infinity' (epoch day -2147472692 on the topic, as Debezium's source writes it): \
         Debezium writes -infinity; ours infinity, as the source holds",
    ),
    (
        "c_timestamp",
        Aspect::Values(&[1]),
        "timestamp 'infinity' (PgJDBC's sentinel 9223372036825200000 µs on the topic): Debezium \
         writes 294247-01-10 04:00:25.2; ours infinity, as the source holds",
    ),
];

/// Families left out of the MariaDB comparison, as [`LEFT_OUT_PG`].
const LEFT_OUT_MARIADB: &[(&str, &str)] = &[
    (
        "int_array_with_nulls",
        "Debezium's MySQL dialect has no type for an ARRAY: creating the table fails (a \
         NullPointerException in GeneralDatabaseDialect.getSchemaType); ours writes a json column",
    ),
    ("text_array", "the same as int_array_with_nulls"),
    (
        "timetz",
        "Debezium creates the column as `time(6) with time zone`, which MariaDB refuses (a syntax \
         error): creating the table fails; ours creates time(6) holding the time in use.time.zone",
    ),
    (
        "varbit",
        "Debezium creates an unbounded bit varying as `bit(2147483647)`, which MariaDB refuses (at \
         most bit(64)): creating the table fails; ours creates longtext holding the bit string",
    ),
];

/// Known differences into MariaDB, as [`ALLOWED_PG`].
const ALLOWED_MARIADB: &[(&str, Aspect, &str)] = &[
    (
        "c_numeric_precise",
        Aspect::Type,
        "numeric(40, 5): ours decimal(40,5), the source's precision; Debezium caps it at 38",
    ),
    (
        "c_numeric_variable_scale",
        Aspect::Type,
        "VariableScaleDecimal: ours decimal(65,30); Debezium double, which loses digits",
    ),
    (
        "c_numeric_variable_scale",
        Aspect::Values(&[]),
        "the double rounds (-9.876543210987654e19); ours the exact number, printed with \
         decimal(65,30)'s 30 decimals",
    ),
    (
        "c_timestamptz",
        Aspect::Type,
        "ZonedTimestamp: ours datetime(6) (MariaDB's timestamp holds only 1970-2038); Debezium \
         timestamp(6)",
    ),
    (
        "c_uuid",
        Aspect::Type,
        "Uuid: ours char(36), usable in a key; Debezium longtext",
    ),
];

/// A table as a target prints it: its columns in order (name, type, nullable, in the primary
/// key) and its rows by `id`, each value as text.
#[derive(Debug, Default)]
struct Table {
    columns: Vec<(String, String, bool, bool)>,
    rows: BTreeMap<i64, Vec<Option<String>>>,
}

/// The config both sinks get, into the database at `url`.
fn sink_config(topic: &str, url: &str, user: &str, password: &str) -> serde_json::Value {
    json!({
        "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
        "topics": topic,
        "connection.url": url,
        "connection.username": user,
        "connection.password": password,
        "insert.mode": "upsert",
        "primary.key.mode": "record_key",
        "schema.evolution": "basic",
        "tasks.max": "1",
    })
}

/// Debezium's JDBC sink named `name` on the reference worker with `config`, plus the
/// connection provider its Maven build needs (scripts/lib/java/debezium-jdbc-pom.xml).
fn debezium_sink(name: &str, mut config: serde_json::Value) -> Reference {
    config["connection.provider"] =
        json!("org.hibernate.engine.jdbc.connections.internal.DriverManagerConnectionProviderImpl");
    let config: cdc_core::ConfigMap = config
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    Reference::create(name, &config)
}

/// Our JDBC sink `jdbc` on `w` with `config`.
fn our_sink(w: &Worker, config: serde_json::Value) {
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
}

/// The families not in `left_out`.
fn families(
    left_out: &[(&str, &str)],
) -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
)> {
    FAMILIES
        .iter()
        .filter(|f| !left_out.iter().any(|(l, _)| *l == f.0))
        .copied()
        .collect()
}

/// The source table: each of `families`' column, rows `0..n` inserted before the source starts
/// (snapshotted), rows `100..` after (streamed). Returns the worker running our source onto
/// Kafka under `prefix` and the number of rows.
async fn source(
    src: &PgFixture,
    prefix: &str,
    families: &[(&str, &str, &str, &[&str])],
    lists: &[Vec<&str>],
) -> (Standalone, usize) {
    let rows = lists.iter().map(Vec::len).max().unwrap_or(0);
    create_table(src, families).await;
    src.exec(&inserts(lists, 0)).await;
    let worker = Standalone::new(
        &format!(
            "offset.flush.interval.ms=100\nbootstrap.servers={}\n",
            broker::bootstrap()
        ),
        "pg",
        src.connector_config(&[
            ("topic.prefix", prefix),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.replication.factor", "1"),
        ]),
    );
    (worker, rows)
}

/// Whether both targets hold `n` rows (`theirs`, `ours`); fails with both sinks' states when
/// either sink failed or 180 s passed since `start`.
fn all_rows(
    n: i64,
    (theirs, ours): (i64, i64),
    start: Instant,
    w: &Worker,
    reference: &Reference,
) -> bool {
    if theirs == n && ours == n {
        return true;
    }
    let status = reference.status();
    assert_ne!(
        status["tasks"][0]["state"], "FAILED",
        "Debezium's JDBC sink failed ({theirs} of {n} rows written): {}",
        status["tasks"][0]["trace"]
    );
    let our_status = w.get("/connectors/jdbc/status").body;
    assert!(
        !our_status.contains("\"FAILED\""),
        "our JDBC sink failed ({ours} of {n} rows written): {our_status}\nour worker's log:\n{}",
        w.log_text()
    );
    assert!(
        start.elapsed() < Duration::from_secs(180),
        "after 180 s Debezium's target holds {theirs} and ours {ours} of {n} rows;\n\
         Debezium's sink: {status}\nours: {our_status}\nour worker's log:\n{}",
        w.log_text()
    );
    false
}

async fn pg_count(db: &PgFixture, table: &str) -> i64 {
    db.client
        .query_one(&format!("SELECT count(*) FROM \"{table}\""), &[])
        .await
        .map(|r| r.get(0))
        .unwrap_or(-1)
}

/// `table` as PostgreSQL prints it.
async fn pg_table(db: &PgFixture, table: &str) -> Table {
    let columns: Vec<(String, String, bool, bool)> = db
        .client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, \
                    coalesce(a.attnum = ANY (i.indkey), false) \
             FROM pg_attribute a \
             LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
             WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[&format!("\"{table}\"")],
        )
        .await
        .unwrap_or_else(|e| panic!("the columns of {table}: {e:?}"))
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let select: Vec<String> = columns
        .iter()
        .map(|(c, ..)| format!("t.\"{c}\"::text"))
        .collect();
    let rows = db
        .client
        .query(
            &format!(
                "SELECT t.id::int8, {} FROM \"{table}\" t ORDER BY t.id",
                select.join(", ")
            ),
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("the rows of {table}: {e:?}"))
        .iter()
        .map(|r| {
            let values = (1..=columns.len()).map(|i| r.get(i)).collect();
            (r.get::<_, i64>(0), values)
        })
        .collect();
    Table { columns, rows }
}

/// Whether `entry` covers `aspect` of a column, or the value in row `id`.
fn covers(entry: Aspect, aspect: Aspect, id: i64) -> bool {
    match (entry, aspect) {
        (Aspect::Values(indexes), Aspect::Values(_)) => {
            indexes.is_empty() || indexes.contains(&((id % 100) as usize))
        }
        _ => entry == aspect,
    }
}

/// Compares Debezium's table with ours; returns the differences not in `allowed`, and the
/// allow-list entries that match no difference.
fn compare(debezium: &Table, ours: &Table, allowed: &[(&str, Aspect, &str)]) -> Vec<String> {
    let mut used = vec![false; allowed.len()];
    let mut unexpected = Vec::new();
    let mut allow = |column: &str, aspect: Aspect, id: i64| -> bool {
        match allowed
            .iter()
            .position(|(c, a, _)| *c == column && covers(*a, aspect, id))
        {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        }
    };
    let names = |t: &Table| t.columns.iter().map(|c| c.0.clone()).collect::<Vec<_>>();
    if names(debezium) != names(ours) && !allow("(columns)", Aspect::Type, 0) {
        unexpected.push(format!(
            "the columns differ:\n  Debezium {:?}\n  ours     {:?}",
            names(debezium),
            names(ours)
        ));
    }
    let ids = |t: &Table| t.rows.keys().copied().collect::<Vec<_>>();
    if ids(debezium) != ids(ours) {
        unexpected.push(format!(
            "the rows differ:\n  Debezium {:?}\n  ours     {:?}",
            ids(debezium),
            ids(ours)
        ));
    }
    for (i, (name, ty, nullable, key)) in debezium.columns.iter().enumerate() {
        let Some(j) = ours.columns.iter().position(|c| &c.0 == name) else {
            continue;
        };
        let (_, our_ty, our_nullable, our_key) = &ours.columns[j];
        if ty != our_ty && !allow(name, Aspect::Type, 0) {
            unexpected.push(format!("{name}: type: Debezium {ty}, ours {our_ty}"));
        }
        if nullable != our_nullable && !allow(name, Aspect::Nullable, 0) {
            unexpected.push(format!(
                "{name}: nullable: Debezium {nullable}, ours {our_nullable}"
            ));
        }
        if key != our_key && !allow(name, Aspect::Key, 0) {
            unexpected.push(format!(
                "{name}: in the primary key: Debezium {key}, ours {our_key}"
            ));
        }
        for (id, theirs) in &debezium.rows {
            let Some(our_row) = ours.rows.get(id) else {
                continue;
            };
            if theirs[i] != our_row[j] && !allow(name, Aspect::Values(&[]), *id) {
                unexpected.push(format!(
                    "{name}: row {id}: Debezium {:?}, ours {:?}",
                    theirs[i], our_row[j]
                ));
            }
        }
    }
    for (i, (column, aspect, reason)) in allowed.iter().enumerate() {
        if !used[i] {
            unexpected.push(format!(
                "{column}: allowed ({aspect:?}: {reason}) but no longer differs: remove it from \
                 the allow-list and docs/compat.md"
            ));
        }
    }
    unexpected
}

/// The PostgreSQL target: the differences not allowed.
async fn into_postgresql() -> Vec<String> {
    let src = PgFixture::start("jdbc_dbz_src").await;
    let theirs = PgFixture::start("jdbc_dbz_theirs").await;
    let ours = PgFixture::start("jdbc_dbz_ours").await;
    for db in [&theirs, &ours] {
        db.exec("CREATE EXTENSION IF NOT EXISTS hstore").await;
    }
    let prefix = format!("jdbc_dbz_pg_{}", std::process::id());
    let topic = format!("{prefix}.public.t");
    let families = families(LEFT_OUT_PG);
    let lists: Vec<Vec<&str>> = families.iter().map(|f| f.3.to_vec()).collect();
    let (worker, rows) = source(&src, &prefix, &families, &lists).await;
    let w = worker.start();
    // The topic exists, with the snapshot, before either sink subscribes to it.
    broker::read_at_least(
        &broker::bootstrap(),
        &topic,
        rows,
        Duration::from_secs(60),
        || w.log_text(),
    );

    let config = |db: &PgFixture| {
        let s = &db.server;
        sink_config(
            &topic,
            &format!("jdbc:postgresql://{}:{}/{}", s.host, s.port, db.dbname),
            &s.user,
            &s.password,
        )
    };
    let reference = debezium_sink(&format!("{prefix}_jdbc"), config(&theirs));
    our_sink(&w, config(&ours));
    src.exec(&inserts(&lists, 100)).await;

    let table = format!("{prefix}_public_t");
    let start = Instant::now();
    while !all_rows(
        2 * rows as i64,
        (
            pg_count(&theirs, &table).await,
            pg_count(&ours, &table).await,
        ),
        start,
        &w,
        &reference,
    ) {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (debezium, tributary) = (
        pg_table(&theirs, &table).await,
        pg_table(&ours, &table).await,
    );
    assert_eq!(
        debezium.columns.len(),
        families.len() + 1,
        "Debezium's table: {:?}",
        debezium.columns
    );
    let differ = compare(&debezium, &tributary, ALLOWED_PG);
    drop(reference);
    w.stop();
    differ
        .into_iter()
        .map(|d| format!("PostgreSQL: {d}"))
        .collect()
}

async fn my_count(db: &mut MyFixture, table: &str) -> i64 {
    db.conn
        .query_first::<i64, _>(format!("SELECT COUNT(*) FROM `{table}`"))
        .await
        .ok()
        .flatten()
        .unwrap_or(-1)
}

/// `table` as MariaDB prints it: `COLUMN_TYPE`, and each value as `CAST(... AS CHAR)` (binary
/// strings and bits in hex, geometries as WKT).
async fn my_table(db: &mut MyFixture, table: &str) -> Table {
    let columns: Vec<(String, String, String, String, String)> = db
        .conn
        .exec(
            "SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_KEY \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
             ORDER BY ORDINAL_POSITION",
            (table,),
        )
        .await
        .unwrap_or_else(|e| panic!("the columns of {table}: {e}"));
    let select: Vec<String> = columns
        .iter()
        .map(|(c, _, data_type, ..)| {
            let c = format!("t.`{c}`");
            match data_type.as_str() {
                "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob"
                | "bit" => format!("HEX({c})"),
                "geometry" | "point" => format!("ST_AsText({c})"),
                _ => format!("CAST({c} AS CHAR)"),
            }
        })
        .collect();
    let rows: Vec<mysql_async::Row> = db
        .conn
        .query(format!(
            "SELECT CAST(t.id AS SIGNED), {} FROM `{table}` t ORDER BY t.id",
            select.join(", ")
        ))
        .await
        .unwrap_or_else(|e| panic!("the rows of {table}: {e}"));
    let rows = rows
        .into_iter()
        .map(|mut r| {
            let values = (1..=columns.len())
                .map(|i| {
                    r.take::<Option<Vec<u8>>, _>(i)
                        .flatten()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                })
                .collect();
            (r.take::<i64, _>(0).unwrap(), values)
        })
        .collect();
    Table {
        columns: columns
            .into_iter()
            .map(|(c, ty, _, nullable, key)| (c, ty, nullable == "YES", key == "PRI"))
            .collect(),
        rows,
    }
}

/// The MariaDB target: the differences not allowed.
async fn into_mariadb() -> Vec<String> {
    let src = PgFixture::start("jdbc_dbz_maria_src").await;
    let mut theirs = MyFixture::start("jdbc_dbz_theirs").await;
    let mut ours = MyFixture::start("jdbc_dbz_ours").await;
    let prefix = format!("jdbc_dbz_maria_{}", std::process::id());
    let topic = format!("{prefix}.public.t");
    let families = families(LEFT_OUT_MARIADB);
    // Values MariaDB cannot hold are left out (our sink refuses their rows; tests/rest/jdbc_types_mariadb.rs).
    let lists: Vec<Vec<&str>> = families
        .iter()
        .map(|(name, _, _, values)| {
            values
                .iter()
                .copied()
                .filter(|v| !NOT_HELD.contains(&(name, v)))
                .collect()
        })
        .collect();
    let (worker, rows) = source(&src, &prefix, &families, &lists).await;
    let w = worker.start();
    // The topic exists, with the snapshot, before either sink subscribes to it.
    broker::read_at_least(
        &broker::bootstrap(),
        &topic,
        rows,
        Duration::from_secs(60),
        || w.log_text(),
    );

    let config = |db: &MyFixture| {
        let s = &db.server;
        sink_config(
            &topic,
            &format!("jdbc:mariadb://{}:{}/{}", s.host, s.port, db.db),
            &s.user,
            &s.password,
        )
    };
    let reference = debezium_sink(&format!("{prefix}_jdbc"), config(&theirs));
    our_sink(&w, config(&ours));
    src.exec(&inserts(&lists, 100)).await;

    let table = format!("{prefix}_public_t");
    let start = Instant::now();
    while !all_rows(
        2 * rows as i64,
        (
            my_count(&mut theirs, &table).await,
            my_count(&mut ours, &table).await,
        ),
        start,
        &w,
        &reference,
    ) {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (debezium, tributary) = (
        my_table(&mut theirs, &table).await,
        my_table(&mut ours, &table).await,
    );
    assert_eq!(
        debezium.columns.len(),
        families.len() + 1,
        "Debezium's table: {:?}",
        debezium.columns
    );
    let differ = compare(&debezium, &tributary, ALLOWED_MARIADB);
    drop(reference);
    w.stop();
    differ
        .into_iter()
        .map(|d| format!("MariaDB: {d}"))
        .collect()
}

/// One test for both targets, one after the other: Debezium's column types are singletons that
/// keep the dialect of the sink that configured them last, so a PostgreSQL and a MariaDB sink
/// running at once in one Connect worker create each other's types (MariaDB tables with
/// PostgreSQL's `text` and `timestamp(6)`, observed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_jdbc_sink_writes_what_debeziums_writes_into_postgresql_and_mariadb() {
    let mut differ = into_postgresql().await;
    differ.extend(into_mariadb().await);
    assert!(
        differ.is_empty(),
        "{} differences between Debezium's tables and ours:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
