//! Every PostgreSQL golden type family (`crates/pg-wal/tests/type_families.rs`) through the
//! JDBC sink into a second PostgreSQL database, the target table created by the sink from the
//! records' schemas: snapshotted and streamed values read back equal, compared as PostgreSQL
//! prints them. Families whose target type differs by design are compared through the cast
//! listed in `DIFFERENT_TYPE` (docs/compat.md says what the sink writes for them).

use std::time::{Duration, Instant};

use super::client::Standalone;
use super::jdbc_sink::create_jdbc_sink;
use crate::support::PgFixture;

include!("../../crates/pg-wal/tests/type_families.rs");

macro_rules! as_list {
    ($($name:ident: $setup:expr, $ty:expr, [$($v:expr),* $(,)?];)*) => {
        &[$((stringify!($name), $setup, $ty, &[$($v),*])),*]
    };
}

const FAMILIES: &[(&str, &str, &str, &[&str])] = type_families!(as_list);

/// Families whose column the sink creates with another type than the source's, and the
/// expressions the source and the target are compared through (`{c}` is the column).
const DIFFERENT_TYPE: &[(&str, &str, &str)] = &[
    // Debezium writes money as a decimal: the target column is numeric.
    ("money", "{c}::numeric", "{c}"),
    // Enums and domains arrive as their text / base type.
    ("enum_type", "{c}::text", "{c}"),
    ("domain_type", "{c}::int", "{c}"),
    // hstore arrives as JSON (the connector's hstore.handling.mode=json).
    ("hstore", "hstore_to_jsonb({c})", "{c}::jsonb"),
    // char(n) arrives padded, into a text column.
    ("bpchar", "{c}::char(5)::text", "rtrim({c})"),
    // timetz arrives as UTC (Debezium's ZonedTime): the same instant of the day.
    ("timetz", "({c} AT TIME ZONE 'UTC')::text", "{c}::text"),
    // inet / cidr / macaddr arrive as text as PostgreSQL prints them without the netmask.
    ("network", "abbrev({c})", "{c}"),
    ("json", "{c}::jsonb", "{c}::jsonb"),
];

/// Families the source's events carry with less than the source column held, so no sink can
/// restore it (docs/compat.md): compared only for NULLs.
const LOSSY: &[(&str, &str)] = &[
    (
        "interval",
        "interval.handling.mode=numeric (the connector's default) gives microseconds with 30.4375-day months",
    ),
    (
        "varbit",
        "io.debezium.data.Bits of a bit varying carries bytes without the bit count: leading zeros are lost (the sink writes the bits up to the highest one set, as Debezium's)",
    ),
];

fn expr(family: &str, target: bool) -> String {
    let c = format!("c_{family}");
    match DIFFERENT_TYPE.iter().find(|(f, _, _)| *f == family) {
        Some((_, src, _)) if !target => src.replace("{c}", &c),
        Some((_, _, dst)) => dst.replace("{c}", &c),
        None if LOSSY.iter().any(|(f, _)| *f == family) => format!("{c} IS NULL"),
        None => c,
    }
}

async fn column(
    db: &PgFixture,
    table: &str,
    family: &str,
    target: bool,
) -> Result<Vec<Option<String>>, String> {
    let sql = format!(
        "SELECT ({})::text FROM {table} ORDER BY id",
        expr(family, target)
    );
    db.client
        .query(&sql, &[])
        .await
        .map(|rows| rows.iter().map(|r| r.get::<_, Option<String>>(0)).collect())
        .map_err(|e| e.to_string())
}

/// Creates table `t` in `src`: `id`, then a column `c_{family}` of each family's type (after
/// the family's setup statement, if any).
pub(crate) async fn create_table(src: &PgFixture, families: &[(&str, &str, &str, &[&str])]) {
    let mut ddl = String::from("CREATE TABLE t (id int PRIMARY KEY");
    for (name, setup, ty, _) in families {
        if !setup.is_empty() && !setup.starts_with("SET ") {
            src.exec(setup).await;
        }
        ddl.push_str(&format!(", c_{name} {ty}"));
    }
    ddl.push(')');
    src.exec(&ddl).await;
}

/// `INSERT INTO t` statements of rows `base..`, one per value of the longest of `lists` (one
/// list per column after `id`): row `base + i` holds value `i` of every list (NULL past its end).
pub(crate) fn inserts<'v>(lists: &[impl AsRef<[&'v str]>], base: usize) -> String {
    let rows = lists.iter().map(|l| l.as_ref().len()).max().unwrap_or(0);
    let mut sql = String::new();
    for i in 0..rows {
        let values: Vec<&str> = lists
            .iter()
            .map(|l| l.as_ref().get(i).copied().unwrap_or("NULL"))
            .collect();
        sql.push_str(&format!(
            "INSERT INTO t VALUES ({}, {});",
            base + i,
            values.join(", ")
        ));
    }
    sql
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_golden_type_family_replicates_postgresql_to_postgresql() {
    let src = PgFixture::start("jdbc_types_src").await;
    let dst = PgFixture::start("jdbc_types_dst").await;
    dst.exec("CREATE EXTENSION IF NOT EXISTS hstore").await;
    let rows = FAMILIES.iter().map(|f| f.3.len()).max().unwrap_or(0);
    create_table(&src, FAMILIES).await;
    // Rows 0..rows snapshotted, rows 100.. streamed.
    let lists: Vec<&[&str]> = FAMILIES.iter().map(|f| f.3).collect();
    src.exec(&inserts(&lists, 0)).await;

    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    create_jdbc_sink(
        &w,
        "test.public.t",
        &dst,
        &[
            ("insert.mode", "upsert"),
            ("primary.key.mode", "record_key"),
            ("schema.evolution", "basic"),
        ],
    );
    src.exec(&inserts(&lists, 100)).await;

    let target = "test_public_t";
    let start = Instant::now();
    loop {
        let n = dst
            .client
            .query_one(&format!("SELECT count(*) FROM {target}"), &[])
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(0);
        if n == 2 * rows as i64 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{n} of {} rows in the target; status {}; log:\n{}",
            2 * rows,
            w.get("/connectors/jdbc/status").body,
            w.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut differ = Vec::new();
    for (name, _, ty, _) in FAMILIES {
        let want = column(&src, "t", name, false).await;
        let got = column(&dst, target, name, true).await;
        if want != got {
            let target_type = dst
                .client
                .query_one(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2",
                    &[&target, &format!("c_{name}")],
                )
                .await
                .map(|r| r.get::<_, String>(0))
                .unwrap_or_default();
            differ.push(format!(
                "{name} ({ty} -> {target_type}):\n  source {want:?}\n  target {got:?}"
            ));
        }
    }
    w.stop();
    assert!(
        differ.is_empty(),
        "{} families differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
