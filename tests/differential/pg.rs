//! PostgreSQL: Debezium's `PostgresConnector` on the reference Connect worker and ours, on the
//! same database and broker.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::compare::{self, Summary};
use super::{read_topic, topics_with_prefix, Reference};
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
    let side = |prefix: &str, slot: &str| -> Vec<(String, String)> {
        let mut c: Vec<(String, String)> = db
            .connector_config(&[])
            .into_iter()
            .filter(|(k, _)| k != "status.update.interval.ms")
            .collect();
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
            c.retain(|(ck, _)| ck != k);
            c.push((k.to_owned(), v.to_owned()));
        }
        for (k, v) in s.config {
            c.retain(|(ck, _)| ck != k);
            c.push(((*k).to_owned(), (*v).to_owned()));
        }
        c
    };
    let dbz_config: serde_json::Map<String, Value> = side(&dbz_prefix, &dbz_slot)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let reference = Reference::create(&dbz_prefix, &Value::Object(dbz_config));
    let ours_cfg = side(&our_prefix, &our_slot);
    let ours = WorkerDir::with_config(&our_prefix, |_| ours_cfg.into_iter().collect())
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
    for sql in s.changes {
        db.exec(sql).await;
    }
    db.exec("INSERT INTO diff_marker VALUES (1)").await;
    for prefix in [&dbz_prefix, &our_prefix] {
        let marker = format!("{prefix}.public.diff_marker");
        let got = broker::read_all(&bootstrap, &marker, 1, Duration::from_secs(120));
        assert!(
            !got.is_empty(),
            "{}: no marker on {marker} after 120 s; our worker's log:\n{}",
            s.name,
            ours.log_text()
        );
    }

    let theirs_topics = topics_with_prefix(&bootstrap, &format!("{dbz_prefix}."));
    let our_topics = topics_with_prefix(&bootstrap, &format!("{our_prefix}."));
    let mapped: Vec<String> = theirs_topics
        .iter()
        .map(|t| t.replacen(&dbz_prefix, &our_prefix, 1))
        .collect();
    let mut summary = Summary::default();
    if mapped != our_topics {
        summary.unexpected.push((
            "{topics}".to_owned(),
            format!("topics: Debezium {theirs_topics:?} / Tributary {our_topics:?}"),
        ));
    }
    for (theirs_topic, our_topic) in theirs_topics.iter().zip(&mapped) {
        let theirs = broker::read_all(&bootstrap, theirs_topic, 0, Duration::from_secs(120));
        let ours_read = read_topic(&bootstrap, our_topic, theirs.len());
        compare::merge(
            &mut summary,
            compare::compare(
                s.name,
                our_topic,
                &theirs,
                &ours_read,
                (&dbz_prefix, &our_prefix),
            ),
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
