//! MariaDB: Debezium's `MySqlConnector` on the reference Connect worker and ours (also as
//! `MySqlConnector`), on the same database and broker.
//!
//! Debezium 3.6's `MySqlConnector` does not start against MariaDB 10.11 by itself: it asks
//! `SHOW BINARY LOG STATUS` (MySQL 8.4's spelling), MariaDB answers with a syntax error, and the
//! fallback reads `SELECT VERSION()` = `10.11.x-MariaDB`, takes 10 for a MySQL major version
//! above 8.4 and fails the validation ("MySQL version 10.11.19-MariaDB-0+deb12u1-log should
//! support SHOW BINARY LOG STATUS but it failed"). Its own `MariaDbConnector`
//! (`debezium-connector-mariadb`) is not on Maven Central at 3.6.1. So Debezium reaches
//! MariaDB through [`Proxy`] (`bench/mysql_proxy.rs`), a byte-for-byte TCP relay that rewrites
//! that one statement to `SHOW MASTER STATUS` (the same columns on MariaDB); everything else,
//! the binlog stream included, passes untouched.

use std::time::Duration;

use serde_json::Value;

use super::compare::{self, Summary};
use super::{compare_topic, map_topics, topics_with_prefix, Reference};
use crate::kafka::broker;
use crate::my_support::MyFixture;
use crate::worker::{stop, WorkerDir};

// The relay's code is shared with bench/mysql.sh.
#[path = "../../bench/mysql_proxy.rs"]
mod mysql_proxy;
use mysql_proxy::Proxy;

const JSON: &str = "org.apache.kafka.connect.json.JsonConverter";
const MYSQL: &str = "io.debezium.connector.mysql.MySqlConnector";

/// One scenario: statements run before the connectors start, then changes (each its own
/// statement, autocommitted unless it says otherwise), with the same extra config on both sides.
pub struct Scenario<'a> {
    pub name: &'a str,
    pub setup: &'a [&'a str],
    pub changes: &'a [&'a str],
    pub config: &'a [(&'a str, &'a str)],
}

/// The record values on `topic` (JSON with schemas), payloads only.
fn payloads(reads: &[broker::Read]) -> Vec<Value> {
    reads
        .iter()
        .filter_map(|r| r.value.as_deref())
        .map(|v| serde_json::from_slice::<Value>(v).unwrap()["payload"].clone())
        .collect()
}

/// A snapshot schema change event that creates a table.
fn snapshot_create_table(p: &Value) -> bool {
    p["source"]["snapshot"] != "false"
        && p["tableChanges"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "CREATE"))
}

/// Runs a scenario on both sides and compares every topic: the tables' topics and the schema
/// change topic `<prefix>`.
pub async fn run(s: Scenario<'_>) -> Summary {
    let bootstrap = broker::bootstrap();
    let mut db = MyFixture::start(&format!("diff_{}", s.name)).await;
    for sql in s.setup {
        db.exec(sql).await;
    }
    db.exec("CREATE TABLE diff_marker (id int PRIMARY KEY)")
        .await;
    db.exec("INSERT INTO diff_marker VALUES (0)").await;
    let dbz_prefix = format!("dbz_{}", db.db);
    let our_prefix = format!("trib_{}", db.db);
    let proxy = Proxy::start(&db.server.host, db.server.port);
    let side = |prefix: &str, server_id: u32, port: u16| -> cdc_core::ConfigMap {
        let mut c = db.connector_config(&[]);
        c.remove("schema.history.internal.file.filename");
        for (k, v) in [
            ("connector.class", MYSQL),
            ("topic.prefix", prefix),
            ("database.port", &port.to_string()),
            ("database.server.id", &server_id.to_string()),
            ("database.ssl.mode", "disabled"),
            (
                "schema.history.internal.kafka.topic",
                &format!("{prefix}-schema-history"),
            ),
            (
                "schema.history.internal.kafka.bootstrap.servers",
                &bootstrap,
            ),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.replication.factor", "1"),
            ("key.converter", JSON),
            ("key.converter.schemas.enable", "true"),
            ("value.converter", JSON),
            ("value.converter.schemas.enable", "true"),
            ("tasks.max", "1"),
            // Debezium's schema change topic otherwise carries the DDL of every database on
            // the server (other tests' included); ours keeps to the captured ones.
            (
                "schema.history.internal.store.only.captured.databases.ddl",
                "true",
            ),
        ] {
            c.insert(k.to_owned(), v.to_owned());
        }
        for (k, v) in s.config {
            c.insert((*k).to_owned(), (*v).to_owned());
        }
        c
    };
    let reference = Reference::create(
        &dbz_prefix,
        &side(&dbz_prefix, db.server_id + 5000, proxy.port),
    );
    let ours_cfg = side(&our_prefix, db.server_id, db.server.port);
    let ours = WorkerDir::with_config(&our_prefix, |_| ours_cfg)
        .with_worker_properties(&[("bootstrap.servers", &bootstrap)]);
    let mut worker = ours.start();
    let t0 = std::time::Instant::now();

    // Both snapshots have fixed their binlog position once their marker row is out (the
    // position is read before any row): every change from here on is streamed.
    for prefix in [&dbz_prefix, &our_prefix] {
        let marker = format!("{prefix}.{}.diff_marker", db.db);
        let got = broker::read_all(&bootstrap, &marker, 1, Duration::from_secs(120));
        assert!(
            !got.is_empty(),
            "{}: no snapshot of {marker} after 120 s; our worker's log:\n{}",
            s.name,
            ours.log_text()
        );
    }
    eprintln!("{}: snapshots seen after {:?}", s.name, t0.elapsed());
    for sql in s.changes {
        db.exec(sql).await;
    }
    db.exec("INSERT INTO diff_marker VALUES (1)").await;
    for prefix in [&dbz_prefix, &our_prefix] {
        let marker = format!("{prefix}.{}.diff_marker", db.db);
        let got = payloads(&broker::read_all(
            &bootstrap,
            &marker,
            2,
            Duration::from_secs(120),
        ));
        assert!(
            got.iter().any(|p| p["op"] == "c" && p["after"]["id"] == 1),
            "{}: no streamed marker on {marker} after 120 s: {got:?}; our worker's log:\n{}",
            s.name,
            ours.log_text()
        );
    }

    eprintln!("{}: markers seen after {:?}", s.name, t0.elapsed());
    let theirs_topics: Vec<String> = topics_with_prefix(&bootstrap, &dbz_prefix)
        .into_iter()
        .filter(|t| t == &dbz_prefix || t.starts_with(&format!("{dbz_prefix}.")))
        .collect();
    let our_topics: Vec<String> = topics_with_prefix(&bootstrap, &our_prefix)
        .into_iter()
        .filter(|t| t == &our_prefix || t.starts_with(&format!("{our_prefix}.")))
        .collect();
    let (mapped, mut summary) = map_topics(
        &theirs_topics,
        &our_topics,
        (dbz_prefix.as_str(), our_prefix.as_str()),
    );
    for (theirs_topic, our_topic) in theirs_topics.iter().zip(&mapped) {
        let theirs = broker::read_all(&bootstrap, theirs_topic, 0, Duration::from_secs(120));
        if our_topic == &our_prefix {
            // The schema change topic. Debezium's snapshot writes the DDL it replays (`SET
            // character_set_server`, `DROP TABLE IF EXISTS` each table, `DROP DATABASE`,
            // `CREATE DATABASE`, `USE`, `CREATE TABLE` each table), ours `CREATE DATABASE`
            // and `CREATE TABLE` each table (docs/compat.md): their snapshot `CREATE TABLE`
            // events are compared, then every streamed one, each in order.
            let ours_read = broker::read_all(&bootstrap, our_topic, 0, Duration::from_secs(30));
            for (part, pick) in [
                (
                    "snapshot CREATE TABLE",
                    snapshot_create_table as fn(&Value) -> bool,
                ),
                ("streamed", |p: &Value| p["source"]["snapshot"] == "false"),
            ] {
                let filter = |reads: &[broker::Read]| -> Vec<broker::Read> {
                    reads
                        .iter()
                        .filter(|r| {
                            r.value.as_deref().is_some_and(|v| {
                                pick(&serde_json::from_slice::<Value>(v).unwrap()["payload"])
                            })
                        })
                        .cloned()
                        .collect()
                };
                compare::merge(
                    &mut summary,
                    compare::compare(
                        s.name,
                        &format!("{our_topic} ({part})"),
                        &filter(&theirs),
                        &filter(&ours_read),
                        (&dbz_prefix, &our_prefix),
                    ),
                );
            }
            continue;
        }
        compare_topic(
            &mut summary,
            s.name,
            &bootstrap,
            our_topic,
            &theirs,
            (&dbz_prefix, &our_prefix),
        );
    }
    drop(reference);
    stop(&mut worker);
    summary
}

const TYPES: &[&str] = &[
    "CREATE TABLE types (
       id int PRIMARY KEY,
       ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned,
       mi mediumint, miu mediumint unsigned, i int, iu int unsigned, bi bigint, biu bigint unsigned,
       d decimal(10,3), d0 decimal(5,0), dl decimal(30,10),
       f float, db double,
       dt date, tm time, tm6 time(6), dtm datetime, dtm6 datetime(6), ts timestamp(6) NULL DEFAULT NULL,
       yr year,
       c char(5), vc varchar(50), tx text, cl char(5) CHARACTER SET latin1,
       vl varchar(20) CHARACTER SET latin1, tl text CHARACTER SET latin1,
       bn binary(4), vb varbinary(10), bl blob,
       e enum('a','b','c'), st set('x','y','z'),
       j json, b1 bit(1), b10 bit(10), bo bool
     ) DEFAULT CHARSET=utf8mb4",
    "INSERT INTO types VALUES (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648,
       4294967295, -9223372036854775808, 18446744073709551615, 1234567.891, 12345,
       -12345678901234567890.0123456789, 1.5, 2.25, '2024-02-29', '-838:59:59', '12:34:56.789012',
       '2024-01-02 03:04:05', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.654321', 2024,
       'ab', 'héllo wörld ☃', 'text 😀', 'çà', 'café', 'naïve €', x'01020304', x'ff00',
       x'deadbeef', 'b', 'x,z', '{\"a\": [1, 2, {\"b\": null}]}', b'1', b'1010101010', true)",
    "INSERT INTO types (id) VALUES (2)",
    "INSERT INTO types VALUES (3, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0,
       9223372036854775807, 0, -0.001, -99999, 0, -3.4e38, 1.7976931348623157e308, '0000-00-00',
       '00:00:00', '838:59:59.999999', '0000-00-00 00:00:00', '9999-12-31 23:59:59.999999',
       '1970-01-01 00:00:01', 1901, '', '', '', '', '', '', x'00', x'', x'', 'a', '', '[]',
       b'0', b'0', false)",
];

const TYPES_CHANGES: &[&str] = &[
    "INSERT INTO types VALUES (4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0.5, 1, 1.5, 0.1, 0.1,
       '1999-12-31', '23:59:59', '00:00:00.000001', '1999-12-31 23:59:59',
       '1999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155, 'zz', 'ünïcödé',
       'long text', 'ÿ', 'Ærø', 'Œuvre', x'ffffffff', x'00ff00', x'00', 'c', 'x,y,z',
       '{\"k\": \"v\"}', b'1', b'1111111111', false)",
    "UPDATE types SET ti = ti + 1, vc = 'updated', d = d * 2, dtm6 = '2025-06-07 08:09:10.000001',
       j = JSON_OBJECT('n', 1), st = 'y' WHERE id = 1",
    "UPDATE types SET tx = 'was null', ts = '2001-02-03 04:05:06.7' WHERE id = 2",
    "DELETE FROM types WHERE id = 3",
    // A primary-key change: delete + tombstone + create.
    "UPDATE types SET id = 40 WHERE id = 4",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_types_match_debezium() {
    run(Scenario {
        name: "mariadb_types",
        setup: TYPES,
        changes: TYPES_CHANGES,
        config: &[],
    })
    .await
    .check("mariadb types");
}

const DDL: &[&str] = &[
    "CREATE TABLE a (id int PRIMARY KEY, v varchar(10))",
    "INSERT INTO a VALUES (1, 'one')",
];

const DDL_CHANGES: &[&str] = &[
    "INSERT INTO a VALUES (2, 'two')",
    "ALTER TABLE a ADD COLUMN w int NOT NULL DEFAULT 7",
    "INSERT INTO a VALUES (3, 'three', 3)",
    "UPDATE a SET w = 10 WHERE id = 1",
    "CREATE TABLE b (id bigint unsigned PRIMARY KEY AUTO_INCREMENT, name varchar(20) NOT NULL, at datetime(3))",
    "INSERT INTO b (name, at) VALUES ('first', '2020-05-06 07:08:09.123')",
    "ALTER TABLE a MODIFY COLUMN v varchar(40), ADD COLUMN z decimal(6,2) AFTER id",
    "INSERT INTO a (id, v, w, z) VALUES (4, 'four', 4, 4.25)",
    "DELETE FROM b",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_ddl_while_streaming_matches_debezium() {
    run(Scenario {
        name: "mariadb_ddl",
        setup: DDL,
        changes: DDL_CHANGES,
        config: &[],
    })
    .await
    .check("mariadb ddl");
}

const CHARSETS: &[&str] = &[
    "CREATE TABLE l1 (id int PRIMARY KEY, c char(8), v varchar(40), t text) DEFAULT CHARSET=latin1",
    "CREATE TABLE cy (id int PRIMARY KEY, c char(8), v varchar(40), t text) DEFAULT CHARSET=cp1251",
    "INSERT INTO l1 VALUES (1, 'ñ', 'café crème', 'Größe € ‰ œ'), (2, NULL, '', 'plain')",
    "INSERT INTO cy VALUES (1, 'Ж', 'Привет, мир', 'Съешь же ещё этих мягких французских булок №1'), (2, NULL, '', 'ёЁ')",
];

const CHARSETS_CHANGES: &[&str] = &[
    "INSERT INTO l1 VALUES (3, 'ÿ', 'Ångström', 'àéîõü ß')",
    "UPDATE l1 SET v = 'naïveté' WHERE id = 1",
    "INSERT INTO cy VALUES (3, 'Ї', 'Україна', 'Ґґ Єє Ії Її')",
    "UPDATE cy SET v = 'До свидания' WHERE id = 1",
    "DELETE FROM cy WHERE id = 2",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_character_sets_match_debezium() {
    run(Scenario {
        name: "mariadb_charsets",
        setup: CHARSETS,
        changes: CHARSETS_CHANGES,
        config: &[],
    })
    .await
    .check("mariadb character sets");
}

/// Every column mapper over the type table, one copy per mapper (which types each changes,
/// and which schema parameters it adds, is Debezium's to say).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_column_masking_truncation_hashing_and_source_types_match_debezium() {
    const TABLES: [&str; 5] = ["masked", "truncated", "hashed", "hashed2", "propagated"];
    let mut setup: Vec<String> = TYPES.iter().map(|s| (*s).to_owned()).collect();
    // Each created from the same DDL (CREATE TABLE ... LIKE would hide MariaDB's JSON alias).
    for t in TABLES {
        setup.push(TYPES[0].replacen("CREATE TABLE types", &format!("CREATE TABLE {t}"), 1));
        setup.push(format!("INSERT INTO {t} SELECT * FROM types"));
    }
    setup.push(
        "CREATE TABLE people (id int PRIMARY KEY AUTO_INCREMENT, ssn varchar(11) NOT NULL COMMENT 'social security number', note text)"
            .into(),
    );
    setup.push("INSERT INTO people (ssn, note) VALUES ('123-45-6789', 'first')".into());
    let mut changes = Vec::new();
    for t in TABLES {
        changes.push(format!("INSERT INTO {t} SELECT id + 100, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, d, d0, dl, f, db, dt, tm, tm6, dtm, dtm6, ts, yr, c, vc, tx, cl, vl, tl, bn, vb, bl, e, st, j, b1, b10, bo FROM types"));
        changes.push(format!(
            "UPDATE {t} SET tx = 'changed 😀', vc = 'short' WHERE id = 101"
        ));
        changes.push(format!("DELETE FROM {t} WHERE id = 103"));
    }
    changes.push("INSERT INTO people (ssn, note) VALUES ('987-65-4321', NULL)".into());
    changes.push("UPDATE people SET ssn = '000-00-0000' WHERE id = 1".into());
    let setup: Vec<&str> = setup.iter().map(String::as_str).collect();
    let changes: Vec<&str> = changes.iter().map(String::as_str).collect();
    run(Scenario {
        name: "mariadb_mappers",
        setup: &setup,
        changes: &changes,
        config: &[
            (
                "column.mask.with.3.chars",
                ".*\\.masked\\..*,.*\\.people\\.ssn",
            ),
            ("column.truncate.to.2.chars", ".*\\.truncated\\..*"),
            (
                "column.mask.hash.SHA-256.with.salt.CzQMA0cB5K",
                ".*\\.hashed\\..*",
            ),
            (
                "column.mask.hash.v2.MD5.with.salt.pepper",
                ".*\\.hashed2\\..*",
            ),
            (
                "column.propagate.source.type",
                ".*\\.propagated\\..*,.*\\.people\\.(id|ssn)",
            ),
            ("datatype.propagate.source.type", ".+\\.TEXT"),
        ],
    })
    .await
    .check("mariadb column mappers");
}
