//! Confluent's Elasticsearch sink end to end, into the real OpenSearch node `scripts/test.sh`
//! starts (`TRIBUTARY_SEARCH_URL`): PostgreSQL → the embedded log (no Kafka) →
//! `ElasticsearchSinkConnector` on the same worker. The issue's config verbatim (URL changed)
//! and the tutorial's `key.ignore=true` variant; documents equal the rows, updates replace,
//! tombstones delete, a replay from offset 0 overwrites nothing newer (external versions), a
//! malformed document follows `behavior.on.malformed.documents`.
//! `the_main_scenarios_on_elasticsearch_7`/`_8` run the main scenarios against the bare
//! Elasticsearch 7.17 and 8.19 nodes `scripts/test.sh` also starts (`TRIBUTARY_ELASTICSEARCH_URL`,
//! `TRIBUTARY_ELASTICSEARCH8_URL`); pointing `TRIBUTARY_SEARCH_URL` at one of them runs the
//! whole file there (all pass but the data stream test: see docs/compat.md).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{request, Standalone, Worker};
use super::state;
use crate::support::PgFixture;

pub(super) const CLASS: &str = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector";

/// The test engine's base URL and `host:port`.
fn engine() -> (String, String) {
    let url = std::env::var("TRIBUTARY_SEARCH_URL")
        .expect("TRIBUTARY_SEARCH_URL (scripts/test.sh starts OpenSearch and sets it)");
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    (url, addr)
}

fn engine_request(method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    engine_request_at(&engine().1, method, path, body)
}

/// A request to the engine at `addr` (`host:port`): its status and JSON body.
pub(super) fn engine_request_at(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let bytes = body.map(Value::to_string).unwrap_or_default();
    let ct = body.map(|_| "application/json");
    let r = request(addr, method, path, ct, bytes.as_bytes());
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

/// Every document of `index` as `(id, source)`, sorted by id (after a refresh).
fn documents(index: &str) -> Vec<(String, Value)> {
    documents_at(&engine().1, index)
}

/// [`documents`] of the engine at `addr`.
pub(super) fn documents_at(addr: &str, index: &str) -> Vec<(String, Value)> {
    engine_request_at(addr, "POST", &format!("/{index}/_refresh"), None);
    let (status, body) = engine_request_at(
        addr,
        "GET",
        &format!("/{index}/_search?size=1000&version=true"),
        None,
    );
    if status != 200 {
        return Vec::new();
    }
    let mut docs: Vec<(String, Value)> = body["hits"]["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            (
                h["_id"].as_str().unwrap_or("").to_owned(),
                h["_source"].clone(),
            )
        })
        .collect();
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    docs
}

/// Waits (30 s at most) until `index` holds exactly `want`.
fn wait_documents(index: &str, want: &[(String, Value)], log: &dyn Fn() -> String) {
    wait_documents_at(&engine().1, index, want, log)
}

/// [`wait_documents`] on the engine at `addr`.
fn wait_documents_at(addr: &str, index: &str, want: &[(String, Value)], log: &dyn Fn() -> String) {
    let start = Instant::now();
    loop {
        let got = documents_at(addr, index);
        if got == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "index {index} differs after 30 s:\nwant {want:?}\ngot  {got:?}\nlog:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub(super) fn doc(id: impl ToString, source: Value) -> (String, Value) {
    (id.to_string(), source)
}

/// The source connector's config: flat rows (`ExtractNewRecordState`, tombstones kept), the
/// `id` key field as the key (`ExtractField$Key`), topics named after the tables.
pub(super) fn source(db: &PgFixture) -> cdc_core::ConfigMap {
    db.connector_config(&[
        ("decimal.handling.mode", "string"),
        ("transforms", "unwrap,key,route"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        ("transforms.unwrap.drop.tombstones", "false"),
        (
            "transforms.key.type",
            "org.apache.kafka.connect.transforms.ExtractField$Key",
        ),
        ("transforms.key.field", "id"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", "test\\.public\\.(.*)"),
        ("transforms.route.replacement", "$1"),
    ])
}

pub(super) fn create_sink(w: &Worker, name: &str, config: Value) {
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": name, "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    w.wait_for(&format!("/connectors/{name}/status"), "RUNNING", |s| {
        state(s).0 == "RUNNING"
            && !state(s).1.is_empty()
            && state(s).1.iter().all(|t| *t == "RUNNING")
    });
}

fn drop_indices(names: &[&str]) {
    for n in names {
        engine_request("DELETE", &format!("/{n}"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issues_config_keeps_indices_equal_to_the_tables() {
    drop_indices(&["orders", "customers"]);
    let db = PgFixture::start("search_issue").await;
    db.exec(
        "CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL, qty int, price numeric(10, 2));
         CREATE TABLE customers (id int PRIMARY KEY, name text);
         INSERT INTO orders VALUES (1, 'pen', 2, 1.50), (2, 'ink', NULL, NULL);
         INSERT INTO customers VALUES (10, 'Ada');",
    )
    .await;
    let worker = Standalone::new("offset.flush.interval.ms=100\n", "pg", source(&db));
    let w = worker.start();
    let log = || w.log_text();
    let (url, _) = engine();
    // The issue's config, verbatim but for the URL.
    create_sink(
        &w,
        "elasticsearch-sink",
        json!({"connector.class": CLASS,
         "connection.url": url, "topics": "orders,customers", "type.name": "_doc",
         "key.ignore": "false", "schema.ignore": "true", "tasks.max": "2"}),
    );
    wait_documents(
        "orders",
        &[
            doc(
                1,
                json!({"id": 1, "item": "pen", "qty": 2, "price": "1.50"}),
            ),
            doc(
                2,
                json!({"id": 2, "item": "ink", "qty": null, "price": null}),
            ),
        ],
        &log,
    );
    wait_documents(
        "customers",
        &[doc(10, json!({"id": 10, "name": "Ada"}))],
        &log,
    );

    // Updates replace the document; a new row is a new document.
    db.exec("UPDATE orders SET qty = 5, price = 2.25 WHERE id = 1; INSERT INTO orders VALUES (3, 'cap', 1, 0.10)")
        .await;
    db.exec("UPDATE customers SET name = 'Grace' WHERE id = 10")
        .await;
    wait_documents(
        "orders",
        &[
            doc(
                1,
                json!({"id": 1, "item": "pen", "qty": 5, "price": "2.25"}),
            ),
            doc(
                2,
                json!({"id": 2, "item": "ink", "qty": null, "price": null}),
            ),
            doc(
                3,
                json!({"id": 3, "item": "cap", "qty": 1, "price": "0.10"}),
            ),
        ],
        &log,
    );
    wait_documents(
        "customers",
        &[doc(10, json!({"id": 10, "name": "Grace"}))],
        &log,
    );
    w.stop();
    drop_indices(&["orders", "customers"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_key_ignore_every_event_is_a_document_named_by_its_offset() {
    drop_indices(&["search_events"]);
    let db = PgFixture::start("search_keyignore").await;
    db.exec(
        "CREATE TABLE search_events (id int PRIMARY KEY, name text);
         INSERT INTO search_events VALUES (1, 'a');",
    )
    .await;
    let worker = Standalone::new("offset.flush.interval.ms=100\n", "pg", source(&db));
    let w = worker.start();
    let log = || w.log_text();
    let (url, _) = engine();
    // The tutorial's variant: ids from topic+partition+offset, no versioning.
    create_sink(
        &w,
        "es",
        json!({"connector.class": CLASS, "connection.url": url, "topics": "search_events",
               "type.name": "_doc", "key.ignore": "true", "schema.ignore": "true"}),
    );
    wait_documents(
        "search_events",
        &[doc("search_events+0+0", json!({"id": 1, "name": "a"}))],
        &log,
    );
    db.exec("UPDATE search_events SET name = 'b' WHERE id = 1")
        .await;
    wait_documents(
        "search_events",
        &[
            doc("search_events+0+0", json!({"id": 1, "name": "a"})),
            doc("search_events+0+1", json!({"id": 1, "name": "b"})),
        ],
        &log,
    );
    w.stop();
    drop_indices(&["search_events"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tombstones_delete_and_a_replay_overwrites_nothing_newer() {
    drop_indices(&["search_items"]);
    let db = PgFixture::start("search_delete").await;
    db.exec(
        "CREATE TABLE search_items (id int PRIMARY KEY, name text NOT NULL, qty int);
         INSERT INTO search_items VALUES (1, 'one', 1), (2, 'two', 2);",
    )
    .await;
    let worker = Standalone::new("offset.flush.interval.ms=100\n", "pg", source(&db));
    let w = worker.start();
    let log = || w.log_text();
    let (url, _) = engine();
    // A mapping from the Connect schema (schema.ignore=false), tombstones delete.
    create_sink(
        &w,
        "es",
        json!({"connector.class": CLASS, "connection.url": url, "topics": "search_items",
               "behavior.on.null.values": "delete"}),
    );
    wait_documents(
        "search_items",
        &[
            doc(1, json!({"id": 1, "name": "one", "qty": 1})),
            doc(2, json!({"id": 2, "name": "two", "qty": 2})),
        ],
        &log,
    );
    db.exec("UPDATE search_items SET qty = 10 WHERE id = 1; DELETE FROM search_items WHERE id = 2")
        .await;
    let want = [doc(1, json!({"id": 1, "name": "one", "qty": 10}))];
    wait_documents("search_items", &want, &log);
    let (_, mapping) = engine_request("GET", "/search_items/_mapping", None);
    assert_eq!(
        mapping["search_items"]["mappings"]["properties"]["qty"],
        json!({"type": "integer"}),
        "{mapping}"
    );
    // The document's version is the offset of the event that wrote it.
    let (_, one) = engine_request("GET", "/search_items/_doc/1", None);
    let version = one["_version"].as_i64().unwrap();
    assert!(version >= 2, "{one}");

    // Replay everything from offset 0: the older events lose to the newer versions.
    assert_eq!(
        w.request("PUT", "/connectors/es/stop", None, b"").status,
        204
    );
    w.wait_for("/connectors/es/status", "STOPPED", |s| {
        state(s).0 == "STOPPED"
    });
    let reset = w.request("DELETE", "/connectors/es/offsets", None, b"");
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(
        w.request("PUT", "/connectors/es/resume", None, b"").status,
        202
    );
    w.wait_for("/connectors/es/status", "RUNNING", |s| {
        state(s).0 == "RUNNING"
    });
    // The replay is written (the committed position comes back to the end) and changed nothing.
    let start = Instant::now();
    loop {
        let offsets = w.get("/connectors/es/offsets").json();
        let at = offsets["offsets"][0]["offset"]["kafka_offset"]
            .as_i64()
            .unwrap_or(0);
        if at > version {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{offsets}\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(documents("search_items"), want, "{}", log());
    let (_, again) = engine_request("GET", "/search_items/_doc/1", None);
    assert_eq!(again["_version"], one["_version"], "{again}");
    w.stop();
    drop_indices(&["search_items"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_documents_follow_the_configured_behavior() {
    drop_indices(&["search_bad_ignore", "search_bad_fail"]);
    // Indices whose mapping makes `name` a number: a name that is not one is malformed.
    for index in ["search_bad_ignore", "search_bad_fail"] {
        let (status, body) = engine_request(
            "PUT",
            &format!("/{index}"),
            Some(&json!({"mappings": {"properties": {"name": {"type": "integer"}}}})),
        );
        assert_eq!(status, 200, "{body}");
    }
    let db = PgFixture::start("search_malformed").await;
    db.exec(
        "CREATE TABLE search_bad_ignore (id int PRIMARY KEY, name text);
         CREATE TABLE search_bad_fail (id int PRIMARY KEY, name text);
         INSERT INTO search_bad_ignore VALUES (1, '11'), (2, 'not a number'), (3, '33');
         INSERT INTO search_bad_fail VALUES (1, '11'), (2, 'not a number'), (3, '33');",
    )
    .await;
    let worker = Standalone::new("offset.flush.interval.ms=100\n", "pg", source(&db));
    let w = worker.start();
    let log = || w.log_text();
    let (url, _) = engine();
    create_sink(
        &w,
        "ignore",
        json!({"connector.class": CLASS, "connection.url": url, "topics": "search_bad_ignore",
               "schema.ignore": "true", "behavior.on.malformed.documents": "warn",
               "write.method": "upsert"}),
    );
    wait_documents(
        "search_bad_ignore",
        &[
            doc(1, json!({"id": 1, "name": "11"})),
            doc(3, json!({"id": 3, "name": "33"})),
        ],
        &log,
    );
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "fail", "config": {"connector.class": CLASS, "connection.url": url,
                "topics": "search_bad_fail", "schema.ignore": "true"}}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let status = w.wait_for("/connectors/fail/status", "a FAILED task", |s| {
        state(s).1.first().is_some_and(|t| *t == "FAILED")
    });
    let trace = status["tasks"][0]["trace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Elasticsearch 8 names a document that does not parse document_parsing_exception.
    assert!(
        trace.contains("malformed")
            && (trace.contains("mapper_parsing_exception")
                || trace.contains("document_parsing_exception")),
        "{trace}"
    );
    assert!(
        !trace.contains("not a number"),
        "the trace shows a row value: {trace}"
    );
    w.stop();
    drop_indices(&["search_bad_ignore", "search_bad_fail"]);
}

#[test]
fn validation_names_each_refused_property() {
    // Validation names every refused property at once.
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::serve(dir.path());
    let (url, _) = engine();
    let r = w.send(
        "PUT",
        &format!("/connector-plugins/{CLASS}/config/validate"),
        &json!({"name": "es", "connector.class": CLASS, "topics": "t", "connection.url": url,
                "data.stream.type": "logs", "proxy.host": "p", "behavior.on.null.values": "explode"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    // data.stream.type without data.stream.dataset names both, as Confluent's validator does.
    assert_eq!(body["error_count"], 4, "{body}");
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_streams_get_create_requests_and_a_timestamp() {
    // OpenSearch has no built-in data stream templates (Elasticsearch has logs-*-*).
    let (status, body) = engine_request(
        "PUT",
        "/_index_template/tributary-logs",
        Some(&json!({"index_patterns": ["logs-tributary-*"], "data_stream": {}, "priority": 100})),
    );
    assert_eq!(status, 200, "{body}");
    engine_request("DELETE", "/_data_stream/logs-tributary-search_ds", None);
    let db = PgFixture::start("search_ds").await;
    db.exec(
        "CREATE TABLE search_ds (id int PRIMARY KEY, at timestamptz);
         INSERT INTO search_ds VALUES (1, '2024-01-02 03:04:05+00'), (2, '2024-05-06 07:08:09+00');",
    )
    .await;
    let worker = Standalone::new("offset.flush.interval.ms=100\n", "pg", source(&db));
    let w = worker.start();
    let log = || w.log_text();
    let (url, _) = engine();
    create_sink(
        &w,
        "es",
        json!({"connector.class": CLASS, "connection.url": url, "topics": "search_ds",
               "schema.ignore": "true", "data.stream.type": "logs",
               "data.stream.dataset": "tributary", "data.stream.timestamp.field": "missing,at",
               "connection.compression": "true"}),
    );
    // `@timestamp` from the first timestamp field present, as text (Confluent's asText()).
    wait_documents(
        "logs-tributary-search_ds",
        &[
            doc(
                1,
                json!({"id": 1, "at": "2024-01-02T03:04:05.000000Z", "@timestamp": "2024-01-02T03:04:05.000000Z"}),
            ),
            doc(
                2,
                json!({"id": 2, "at": "2024-05-06T07:08:09.000000Z", "@timestamp": "2024-05-06T07:08:09.000000Z"}),
            ),
        ],
        &log,
    );
    w.stop();
    engine_request("DELETE", "/_data_stream/logs-tributary-search_ds", None);
}

/// The main scenarios against Elasticsearch itself (`scripts/test.sh` starts a bare 7.17 and a
/// bare 8.19 node beside OpenSearch; a missing URL fails the test), on one worker and one source
/// to keep the suite short: the issue's config (documents equal the rows, updates replace, two
/// tasks), a mapping from the Connect schema, tombstones delete, a replay from offset 0 writes
/// nothing older (the engine's external-version conflicts), malformed documents warned about
/// (upserts) or failing the task (the engine's error shape), and on 8 a data stream (a bare 7
/// node has none: x-pack's data-streams module registers their `_data_stream_timestamp` mapper).
async fn main_scenarios_on_elasticsearch(url_var: &str, major: u8) {
    let url = std::env::var(url_var).unwrap_or_else(|_| {
        panic!("{url_var} (scripts/test.sh starts Elasticsearch {major} and sets it)")
    });
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let (status, root) = engine_request_at(&addr, "GET", "/_nodes/_local", None);
    assert_eq!(status, 200, "{root}");
    let node = root["nodes"].as_object().and_then(|n| n.values().next());
    let version = node.and_then(|n| n["version"].as_str()).unwrap_or("");
    assert!(version.starts_with(&format!("{major}.")), "{root}");
    let indices = ["es_orders", "es_items", "es_bad_warn", "es_bad_fail"];
    for index in indices {
        engine_request_at(&addr, "DELETE", &format!("/{index}"), None);
    }
    for index in ["es_bad_warn", "es_bad_fail"] {
        let (status, body) = engine_request_at(
            &addr,
            "PUT",
            &format!("/{index}"),
            Some(&json!({"mappings": {"properties": {"name": {"type": "integer"}}}})),
        );
        assert_eq!(status, 200, "{body}");
    }
    let db = PgFixture::start(&format!("search_es{major}")).await;
    db.exec(
        "CREATE TABLE es_orders (id int PRIMARY KEY, item text NOT NULL, qty int, price numeric(10, 2));
         CREATE TABLE es_items (id int PRIMARY KEY, name text NOT NULL, qty int);
         CREATE TABLE es_bad_warn (id int PRIMARY KEY, name text);
         CREATE TABLE es_bad_fail (id int PRIMARY KEY, name text);
         CREATE TABLE es_ds (id int PRIMARY KEY, at timestamptz);
         INSERT INTO es_orders VALUES (1, 'pen', 2, 1.50), (2, 'ink', NULL, NULL);
         INSERT INTO es_items VALUES (1, 'one', 1), (2, 'two', 2);
         INSERT INTO es_bad_warn VALUES (1, '11'), (2, 'not a number'), (3, '33');
         INSERT INTO es_bad_fail VALUES (1, '11'), (2, 'not a number'), (3, '33');
         INSERT INTO es_ds VALUES (1, '2024-01-02 03:04:05+00');",
    )
    .await;
    let worker = Standalone::new("offset.flush.interval.ms=100\n", "pg", source(&db));
    let w = worker.start();
    let log = || w.log_text();
    create_sink(
        &w,
        "orders",
        json!({"connector.class": CLASS,
         "connection.url": url, "topics": "es_orders", "type.name": "_doc",
         "key.ignore": "false", "schema.ignore": "true", "tasks.max": "2"}),
    );
    create_sink(
        &w,
        "items",
        json!({"connector.class": CLASS, "connection.url": url, "topics": "es_items",
               "behavior.on.null.values": "delete"}),
    );
    create_sink(
        &w,
        "warn",
        json!({"connector.class": CLASS, "connection.url": url, "topics": "es_bad_warn",
               "schema.ignore": "true", "behavior.on.malformed.documents": "warn",
               "write.method": "upsert"}),
    );
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "fail", "config": {"connector.class": CLASS, "connection.url": url,
                "topics": "es_bad_fail", "schema.ignore": "true"}}),
    );
    assert_eq!(created.status, 201, "{}", created.body);

    wait_documents_at(
        &addr,
        "es_orders",
        &[
            doc(
                1,
                json!({"id": 1, "item": "pen", "qty": 2, "price": "1.50"}),
            ),
            doc(
                2,
                json!({"id": 2, "item": "ink", "qty": null, "price": null}),
            ),
        ],
        &log,
    );
    wait_documents_at(
        &addr,
        "es_bad_warn",
        &[
            doc(1, json!({"id": 1, "name": "11"})),
            doc(3, json!({"id": 3, "name": "33"})),
        ],
        &log,
    );
    let status = w.wait_for("/connectors/fail/status", "a FAILED task", |s| {
        state(s).1.first().is_some_and(|t| *t == "FAILED")
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    // Elasticsearch 8 names a document that does not parse document_parsing_exception.
    assert!(
        trace.contains("malformed")
            && (trace.contains("mapper_parsing_exception")
                || trace.contains("document_parsing_exception")),
        "{trace}"
    );
    assert!(
        !trace.contains("not a number"),
        "the trace shows a row value: {trace}"
    );

    db.exec(
        "UPDATE es_orders SET qty = 5, price = 2.25 WHERE id = 1; INSERT INTO es_orders VALUES (3, 'cap', 1, 0.10);
         UPDATE es_items SET qty = 10 WHERE id = 1; DELETE FROM es_items WHERE id = 2;",
    )
    .await;
    wait_documents_at(
        &addr,
        "es_orders",
        &[
            doc(
                1,
                json!({"id": 1, "item": "pen", "qty": 5, "price": "2.25"}),
            ),
            doc(
                2,
                json!({"id": 2, "item": "ink", "qty": null, "price": null}),
            ),
            doc(
                3,
                json!({"id": 3, "item": "cap", "qty": 1, "price": "0.10"}),
            ),
        ],
        &log,
    );
    let want = [doc(1, json!({"id": 1, "name": "one", "qty": 10}))];
    wait_documents_at(&addr, "es_items", &want, &log);
    let (_, mapping) = engine_request_at(&addr, "GET", "/es_items/_mapping", None);
    assert_eq!(
        mapping["es_items"]["mappings"]["properties"]["qty"],
        json!({"type": "integer"}),
        "{mapping}"
    );
    let (_, one) = engine_request_at(&addr, "GET", "/es_items/_doc/1", None);
    let version = one["_version"].as_i64().unwrap();
    assert!(version >= 2, "{one}");

    // Replay everything from offset 0: the older events lose to the newer versions.
    assert_eq!(
        w.request("PUT", "/connectors/items/stop", None, b"").status,
        204
    );
    w.wait_for("/connectors/items/status", "STOPPED", |s| {
        state(s).0 == "STOPPED"
    });
    let reset = w.request("DELETE", "/connectors/items/offsets", None, b"");
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(
        w.request("PUT", "/connectors/items/resume", None, b"")
            .status,
        202
    );
    let start = Instant::now();
    loop {
        let offsets = w.get("/connectors/items/offsets").json();
        let at = offsets["offsets"][0]["offset"]["kafka_offset"]
            .as_i64()
            .unwrap_or(0);
        if at > version {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{offsets}\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(documents_at(&addr, "es_items"), want, "{}", log());
    let (_, again) = engine_request_at(&addr, "GET", "/es_items/_doc/1", None);
    assert_eq!(again["_version"], one["_version"], "{again}");

    // Data streams: a bare 7 node refuses their templates as x-pack's absence makes it
    // (`unknown field [data_stream]`); a bare 8 node writes them (the server has their mapper)
    // but has no `_data_stream` APIs (the data-streams module is not on Maven Central), so the
    // stream is made by a first document, as a `create` into a missing one does, and the sink
    // finds it there (on a full node it would `PUT _data_stream/<name>` itself).
    let (status, body) = engine_request_at(
        &addr,
        "PUT",
        "/_index_template/tributary-es-logs",
        Some(
            &json!({"index_patterns": ["logs-tributary-es_*"], "data_stream": {}, "priority": 200}),
        ),
    );
    if major == 7 {
        assert_eq!(status, 400, "{body}");
        assert!(
            body.to_string().contains("unknown field [data_stream]"),
            "{body}"
        );
    } else {
        assert_eq!(status, 200, "{body}");
        let seed = "{\"create\":{\"_index\":\"logs-tributary-es_ds\",\"_id\":\"0\"}}\n{\"@timestamp\":\"2024-01-01T00:00:00Z\"}\n";
        let r = request(
            &addr,
            "POST",
            "/_bulk",
            Some("application/x-ndjson"),
            seed.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        create_sink(
            &w,
            "ds",
            json!({"connector.class": CLASS, "connection.url": url, "topics": "es_ds",
                   "schema.ignore": "true", "data.stream.type": "logs",
                   "data.stream.dataset": "tributary", "data.stream.timestamp.field": "at",
                   "connection.compression": "true"}),
        );
        wait_documents_at(
            &addr,
            "logs-tributary-es_ds",
            &[
                doc(0, json!({"@timestamp": "2024-01-01T00:00:00Z"})),
                doc(
                    1,
                    json!({"id": 1, "at": "2024-01-02T03:04:05.000000Z", "@timestamp": "2024-01-02T03:04:05.000000Z"}),
                ),
            ],
            &log,
        );
        let (_, stream) = engine_request_at(&addr, "GET", "/logs-tributary-es_ds/_search", None);
        let backing = stream["hits"]["hits"][0]["_index"].as_str().unwrap_or("");
        assert!(backing.starts_with(".ds-logs-tributary-es_ds-"), "{stream}");
    }
    w.stop();
    for index in indices {
        engine_request_at(&addr, "DELETE", &format!("/{index}"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_scenarios_on_elasticsearch_7() {
    main_scenarios_on_elasticsearch("TRIBUTARY_ELASTICSEARCH_URL", 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_scenarios_on_elasticsearch_8() {
    main_scenarios_on_elasticsearch("TRIBUTARY_ELASTICSEARCH8_URL", 8).await;
}
