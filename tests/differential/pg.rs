//! PostgreSQL: Debezium's `PostgresConnector` on the reference Connect worker and ours, on the
//! same database and broker.

use std::time::{Duration, Instant};

use super::compare::{self, Summary};
use super::{compare_topic, map_topics, topics_with_prefix, Reference};
use crate::kafka::broker;
use crate::support::PgFixture;
use crate::worker::{stop, WorkerDir};

const JSON: &str = "org.apache.kafka.connect.json.JsonConverter";

/// One scenario: tables and rows before the connectors start, then changes (each its own
/// transaction), with the same extra connector config on both sides.
pub struct Scenario<'a> {
    pub name: &'a str,
    pub setup: &'a str,
    pub changes: &'a [&'a str],
    pub config: &'a [(&'a str, &'a str)],
    pub schemas: bool,
}

async fn slots_ready(db: &PgFixture, slots: &[&str]) -> bool {
    let n: i64 = db
        .client
        .query_one(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ANY($1) AND confirmed_flush_lsn IS NOT NULL",
            &[&slots],
        )
        .await
        .unwrap()
        .get(0);
    n as usize == slots.len()
}

async fn drop_slots(db: &PgFixture, slots: &[&str]) {
    let start = Instant::now();
    loop {
        let left: i64 = db
            .client
            .query_one(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ANY($1) AND active",
                &[&slots],
            )
            .await
            .unwrap()
            .get(0);
        if left == 0 || start.elapsed() > Duration::from_secs(30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = db
        .client
        .execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ANY($1) AND NOT active",
            &[&slots],
        )
        .await;
}

/// Inserts marker row `id` and waits until every side's marker topic holds it.
async fn wait_for_markers(
    db: &PgFixture,
    bootstrap: &str,
    prefixes: &[&str],
    id: i32,
    ours: &WorkerDir,
) {
    db.exec(&format!("INSERT INTO diff_marker VALUES ({id})"))
        .await;
    for prefix in prefixes {
        let marker = format!("{prefix}.public.diff_marker");
        let got = broker::read_all(
            bootstrap,
            &marker,
            id as usize + 1,
            Duration::from_secs(120),
        );
        assert!(
            got.len() > id as usize,
            "no marker {id} on {marker} after 120 s; our worker's log:\n{}",
            ours.log_text()
        );
    }
}

/// Runs a scenario on both sides and compares every topic.
pub async fn run(s: Scenario<'_>) -> Summary {
    let bootstrap = broker::bootstrap();
    let db = PgFixture::start(&format!("diff_{}", s.name)).await;
    db.exec(s.setup).await;
    db.exec("CREATE TABLE diff_marker (id int PRIMARY KEY)")
        .await;
    let dbz_prefix = format!("dbz_{}", db.dbname);
    let our_prefix = format!("trib_{}", db.dbname);
    let dbz_slot = format!("dbz_{}", db.dbname);
    let our_slot = format!("trib_{}", db.dbname);
    let schemas = s.schemas.to_string();
    // Both sides run as the least-privileged user: the superuser creates their publications
    // (`FOR ALL TABLES` needs one), as Debezium's documentation recommends.
    for slot in [&dbz_slot, &our_slot] {
        db.create_publication(&format!("{slot}_pub")).await;
    }
    let side = |prefix: &str, slot: &str| -> cdc_core::ConfigMap {
        let mut c = db.connector_config(&[]);
        c.remove("status.update.interval.ms");
        for (k, v) in [
            ("topic.prefix", prefix),
            ("slot.name", slot),
            ("publication.name", &format!("{slot}_pub")),
            ("key.converter", JSON),
            ("key.converter.schemas.enable", &schemas),
            ("value.converter", JSON),
            ("value.converter.schemas.enable", &schemas),
            ("tasks.max", "1"),
            // Debezium's default is decoderbufs, a server extension; we decode pgoutput only.
            ("plugin.name", "pgoutput"),
        ] {
            c.insert(k.to_owned(), v.to_owned());
        }
        for (k, v) in s.config {
            c.insert((*k).to_owned(), (*v).to_owned());
        }
        c
    };
    let reference = Reference::create(&dbz_prefix, &side(&dbz_prefix, &dbz_slot));
    let ours_cfg = side(&our_prefix, &our_slot);
    let ours = WorkerDir::with_config(&our_prefix, |_| ours_cfg)
        .with_worker_properties(&[("bootstrap.servers", &bootstrap)]);
    let mut worker = ours.start();

    let start = Instant::now();
    while !slots_ready(&db, &[&dbz_slot, &our_slot]).await {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{}: the slots are not both ready after 120 s; our worker's log:\n{}",
            s.name,
            ours.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A streamed marker on both sides: their snapshots are over (a change made during a
    // snapshot, TRUNCATE above all, would race with it differently on each side).
    wait_for_markers(&db, &bootstrap, &[&dbz_prefix, &our_prefix], 0, &ours).await;
    for sql in s.changes {
        db.exec(sql).await;
    }
    wait_for_markers(&db, &bootstrap, &[&dbz_prefix, &our_prefix], 1, &ours).await;

    let theirs_topics = topics_with_prefix(&bootstrap, &format!("{dbz_prefix}."));
    let our_topics = topics_with_prefix(&bootstrap, &format!("{our_prefix}."));
    let prefixes = (dbz_prefix.as_str(), our_prefix.as_str());
    let (mapped, mut summary) = map_topics(&theirs_topics, &our_topics, prefixes);
    for (theirs_topic, our_topic) in theirs_topics.iter().zip(&mapped) {
        let theirs = broker::read_all(&bootstrap, theirs_topic, 0, Duration::from_secs(120));
        compare_topic(
            &mut summary,
            s.name,
            &bootstrap,
            our_topic,
            &theirs,
            prefixes,
        );
    }
    if s.config.iter().any(|(k, _)| *k == "heartbeat.interval.ms") {
        // Heartbeats come on a clock, so the two topics hold different counts: the first
        // record of each is compared (key `serverName`, value `ts_ms`, no headers).
        let topics = [&dbz_prefix, &our_prefix].map(|p| format!("__debezium-heartbeat.{p}"));
        let [theirs, ours] = topics
            .clone()
            .map(|t| broker::read_all(&bootstrap, &t, 1, Duration::from_secs(120)));
        assert!(
            !theirs.is_empty() && !ours.is_empty(),
            "{}: heartbeats: Debezium wrote {} on {}, we wrote {} on {}",
            s.name,
            theirs.len(),
            topics[0],
            ours.len(),
            topics[1]
        );
        compare::merge(
            &mut summary,
            compare::compare(s.name, &topics[1], &theirs[..1], &ours[..1], prefixes),
        );
    }
    drop(reference);
    stop(&mut worker);
    drop_slots(&db, &[&dbz_slot, &our_slot]).await;
    summary
}

const INVENTORY: &str = "
CREATE SCHEMA inventory;
CREATE TABLE inventory.customers (id serial PRIMARY KEY, first_name varchar(255) NOT NULL,
  last_name varchar(255) NOT NULL, email varchar(255) NOT NULL UNIQUE);
CREATE TABLE inventory.products (id serial PRIMARY KEY, name varchar(255) NOT NULL,
  description varchar(512), weight double precision);
CREATE TABLE inventory.orders (id serial PRIMARY KEY, order_date date NOT NULL,
  purchaser integer NOT NULL REFERENCES inventory.customers (id), quantity integer NOT NULL,
  product_id integer NOT NULL REFERENCES inventory.products (id));
INSERT INTO inventory.customers (first_name, last_name, email) VALUES
  ('Sally', 'Thomas', 'sally.thomas@acme.com'), ('George', 'Bailey', 'gbailey@foobar.com'),
  ('Edward', 'Walker', 'ed@walker.com'), ('Anne', 'Kretchmar', 'annek@noanswer.org');
INSERT INTO inventory.products (name, description, weight) VALUES
  ('scooter', 'Small 2-wheel scooter', 3.14), ('car battery', '12V car battery', 8.1),
  ('hammer', '12oz carpenter''s hammer', 0.75), ('rocks', 'box of assorted rocks', 5.3);
INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES
  ('2016-01-16', 1, 1, 1), ('2016-01-17', 2, 2, 2), ('2016-02-19', 2, 2, 3);
";

const INVENTORY_CHANGES: &[&str] = &[
    "INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Sarah', 'Thompson', 'kitt@acme.com')",
    "UPDATE inventory.customers SET first_name = 'Anne Marie' WHERE id = 4",
    "UPDATE inventory.products SET weight = weight * 2 WHERE id <= 2",
    "INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES ('2024-02-29', 5, 3, 4)",
    "DELETE FROM inventory.orders WHERE id = 1",
    // A primary-key change: delete + tombstone + create, with __debezium.newkey/oldkey headers.
    "UPDATE inventory.products SET id = 104 WHERE id = 4 AND NOT EXISTS (SELECT 1 FROM inventory.orders WHERE product_id = 4)",
    "UPDATE inventory.customers SET id = 1003 WHERE id = 3",
    "BEGIN; INSERT INTO inventory.products (name, weight) VALUES ('a', 1), ('b', 2); DELETE FROM inventory.products WHERE name = 'a'; COMMIT",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_with_schemas_matches_debezium() {
    run(Scenario {
        name: "inventory_schemas",
        setup: INVENTORY,
        changes: INVENTORY_CHANGES,
        config: &[("schema.include.list", "inventory,public")],
        schemas: true,
    })
    .await
    .check("pg inventory (schemas)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_without_schemas_matches_debezium() {
    run(Scenario {
        name: "inventory_plain",
        setup: INVENTORY,
        changes: INVENTORY_CHANGES,
        config: &[("schema.include.list", "inventory,public")],
        schemas: false,
    })
    .await
    .check("pg inventory (no schemas)");
}

/// One column per golden type family (crates/pg-wal/tests/types.rs), NULLs included.
const TYPES: &str = "
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE types (
  id int PRIMARY KEY, num numeric(40, 5), numv numeric, i8 bigint, i2 smallint,
  f8 double precision, f4 real, m money, b boolean, t text, vc varchar(20), bc char(5),
  ba bytea, d date, tm time(6), ttz timetz, ts timestamp(6), ts3 timestamp(3),
  tstz timestamptz, iv interval, j json, jb jsonb, u uuid, ip inet, cidr_ cidr, mac macaddr,
  bits bit(10), vb varbit, ia int[], ta text[], e mood, dom posint, h hstore, r int4range,
  tr tstzrange, p point, x xml);
INSERT INTO types VALUES
  (1, -1.5, 0.001, -9223372036854775808, 32767, 1.5, 3.3, 12.34, true, 'emoji 😀 𝄞',
   'abc', 'ab', '\\x00ff', '2024-02-29', '13:14:15.123456', '13:14:15.5+02',
   '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123', '2024-07-01 00:00:00+05:30',
   '1 year 2 months 3 days 04:05:06.789', '{\"a\": [1, 2, null]}', '{\"b\": 1, \"a\": \"x\"}',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '10.1.0.0/16',
   '08:00:2b:01:02:03', B'1010000001', B'101', '{1,NULL,3}', ARRAY['a', NULL, 'c,d'],
   'happy', 7, 'a=>1, b=>NULL', '[1,10)',
   '[2024-01-01 00:00:00+00,2024-02-01 00:00:00+00)', '(1.5,-2)', '<a>1</a>'),
  (2, 123456789012345678901234567890.12345, -98765432109876543210.123, 0, -32768,
   'NaN', 'Infinity', -0.01, false, '', 'x', 'abcde', '\\x', '0001-01-01', '00:00:00',
   '00:00:00+00', '1970-01-01 00:00:00', '2000-01-01 00:00:00', '1970-01-01 00:00:00+00',
   '-1 day', 'null', '{}', '00000000-0000-0000-0000-000000000000', '::1', '10.0.0.0/8',
   '00:00:00:00:00:00', B'0000000000', B'', '{}', '{}', 'sad', 1, '', 'empty',
   'empty', '(0,0)', '<b/>'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL);
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_families_match_debezium() {
    run(Scenario {
        name: "types",
        setup: TYPES,
        changes: &[
            "INSERT INTO types SELECT id + 100, num, numv, i8, i2, f8, f4, m, b, t, vc, bc, ba, d, tm, ttz, ts, ts3, tstz, iv, j, jb, u, ip, cidr_, mac, bits, vb, ia, ta, e, dom, h, r, tr, p, x FROM types",
            "UPDATE types SET t = 'changed', i8 = 42 WHERE id = 101",
            "DELETE FROM types WHERE id = 102",
            // Streamed infinities (Debezium's snapshot writes others for dates: docs/compat.md).
            "INSERT INTO types (id, d, ts, tstz) VALUES (200, 'infinity', 'infinity', 'infinity'), (201, '-infinity', '-infinity', '-infinity')",
        ],
        config: &[],
        schemas: true,
    })
    .await
    .check("pg type families");
}

const IDENTITY_AND_TOAST: &str = "
CREATE TABLE full_identity (id int PRIMARY KEY, name text NOT NULL, qty int DEFAULT 5, note varchar(40));
ALTER TABLE full_identity REPLICA IDENTITY FULL;
INSERT INTO full_identity VALUES (1, 'one', 1, NULL), (2, 'two', 2, 'x');
CREATE TABLE toasted (id int PRIMARY KEY, big text, small int NOT NULL DEFAULT 0, j jsonb);
INSERT INTO toasted SELECT g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 400) i), g, '{}' FROM generate_series(1, 2) g;
CREATE TABLE no_key (a int, b text);
INSERT INTO no_key VALUES (1, 'a');
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_identity_toast_truncate_transactions_and_heartbeats_match_debezium() {
    run(Scenario {
        name: "identity_toast",
        setup: IDENTITY_AND_TOAST,
        changes: &[
            "UPDATE full_identity SET name = 'uno', qty = NULL WHERE id = 1",
            "DELETE FROM full_identity WHERE id = 2",
            "UPDATE full_identity SET id = 10 WHERE id = 1",
            // The TOASTed column is left alone: Debezium's unavailable-value placeholder.
            "UPDATE toasted SET small = small + 1 WHERE id = 1",
            "UPDATE toasted SET big = 'short now' WHERE id = 2",
            "INSERT INTO no_key VALUES (2, 'b')",
            "BEGIN; INSERT INTO full_identity VALUES (3, 'three', 3, 'y'); UPDATE toasted SET j = '{\"k\": 1}' WHERE id = 1; COMMIT",
            "TRUNCATE full_identity",
        ],
        config: &[
            ("provide.transaction.metadata", "true"),
            ("skipped.operations", "none"),
            ("heartbeat.interval.ms", "500"),
        ],
        schemas: true,
    })
    .await
    .check("pg replica identity, TOAST, truncate, transactions");
}

/// The type-family table five times over, one copy per column mapper, so each mapper meets
/// every type (which it changes, and which schema parameters it adds, is Debezium's to say).
const MAPPED: &str = "
CREATE TABLE masked (LIKE types INCLUDING ALL); INSERT INTO masked SELECT * FROM types;
CREATE TABLE truncated (LIKE types INCLUDING ALL); INSERT INTO truncated SELECT * FROM types;
CREATE TABLE hashed (LIKE types INCLUDING ALL); INSERT INTO hashed SELECT * FROM types;
CREATE TABLE hashed2 (LIKE types INCLUDING ALL); INSERT INTO hashed2 SELECT * FROM types;
CREATE TABLE propagated (LIKE types INCLUDING ALL); INSERT INTO propagated SELECT * FROM types;
CREATE TABLE serials (id serial PRIMARY KEY, ssn varchar(11) NOT NULL, note text);
INSERT INTO serials (ssn, note) VALUES ('123-45-6789', 'first');
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn column_masking_truncation_hashing_and_source_types_match_debezium() {
    let setup = format!("{TYPES}{MAPPED}");
    let mut changes = Vec::new();
    for t in ["masked", "truncated", "hashed", "hashed2", "propagated"] {
        changes.push(format!("INSERT INTO {t} SELECT id + 100, num, numv, i8, i2, f8, f4, m, b, t, vc, bc, ba, d, tm, ttz, ts, ts3, tstz, iv, j, jb, u, ip, cidr_, mac, bits, vb, ia, ta, e, dom, h, r, tr, p, x FROM types"));
        changes.push(format!(
            "UPDATE {t} SET t = 'changed 😀', vc = 'short' WHERE id = 101"
        ));
        changes.push(format!("DELETE FROM {t} WHERE id = 102"));
    }
    // Debezium cuts plain bytes too (not decimals or bit strings).
    changes
        .push("UPDATE truncated SET ba = '\\x01020304', bits = B'1111111111' WHERE id = 1".into());
    changes.push("INSERT INTO serials (ssn, note) VALUES ('987-65-4321', NULL)".into());
    changes.push("UPDATE serials SET ssn = '000-00-0000' WHERE id = 1".into());
    let changes: Vec<&str> = changes.iter().map(String::as_str).collect();
    run(Scenario {
        name: "mappers",
        setup: &setup,
        changes: &changes,
        config: &[
            (
                "table.include.list",
                "public\\.(masked|truncated|hashed|hashed2|propagated|serials|diff_marker)",
            ),
            (
                "column.mask.with.3.chars",
                "public\\.masked\\..*,public\\.serials\\.ssn",
            ),
            ("column.truncate.to.2.chars", "public\\.truncated\\..*"),
            (
                "column.mask.hash.SHA-256.with.salt.CzQMA0cB5K",
                "public\\.hashed\\..*",
            ),
            (
                "column.mask.hash.v2.MD5.with.salt.pepper",
                "public\\.hashed2\\..*",
            ),
            (
                "column.propagate.source.type",
                "public\\.propagated\\..*,public\\.serials\\.id",
            ),
            ("datatype.propagate.source.type", ".+\\.TEXT"),
        ],
        schemas: true,
    })
    .await
    .check("pg column mappers");
}
