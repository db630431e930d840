//! One golden test per PostgreSQL type family, through the whole connector: the snapshot
//! (`op=r`, COPY BINARY), streaming in pgoutput's binary mode (`op=c`) and streaming in text
//! mode must give the same value, and that value must match `data/types/<family>.json`
//! (schema and payload as JsonConverter writes them).
//!
//! The golden files are what Debezium 3.6.1 writes for the same tables and values: the
//! differential test `tests/differential/golden.rs` (in the worker crate) checks them against
//! Debezium on Kafka Connect, and `TRIBUTARY_BLESS=debezium` there rewrites them from
//! Debezium's output. `TRIBUTARY_BLESS=1` here rewrites them from ours (for a new family, to be
//! checked by that test before it is committed).

use serde_json::{json, Value as Json};

use crate::support::PgFixture;

include!("type_families.rs");

/// Captures one column of `sql_type` holding `values` (SQL literals) all three ways.
async fn family(name: &str, setup: &str, sql_type: &str, values: &[&str]) {
    let db = PgFixture::start(&format!("type_{name}")).await;
    if !setup.is_empty() {
        db.exec(setup).await;
    }
    db.exec(&format!(
        "CREATE TABLE t (id int PRIMARY KEY, v {sql_type})"
    ))
    .await;
    let insert = |base: usize| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("INSERT INTO t VALUES ({}, {v});", base + i))
            .collect::<String>()
    };
    db.exec(&insert(0)).await;

    let mut cap = db.capture(&[]).await;
    let snap = cap.take(values.len()).await;
    db.exec(&insert(100)).await;
    let stream = cap.take(values.len()).await;
    cap.stop().await.0.unwrap();

    // Text mode on a second slot.
    let db2 = PgFixture::start(&format!("type_{name}_t")).await;
    if !setup.is_empty() {
        db2.exec(setup).await;
    }
    db2.exec(&format!(
        "CREATE TABLE t (id int PRIMARY KEY, v {sql_type})"
    ))
    .await;
    let mut cap2 = db2
        .capture(&[
            ("snapshot.mode", "no_data"),
            ("tributary.pgoutput.binary", "false"),
        ])
        .await;
    db2.exec(&insert(200)).await;
    let text = cap2.take(values.len()).await;
    cap2.stop().await.0.unwrap();

    let field_schema = |r: &crate::support::CapturedRecord| {
        r.value_with_schema["schema"]["fields"][1]["fields"][1].clone()
    };
    let got = json!({
        "type": sql_type,
        "schema": field_schema(&snap[0]),
        "values": snap.iter().map(|r| r.value["after"]["v"].clone()).collect::<Vec<_>>(),
    });
    for (i, r) in snap.iter().enumerate() {
        assert_eq!(r.value["op"], "r");
        assert_eq!(
            r.value["after"]["v"], stream[i].value["after"]["v"],
            "{name}: snapshot vs binary streaming for {}",
            values[i]
        );
        assert_eq!(stream[i].value["op"], "c");
        assert_eq!(
            r.value["after"]["v"], text[i].value["after"]["v"],
            "{name}: snapshot vs text streaming for {}",
            values[i]
        );
    }
    assert_eq!(
        field_schema(&snap[0]),
        field_schema(&stream[0]),
        "{name}: schema differs between snapshot and streaming"
    );

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/data/types/{name}.json"));
    if std::env::var_os("TRIBUTARY_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let want: Json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with TRIBUTARY_BLESS=1 to create it)",
            path.display()
        )
    }))
    .unwrap();
    assert_eq!(got, want, "{name}: output differs from {}", path.display());
}

macro_rules! families {
    ($($name:ident: $setup:expr, $ty:expr, [$($v:expr),* $(,)?];)*) => {$(
        #[tokio::test]
        async fn $name() {
            family(stringify!($name), $setup, $ty, &[$($v),*]).await;
        }
    )*};
}

type_families!(families);
