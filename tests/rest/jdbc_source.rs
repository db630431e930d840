//! Confluent's query-based `JdbcSourceConnector` against the real PostgreSQL and MariaDB: the
//! issue's two tutorial configs verbatim (endpoint and credentials changed), rows inserted later
//! arriving, a restart that repeats nothing, timestamp mode catching updates, a database that
//! goes away (the task stays RUNNING and resumes), and the type mapping of `numeric.mapping` and
//! `db.timezone` as Confluent documents it (docs/research/jdbc-source.md §4).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{topic_values, PrivatePg, Worker};
use crate::my_support::MyFixture;
use crate::support::PgFixture;

const CLASS: &str = "io.confluent.connect.jdbc.JdbcSourceConnector";

/// The connector class and `db`'s connection, with `extra`.
fn pg_source(db: &PgFixture, extra: Value) -> Value {
    let s = &db.server;
    let mut config = json!({"connector.class": CLASS,
        "connection.url": format!("jdbc:postgresql://{}:{}/{}", s.host, s.port, db.dbname),
        "connection.user": s.user, "connection.password": s.password});
    if let (Some(c), Value::Object(extra)) = (config.as_object_mut(), extra) {
        c.extend(extra);
    }
    config
}

fn create(w: &Worker, name: &str, config: Value) {
    let r = w.send(
        "POST",
        "/connectors",
        &json!({"name": name, "config": config}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

/// The payloads on `topic` once there are at least `n`, in order.
fn wait_for_payloads(w: &Worker, data: &std::path::Path, topic: &str, n: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let got: Vec<Value> = topic_values(data, topic)
            .into_iter()
            .map(|v| v["payload"].clone())
            .collect();
        if got.len() >= n {
            return got;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "{topic}: {} of {n} records; log:\n{}",
            got.len(),
            w.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn task_state(w: &Worker, name: &str) -> String {
    let s = w.get(&format!("/connectors/{name}/status")).json();
    s["tasks"][0]["state"].as_str().unwrap_or("none").to_owned()
}

fn ids(payloads: &[Value]) -> Vec<i64> {
    payloads.iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issues_postgres_config_runs_verbatim_and_a_restart_repeats_nothing() {
    let db = PgFixture::start("jdbc_source_pg").await;
    db.exec(
        "CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2));
         INSERT INTO products (name, price) VALUES ('tea', 3.50), ('coffee', 4.25);",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = &db.server;
    // The issue's config, endpoint and credentials changed (poll.interval.ms left at 5000).
    let config = json!({"connector.class": CLASS,
        "connection.url": format!("jdbc:postgresql://{}:{}/{}", s.host, s.port, db.dbname),
        "connection.user": s.user, "connection.password": s.password,
        "table.whitelist": "products", "mode": "incrementing",
        "incrementing.column.name": "id", "topic.prefix": "pg-", "tasks.max": "1"});
    let w = Worker::serve(&data);
    create(&w, "postgres-products-source", config);
    let got = wait_for_payloads(&w, &data, "pg-products", 2);
    assert_eq!(got[0]["name"], "tea");
    assert_eq!(ids(&got), [1, 2]);
    // The record's value: a struct named after the table, Confluent's Decimal for numeric(10,2).
    let first = &topic_values(&data, "pg-products")[0];
    assert_eq!(first["schema"]["name"], "products");
    assert_eq!(
        first["schema"]["fields"][2]["name"],
        "org.apache.kafka.connect.data.Decimal"
    );
    assert_eq!(first["payload"]["price"], "AV4="); // 350 at scale 2

    db.exec("INSERT INTO products (name) VALUES ('cocoa')")
        .await;
    let got = wait_for_payloads(&w, &data, "pg-products", 3);
    assert_eq!(ids(&got), [1, 2, 3]);
    let offsets = w.get("/connectors/postgres-products-source/offsets").json();
    assert_eq!(
        offsets["offsets"],
        json!([{"partition": {"protocol": "1", "table": "public.products"},
                "offset": {"incrementing": 3}}])
    );
    w.stop();

    // Rows inserted while the worker is down, and after it is back: each arrives once.
    db.exec("INSERT INTO products (name) VALUES ('mate')").await;
    let w = Worker::serve(&data);
    db.exec("INSERT INTO products (name) VALUES ('chai')").await;
    let got = wait_for_payloads(&w, &data, "pg-products", 5);
    // One more poll interval: nothing is read twice.
    std::thread::sleep(Duration::from_millis(5_500));
    let got_after: Vec<Value> = topic_values(&data, "pg-products")
        .into_iter()
        .map(|v| v["payload"].clone())
        .collect();
    assert_eq!(ids(&got), [1, 2, 3, 4, 5]);
    assert_eq!(ids(&got_after), [1, 2, 3, 4, 5], "log:\n{}", w.log_text());
    assert!(
        w.log_text().contains("does not see deletes"),
        "the log says what polling misses"
    );
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issues_mysql_config_runs_verbatim_on_mariadb() {
    let mut my = MyFixture::start("jdbc_source_my").await;
    my.exec(
        "CREATE TABLE articles (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(100) NOT NULL,
           score DECIMAL(6,2), published DATETIME(3), flag TINYINT(1));
         INSERT INTO articles (title, score, published, flag)
           VALUES ('first', 1.25, '2024-07-01 12:00:00.123', 1), ('second', NULL, NULL, 0);",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = &my.server;
    // The issue's config (table.include.list with the legacy column name), endpoint changed.
    let config = json!({"connector.class": CLASS,
        "connection.url": format!("jdbc:mysql://{}:{}/{}", s.host, s.port, my.db),
        "connection.user": s.user, "connection.password": s.password,
        "table.include.list": "articles", "mode": "incrementing",
        "incrementing.column.name": "id", "topic.prefix": "article-events-",
        "poll.interval.ms": "5000"});
    let w = Worker::serve(&data);
    create(&w, "article-source", config);
    let got = wait_for_payloads(&w, &data, "article-events-articles", 2);
    assert_eq!(ids(&got), [1, 2]);
    assert_eq!(got[0]["title"], "first");
    assert_eq!(got[0]["score"], "fQ=="); // 125 at scale 2
    assert_eq!(got[0]["published"], 1_719_835_200_123i64);
    assert_eq!(got[0]["flag"], 1);
    assert_eq!(got[1]["score"], Value::Null);
    let schema = &topic_values(&data, "article-events-articles")[0]["schema"];
    assert_eq!(schema["name"], "articles");
    my.exec("INSERT INTO articles (title) VALUES ('third')")
        .await;
    let got = wait_for_payloads(&w, &data, "article-events-articles", 3);
    assert_eq!(ids(&got), [1, 2, 3]);
    let offsets = w.get("/connectors/article-source/offsets").json();
    assert_eq!(
        offsets["offsets"][0]["partition"],
        json!({"protocol": "1", "table": format!("{}.articles", my.db)})
    );
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_incrementing_mode_catches_updates_and_timestamp_mode_new_rows() {
    let db = PgFixture::start("jdbc_source_ts").await;
    db.exec(
        "CREATE TABLE orders (id serial PRIMARY KEY, status text NOT NULL,
           updated timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'));
         INSERT INTO orders (status) VALUES ('new'), ('new');
         CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL DEFAULT now());
         INSERT INTO events (id) VALUES (10);",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    create(
        &w,
        "orders",
        pg_source(
            &db,
            json!({"table.whitelist": "orders", "mode": "timestamp+incrementing",
            "timestamp.column.name": "updated", "incrementing.column.name": "id",
            "topic.prefix": "ts-", "poll.interval.ms": "200"}),
        ),
    );
    create(
        &w,
        "events",
        pg_source(
            &db,
            json!({"table.whitelist": "events", "mode": "timestamp",
            "timestamp.column.name": "at", "topic.prefix": "ts-", "poll.interval.ms": "200"}),
        ),
    );
    let got = wait_for_payloads(&w, &data, "ts-orders", 2);
    assert_eq!(ids(&got), [1, 2]);
    wait_for_payloads(&w, &data, "ts-events", 1);
    // An update moves the row's timestamp past the offset: it is read again, as updated.
    db.exec("UPDATE orders SET status = 'paid', updated = (now() AT TIME ZONE 'UTC') + interval '1 second' WHERE id = 1")
        .await;
    db.exec("INSERT INTO events (id, at) VALUES (11, now() - interval '1 hour')")
        .await;
    db.exec("INSERT INTO events (id) VALUES (12)").await;
    let got = wait_for_payloads(&w, &data, "ts-orders", 3);
    assert_eq!(got[2]["id"], 1);
    assert_eq!(got[2]["status"], "paid");
    let events = wait_for_payloads(&w, &data, "ts-events", 2);
    // Timestamp mode reads rows past the stored timestamp only: 11 (an hour old) is missed,
    // as Confluent misses it — the limit the docs spell out.
    assert_eq!(ids(&events), [10, 12]);
    let offsets = w.get("/connectors/orders/offsets").json();
    let offset = &offsets["offsets"][0]["offset"];
    assert_eq!(offset["incrementing"], 1);
    assert!(offset["timestamp"].as_i64().unwrap() > 0, "{offsets}");
    assert!(offset["timestamp_nanos"].is_u64(), "{offsets}");
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_away_is_retried_with_the_task_running() {
    let pg = PrivatePg::start();
    let client = pg.connect().await;
    client
        .batch_execute(
            "CREATE TABLE items (id int PRIMARY KEY, name text);
             INSERT INTO items VALUES (1, 'one');",
        )
        .await
        .unwrap();
    drop(client);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    create(
        &w,
        "items",
        json!({"connector.class": CLASS,
            "connection.url": format!("jdbc:postgresql://127.0.0.1:{}/postgres", pg.port),
            "connection.user": "postgres", "connection.password": "postgres",
            "table.whitelist": "items", "mode": "incrementing",
            "incrementing.column.name": "id", "topic.prefix": "away-",
            "poll.interval.ms": "200", "connection.attempts": "1"}),
    );
    wait_for_payloads(&w, &data, "away-items", 1);
    pg.script("pg_stop");
    // Several failed polls and reconnects later the task is still RUNNING.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(task_state(&w, "items"), "RUNNING", "log:\n{}", w.log_text());
    assert!(
        w.log_text().contains("it stays RUNNING"),
        "{}",
        w.log_text()
    );
    pg.script("pg_start");
    let client = pg.connect().await;
    client
        .batch_execute("INSERT INTO items VALUES (2, 'two')")
        .await
        .unwrap();
    // Back: the next row arrives, nothing is repeated.
    let got = wait_for_payloads(&w, &data, "away-items", 2);
    assert_eq!(ids(&got), [1, 2]);
    assert_eq!(task_state(&w, "items"), "RUNNING");
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_mapping_and_db_timezone_follow_confluents_documented_mapping() {
    let db = PgFixture::start("jdbc_source_types").await;
    db.exec(
        "CREATE TABLE types (id int PRIMARY KEY, n5 numeric(5,0), n12_2 numeric(12,2),
           n20 numeric(20,0), nfree numeric, i2 int2, i8 int8, f4 float4, f8 float8, b bool,
           t text, vc varchar(10), d date, tm time, ts timestamp, tstz timestamptz, by bytea,
           u uuid, j jsonb, arr int[]);
         INSERT INTO types VALUES (1, 12345, 1234.56, 12345678901234567890, 3.5, -2, 9000000000,
           1.5, 2.25, true, 'text', 'vc', '2024-03-01', '10:00:00', '2024-07-01 12:00:00',
           '2024-07-01 12:00:00+00', '\\x0102', '00010203-0405-0607-0809-0a0b0c0d0e0f',
           '{\"a\": 1}', '{1,2}');",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    create(
        &w,
        "types",
        pg_source(
            &db,
            json!({"table.whitelist": "types", "mode": "incrementing", "incrementing.column.name": "id",
            "numeric.mapping": "best_fit", "db.timezone": "Europe/Paris",
            "topic.prefix": "m-", "poll.interval.ms": "200"}),
        ),
    );
    let p = &wait_for_payloads(&w, &data, "m-types", 1)[0];
    let record = &topic_values(&data, "m-types")[0];
    let fields: Vec<(String, String, Option<String>)> = record["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["type"].as_str().unwrap().to_owned(),
                f["name"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let field = |n: &str| {
        fields
            .iter()
            .find(|f| f.0 == n)
            .map(|f| (f.1.as_str(), f.2.as_deref()))
            .unwrap_or_else(|| panic!("no field {n} in {fields:?}"))
    };
    const DEC: Option<&str> = Some("org.apache.kafka.connect.data.Decimal");
    // numeric.mapping=best_fit: p ≤ 18 and s = 0 → the smallest int holding p digits; s > 0 →
    // float64; p > 18 → Decimal; unconstrained → Decimal (Confluent's task fails here; we
    // keep it as numeric.mapping=none would, docs/decisions/jdbc-source.md).
    assert_eq!(field("n5"), ("int32", None));
    assert_eq!(field("n12_2"), ("double", None));
    assert_eq!(field("n20"), ("bytes", DEC));
    assert_eq!(field("nfree"), ("bytes", DEC));
    assert_eq!(field("i2"), ("int16", None));
    assert_eq!(field("i8"), ("int64", None));
    assert_eq!(field("f4"), ("float", None));
    assert_eq!(field("f8"), ("double", None));
    assert_eq!(field("b"), ("boolean", None));
    assert_eq!(field("t"), ("string", None));
    assert_eq!(field("u"), ("string", None));
    assert_eq!(field("j"), ("string", None));
    assert_eq!(field("by"), ("bytes", None));
    assert_eq!(
        field("d"),
        ("int32", Some("org.apache.kafka.connect.data.Date"))
    );
    assert_eq!(
        field("tm"),
        ("int32", Some("org.apache.kafka.connect.data.Time"))
    );
    assert_eq!(
        field("ts"),
        ("int64", Some("org.apache.kafka.connect.data.Timestamp"))
    );
    assert!(!fields.iter().any(|f| f.0 == "arr"), "arrays are left out");
    assert_eq!(p["n5"], 12345);
    assert_eq!(p["n12_2"], 1234.56);
    assert_eq!(p["i2"], -2);
    assert_eq!(p["i8"], 9_000_000_000i64);
    assert_eq!(p["u"], "00010203-0405-0607-0809-0a0b0c0d0e0f");
    assert_eq!(p["j"], "{\"a\": 1}");
    assert_eq!(p["by"], "AQI=");
    // Dates are UTC days; times and timestamps are read in db.timezone (Paris: UTC+1 in
    // January 1970, UTC+2 in July 2024); timestamptz is an instant.
    assert_eq!(p["d"], 19_783);
    assert_eq!(p["tm"], 9 * 3_600_000);
    assert_eq!(p["ts"], 1_719_835_200_000i64 - 7_200_000);
    assert_eq!(p["tstz"], 1_719_835_200_000i64);
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_in_connects_format_are_resumed_per_table() {
    let db = PgFixture::start("jdbc_source_offsets").await;
    db.exec(
        "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 5);
         CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT generate_series(1, 5);",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = &db.server;
    let w = Worker::serve(&data);
    // Created STOPPED, its offsets set as Kafka Connect stores Confluent's (a migrated worker):
    // table a read up to 3 (protocol 1), table b up to 4 (the legacy partition).
    let r = w.send(
        "POST",
        "/connectors",
        &json!({"name": "two", "initial_state": "STOPPED", "config": {"connector.class": CLASS,
            "connection.url": format!("jdbc:postgresql://{}:{}/{}", s.host, s.port, db.dbname),
            "connection.user": s.user, "connection.password": s.password,
            "table.whitelist": "a,b", "mode": "incrementing", "incrementing.column.name": "id",
            "topic.prefix": "o-", "poll.interval.ms": "200", "tasks.max": "2"}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = w.send(
        "PATCH",
        "/connectors/two/offsets",
        &json!({"offsets": [
            {"partition": {"protocol": "1", "table": "public.a"}, "offset": {"incrementing": 3}},
            {"partition": {"table": "b"}, "offset": {"incrementing": 4}}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = w.request("PUT", "/connectors/two/resume", None, b"");
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(ids(&wait_for_payloads(&w, &data, "o-a", 2)), [4, 5]);
    assert_eq!(ids(&wait_for_payloads(&w, &data, "o-b", 1)), [5]);
    db.exec("INSERT INTO a VALUES (6); INSERT INTO b VALUES (6);")
        .await;
    assert_eq!(ids(&wait_for_payloads(&w, &data, "o-a", 3)), [4, 5, 6]);
    assert_eq!(ids(&wait_for_payloads(&w, &data, "o-b", 2)), [5, 6]);
    // Each table's offset is its own partition, as Connect stores them.
    let offsets = w.get("/connectors/two/offsets").json();
    let mut got: Vec<Value> = offsets["offsets"].as_array().unwrap().clone();
    got.sort_by_key(|o| o.to_string());
    let want = [
        json!({"partition": {"protocol": "1", "table": "public.a"}, "offset": {"incrementing": 6}}),
        json!({"partition": {"protocol": "1", "table": "public.b"}, "offset": {"incrementing": 6}}),
        json!({"partition": {"table": "b"}, "offset": {"incrementing": 4}}),
    ];
    for o in &want {
        assert!(got.contains(o), "{o} not in {got:?}");
    }
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_accepts_the_issues_configs_and_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::serve(&dir.path().join("data"));
    let validate = |config: Value| {
        let r = w.send(
            "PUT",
            "/connector-plugins/JdbcSourceConnector/config/validate",
            &config,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let ok = validate(json!({"name": "article-source", "connector.class": CLASS,
        "connection.url": "jdbc:mysql://mysql-host:3306/news", "connection.user": "connect_user",
        "connection.password": "****", "table.include.list": "articles", "mode": "incrementing",
        "incrementing.column.name": "id", "topic.prefix": "article-events-",
        "poll.interval.ms": "5000"}));
    assert_eq!(ok["error_count"], 0, "{ok}");
    let ok = validate(
        json!({"name": "postgres-products-source", "connector.class": CLASS,
        "connection.url": "jdbc:postgresql://postgres:5432/postgres", "connection.user": "postgres",
        "connection.password": "postgres", "table.whitelist": "products", "mode": "incrementing",
        "incrementing.column.name": "id", "topic.prefix": "pg-", "tasks.max": "1"}),
    );
    assert_eq!(ok["error_count"], 0, "{ok}");
    let bad = validate(json!({"connector.class": CLASS,
        "connection.url": "jdbc:postgresql://postgres:5432/postgres",
        "connection.user": "postgres", "table.whitelist": "products", "mode": "sometimes",
        "topic.prefix": "pg-"}));
    assert!(bad["error_count"].as_u64().unwrap() >= 1, "{bad}");
    let mode = bad["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "mode")
        .unwrap();
    let errors = mode["value"]["errors"].to_string();
    assert!(errors.contains("sometimes"), "{errors}");
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tables_are_found_a_query_writes_the_prefix_topic_and_bulk_reads_everything_again() {
    let db = PgFixture::start("jdbc_source_modes").await;
    db.exec(
        "CREATE TABLE t_one (id int PRIMARY KEY, v text); INSERT INTO t_one VALUES (1, 'x');
         CREATE TABLE other (id int PRIMARY KEY); INSERT INTO other VALUES (1);",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    create(
        &w,
        "monitor",
        pg_source(
            &db,
            json!({"table.include.list": "public\\.t_.*", "mode": "incrementing",
            "incrementing.column.mapping": "public\\.t_.*:id",
            "topic.prefix": "n-", "poll.interval.ms": "200", "table.poll.interval.ms": "500"}),
        ),
    );
    create(
        &w,
        "query",
        pg_source(
            &db,
            json!({"query": "SELECT id, v AS label FROM t_one", "mode": "incrementing",
            "incrementing.column.name": "id", "topic.prefix": "q-all",
            "poll.interval.ms": "200"}),
        ),
    );
    create(
        &w,
        "bulk",
        pg_source(
            &db,
            json!({"table.whitelist": "other", "mode": "bulk", "topic.prefix": "b-",
            "poll.interval.ms": "300"}),
        ),
    );
    wait_for_payloads(&w, &data, "n-t_one", 1);
    let q = wait_for_payloads(&w, &data, "q-all", 1);
    assert_eq!(q[0], json!({"id": 1, "label": "x"}));
    let q_schema = &topic_values(&data, "q-all")[0]["schema"];
    assert_eq!(
        q_schema.get("name"),
        None,
        "a query's struct has no name: {q_schema}"
    );
    // A table created while the connector runs is found at the next table poll.
    db.exec("CREATE TABLE t_two (id int PRIMARY KEY); INSERT INTO t_two VALUES (7);")
        .await;
    assert_eq!(ids(&wait_for_payloads(&w, &data, "n-t_two", 1)), [7]);
    assert_eq!(topic_values(&data, "n-other").len(), 0);
    // Bulk mode copies the whole table at every poll.
    let bulk = wait_for_payloads(&w, &data, "b-other", 3);
    assert!(bulk.iter().all(|p| p["id"] == 1), "{bulk:?}");
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_table_stops_being_read_and_a_query_error_fails_the_task_naming_it() {
    let db = PgFixture::start("jdbc_source_drop").await;
    db.exec(
        "CREATE TABLE keep (id int PRIMARY KEY); INSERT INTO keep VALUES (1);
         CREATE TABLE gone (id int PRIMARY KEY); INSERT INTO gone VALUES (1);",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    create(
        &w,
        "two",
        pg_source(
            &db,
            json!({"table.whitelist": "keep,gone", "mode": "incrementing",
            "incrementing.column.name": "id", "topic.prefix": "d-", "poll.interval.ms": "200"}),
        ),
    );
    wait_for_payloads(&w, &data, "d-gone", 1);
    db.exec("DROP TABLE gone; INSERT INTO keep VALUES (2);")
        .await;
    assert_eq!(ids(&wait_for_payloads(&w, &data, "d-keep", 2)), [1, 2]);
    assert_eq!(task_state(&w, "two"), "RUNNING", "{}", w.log_text());
    // A query that can never work (a column that does not exist) fails the task at once.
    create(
        &w,
        "broken",
        pg_source(
            &db,
            json!({"query": "SELECT id, nope FROM keep", "mode": "bulk", "topic.prefix": "x",
            "poll.interval.ms": "200"}),
        ),
    );
    let status = w.wait_for("/connectors/broken/status", "the task FAILED", |s| {
        s["tasks"][0]["state"] == "FAILED"
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(trace.contains("42703"), "{trace}");
    w.stop();
}
