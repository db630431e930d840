//! One golden test per PostgreSQL type family, through the whole connector: the snapshot
//! (`op=r`, COPY BINARY), streaming in pgoutput's binary mode (`op=c`) and streaming in text
//! mode must give the same value, and that value must match `data/types/<family>.json`
//! (schema and payload as JsonConverter writes them).
//!
//! `TRIBUTARY_BLESS=1` rewrites the golden files from the snapshot's output; review the diff.

use serde_json::{json, Value as Json};

use crate::support::PgFixture;

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

families! {
    numeric_precise: "", "numeric(40, 5)", ["0", "-1.5", "123456789012345678901234567890.12345", "NULL"];
    numeric_variable_scale: "", "numeric", ["0.001", "-98765432109876543210.123", "1e20"];
    integers: "", "bigint", ["0", "-9223372036854775808", "9223372036854775807"];
    smallint: "", "smallint", ["-32768", "32767"];
    floats: "", "double precision", ["1.5", "'NaN'", "'Infinity'", "'-Infinity'", "-0.0"];
    real: "", "real", ["3.3", "'NaN'"];
    money: "", "money", ["12.34", "-0.01"];
    boolean: "", "boolean", ["true", "false", "NULL"];
    text_4byte: "", "text", ["'plain'", "'emoji 😀 𝄞'", "''", "'quote '' and \\\\ backslash'"];
    varchar: "", "varchar(20)", ["'abc'"];
    bpchar: "", "char(5)", ["'ab'"];
    bytea_all_bytes: "", "bytea", ["(SELECT string_agg(set_byte('\\x00'::bytea, 0, g), ''::bytea) FROM generate_series(0, 255) g)", "'\\x'"];
    date: "", "date", ["'2024-02-29'", "'1970-01-01'", "'0001-01-01'", "'infinity'", "'-infinity'"];
    time: "", "time(6)", ["'13:14:15.123456'", "'00:00:00'"];
    timetz: "", "timetz", ["'13:14:15.5+02'"];
    timestamp: "", "timestamp(6)", ["'2024-01-02 03:04:05.123456'", "'infinity'", "'-infinity'"];
    timestamp_ms: "", "timestamp(3)", ["'2024-01-02 03:04:05.123'"];
    timestamptz: "SET timezone = 'Europe/Paris'", "timestamptz", ["'2024-01-02 03:04:05.123456+00'", "'2024-07-01 00:00:00+05:30'", "'infinity'"];
    interval: "", "interval", ["'1 year 2 months 3 days 04:05:06.789'", "'-1 day'", "'0'"];
    json: "", "json", ["'{\"a\": [1, 2, null]}'"];
    jsonb: "", "jsonb", ["'{\"b\": 1, \"a\": \"x\"}'"];
    uuid: "", "uuid", ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"];
    network: "", "inet", ["'192.168.0.1/24'", "'::1'", "'10.0.0.1'"];
    cidr: "", "cidr", ["'10.1.0.0/16'"];
    macaddr: "", "macaddr", ["'08:00:2b:01:02:03'"];
    bits: "", "bit(10)", ["B'1010000001'"];
    varbit: "", "varbit", ["B'101'", "B''"];
    int_array_with_nulls: "", "int[]", ["'{1,NULL,3}'", "'{}'"];
    text_array: "", "text[]", ["ARRAY['a', NULL, 'c,d']"];
    enum_type: "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')", "mood", ["'happy'", "'sad'"];
    domain_type: "CREATE DOMAIN posint AS int CHECK (VALUE > 0)", "posint", ["7"];
    hstore: "CREATE EXTENSION IF NOT EXISTS hstore", "hstore", ["'a=>1, b=>NULL'"];
    ranges: "", "int4range", ["'[1,10)'", "'empty'"];
    tsrange: "", "tstzrange", ["'[2024-01-01 00:00:00+00,2024-02-01 00:00:00+00)'"];
    point: "", "point", ["'(1.5,-2)'"];
    xml: "", "xml", ["'<a>1</a>'"];
}
