//! Transforms on a sink connector, end to end: the Debezium tutorial's pairing of a PostgreSQL
//! source with Confluent's JDBC sink, whose flat records come from Debezium's
//! `ExtractNewRecordState` and whose table name from a `RegexRouter`; and the configurations we
//! refuse rather than run without their transforms.

use serde_json::json;

use super::client::{Standalone, Worker};
use super::jdbc_sink::wait_equal;
use super::state;
use crate::support::PgFixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorials_confluent_jdbc_sink_with_unwrap_and_a_router_replicates_inserts_updates_and_deletes(
) {
    let src = PgFixture::start("smt_src").await;
    let dst = PgFixture::start("smt_dst").await;
    src.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int);
         INSERT INTO items VALUES (1, 'one', 1), (2, 'two', NULL);",
    )
    .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[("topic.prefix", "test")]),
    );
    let w = worker.start();
    let log = || w.log_text();
    let server = &dst.server;
    // The tutorial's sink config (credentials in the URL, as there), plus a router in place of
    // the tutorial's source-side one.
    let config = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "tasks.max": "1",
        "topics": "test.public.items",
        "connection.url": format!(
            "jdbc:postgresql://{}:{}/{}?user={}&password={}",
            server.host, server.port, dst.dbname, server.user, server.password
        ),
        "transforms": "unwrap,route",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "([^.]+)\\.([^.]+)\\.([^.]+)",
        "transforms.route.replacement": "$3",
        "auto.create": "true",
        "insert.mode": "upsert",
        "delete.enabled": "true",
        "pk.fields": "id",
        "pk.mode": "record_key"
    });
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    w.wait_for("/connectors/jdbc/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    // The routed topic names the table: `items`, not `test_public_items`.
    wait_equal(&src, &dst, "items", "id, name, qty", &log).await;
    src.exec("UPDATE items SET qty = 7, name = 'uno' WHERE id = 1")
        .await;
    src.exec("DELETE FROM items WHERE id = 2").await;
    src.exec("INSERT INTO items VALUES (3, 'three', 3)").await;
    wait_equal(&src, &dst, "items", "id, name, qty", &log).await;
    // The flat table has the row's columns only: no envelope, no Debezium metadata.
    let columns: Vec<String> = dst
        .client
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(columns, ["id", "name", "qty"]);
    // Positions are committed for the topic read, not the routed name.
    let offsets = w.get("/connectors/jdbc/offsets").json();
    assert_eq!(
        offsets["offsets"][0]["partition"]["kafka_topic"], "test.public.items",
        "{offsets}"
    );
    w.stop();
}

#[test]
fn transforms_we_cannot_apply_are_refused_naming_the_property() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::serve(&dir.path().join("data"));
    // An unknown transform class on a sink connector.
    let sink = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": "t", "file": "/tmp/never-written.txt",
        "transforms": "x", "transforms.x.type": "com.acme.Nope"
    });
    let refused = w.send("POST", "/connectors", &json!({"name": "s", "config": sink}));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("transforms.x.type"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("com.acme.Nope"), "{}", refused.body);
    // A predicate that is not defined.
    let sink = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": "t", "file": "/tmp/never-written.txt",
        "transforms": "f", "transforms.f.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.f.predicate": "nope"
    });
    let refused = w.send("POST", "/connectors", &json!({"name": "s", "config": sink}));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("transforms.f.predicate"),
        "{}",
        refused.body
    );
    // A bad transform property on a source connector.
    let source = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "topic": "t", "file": "/tmp/never-read.txt",
        "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)", "transforms.route.replacement": "p-\\"
    });
    let refused = w.send(
        "POST",
        "/connectors",
        &json!({"name": "src", "config": source}),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("transforms.route.replacement"),
        "{}",
        refused.body
    );
    // The same checks answer through validate.
    let validated = w.send(
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        &source,
    );
    assert_eq!(validated.status, 200, "{}", validated.body);
    assert!(
        validated.json()["error_count"].as_u64().unwrap() > 0,
        "{}",
        validated.body
    );
    w.stop();
}

/// The configuration on a PostgreSQL source (unwrap, drop a field, route, add a
/// timestamp, mask a column), then Confluent's JDBC sink on the routed topic: the flat rows
/// arrive without the dropped column and with the masked one empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usual_transform_chain_runs_on_a_postgresql_source_and_feeds_a_flat_jdbc_sink() {
    let src = PgFixture::start("smt_chain_src").await;
    let dst = PgFixture::start("smt_chain_dst").await;
    src.exec(
        "CREATE TABLE customers (id int PRIMARY KEY, internal_id int, ssn text, name text);
         INSERT INTO customers VALUES (1, 11, '111-11-1111', 'one'), (2, 22, '222-22-2222', 'two');",
    )
    .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[
            ("topic.prefix", "test"),
            ("transforms", "unwrap,dropField,route,addTimestamp,maskSSN"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            (
                "transforms.dropField.type",
                "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ),
            ("transforms.dropField.exclude", "internal_id"),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.regex", "(.*)"),
            ("transforms.route.replacement", "prod-$1"),
            (
                "transforms.addTimestamp.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ("transforms.addTimestamp.timestamp.field", "ingested_at"),
            (
                "transforms.maskSSN.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("transforms.maskSSN.fields", "ssn"),
            // MaskField fails on a null value (a delete, once unwrapped), in Connect as here.
            ("transforms.maskSSN.predicate", "isTombstone"),
            ("transforms.maskSSN.negate", "true"),
            ("predicates", "isTombstone"),
            (
                "predicates.isTombstone.type",
                "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            ),
        ]),
    );
    let w = worker.start();
    let log = || w.log_text();
    let topic = "prod-test.public.customers";
    super::client::wait_for_count(&worker.data, topic, 2, &log);
    src.exec("INSERT INTO customers VALUES (3, 33, '333-33-3333', 'three')")
        .await;
    src.exec("UPDATE customers SET name = 'uno' WHERE id = 1")
        .await;
    super::client::wait_for_count(&worker.data, topic, 4, &log);
    let values = super::client::topic_values(&worker.data, topic);
    let rows: Vec<&serde_json::Value> = values.iter().map(|v| &v["payload"]).collect();
    for v in &rows {
        let fields: Vec<&String> = v.as_object().expect("a flat row").keys().collect();
        assert_eq!(fields, ["id", "ssn", "name", "ingested_at"], "{v}");
        assert_eq!(v["ssn"], "", "{v}");
        assert!(
            v["ingested_at"].as_i64().unwrap() > 1_600_000_000_000,
            "{v}"
        );
    }
    assert_eq!(rows[3]["name"], "uno", "{values:?}");
    // The untransformed topic is never written.
    assert_eq!(
        super::client::topic_count(&worker.data, "test.public.customers"),
        0
    );

    let server = &dst.server;
    let sink = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": topic,
        "connection.url": format!("jdbc:postgresql://{}:{}/{}", server.host, server.port, dst.dbname),
        "connection.user": server.user, "connection.password": server.password,
        "table.name.format": "customers", "auto.create": "true",
        "insert.mode": "upsert", "pk.mode": "record_key", "delete.enabled": "true"
    });
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "jdbc", "config": sink}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    src.exec("DELETE FROM customers WHERE id = 2").await;
    // The target holds the source's rows with the masked column empty and no internal_id.
    let start = std::time::Instant::now();
    loop {
        let got = super::jdbc_sink::rows(&dst, "customers", "id, ssn, name").await;
        if got == ["(1,\"\",uno)", "(3,\"\",three)"] {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "target rows {got:?}\nlog:\n{}",
            log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let columns: Vec<String> = dst
        .client
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'customers' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(columns, ["id", "ssn", "name", "ingested_at"]);
    let status = w.get("/connectors/pg/status").json();
    assert_eq!(
        super::state(&status),
        ("RUNNING", vec!["RUNNING"]),
        "{status}"
    );
    w.stop();
}

/// On a source connector, `errors.tolerance=all` skips a record a transform fails (MaskField on
/// an unwrapped delete, whose value is null) and the rest flow on; without it the task fails
/// naming the transform.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_skips_records_a_transform_fails_only_under_errors_tolerance_all() {
    for tolerance in ["all", "none"] {
        let src = PgFixture::start(&format!("smt_tolerance_{tolerance}")).await;
        src.exec("CREATE TABLE customers (id int PRIMARY KEY, ssn text); INSERT INTO customers VALUES (0, 'z')")
            .await;
        let worker = Standalone::new(
            "offset.flush.interval.ms=100\n",
            "pg",
            src.connector_config(&[
                ("topic.prefix", "test"),
                ("errors.tolerance", tolerance),
                ("errors.log.enable", "true"),
                ("transforms", "unwrap,mask"),
                (
                    "transforms.unwrap.type",
                    "io.debezium.transforms.ExtractNewRecordState",
                ),
                (
                    "transforms.mask.type",
                    "org.apache.kafka.connect.transforms.MaskField$Value",
                ),
                ("transforms.mask.fields", "ssn"),
            ]),
        );
        let w = worker.start();
        let log = || w.log_text();
        let topic = "test.public.customers";
        // The snapshot is written, so the slot exists: what follows is streamed.
        super::client::wait_for_count(&worker.data, topic, 1, &log);
        src.exec("INSERT INTO customers VALUES (1, 'a')").await;
        src.exec("DELETE FROM customers WHERE id = 1").await;
        src.exec("INSERT INTO customers VALUES (2, 'b')").await;
        if tolerance == "all" {
            super::client::wait_for_count(&worker.data, topic, 3, &log);
            let ids: Vec<i64> = super::client::topic_values(&worker.data, topic)
                .iter()
                .map(|v| v["payload"]["id"].as_i64().unwrap())
                .collect();
            assert_eq!(ids, [0, 1, 2]);
            assert!(
                log().contains("record skipped under errors.tolerance=all"),
                "{}",
                log()
            );
            let status = w.get("/connectors/pg/status").json();
            assert_eq!(
                super::state(&status),
                ("RUNNING", vec!["RUNNING"]),
                "{status}"
            );
        } else {
            let status = w.wait_for("/connectors/pg/status", "FAILED", |s| {
                super::state(s).1 == vec!["FAILED"]
            });
            assert!(
                status.to_string().contains("MaskField"),
                "the trace names the transform: {status}"
            );
        }
        w.stop();
    }
}

/// The outbox pattern: a PostgreSQL outbox table through Debezium's EventRouter on the source,
/// each event on its aggregate's topic, keyed by the aggregate id, its JSON payload expanded
/// into the value (`table.expand.json.payload`), a struct with the schema Debezium infers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbox_table_is_routed_to_one_topic_per_aggregate_type() {
    let src = PgFixture::start("smt_outbox").await;
    src.exec(
        "CREATE TABLE outbox (id uuid PRIMARY KEY, aggregatetype text NOT NULL,
           aggregateid text NOT NULL, type text NOT NULL, payload jsonb);
         INSERT INTO outbox VALUES
           ('00000000-0000-0000-0000-000000000001', 'order', 'o-1', 'OrderCreated', '{\"total\": 10}');",
    )
    .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[
            ("topic.prefix", "test"),
            ("transforms", "outbox"),
            (
                "transforms.outbox.type",
                "io.debezium.transforms.outbox.EventRouter",
            ),
            (
                "transforms.outbox.table.fields.additional.placement",
                "type:header:eventType",
            ),
            ("transforms.outbox.table.expand.json.payload", "true"),
        ]),
    );
    let w = worker.start();
    let log = || w.log_text();
    super::client::wait_for_count(&worker.data, "outbox.event.order", 1, &log);
    src.exec(
        "INSERT INTO outbox VALUES
           ('00000000-0000-0000-0000-000000000002', 'customer', 'c-7', 'CustomerMoved', '{\"city\": \"Oslo\"}'),
           ('00000000-0000-0000-0000-000000000003', 'order', 'o-1', 'OrderPaid', '{\"paid\": true}');
         DELETE FROM outbox WHERE aggregateid = 'o-1';",
    )
    .await;
    super::client::wait_for_count(&worker.data, "outbox.event.order", 2, &log);
    super::client::wait_for_count(&worker.data, "outbox.event.customer", 1, &log);
    let payloads = |topic: &str| -> Vec<serde_json::Value> {
        super::client::topic_values(&worker.data, topic)
            .into_iter()
            .map(|v| {
                assert_eq!(v["schema"]["type"], "struct", "expanded: {v}");
                v["payload"].clone()
            })
            .collect()
    };
    assert_eq!(
        payloads("outbox.event.order"),
        [json!({"total": 10}), json!({"paid": true})]
    );
    assert_eq!(payloads("outbox.event.customer"), [json!({"city": "Oslo"})]);
    // Deletes of outbox rows are not events; the table's own topic is never written.
    assert_eq!(
        super::client::topic_count(&worker.data, "outbox.event.order"),
        2
    );
    assert_eq!(
        super::client::topic_count(&worker.data, "test.public.outbox"),
        0
    );
    w.stop();
}

/// Beyond Connect (no dead-letter queue for sources): under `errors.tolerance=all` a record a
/// transform fails is kept on `errors.deadletterqueue.topic.name`, as the source made it (JSON
/// with its schema), with Connect's error context headers; the other records flow on. On the
/// embedded log and on Kafka.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_keeps_the_records_a_transform_fails_on_its_dead_letter_topic() {
    for bootstrap in [None, Some(crate::kafka::broker::bootstrap())] {
        let tag = if bootstrap.is_some() { "kafka" } else { "log" };
        let src = PgFixture::start(&format!("smt_source_dlq_{tag}")).await;
        src.exec("CREATE TABLE customers (id int PRIMARY KEY, ssn text); INSERT INTO customers VALUES (0, '0')")
            .await;
        let prefix = format!("dlq_{tag}_{}", src.dbname);
        let dlq = format!("{prefix}-dlq");
        let mut dir = crate::worker::WorkerDir::with_config(&format!("{}_w", src.dbname), |more| {
            let mut all = more.to_vec();
            all.extend_from_slice(&[
                ("topic.prefix", prefix.as_str()),
                ("errors.tolerance", "all"),
                ("errors.deadletterqueue.topic.name", dlq.as_str()),
                ("errors.deadletterqueue.context.headers.enable", "true"),
                ("transforms", "unwrap,cast"),
                (
                    "transforms.unwrap.type",
                    "io.debezium.transforms.ExtractNewRecordState",
                ),
                (
                    "transforms.cast.type",
                    "org.apache.kafka.connect.transforms.Cast$Value",
                ),
                ("transforms.cast.spec", "ssn:int32"),
            ]);
            src.connector_config(&all)
        });
        if let Some(b) = &bootstrap {
            dir = dir.with_worker_properties(&[("bootstrap.servers", b)]);
        }
        let mut worker = dir.start();
        let topic = format!("{prefix}.public.customers");
        // Values (and, on Kafka, headers) of a topic once it has `n` records.
        let read = |t: &str, n: usize| -> Vec<(serde_json::Value, Vec<(String, String)>)> {
            match &bootstrap {
                None => {
                    dir.wait_for(t, n as u64, std::time::Duration::from_secs(60));
                    dir.values(t).into_iter().map(|v| (v, Vec::new())).collect()
                }
                Some(b) => {
                    crate::kafka::broker::read_all(b, t, n, std::time::Duration::from_secs(60))
                        .into_iter()
                        .map(|r| {
                            let v = r.value.map_or(serde_json::Value::Null, |v| {
                                serde_json::from_slice(&v).unwrap()
                            });
                            let h = r
                                .headers
                                .into_iter()
                                .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                                .collect();
                            (v, h)
                        })
                        .collect()
                }
            }
        };
        assert_eq!(read(&topic, 1).len(), 1, "{}", dir.log_text());
        src.exec("INSERT INTO customers VALUES (1, 'not a number')")
            .await;
        src.exec("INSERT INTO customers VALUES (2, '2')").await;
        let rows: Vec<(i64, i64)> = read(&topic, 2)
            .iter()
            .map(|(v, _)| (v["id"].as_i64().unwrap(), v["ssn"].as_i64().unwrap()))
            .collect();
        assert_eq!(rows, [(0, 0), (2, 2)], "{}", dir.log_text());
        // The row Cast cannot make an int32 is kept, as the source made it.
        let dead = read(&dlq, 1);
        assert_eq!(dead.len(), 1, "{}", dir.log_text());
        let (event, headers) = &dead[0];
        assert_eq!(event["payload"]["op"], "c", "{event}");
        assert_eq!(event["payload"]["after"]["ssn"], "not a number", "{event}");
        assert!(
            event["schema"]["fields"].is_array(),
            "with its schema: {event}"
        );
        if bootstrap.is_some() {
            let header = |k: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.as_str())
            };
            assert_eq!(header("__connect.errors.topic"), Some(topic.as_str()));
            assert_eq!(header("__connect.errors.stage"), Some("TRANSFORMATION"));
            assert!(
                header("__connect.errors.exception.message").is_some_and(|m| m.contains("Cast")),
                "{headers:?}"
            );
        }
        crate::worker::stop(&mut worker);
    }
}

/// The snapshot writes its rows through the chain's plan (worked out once per table, straight
/// from the rows' bytes) when the chain can give one; streamed changes go through the chain
/// record by record. Both give the same records: the same rows, snapshot and then streamed,
/// through ExtractNewRecordState, ReplaceField (exclude and rename), RegexRouter and InsertField
/// (topic, static and timestamp fields), with a masked column, schemas on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_rows_through_a_planned_chain_equal_the_chain_record_by_record() {
    let src = PgFixture::start("smt_planned").await;
    let columns = "name text, qty int, price numeric(10,2), seen timestamptz, tags text[], doc jsonb, ssn varchar(11), internal int";
    let values = |offset: i32| {
        format!(
            "SELECT g + {offset}, 'name ' || g || ' é😀', g % 7, g * 1.25, '2024-01-01'::timestamptz + g * interval '1 hour',
                    ARRAY['a', NULL, 'b' || g], jsonb_build_object('g', g), '123-45-' || g, g
             FROM generate_series(1, 20) g
             UNION ALL SELECT 21 + {offset}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
        )
    };
    src.exec(&format!(
        "CREATE TABLE items (id int PRIMARY KEY, {columns}); INSERT INTO items {}",
        values(0)
    ))
    .await;
    let worker = Standalone::new(
        "offset.flush.interval.ms=100\n",
        "pg",
        src.connector_config(&[
            ("topic.prefix", "planned"),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "true"),
            ("column.mask.with.4.chars", "public\\.items\\.ssn"),
            ("transforms", "unwrap,drop,route,add"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            (
                "transforms.drop.type",
                "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ),
            ("transforms.drop.exclude", "internal"),
            ("transforms.drop.renames", "qty:quantity"),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.regex", "planned\\.public\\.(.*)"),
            ("transforms.route.replacement", "shop.$1"),
            (
                "transforms.add.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ("transforms.add.topic.field", "from_topic"),
            ("transforms.add.static.field", "origin"),
            ("transforms.add.static.value", "pg-east"),
            ("transforms.add.timestamp.field", "ingested"),
        ]),
    );
    let w = worker.start();
    let log = || w.log_text();
    let topic = "shop.items";
    super::client::wait_for_count(&worker.data, topic, 21, &log);
    src.exec(&format!("INSERT INTO items {}", values(100)))
        .await;
    super::client::wait_for_count(&worker.data, topic, 42, &log);
    let records = super::client::topic_values(&worker.data, topic);
    assert!(
        log().contains("snapshot rows written by the transform chain's plan"),
        "the snapshot took the planned path: {}",
        log()
    );
    w.stop();
    assert_eq!(records.len(), 42);
    let (snapshot, streamed) = records.split_at(21);
    for (s, t) in snapshot.iter().zip(streamed) {
        assert_eq!(s["schema"], t["schema"], "the same schema");
        let strip = |v: &serde_json::Value| {
            let mut p = v["payload"].clone();
            let o = p.as_object_mut().unwrap();
            assert!(o.remove("ingested").unwrap().is_i64(), "{v}");
            let id = o.remove("id").unwrap().as_i64().unwrap();
            (id % 100, p)
        };
        assert_eq!(strip(s), strip(t));
    }
    let first = &snapshot[0]["payload"];
    assert_eq!(first["ssn"], "****", "{first}");
    assert_eq!(first["quantity"], 1, "{first}");
    assert_eq!(first["from_topic"], "shop.items", "{first}");
    assert_eq!(first["origin"], "pg-east", "{first}");
    assert!(first.get("internal").is_none(), "{first}");
}
