//! The golden type files (`crates/pg-wal/tests/data/types/<family>.json`, checked against our
//! output by `crates/pg-wal/tests/types.rs`) are what Debezium 3.6.1 writes: every family's
//! table and values (`crates/pg-wal/tests/type_families.rs`) snapshotted by Debezium on the
//! reference Kafka Connect worker (JsonConverter with schemas), and each file compared with the
//! column's schema and values Debezium wrote. `TRIBUTARY_BLESS=debezium` rewrites the files
//! from Debezium's output instead.

use std::time::Duration;

use serde_json::{json, Value};

use super::Reference;
use crate::kafka::broker;
use crate::support::PgFixture;

const JSON: &str = "org.apache.kafka.connect.json.JsonConverter";

include!("../../crates/pg-wal/tests/type_families.rs");

macro_rules! as_list {
    ($($name:ident: $setup:expr, $ty:expr, [$($v:expr),* $(,)?];)*) => {
        &[$((stringify!($name), $setup, $ty, &[$($v),*])),*]
    };
}

/// (family, setup SQL, column type, values as SQL literals).
const FAMILIES: &[(&str, &str, &str, &[&str])] = type_families!(as_list);

/// Where the golden file keeps our value and Debezium's snapshot writes another, deliberately
/// (docs/compat.md): (family, index of the value, reason). The test checks Debezium still
/// differs there, so the entry goes when it stops.
const DELIBERATE: &[(&str, usize, &str)] = &[
    (
        "date",
        3,
        "'infinity': Debezium's snapshot reads PgJDBC's infinity sentinel through java.sql.Date \
         (-622191234); its streaming path and ours write the same value on both paths",
    ),
    (
        "date",
        4,
        "'-infinity': as 'infinity' (Debezium's snapshot -625821272)",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_type_files_are_what_debezium_writes() {
    let bootstrap = broker::bootstrap();
    let db = PgFixture::start("golden_types").await;
    for (name, setup, ty, values) in FAMILIES {
        if !setup.is_empty() {
            db.exec(setup).await;
        }
        db.exec(&format!(
            "CREATE TABLE t_{name} (id int PRIMARY KEY, v {ty})"
        ))
        .await;
        let rows: String = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("INSERT INTO t_{name} VALUES ({i}, {v});"))
            .collect();
        // Each family's setup stays with its family (`SET timezone`, say).
        db.exec(&format!("{rows} RESET ALL;")).await;
    }

    let prefix = format!("golden_{}", db.dbname);
    db.create_publication(&format!("{prefix}_pub")).await;
    let mut config = db.connector_config(&[]);
    config.remove("status.update.interval.ms");
    for (k, v) in [
        ("topic.prefix", prefix.as_str()),
        ("slot.name", prefix.as_str()),
        ("publication.name", &format!("{prefix}_pub")),
        ("snapshot.mode", "initial_only"),
        ("key.converter", JSON),
        ("value.converter", JSON),
        ("value.converter.schemas.enable", "true"),
        ("tasks.max", "1"),
        ("plugin.name", "pgoutput"),
    ] {
        config.insert(k.to_owned(), v.to_owned());
    }
    let reference = Reference::create(&prefix, &config);

    let bless = std::env::var("TRIBUTARY_BLESS").is_ok_and(|b| b == "debezium");
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/pg-wal/tests/data/types");
    let mut differ = Vec::new();
    for (name, _, ty, values) in FAMILIES {
        let topic = format!("{prefix}.public.t_{name}");
        let mut records: Vec<Value> =
            broker::read_all(&bootstrap, &topic, values.len(), Duration::from_secs(120))
                .iter()
                .filter_map(|r| r.value.as_deref())
                .map(|v| serde_json::from_slice(v).expect("Debezium's value is JSON"))
                .collect();
        assert_eq!(
            records.len(),
            values.len(),
            "{topic}: Debezium wrote {} records for {} rows",
            records.len(),
            values.len()
        );
        records.sort_by_key(|r| r["payload"]["after"]["id"].as_i64());
        // The same shape types.rs builds from our records: the column's schema in the value's
        // `after` struct, and its value in each row.
        let debezium = json!({
            "type": ty,
            "schema": records[0]["schema"]["fields"][1]["fields"][1],
            "values": records.iter().map(|r| r["payload"]["after"]["v"].clone()).collect::<Vec<_>>(),
        });
        let path = dir.join(format!("{name}.json"));
        let golden: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap();
        // Debezium's output, with our value where a deliberate difference is listed.
        let mut expected = debezium.clone();
        for (_, i, _) in DELIBERATE.iter().filter(|(f, _, _)| f == name) {
            let ours = &golden["values"][i];
            if &debezium["values"][i] == ours {
                differ.push(format!(
                    "{name}[{i}]: listed as deliberate, but Debezium now writes our {ours}: \
                     remove it from DELIBERATE"
                ));
            }
            expected["values"][i] = ours.clone();
        }
        if bless {
            let pretty = serde_json::to_string_pretty(&expected).unwrap();
            std::fs::write(&path, pretty + "\n").unwrap();
        } else if golden != expected {
            differ.push(format!(
                "{name}:\n  golden:   {golden}\n  Debezium: {debezium}"
            ));
        }
    }
    drop(reference);
    assert!(
        differ.is_empty(),
        "{} of {} golden type files differ from what Debezium 3.6.1 writes \
         (TRIBUTARY_BLESS=debezium rewrites them; then crates/pg-wal/tests/types.rs shows where \
         we differ):\n{}",
        differ.len(),
        FAMILIES.len(),
        differ.join("\n")
    );
    let _ = db
        .client
        .execute("SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", &[&prefix])
        .await;
}
