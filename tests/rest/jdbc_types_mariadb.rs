//! Every PostgreSQL golden type family (`crates/pg-wal/tests/type_families.rs`) through the
//! JDBC sink into MariaDB, the target table created by the sink from the records' schemas:
//! snapshotted and streamed values read back equal, each family compared through a PostgreSQL
//! and a MariaDB expression that print the same text for the same value (JSON compared parsed).
//! Values MariaDB cannot hold (NaN and infinite floats, infinite dates and timestamps) are in
//! `NOT_HELD`: the sink refuses their rows (to the dead-letter queue with
//! `errors.tolerance=all`, else the task fails naming the record); docs/compat.md lists them.

use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use serde_json::json;

use super::client::Standalone;
use super::jdbc_types::{create_table, inserts};
use crate::my_support::MyFixture;
use crate::support::PgFixture;

include!("../../crates/pg-wal/tests/type_families.rs");

macro_rules! as_list {
    ($($name:ident: $setup:expr, $ty:expr, [$($v:expr),* $(,)?];)*) => {
        &[$((stringify!($name), $setup, $ty, &[$($v),*])),*]
    };
}

const FAMILIES: &[(&str, &str, &str, &[&str])] = type_families!(as_list);

/// Values MariaDB has no representation for, left out of the rows.
pub(crate) const NOT_HELD: &[(&str, &str)] = &[
    ("floats", "'NaN'"),
    ("floats", "'Infinity'"),
    ("floats", "'-Infinity'"),
    ("real", "'NaN'"),
    ("date", "'infinity'"),
    ("date", "'-infinity'"),
    ("timestamp", "'infinity'"),
    ("timestamp", "'-infinity'"),
    ("timestamptz", "'infinity'"),
];

/// How a family is compared.
enum Cmp {
    /// The PostgreSQL and the MariaDB expressions print the same text (`{c}` is the column).
    Text(&'static str, &'static str),
    /// Both print JSON, compared parsed.
    Json(&'static str, &'static str),
    /// The source's events carry less than the column held (as in `jdbc_types.rs`): NULLs only.
    Nulls,
}

fn compare(family: &str) -> Cmp {
    match family {
        // decimal(65,30) pads: both sides without trailing zeros.
        "numeric_variable_scale" => Cmp::Text(
            "trim_scale({c})::text",
            "TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST({c} AS CHAR)))",
        ),
        "money" => Cmp::Text("{c}::numeric::text", "CAST({c} AS CHAR)"),
        "boolean" => Cmp::Text("{c}::int::text", "CAST({c} AS CHAR)"),
        "bpchar" => Cmp::Text("{c}::char(5)::text", "RTRIM({c})"),
        "bytea_all_bytes" => Cmp::Text("encode({c}, 'hex')", "LOWER(HEX({c}))"),
        "date" => Cmp::Text("to_char({c}, 'YYYY-MM-DD')", "DATE_FORMAT({c}, '%Y-%m-%d')"),
        "time" => Cmp::Text(
            "to_char('2000-01-01'::date + {c}, 'HH24:MI:SS.US')",
            "TIME_FORMAT({c}, '%H:%i:%s.%f')",
        ),
        // Debezium's ZonedTime is UTC; MariaDB's time holds it in use.time.zone (UTC).
        "timetz" => Cmp::Text(
            "to_char('2000-01-01'::date + ({c} AT TIME ZONE 'UTC')::time, 'HH24:MI:SS.US')",
            "TIME_FORMAT({c}, '%H:%i:%s.%f')",
        ),
        "timestamp" | "timestamp_ms" => Cmp::Text(
            "to_char({c}, 'YYYY-MM-DD HH24:MI:SS.US')",
            "DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')",
        ),
        "timestamptz" => Cmp::Text(
            "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')",
            "DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')",
        ),
        "network" => Cmp::Text("abbrev({c})", "{c}"),
        "bits" => Cmp::Text("{c}::text", "LPAD(BIN({c}), 10, '0')"),
        "json" | "jsonb" => Cmp::Json("{c}::text", "{c}"),
        "int_array_with_nulls" | "text_array" => Cmp::Json("array_to_json({c})::text", "{c}"),
        "hstore" => Cmp::Json("hstore_to_json({c})::text", "{c}"),
        "enum_type" | "domain_type" => Cmp::Text("{c}::text", "CAST({c} AS CHAR)"),
        "point" => Cmp::Text(
            "({c})[0]::text || ',' || ({c})[1]::text",
            "CONCAT(ST_X({c}), ',', ST_Y({c}))",
        ),
        "interval" | "varbit" => Cmp::Nulls,
        _ => Cmp::Text("{c}::text", "CAST({c} AS CHAR)"),
    }
}

fn held(family: &str, value: &str) -> bool {
    !NOT_HELD.contains(&(family, value))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_golden_type_family_replicates_postgresql_to_mariadb() {
    let src = PgFixture::start("jdbc_types_maria_src").await;
    let mut dst = MyFixture::start("jdbc_types_maria_dst").await;
    let lists: Vec<Vec<&str>> = FAMILIES
        .iter()
        .map(|(name, _, _, values)| values.iter().copied().filter(|v| held(name, v)).collect())
        .collect();
    let rows = lists.iter().map(Vec::len).max().unwrap_or(0);
    create_table(&src, FAMILIES).await;
    src.exec(&inserts(&lists, 0)).await;

    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    let server = &dst.server;
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": {
            "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
            "topics": "test.public.t",
            "connection.url": format!("jdbc:mariadb://{}:{}/{}", server.host, server.port, dst.db),
            "connection.username": server.user,
            "connection.password": server.password,
            "insert.mode": "upsert",
            "primary.key.mode": "record_key",
            "schema.evolution": "basic",
        }}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    src.exec(&inserts(&lists, 100)).await;

    let target = "test_public_t";
    let start = Instant::now();
    loop {
        let n: Option<i64> = dst
            .conn
            .query_first(format!("SELECT COUNT(*) FROM {target}"))
            .await
            .unwrap_or(None);
        if n == Some(2 * rows as i64) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{n:?} of {} rows in the target; status {}; log:\n{}",
            2 * rows,
            w.get("/connectors/jdbc/status").body,
            w.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut differ = Vec::new();
    for (name, _, ty, _) in FAMILIES {
        let c = format!("c_{name}");
        let (pg, maria, parsed) = match compare(name) {
            Cmp::Text(p, m) => (p.replace("{c}", &c), m.replace("{c}", &c), false),
            Cmp::Json(p, m) => (p.replace("{c}", &c), m.replace("{c}", &c), true),
            Cmp::Nulls => (
                format!("({c} IS NULL)::text"),
                format!("IF({c} IS NULL, 'true', 'false')"),
                false,
            ),
        };
        let want: Vec<Option<String>> = src
            .client
            .query(&format!("SELECT ({pg})::text FROM t ORDER BY id"), &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let got: Result<Vec<Option<String>>, _> = dst
            .conn
            .query(format!(
                "SELECT CAST({maria} AS CHAR) FROM {target} ORDER BY id"
            ))
            .await;
        let got = got.map_err(|e| e.to_string());
        let normal = |v: &[Option<String>]| -> Vec<Option<serde_json::Value>> {
            v.iter()
                .map(|t| {
                    t.as_deref()
                        .map(|t| serde_json::from_str(t).unwrap_or(json!(t)))
                })
                .collect()
        };
        let same = match &got {
            Ok(got) if parsed => normal(&want) == normal(got),
            Ok(got) => &want == got,
            Err(_) => false,
        };
        if !same {
            let target_type: Option<String> = dst
                .conn
                .exec_first(
                    "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
                    (target, &c),
                )
                .await
                .unwrap_or(None);
            differ.push(format!(
                "{name} ({ty} -> {}):\n  source {want:?}\n  target {got:?}",
                target_type.unwrap_or_default()
            ));
        }
    }
    // A value MariaDB cannot hold is never written as something else: its record fails the task
    // (without errors.tolerance=all), naming it.
    src.exec("INSERT INTO t (id, c_floats) VALUES (999, 'NaN')")
        .await;
    let status = w.wait_for("/connectors/jdbc/status", "the task FAILED", |s| {
        s["tasks"][0]["state"] == "FAILED"
    });
    let trace = status["tasks"][0]["trace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    w.stop();
    assert!(
        trace.contains("test.public.t") && trace.contains("offset"),
        "{trace}"
    );
    assert!(
        differ.is_empty(),
        "{} families differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
